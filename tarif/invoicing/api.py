"""REST routes of invoicing: `/v1/billing-runs`, `/v1/invoices…`, a customer's upcoming invoice."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.context import Ctx
from tarif.errors import InvalidInput, NotFound
from tarif.invoicing import run_jobs, service
from tarif.invoicing.models import Invoice
from tarif.invoicing.schemas import (
    BillingRunCreate,
    BillingRunJobCreate,
    BillingRunRead,
    BillingRunResult,
    ExplanationRead,
    InvoicePreview,
    InvoiceRead,
    PaymentCreate,
    PaymentRead,
    RunFinalizedRead,
    UpcomingInvoice,
)
from tarif.invoicing.service_credit_notes import Credited, credited
from tarif.jobs.schemas import JobRead

router = APIRouter(tags=["invoicing"])


def _read(ctx: Ctx, invoice: Invoice, taken: Credited | None = None) -> InvoiceRead:
    lines = service.invoice_lines(ctx, invoice.id)
    return InvoiceRead.of(invoice, lines, service.is_overdue(ctx, invoice), taken)


@router.post("/billing-runs", response_model=BillingRunResult, status_code=status.HTTP_201_CREATED)
def create_billing_run(body: BillingRunCreate, ctx: CtxDep) -> BillingRunResult:
    """Invoices everything due up to `as_of` as drafts; `dry_run` returns them, writing nothing."""
    outcome = service.run_billing(ctx, body.as_of, dry_run=body.dry_run, finalize=body.finalize)
    ctx.session.commit()
    run = BillingRunRead.of(outcome.run) if outcome.run is not None else None
    return BillingRunResult(
        id=run.id if run else None,
        as_of=outcome.as_of,
        dry_run=outcome.dry_run,
        run=run,
        invoices=[InvoicePreview.of(d) for d in outcome.invoices],
        finalized=outcome.finalized,
    )


@router.post("/billing-runs/jobs", response_model=JobRead, status_code=status.HTTP_202_ACCEPTED)
def queue_billing_run(body: BillingRunJobCreate, ctx: CtxDep, response: Response) -> JobRead:
    """Queues a run as of `as_of` for a worker: 202 with the job, whose payload gets the run's
    id once done (`GET /v1/jobs/{id}`)."""
    job = run_jobs.queue_run(ctx, body.as_of, finalize=body.finalize)
    ctx.session.commit()
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobRead.of(job)


@router.get("/billing-runs", response_model=ListResponse[BillingRunRead])
def list_billing_runs(ctx: CtxDep, page: PageDep) -> ListResponse[BillingRunRead]:
    result = service.list_runs(ctx, page)
    return ListResponse(
        data=[BillingRunRead.of(r) for r in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.get("/billing-runs/{run_id}", response_model=BillingRunRead)
def get_billing_run(run_id: str, ctx: CtxDep) -> BillingRunRead:
    return BillingRunRead.of(service.get_run(ctx, run_id))


@router.post("/billing-runs/{run_id}/finalize", response_model=RunFinalizedRead)
def finalize_billing_run(run_id: str, ctx: CtxDep) -> RunFinalizedRead:
    """Finalizes every draft of the run at once, numbered in billing order (empty ones skipped)."""
    done = service.finalize_run(ctx, run_id)
    ctx.session.commit()
    return RunFinalizedRead(
        run_id=done.run_id,
        finalized=done.finalized,
        first_number=done.first_number,
        last_number=done.last_number,
        skipped_empty=done.skipped_empty,
        held_back=done.held_back,
    )


@router.get("/invoices", response_model=ListResponse[InvoiceRead])
def list_invoices(
    ctx: CtxDep,
    page: PageDep,
    status_: Annotated[
        service.InvoiceStatus | None, Query(alias="status", description="draft, finalized…")
    ] = None,
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    billed_from: Annotated[
        date | None, Query(description="billing date on or after this day")
    ] = None,
    billed_to: Annotated[
        date | None, Query(description="billing date on or before this day")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="finalized, not fully paid, past its due date")
    ] = None,
) -> ListResponse[InvoiceRead]:
    result = service.list_invoices(
        ctx,
        page,
        status=status_.value if status_ else None,
        customer_id=customer_id,
        billed_from=billed_from,
        billed_to=billed_to,
        overdue=overdue,
    )
    # What credit notes take of the page's invoices, in one query.
    taken = credited(ctx, [i.id for i in result.items])
    return ListResponse(
        data=[_read(ctx, i, taken.get(i.id, Credited())) for i in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead)
def get_invoice(invoice_id: str, ctx: CtxDep) -> InvoiceRead:
    return _read(ctx, service.get_invoice(ctx, invoice_id))


@router.post("/invoices/{invoice_id}/finalize", response_model=InvoiceRead)
def finalize_invoice(invoice_id: str, ctx: CtxDep) -> InvoiceRead:
    """Numbers the draft from the gap-free sequence and seals it (content hash): immutable."""
    invoice = service.finalize_invoice(ctx, invoice_id)
    ctx.session.commit()
    return _read(ctx, invoice)


@router.get("/invoices/{invoice_id}/explain", response_model=ExplanationRead)
def explain_invoice(invoice_id: str, ctx: CtxDep) -> ExplanationRead:
    """Where each line comes from: contract, version, line, price source, discounts, amendment."""
    return ExplanationRead(invoice_id=invoice_id, lines=service.explain(ctx, invoice_id))


@router.post(
    "/invoices/{invoice_id}/payments",
    response_model=PaymentRead,
    status_code=status.HTTP_201_CREATED,
)
def record_payment(invoice_id: str, body: PaymentCreate, ctx: CtxDep) -> PaymentRead:
    payment = service.record_payment(
        ctx, invoice_id, amount=body.amount, paid_on=body.date, reference=body.reference
    )
    ctx.session.commit()
    return PaymentRead.of(payment, service.get_invoice(ctx, invoice_id))


@router.get("/customers/{customer_id}/upcoming-invoice", response_model=UpcomingInvoice)
def upcoming_invoice(
    customer_id: str,
    ctx: CtxDep,
    currency: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=3,
            description="Of several invoices that day, the one in this currency",
        ),
    ] = None,
) -> UpcomingInvoice:
    """The customer's next invoice as a run would make it; nothing is written. When that
    billing date makes several (currencies, contracts billed apart), the first by currency then
    contract, or the one in `currency`; `also_due` lists the others."""
    day = service.upcoming_invoices(ctx, customer_id)
    if not day:
        raise NotFound(f"customer '{customer_id}' has nothing to invoice")
    code = (currency or day[0].key.currency).upper()
    shown = next((d for d in day if d.key.currency == code), None)
    if shown is None:
        due = ", ".join(sorted({d.key.currency for d in day}))
        raise InvalidInput.on(
            "currency", f"no invoice in {code} on {day[0].key.billing_date}: {due} only"
        )
    return UpcomingInvoice.of_day(shown, day)
