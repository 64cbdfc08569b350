"""Back-office pages of contract templates: list, create, a version with its parameters and
lines, edit (which stores the next version) and instantiate (a draft contract from a version)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.catalog.periodicity import Periodicity, format_periodicity
from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts import web_forms as forms
from tarif.contracts.dates import last_day
from tarif.contracts.model import Discount, MinimumCommitment
from tarif.contracts.parameters import ParameterType, TemplateParameter
from tarif.contracts.schemas import (
    TemplateCreate,
    TemplateInstantiate,
    TemplateUpdate,
    parse,
)
from tarif.contracts.templates import TemplateLine, TemplateVersion
from tarif.contracts.web_common import (
    base_context,
    customer_choices,
    options,
    pricelist_choices,
    product_codes,
)
from tarif.contracts.web_text import (
    ACTIVATION_LABELS,
    ALIGNMENT_LABELS,
    GROUPING_LABELS,
    KIND_CHOICES,
    PARAMETER_TYPE_LABELS,
    TIMING_LABELS,
)
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
INSTANTIATE_FIELDS = {"customer_id", "reference", "pricelist_id", "purchase_order", "version"}


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


# --- list --------------------------------------------------------------------------------------


@router.get("/contract-templates")
def templates_page(
    request: Request, ctx: WebCtx, q: str | None = None, starting_after: str | None = None
) -> Response:
    page = service.list_templates(
        ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q or None)
    )
    kept = {"q": q} if q else {}
    next_url = (
        f"/contract-templates?{urlencode(kept | {'starting_after': page.next_cursor})}"
        if page.next_cursor
        else None
    )
    context = base_context(
        request,
        ctx,
        page=page,
        q=q or "",
        first_url="/contract-templates" + (f"?{urlencode(kept)}" if kept else ""),
        next_url=next_url,
        is_first_page=not starting_after,
    )
    return render(request, "contracts/templates.html", context)


# --- create and edit ---------------------------------------------------------------------------


def _periodicity_text(value: Any) -> str:
    return format_periodicity(value) if isinstance(value, Periodicity) else forms.shown(value)


def _form_of(version: TemplateVersion) -> dict[str, Any]:
    """A version as the form shows it, parameters as `{name}`."""
    terms = version.terms
    values: dict[str, Any] = {
        "name": version.name,
        "description": version.description,
        "terms.start_date": forms.shown(terms.start_date),
        "terms.initial_term_months": forms.shown(terms.initial_term_months),
        "terms.renewal_months": forms.shown(terms.renewal.months),
        "terms.notice_months": str(terms.notice.months),
        "terms.notice_days": str(terms.notice.days),
        "terms.billing_alignment": terms.billing_alignment.value,
        "terms.invoice_grouping": terms.invoice_grouping.value,
        "terms.activation.condition": terms.activation.condition.value,
    }
    for row, parameter in enumerate(version.parameters):
        values |= {
            f"parameters.{row}.name": parameter.name,
            f"parameters.{row}.type": parameter.type.value,
            f"parameters.{row}.default": forms.shown(parameter.default),
            f"parameters.{row}.choices": ", ".join(parameter.choices),
            f"parameters.{row}.label": parameter.label,
        }
    for row, line in enumerate(version.lines):
        values |= {
            f"lines.{row}.line_key": line.line_key,
            f"lines.{row}.product": forms.shown(line.product),
            f"lines.{row}.kind": line.kind.value,
            f"lines.{row}.quantity": forms.shown(line.quantity),
            f"lines.{row}.periodicity": _periodicity_text(line.periodicity),
            f"lines.{row}.timing": line.timing.value,
            f"lines.{row}.unit_price": forms.shown(line.unit_price),
            f"lines.{row}.description": line.description,
        }
    return values


def _discount(d: Discount) -> dict[str, Any]:
    found = {
        "kind": d.kind.value,
        "value": str(d.value),
        "periods": d.periods,
        "until": None if d.until is None else last_day(d.until).isoformat(),
        "start": None if d.start is None else d.start.isoformat(),
    }
    return {k: v for k, v in found.items() if v is not None}


def _commitment(c: MinimumCommitment | None) -> dict[str, Any] | None:
    if c is None:
        return None
    periodicity = None if c.periodicity is None else format_periodicity(c.periodicity)
    return {"amount": str(c.amount), "periodicity": periodicity}


def _kept_line(line: TemplateLine) -> dict[str, Any]:
    """What a line has that the form does not show, carried into the next version."""
    kept: dict[str, Any] = {}
    if line.discounts:
        kept["discounts"] = [_discount(d) for d in line.discounts]
    if line.start is not None:
        kept["start"] = forms.param_or_value(forms.shown(line.start))
    if isinstance(line.end, date):
        kept["end_date"] = forms.last_day_text(line.end)
    if line.minimum_commitment is not None:
        kept["minimum_commitment"] = _commitment(line.minimum_commitment)
    return kept


def _kept_terms(version: TemplateVersion) -> dict[str, Any]:
    terms = version.terms
    kept: dict[str, Any] = {}
    if isinstance(terms.end_date, date):
        kept["end_date"] = forms.last_day_text(terms.end_date)
    if terms.payment_terms_days is not None:
        kept["payment_terms_days"] = terms.payment_terms_days
    if terms.minimum_commitment is not None:
        kept["minimum_commitment"] = _commitment(terms.minimum_commitment)
    if terms.metadata:
        kept["metadata"] = dict(terms.metadata)
    return kept


def _template_form(
    request: Request,
    ctx: Ctx,
    *,
    template_id: str | None,
    values: dict[str, Any],
    errors: dict[str, str],
    lines: int,
    parameters: int,
    status_code: int = 200,
) -> Response:
    context = base_context(
        request,
        ctx,
        template_id=template_id,
        values=values,
        errors=errors,
        line_rows=lines,
        parameter_rows=parameters,
        product_codes=product_codes(ctx),
        kinds=options(request, KIND_CHOICES),
        parameter_types=options(request, PARAMETER_TYPE_LABELS),
        alignments=options(request, ALIGNMENT_LABELS),
        groupings=options(request, GROUPING_LABELS),
        activations=options(request, ACTIVATION_LABELS),
        timings=options(request, TIMING_LABELS),
    )
    return render(request, "contracts/template_form.html", context, status_code)


def _counts(form: dict[str, str], rows: str | None, params: str | None) -> tuple[int, int]:
    return (
        forms.row_count(form, "lines", rows, forms.LINE_ROWS),
        forms.row_count(form, "parameters", params, forms.PARAMETER_ROWS),
    )


@router.get("/contract-templates/new")
def new_template_page(
    request: Request, ctx: WebCtx, rows: str | None = None, params: str | None = None
) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    values = {
        "terms.start_date": "{start_date}",
        "parameters.0.name": "start_date",
        "parameters.0.type": "date",
        "terms.notice_months": "0",
        "terms.notice_days": "0",
        "terms.billing_alignment": "anniversary",
        "terms.invoice_grouping": "customer",
        "terms.activation.condition": "manual",
    }
    lines, parameters = _counts({}, rows, params)
    return _template_form(
        request, ctx, template_id=None, values=values, errors={}, lines=lines, parameters=parameters
    )


@router.post("/contract-templates/new")
async def create_template(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    lines, parameters = _counts(form, form.get("rows"), form.get("params"))
    values, line_rows, parameter_rows = forms.template_values(form, lines, parameters)
    try:
        template = service.create_template(ctx, data=parse(TemplateCreate, values))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        known = forms.template_fields(lines, parameters)
        errors = forms.template_errors(field_errors(exc), line_rows, parameter_rows, known)
        return _template_form(
            request,
            ctx,
            template_id=None,
            values=form,
            errors=errors,
            lines=lines,
            parameters=parameters,
            status_code=422,
        )
    return _redirect(f"/contract-templates/{template.id}?saved=1")


@router.get("/contract-templates/{template_id}/edit")
def edit_template_page(
    request: Request,
    template_id: str,
    ctx: WebCtx,
    rows: str | None = None,
    params: str | None = None,
) -> Response:
    view = service.template_version(ctx, template_id)
    ctx.require(Permission.WRITE_BILLING)
    values = _form_of(view.version)
    lines, parameters = _counts(values, rows, params)
    # One empty row more than the version has, to add a line or a parameter.
    lines = max(lines, min(forms.MAX_ROWS, len(view.version.lines) + 1))
    parameters = max(parameters, min(forms.MAX_ROWS, len(view.version.parameters) + 1))
    return _template_form(
        request,
        ctx,
        template_id=template_id,
        values=values,
        errors={},
        lines=lines,
        parameters=parameters,
    )


@router.post("/contract-templates/{template_id}/edit")
async def edit_template(request: Request, template_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    latest = service.template_version(ctx, template_id).version
    form = await form_data(request)
    lines, parameters = _counts(form, form.get("rows"), form.get("params"))
    kept = {line.line_key: _kept_line(line) for line in latest.lines}
    values, line_rows, parameter_rows = forms.template_values(
        form, lines, parameters, kept, _kept_terms(latest)
    )
    try:
        service.update_template(ctx, template_id, data=parse(TemplateUpdate, values))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        known = forms.template_fields(lines, parameters)
        errors = forms.template_errors(field_errors(exc), line_rows, parameter_rows, known)
        return _template_form(
            request,
            ctx,
            template_id=template_id,
            values=form,
            errors=errors,
            lines=lines,
            parameters=parameters,
            status_code=422,
        )
    return _redirect(f"/contract-templates/{template_id}?saved=1")


# --- one template ------------------------------------------------------------------------------


def _version_number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@router.get("/contract-templates/{template_id}")
def template_page(
    request: Request, template_id: str, ctx: WebCtx, version: str | None = None
) -> Response:
    view = service.template_version(ctx, template_id, number=_version_number(version))
    context = base_context(
        request,
        ctx,
        template=view.template,
        row=view.row,
        version=view.version,
        versions=service.template_versions(ctx, template_id),
        shown=forms.shown,
        periodicity_text=_periodicity_text,
        alignment_labels=ALIGNMENT_LABELS,
        activation_labels=ACTIVATION_LABELS,
        parameter_type_labels=PARAMETER_TYPE_LABELS,
        audit_events=events_for_object(ctx, view.template.id),
        saved=request.query_params.get("saved") == "1",
    )
    return render(request, "contracts/template.html", context)


# --- instantiate -------------------------------------------------------------------------------


def _input_type(parameter: TemplateParameter) -> str:
    if parameter.type is ParameterType.DATE:
        return "date"
    if parameter.type is ParameterType.INT:
        return "number"
    return "text"


def _instantiate_form(
    request: Request,
    ctx: Ctx,
    template_id: str,
    number: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    view = service.template_version(ctx, template_id, number=number)
    context = base_context(
        request,
        ctx,
        template=view.template,
        version=view.version,
        version_options=[
            (str(v.number), f"{v.number} · {v.name}")
            for v in service.template_versions(ctx, template_id)
        ],
        parameters=[
            (p, _input_type(p), [(c, c) for c in p.choices]) for p in view.version.parameters
        ],
        values=values,
        errors=errors,
        customers=customer_choices(ctx, keep=values.get("customer_id")),
        pricelists=pricelist_choices(ctx),
    )
    return render(request, "contracts/instantiate.html", context, status_code)


@router.get("/contract-templates/{template_id}/instantiate")
def instantiate_page(
    request: Request,
    template_id: str,
    ctx: WebCtx,
    version: str | None = None,
    customer_id: str | None = None,
) -> Response:
    view = service.template_version(ctx, template_id, number=_version_number(version))
    ctx.require(Permission.WRITE_BILLING)
    values: dict[str, Any] = {"customer_id": customer_id or "", "version": str(view.row.number)}
    for parameter in view.version.parameters:
        values[f"parameters.{parameter.name}"] = forms.shown(parameter.default)
    return _instantiate_form(request, ctx, template_id, view.row.number, values, {})


@router.post("/contract-templates/{template_id}/instantiate")
async def instantiate(request: Request, template_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    number = _version_number(form.get("version"))
    view = service.template_version(ctx, template_id, number=number)
    names = [p.name for p in view.version.parameters]
    try:
        data = parse(TemplateInstantiate, forms.instantiate_values(form, names))
        contract = service.instantiate_template(ctx, template_id, data=data)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        known = INSTANTIATE_FIELDS | {f"parameters.{name}" for name in names}
        errors = forms.place_errors(field_errors(exc), known)
        return _instantiate_form(request, ctx, template_id, number, form, errors, 422)
    return _redirect(f"/contracts/{contract.id}?saved=1")
