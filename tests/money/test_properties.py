"""Properties of rounding, formatting and sums, checked on generated amounts (Hypothesis)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.money import Money, MoneyError, RoundingMode, currency, format_money, round_to_minor_unit

CODES = ["EUR", "USD", "JPY", "KWD"]

# Amounts as the domain has them: up to 6 decimals (unit prices), up to 10^12 in size.
amounts = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
)
codes = st.sampled_from(CODES)
modes = st.sampled_from(list(RoundingMode))
locales = st.sampled_from(["fr", "en"])


def half_unit(code: str) -> Decimal:
    # Half of the minor unit: 0.005 for EUR, 0.5 for JPY, 0.0005 for KWD.
    return Decimal(1).scaleb(-currency(code).minor_unit) / 2


@given(amounts, codes, modes)
def test_rounded_value_is_within_half_a_minor_unit(
    amount: Decimal, code: str, mode: RoundingMode
) -> None:
    rounded = round_to_minor_unit(amount, currency(code), mode)
    assert abs(rounded - amount) <= half_unit(code)
    # …and carries exactly the currency's number of decimals.
    assert rounded.as_tuple().exponent == -currency(code).minor_unit


@given(amounts, codes, modes)
def test_rounding_is_idempotent(amount: Decimal, code: str, mode: RoundingMode) -> None:
    once = round_to_minor_unit(amount, currency(code), mode)
    assert round_to_minor_unit(once, currency(code), mode) == once


@given(amounts, codes)
def test_half_up_and_half_even_differ_only_on_exact_ties(amount: Decimal, code: str) -> None:
    up = round_to_minor_unit(amount, currency(code), RoundingMode.HALF_UP)
    even = round_to_minor_unit(amount, currency(code), RoundingMode.HALF_EVEN)
    if up != even:
        # A tie: the amount lies exactly half-way between two minor units…
        assert abs(up - amount) == half_unit(code)
        assert abs(even - amount) == half_unit(code)
        # …HALF_UP went away from zero, HALF_EVEN to the even last digit.
        assert abs(up) > abs(amount)
        assert int(even.scaleb(currency(code).minor_unit)) % 2 == 0


@given(st.integers(min_value=-(10**9), max_value=10**9), codes)
def test_exact_ties_are_decided_by_the_mode(units: int, code: str) -> None:
    # (units + ½) minor units is always a tie, e.g. units 2 in JPY: 2.5 -> up 3, even 2;
    # units -3 in JPY: -2.5 -> up -3 (away from zero), even -2.
    minor = currency(code).minor_unit
    tie = (Decimal(units) + Decimal("0.5")).scaleb(-minor)
    away_from_zero = units + 1 if units >= 0 else units
    nearest_even = units if units % 2 == 0 else units + 1
    up = round_to_minor_unit(tie, currency(code), RoundingMode.HALF_UP)
    even = round_to_minor_unit(tie, currency(code), RoundingMode.HALF_EVEN)
    assert up == Decimal(away_from_zero).scaleb(-minor)
    assert even == Decimal(nearest_even).scaleb(-minor)


def _digits_back(text: str, locale: str) -> Decimal:
    """Reads the number a person sees back out of a formatted amount."""
    number = re.sub(r"[^0-9,.\-]", "", text)
    # fr: decimal comma, groups are no-break spaces; en: comma groups, decimal point.
    return Decimal(number.replace(",", ".") if locale == "fr" else number.replace(",", ""))


@given(amounts, codes, modes, locales)
def test_formatting_then_reading_back_gives_the_rounded_amount(
    amount: Decimal, code: str, mode: RoundingMode, locale: str
) -> None:
    text = format_money(Money(amount, currency(code)), locale, mode)
    assert _digits_back(text, locale) == round_to_minor_unit(amount, currency(code), mode)


@given(amounts, codes, locales)
def test_formatting_shows_exactly_the_minor_unit_of_decimals(
    amount: Decimal, code: str, locale: str
) -> None:
    text = format_money(Money(amount, currency(code)), locale)
    decimal_mark = "," if locale == "fr" else "."
    number = re.sub(r"[^0-9" + re.escape(decimal_mark) + "]", "", text)
    minor = currency(code).minor_unit
    if minor == 0:
        assert decimal_mark not in number
    else:
        assert len(number.split(decimal_mark)[1]) == minor


@given(amounts, amounts, amounts, codes)
def test_money_addition_is_associative_and_commutative(
    a: Decimal, b: Decimal, c: Decimal, code: str
) -> None:
    x, y, z = (Money(v, currency(code)) for v in (a, b, c))
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    # Full precision: the sum is the exact sum of the amounts (at most 6 decimals each).
    assert (x + y + z).amount == a + b + c


lists_and_permutations = st.lists(amounts, max_size=8).flatmap(
    lambda xs: st.tuples(st.just(xs), st.permutations(xs))
)


@given(lists_and_permutations, codes)
def test_sum_does_not_depend_on_the_order(
    pair: tuple[list[Decimal], list[Decimal]], code: str
) -> None:
    original, shuffled = pair
    start = Money.zero(code)
    assert sum((Money(v, currency(code)) for v in original), start) == sum(
        (Money(v, currency(code)) for v in shuffled), start
    )


@given(st.lists(st.tuples(amounts, codes), min_size=2, max_size=6))
def test_sum_refuses_mixed_currencies(items: list[tuple[Decimal, str]]) -> None:
    moneys = [Money(v, currency(c)) for v, c in items]
    if len({c for _, c in items}) > 1:
        with pytest.raises(MoneyError, match="cannot combine"):
            sum(moneys)
    else:
        total = sum(moneys)
        assert isinstance(total, Money)
        assert total.amount == sum(v for v, _ in items)
