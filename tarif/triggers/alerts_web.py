"""The usage alerts section of a contract's usage triggers page (`/contracts/{id}/triggers`):
the alerts, each with a form to edit it, a form to add one, and the levels fired. The page
itself is `tarif.triggers.web`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.context import Ctx
from tarif.contracts.models import Contract
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.tenancy.rules import Permission
from tarif.triggers import alerts_service as service
from tarif.triggers.alerts_models import UsageAlert
from tarif.triggers.alerts_rules import DEFAULT_LEVELS, threshold
from tarif.triggers.alerts_web_text import ALERT_MEASURE_LABELS, FRENCH
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register

register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

HISTORY_PAGE_SIZE = 25
EDIT_FIELDS = {"line_key", "limit", "levels"}  # what an alert's edit form shows
BLANK_FORM = {"measure": "amount", "levels": ", ".join(str(x) for x in DEFAULT_LEVELS)}


def alerts_context(
    ctx: Ctx,
    contract: Contract,
    posted: tuple[dict[str, str], dict[str, str]] | None = None,
    edited: tuple[str, dict[str, str], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """What the section shows; `posted` is (values, errors) of a refused new alert, `edited`
    (alert_id, values, errors) of a refused edit, each shown as typed."""
    values, errors = posted if posted is not None else (BLANK_FORM, {})
    metrics = service.metrics_by_line(ctx, contract)
    alerts = service.list_alerts(ctx, contract.id)
    edits = {row.id: {"values": edit_values(row), "errors": {}, "open": False} for row in alerts}
    if edited is not None and edited[0] in edits:
        edits[edited[0]] = {"values": edited[1], "errors": edited[2], "open": True}
    lines_of: dict[str, list[str]] = {}
    for key, metric in sorted(metrics.items()):
        if metric is not None:
            lines_of.setdefault(metric, []).append(key)
    return {
        "alerts": alerts,
        "alert_edits": edits,
        "alert_lines_of": lines_of,
        "alert_firings": service.firings(ctx, contract.id, PageRequest(limit=HISTORY_PAGE_SIZE)),
        "alert_values": values,
        "alert_errors": errors,
        "alert_metrics": sorted({m for m in metrics.values() if m is not None}),
        "alert_lines": sorted(k for k, m in metrics.items() if m is not None),
        "alert_measure_labels": ALERT_MEASURE_LABELS,
        "alert_threshold": threshold,
    }


def from_form(form: dict[str, str]) -> dict[str, Any]:
    """The service's JSON from the form: levels typed as `80, 100`."""
    levels = [part.strip() for part in form.get("levels", "").split(",") if part.strip()]
    data: dict[str, Any] = {
        "metric_code": form.get("metric_code", ""),
        "measure": form.get("measure", "amount"),
        "limit": form.get("limit", "").strip(),
    }
    if form.get("line_key"):
        data["line_key"] = form["line_key"]
    if levels:
        data["levels"] = levels
    return data


def edit_values(alert: UsageAlert) -> dict[str, str]:
    """The edit form of an alert, filled with its settings."""
    return {
        "line_key": alert.line_key or "",
        "limit": f"{alert.limit:f}",
        "levels": ", ".join(str(level) for level in alert.levels),
    }


def from_edit_form(form: dict[str, str]) -> dict[str, Any]:
    """The service's changes from an edit form: every field it shows (no line: every line;
    levels left empty: kept)."""
    data = {k: v for k, v in from_form(form).items() if k in EDIT_FIELDS}
    data.setdefault("line_key", None)
    return data


def _form_errors(exc: InvalidInput) -> dict[str, str]:
    """`levels.1` is shown under the one levels input."""
    errors: dict[str, str] = {}
    for name, message in field_errors(exc).items():
        key = "levels" if name.startswith("levels.") else name
        errors.setdefault(key, f"{name}: {message}" if key != name else message)
    return errors


def _back(contract_id: str, saved: str) -> RedirectResponse:
    return RedirectResponse(
        f"/contracts/{quote(contract_id, safe='')}/triggers?alert={saved}#usage-alerts",
        status_code=303,
    )


@router.post("/contracts/{contract_id}/usage-alerts")
async def add_alert(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    from tarif.triggers.web import render_page  # it imports this module

    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        service.create_alert(ctx, contract_id, from_form(form))
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        posted = (form, _form_errors(exc))
        return render_page(request, ctx, contract_id, status_code=422, alert_posted=posted)
    return _back(contract_id, "added")


@router.post("/usage-alerts/{alert_id}/edit")
async def edit_alert(request: Request, alert_id: str, ctx: WebCtx) -> Response:
    from tarif.triggers.web import render_page  # it imports this module

    ctx.require(Permission.WRITE_BILLING)
    contract_id = service.get_alert(ctx, alert_id).contract_id  # another organization's: 404
    form = await form_data(request)
    try:
        service.update_alert(ctx, alert_id, from_edit_form(form))
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        errors = _form_errors(exc)
        # Not a field of the form (the metric no longer measured by the terms): shown above it.
        others = [f"{name}: {errors.pop(name)}" for name in sorted(set(errors) - EDIT_FIELDS)]
        if others:
            errors[""] = "; ".join(others)
        edited = (alert_id, form, errors)
        return render_page(request, ctx, contract_id, status_code=422, alert_edited=edited)
    return _back(contract_id, "updated")


@router.post("/usage-alerts/{alert_id}/delete")
def remove_alert(alert_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    alert = service.delete_alert(ctx, alert_id)
    contract_id = alert.contract_id
    ctx.session.commit()
    return _back(contract_id, "removed")
