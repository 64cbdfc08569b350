"""D() and parse_decimal(): exact decimals from strings and ints, never from floats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tarif.money import D, parse_decimal
from tarif.money.number import decimals_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        ("  12.50 ", Decimal("12.50")),  # surrounding spaces are not part of the number
        ("1_000.5", Decimal("1000.5")),  # underscores group digits, as in Python literals
        ("-0.0025", Decimal("-0.0025")),
        (7, Decimal(7)),
        (Decimal("3.14"), Decimal("3.14")),
    ],
)
def test_d_builds_exact_decimals(value: Decimal | int | str, expected: Decimal) -> None:
    result = D(value)
    assert result == expected
    assert str(result) == str(expected)  # the scale is kept: "12.50" stays two decimals


@pytest.mark.parametrize("value", [0.1, 1.0, True, False])
def test_d_refuses_floats_and_bools(value: object) -> None:
    with pytest.raises(TypeError, match="refusing"):
        D(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", "abc", "1,5", "NaN", "Infinity", "-inf", "sNaN"])
def test_d_refuses_text_that_is_not_a_finite_number(value: str) -> None:
    with pytest.raises(ValueError):
        D(value)


def test_d_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="cannot make a decimal from NoneType"):
        D(None)  # type: ignore[arg-type]


def test_parse_decimal_allows_six_decimals() -> None:
    # A unit price of a quarter of a cent per API call (domain rules: up to 6 decimals).
    assert parse_decimal("0.0025") == Decimal("0.0025")
    assert parse_decimal("0.000001") == Decimal("0.000001")


@pytest.mark.parametrize("value", ["0.0000001", "1e-7", "1.2345678"])
def test_parse_decimal_refuses_a_seventh_decimal_instead_of_rounding(value: str) -> None:
    with pytest.raises(ValueError, match="at most 6 decimals"):
        parse_decimal(value)


def test_parse_decimal_accepts_trailing_zeros_past_six_decimals() -> None:
    # 1.50000000 is 1.5: no digit would be lost.
    assert parse_decimal("1.50000000") == Decimal("1.5")


def test_parse_decimal_takes_a_custom_limit() -> None:
    assert parse_decimal("12.34", max_decimals=2) == Decimal("12.34")
    with pytest.raises(ValueError, match="at most 2 decimals"):
        parse_decimal("12.345", max_decimals=2)


def test_parse_decimal_copes_with_numbers_longer_than_the_decimal_context() -> None:
    # 27 integer digits + 7 decimals = 34 digits, more than the default context's 28: still a
    # readable refusal, not a decimal.InvalidOperation.
    with pytest.raises(ValueError, match="at most 6 decimals"):
        parse_decimal("123456789012345678901234567.1234567")


@pytest.mark.parametrize(
    ("text", "decimals"),
    [("1.2500", 2), ("1E+3", 0), ("0.000", 0), ("0.0000001", 7), ("-0.10", 1), ("100", 0)],
)
def test_decimals_of_counts_only_significant_decimals(text: str, decimals: int) -> None:
    assert decimals_of(Decimal(text)) == decimals
