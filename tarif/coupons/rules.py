"""Coupon rules (pure): what a valid coupon is, when it can be redeemed, which invoices it reduces.

A coupon is an invoice discount a customer gets by code: a percentage, or an amount in one
currency, for the first billing period after redemption (`once`), for a number of months
(`repeating`) or for as long as the contract runs (`forever`). Redeeming it on a contract makes a
redemption; billing runs then discount each period of that contract the redemption picks (by
the billing date of the invoice opening it), on every invoice billing that period. The amounts
themselves are `tarif.billing.invoice_discounts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tarif.billing.invoice_discounts import InvoiceDiscountKind
from tarif.contracts.dates import add_months
from tarif.errors import ErrorCollector
from tarif.money import currency, is_known_currency, round_to_minor_unit

HUNDRED = Decimal(100)
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,39}$"
_CODE_RE = re.compile(CODE_PATTERN)
MAX_DURATION_MONTHS = 120


class CouponDuration(StrEnum):
    ONCE = "once"  # the first billing period of the contract billed after redemption
    REPEATING = "repeating"  # periods first billed before redeemed_on + duration_months
    FOREVER = "forever"  # every period first billed while the redemption is not removed


class RedemptionStatus(StrEnum):
    ACTIVE = "active"
    USED_UP = "used_up"  # a once coupon applied, or a repeating one past its end
    REMOVED = "removed"  # taken off the contract: no discount from then on


def normalize_code(code: str) -> str:
    """Codes are compared case-insensitively: stored and looked up in upper case."""
    return code.strip().upper()


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon gives and when it can be redeemed."""

    kind: InvoiceDiscountKind
    value: Decimal
    currency: str | None  # the amount's currency (fixed coupons only)
    duration: CouponDuration
    duration_months: int | None  # repeating coupons only
    redeemable_from: date | None = None  # inclusive
    redeemable_until: date | None = None  # inclusive
    max_redemptions: int | None = None


def check_code(code: str, errors: ErrorCollector) -> None:
    if not _CODE_RE.fullmatch(code):
        errors.add(
            "code",
            "must be 1 to 40 letters, digits, '-' or '_', starting with a letter or digit",
        )


def check_terms(terms: CouponTerms, errors: ErrorCollector) -> None:
    """Adds every problem of `terms` to `errors`."""
    if terms.kind is InvoiceDiscountKind.PERCENTAGE:
        if not Decimal(0) < terms.value <= HUNDRED:
            errors.add("value", "a percentage must be more than 0 and at most 100")
        if terms.currency is not None:
            errors.add("currency", "only a fixed coupon has a currency")
    else:
        if terms.currency is None:
            errors.add("currency", "a fixed coupon needs the currency of its amount")
        elif not is_known_currency(terms.currency):
            errors.add("currency", f"unknown ISO 4217 currency '{terms.currency}'")
        if terms.value <= 0:
            errors.add("value", "an amount off must be more than 0")
        elif terms.currency is not None and is_known_currency(terms.currency):
            minor_unit = currency(terms.currency).minor_unit
            if terms.value != terms.value.quantize(Decimal(1).scaleb(-minor_unit)):
                errors.add("value", f"{terms.currency} amounts have at most {minor_unit} decimals")
    if terms.duration is CouponDuration.REPEATING:
        if terms.duration_months is None:
            errors.add("duration_months", "a repeating coupon needs its number of months")
        elif not 1 <= terms.duration_months <= MAX_DURATION_MONTHS:
            errors.add("duration_months", f"must be between 1 and {MAX_DURATION_MONTHS}")
    elif terms.duration_months is not None:
        errors.add("duration_months", "only a repeating coupon has a number of months")
    if (
        terms.redeemable_from is not None
        and terms.redeemable_until is not None
        and terms.redeemable_until < terms.redeemable_from
    ):
        errors.add("redeemable_until", "is before redeemable_from")
    if terms.max_redemptions is not None and terms.max_redemptions < 1:
        errors.add("max_redemptions", "must be at least 1")


def redeemable_on(terms: CouponTerms, day: date) -> bool:
    """Inside the validity window, both ends included."""
    if terms.redeemable_from is not None and day < terms.redeemable_from:
        return False
    return terms.redeemable_until is None or day <= terms.redeemable_until


def ends_on(terms: CouponTerms, redeemed_on: date) -> date | None:
    """The exclusive end of a redemption known when it is made: repeating coupons only.

    A once coupon ends after the first invoice that uses it (set then); forever never ends.
    """
    if terms.duration is CouponDuration.REPEATING and terms.duration_months is not None:
        return add_months(redeemed_on, terms.duration_months)
    return None


def applies_on(
    duration: CouponDuration,
    redeemed_on: date,
    end: date | None,
    status: RedemptionStatus,
    billing_date: date,
    *,
    already_used: bool,
) -> bool:
    """Whether a redemption discounts a billing period its invoice opens on `billing_date`
    (lines billed later in that period follow it: `tarif.billing.coupon_periods`).

    `already_used`: a period (stored, or earlier in the same run) already carries its discount,
    which ends a once coupon.
    """
    if status is RedemptionStatus.REMOVED or billing_date < redeemed_on:
        return False
    if duration is CouponDuration.ONCE:
        return not already_used
    return end is None or billing_date < end


def describe(
    code: str, kind: InvoiceDiscountKind, value: Decimal, currency_code: str | None
) -> str:
    """The line's description: "Coupon WELCOME20 (-20 %)", "Coupon SPRING (-50.00 EUR)"."""
    if kind is InvoiceDiscountKind.PERCENTAGE:
        shown = format(value.normalize(), "f")
        return f"Coupon {code} (-{shown} %)"
    shown_amount = round_to_minor_unit(value, currency(currency_code)) if currency_code else value
    return f"Coupon {code} (-{shown_amount} {currency_code})"
