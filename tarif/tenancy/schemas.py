"""API shapes of tenancy objects."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tarif.api.schemas import ReadModel, StrictModel
from tarif.tenancy.rules import Role


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
