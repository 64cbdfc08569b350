from __future__ import annotations

from datetime import date
from decimal import Decimal

from tarif.billing.discounts import apply_discounts
from tarif.billing.periods import Schedule, Slice
from tarif.catalog.periodicity import parse_periodicity
from tarif.contracts.model import Discount, DiscountKind
from tests.billing.builders import CAL

SCHEDULE = Schedule(parse_periodicity("monthly"), CAL, date(2026, 1, 15))


def slices() -> list[Slice]:
    return SCHEDULE.slices(date(2026, 1, 1), date(2026, 5, 1))


def test_fixed_discount_is_prorated_with_a_partial_period() -> None:
    first = slices()[0]  # [15 Jan, 1 Feb) of January's 31 days
    outcome = apply_discounts(
        Decimal("218.80"), (Discount(DiscountKind.FIXED, Decimal("31.00")),), SCHEDULE, first
    )
    # 31 × 17/31 = 17 off: 218.80 - 17 = 201.80
    assert (outcome.amount_off, outcome.net) == (Decimal("17"), Decimal("201.80"))


def test_discounts_add_up_and_never_go_below_zero() -> None:
    second = slices()[1]
    both = (
        Discount(DiscountKind.PERCENTAGE, Decimal("50")),
        Discount(DiscountKind.FIXED, Decimal("300")),
    )
    outcome = apply_discounts(Decimal("399"), both, SCHEDULE, second)
    # 199.50 + 300 = 499.50 off 399: capped at 399, net 0
    assert (outcome.amount_off, outcome.net, outcome.applied) == (Decimal(399), Decimal(0), both)


def test_discount_counted_in_periods_from_its_own_start() -> None:
    later = Discount(DiscountKind.PERCENTAGE, Decimal("10"), periods=1, start=date(2026, 2, 1))
    applied = [bool(apply_discounts(Decimal(100), (later,), SCHEDULE, s).applied) for s in slices()]
    # January is before its start, February is its one period, March and April are after it
    assert applied == [False, True, False, False]
