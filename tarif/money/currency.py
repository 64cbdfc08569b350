"""ISO 4217 currencies and their minor units."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel.numbers import list_currencies

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
# Codes Babel lists that are not money one can invoice in (precious metals, testing, funds).
_NOT_INVOICEABLE = {
    "XAU",
    "XAG",
    "XPT",
    "XPD",
    "XTS",
    "XXX",
    "XDR",
    "XSU",
    "XUA",
    "XBA",
    "XBB",
    "XBC",
    "XBD",
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
    return frozenset(c for c in list_currencies() if c not in _NOT_INVOICEABLE)


def is_known_currency(code: str) -> bool:
    return code in _known_codes()


@cache
def currency(code: str) -> Currency:
    """The currency for an ISO 4217 code (upper case), or UnknownCurrency."""
    if not isinstance(code, str) or code not in _known_codes():
        raise UnknownCurrency(f"unknown ISO 4217 currency code: {code!r}")
    return Currency(code, _MINOR_UNITS.get(code, 2))
