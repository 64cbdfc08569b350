from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.catalog.periodicity import Periodicity, PeriodUnit, Timing
from tarif.catalog.rules import (
    ProductKind,
    Validity,
    check_currency,
    check_product_code,
    check_revenue_account,
    check_unit_price,
    entry_terms_problems,
    price_text,
)

MONTHLY = Periodicity(PeriodUnit.MONTH)


@pytest.mark.parametrize(
    ("text", "price"),
    [("399.00", Decimal("399.00")), ("0.0025", Decimal("0.0025")), ("0", Decimal(0))],
)
def test_unit_prices_are_exact_decimals(text: str, price: Decimal) -> None:
    assert check_unit_price(text) == price


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "zero or more"),
        ("0.0000001", "at most 6 decimals"),
        ("abc", "not a decimal number"),
        ("100000000000000", "too large"),  # 10^14 needs 15 integer digits; NUMERIC(20, 6) has 14
        (0.5, "refusing float"),
    ],
)
def test_bad_unit_prices_are_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_unit_price(value)  # type: ignore[arg-type]


def test_six_decimals_with_trailing_zeros_beyond_are_accepted() -> None:
    # 0.00250000 is 0.0025: the extra zeros carry no precision, so nothing is rounded.
    assert check_unit_price("0.00250000") == Decimal("0.0025")


@pytest.mark.parametrize(
    ("price", "currency", "text"),
    [
        (Decimal("399"), "EUR", "399.00"),  # at least EUR's 2 decimals
        (Decimal("0.0025"), "EUR", "0.0025"),  # never rounded to the minor unit
        (Decimal("399.000000"), "EUR", "399.00"),  # PostgreSQL's padding is dropped
        (Decimal("1000"), "JPY", "1000"),  # JPY has no decimals
        (Decimal("1.5"), "KWD", "1.500"),  # KWD has 3
    ],
)
def test_price_text_keeps_every_decimal_and_at_least_the_minor_unit(
    price: Decimal, currency: str, text: str
) -> None:
    assert price_text(price, currency) == text


def test_currencies_must_be_known_iso_codes() -> None:
    assert check_currency(" eur ") == "EUR"
    with pytest.raises(ValueError, match="unknown ISO 4217 currency 'EUX'"):
        check_currency("EUX")
    with pytest.raises(ValueError, match="unknown ISO 4217 currency 'XAU'"):
        check_currency("XAU")  # gold is not invoiced


def test_product_codes_and_revenue_accounts() -> None:
    assert check_product_code(" api-calls ") == "api-calls"
    assert check_revenue_account("706000") == "706000"
    for bad in ("", "with space", "-leading", "x" * 61):
        with pytest.raises(ValueError, match="1 to 60 letters"):
            check_product_code(bad)
    with pytest.raises(ValueError, match="1 to 20 letters"):
        check_revenue_account("706 000")


def test_recurring_products_need_a_repeating_periodicity_and_a_timing() -> None:
    assert entry_terms_problems(ProductKind.RECURRING, MONTHLY, Timing.IN_ADVANCE) == {}
    assert entry_terms_problems(ProductKind.RECURRING, None, None) == {
        "periodicity": "is required for a recurring product",
        "timing": "is required for a recurring product (in_advance or in_arrears)",
    }
    assert entry_terms_problems(
        ProductKind.RECURRING, Periodicity.one_off(), Timing.IN_ARREARS
    ) == {"periodicity": "a recurring product needs a repeating periodicity"}


@pytest.mark.parametrize(
    ("kind", "label"), [(ProductKind.ONE_OFF, "a one-off"), (ProductKind.USAGE, "a usage")]
)
def test_one_off_and_usage_products_take_no_periodicity_or_timing(
    kind: ProductKind, label: str
) -> None:
    assert entry_terms_problems(kind, None, None) == {}
    assert entry_terms_problems(kind, MONTHLY, Timing.IN_ARREARS) == {
        "periodicity": f"must be empty for {label} product",
        "timing": f"must be empty for {label} product",
    }


def test_validity_ends_are_inclusive_and_none_is_open() -> None:
    year_2026 = Validity(date(2026, 1, 1), date(2026, 12, 31))
    assert year_2026.contains(date(2026, 1, 1))
    assert year_2026.contains(date(2026, 12, 31))
    assert not year_2026.contains(date(2025, 12, 31))
    assert not year_2026.contains(date(2027, 1, 1))
    assert Validity(None, None).contains(date(1900, 1, 1))
    assert Validity(date(2026, 1, 1), None).contains(date(2999, 1, 1))
    assert str(Validity(date(2026, 1, 1), None)) == "2026-01-01 → open"


def test_validity_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="valid_to must be on or after valid_from"):
        Validity(date(2026, 2, 1), date(2026, 1, 31))
    assert Validity(date(2026, 2, 1), date(2026, 2, 1)).contains(date(2026, 2, 1))  # one day


def test_ranges_sharing_one_day_overlap_and_consecutive_ranges_do_not() -> None:
    year_2026 = Validity(date(2026, 1, 1), date(2026, 12, 31))
    assert year_2026.overlaps(Validity(date(2026, 12, 31), None))  # 31 Dec is in both
    assert not year_2026.overlaps(Validity(date(2027, 1, 1), None))  # the next day: none shared
    assert Validity(None, None).overlaps(year_2026)
    assert not Validity(None, date(2025, 12, 31)).overlaps(year_2026)


BASE = date(2026, 1, 1)
optional_day = st.none() | st.integers(0, 30).map(lambda n: BASE + timedelta(days=n))


@st.composite
def validities(draw: st.DrawFn) -> Validity:
    start, end = draw(optional_day), draw(optional_day)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return Validity(start, end)


@given(validities(), validities())
def test_overlap_is_symmetric_and_means_a_shared_day(a: Validity, b: Validity) -> None:
    # Days from 2025-12-31 to 2026-02-01 cover every bound drawn, plus one open day each side.
    days = [BASE + timedelta(days=n) for n in range(-1, 32)]
    shared = any(a.contains(d) and b.contains(d) for d in days)
    assert a.overlaps(b) == b.overlaps(a) == shared
