"""ISO 4217 currencies and their minor units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel.core import get_global

from tarif.money.number import decimals_of

# ISO 4217 minor units that differ from the usual 2 (CLDR's "digits" differ from ISO for a few,
# e.g. cash rounding, so the ISO exponent is kept here explicitly).
_MINOR_UNITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


class UnknownCurrency(ValueError):
    pass


@dataclass(frozen=True)
class Currency:
    code: str
    minor_unit: int

    def __str__(self) -> str:
        return self.code


@cache
def _known_codes() -> frozenset[str]:
    """Codes that are legal tender somewhere today, per the CLDR data Babel ships.

    Babel also lists withdrawn currencies (FRF, DEM, VEF…), funds and metals (CHE, XAU…), which
    nobody can be invoiced in; a currency counts when some territory uses it with no end date.
    """
    territory_currencies: Mapping[str, list[tuple[str, object, object, bool]]]
    territory_currencies = get_global("territory_currencies")
    return frozenset(
        code
        for uses in territory_currencies.values()
        for code, _start, end, tender in uses
        if end is None and tender
    )


def is_known_currency(code: str) -> bool:
    """True for an upper-case ISO 4217 code in use today ("EUR"); "eur" and "FRF" are not."""
    return isinstance(code, str) and code in _known_codes()


@cache
def currency(code: str) -> Currency:
    """The currency for an ISO 4217 code (upper case), or UnknownCurrency."""
    if not isinstance(code, str) or code not in _known_codes():
        raise UnknownCurrency(f"unknown ISO 4217 currency code: {code!r}")
    return Currency(code, _MINOR_UNITS.get(code, 2))


def minor_unit_problem(amount: Decimal, code: str) -> str | None:
    """Why `amount` cannot be billed as it is in the currency `code`: more decimals than its
    minor unit (50.001 EUR, 1.5 JPY). An amount billed as such (a fee, a minimum, a flat fee)
    must be payable exactly; unit prices, which are multiplied before rounding, are not held
    to it. None when it fits, or when the code is unknown (reported on its own field)."""
    if not is_known_currency(code):
        return None
    minor = currency(code).minor_unit
    if decimals_of(amount) > minor:
        return f"must have at most {minor} decimals in {code}"
    return None
