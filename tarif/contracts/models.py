"""Tables of the contracts capability.

The terms of each version are stored whole as JSON (`tarif.contracts.codec`), which is what the
service reads; `contract_lines` repeats every line of every version as rows so products and
pricelists in use are visible to foreign keys (a product on a contract cannot be deleted) and to
queries.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped
from tarif.db.types import ExactDecimal


class ContractTemplate(TenantScoped, Timestamped, Base):
    __tablename__ = "contract_templates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # the latest version's name, for lists
    latest_version: Mapped[int] = mapped_column(Integer)


class ContractTemplateVersion(TenantScoped, Base):
    """Immutable: editing a template adds the next version."""

    __tablename__ = "contract_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    template_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contract_templates.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[list[Any]] = mapped_column(JSON)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    lines: Mapped[list[Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()


class Contract(TenantScoped, Timestamped, Base):
    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("organization_id", "reference"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(12), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    pricelist_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("pricelists.id", ondelete="RESTRICT"), index=True
    )
    template_version_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("contract_template_versions.id", ondelete="RESTRICT"), index=True
    )
    # Facts recorded by calls; activation conditions read them.
    signed_on: Mapped[date | None] = mapped_column(Date)
    first_paid_on: Mapped[date | None] = mapped_column(Date)
    # Renewals recorded so far by the clock-driven run (`apply_due`).
    renewal_count: Mapped[int] = mapped_column(Integer, default=0)
    last_renewed_on: Mapped[date | None] = mapped_column(Date)
    # Amendments of this contract are numbered in creation order (ties of effective dates).
    amendment_sequence: Mapped[int] = mapped_column(Integer, default=0)


class ContractAmendment(TenantScoped, Base):
    __tablename__ = "contract_amendments"
    __table_args__ = (UniqueConstraint("contract_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), index=True)
    changes: Mapped[list[Any]] = mapped_column(JSON)
    signed_document_ref: Mapped[str | None] = mapped_column(String(200))
    # A termination skipping the notice period (admins only), kept for the transition it makes.
    notice_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column()
    scheduled_at: Mapped[datetime | None] = mapped_column()
    applied_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()


class ContractVersion(TenantScoped, Base):
    """Version `number` of the terms from `effective_from`; version 1 holds the original terms.

    Rows of applied history never change. A version projected from a scheduled amendment is
    rewritten when an amendment is slotted in before it or when it is cancelled.
    """

    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    amendment_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("contract_amendments.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column()


class ContractLineRow(TenantScoped, Base):
    """One line of one version, mirroring the version's JSON terms."""

    __tablename__ = "contract_lines"
    __table_args__ = (UniqueConstraint("version_id", "line_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contract_versions.id", ondelete="CASCADE"), index=True
    )
    line_key: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    price_source: Mapped[str] = mapped_column(String(10))
    periodicity: Mapped[str] = mapped_column(String(40))
    timing: Mapped[str] = mapped_column(String(12))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # exclusive, like every end
    discounts: Mapped[list[Any]] = mapped_column(JSON)


class ContractTransition(TenantScoped, Base):
    """One lifecycle step, dated, attributed and kept."""

    __tablename__ = "contract_transitions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    effective_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(200))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
