"""API shapes of products, pricelists, entries and price quotes."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from tarif.api.schemas import DecimalString, ReadModel, StrictModel
from tarif.catalog.models import Pricelist, PricelistEntry
from tarif.catalog.periodicity import ACCEPTED, Timing, format_periodicity
from tarif.catalog.pricing import PriceQuote, PriceSource
from tarif.catalog.rules import ProductKind, VatCategory, price_text
from tarif.pricing.spec import ChargeSpec
from tarif.pricing.summary import charge_summary

PERIODICITY_HELP = f"Recurring products only: {ACCEPTED}"
TIMING_HELP = "Recurring products only: in_advance or in_arrears"
UNIT_PRICE_HELP = 'Zero or more, at most 6 decimals, as a string: "399.00", "0.0025"'
PRICE_EXAMPLES = ["399.00", "0.0025"]
CHARGE_HELP = (
    "Usage products only: how the usage is priced (docs/charges.md), e.g. "
    '{"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}; '
    "null on an update removes it"
)
CHARGE_EXAMPLES = [{"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}]


class ProductCreate(StrictModel):
    code: str = Field(min_length=1, max_length=60, description="Unique in the organization")
    name_en: str | None = Field(None, max_length=200, description="English or French name needed")
    name_fr: str | None = Field(None, max_length=200)
    description_en: str | None = Field(None, max_length=5000)
    description_fr: str | None = Field(None, max_length=5000)
    kind: ProductKind
    unit_label: str | None = Field(None, max_length=40, description="e.g. month, call, GB")
    revenue_account: str | None = Field(None, max_length=20, description="e.g. 706000")
    vat_category: VatCategory = VatCategory.STANDARD
    active: bool = True


class ProductUpdate(StrictModel):
    code: str | None = Field(None, min_length=1, max_length=60)
    name_en: str | None = Field(None, max_length=200)
    name_fr: str | None = Field(None, max_length=200)
    description_en: str | None = Field(None, max_length=5000)
    description_fr: str | None = Field(None, max_length=5000)
    kind: ProductKind | None = None
    unit_label: str | None = Field(None, max_length=40)
    revenue_account: str | None = Field(None, max_length=20)
    vat_category: VatCategory | None = None
    active: bool | None = None


class ProductRead(ReadModel):
    id: str
    code: str
    name_en: str | None
    name_fr: str | None
    description_en: str | None
    description_fr: str | None
    kind: ProductKind
    unit_label: str | None
    revenue_account: str | None
    vat_category: VatCategory
    active: bool
    created_at: datetime
    updated_at: datetime


class PricelistCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. EUR")
    valid_from: date | None = Field(None, description="First day (inclusive); empty = always")
    valid_to: date | None = Field(None, description="Last day (inclusive); empty = open-ended")
    is_default: bool = Field(
        False, description="Applies to customers without a pricelist of their own"
    )


class PricelistUpdate(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    currency: str | None = Field(None, min_length=3, max_length=3)
    valid_from: date | None = None
    valid_to: date | None = None
    is_default: bool | None = None


class PricelistRead(ReadModel):
    id: str
    name: str
    currency: str
    valid_from: date | None
    valid_to: date | None
    is_default: bool
    created_at: datetime
    updated_at: datetime


class EntryCreate(StrictModel):
    product_id: str = Field(min_length=1, max_length=40)
    unit_price: DecimalString = Field(description=UNIT_PRICE_HELP)
    periodicity: str | None = Field(None, max_length=40, description=PERIODICITY_HELP)
    timing: Timing | None = Field(None, description=TIMING_HELP)
    charge: dict[str, Any] | None = Field(
        None, description=CHARGE_HELP, json_schema_extra={"examples": CHARGE_EXAMPLES}
    )


class EntryUpdate(StrictModel):
    unit_price: DecimalString | None = Field(None, description=UNIT_PRICE_HELP)
    periodicity: str | None = Field(None, max_length=40, description=PERIODICITY_HELP)
    timing: Timing | None = Field(None, description=TIMING_HELP)
    charge: dict[str, Any] | None = Field(
        None, description=CHARGE_HELP, json_schema_extra={"examples": CHARGE_EXAMPLES}
    )


class EntryRead(BaseModel):
    id: str
    pricelist_id: str
    product_id: str
    product_code: str
    currency: str
    unit_price: str = Field(json_schema_extra={"examples": PRICE_EXAMPLES})
    periodicity: str | None
    timing: Timing | None
    charge: dict[str, Any] | None = Field(description="Usage products: the charge, or null")
    charge_summary: str | None = Field(description="The charge in words (French)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, entry: PricelistEntry) -> EntryRead:
        currency = entry.pricelist.currency
        return cls(
            id=entry.id,
            pricelist_id=entry.pricelist_id,
            product_id=entry.product_id,
            product_code=entry.product.code,
            currency=currency,
            unit_price=price_text(entry.unit_price, currency),
            periodicity=entry.periodicity_name,
            timing=entry.timing_value,
            charge=entry.charge,
            charge_summary=_summary(entry.charge, currency),
            created_at=entry.created_at,
            updated_at=entry.updated_at,
        )


def _summary(charge: dict[str, Any] | None, currency: str) -> str | None:
    return None if charge is None else charge_summary(ChargeSpec.from_json(charge), currency)


class PricelistDetail(PricelistRead):
    entries: list[EntryRead] = Field(description="Every entry, in product code order")

    @classmethod
    def of(cls, pricelist: Pricelist, entries: list[PricelistEntry]) -> PricelistDetail:
        read = PricelistRead.model_validate(pricelist).model_dump()
        return cls.model_validate(read | {"entries": [EntryRead.of(e) for e in entries]})


class PriceQuoteRead(BaseModel):
    customer_id: str
    product_id: str
    date: dt.date
    currency: str
    unit_price: str = Field(json_schema_extra={"examples": PRICE_EXAMPLES})
    periodicity: str | None
    timing: Timing | None
    pricelist_id: str
    pricelist_name: str
    source: PriceSource = Field(description="Which step of the lookup gave the price")
    explanation: str
    charge: dict[str, Any] | None = Field(None, description="Usage products: the entry's charge")

    @classmethod
    def of(cls, customer_id: str, product_id: str, on: date, quote: PriceQuote) -> PriceQuoteRead:
        return cls(
            customer_id=customer_id,
            product_id=product_id,
            date=on,
            currency=quote.currency,
            unit_price=price_text(quote.unit_price, quote.currency),
            periodicity=format_periodicity(quote.periodicity) if quote.periodicity else None,
            timing=quote.timing,
            pricelist_id=quote.pricelist_id,
            pricelist_name=quote.pricelist_name,
            source=quote.source,
            explanation=quote.explanation,
            charge=quote.charge.to_json() if quote.charge else None,
        )
