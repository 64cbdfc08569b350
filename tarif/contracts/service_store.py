"""Rows ↔ core values: loading a contract's versions, amendments and lifecycle, saving them back.

No business rule lives here: the core decides, this module reads and writes what it decided.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Text, delete, select
from sqlalchemy import cast as cast_as
from sqlalchemy.orm import InstrumentedAttribute

from tarif.audit.service import snapshot
from tarif.context import Ctx
from tarif.contracts.amendments import Amendment, AmendmentStatus, as_of
from tarif.contracts.amendments import ContractVersion as CoreVersion
from tarif.contracts.codec import decode_changes, decode_terms, encode_discount, encode_terms
from tarif.contracts.lifecycle import Action, Lifecycle, Transition
from tarif.contracts.model import ContractLine, ContractStatus, ContractTerms
from tarif.contracts.models import (
    Contract,
    ContractAmendment,
    ContractLineRow,
    ContractTransition,
    ContractVersion,
)
from tarif.db.among import among, dialect_of
from tarif.db.reads import rows as plain_rows
from tarif.db.repository import get_scoped, scoped
from tarif.errors import InvalidInput, NotFound
from tarif.ids import new_id
from tarif.tenancy.models import Organization


def today(ctx: Ctx) -> date:
    """Today in the organization's time zone, from the injected clock."""
    org = ctx.session.get(Organization, ctx.organization_id)
    zone = org.timezone if org is not None else "UTC"
    try:
        return ctx.clock.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ctx.clock.now().date()


def searchable(value: str) -> bool:
    # PostgreSQL text cannot hold NUL: such an id matches nothing and must not reach it.
    return "\x00" not in value


def load_contract(ctx: Ctx, contract_id: str, *, for_update: bool = False) -> Contract:
    if not searchable(contract_id):
        raise NotFound(f"contract '{contract_id}' not found")
    if for_update:
        # Serializes writes to one contract (PostgreSQL), so two amendments cannot both pass
        # the conflict check against the same scheduled ones.
        stmt = scoped(Contract, ctx.organization_id).where(Contract.id == contract_id)
        row = ctx.session.scalars(stmt.with_for_update()).one_or_none()
        if row is None:
            raise NotFound(f"contract '{contract_id}' not found")
        return row
    contract: Contract = get_scoped(ctx.session, Contract, ctx.organization_id, contract_id)
    return contract


def status_of(contract: Contract) -> ContractStatus:
    return ContractStatus(contract.status)


# --- amendments --------------------------------------------------------------------------------


def amendment_rows(ctx: Ctx, contract_id: str) -> list[ContractAmendment]:
    stmt = scoped(ContractAmendment, ctx.organization_id).where(
        ContractAmendment.contract_id == contract_id
    )
    return list(ctx.session.scalars(stmt.order_by(ContractAmendment.sequence)))


def to_amendment(row: ContractAmendment) -> Amendment:
    return Amendment(
        id=row.id,
        sequence=row.sequence,
        effective_date=row.effective_date,
        reason=row.reason,
        author=row.author,
        changes=decode_changes(row.changes),
        status=AmendmentStatus(row.status),
        signed_document=row.signed_document_ref,
    )


def set_amendment_status(ctx: Ctx, row: ContractAmendment, status: AmendmentStatus) -> None:
    row.status = status.value
    now = ctx.clock.now()
    if status is AmendmentStatus.SCHEDULED:
        row.scheduled_at = now
    elif status is AmendmentStatus.APPLIED:
        row.scheduled_at = row.scheduled_at or now
        row.applied_at = now
    elif status is AmendmentStatus.CANCELLED:
        row.cancelled_at = now


# --- versions ----------------------------------------------------------------------------------


def version_rows(ctx: Ctx, contract_id: str) -> list[ContractVersion]:
    stmt = scoped(ContractVersion, ctx.organization_id).where(
        ContractVersion.contract_id == contract_id
    )
    return list(ctx.session.scalars(stmt.order_by(ContractVersion.number)))


def versions_of(ctx: Ctx, contract: Contract) -> list[CoreVersion]:
    """The stored versions as core values, each with its amendment's current status."""
    amendments = {row.id: to_amendment(row) for row in amendment_rows(ctx, contract.id)}
    return [
        CoreVersion(
            number=row.number,
            effective_from=row.effective_from,
            terms=decode_terms(row.terms),
            amendment=amendments.get(row.amendment_id) if row.amendment_id else None,
        )
        for row in version_rows(ctx, contract.id)
    ]


def of_tenant(
    column: ColumnElement[str] | InstrumentedAttribute[str], organization_id: str
) -> ColumnElement[bool]:
    """The tenant filter for a query that also selects by an `IN` list of ids on another
    indexed column. Written `organization_id || '' = :org`: without statistics, SQLite would
    otherwise pick the `organization_id` index and scan every row of the tenant for each
    batch (a run of 100,000 contracts is then quadratic); PostgreSQL plans it the same."""
    return column.concat("") == organization_id


_DECODED_TERMS = "tarif.contracts.service_store.decoded_terms"
_KEPT_VERSIONS = "tarif.contracts.service_store.kept_versions"


@contextmanager
def terms_decoded_once(ctx: Ctx) -> Iterator[None]:
    """Within the block, the terms `versions_by_contract` decodes for a version are kept for
    the next read of the same version (a billing run's `apply_due`, then its drafts).

    Versions are not rewritten while a contract runs (only a draft's are), so the terms read
    a second time in the same transaction are the same; each is kept until its second read
    only, and all are dropped when the block ends. A contract's whole list of versions, once
    its reader knows nothing changed it since (`keep_versions`), is kept the same way: its
    next read is not a query.
    """
    info = ctx.session.info
    if _DECODED_TERMS in info:  # an enclosing block keeps them already
        yield
        return
    info[_DECODED_TERMS] = {}
    info[_KEPT_VERSIONS] = {}
    try:
        yield
    finally:
        info.pop(_DECODED_TERMS, None)
        info.pop(_KEPT_VERSIONS, None)


def keep_versions(ctx: Ctx, contract_id: str, versions: list[CoreVersion]) -> None:
    """Within a `terms_decoded_once` block: the contract's versions as `versions_by_contract`
    read them, left unchanged by the caller (a billing run's `apply_due` for a contract the
    date changes nothing for), are what its next read gives (taken once). Outside a block,
    nothing is kept."""
    kept: dict[str, list[CoreVersion]] | None = ctx.session.info.get(_KEPT_VERSIONS)
    decoded: dict[tuple[str, int], ContractTerms] | None = ctx.session.info.get(_DECODED_TERMS)
    if kept is None or decoded is None or not versions:
        return
    kept[contract_id] = versions
    for version in versions:  # kept with the list: no longer apart
        decoded.pop((contract_id, version.number), None)


def versions_by_contract(ctx: Ctx, contract_ids: Sequence[str]) -> dict[str, list[CoreVersion]]:
    """`versions_of` for many contracts at once: two queries instead of two per contract (three
    when some of the terms are kept by a `terms_decoded_once` block and others are not; none
    for the contracts whose versions the block keeps, `keep_versions`)."""
    kept: dict[str, list[CoreVersion]] | None = ctx.session.info.get(_KEPT_VERSIONS)
    if not kept:
        return _read_versions(ctx, contract_ids)
    result: dict[str, list[CoreVersion]] = {}
    missing: list[str] = []
    for contract_id in contract_ids:
        versions = kept.pop(contract_id, None)
        if versions is None:
            missing.append(contract_id)
        else:
            result[contract_id] = versions
    if missing:
        result.update(_read_versions(ctx, missing))
    return result


def _read_versions(ctx: Ctx, contract_ids: Sequence[str]) -> dict[str, list[CoreVersion]]:
    dialect = dialect_of(ctx.session)
    decoded: dict[tuple[str, int], ContractTerms] | None = ctx.session.info.get(_DECODED_TERMS)
    # The second read of a block finds version 1 of the contracts kept: it reads their terms'
    # text only where not kept (a run's versions are hundreds of megabytes of JSON).
    reread = decoded is not None and any((c, 1) in decoded for c in contract_ids)
    columns: list[Any] = [
        ContractVersion.contract_id,
        ContractVersion.number,
        ContractVersion.effective_from,
        ContractVersion.amendment_id,
    ]
    if not reread:
        # As text: terms kept from the block's first read are not parsed again.
        columns.append(cast_as(ContractVersion.terms, Text).label("terms"))
    rows = list(
        plain_rows(
            ctx.session,
            select(*columns)
            .where(
                of_tenant(ContractVersion.organization_id, ctx.organization_id),
                among(ContractVersion.contract_id, contract_ids, dialect),
            )
            .order_by(ContractVersion.contract_id, ContractVersion.number),
        )
    )
    texts: dict[tuple[str, int], str] = {}
    if reread:
        assert decoded is not None
        missing = {row.contract_id for row in rows if (row.contract_id, row.number) not in decoded}
        if missing:
            texts = _terms_texts(ctx, missing, dialect)
    else:
        texts = {(row.contract_id, row.number): row.terms for row in rows}
    amendment_ids = [row.amendment_id for row in rows if row.amendment_id]
    amendments: dict[str, Amendment] = {}
    if amendment_ids:
        table = ContractAmendment.__table__.c
        stmt = select(*table).where(
            of_tenant(table.organization_id, ctx.organization_id),
            among(table.id, amendment_ids, dialect),
        )
        amendments = {
            row.id: to_amendment(cast(ContractAmendment, row)) for row in ctx.session.execute(stmt)
        }
    result: dict[str, list[CoreVersion]] = {}
    lines_seen: dict[Any, ContractLine] = {}  # contracts of a plan share their lines
    for row in rows:
        key = (row.contract_id, row.number)
        if decoded is None:
            terms = decode_terms(json.loads(texts[key]), lines_seen)
        else:  # the first read in the block decodes and keeps, the second takes it out
            kept = decoded.pop(key, None)
            if kept is None:
                terms = decoded[key] = decode_terms(json.loads(texts[key]), lines_seen)
            else:
                terms = kept
        result.setdefault(row.contract_id, []).append(
            CoreVersion(
                number=row.number,
                effective_from=row.effective_from,
                terms=terms,
                amendment=amendments.get(row.amendment_id) if row.amendment_id else None,
            )
        )
    return result


def _terms_texts(ctx: Ctx, contract_ids: set[str], dialect: str) -> dict[tuple[str, int], str]:
    stmt = select(
        ContractVersion.contract_id,
        ContractVersion.number,
        cast_as(ContractVersion.terms, Text).label("terms"),
    ).where(
        of_tenant(ContractVersion.organization_id, ctx.organization_id),
        among(ContractVersion.contract_id, contract_ids, dialect),
    )
    return {(row.contract_id, row.number): row.terms for row in ctx.session.execute(stmt)}


def original_terms(ctx: Ctx, contract: Contract) -> ContractTerms:
    return versions_of(ctx, contract)[0].terms


def version_on(versions: list[CoreVersion], day: date) -> CoreVersion:
    """The version in force on `day`, the first one before the contract starts."""
    return as_of(versions, day) or versions[0]


def _line_rows(ctx: Ctx, version_id: str, terms: ContractTerms) -> list[ContractLineRow]:
    return [
        ContractLineRow(
            id=new_id("ctl"),
            organization_id=ctx.organization_id,
            version_id=version_id,
            line_key=line.line_key,
            product_id=line.product_id,
            kind=line.kind.value,
            quantity=line.quantity,
            unit_price=line.unit_price,
            price_source=line.price_source.value,
            periodicity=str(line.periodicity),
            timing=line.timing.value,
            start_date=line.start,
            end_date=line.end,
            discounts=[encode_discount(d) for d in line.discounts],
        )
        for line in terms.lines
    ]


def add_version_row(ctx: Ctx, contract: Contract, version: CoreVersion) -> ContractVersion:
    row = ContractVersion(
        id=new_id("ctv"),
        organization_id=ctx.organization_id,
        contract_id=contract.id,
        number=version.number,
        effective_from=version.effective_from,
        terms=encode_terms(version.terms),
        amendment_id=version.amendment.id if version.amendment else None,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()  # lines refer to it, and the unit of work does not know the order
    ctx.session.add_all(_line_rows(ctx, row.id, version.terms))
    return row


def replace_draft_terms(ctx: Ctx, contract: Contract, terms: ContractTerms) -> None:
    """A draft is edited in place: version 1 takes the new terms and lines."""
    row = version_rows(ctx, contract.id)[0]
    row.terms = encode_terms(terms)
    row.effective_from = terms.start_date
    ctx.session.execute(delete(ContractLineRow).where(ContractLineRow.version_id == row.id))
    ctx.session.add_all(_line_rows(ctx, row.id, terms))
    mirror_header(contract, terms)


def mirror_header(contract: Contract, terms: ContractTerms) -> None:
    """The row repeats what lists filter on, from the latest terms."""
    contract.customer_id = terms.customer_id
    contract.reference = terms.reference
    contract.currency = terms.currency
    contract.pricelist_id = terms.pricelist_id


def save_versions(ctx: Ctx, contract: Contract, versions: list[CoreVersion]) -> None:
    """Stores the versions the core computed: rows already equal are kept untouched (applied
    history never changes), the rest are replaced."""
    rows = version_rows(ctx, contract.id)
    kept = 0
    for row, version in zip(rows, versions, strict=False):
        same = (
            row.effective_from == version.effective_from
            and row.amendment_id == (version.amendment.id if version.amendment else None)
            and row.terms == encode_terms(version.terms)
        )
        if not same:
            break
        kept += 1
    stale = [row.id for row in rows[kept:]]
    if stale:
        ctx.session.execute(delete(ContractLineRow).where(ContractLineRow.version_id.in_(stale)))
        ctx.session.execute(delete(ContractVersion).where(ContractVersion.id.in_(stale)))
        ctx.session.flush()
    for version in versions[kept:]:
        add_version_row(ctx, contract, version)
    mirror_header(contract, versions[-1].terms)
    contract.updated_at = ctx.clock.now()
    ctx.session.flush()


# --- lifecycle ---------------------------------------------------------------------------------


def transition_rows(ctx: Ctx, contract_id: str) -> list[ContractTransition]:
    stmt = scoped(ContractTransition, ctx.organization_id).where(
        ContractTransition.contract_id == contract_id
    )
    return list(ctx.session.scalars(stmt.order_by(ContractTransition.id)))


def lifecycle_of(ctx: Ctx, contract: Contract) -> Lifecycle:
    return Lifecycle(
        tuple(
            Transition(
                action=Action(row.action),
                from_status=ContractStatus(row.from_status),
                to_status=ContractStatus(row.to_status),
                on=row.effective_date,
                actor=row.actor,
                reason=row.reason,
                forced=row.forced,
            )
            for row in transition_rows(ctx, contract.id)
        )
    )


def record_transition(ctx: Ctx, contract: Contract, lifecycle: Lifecycle) -> ContractTransition:
    """Stores the lifecycle's newest transition and the contract's new status."""
    last = lifecycle.transitions[-1]
    row = ContractTransition(
        id=new_id("ctt"),
        organization_id=ctx.organization_id,
        contract_id=contract.id,
        action=last.action.value,
        from_status=last.from_status.value,
        to_status=last.to_status.value,
        effective_date=last.on,
        recorded_at=ctx.clock.now(),
        actor=last.actor,
        forced=last.forced,
        reason=last.reason,
    )
    ctx.session.add(row)
    contract.status = last.to_status.value
    contract.updated_at = ctx.clock.now()
    ctx.session.flush()
    return row


def renamed(exc: InvalidInput, names: dict[str, str]) -> InvalidInput:
    """The same problem with the core's field names turned into the caller's."""
    errors = [replace(e, field=names.get(e.field, e.field)) for e in exc.errors]
    detail = exc.detail
    for old, new in names.items():
        if detail.startswith(f"{old}:"):
            detail = new + detail[len(old) :]
    return type(exc)(detail, errors)


def contract_snapshot(contract: Contract) -> dict[str, Any]:
    return snapshot(contract)


def scheduled_rows(ctx: Ctx, contract_id: str) -> list[ContractAmendment]:
    return [
        row
        for row in amendment_rows(ctx, contract_id)
        if row.status == AmendmentStatus.SCHEDULED.value
    ]


def contracts_in(ctx: Ctx, statuses: tuple[ContractStatus, ...]) -> list[Contract]:
    stmt = scoped(Contract, ctx.organization_id).where(
        Contract.status.in_([s.value for s in statuses])
    )
    return list(ctx.session.scalars(stmt.order_by(Contract.id)))
