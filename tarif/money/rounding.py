"""Rounding to a currency's minor unit, once, where the domain rules say so."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, getcontext
from enum import StrEnum
from functools import lru_cache

from tarif.money.currency import Currency


class RoundingMode(StrEnum):
    HALF_UP = "HALF_UP"  # the default (domain rules): 0.125 -> 0.13
    HALF_EVEN = "HALF_EVEN"  # banker's rounding, an organization setting: 0.125 -> 0.12

    @property
    def decimal_rounding(self) -> str:
        return ROUND_HALF_UP if self is RoundingMode.HALF_UP else ROUND_HALF_EVEN


def round_to_minor_unit(
    amount: Decimal, currency: Currency, mode: RoundingMode = RoundingMode.HALF_UP
) -> Decimal:
    """`amount` with exactly the currency's minor unit of decimals: 0.125 EUR -> 0.13 (HALF_UP).

    Ties are decided by `mode` (HALF_UP: away from zero, so -0.125 -> -0.13). A result of zero
    is never negative: -0.001 EUR rounds to 0.00, not -0.00.
    """
    if not amount.is_finite():
        raise ValueError(f"cannot round {amount}")
    quantum = _quantum(currency.minor_unit)
    # Quantizing needs every integer digit plus the minor unit; the default 28 digits could
    # refuse large amounts: only then is the work done in a copy of the context with more.
    # (A billing run rounds a few amounts per line: no `localcontext` for the others.)
    context = getcontext()
    needed = amount.adjusted() + currency.minor_unit + 2
    if needed > context.prec:
        context = context.copy()
        context.prec = needed
    rounded = amount.quantize(quantum, rounding=mode.decimal_rounding, context=context)
    return rounded.copy_abs() if rounded.is_zero() else rounded


@lru_cache(maxsize=8)
def _quantum(minor_unit: int) -> Decimal:
    return Decimal(1).scaleb(-minor_unit)
