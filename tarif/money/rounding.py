"""Rounding to a currency's minor unit, once, where the domain rules say so."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

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
    quantum = Decimal(1).scaleb(-currency.minor_unit)
    with localcontext() as context:
        # Quantizing needs every integer digit plus the minor unit; the default 28 digits could
        # refuse large amounts.
        context.prec = max(context.prec, amount.adjusted() + currency.minor_unit + 2)
        rounded = amount.quantize(quantum, rounding=mode.decimal_rounding)
    return rounded.copy_abs() if rounded.is_zero() else rounded
