"""ISO 4217 currencies and their minor units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tarif.money import UnknownCurrency, currency, is_known_currency, minor_unit_problem


@pytest.mark.parametrize(
    ("code", "minor_unit"),
    [("EUR", 2), ("USD", 2), ("GBP", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3)],
)
def test_minor_units_follow_iso_4217(code: str, minor_unit: int) -> None:
    assert currency(code).minor_unit == minor_unit
    assert currency(code).code == code
    assert str(currency(code)) == code


@pytest.mark.parametrize(
    "code",
    [
        "eur",  # codes are upper case
        "XYZ",  # not a code at all
        "FRF",  # the French franc: withdrawn in 2002
        "XAU",  # gold is not money one invoices in
        "CHE",  # a fund code, not legal tender
        "",
    ],
)
def test_unknown_or_uninvoiceable_codes_are_refused(code: str) -> None:
    assert not is_known_currency(code)
    with pytest.raises(UnknownCurrency, match="unknown ISO 4217 currency code"):
        currency(code)


def test_is_known_currency_accepts_current_codes_and_refuses_non_strings() -> None:
    assert is_known_currency("EUR")
    assert is_known_currency("CHF")
    assert not is_known_currency(None)  # type: ignore[arg-type]


def test_currencies_are_values() -> None:
    assert currency("EUR") == currency("EUR")
    assert currency("EUR") != currency("USD")


@pytest.mark.parametrize(
    ("amount", "code", "problem"),
    [
        ("50.00", "EUR", None),
        ("50.0000", "EUR", None),  # trailing zeros are no decimals
        ("50.001", "EUR", "must have at most 2 decimals in EUR"),
        ("1000", "JPY", None),
        ("9.5", "JPY", "must have at most 0 decimals in JPY"),
        ("1.005", "KWD", None),
        ("1.0005", "KWD", "must have at most 3 decimals in KWD"),
        ("1.001", "XYZ", None),  # an unknown code is reported on its own field
    ],
)
def test_an_amount_billed_as_such_fits_the_minor_unit(
    amount: str, code: str, problem: str | None
) -> None:
    assert minor_unit_problem(Decimal(amount), code) == problem
