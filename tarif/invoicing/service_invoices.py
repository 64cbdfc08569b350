"""Invoices after a billing run made them: reads, finalizing (number, hash), payments.

A draft becomes `finalized` once: its number is drawn from the organization's gap-free sequence
in the same transaction, so a finalize that rolls back gives its number back; the content hash
seals what was finalized and no write touches the content afterwards. Payments move a finalized
invoice to `partially_paid` then `paid`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.exc import IntegrityError

from tarif.audit.service import record
from tarif.context import Ctx
from tarif.contracts.service_store import today
from tarif.customers.models import Customer
from tarif.db import json_text
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.invoicing import balance
from tarif.invoicing.issued import seal_document
from tarif.invoicing.mailing import queue_email
from tarif.invoicing.models import Invoice, InvoiceLine, InvoicePayment, NumberSequence
from tarif.invoicing.numbering import invoice_number
from tarif.invoicing.render_jobs import render_later
from tarif.invoicing.usage_pricing import kept_as_draft
from tarif.money import currency, parse_decimal, round_to_minor_unit
from tarif.statements.explain import usage_explanation
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission
from tarif.webhooks.events import invoice_sealed

INVOICE_SERIES = "invoice"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    FINALIZED = "finalized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"  # amount due cancelled by credit notes, nothing paid
    VOIDED = "voided"  # cancelled whole by a void's credit note


PAYABLE = (InvoiceStatus.FINALIZED.value, InvoiceStatus.PARTIALLY_PAID.value)


def amount_due(invoice: Invoice) -> Decimal:
    """What the customer still owes on an invoice: gross - paid - cancelled by credit notes.

    A credit note owes nothing (its money is settled when it is issued).
    """
    if invoice.kind == "credit_note":
        return Decimal(0)
    return invoice.gross_total - invoice.amount_paid - (invoice.amount_credited or Decimal(0))


def settled_status(invoice: Invoice) -> str:
    """The status of a finalized invoice from its amounts: once nothing is due, `paid` if any
    payment came in, else `credited`; before that, `partially_paid` once paid, else `finalized`.
    """
    if amount_due(invoice) <= 0:
        paid = invoice.amount_paid > 0
        return (InvoiceStatus.PAID if paid else InvoiceStatus.CREDITED).value
    if invoice.amount_paid > 0:
        return InvoiceStatus.PARTIALLY_PAID.value
    return InvoiceStatus.FINALIZED.value


def list_invoices(
    ctx: Ctx,
    page: PageRequest,
    *,
    status: str | None = None,
    customer_id: str | None = None,
    billing_run_id: str | None = None,
    billed_from: date | None = None,
    billed_to: date | None = None,
    overdue: bool | None = None,
) -> Page[Invoice]:
    """Invoices newest id last; `billed_from`/`billed_to` bound the billing date (inclusive)."""
    if billed_from is not None and billed_to is not None and billed_to < billed_from:
        raise InvalidInput.on("billed_to", "must not be before billed_from")
    # Credit notes share the table and have their own list.
    stmt = scoped(Invoice, ctx.organization_id).where(Invoice.kind == "invoice")
    if billed_from is not None:
        stmt = stmt.where(Invoice.billing_date >= billed_from)
    if billed_to is not None:
        stmt = stmt.where(Invoice.billing_date <= billed_to)
    if overdue is not None:
        # A payable invoice owes something exactly when its gross is positive (the payments and
        # credit notes that settle it change its status); the cast reads the sign alike on
        # SQLite, which keeps exact decimals as text (compared as text, "-324.9" > 0).
        late = (
            Invoice.status.in_(PAYABLE)
            & (Invoice.due_date < today(ctx))
            & (cast(Invoice.gross_total, Numeric) > 0)
        )
        stmt = stmt.where(late if overdue else ~late)
    if billing_run_id is not None:
        stmt = stmt.where(Invoice.billing_run_id == billing_run_id)
    if customer_id is not None:
        # Another tenant's customer is a 404, not an empty list.
        get_scoped(ctx.session, Customer, ctx.organization_id, _searchable(customer_id))
    if status is not None:
        stmt = stmt.where(Invoice.status == status)
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    return paginate(ctx.session, stmt, Invoice, page, search_columns=(Invoice.number,))


def _searchable(object_id: str) -> str:
    # PostgreSQL text cannot hold NUL: such an id names nothing.
    if "\x00" in object_id:
        raise NotFound("not found")
    return object_id


def get_invoice(ctx: Ctx, invoice_id: str) -> Invoice:
    invoice: Invoice = get_scoped(
        ctx.session, Invoice, ctx.organization_id, _searchable(invoice_id)
    )
    return invoice


def invoice_lines(ctx: Ctx, invoice_id: str) -> list[InvoiceLine]:
    stmt = scoped(InvoiceLine, ctx.organization_id).where(InvoiceLine.invoice_id == invoice_id)
    return list(ctx.session.scalars(stmt.order_by(InvoiceLine.position)))


def invoice_payments(ctx: Ctx, invoice_id: str) -> list[InvoicePayment]:
    stmt = scoped(InvoicePayment, ctx.organization_id).where(
        InvoicePayment.invoice_id == invoice_id
    )
    return list(ctx.session.scalars(stmt.order_by(InvoicePayment.id)))


def invoice_payments_page(ctx: Ctx, invoice_id: str, page: PageRequest) -> Page[InvoicePayment]:
    """One page of the invoice's payments in the order recorded, like every other list (`limit`
    1–100, `starting_after`). A payment is never changed, so its creation is its last update."""
    stmt = scoped(InvoicePayment, ctx.organization_id).where(
        InvoicePayment.invoice_id == invoice_id
    )
    return paginate(
        ctx.session,
        stmt,
        InvoicePayment,
        page,
        search_columns=(InvoicePayment.reference,),
        updated_column=InvoicePayment.created_at,
    )


def is_overdue(ctx: Ctx, invoice: Invoice) -> bool:
    """A finalized invoice with something still due after its due date (an invoice of 0.00 or
    less owes nothing: it is never late)."""
    return (
        invoice.status in PAYABLE
        and amount_due(invoice) > 0
        and invoice.due_date is not None
        and invoice.due_date < today(ctx)
    )


def explain(ctx: Ctx, invoice_id: str) -> list[dict[str, Any]]:
    """Where each line comes from: contract, version, line, price source, discounts, amendment;
    for usage lines, what was measured and how it was priced (`usage`)."""
    invoice = get_invoice(ctx, invoice_id)
    lines = invoice_lines(ctx, invoice.id)
    code = currency(invoice.currency)

    def amount(value: Decimal) -> str:  # as the invoice reads it: 359.10, not the stored 359.1
        return str(round_to_minor_unit(value, code))

    external_id = None
    if any(line.usage for line in lines):
        customer = ctx.session.get(Customer, invoice.customer_id)
        external_id = customer.external_id if customer is not None else None
    return [
        {
            "position": line.position,
            "description": line.description,
            "contract_id": line.contract_id,
            "contract_version": line.contract_version,
            "line_key": line.line_key,
            "product_id": line.product_id,
            "kind": line.kind,
            "adjustment": line.adjustment,
            "source": line.source,
            "period_start": _iso(line.period_start),
            "period_end": _iso(line.period_end, last_day=True),
            "full_period_start": _iso(line.full_period_start),
            "full_period_end": _iso(line.full_period_end, last_day=True),
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "price_source": line.price_source,
            "discounts": line.discounts,
            "discount_amount": amount(line.discount_amount),
            "exact_net": line.exact_net,
            "net_amount": amount(line.net_amount),
            "vat_category": line.vat_category,
            "vat_rate": str(line.vat_rate),
            "tax_treatment": invoice.tax_treatment,
            "amendment_id": line.amendment_id,
            "credits_line_id": line.credits_line_id,
            # Usage lines: metric, filters, events counted, tiers, SmartCode versions, revision.
            "usage": usage_explanation(line.usage, external_id, line.contract_id),
        }
        for line in lines
    ]


def _iso(day: date | None, *, last_day: bool = False) -> str | None:
    """A day as ISO text; `last_day` turns an exclusive end into the last day covered."""
    if day is None:
        return None
    return (day - timedelta(days=1) if last_day else day).isoformat()


def content_hash(invoice: Invoice, lines: list[InvoiceLine]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of what the invoice says."""
    content = {
        "number": invoice.number,
        "series": invoice.series,
        "customer_id": invoice.customer_id,
        "currency": invoice.currency,
        "billing_date": invoice.billing_date.isoformat(),
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "tax_treatment": invoice.tax_treatment,
        "notes": invoice.notes,  # printed on the invoice: sealed with it
        "purchase_order": invoice.purchase_order,
        "net_total": str(invoice.net_total),
        "vat_total": str(invoice.vat_total),
        "gross_total": str(invoice.gross_total),
        "vat_breakdown": invoice.vat_breakdown,
        "lines": [
            {
                "description": line.description,
                "contract_id": line.contract_id,
                "line_key": line.line_key,
                "source": line.source,
                "period": [_iso(line.period_start), _iso(line.period_end)],
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "net_amount": str(line.net_amount),
                "vat_rate": str(line.vat_rate),
            }
            for line in lines
        ],
    }
    return hashlib.sha256(json_text.canonical(content)).hexdigest()


def next_sequence_value(ctx: Ctx, series: str, year: int) -> int:
    """Draws the next value; the row stays locked (PostgreSQL) or written (SQLite) until commit."""
    stmt = (
        scoped(NumberSequence, ctx.organization_id)
        .where(NumberSequence.series == series, NumberSequence.year == year)
        .with_for_update()
    )
    sequence = ctx.session.scalars(stmt).one_or_none()
    if sequence is None:
        try:
            with ctx.session.begin_nested():
                ctx.session.add(
                    NumberSequence(
                        id=new_id("seq"),
                        organization_id=ctx.organization_id,
                        series=series,
                        year=year,
                        next_value=1,
                    )
                )
        except IntegrityError:
            pass  # a concurrent finalize made the year's row first: lock and use it
        sequence = ctx.session.scalars(stmt).one()
    value = sequence.next_value
    sequence.next_value = value + 1
    ctx.session.flush()
    return value


def finalize_invoice(ctx: Ctx, invoice_id: str) -> Invoice:
    ctx.require(Permission.WRITE_BILLING)
    invoice = get_invoice(ctx, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT.value:
        raise Conflict(f"invoice '{invoice.id}' is already finalized")
    lines = invoice_lines(ctx, invoice.id)
    if not lines:
        raise Conflict(f"invoice '{invoice.id}' has no lines: an empty invoice is not finalized")
    org = ctx.session.get_one(Organization, ctx.organization_id)
    if kept_as_draft(
        org.finalize_zero_usage_invoices, [(line.source, line.net_amount) for line in lines]
    ):
        raise Conflict(
            f"invoice '{invoice.id}' has only 0.00 usage lines, which this organization keeps "
            "as drafts (setting finalize_zero_usage_invoices)"
        )
    if invoice.kind == "credit_note":
        from tarif.invoicing.service_credit_notes import over_credit

        problem = over_credit(
            ctx, invoice.corrects_invoice_id, invoice.gross_total, note_id=invoice.id
        )
        if problem is not None:
            raise Conflict(f"credit note '{invoice.id}': {problem}")
    issued = today(ctx)
    seq = next_sequence_value(ctx, invoice.series, issued.year)
    number = invoice_number(number_format(org, invoice.series), issued.year, seq)
    seal_invoice(ctx, invoice, lines, number=number, issued=issued, org=org)
    ctx.session.flush()
    record(ctx, "finalize", "invoice", invoice.id, None, {"number": invoice.number})
    return invoice


def number_format(org: Organization, series: str) -> str:
    """The organization's number format of a series: credit notes have their own."""
    if series == "credit_note":
        return org.credit_note_number_format or "AV-{year}-{seq:06d}"
    return org.invoice_number_format


def seal_invoice(
    ctx: Ctx,
    invoice: Invoice,
    lines: list[InvoiceLine],
    *,
    number: str,
    issued: date,
    org: Organization,
) -> None:
    """Everything finalizing does to one draft once its number is drawn (no flush, no audit).

    Finalizing one invoice and finalizing a whole run both come through here, so they cannot
    disagree: a step added to finalization is added here.
    """
    customer = ctx.session.get_one(Customer, invoice.customer_id)
    invoice.number = number
    invoice.issue_date = issued
    # The due date from the payment terms, and the snapshot the issued PDF is rendered from.
    seal_document(ctx, invoice, lines, org=org, customer=customer, issued=issued)
    invoice.status = InvoiceStatus.FINALIZED.value
    invoice.finalized_at = ctx.clock.now()
    invoice.updated_at = invoice.finalized_at
    invoice.content_hash = content_hash(invoice, lines)
    balance.apply_balance(ctx, invoice)  # the customer's credit balance pays what it can
    balance.credit_negative_invoice(ctx, invoice)  # what an invoice of credits owes goes there
    if invoice.kind == "credit_note":  # drafted by a run: issued, and its money settled
        from tarif.invoicing.service_credit_notes import seal_credit_note_draft

        seal_credit_note_draft(ctx, invoice)
    invoice_sealed(ctx, invoice)  # `invoice.finalized` / `credit_note.created` to endpoints
    render_later(ctx, invoice.id)  # its PDF, by a worker once this commits
    queue_email(ctx, invoice.id, customer.invoice_emails)  # the PDF to the customer, by e-mail


def record_payment(
    ctx: Ctx, invoice_id: str, *, amount: str, paid_on: date | None = None, reference: str = ""
) -> InvoicePayment:
    ctx.require(Permission.WRITE_BILLING)
    invoice = get_invoice(ctx, invoice_id)
    try:
        value = parse_decimal(amount)
    except (ValueError, ArithmeticError) as exc:
        raise InvalidInput.on("amount", "not a decimal amount") from exc
    money = currency(invoice.currency)
    if value <= 0 or round_to_minor_unit(value, money) != value:
        raise InvalidInput.on("amount", f"a positive amount in {invoice.currency} is expected")
    if invoice.status not in PAYABLE:
        raise Conflict(f"invoice '{invoice.id}' is {invoice.status}: it cannot take a payment")
    received_by = today(ctx)
    day = paid_on or received_by
    # A payment is money received: not in the future, and not before the invoice was issued.
    if day > received_by:
        raise InvalidInput.on("date", f"{day} is in the future: record a payment once received")
    if invoice.issue_date is not None and day < invoice.issue_date:
        raise InvalidInput.on(
            "date", f"{day} is before the invoice's issue date, {invoice.issue_date}"
        )
    outstanding = amount_due(invoice)
    if value > outstanding:
        shown = round_to_minor_unit(outstanding, money)  # 378.80, not the stored 378.8
        if outstanding <= 0:  # a 0.00 invoice, or one of credits: "more than -324.90" misleads
            raise InvalidInput.on(
                "amount",
                f"invoice {invoice.number or invoice.id} owes nothing (amount due {shown}): "
                "it takes no payment",
            )
        raise InvalidInput.on("amount", f"more than the {shown} still due")
    payment = InvoicePayment(
        id=new_id("pay"),
        organization_id=ctx.organization_id,
        invoice_id=invoice.id,
        amount=value,
        paid_on=day,
        reference=reference,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(payment)
    invoice.amount_paid = invoice.amount_paid + value
    invoice.status = settled_status(invoice)
    invoice.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "payment", "invoice", invoice.id, None, {"amount": str(value)})
    return payment


def billed_lines(ctx: Ctx, contract_id: str) -> list[InvoiceLine]:
    """Every stored line of a contract, in the order issued (ids are time-ordered)."""
    stmt = (
        select(InvoiceLine)
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            InvoiceLine.contract_id == contract_id,
            InvoiceLine.source == "contract",
        )
        .order_by(InvoiceLine.id)
    )
    return list(ctx.session.scalars(stmt))


def last_invoiced_day(
    ctx: Ctx, contract_id: str, line_keys: Collection[str] | None = None
) -> date | None:
    """The exclusive end of the latest period a charge of the contract bills (of these of its
    lines, when given)."""
    stmt = select(func.max(InvoiceLine.period_end)).where(
        InvoiceLine.organization_id == ctx.organization_id,
        InvoiceLine.contract_id == contract_id,
        InvoiceLine.source == "contract",
        InvoiceLine.kind == "charge",
    )
    if line_keys is not None:
        stmt = stmt.where(InvoiceLine.line_key.in_(sorted(line_keys)))
    latest: date | None = ctx.session.scalar(stmt)
    return latest
