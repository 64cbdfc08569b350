"""API shapes of customers and contacts.

Bodies check shapes and sizes only; the meaning (VAT checksum, SIREN only for French companies…)
is checked by `tarif.customers.rules`, so the API, the pages and the CSV import say the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from tarif.api.schemas import ReadModel, StrictModel
from tarif.customers.models import Contact, Customer
from tarif.customers.rules import (
    MAX_INVOICE_EMAILS,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_PAYMENT_TERMS_DAYS,
    TaxTreatment,
)

Kind = Literal["company", "person"]
TaxStatusValue = Literal["standard", "exempt"]
Language = Literal["fr", "en"]
Metadata = Annotated[
    dict[str, Annotated[str, Field(max_length=MAX_METADATA_VALUE_LENGTH)]],
    Field(
        max_length=MAX_METADATA_KEYS,
        description="Your own key/value pairs (text): at most 50 keys of 40 characters",
        examples=[{"crm_id": "0065g00000XyZ"}],
    ),
]
Emails = Annotated[
    list[Annotated[str, Field(max_length=254)]],
    Field(max_length=MAX_INVOICE_EMAILS, description="Where invoices are sent"),
]


class _CustomerFields(StrictModel):
    legal_name: str | None = Field(None, max_length=200)
    kind: Kind | None = None
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=100)
    country: str | None = Field(
        None, max_length=2, description="ISO 3166-1 alpha-2 code of the billing address"
    )
    vat_number: str | None = Field(
        None, max_length=20, description="EU VAT number with its country prefix (FR44732829320)"
    )
    siren: str | None = Field(None, max_length=20, description="French companies only")
    siret: str | None = Field(None, max_length=20, description="French companies only")
    invoice_emails: Emails | None = None
    currency: str | None = Field(None, max_length=3, description="ISO 4217 code")
    language: Language | None = None
    timezone: str | None = Field(None, max_length=64, description="IANA name: Europe/Paris")
    payment_terms_days: int | None = Field(None, ge=0, le=MAX_PAYMENT_TERMS_DAYS)
    payment_terms_end_of_month: bool | None = Field(
        None, description="Due at the end of the month in which the term ends"
    )
    tax_status: TaxStatusValue | None = Field(
        None, description="`exempt` to invoice without VAT; other treatments are computed"
    )
    pricelist_id: str | None = Field(None, max_length=40)
    notes: str | None = Field(None, max_length=MAX_NOTES_LENGTH)
    metadata: Metadata | None = None


class CustomerCreate(_CustomerFields):
    """Absent fields take the organization's defaults (currency, language, time zone), 30 days
    of payment terms, kind `company` and tax status `standard`."""

    external_id: str | None = Field(
        None, max_length=100, description="Your id for this customer; default: the Tarif id"
    )
    legal_name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2)


class CustomerUpdate(_CustomerFields):
    """Only the fields sent change; `null` clears an optional one. `metadata` is replaced whole."""

    external_id: str | None = Field(None, min_length=1, max_length=100)


class CustomerRead(BaseModel):
    id: str
    external_id: str
    legal_name: str
    kind: Kind
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    state: str | None
    country: str
    vat_number: str | None
    siren: str | None
    siret: str | None
    invoice_emails: list[str]
    currency: str
    language: Language
    timezone: str
    payment_terms_days: int
    payment_terms_end_of_month: bool
    tax_status: TaxStatusValue
    tax_treatment: TaxTreatment = Field(
        description="Computed, read-only: standard, reverse_charge, export or exempt"
    )
    pricelist_id: str | None
    notes: str | None
    metadata: dict[str, str]
    archived: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, customer: Customer, treatment: TaxTreatment) -> CustomerRead:
        return cls(
            id=customer.id,
            external_id=customer.external_id,
            legal_name=customer.legal_name,
            kind=customer.kind,  # type: ignore[arg-type]
            address_line1=customer.address_line1,
            address_line2=customer.address_line2,
            postal_code=customer.postal_code,
            city=customer.city,
            state=customer.state,
            country=customer.country,
            vat_number=customer.vat_number,
            siren=customer.siren,
            siret=customer.siret,
            invoice_emails=list(customer.invoice_emails or []),
            currency=customer.currency,
            language=customer.language,  # type: ignore[arg-type]
            timezone=customer.timezone,
            payment_terms_days=customer.payment_terms_days,
            payment_terms_end_of_month=customer.payment_terms_end_of_month,
            tax_status=customer.tax_status,  # type: ignore[arg-type]
            tax_treatment=treatment,
            pricelist_id=customer.pricelist_id,
            notes=customer.notes,
            metadata=dict(customer.custom_metadata or {}),
            archived=customer.archived,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )


class ContactCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(None, max_length=100, examples=["Accounts payable"])
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)


class ContactUpdate(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    role: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)


class ContactRead(ReadModel):
    id: str
    customer_id: str
    name: str
    role: str | None
    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, contact: Contact) -> ContactRead:
        return cls.model_validate(contact)


class ImportRowRead(BaseModel):
    row: int = Field(description="The record's row in the file as a spreadsheet numbers it")
    external_id: str | None
    status: Literal["imported", "updated", "unchanged", "error"]
    customer_id: str | None
    messages: list[str] = Field(description="Why the row was refused (`field: message`)")


class ImportReportRead(BaseModel):
    object: Literal["customer_import"] = "customer_import"
    imported: int
    updated: int
    unchanged: int
    failed: int
    rows: list[ImportRowRead]
