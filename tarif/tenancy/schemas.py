"""API shapes of tenancy objects."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tarif.api.schemas import DecimalString, ReadModel, StrictModel
from tarif.tenancy.rules import MAX_AUTO_FINALIZE_HOURS, Role


class OrganizationRead(ReadModel):
    id: str
    legal_name: str
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    country: str
    siren: str | None
    siret: str | None
    vat_number: str | None
    default_currency: str
    locale: str
    timezone: str
    invoice_number_format: str
    credit_note_number_format: str
    rounding_mode: str
    auto_finalize_after_hours: int | None = None
    future_event_tolerance_seconds: int = 300
    late_usage_policy: str = "adjust"
    finalize_zero_usage_invoices: bool = True
    late_penalty_rate: DecimalString
    legal_form_and_capital: str | None = None
    rcs: str | None = None
    accent_colour: str | None = None
    invoice_footer: str | None = None
    logo_sha256: str | None = Field(None, description="SHA-256 of the current logo, if any")
    created_at: datetime
    updated_at: datetime


class OrganizationUpdate(StrictModel):
    legal_name: str | None = Field(None, min_length=1, max_length=200)
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)
    siren: str | None = Field(None, max_length=20)
    siret: str | None = Field(None, max_length=20)
    vat_number: str | None = Field(None, max_length=20)
    default_currency: str | None = Field(None, max_length=3)
    locale: str | None = Field(None, max_length=2)
    timezone: str | None = Field(None, max_length=64)
    invoice_number_format: str | None = Field(None, max_length=60)
    credit_note_number_format: str | None = Field(None, max_length=60)
    rounding_mode: str | None = Field(None, max_length=10)
    # null: drafts wait for a person; 0: the billing run finalizes; N: N hours after creation.
    auto_finalize_after_hours: int | None = Field(None, ge=0, le=MAX_AUTO_FINALIZE_HOURS)
    # Usage events: seconds an event may be ahead of the clock; 'adjust' or 'reject' late ones.
    future_event_tolerance_seconds: int | None = Field(None, ge=0, le=604800)
    late_usage_policy: str | None = Field(None, max_length=10, examples=["adjust"])
    # An invoice of 0.00 usage lines only: finalized and numbered (true), or kept as a draft.
    finalize_zero_usage_invoices: bool | None = None
    late_penalty_rate: DecimalString | None = Field(
        None, description="Yearly late-payment penalty rate, a percentage (0 to 100): '12.15'"
    )
    legal_form_and_capital: str | None = Field(None, max_length=200)
    rcs: str | None = Field(None, max_length=100)
    accent_colour: str | None = Field(None, max_length=7, description="#rrggbb")
    invoice_footer: str | None = Field(None, max_length=2000)


class ApiKeyRead(ReadModel):
    id: str
    name: str
    prefix: str
    role: Role
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.ADMIN


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself: shown this once, never stored in clear")


class UserRead(ReadModel):
    id: str
    email: str
    name: str
    role: Role
    locale: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class UserCreate(StrictModel):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)
    role: Role = Role.READ_ONLY
    locale: str | None = Field(None, max_length=2)
