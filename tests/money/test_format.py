"""Formatting for people with Babel. NBSP is U+00A0, the no-break space the module emits."""

from __future__ import annotations

import pytest

from tarif.money import Money, RoundingMode, format_money

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "code", "locale", "expected"),
    [
        # French: no-break space between thousands, decimal comma, symbol after a space.
        ("1234.5", "EUR", "fr", f"1{NBSP}234,50{NBSP}€"),
        # English: symbol first, comma between thousands, decimal point.
        ("1234.5", "EUR", "en", "€1,234.50"),
        ("1234567.891", "EUR", "fr", f"1{NBSP}234{NBSP}567,89{NBSP}€"),
        # JPY has no minor unit: no decimals at all (1234.4 rounds to 1234).
        ("1234.4", "JPY", "fr", f"1{NBSP}234{NBSP}JPY"),
        ("1234", "JPY", "en", "¥1,234"),
        # KWD has three decimals; a code made of letters is kept apart from the digits.
        ("1234.5", "KWD", "fr", f"1{NBSP}234,500{NBSP}KWD"),
        ("1234.5", "KWD", "en", f"KWD{NBSP}1,234.500"),
        # Negative amounts: the minus sign comes first in both locales.
        ("-1234.5", "EUR", "fr", f"-1{NBSP}234,50{NBSP}€"),
        ("-1234.5", "EUR", "en", "-€1,234.50"),
        ("-1234.5", "KWD", "en", f"-KWD{NBSP}1,234.500"),
        # A tiny negative amount rounds to zero, shown without a minus sign.
        ("-0.001", "EUR", "fr", f"0,00{NBSP}€"),
        ("1234.5", "USD", "en", "$1,234.50"),
        ("1234.5", "USD", "fr", f"1{NBSP}234,50{NBSP}$US"),
    ],
)
def test_format_money(amount: str, code: str, locale: str, expected: str) -> None:
    assert format_money(Money.of(amount, code), locale) == expected


def test_french_is_the_default_locale() -> None:
    assert format_money(Money.of("1234.5", "EUR")) == f"1{NBSP}234,50{NBSP}€"


def test_no_narrow_or_plain_spaces_are_emitted() -> None:
    text = format_money(Money.of("1234567.5", "KWD"), "fr")
    assert "\u202f" not in text
    assert " " not in text


def test_formatting_rounds_with_the_given_mode() -> None:
    # 0.125 is a tie: HALF_UP shows 0,13, HALF_EVEN 0,12.
    assert format_money(Money.of("0.125", "EUR"), "fr") == f"0,13{NBSP}€"
    assert format_money(Money.of("0.125", "EUR"), "fr", RoundingMode.HALF_EVEN) == f"0,12{NBSP}€"


def test_large_amounts_are_formatted_in_full() -> None:
    # 10^30 has 31 digits, beyond the default decimal context, yet prints every group.
    text = format_money(Money.of("1E+30", "EUR"), "en")
    assert text == "€1" + ",000" * 10 + ".00"
