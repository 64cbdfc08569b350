"""Turning what people and programs send into clean catalog values.

Values arrive typed (API) or as text (CLI, forms, CSV files); each field has one cleaner that
accepts both, and every bad field of a call is collected so it is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

from tarif.catalog.periodicity import Periodicity, Timing, parse_periodicity, parse_timing
from tarif.catalog.rules import (
    ProductKind,
    VatCategory,
    check_currency,
    check_product_code,
    check_revenue_account,
    check_unit_price,
)
from tarif.errors import ErrorCollector

Cleaner = Callable[[Any], Any]

PRODUCT_FIELDS = (
    "code",
    "name_en",
    "name_fr",
    "description_en",
    "description_fr",
    "kind",
    "unit_label",
    "revenue_account",
    "vat_category",
    "active",
)
PRICELIST_FIELDS = ("name", "currency", "valid_from", "valid_to", "is_default")
ENTRY_TERMS = ("unit_price", "periodicity", "timing", "charge")  # charge: see service
ENTRY_FIELDS = ("product_id", *ENTRY_TERMS)

_TRUE = {"true", "1", "yes", "y", "oui", "o", "on"}
_FALSE = {"false", "0", "no", "n", "non", "off"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false")


def parse_day(value: Any) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None


def _text(limit: int) -> Cleaner:
    def clean(value: Any) -> str | None:
        if is_blank(value):
            return None
        text = str(value).strip()
        if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
            # PostgreSQL cannot store NUL; the other control characters are typing accidents.
            raise ValueError("must not contain control characters")
        if len(text) > limit:
            raise ValueError(f"is too long (at most {limit} characters)")
        return text

    return clean


def _required(clean: Cleaner) -> Cleaner:
    def check(value: Any) -> Any:
        if is_blank(value):
            raise ValueError("is required")
        return clean(value)

    return check


def _optional(clean: Cleaner) -> Cleaner:
    return lambda value: None if is_blank(value) else clean(value)


def _choice(enum: type[StrEnum]) -> Cleaner:
    def clean(value: Any) -> str:
        try:
            return enum(str(value).strip().lower()).value
        except ValueError:
            raise ValueError("must be one of " + ", ".join(m.value for m in enum)) from None

    return clean


def _as_text(check: Callable[[str], Any]) -> Cleaner:
    return lambda value: check(str(value))


PRODUCT_CLEANERS: dict[str, Cleaner] = {
    "code": _required(_as_text(check_product_code)),
    "name_en": _text(200),
    "name_fr": _text(200),
    "description_en": _text(5000),
    "description_fr": _text(5000),
    "kind": _required(_choice(ProductKind)),
    "unit_label": _text(40),
    "revenue_account": _optional(_as_text(check_revenue_account)),
    "vat_category": _required(_choice(VatCategory)),
    "active": _required(parse_bool),
}

PRICELIST_CLEANERS: dict[str, Cleaner] = {
    "name": _required(_text(200)),
    "currency": _required(_as_text(check_currency)),
    "valid_from": parse_day,
    "valid_to": parse_day,
    "is_default": _required(parse_bool),
}


def _periodicity(value: Any) -> Periodicity:
    return value if isinstance(value, Periodicity) else parse_periodicity(value)


def _timing(value: Any) -> Timing:
    return value if isinstance(value, Timing) else parse_timing(value)


ENTRY_CLEANERS: dict[str, Cleaner] = {
    "unit_price": _required(check_unit_price),
    "periodicity": _optional(_periodicity),
    "timing": _optional(_timing),
}


def clean_fields(
    values: dict[str, Any],
    cleaners: dict[str, Cleaner],
    errors: ErrorCollector,
    known: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The cleaned values of the fields given; unknown and bad fields go to `errors`."""
    allowed = known if known is not None else tuple(cleaners)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in allowed:
            errors.add(name, "unknown field")
            continue
        cleaner = cleaners.get(name)
        if cleaner is None:
            out[name] = value
            continue
        try:
            out[name] = cleaner(value)
        except ValueError as exc:
            errors.add(name, str(exc))
    return out
