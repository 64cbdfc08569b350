"""Tables of the tenancy capability."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped
from tarif.db.types import ExactDecimal

# The statutory late-payment rate when the terms are silent (article L441-10 of the Code de
# commerce): the ECB main refinancing rate (2.15 % for the first half of 2026) plus 10 points.
DEFAULT_LATE_PENALTY_RATE = Decimal("12.15")


class Organization(Timestamped, Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    siren: Mapped[str | None] = mapped_column(String(9))
    siret: Mapped[str | None] = mapped_column(String(14))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    default_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    locale: Mapped[str] = mapped_column(String(2), default="fr")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    invoice_number_format: Mapped[str] = mapped_column(String(60), default="F-{year}-{seq:06d}")
    credit_note_number_format: Mapped[str] = mapped_column(
        String(60), default="AV-{year}-{seq:06d}"
    )
    rounding_mode: Mapped[str] = mapped_column(String(10), default="HALF_UP")
    # What the issued documents print (see docs/invoices.md, "Issued documents").
    late_penalty_rate: Mapped[Decimal] = mapped_column(
        ExactDecimal, default=DEFAULT_LATE_PENALTY_RATE
    )
    legal_form_and_capital: Mapped[str | None] = mapped_column(String(200))
    rcs: Mapped[str | None] = mapped_column(String(100))
    accent_colour: Mapped[str | None] = mapped_column(String(7))
    invoice_footer: Mapped[str | None] = mapped_column(Text)
    # The current logo: a row of `organization_logos`, kept for the documents that print it.
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    # Draft invoices finalized this many hours after creation (0: by the billing run itself);
    # None: drafts wait for a person.
    auto_finalize_after_hours: Mapped[int | None] = mapped_column(Integer)
    # Usage events (see docs/usage.md, "Sending events"): how far ahead of the clock an event's
    # timestamp may be, and what happens to an event of a day already invoiced.
    future_event_tolerance_seconds: Mapped[int] = mapped_column(Integer, default=300)
    late_usage_policy: Mapped[str] = mapped_column(String(10), default="adjust")  # adjust | reject
    # An invoice made only of 0.00 usage lines (a period without usage): finalized and numbered
    # like any other (True), or kept as an unnumbered draft holding the ratings (False).
    finalize_zero_usage_invoices: Mapped[bool] = mapped_column(Boolean, default=True)


class User(TenantScoped, Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
    # Changes of the user's settings, for `updated_since`; signing in is not one.
    updated_at: Mapped[datetime] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()


class ApiKey(TenantScoped, Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column()
    # Changes of the key (its revocation), for `updated_since`; using it is not one.
    updated_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(200))
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class IdempotencyRecord(TenantScoped, Base):
    """A POST's first response, replayed when the same Idempotency-Key comes again."""

    __tablename__ = "idempotency_records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(Text)
    response_content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("organization_id", "key"),)


class OrganizationLogo(TenantScoped, Base):
    """Every logo an organization used, by content hash: an issued document names the one it
    was finalized with, so it renders with that logo whatever the organization uses today."""

    __tablename__ = "organization_logos"
    __table_args__ = (UniqueConstraint("organization_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column()
