"""Rounding to the minor unit: HALF_UP by default, HALF_EVEN as an organization setting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tarif.money import RoundingMode, currency, round_to_minor_unit

UP = RoundingMode.HALF_UP
EVEN = RoundingMode.HALF_EVEN


@pytest.mark.parametrize(
    ("amount", "code", "half_up", "half_even"),
    [
        # 0.125 EUR is a tie between 0.12 and 0.13: up goes away from zero, even keeps the 2.
        ("0.125", "EUR", "0.13", "0.12"),
        # 0.135: the tie is between 0.13 and 0.14, and 4 is the even one: both give 0.14.
        ("0.135", "EUR", "0.14", "0.14"),
        # 2.5 JPY (no minor unit): a tie between 2 and 3.
        ("2.5", "JPY", "3", "2"),
        # 3.5 JPY: the even neighbour is 4, so both modes agree.
        ("3.5", "JPY", "4", "4"),
        # 1.0005 KWD (3 decimals): a tie between 1.000 and 1.001.
        ("1.0005", "KWD", "1.001", "1.000"),
        # Not ties: both modes take the nearest value.
        ("0.124999", "EUR", "0.12", "0.12"),
        ("0.125001", "EUR", "0.13", "0.13"),
        # Negative ties: HALF_UP rounds away from zero.
        ("-0.125", "EUR", "-0.13", "-0.12"),
        # Already at the minor unit: only the scale changes (12.5 -> 12.50).
        ("12.5", "EUR", "12.50", "12.50"),
        ("7", "KWD", "7.000", "7.000"),
    ],
)
def test_half_up_and_half_even(amount: str, code: str, half_up: str, half_even: str) -> None:
    # str() checks the digits and the scale at once: 12.50 has exactly two decimals.
    assert str(round_to_minor_unit(Decimal(amount), currency(code), UP)) == half_up
    assert str(round_to_minor_unit(Decimal(amount), currency(code), EVEN)) == half_even


def test_half_up_is_the_default() -> None:
    assert round_to_minor_unit(Decimal("0.125"), currency("EUR")) == Decimal("0.13")


def test_a_rounded_zero_is_never_negative() -> None:
    # -0.001 EUR is 0.00 once rounded; "-0.00" would show up on an invoice.
    result = round_to_minor_unit(Decimal("-0.001"), currency("EUR"))
    assert str(result) == "0.00"
    assert not result.is_signed()


def test_large_amounts_are_rounded_not_refused() -> None:
    # 31 integer digits + 2 decimals exceed the default 28-digit decimal context.
    amount = Decimal("1234567890123456789012345678901.005")
    expected = "1234567890123456789012345678901.01"  # .005 is a tie, HALF_UP goes up
    assert str(round_to_minor_unit(amount, currency("EUR"))) == expected


def test_rounding_modes_are_stored_by_name() -> None:
    assert RoundingMode("HALF_UP") is UP
    assert RoundingMode("HALF_EVEN") is EVEN
    with pytest.raises(ValueError):
        RoundingMode("HALF_DOWN")


def test_infinite_amounts_cannot_be_rounded() -> None:
    with pytest.raises(ValueError, match="cannot round"):
        round_to_minor_unit(Decimal("Infinity"), currency("EUR"))


def test_a_usage_line_is_rounded_once() -> None:
    # 1 234 calls × 0.0025 € = 3.085 € exactly, then one rounding: a tie between 3.08 and 3.09.
    exact = Decimal(1234) * Decimal("0.0025")
    assert exact == Decimal("3.085")
    assert round_to_minor_unit(exact, currency("EUR"), UP) == Decimal("3.09")
    assert round_to_minor_unit(exact, currency("EUR"), EVEN) == Decimal("3.08")
