"""Request and response shapes of credit notes and voids (API bodies and the CLI's `--json`).

A credit note's amounts are read as stored: negative (`"-100.00"`), so adding a customer's
invoices and credit notes gives what the customer owes. The settlement amounts are positive.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from tarif.api.schemas import StrictModel
from tarif.invoicing.models import Invoice, InvoiceLine, Refund
from tarif.invoicing.schemas import InvoiceLineRead, VatRead, money

SettlementField = Literal["refund", "balance"]


class CreditLineRequest(StrictModel):
    position: int = Field(ge=1, le=100_000, description="The invoice line's position")
    quantity: str | None = Field(
        None, max_length=30, description="Part of the line's quantity; omitted: the whole line"
    )


class CreditNoteCreate(StrictModel):
    """Either `lines` or `amount` (a gross amount), not both."""

    invoice_id: str = Field(max_length=40)
    reason: str = Field(min_length=1, max_length=500)
    lines: list[CreditLineRequest] | None = Field(None, max_length=500)
    amount: str | None = Field(None, max_length=30, examples=["100.00"])
    settlement: SettlementField = "balance"


class VoidCreate(StrictModel):
    reason: str = Field(min_length=1, max_length=500)
    settlement: SettlementField = "balance"


class RefundRead(BaseModel):
    id: str
    object: str = "refund"
    customer_id: str
    credit_note_id: str | None
    amount: str
    currency: str
    refunded_on: date
    method: str
    reference: str

    @classmethod
    def of(cls, refund: Refund) -> RefundRead:
        return cls(
            id=refund.id,
            customer_id=refund.customer_id,
            credit_note_id=refund.credit_note_id,
            amount=money(refund.amount, refund.currency),
            currency=refund.currency,
            refunded_on=refund.refunded_on,
            method=refund.method,
            reference=refund.reference,
        )


class SettlementRead(BaseModel):
    """Where the credit note's money went, in this order (positive amounts)."""

    applied_to_invoice: str
    refunded: str
    to_balance: str


class CreditNoteRead(BaseModel):
    id: str
    object: str = "credit_note"
    number: str | None
    status: str
    customer_id: str
    contract_id: str | None
    corrects_invoice_id: str | None
    corrects_invoice_number: str | None
    reason: str | None
    currency: str
    issue_date: date | None
    tax_treatment: str
    net_total: str
    vat_total: str
    gross_total: str
    vat_breakdown: list[VatRead]
    settlement: SettlementRead
    content_hash: str | None
    finalized_at: datetime | None
    lines: list[InvoiceLineRead]
    refunds: list[RefundRead]

    @classmethod
    def of(
        cls,
        note: Invoice,
        lines: list[InvoiceLine],
        corrected_number: str | None,
        refunds: list[Refund],
    ) -> CreditNoteRead:
        code = note.currency
        return cls(
            id=note.id,
            number=note.number,
            status=note.status,
            customer_id=note.customer_id,
            contract_id=note.contract_id,
            corrects_invoice_id=note.corrects_invoice_id,
            corrects_invoice_number=corrected_number,
            reason=note.reason,
            currency=code,
            issue_date=note.issue_date,
            tax_treatment=note.tax_treatment,
            net_total=money(note.net_total, code),
            vat_total=money(note.vat_total, code),
            gross_total=money(note.gross_total, code),
            vat_breakdown=[VatRead(**b) for b in note.vat_breakdown],
            settlement=SettlementRead(
                applied_to_invoice=money(note.applied_to_invoice, code),
                refunded=money(note.refunded, code),
                to_balance=money(note.to_balance, code),
            ),
            content_hash=note.content_hash,
            finalized_at=note.finalized_at,
            lines=[InvoiceLineRead.of(line, code) for line in lines],
            refunds=[RefundRead.of(r) for r in refunds],
        )


class CreditNoteExplanationRead(BaseModel):
    credit_note_id: str
    object: str = "credit_note_explanation"
    lines: list[dict[str, object]]
