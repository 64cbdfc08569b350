"""Request and response shapes of coupons (API bodies and the CLI's `--json`).

A percentage is a plain decimal string (`"20"`); an amount has its currency's minor unit
(`"50.00"`).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from tarif.api.schemas import DecimalString, StrictModel
from tarif.billing.invoice_discounts import InvoiceDiscountKind
from tarif.coupons.models import Coupon, CouponRedemption
from tarif.coupons.rules import CouponDuration
from tarif.money import currency, is_known_currency, round_to_minor_unit

MAX_LIMIT = 1_000_000


def shown_value(coupon: Coupon) -> str:
    if coupon.currency and is_known_currency(coupon.currency):
        return str(round_to_minor_unit(coupon.value, currency(coupon.currency)))
    return format(coupon.value.normalize(), "f")


class CouponCreate(StrictModel):
    code: str = Field(min_length=1, max_length=40, examples=["WELCOME20"])
    name: str | None = Field(None, max_length=200, examples=["Welcome offer"])
    kind: InvoiceDiscountKind
    value: DecimalString
    currency: str | None = Field(None, min_length=3, max_length=3, examples=["EUR"])
    duration: CouponDuration = CouponDuration.ONCE
    duration_months: int | None = Field(None, ge=1, le=120)
    redeemable_from: date | None = None
    redeemable_until: date | None = None
    max_redemptions: int | None = Field(None, ge=1, le=MAX_LIMIT)


class CouponUpdate(StrictModel):
    """Only what does not change what a coupon gives; absent fields are left as they are."""

    name: str | None = Field(None, min_length=1, max_length=200)
    max_redemptions: int | None = Field(None, ge=1, le=MAX_LIMIT)
    redeemable_from: date | None = None
    redeemable_until: date | None = None


class CouponRead(BaseModel):
    id: str
    object: str = "coupon"
    code: str
    name: str
    kind: str
    value: str
    currency: str | None
    duration: str
    duration_months: int | None
    redeemable_from: date | None
    redeemable_until: date | None
    max_redemptions: int | None
    redemptions_count: int
    archived: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, coupon: Coupon) -> CouponRead:
        return cls(
            id=coupon.id,
            code=coupon.code,
            name=coupon.name,
            kind=coupon.kind,
            value=shown_value(coupon),
            currency=coupon.currency,
            duration=coupon.duration,
            duration_months=coupon.duration_months,
            redeemable_from=coupon.redeemable_from,
            redeemable_until=coupon.redeemable_until,
            max_redemptions=coupon.max_redemptions,
            redemptions_count=coupon.redemptions_count,
            archived=coupon.archived,
            created_at=coupon.created_at,
            updated_at=coupon.updated_at,
        )


class RedemptionCreate(StrictModel):
    code: str = Field(min_length=1, max_length=40, examples=["WELCOME20"])


class RedemptionRead(BaseModel):
    id: str
    object: str = "coupon_redemption"
    coupon_id: str
    code: str
    contract_id: str
    redeemed_on: date
    ends_on: date | None  # exclusive
    status: str
    removed_on: date | None

    @classmethod
    def of(cls, redemption: CouponRedemption, coupon: Coupon) -> RedemptionRead:
        return cls(
            id=redemption.id,
            coupon_id=coupon.id,
            code=coupon.code,
            contract_id=redemption.contract_id,
            redeemed_on=redemption.redeemed_on,
            ends_on=redemption.ends_on,
            status=redemption.status,
            removed_on=redemption.removed_on,
        )


class InvoiceDiscountCreate(StrictModel):
    kind: InvoiceDiscountKind
    value: DecimalString
    description: str = Field("", max_length=200, examples=["Commercial gesture"])
