"""Coupon rules: validation, validity window, end of a redemption, when it applies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tarif.billing.invoice_discounts import InvoiceDiscountKind
from tarif.coupons.rules import (
    CouponDuration,
    CouponTerms,
    RedemptionStatus,
    applies_on,
    check_code,
    check_terms,
    describe,
    ends_on,
    normalize_code,
    redeemable_on,
)
from tarif.errors import ErrorCollector

PCT = InvoiceDiscountKind.PERCENTAGE
FIXED = InvoiceDiscountKind.FIXED


def terms(**fields: object) -> CouponTerms:
    values: dict[str, object] = {
        "kind": PCT,
        "value": Decimal(20),
        "currency": None,
        "duration": CouponDuration.ONCE,
        "duration_months": None,
    }
    return CouponTerms(**(values | fields))  # type: ignore[arg-type]


def problems(t: CouponTerms) -> dict[str, str]:
    errors = ErrorCollector()
    check_terms(t, errors)
    return {e.field: e.message for e in errors.errors}


def test_codes_are_compared_in_upper_case() -> None:
    assert normalize_code(" welcome20 ") == "WELCOME20"
    errors = ErrorCollector()
    check_code("WELCOME 20", errors)
    check_code("", errors)
    assert [e.field for e in errors.errors] == ["code", "code"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": Decimal(0)}, "value"),
        ({"value": Decimal("100.5")}, "value"),
        ({"currency": "EUR"}, "currency"),
        ({"kind": FIXED, "value": Decimal(50)}, "currency"),
        ({"kind": FIXED, "value": Decimal(50), "currency": "XXZ"}, "currency"),
        ({"kind": FIXED, "value": Decimal("50.005"), "currency": "EUR"}, "value"),
        ({"kind": FIXED, "value": Decimal("0.5"), "currency": "JPY"}, "value"),
        ({"duration": CouponDuration.REPEATING}, "duration_months"),
        ({"duration": CouponDuration.REPEATING, "duration_months": 0}, "duration_months"),
        ({"duration_months": 3}, "duration_months"),
        (
            {"redeemable_from": date(2026, 2, 1), "redeemable_until": date(2026, 1, 31)},
            "redeemable_until",
        ),
        ({"max_redemptions": 0}, "max_redemptions"),
    ],
)
def test_invalid_terms_name_their_field(fields: dict[str, object], field: str) -> None:
    assert field in problems(terms(**fields))


def test_valid_terms() -> None:
    assert problems(terms()) == {}
    assert problems(terms(value=Decimal(100))) == {}
    fixed = terms(kind=FIXED, value=Decimal("50.00"), currency="EUR")
    assert problems(fixed) == {}
    repeating = terms(duration=CouponDuration.REPEATING, duration_months=3)
    assert problems(repeating) == {}


def test_validity_window_includes_both_ends() -> None:
    t = terms(redeemable_from=date(2026, 1, 1), redeemable_until=date(2026, 1, 31))
    assert not redeemable_on(t, date(2025, 12, 31))
    assert redeemable_on(t, date(2026, 1, 1))
    assert redeemable_on(t, date(2026, 1, 31))
    assert not redeemable_on(t, date(2026, 2, 1))
    assert redeemable_on(terms(), date(1999, 1, 1))


def test_ends_on() -> None:
    repeating = terms(duration=CouponDuration.REPEATING, duration_months=3)
    # 1 Jan + 3 months = 1 Apr (exclusive): January, February and March
    assert ends_on(repeating, date(2026, 1, 1)) == date(2026, 4, 1)
    # months are added to the anchor: 31 Jan + 1 month = 28 Feb
    one = terms(duration=CouponDuration.REPEATING, duration_months=1)
    assert ends_on(one, date(2026, 1, 31)) == date(2026, 2, 28)
    assert ends_on(terms(), date(2026, 1, 1)) is None
    assert ends_on(terms(duration=CouponDuration.FOREVER), date(2026, 1, 1)) is None


def test_applies_on() -> None:
    jan_1, apr_1 = date(2026, 1, 1), date(2026, 4, 1)
    active, removed = RedemptionStatus.ACTIVE, RedemptionStatus.REMOVED
    rep = CouponDuration.REPEATING
    assert applies_on(rep, jan_1, apr_1, active, date(2026, 3, 1), already_used=False)
    assert not applies_on(rep, jan_1, apr_1, active, apr_1, already_used=False)
    assert not applies_on(rep, jan_1, apr_1, active, date(2025, 12, 1), already_used=False)
    once = CouponDuration.ONCE
    assert applies_on(once, jan_1, None, active, date(2030, 1, 1), already_used=False)
    assert not applies_on(once, jan_1, None, active, date(2026, 2, 1), already_used=True)
    forever = CouponDuration.FOREVER
    assert applies_on(forever, jan_1, None, active, date(2030, 1, 1), already_used=True)
    assert not applies_on(forever, jan_1, None, removed, date(2026, 2, 1), already_used=False)


def test_describe() -> None:
    assert describe("WELCOME20", PCT, Decimal("20.00"), None) == "Coupon WELCOME20 (-20 %)"
    assert describe("X", PCT, Decimal("12.5"), None) == "Coupon X (-12.5 %)"
    assert describe("SPRING", FIXED, Decimal("50.00"), "EUR") == "Coupon SPRING (-50.00 EUR)"
    # amounts come back from the database as 50: shown with the currency's minor unit
    assert describe("SPRING", FIXED, Decimal(50), "EUR") == "Coupon SPRING (-50.00 EUR)"
