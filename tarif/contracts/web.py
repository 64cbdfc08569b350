"""Back-office pages of contracts: the list, a new draft, a contract as of a day with its timeline,
lifecycle actions, amendments and termination. Edits of a draft are in `web_drafts.py`, template
pages in `web_templates.py`; forms are read by `web_forms.py`. Every page goes through
`tarif.contracts.service`."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts import web_forms as forms
from tarif.contracts.dates import last_day
from tarif.contracts.model import ContractStatus
from tarif.contracts.schemas import (
    AmendmentCreate,
    ContractCreate,
    FirstPaymentCreate,
    SignatureCreate,
    TransitionCreate,
    line_read,
    parse,
)
from tarif.contracts.web_common import (
    base_context,
    customer_choices,
    customers_by_id,
    day_of,
    first_of_next_month,
    options,
    pricelist_choices,
    pricelists_by_id,
    product_choices,
    products_by_id,
)
from tarif.contracts.web_drafts import router as drafts_router
from tarif.contracts.web_templates import router as templates_router
from tarif.contracts.web_text import (
    ACTIVATION_LABELS,
    ALIGNMENT_LABELS,
    DISCOUNT_KIND_LABELS,
    FEE_KIND_LABELS,
    GROUPING_LABELS,
    STATUS_LABELS,
    TERMINATION_LABELS,
    TIMING_LABELS,
)
from tarif.contracts.web_views import contract_row, timeline
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, FieldError, Forbidden, InvalidInput
from tarif.pricing.summary import charge_summary
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(templates_router)
router.include_router(drafts_router)

PAGE_SIZE = 25
ACTION_FIELDS = {"date", "reason", "forced"}


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


# --- list --------------------------------------------------------------------------------------


@router.get("/contracts")
def contracts_page(
    request: Request,
    ctx: WebCtx,
    q: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    renewal_due_before: str | None = None,
    starting_after: str | None = None,
) -> Response:
    status = status if status in STATUS_LABELS else None
    errors: dict[str, str] = {}
    try:
        before = day_of(renewal_due_before, "renewal_due_before")
    except InvalidInput as exc:
        errors, before = field_errors(exc), None
    page = service.list_contracts(
        ctx,
        PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q or None),
        status=ContractStatus(status) if status else None,
        customer_id=customer_id or None,
        renewal_due_before=before,
    )
    names = customers_by_id(ctx, {c.customer_id for c in page.items})
    rows = [
        contract_row(ctx, c, names[c.customer_id].legal_name if c.customer_id in names else "")
        for c in page.items
    ]
    query = {
        "q": q,
        "status": status,
        "customer_id": customer_id,
        "renewal_due_before": renewal_due_before if before else None,
    }
    kept = {k: v for k, v in query.items() if v}
    first_url = "/contracts" + (f"?{urlencode(kept)}" if kept else "")
    next_url = (
        f"/contracts?{urlencode(kept | {'starting_after': page.next_cursor})}"
        if page.next_cursor
        else None
    )
    context = base_context(
        request,
        ctx,
        rows=rows,
        filters=query,
        filtered=bool(kept),
        errors=errors,
        statuses=options(request, STATUS_LABELS),
        customers=customer_choices(ctx, keep=customer_id),
        first_url=first_url,
        next_url=next_url,
        is_first_page=not starting_after,
    )
    return render(request, "contracts/list.html", context, 422 if errors else 200)


# --- new draft ---------------------------------------------------------------------------------


def _new_form(
    request: Request,
    ctx: Ctx,
    values: dict[str, Any],
    errors: dict[str, str],
    rows: int,
    status_code: int = 200,
) -> Response:
    context = base_context(
        request,
        ctx,
        values=values,
        errors=errors,
        rows=rows,
        customers=customer_choices(ctx, keep=values.get("customer_id")),
        products=product_choices(ctx, request),
        pricelists=pricelist_choices(ctx),
        alignments=options(request, ALIGNMENT_LABELS),
        groupings=options(request, GROUPING_LABELS),
        activations=options(request, ACTIVATION_LABELS),
        timings=options(request, TIMING_LABELS),
        fee_kinds=options(request, FEE_KIND_LABELS),
    )
    return render(request, "contracts/form.html", context, status_code)


@router.get("/contracts/new")
def new_contract_page(
    request: Request, ctx: WebCtx, customer_id: str | None = None, rows: str | None = None
) -> Response:
    ctx.require(Permission.WRITE_BILLING)  # a form one may not send is not shown
    values = {
        "customer_id": customer_id or "",
        "start_date": service.today(ctx).isoformat(),
        "billing_alignment": "anniversary",
        "invoice_grouping": "customer",
        "credit_on_termination": "true",
        "activation.condition": "manual",
        "notice_months": "0",
        "notice_days": "0",
    }
    return _new_form(request, ctx, values, {}, forms.row_count({}, "lines", rows, forms.LINE_ROWS))


@router.post("/contracts/new")
async def create_contract(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    count = forms.row_count(form, "lines", form.get("rows"), forms.LINE_ROWS)
    rows = forms.line_rows(form, count)
    try:
        if not rows.lines:
            raise forms.page_error("lines.0.product_id", "a contract needs at least one line")
        data = parse(ContractCreate, forms.contract_values(form, rows))
        contract = service.create_contract(ctx, data=data)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        errors = forms.place_errors(
            forms.rename_nested(field_errors(exc), rows), forms.contract_fields(count)
        )
        return _new_form(request, ctx, form, errors, count, 422)
    return _redirect(f"/contracts/{contract.id}?saved=1")


# --- one contract ------------------------------------------------------------------------------


def _detail(
    request: Request,
    ctx: Ctx,
    contract_id: str,
    *,
    as_of: date | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    view = service.show_contract(ctx, contract_id, as_of=as_of)
    contract = view.contract
    terms = view.terms
    history = service.amendment_history(ctx, contract.id)
    versions = service.contract_versions(ctx, contract.id)
    today = service.today(ctx)
    waiting = [
        a
        for a in history
        if a.row.status == "draft" or (a.row.status == "scheduled" and a.row.effective_date > today)
    ]
    products = products_by_id(ctx, {line.product_id for v in versions for line in v.terms.lines})
    pricelists = pricelists_by_id(ctx, {terms.pricelist_id} if terms.pricelist_id else set())
    context = base_context(
        request,
        ctx,
        view=view,
        contract=contract,
        terms=terms,
        lines=[(line_read(terms, line), line) for line in terms.lines],
        end_last_day=None if terms.end_date is None else last_day(terms.end_date),
        term_last_day=None if view.term.end is None else last_day(view.term.end),
        alignment_labels=ALIGNMENT_LABELS,
        grouping_labels=GROUPING_LABELS,
        activation_labels=ACTIVATION_LABELS,
        charge_summary=charge_summary,
        customer=customers.get_customer(ctx, contract.customer_id),
        products=products,
        pricelist=pricelists.get(terms.pricelist_id or ""),
        versions=versions,
        timeline=timeline(versions, history, view.transitions),
        waiting=waiting,
        today=today,
        as_of=as_of,
        actions=[a.value for a in view.allowed_actions],
        signed_on=contract.signed_on or terms.signed_on,
        audit_events=events_for_object(ctx, contract.id),
        saved=request.query_params.get("saved") == "1",
        action_values={},
        action_errors={},
        fact_errors={},
        problem=None,
        as_of_error=None,
    )
    context.update(extra)
    return render(request, "contracts/detail.html", context, status_code)


@router.get("/contracts/{contract_id}")
def contract_page(
    request: Request, contract_id: str, ctx: WebCtx, as_of: str | None = None
) -> Response:
    try:
        day = day_of(as_of, "as_of")
    except InvalidInput as exc:
        message = field_errors(exc)["as_of"]
        return _detail(request, ctx, contract_id, status_code=422, as_of_error=message)
    return _detail(request, ctx, contract_id, as_of=day, as_of_text=as_of or "")


def _status_of(exc: Exception) -> int:
    return 409 if isinstance(exc, Conflict) else 422


@router.post("/contracts/{contract_id}/transition")
async def transition(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    service.get_contract(ctx, contract_id)  # another organization's: 404 before anything
    form = await form_data(request)
    values = {
        "action": form.get("action", ""),
        "date": form.get("date", "").strip() or None,
        "reason": form.get("reason", "").strip(),
        "forced": form.get("forced") == "on",
    }
    try:
        if values["action"] == "terminate":
            return _redirect(f"/contracts/{contract_id}/terminate")
        service.transition(ctx, contract_id, data=parse(TransitionCreate, values))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        errors = forms.place_errors(field_errors(exc), ACTION_FIELDS)
        return _detail(
            request,
            ctx,
            contract_id,
            status_code=_status_of(exc),
            action_values=form,
            action_errors=errors,
        )
    return _redirect(f"/contracts/{contract_id}")


async def _record_fact(request: Request, contract_id: str, ctx: Ctx, fact: str) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    service.get_contract(ctx, contract_id)
    form = await form_data(request)
    try:
        if fact == "signed_on":
            signature = parse(SignatureCreate, {"signed_on": form.get("signed_on") or None})
            service.record_signature(ctx, contract_id, signed_on=signature.signed_on)
        else:
            payment = parse(FirstPaymentCreate, {"paid_on": form.get("paid_on") or None})
            service.record_first_payment(ctx, contract_id, paid_on=payment.paid_on)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        errors = forms.place_errors(field_errors(exc), {fact})
        if "" in errors:
            errors = {fact: errors.pop("")} | errors
        return _detail(request, ctx, contract_id, status_code=_status_of(exc), fact_errors=errors)
    return _redirect(f"/contracts/{contract_id}")


@router.post("/contracts/{contract_id}/signature")
async def record_signature(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    return await _record_fact(request, contract_id, ctx, "signed_on")


@router.post("/contracts/{contract_id}/first-payment")
async def record_first_payment(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    return await _record_fact(request, contract_id, ctx, "paid_on")


@router.post("/contracts/{contract_id}/amendments/{amendment_id}/{step}")
def amendment_step(
    request: Request, contract_id: str, amendment_id: str, step: str, ctx: WebCtx
) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    service.get_amendment(ctx, amendment_id, contract_id=contract_id)
    try:
        if step == "schedule":
            service.schedule_amendment(ctx, amendment_id)
        elif step == "cancel":
            service.cancel_amendment(ctx, amendment_id)
        else:
            raise Conflict(f"unknown step '{step}': schedule or cancel")
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return _detail(request, ctx, contract_id, status_code=_status_of(exc), problem=exc.detail)
    return _redirect(f"/contracts/{contract_id}#timeline")


# --- amendments --------------------------------------------------------------------------------


def _line_keys(ctx: Ctx, contract_id: str) -> list[tuple[str, str]]:
    """Every line the contract has had, latest description first seen."""
    seen: dict[str, str] = {}
    for version in service.contract_versions(ctx, contract_id):
        for line in version.terms.lines:
            seen.setdefault(line.line_key, f"{line.line_key} · {line.description}".strip(" ·"))
    return list(seen.items())


def _amend_form(
    request: Request,
    ctx: Ctx,
    contract_id: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    view = service.show_contract(ctx, contract_id)
    context = base_context(
        request,
        ctx,
        contract=view.contract,
        view=view,
        values=values,
        errors=errors,
        line_keys=_line_keys(ctx, contract_id),
        products=product_choices(ctx, request),
        pricelists=pricelist_choices(ctx),
        timings=options(request, TIMING_LABELS),
        discount_kinds=options(request, DISCOUNT_KIND_LABELS),
        fee_kinds=options(request, FEE_KIND_LABELS),
    )
    return render(request, "contracts/amend.html", context, status_code)


@router.get("/contracts/{contract_id}/amend")
def amend_page(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    values = {"effective_date": first_of_next_month(service.today(ctx)).isoformat()}
    return _amend_form(request, ctx, contract_id, values, {})


def _terminate_on(ctx: Ctx, contract_id: str, amendment: forms.AmendmentForm) -> None:
    """The amendment form's "terminate" box: a termination on the effective date."""
    if amendment.kinds:
        raise forms.page_error("terminate.enabled", "a termination is made alone")
    if not amendment.values["schedule"]:
        raise forms.page_error("terminate.enabled", "a termination cannot be saved as a draft")
    values = {
        "action": "terminate",
        "mode": "on_date",
        "date": amendment.values["effective_date"],
        "reason": amendment.values["reason"],
    }
    try:
        service.transition(ctx, contract_id, data=parse(TransitionCreate, values))
    except InvalidInput as exc:
        # The termination's date is the amendment form's effective date.
        renamed = [
            FieldError("effective_date" if e.field == "date" else e.field, e.message)
            for e in exc.errors
        ]
        raise InvalidInput(exc.detail, renamed) from None
    except Forbidden as exc:  # ending without notice: admins only, said beside the box
        raise forms.page_error("terminate.enabled", exc.detail) from None


@router.post("/contracts/{contract_id}/amend")
async def amend(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    service.get_contract(ctx, contract_id)
    form = await form_data(request)
    amendment = forms.amendment_form(form)
    try:
        if amendment.terminate:
            _terminate_on(ctx, contract_id, amendment)
        else:
            if not amendment.kinds:
                raise forms.page_error("", "tick at least one change to make")
            data = parse(AmendmentCreate, amendment.values)
            service.create_amendment(ctx, contract_id, data=data)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        errors = forms.amendment_errors(field_errors(exc), amendment)
        return _amend_form(request, ctx, contract_id, form, errors, _status_of(exc))
    return _redirect(f"/contracts/{contract_id}#timeline")


# --- termination -------------------------------------------------------------------------------


def _terminate_form(
    request: Request,
    ctx: Ctx,
    contract_id: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    view = service.show_contract(ctx, contract_id)
    context = base_context(
        request,
        ctx,
        contract=view.contract,
        view=view,
        values=values,
        errors=errors,
        modes=options(request, TERMINATION_LABELS),
        products=product_choices(ctx, request),
    )
    return render(request, "contracts/terminate.html", context, status_code)


@router.get("/contracts/{contract_id}/terminate")
def terminate_page(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    return _terminate_form(request, ctx, contract_id, {"mode": "at_term_end"}, {})


@router.post("/contracts/{contract_id}/terminate")
async def terminate(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    service.get_contract(ctx, contract_id)
    form = await form_data(request)
    status_code = 422
    try:
        data = parse(TransitionCreate, forms.termination_values(form))
        service.transition(ctx, contract_id, data=data)
        ctx.session.commit()
    except (InvalidInput, Conflict, Forbidden) as exc:
        # A finance user ending without notice is refused by the service: said beside the box.
        ctx.session.rollback()
        errors = forms.place_errors(field_errors(exc), forms.TERMINATION_FIELDS)
        if isinstance(exc, Forbidden):
            errors = {("forced" if form.get("forced") else "mode"): exc.detail}
            status_code = 403
        elif isinstance(exc, Conflict):
            status_code = 409
        return _terminate_form(request, ctx, contract_id, form, errors, status_code)
    return _redirect(f"/contracts/{contract_id}#timeline")
