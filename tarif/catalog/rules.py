"""Pure catalog rules: product kinds and VAT categories, field checks, validity ranges.

No database and no HTTP: each check takes a value and returns the clean value or raises
`ValueError` with a message meant for the person who typed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tarif.catalog.periodicity import Periodicity, Timing
from tarif.money import currency, is_known_currency, parse_decimal


class ProductKind(StrEnum):
    RECURRING = "recurring"  # billed every period (hosting, licence)
    ONE_OFF = "one_off"  # billed once (set-up fee)
    USAGE = "usage"  # billed per measured unit, in arrears (API calls, turnover fee)


class VatCategory(StrEnum):
    """The product's tax category; the rate comes from the seller's country (FR: 20/10/5.5/2.1)."""

    STANDARD = "standard"
    INTERMEDIATE = "intermediate"
    REDUCED = "reduced"
    SUPER_REDUCED = "super_reduced"
    EXEMPT = "exempt"


CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,19}")
# NUMERIC(20, 6) keeps 14 digits before the decimal point.
MAX_UNIT_PRICE = Decimal(10) ** 14


def check_product_code(code: str) -> str:
    """Codes identify products in imports, APIs and invoices: short, no spaces."""
    code = code.strip()
    if not CODE_PATTERN.fullmatch(code):
        raise ValueError(
            "use 1 to 60 letters, digits, '.', '_' or '-', starting with a letter or a digit"
        )
    return code


def check_revenue_account(account: str) -> str:
    account = account.strip()
    if not ACCOUNT_PATTERN.fullmatch(account):
        raise ValueError("use 1 to 20 letters, digits, '.' or '-' (e.g. 706000)")
    return account


def check_unit_price(value: Decimal | int | str) -> Decimal:
    """A unit price: zero or more, at most 6 decimals (0.0025 per API call)."""
    try:
        price = parse_decimal(value)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    if price < 0:
        raise ValueError("must be zero or more")
    if price >= MAX_UNIT_PRICE:
        raise ValueError("is too large (at most 14 digits before the decimal point)")
    return price


def price_text(price: Decimal, currency_code: str) -> str:
    """A unit price as text with at least the currency's minor unit: `399.00`, `0.0025`, `1000`
    (JPY). Never rounds: every decimal of the price is kept."""
    exponent = price.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # prices are finite
    decimals = max(currency(currency_code).minor_unit, -exponent)
    return f"{price:.{decimals}f}"


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if not is_known_currency(code):
        raise ValueError(f"unknown ISO 4217 currency '{code}'")
    return code


def entry_terms_problems(
    kind: ProductKind, periodicity: Periodicity | None, timing: Timing | None
) -> dict[str, str]:
    """What is wrong with an entry's periodicity and timing for a product of this kind.

    Recurring products are priced per period, so both are required. One-off and usage products
    are priced per unit; the contract line, not the price, decides when usage is billed.
    """
    problems: dict[str, str] = {}
    if kind is ProductKind.RECURRING:
        if periodicity is None:
            problems["periodicity"] = "is required for a recurring product"
        elif periodicity.is_one_off:
            problems["periodicity"] = "a recurring product needs a repeating periodicity"
        if timing is None:
            problems["timing"] = "is required for a recurring product (in_advance or in_arrears)"
        return problems
    label = "a one-off" if kind is ProductKind.ONE_OFF else "a usage"
    if periodicity is not None:
        problems["periodicity"] = f"must be empty for {label} product"
    if timing is not None:
        problems["timing"] = f"must be empty for {label} product"
    return problems


@dataclass(frozen=True)
class Validity:
    """An inclusive range of calendar days; None on either side leaves it open."""

    valid_from: date | None = None
    valid_to: date | None = None

    def __post_init__(self) -> None:
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_to < self.valid_from
        ):
            raise ValueError("valid_to must be on or after valid_from")

    def contains(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def overlaps(self, other: Validity) -> bool:
        """True when at least one day belongs to both ranges (both ends are inclusive)."""
        starts_before_other_ends = (
            self.valid_from is None or other.valid_to is None or self.valid_from <= other.valid_to
        )
        other_starts_before_self_ends = (
            other.valid_from is None or self.valid_to is None or other.valid_from <= self.valid_to
        )
        return starts_before_other_ends and other_starts_before_self_ends

    def __str__(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "open"
        end = self.valid_to.isoformat() if self.valid_to else "open"
        return f"{start} → {end}"
