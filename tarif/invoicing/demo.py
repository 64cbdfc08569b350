"""Demo invoices: a year of monthly billing runs, finalized, mostly paid, and a credit note.

The demo contracts started a year ago (see `tarif.contracts.demo`), so the loader replays
history: on the first of every month since then it bills as of that day, with the clock set to
that morning, and finalizes what the run made, so numbers and issue dates follow the calendar
as they would have. Invoices are paid twelve days after issue when that day has passed, except
one left unpaid (overdue) and one paid in part. Six months back, a service outage earned the
Growth customer a 100.00 credit note on its (paid) invoice of that month, settled to its credit
balance, which the next month's invoice used up when it was finalized.

A last run as of today is left in draft for a person to review. Idempotent: when the
organization has any invoice, nothing is done.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.models import ContractVersion
from tarif.customers import service as customers
from tarif.invoicing import service
from tarif.invoicing.models import Invoice
from tarif.invoicing.service_invoices import amount_due

PAID_AFTER = timedelta(days=12)
OUTAGE_CREDIT_AFTER = timedelta(days=15)  # once that month's invoice is paid: to the balance
UNPAID_CUSTOMER = "DEMO-ATELIER"  # its invoice of two months ago is left unpaid: overdue
PARTLY_PAID_CUSTOMER = "DEMO-DATENWERK"  # its last month's invoice is half paid
OUTAGE_CUSTOMER = "DEMO-BOULANGERIE"
OUTAGE_CREDIT = "100.00"
OUTAGE_REASON = "Interruption de service de 6 heures : geste commercial"


def load_demo_invoices(ctx: Ctx) -> None:
    if _has_invoices(ctx):
        return
    today = contracts.today(ctx)
    first = _first_start(ctx)
    if first is None:
        return
    outage_month = _first_of_month(today) - relativedelta(months=6)
    month = first
    while month <= today:
        at = _on(ctx, month)
        outcome = service.run_billing(at, month)
        for draft in outcome.invoices:
            if draft.invoice_id is not None:
                service.finalize_invoice(at, draft.invoice_id)
        _payments(ctx, today, month)
        if month == outage_month:
            _outage_credit(_on(ctx, min(month + OUTAGE_CREDIT_AFTER, today)), month)
        month = month + relativedelta(months=1)
    # Today's run stays in draft: what a person reviews before finalizing (a mid-month start,
    # the terminated contract's credit for the days it no longer runs).
    if today != _first_of_month(today):
        service.run_billing(ctx, today)


def _has_invoices(ctx: Ctx) -> bool:
    stmt = select(func.count()).where(Invoice.organization_id == ctx.organization_id)
    return bool(ctx.session.scalar(stmt))


def _first_start(ctx: Ctx) -> date | None:
    stmt = select(func.min(ContractVersion.effective_from)).where(
        ContractVersion.organization_id == ctx.organization_id, ContractVersion.number == 1
    )
    earliest: date | None = ctx.session.scalar(stmt)
    return None if earliest is None else _first_of_month(earliest)


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _on(ctx: Ctx, day: date) -> Ctx:
    """The same unit of work with the clock on that day's morning (Paris office hours)."""
    morning = datetime.combine(day, time(8, 0), tzinfo=UTC)
    return Ctx(ctx.session, ctx.organization_id, ctx.actor, FixedClock(morning))


def _customer_id(ctx: Ctx, external_id: str) -> str | None:
    customer = customers.find_by_external_id(ctx, external_id)
    return None if customer is None else customer.id


def _outage_credit(ctx: Ctx, day: date) -> None:
    """A partial credit note on the Growth customer's invoice of `day`, to its balance."""
    customer_id = _customer_id(ctx, OUTAGE_CUSTOMER)
    invoice = ctx.session.scalars(
        select(Invoice)
        .where(
            Invoice.organization_id == ctx.organization_id,
            Invoice.customer_id == customer_id,
            Invoice.kind == "invoice",
            Invoice.billing_date == day,
            Invoice.number.is_not(None),
        )
        .order_by(Invoice.id)
    ).first()
    if invoice is None:
        return
    service.issue_credit_note(
        ctx, invoice.id, reason=OUTAGE_REASON, amount=OUTAGE_CREDIT, settlement="balance"
    )


def _payments(ctx: Ctx, today: date, month: date) -> None:
    """Pays the invoices issued on `month`, twelve days later when that day has passed."""
    unpaid_id = _customer_id(ctx, UNPAID_CUSTOMER)
    partly_id = _customer_id(ctx, PARTLY_PAID_CUSTOMER)
    two_months_ago = _first_of_month(today) - relativedelta(months=2)
    last_month = _first_of_month(today) - relativedelta(months=1)
    paid_on = month + PAID_AFTER
    if paid_on > today:
        return
    stmt = (
        select(Invoice)
        .where(
            Invoice.organization_id == ctx.organization_id,
            Invoice.kind == "invoice",
            Invoice.issue_date == month,
            Invoice.status.in_(["finalized", "partially_paid"]),
        )
        .order_by(Invoice.id)
    )
    for invoice in list(ctx.session.scalars(stmt)):
        if invoice.customer_id == unpaid_id and month == two_months_ago:
            continue
        due = amount_due(invoice)
        if invoice.customer_id == partly_id and month == last_month:
            due = (due / 2).quantize(Decimal("0.01"))
        if due <= 0:
            continue
        service.record_payment(
            _on(ctx, paid_on), invoice.id, amount=str(due), paid_on=paid_on, reference="Virement"
        )
