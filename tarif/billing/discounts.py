"""Line discounts: a percentage or a fixed amount off each period, never below zero.

A discount applies to a piece of a period when the piece starts on or after the discount's start
(the line's start when empty), before its `until` date (exclusive), and within its first
`periods` billing periods, counted on the line's grid from the period containing its start (a
partial first period counts as one). A fixed amount is per full period, so a partial period gets
the same share of it as of the price. Several discounts add up; the net never goes below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tarif.billing.periods import Schedule, Slice
from tarif.billing.proration import prorate
from tarif.contracts.model import Discount, DiscountKind

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DiscountOutcome:
    net: Decimal
    amount_off: Decimal
    applied: tuple[Discount, ...]


def discount_applies(discount: Discount, schedule: Schedule, piece: Slice) -> bool:
    start = discount.start or schedule.start
    if piece.part.start < start:
        return False
    if discount.until is not None and piece.part.start >= discount.until:
        return False
    if discount.periods is None:
        return True
    periods_before = len(schedule.slices(start, piece.full.start))
    return periods_before < discount.periods


def amount_off(discount: Discount, gross: Decimal, piece: Slice) -> Decimal:
    if discount.kind is DiscountKind.PERCENTAGE:
        return gross * discount.value / HUNDRED
    return prorate(discount.value, piece.part, piece.full)


def apply_discounts(
    gross: Decimal, discounts: Sequence[Discount], schedule: Schedule, piece: Slice
) -> DiscountOutcome:
    """The net of a (non-negative) `gross` for `piece` once every applicable discount is off."""
    applied = tuple(d for d in discounts if discount_applies(d, schedule, piece))
    off = sum((amount_off(d, gross, piece) for d in applied), Decimal(0))
    off = min(off, gross)
    return DiscountOutcome(gross - off, off, applied)
