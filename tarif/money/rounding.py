"""Rounding to a currency's minor unit, once, where the domain rules say so."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
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
    quantum = Decimal(1).scaleb(-currency.minor_unit)
    return amount.quantize(quantum, rounding=mode.decimal_rounding)
