"""Tables of invoicing: billing runs, invoices and their lines, number sequences.

`invoice_lines` carries a unique key on what a line bills (contract, line, version, period,
charge or credit, adjustment), so the same charge can never be stored twice for an
organization, whatever two concurrent runs do: the billing core's reconciliation never returns
a charge already stored, and the database refuses one that slipped through.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped
from tarif.db.types import ExactDecimal


class BillingRun(TenantScoped, Base):
    __tablename__ = "billing_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12))  # running, completed
    invoices_created: Mapped[int] = mapped_column(Integer, default=0)
    lines_created: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class Invoice(TenantScoped, Timestamped, Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("organization_id", "series", "number"),)

    # No index of its own: the unique key above starts with it (one index less to write for
    # each of the hundred thousand invoices a run can make).
    organization_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("organizations.id", ondelete="CASCADE")
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    # Set when the contract groups its own invoices; None when grouped per customer.
    contract_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="RESTRICT"), index=True
    )
    billing_run_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("billing_runs.id", ondelete="SET NULL"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    billing_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    series: Mapped[str] = mapped_column(String(20), default="invoice")
    number: Mapped[str | None] = mapped_column(String(60))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    tax_treatment: Mapped[str] = mapped_column(String(20))
    net_total: Mapped[Decimal] = mapped_column(ExactDecimal)
    vat_total: Mapped[Decimal] = mapped_column(ExactDecimal)
    gross_total: Mapped[Decimal] = mapped_column(ExactDecimal)
    vat_breakdown: Mapped[list[Any]] = mapped_column(JSON)  # [{"rate", "base", "vat"}] as strings
    amount_paid: Mapped[Decimal] = mapped_column(ExactDecimal, default=Decimal(0))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    finalized_at: Mapped[datetime | None] = mapped_column()
    # Credit notes are rows of this table too (kind "credit_note", series "credit_note"), with
    # every amount stored negative so a customer's invoices and credit notes sum to what is owed.
    kind: Mapped[str] = mapped_column(String(12), default="invoice", index=True)
    corrects_invoice_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    # On an invoice: the part of its amount due cancelled by credit notes.
    amount_credited: Mapped[Decimal] = mapped_column(ExactDecimal, default=Decimal(0))
    # On a credit note: where its money went (positive amounts), in this order.
    applied_to_invoice: Mapped[Decimal] = mapped_column(ExactDecimal, default=Decimal(0))
    refunded: Mapped[Decimal] = mapped_column(ExactDecimal, default=Decimal(0))
    to_balance: Mapped[Decimal] = mapped_column(ExactDecimal, default=Decimal(0))
    # What the printed document needs that could change after finalization (seller, buyer,
    # language, terms, mentions, branding): written once by `seal_invoice`, read by `issued.py`.
    # SQL NULL, not JSON null, on drafts (a run writes the key on every row).
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Printed on the document; editable while the invoice is a draft.
    notes: Mapped[str | None] = mapped_column(Text)
    purchase_order: Mapped[str | None] = mapped_column(String(100))


class InvoiceLine(TenantScoped, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        UniqueConstraint(
            "organization_id",
            "contract_id",
            "line_key",
            "contract_version",
            "period_start",
            "period_end",
            "kind",
            "adjustment",
            "usage_part",
            name="uq_invoice_lines_billed_once",
        ),
    )

    # No index of its own (the unique key starts with it) and no foreign key: a line's
    # organization is its invoice's, whose key is checked (`invoice_id`), and goes with it.
    # PostgreSQL would otherwise check the organization for each of a run's lines.
    organization_id: Mapped[str] = mapped_column(String(40))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    # Where the line comes from: "contract" (the billing core's charges and credits, the only
    # lines reconciled against a contract), or a line added to an invoice: "manual" (a one-off
    # line typed on a draft), discounts, ... Contract fields are empty on lines that have none.
    source: Mapped[str] = mapped_column(String(16), default="contract")
    contract_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="RESTRICT"), index=True
    )
    contract_version: Mapped[int | None] = mapped_column(Integer)
    line_key: Mapped[str | None] = mapped_column(String(60))
    product_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # charge, credit
    adjustment: Mapped[bool] = mapped_column(Boolean, default=False)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)  # exclusive
    full_period_start: Mapped[date | None] = mapped_column(Date)
    full_period_end: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal)
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal)
    # Full precision as text: prorated amounts may exceed six decimals.
    exact_net: Mapped[str] = mapped_column(String(80))
    discount_amount: Mapped[Decimal] = mapped_column(ExactDecimal)  # rounded to 6 decimals
    net_amount: Mapped[Decimal] = mapped_column(ExactDecimal)  # rounded once
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal)
    vat_category: Mapped[str] = mapped_column(String(20))
    price_source: Mapped[str] = mapped_column(String(12))
    discounts: Mapped[list[Any]] = mapped_column(JSON)
    amendment_id: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    # Usage lines (source "usage"): which part of the period's rating this line is (kind,
    # group, tier; `r2|…` for the second rating of the period, a late-usage adjustment), so one
    # period's several lines each have their own key; "" on every other line.
    usage_part: Mapped[str] = mapped_column(String(160), default="", server_default="")
    # Usage lines: what was measured and how it was priced (metric, filters, period, events
    # counted, tiers, SmartCode version); see `tarif.invoicing.usage_rating`.
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # On a credit note's line: the invoice line it credits (None for a credit by amount).
    credits_line_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invoice_lines.id", ondelete="RESTRICT"), index=True
    )


class InvoicePayment(TenantScoped, Base):
    __tablename__ = "invoice_payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(ExactDecimal)
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column()
    # "manual" (recorded by a person), "credit_balance" (the customer's credit balance used at
    # finalization, see `balance.py`).
    method: Mapped[str] = mapped_column(String(20), default="manual", server_default="manual")


class Refund(TenantScoped, Base):
    """Money paid back to a customer: a credit note's part beyond what its invoice still owed,
    or (credit_note_id None) a refund of the customer's credit balance."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    credit_note_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(ExactDecimal)  # positive
    currency: Mapped[str] = mapped_column(String(3))
    refunded_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(40), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column()


class NumberSequence(TenantScoped, Base):
    """The next number of a series in a year; incremented inside the finalizing transaction."""

    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("organization_id", "series", "year"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    series: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class IssuedFile(TenantScoped, Base):
    """The file of a finalized invoice or credit note, rendered once and served as stored.

    Renderers and fonts change across versions; what was issued does not, so a download never
    renders again.
    """

    __tablename__ = "issued_files"
    __table_args__ = (UniqueConstraint("invoice_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    media_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()


class BalanceEntry(TenantScoped, Base):
    """One movement of a customer's credit balance in one currency (see `balance.py`).

    `amount` is signed: + money the customer can use (a credit note sent to the balance, a
    goodwill credit), - money used (applied to an invoice) or paid back (refund).
    `amount_minor` is the same amount as an integer count of the currency's minor units: the
    balance is `SUM(amount_minor)`, exact on every backend (SQLite keeps `amount` as text, and
    its SUM of text would be a float sum).
    """

    __tablename__ = "customer_balance_entries"
    __table_args__ = (
        Index("ix_customer_balance_entries_owner", "organization_id", "customer_id", "currency"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # credit_note, goodwill, applied, refund
    # The credit note whose amount came to the balance (kind "credit_note").
    credit_note_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    # The invoice a use paid (kind "applied").
    invoice_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    # The money paid back (kind "refund").
    refund_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("refunds.id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
