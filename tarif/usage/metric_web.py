"""Back-office pages of metrics: `/metrics` (list), `/metrics/new`, and `/metrics/{id}` (the
definition, its edit form, and the quantities of a customer over a period with the events
counted)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, ErrorCollector, InvalidInput, NotFound
from tarif.tenancy.rules import Permission
from tarif.usage import metric_service as service
from tarif.usage.metric_rules import filter_lines, filters_from_json, parse_filter_lines
from tarif.usage.metric_web_text import AGGREGATION_LABELS, FRENCH
from tarif.usage.models import Metric
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
EVENTS_SHOWN = 20
FORM_FIELDS = service.FIELDS  # the form edits every field of a metric


def _common(**extra: Any) -> dict[str, Any]:
    return {"aggregation_labels": AGGREGATION_LABELS, **extra}


def _data(form: dict[str, str], errors: ErrorCollector) -> dict[str, Any]:
    """The service's data from the form: filters typed one a line, group-by with commas."""
    data: dict[str, Any] = {k: form.get(k, "") for k in FORM_FIELDS if k != "recurring"}
    data["recurring"] = "recurring" in form
    data["filters"] = parse_filter_lines(form.get("filters", ""), errors)
    data["group_by"] = [p.strip() for p in form.get("group_by", "").split(",") if p.strip()]
    return data


def _errors(exc: InvalidInput | Conflict) -> dict[str, str]:
    """Errors on a filter or a group-by property (`filters.1.op`) shown under their box."""
    shown: dict[str, str] = {}
    for name, message in field_errors(exc).items():
        box = name.split(".", 1)[0]
        detail = f"{name.split('.', 1)[1]}: {message}" if "." in name else message
        shown.setdefault(box, detail)
    return shown


@router.get("/metrics")
def metrics_page(
    request: Request, ctx: WebCtx, q: str | None = None, starting_after: str | None = None
) -> Response:
    page = service.list_metrics(
        ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q or None)
    )
    next_url = None
    if page.has_more:
        next_url = f"/metrics?starting_after={page.next_cursor}" + (f"&q={q}" if q else "")
    return render(
        request, "metrics/list.html", _common(metrics=page.items, q=q or "", next_url=next_url)
    )


def _form(
    request: Request, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(request, "metrics/form.html", _common(values=values, errors=errors), status_code)


@router.get("/metrics/new")
def new_metric_page(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_CATALOG)
    return _form(request, {"aggregation": "count", "unit": "unit"}, {})


@router.post("/metrics/new")
async def create_metric(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_CATALOG)
    form = await form_data(request)
    try:
        parsing = ErrorCollector()
        data = _data(form, parsing)
        parsing.raise_if_any("The metric has invalid fields")
        metric = service.create_metric(ctx, data)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        values = dict(form) | {"recurring": "recurring" in form}
        return _form(request, values, _errors(exc), 422)
    return RedirectResponse(f"/metrics/{metric.id}", status_code=303)


def _quantities(
    ctx: Ctx, metric: Metric, query: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The dry view: a customer's quantities over a period, and the first events counted."""
    if not query.get("customer"):
        return {}, {}
    errors: dict[str, str] = {}
    try:
        customer = customers.resolve_customer(ctx, query["customer"])
    except NotFound as exc:
        return {}, {"customer": exc.detail}
    days: dict[str, date] = {}
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(query.get(name, ""))
        except ValueError:
            errors[name] = "a date written YYYY-MM-DD"
    if errors:
        return {}, errors
    try:
        rows = service.aggregate_metric(ctx, metric.id, customer.id, days["from"], days["to"])
        events = service.events_counted(
            ctx, metric.id, customer.id, days["from"], days["to"], limit=EVENTS_SHOWN
        )
    except InvalidInput as exc:
        return {}, _errors(exc)
    return {"customer": customer, "rows": rows, "events": events}, {}


def _detail(
    request: Request, ctx: Ctx, metric: Metric, status_code: int = 200, **extra: Any
) -> Response:
    query = dict(request.query_params)
    result, query_errors = _quantities(ctx, metric, query)
    context = _common(
        metric=metric,
        filters_text=filter_lines(filters_from_json(metric.filters or [])),
        query=query,
        query_errors=query_errors,
        result=result,
        audit_events=events_for_object(ctx, metric.id),
        **({"values": {}, "errors": {}, "saved": False} | extra),
    )
    return render(request, "metrics/detail.html", context, status_code)


@router.get("/metrics/{metric_id}")
def metric_page(
    request: Request, metric_id: str, ctx: WebCtx, saved: str | None = None
) -> Response:
    return _detail(request, ctx, service.get_metric(ctx, metric_id), saved=saved == "1")


@router.post("/metrics/{metric_id}")
async def update_metric(request: Request, metric_id: str, ctx: WebCtx) -> Response:
    metric = service.get_metric(ctx, metric_id)
    ctx.require(Permission.WRITE_CATALOG)
    form = await form_data(request)
    try:
        parsing = ErrorCollector()
        data = _data(form, parsing)
        parsing.raise_if_any("The metric has invalid fields")
        service.update_metric(ctx, metric.id, data)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        metric = service.get_metric(ctx, metric_id)
        values = dict(form) | {"recurring": "recurring" in form}
        status_code = 409 if isinstance(exc, Conflict) else 422
        return _detail(request, ctx, metric, status_code, values=values, errors=_errors(exc))
    return RedirectResponse(f"/metrics/{metric.id}?saved=1", status_code=303)


@router.post("/metrics/{metric_id}/archive")
def archive_metric(request: Request, metric_id: str, ctx: WebCtx) -> Response:
    metric = service.archive_metric(ctx, metric_id)
    ctx.session.commit()
    return RedirectResponse(f"/metrics/{metric.id}", status_code=303)
