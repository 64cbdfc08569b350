"""Exact money: Decimal amounts with ISO 4217 currencies, rounding rules and locale formatting.

Pure code (no database, no HTTP). Read `README.md` beside this file for the rules.
"""

from tarif.money.amount import Money, MoneyError
from tarif.money.currency import (
    Currency,
    UnknownCurrency,
    currency,
    is_known_currency,
    minor_unit_problem,
)
from tarif.money.format import format_money
from tarif.money.number import D, parse_decimal
from tarif.money.rounding import RoundingMode, round_to_minor_unit

__all__ = [
    "Currency",
    "D",
    "Money",
    "MoneyError",
    "RoundingMode",
    "UnknownCurrency",
    "currency",
    "format_money",
    "is_known_currency",
    "minor_unit_problem",
    "parse_decimal",
    "round_to_minor_unit",
]
