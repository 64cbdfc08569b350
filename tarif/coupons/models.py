"""Tables of coupons: `coupons` and their `coupon_redemptions` on contracts.

`coupons.code` is stored in upper case, so the unique key (organization, code) makes codes unique
per organization whatever their case. `redemptions_count` is only ever raised by one conditional
UPDATE (`... WHERE redemptions_count < max_redemptions`), so the limit holds under concurrency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped
from tarif.db.types import ExactDecimal


class Coupon(TenantScoped, Timestamped, Base):
    __tablename__ = "coupons"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # upper case
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))  # percentage | fixed
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    currency: Mapped[str | None] = mapped_column(String(3))  # fixed coupons only
    duration: Mapped[str] = mapped_column(String(12))  # once | repeating | forever
    duration_months: Mapped[int | None] = mapped_column(Integer)
    redeemable_from: Mapped[date | None] = mapped_column(Date)  # inclusive
    redeemable_until: Mapped[date | None] = mapped_column(Date)  # inclusive
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    redemptions_count: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class CouponRedemption(TenantScoped, Timestamped, Base):
    __tablename__ = "coupon_redemptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    coupon_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("coupons.id", ondelete="RESTRICT"), index=True
    )
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="RESTRICT"), index=True
    )
    redeemed_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)  # exclusive; None: no end known
    status: Mapped[str] = mapped_column(String(10), default="active")
    removed_on: Mapped[date | None] = mapped_column(Date)
