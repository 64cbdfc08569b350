"""Request and response shapes of draft editing and automatic finalization."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from tarif.api.schemas import DecimalString, StrictModel
from tarif.catalog.rules import VatCategory
from tarif.invoicing.schemas import InvoiceRead


class InvoiceLineCreate(StrictModel):
    """A one-off line; `product_id` gives the VAT category and the default description."""

    description: str | None = Field(None, max_length=1000, examples=["On-site training day"])
    quantity: DecimalString
    unit_price: DecimalString
    vat_category: VatCategory | None = None
    product_id: str | None = Field(None, max_length=40)
    period_start: date | None = None
    period_last_day: date | None = None  # inclusive; give both days or neither


class InvoiceUpdate(StrictModel):
    """What a draft lets change besides its lines; null or blank clears a field."""

    notes: str | None = Field(None, max_length=2000)
    purchase_order: str | None = Field(None, max_length=100)


class RegenerateRead(BaseModel):
    """`outcome`: `regenerated`, `manual_lines_only` (nothing due any more, the one-off lines
    stay) or `deleted` (nothing due and no one-off line: the draft is gone, `invoice` is null)."""

    object: str = "invoice_regeneration"
    invoice_id: str
    outcome: str
    contract_lines: int
    invoice: InvoiceRead | None


class FinalizeDueRead(BaseModel):
    """`after_hours` is the organization's setting (null: drafts wait for a person)."""

    object: str = "finalize_due_result"
    after_hours: int | None
    finalized: list[InvoiceRead]
    skipped_empty: list[str]  # ids of empty drafts: an invoice needs a line
