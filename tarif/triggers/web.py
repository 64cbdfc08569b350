"""Back-office page of a contract's usage triggers (`/contracts/{id}/triggers`): one form per
usage line, the threshold history and the billable items of event triggers below."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.dates import last_day
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput, NotFound
from tarif.tenancy.rules import Permission
from tarif.triggers import service
from tarif.triggers.alerts_web import alerts_context
from tarif.triggers.items_service import list_items
from tarif.triggers.rules import first_levels, form_values, from_form
from tarif.triggers.web_text import CADENCE_LABELS, FRENCH, KIND_LABELS, MEASURE_LABELS
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

HISTORY_PAGE_SIZE = 25
ITEMS_SHOWN = 50  # the latest; the API and `tarif triggers items` page through the rest


def _page(
    request: Request,
    ctx: Ctx,
    contract_id: str,
    *,
    status_code: int = 200,
    starting_after: str | None = None,
    saved: str | None = None,
    posted: tuple[str, dict[str, str], dict[str, str]] | None = None,
    alert: str | None = None,
    alert_posted: tuple[dict[str, str], dict[str, str]] | None = None,
    alert_edited: tuple[str, dict[str, str], dict[str, str]] | None = None,
) -> Response:
    """The page; `posted` is (line_key, values, errors) of a refused form, shown as typed;
    `alert` (added, updated, removed), `alert_posted` and `alert_edited` are for the usage
    alerts section."""
    if not contract_store.searchable(contract_id):
        raise NotFound("contract not found")
    contract = contract_store.load_contract(ctx, contract_id)
    lines: list[dict[str, Any]] = []
    problem = None
    for item in service.line_triggers(ctx, contract.id):
        values, errors = form_values(item.trigger), {}
        if posted is not None and posted[0] == item.line_key:
            # as typed: the saved thresholds give way to the posted inputs, even fewer of them
            kept = {k: v for k, v in values.items() if not k.startswith("thresholds.")}
            values, errors = kept | posted[1], posted[2]
        lines.append(
            {
                "item": item,
                "values": values,
                "errors": errors,
                "thresholds": _threshold_inputs(values),
                "anchor": f"line-{item.line_key}",
            }
        )
    if posted is not None and posted[0] not in {line["item"].line_key for line in lines}:
        problem = "; ".join(posted[2].values())  # a line without a form (not a usage line)
    history = service.crossings(
        ctx, contract.id, PageRequest(limit=HISTORY_PAGE_SIZE, starting_after=starting_after)
    )
    context: dict[str, Any] = {
        "contract": contract,
        "lines": lines,
        "history": history,
        "usage_items": list_items(ctx, contract.id, PageRequest(limit=ITEMS_SHOWN)),
        "saved": saved,
        "problem": problem,
        "first_levels": first_levels,
        "last_day": last_day,
        "kind_labels": KIND_LABELS,
        "measure_labels": MEASURE_LABELS,
        "cadence_labels": CADENCE_LABELS,
        "alert_saved": alert,
    }
    context |= alerts_context(ctx, contract, alert_posted, alert_edited)
    return render(request, "triggers/contract.html", context, status_code)


render_page = _page  # the usage alerts section re-renders the page with its refused forms


def _threshold_inputs(values: dict[str, str]) -> list[tuple[str, str]]:
    """(name, value) of each threshold input, `thresholds.0` on: the typed ones, then a spare."""
    inputs: list[tuple[str, str]] = []
    while f"thresholds.{len(inputs)}" in values:
        name = f"thresholds.{len(inputs)}"
        inputs.append((name, values[name]))
    if not inputs or inputs[-1][1].strip():
        inputs.append((f"thresholds.{len(inputs)}", ""))
    return inputs


@router.get("/contracts/{contract_id}/triggers")
def triggers_page(
    request: Request,
    contract_id: str,
    ctx: WebCtx,
    saved: str | None = None,
    starting_after: str | None = None,
    alert: str | None = None,
) -> Response:
    return _page(request, ctx, contract_id, saved=saved, starting_after=starting_after, alert=alert)


@router.post("/contracts/{contract_id}/triggers/{line_key}")
async def save_trigger(request: Request, contract_id: str, line_key: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        service.set_trigger(ctx, contract_id, line_key, from_form(form))
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        errors = field_errors(exc)
        if "line_key" in errors:  # about the line, not a field of the form: shown above it
            errors[""] = errors.pop("line_key")
        return _page(request, ctx, contract_id, status_code=422, posted=(line_key, form, errors))
    key = quote(line_key, safe="")
    return RedirectResponse(
        f"/contracts/{quote(contract_id, safe='')}/triggers?saved={key}#line-{key}",
        status_code=303,
    )
