"""The service's views turned into the read shapes of `schemas.py` (API and CLI `--json`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tarif.contracts.codec import encode_changes
from tarif.contracts.dates import last_day
from tarif.contracts.models import Contract, ContractTemplate, ContractTemplateVersion
from tarif.contracts.schemas import (
    AmendmentRead,
    ContractDetail,
    ContractRead,
    DueSummaryRead,
    TemplateDetail,
    TemplateVersionRead,
    TermRead,
    VersionRead,
    terms_read,
)
from tarif.contracts.service import AmendmentView, ContractView, DueSummary, VersionView


def contract_read(contract: Contract) -> ContractRead:
    return ContractRead.model_validate(contract)


def contract_detail(view: ContractView) -> ContractDetail:
    base = ContractRead.model_validate(view.contract).model_dump()
    term = view.term
    return ContractDetail(
        **base,
        as_of=view.as_of,
        status_as_of=view.status_as_of.value,
        version=view.version.number,
        version_effective_from=view.version.effective_from,
        projected=view.version.projected,
        terms=terms_read(view.terms),
        current_term=TermRead(
            start=term.start,
            end=None if term.end is None else last_day(term.end),
            renewals=term.renewals,
        ),
        notice_deadline=view.notice_deadline,
        allowed_actions=view.allowed_actions,
        scheduled_amendments=[a.id for a in view.scheduled],
    )


def version_read(version: VersionView) -> VersionRead:
    return VersionRead(
        number=version.number,
        effective_from=version.effective_from,
        amendment_id=version.amendment.id if version.amendment else None,
        projected=version.projected,
        changes=version.changes,
        terms=terms_read(version.terms),
    )


def amendment_read(view: AmendmentView) -> AmendmentRead:
    row = view.row
    return AmendmentRead(
        id=row.id,
        contract_id=row.contract_id,
        sequence=row.sequence,
        effective_date=row.effective_date,
        reason=row.reason,
        author=row.author,
        status=row.status,
        changes=[change_input(c) for c in encode_changes(view.amendment.changes)],
        diff=view.diff,
        signed_document_ref=row.signed_document_ref,
        created_at=row.created_at,
        scheduled_at=row.scheduled_at,
        applied_at=row.applied_at,
        cancelled_at=row.cancelled_at,
    )


# --- stored JSON (exclusive ends) → the input shapes (last days), so reads can be sent back ---


def _last_of(value: Any) -> Any:
    """An exclusive end as stored → the last day covered; a `{"param": …}` stays."""
    return last_day(date.fromisoformat(value)).isoformat() if isinstance(value, str) else value


def _discounts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d | {"until": _last_of(d.get("until"))} for d in items]


def _line(data: dict[str, Any]) -> dict[str, Any]:
    line = {k: v for k, v in data.items() if k not in ("start", "end")}
    line["start_date"] = data.get("start")
    line["end_date"] = _last_of(data.get("end"))
    line["discounts"] = _discounts(data.get("discounts", []))
    return line


def _notice(data: dict[str, Any]) -> dict[str, Any]:
    notice = data.get("notice") or {}
    return {"notice_months": notice.get("months", 0), "notice_days": notice.get("days", 0)}


def change_input(data: dict[str, Any]) -> dict[str, Any]:
    """A stored change in the shape `AmendmentCreate.changes` takes (ends as last days)."""
    kind = data["type"]
    if kind == "add_line":
        return {"type": kind, "line": _line(data["line"])}
    if kind == "change_discount":
        return data | {"discounts": _discounts(data["discounts"])}
    if kind == "change_term":
        renewal = data.get("renewal")
        notice = _notice(data) if data.get("notice") is not None else {}
        return {
            "type": kind,
            "end_date": _last_of(data.get("end_date")),
            "initial_term_months": data.get("initial_term_months"),
            "renewal_months": renewal.get("months") if renewal else None,
            "no_renewal": renewal is not None and renewal.get("months") is None,
        } | notice
    if kind == "terminate" and data.get("fee_line"):
        return {"type": kind, "fee_line": _line(data["fee_line"])}
    return data


def template_input(row: ContractTemplateVersion) -> dict[str, Any]:
    """A stored template version in the shape `TemplateCreate` takes."""
    stored = dict(row.terms)
    terms = {k: v for k, v in stored.items() if k not in ("notice", "metadata")}
    terms |= _notice(stored) | {"metadata": dict(stored.get("metadata", []))}
    terms["end_date"] = _last_of(stored.get("end_date"))
    lines = []
    for stored_line in row.lines:
        line = {k: v for k, v in stored_line.items() if k != "end"}
        line["end_date"] = _last_of(stored_line.get("end"))
        line["discounts"] = _discounts(stored_line.get("discounts", []))
        lines.append(line)
    return {"parameters": list(row.parameters), "terms": terms, "lines": lines}


def template_version_read(row: ContractTemplateVersion) -> TemplateVersionRead:
    shapes = template_input(row)
    return TemplateVersionRead(
        id=row.id,
        template_id=row.template_id,
        version=row.number,
        name=row.name,
        description=row.description,
        parameters=shapes["parameters"],
        terms=shapes["terms"],
        lines=shapes["lines"],
        author=row.author,
        created_at=row.created_at,
    )


def template_detail(
    template: ContractTemplate, versions: list[ContractTemplateVersion]
) -> TemplateDetail:
    latest = next(v for v in versions if v.number == template.latest_version)
    return TemplateDetail(
        id=template.id,
        name=template.name,
        latest_version=template.latest_version,
        created_at=template.created_at,
        updated_at=template.updated_at,
        versions=[v.number for v in versions],
        latest=template_version_read(latest),
    )


def due_summary_read(summary: DueSummary) -> DueSummaryRead:
    return DueSummaryRead(
        as_of=summary.as_of,
        amendments_applied=summary.amendments_applied,
        renewals=summary.renewals,
        activated=summary.activated,
        terminated=summary.terminated,
    )
