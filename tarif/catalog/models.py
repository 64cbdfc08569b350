"""Tables of the catalog capability."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tarif.catalog.periodicity import Periodicity, PeriodUnit, Timing, format_periodicity
from tarif.db.base import Base, TenantScoped, Timestamped
from tarif.db.types import ExactDecimal
from tarif.pricing.spec import ChargeSpec


class Product(TenantScoped, Timestamped, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(200))
    name_fr: Mapped[str | None] = mapped_column(String(200))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_fr: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))  # recurring | one_off | usage
    unit_label: Mapped[str | None] = mapped_column(String(40))
    revenue_account: Mapped[str | None] = mapped_column(String(20))
    vat_category: Mapped[str] = mapped_column(String(20), default="standard")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Pricelist(TenantScoped, Timestamped, Base):
    __tablename__ = "pricelists"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # inclusive last day; None = open-ended
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class PricelistEntry(TenantScoped, Timestamped, Base):
    __tablename__ = "pricelist_entries"
    __table_args__ = (UniqueConstraint("pricelist_id", "product_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pricelist_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("pricelists.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal())
    # Recurring products only: "every N units" plus timing (domain rules). Units are day, week or
    # month: years are stored as 12 × months (see periodicity.py).
    periodicity_unit: Mapped[str | None] = mapped_column(String(10))
    periodicity_count: Mapped[int | None] = mapped_column(Integer)
    timing: Mapped[str | None] = mapped_column(String(12))  # in_advance | in_arrears
    # Usage products only: how the usage is priced (`tarif.pricing`), as its JSON codec.
    charge: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # Read-only conveniences for display (currency, product code); writes go through the ids.
    pricelist: Mapped[Pricelist] = relationship(viewonly=True)
    product: Mapped[Product] = relationship(viewonly=True)

    @property
    def periodicity(self) -> Periodicity | None:
        if self.periodicity_unit is None or self.periodicity_count is None:
            return None
        return Periodicity(PeriodUnit(self.periodicity_unit), self.periodicity_count)

    @periodicity.setter
    def periodicity(self, value: Periodicity | None) -> None:
        self.periodicity_unit = value.unit.value if value else None
        self.periodicity_count = value.count if value else None

    @property
    def periodicity_name(self) -> str | None:
        """The readable form (`monthly`, `every_2_weeks`) used by the API, CLI and pages."""
        periodicity = self.periodicity
        return format_periodicity(periodicity) if periodicity else None

    @property
    def timing_value(self) -> Timing | None:
        return Timing(self.timing) if self.timing else None

    @property
    def charge_spec(self) -> ChargeSpec | None:
        return None if self.charge is None else ChargeSpec.from_json(self.charge)
