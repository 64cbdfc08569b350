"""Request and response shapes of invoicing (API bodies and the CLI's `--json`).

Amounts are strings with the currency's minor unit (`"399.00"`); full-precision amounts (a
prorated net before rounding) keep every decimal.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import object_session

from tarif.api.schemas import StrictModel
from tarif.invoicing.models import BillingRun, Invoice, InvoiceLine, InvoicePayment
from tarif.invoicing.service_credit_notes import Credited, creditable, credited_in
from tarif.invoicing.service_invoices import amount_due
from tarif.invoicing.service_runs import DraftInvoice
from tarif.money import currency, round_to_minor_unit


def money(amount: Decimal, code: str) -> str:
    return str(round_to_minor_unit(amount, currency(code)))


class BillingRunCreate(StrictModel):
    as_of: date
    dry_run: bool = False
    finalize: bool = Field(
        False, description="Finalize the drafts written at once, numbered in billing order"
    )


class BillingRunJobCreate(StrictModel):
    """A run queued for a worker (no dry run: a preview is answered at once)."""

    as_of: date
    finalize: bool = Field(
        False, description="Finalize the drafts written at once, numbered in billing order"
    )


class RunFinalizedRead(BaseModel):
    """What finalizing a run's drafts did."""

    run_id: str
    object: str = "billing_run_finalization"
    finalized: int
    first_number: str | None
    last_number: str | None
    skipped_empty: list[str]
    # Credit notes left as drafts: they would credit more than their invoice has left.
    held_back: list[str] = []


class PaymentCreate(StrictModel):
    amount: str = Field(max_length=30, examples=["100.00"])
    date: dt.date | None = None  # default: today
    reference: str = Field("", max_length=200)


class BillingRunRead(BaseModel):
    id: str
    object: str = "billing_run"
    as_of: date
    status: str
    invoices_created: int
    lines_created: int
    conflicts: int
    actor: str
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, run: BillingRun) -> BillingRunRead:
        return cls.model_validate(run, from_attributes=True)


def last_day(end: date | None) -> date | None:
    """The last day covered by a half-open range's exclusive end."""
    return None if end is None else end - timedelta(days=1)


class InvoiceLineRead(BaseModel):
    position: int
    source: str
    description: str
    contract_id: str | None
    contract_version: int | None
    line_key: str | None
    product_id: str | None
    kind: str
    adjustment: bool
    period_start: date | None
    period_last_day: date | None
    quantity: str
    unit_price: str
    discount_amount: str
    net_amount: str
    vat_rate: str
    credits_line_id: str | None = None  # on a credit note: the invoice line it credits

    @classmethod
    def of(cls, line: InvoiceLine, code: str) -> InvoiceLineRead:
        return cls(
            position=line.position,
            source=line.source,
            description=line.description,
            contract_id=line.contract_id,
            contract_version=line.contract_version,
            line_key=line.line_key,
            product_id=line.product_id,
            kind=line.kind,
            adjustment=line.adjustment,
            period_start=line.period_start,
            period_last_day=last_day(line.period_end),
            quantity=str(line.quantity),
            unit_price=str(line.unit_price),
            discount_amount=money(line.discount_amount, code),
            net_amount=money(line.net_amount, code),
            vat_rate=str(line.vat_rate),
            credits_line_id=line.credits_line_id,
        )


class VatRead(BaseModel):
    rate: str
    base: str
    vat: str


class InvoiceRead(BaseModel):
    id: str
    object: str = "invoice"
    customer_id: str
    contract_id: str | None
    billing_run_id: str | None
    currency: str
    billing_date: date
    status: str
    overdue: bool
    series: str
    number: str | None
    issue_date: date | None
    due_date: date | None
    tax_treatment: str
    net_total: str
    vat_total: str
    gross_total: str
    amount_paid: str
    amount_credited: str  # cancelled by credit notes issued (drafted ones cancel nothing yet)
    amount_due: str  # gross - paid - credited
    # What a new credit note may credit: gross less the credit notes issued and drafted.
    amount_creditable: str
    # What credit notes a billing run drafted against it will credit once finalized.
    amount_reserved: str
    kind: str  # invoice, credit_note
    corrects_invoice_id: str | None
    vat_breakdown: list[VatRead]
    content_hash: str | None
    finalized_at: datetime | None
    notes: str | None = None  # printed on the invoice; editable on drafts
    purchase_order: str | None = None
    lines: list[InvoiceLineRead]
    # With usage lines: the consumption statement that goes with the invoice.
    statement_url: str | None = None

    @classmethod
    def of(
        cls,
        invoice: Invoice,
        lines: list[InvoiceLine],
        overdue: bool,
        taken: Credited | None = None,
    ) -> InvoiceRead:
        """`taken`: what credit notes take of it, when the caller read it for many invoices."""
        code = invoice.currency
        if taken is None:
            taken = _taken(invoice)
        return cls(
            id=invoice.id,
            customer_id=invoice.customer_id,
            contract_id=invoice.contract_id,
            billing_run_id=invoice.billing_run_id,
            currency=code,
            billing_date=invoice.billing_date,
            status=invoice.status,
            overdue=overdue,
            series=invoice.series,
            number=invoice.number,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            tax_treatment=invoice.tax_treatment,
            net_total=money(invoice.net_total, code),
            vat_total=money(invoice.vat_total, code),
            gross_total=money(invoice.gross_total, code),
            amount_paid=money(invoice.amount_paid, code),
            amount_credited=money(invoice.amount_credited or Decimal(0), code),
            amount_due=money(amount_due(invoice), code),
            amount_creditable=money(creditable(invoice, taken), code),
            amount_reserved=money(taken.reserved, code),
            kind=invoice.kind or "invoice",
            corrects_invoice_id=invoice.corrects_invoice_id,
            vat_breakdown=[VatRead(**b) for b in invoice.vat_breakdown],
            content_hash=invoice.content_hash,
            finalized_at=invoice.finalized_at,
            notes=invoice.notes,
            purchase_order=invoice.purchase_order,
            lines=[InvoiceLineRead.of(line, code) for line in lines],
            statement_url=(
                f"/v1/invoices/{invoice.id}/statement"
                if any(line.source == "usage" for line in lines)
                else None
            ),
        )


def _taken(invoice: Invoice) -> Credited:
    """What credit notes take of a finalized invoice, read from its session (drafts and credit
    notes have none)."""
    session = object_session(invoice)
    if session is None or invoice.kind != "invoice" or invoice.status == "draft":
        return Credited()
    found = credited_in(session, invoice.organization_id, [invoice.id])
    return found.get(invoice.id, Credited())


class PreviewLineRead(BaseModel):
    contract_id: str
    line_key: str
    contract_version: int
    kind: str
    period_start: date
    period_last_day: date
    quantity: str
    unit_price: str
    net_amount: str
    vat_rate: str


class InvoicePreview(BaseModel):
    """An invoice a run would make (dry run, upcoming invoice), or made (`id` set)."""

    id: str | None
    customer_id: str
    contract_id: str | None
    currency: str
    billing_date: date
    tax_treatment: str
    net_total: str
    vat_total: str
    gross_total: str
    vat_breakdown: list[VatRead]
    lines: list[PreviewLineRead]
    # A preview only: the open draft (an earlier run of the day, same customer, date and
    # grouping) the run would add these lines to instead of making an invoice; the figures are
    # the lines'.
    joins_draft_id: str | None = None

    @classmethod
    def of(cls, draft: DraftInvoice) -> InvoicePreview:
        code = draft.key.currency
        return cls(
            id=draft.invoice_id,
            joins_draft_id=draft.joins_draft_id,
            customer_id=draft.key.customer_id,
            contract_id=draft.key.contract_id,
            currency=code,
            billing_date=draft.key.billing_date,
            tax_treatment=draft.tax_treatment,
            net_total=money(draft.net_total, code),
            vat_total=money(draft.vat_total, code),
            gross_total=money(draft.gross_total, code),
            vat_breakdown=[VatRead(**b) for b in draft.vat_breakdown],
            lines=[
                PreviewLineRead(
                    contract_id=line.contract_id,
                    line_key=line.charge.line_key,
                    contract_version=line.charge.version,
                    kind=line.charge.kind.value,
                    period_start=line.charge.period.start,
                    period_last_day=line.charge.period.end - timedelta(days=1),
                    quantity=str(line.charge.quantity),
                    unit_price=str(line.charge.unit_price),
                    net_amount=money(net, code),
                    vat_rate=str(line.vat_rate),
                )
                for line, net in zip(draft.lines, draft.net_lines, strict=True)
            ],
        )


class OtherDue(BaseModel):
    """Another invoice of the same billing date (another currency, a contract billed apart)."""

    currency: str
    contract_id: str | None
    billing_date: date
    gross_total: str


class UpcomingInvoice(InvoicePreview):
    """The customer's next invoice, and the others its billing date makes."""

    also_due: list[OtherDue] = Field(
        default_factory=list,
        description="The other invoices of that day: `?currency=` previews one of them",
    )

    @classmethod
    def of_day(cls, shown: DraftInvoice, day: list[DraftInvoice]) -> UpcomingInvoice:
        preview = InvoicePreview.of(shown).model_dump()
        others = [
            OtherDue(
                currency=d.key.currency,
                contract_id=d.key.contract_id,
                billing_date=d.key.billing_date,
                gross_total=money(d.gross_total, d.key.currency),
            )
            for d in day
            if d is not shown
        ]
        return cls(**preview, also_due=others)


class BillingRunResult(BaseModel):
    """A run's answer: the run (None for a dry run) and the invoices it made or would make."""

    id: str | None
    object: str = "billing_run_result"
    as_of: date
    dry_run: bool
    run: BillingRunRead | None
    invoices: list[InvoicePreview]
    finalized: int = 0  # drafts the run finalized (`finalize`, or the 0-hour setting)


class PaymentRead(BaseModel):
    id: str
    object: str = "payment"
    invoice_id: str
    amount: str
    paid_on: date
    reference: str
    method: str  # manual, credit_balance (the customer's credit balance, at finalization)
    invoice_status: str

    @classmethod
    def of(cls, payment: InvoicePayment, invoice: Invoice) -> PaymentRead:
        return cls(
            id=payment.id,
            invoice_id=payment.invoice_id,
            amount=money(payment.amount, invoice.currency),
            paid_on=payment.paid_on,
            reference=payment.reference,
            method=payment.method or "manual",
            invoice_status=invoice.status,
        )


class ExplanationRead(BaseModel):
    invoice_id: str
    object: str = "invoice_explanation"
    lines: list[dict[str, Any]]
