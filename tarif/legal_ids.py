"""Checks for legal identifiers (VAT numbers, SIREN, SIRET, countries) with python-stdnum.

Pure functions returning the normalized value or raising ValueError with a readable reason.
"""

from __future__ import annotations

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)

_ISO_COUNTRIES: frozenset[str] | None = None
# CLDR's two-letter regions that are not countries: unknown, European Union, Eurozone, United
# Nations, outlying Oceania and two pseudo-locales. Kosovo (XK) stays: the EU uses it.
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


def _iso_countries() -> frozenset[str]:
    global _ISO_COUNTRIES
    if _ISO_COUNTRIES is None:
        from babel import Locale

        _ISO_COUNTRIES = frozenset(
            code
            for code in Locale("en").territories
            if isinstance(code, str)
            and len(code) == 2
            and code.isalpha()
            and code not in _NOT_COUNTRIES
        )
    return _ISO_COUNTRIES


def check_country(code: str) -> str:
    code = code.strip().upper()
    if code not in _iso_countries():
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return code


def check_vat_number(number: str) -> str:
    """An EU VAT number (with its country prefix), checked for format and checksum."""
    try:
        return str(eu_vat.validate(number))
    except ValidationError as exc:
        raise ValueError(f"invalid VAT number '{number}': {exc}") from exc


def vat_country(number: str) -> str:
    """The member state of a validated VAT number; Greece's prefix EL maps to GR."""
    prefix = number[:2].upper()
    return "GR" if prefix == "EL" else prefix


def check_siren(number: str) -> str:
    try:
        return str(fr_siren.validate(number))
    except ValidationError as exc:
        raise ValueError(f"invalid SIREN '{number}': {exc}") from exc


def check_siret(number: str) -> str:
    try:
        return str(fr_siret.validate(number))
    except ValidationError as exc:
        raise ValueError(f"invalid SIRET '{number}': {exc}") from exc


def siren_of_siret(siret: str) -> str:
    return siret[:9]


__all__ = [
    "EU_COUNTRIES",
    "check_country",
    "check_siren",
    "check_siret",
    "check_vat_number",
    "siren_of_siret",
    "vat_country",
]
