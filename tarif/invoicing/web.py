"""Back-office pages of invoicing: invoices (list, detail, finalize, payments) and billing runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.invoicing import run_jobs, service, service_invoices
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.invoicing.run_progress import TRACKER
from tarif.invoicing.schemas import last_day
from tarif.invoicing.web_drafts import draft_context
from tarif.invoicing.web_text import FRENCH, STATUS_BADGES, STATUS_LABELS
from tarif.money import currency, round_to_minor_unit
from tarif.tenancy.rules import Permission
from tarif.usage.metric_web_text import AGGREGATION_LABELS
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
CUSTOMER_CHOICES = 100


def _percent(rate: Decimal | str) -> str:
    """Rates are stored in percent (`20.00`): shown as `20 %`."""
    return f"{Decimal(rate).normalize():f} %"


def _line_vat(line: InvoiceLine, code: str) -> Decimal:
    # Shown per line for reading only: the invoice's VAT is rounded once per rate (breakdown).
    return round_to_minor_unit(line.net_amount * line.vat_rate / 100, currency(code))


def _customer_names(ctx: Ctx, ids: set[str]) -> dict[str, str]:
    return {cid: customers.get_customer(ctx, cid).legal_name for cid in ids}


def _parse_date(form: dict[str, str | None], name: str, default: date | None = None) -> date | None:
    text = (form.get(name) or "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput.on(name, "not a date (YYYY-MM-DD)") from exc


def _common(**extra: Any) -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "aggregation_labels": AGGREGATION_LABELS,
        **extra,
    }


# --- invoices --------------------------------------------------------------------------------


@router.get("/invoices")
def invoices_page(
    request: Request,
    ctx: WebCtx,
    status: str | None = None,
    customer_id: str | None = None,
    billed_from: str | None = None,
    billed_to: str | None = None,
    overdue: str | None = None,
    starting_after: str | None = None,
) -> Response:
    status = status if status in STATUS_LABELS else None
    customer_id = customer_id or None
    filters = {
        "status": status,
        "customer_id": customer_id,
        "billed_from": billed_from or None,
        "billed_to": billed_to or None,
        "overdue": "1" if overdue == "1" else None,
    }
    query = {k: v for k, v in filters.items() if v}
    try:
        page = service.list_invoices(
            ctx,
            PageRequest(limit=PAGE_SIZE, starting_after=starting_after),
            status=status,
            customer_id=customer_id,
            billed_from=_parse_date(filters, "billed_from"),
            billed_to=_parse_date(filters, "billed_to"),
            overdue=True if filters["overdue"] else None,
        )
        filter_errors: dict[str, str] = {}
    except InvalidInput as exc:
        page = service.list_invoices(ctx, PageRequest(limit=PAGE_SIZE), status=status)
        filter_errors = field_errors(exc)
    choices = customers.list_customers(ctx, PageRequest(limit=CUSTOMER_CHOICES), archived=None)
    context = _common(
        filters={k: v or "" for k, v in filters.items()},
        filter_errors=filter_errors,
        rows=[(i, service.is_overdue(ctx, i)) for i in page.items],
        names=_customer_names(ctx, {i.customer_id for i in page.items}),
        customers=[(c.id, c.legal_name) for c in choices.items],
        status=status or "",
        customer_id=customer_id or "",
        first_url="/invoices" + (f"?{urlencode(query)}" if query else ""),
        next_url=(
            "/invoices?" + urlencode(query | {"starting_after": page.next_cursor})
            if page.has_more
            else None
        ),
        is_first_page=not starting_after,
    )
    return render(request, "invoicing/list.html", context)


def _detail(
    request: Request, ctx: Ctx, invoice: Invoice, status_code: int = 200, **extra: Any
) -> Response:
    lines = service.invoice_lines(ctx, invoice.id)
    code = invoice.currency
    context = _common(
        invoice=invoice,
        customer_name=_customer_names(ctx, {invoice.customer_id})[invoice.customer_id],
        overdue=service.is_overdue(ctx, invoice),
        lines=[(line, last_day(line.period_end), _line_vat(line, code)) for line in lines],
        explanation=service.explain(ctx, invoice.id),
        payments=service.invoice_payments(ctx, invoice.id),
        due=service_invoices.amount_due(invoice),
        percent=_percent,
        audit_events=events_for_object(ctx, invoice.id),
        **(
            {"payment_values": {}, "payment_errors": {}, "problem": None}
            | draft_context(ctx, invoice)
            | extra
        ),
    )
    return render(request, "invoicing/detail.html", context, status_code)


@router.get("/invoices/{invoice_id}")
def invoice_page(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    if invoice.kind == "credit_note":  # credit notes have their own page
        return RedirectResponse(f"/credit-notes/{invoice.id}", status_code=303)
    return _detail(request, ctx, invoice)


@router.post("/invoices/{invoice_id}/finalize")
def finalize_invoice(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    try:
        service.finalize_invoice(ctx, invoice.id)
        ctx.session.commit()
    except Conflict as exc:
        ctx.session.rollback()
        invoice = service.get_invoice(ctx, invoice_id)
        return _detail(request, ctx, invoice, 409, problem=exc.detail)
    return RedirectResponse(f"/invoices/{invoice.id}", status_code=303)


@router.post("/invoices/{invoice_id}/payments")
async def record_payment(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        paid_on = _parse_date(form, "date")
        service.record_payment(
            ctx,
            invoice.id,
            amount=form.get("amount", "").strip(),
            paid_on=paid_on,
            reference=form.get("reference", "").strip(),
        )
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        invoice = service.get_invoice(ctx, invoice_id)
        errors = field_errors(exc)
        return _detail(request, ctx, invoice, 422, payment_values=form, payment_errors=errors)
    return RedirectResponse(f"/invoices/{invoice.id}#payments", status_code=303)


# --- billing runs ----------------------------------------------------------------------------


def _runs(
    request: Request,
    ctx: Ctx,
    starting_after: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    page = service.list_runs(ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after))
    context = _common(
        runs=page.items,
        next_url=(
            "/billing-runs?" + urlencode({"starting_after": page.next_cursor})
            if page.has_more
            else None
        ),
        is_first_page=not starting_after,
        last_run=service.last_run_date(ctx),
        **({"values": {}, "errors": {}, "preview": None, "names": {}} | extra),
    )
    return render(request, "invoicing/runs.html", context, status_code)


@router.get("/billing-runs")
def runs_page(request: Request, ctx: WebCtx, starting_after: str | None = None) -> Response:
    return _runs(request, ctx, starting_after)


@router.post("/billing-runs")
async def run_billing(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    dry_run = form.get("dry_run") == "on"
    finalize = form.get("finalize") == "on"  # `finalize` of POST /v1/billing-runs
    background = form.get("background") == "on"
    try:
        as_of = _parse_date(form, "as_of")
        if as_of is None:
            raise InvalidInput.on("as_of", "a date is required")
        if background:
            if dry_run:
                raise InvalidInput.on("background", "a dry run is shown at once, not queued")
            job = run_jobs.queue_run(ctx, as_of, finalize=finalize)
            ctx.session.commit()
            return RedirectResponse(f"/jobs/{job.id}", status_code=303)
        if dry_run:
            # With `finalize` too, the service refuses the pair on the `finalize` box.
            outcome = service.run_billing(ctx, as_of, dry_run=True, finalize=finalize)
        else:
            service.check_run_date(ctx, as_of)
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return _runs(request, ctx, status_code=422, values=form, errors=field_errors(exc))
    ctx.session.rollback()  # a dry run writes nothing; a real one runs in its own session
    if not dry_run:
        state = request.app.state
        progress = TRACKER.start(
            state.session_factory,
            ctx.organization_id,
            ctx.actor,
            ctx.clock,
            as_of,
            finalize=finalize,
        )
        return RedirectResponse(f"/billing-runs/progress/{progress.token}", status_code=303)
    names = _customer_names(ctx, {d.key.customer_id for d in outcome.invoices})
    return _runs(request, ctx, values=form, preview=outcome.invoices, names=names)


@router.get("/billing-runs/progress/{token}")
def run_progress_page(request: Request, token: str, ctx: WebCtx) -> Response:
    """The progress of a run started from the page; once done, its run page."""
    progress = TRACKER.get(ctx.organization_id, token)
    if progress is None:
        raise NotFound(
            f"billing run in progress '{token}' not found "
            "(a run is watched on the server that started it)"
        )
    if progress.state == "completed" and request.headers.get("HX-Request"):
        return Response(
            status_code=200, headers={"HX-Redirect": f"/billing-runs/{progress.run_id}"}
        )
    fragment = bool(request.headers.get("HX-Request"))
    template = "invoicing/_run_progress.html" if fragment else "invoicing/run_progress.html"
    return render(request, template, _common(progress=progress))


@router.get("/billing-runs/{run_id}")
def run_page(request: Request, run_id: str, ctx: WebCtx) -> Response:
    run = service.get_run(ctx, run_id)
    made = _run_invoices(ctx, run.id)
    context = _common(
        run=run,
        has_drafts=any(i.status == service.InvoiceStatus.DRAFT.value for i in made),
        rows=[(i, service.is_overdue(ctx, i)) for i in made],
        names=_customer_names(ctx, {i.customer_id for i in made}),
        audit_events=events_for_object(ctx, run.id),
    )
    return render(request, "invoicing/run.html", context)


@router.post("/billing-runs/{run_id}/finalize")
def finalize_run(request: Request, run_id: str, ctx: WebCtx) -> Response:
    """Finalizes every draft of the run at once, numbered in billing order."""
    run = service.get_run(ctx, run_id)
    service.finalize_run(ctx, run.id)
    ctx.session.commit()
    return RedirectResponse(f"/billing-runs/{run.id}", status_code=303)


def _run_invoices(ctx: Ctx, run_id: str) -> list[Invoice]:
    """Every invoice the run made, page after page."""
    out: list[Invoice] = []
    cursor: str | None = None
    while True:
        page = service.list_invoices(
            ctx, PageRequest(limit=100, starting_after=cursor), billing_run_id=run_id
        )
        out.extend(page.items)
        if not page.has_more:
            return out
        cursor = page.next_cursor
