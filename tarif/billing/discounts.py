"""Line discounts: a percentage or a fixed amount off each period, never below zero.

A discount applies to a piece of a period when the piece starts on or after the discount's start
(the line's start when empty), before its `until` date (exclusive), and within its first
`periods` billing periods, counted on the line's grid from the period containing its start (a
partial first period counts as one). A fixed amount is per full period, so a partial period gets
the same share of it as of the price. Several discounts add up; the net never goes below zero.

A discount dated inside a period (`start` 11 Mar, or `until` 10 Apr inclusive, on a monthly
line) applies to its own days only: `discount_pieces` cuts the piece where a discount starts or
ends, so each part is priced with the discounts of its days, prorated like the price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from tarif.billing.periods import Period, Schedule, Slice
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


def discount_pieces(discounts: Sequence[Discount], piece: Slice) -> list[Slice]:
    """`piece` cut on each day a discount starts or stops inside it (same full period, so each
    part is prorated on the same denominator). Otherwise a discount starting on 11 Mar would
    miss March entirely, and one ending on 10 Apr would discount all of April."""
    inside = {
        day
        for discount in discounts
        for day in (discount.start, discount.until)
        if day is not None and piece.part.start < day < piece.part.end
    }
    if not inside:
        return [piece]
    bounds = [piece.part.start, *sorted(inside), piece.part.end]
    return [Slice(Period(low, high), piece.full) for low, high in pairwise(bounds)]


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
