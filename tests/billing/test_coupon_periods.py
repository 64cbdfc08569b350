"""Coupon periods: which billing period each line of a contract belongs to, and what a coupon
takes off each period (docs/discounts.md, "Coupons discount periods, not invoices")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tarif.billing.coupon_periods import (
    Billed,
    CouponPeriod,
    coupon_takes,
    period_of,
    place,
    replay,
)
from tarif.billing.invoice_discounts import CoveredLine, InvoiceDiscountKind
from tarif.billing.periods import Period
from tarif.money import RoundingMode, currency

EUR = currency("EUR")
PCT = InvoiceDiscountKind.PERCENTAGE
FIXED = InvoiceDiscountKind.FIXED
D = Decimal
HALF_UP = RoundingMode.HALF_UP


def day(text: str) -> date:
    return date.fromisoformat(text)


def billed(
    start: str, end: str, full_start: str | None = None, full_end: str | None = None
) -> Billed:
    period = Period(day(start), day(end))
    full = Period(day(full_start), day(full_end)) if full_start and full_end else period
    return Billed(period, full)


MARCH = billed("2026-03-01", "2026-04-01")
APRIL = billed("2026-04-01", "2026-05-01")
YEAR_2026 = billed("2026-01-01", "2027-01-01")


def test_the_first_invoice_of_some_days_opens_their_period() -> None:
    periods: list[CouponPeriod] = []
    assert place(periods, [MARCH], day("2026-03-01")) == [0]
    assert periods == [CouponPeriod(MARCH.period, 31, day("2026-03-01"))]
    # a partial first month: its days, the cycle of its whole month
    periods = []
    place(
        periods, [billed("2026-01-15", "2026-02-01", "2026-01-01", "2026-02-01")], day("2026-01-15")
    )
    assert periods == [
        CouponPeriod(Period(day("2026-01-15"), day("2026-02-01")), 31, day("2026-01-15"))
    ]


def test_an_upgrade_a_new_line_or_a_one_off_inside_a_month_belong_to_that_month() -> None:
    periods = replay([(day("2026-03-01"), [MARCH])])
    upgrade = billed("2026-03-15", "2026-04-01", "2026-03-01", "2026-04-01")
    one_off = billed("2026-03-15", "2026-03-16")
    # a line of its own grid (anniversary from 15 Mar: [15 Mar, 15 Apr) is 31 days)
    own_grid = billed("2026-03-15", "2026-04-15")
    assert place(periods, [upgrade, one_off, own_grid], day("2026-03-15")) == [0, 0, 0]
    assert len(periods) == 1  # nothing opened: no second period, no second amount


def test_an_annual_line_billed_with_a_monthly_one_opens_a_month() -> None:
    jan = billed("2026-01-01", "2026-02-01")
    periods = replay(
        [
            (day("2026-01-01"), [jan, YEAR_2026]),
            (day("2026-02-01"), [billed("2026-02-01", "2026-03-01")]),
        ]
    )
    # the shortest billing period ends it: January, then February
    assert [(p.days, p.cycle) for p in periods] == [
        (Period(day("2026-01-01"), day("2026-02-01")), 31),
        (Period(day("2026-02-01"), day("2026-03-01")), 28),
    ]


def test_a_month_of_usage_is_not_part_of_a_year_opened_by_an_annual_licence() -> None:
    periods = replay([(day("2026-01-01"), [YEAR_2026])])
    assert periods[0].cycle == 365
    january_usage = billed("2026-01-01", "2026-02-01")
    # billed on 1 Feb: a period of its own, so each month of usage is one period
    assert place(periods, [january_usage], day("2026-02-01")) == [1]
    # the licence's own change in March belongs to the year, not to a month
    licence_change = billed("2026-03-15", "2027-01-01", "2026-01-01", "2027-01-01")
    assert period_of(periods, licence_change) == 0


def test_lines_of_two_periods_on_one_invoice_open_two() -> None:
    # the first invoice of a contract bills January's usage (in arrears) and February's
    # hosting (in advance): two months, two periods
    periods: list[CouponPeriod] = []
    usage, hosting = billed("2026-01-01", "2026-02-01"), billed("2026-02-01", "2026-03-01")
    assert place(periods, [hosting, usage], day("2026-02-01")) == [1, 0]
    assert [p.days.start for p in periods] == [day("2026-01-01"), day("2026-02-01")]


def covered(*nets: str) -> list[CoveredLine]:
    return [CoveredLine(D(net), D(20)) for net in nets]


def test_a_fixed_amount_takes_what_is_left_of_it_for_the_period() -> None:
    # March took 50.00 off 310.00; an upgrade's credit gave 27.42 back: 22.58 taken, 27.42 left
    # for the upgrade's charge of 340.00
    [take] = coupon_takes(
        FIXED, D(50), EUR, HALF_UP, covered("340.00"), [0], {0}, (), {0: D("22.58")}
    )
    assert (take.period, take.adjustment, take.lines) == (0, True, (0,))
    assert [p.amount for p in take.parts] == [D("27.42")]
    # nothing left: nothing taken
    assert (
        coupon_takes(FIXED, D(50), EUR, HALF_UP, covered("340.00"), [0], {0}, (), {0: D(50)}) == []
    )


def test_a_fixed_amount_never_takes_a_line_below_zero() -> None:
    [take] = coupon_takes(
        FIXED, D(50), EUR, HALF_UP, covered("17.00"), [0], {0}, (), {0: D("22.58")}
    )
    assert [p.amount for p in take.parts] == [D("17.00")]


def test_a_fixed_amount_per_period_on_an_invoice_of_two_periods() -> None:
    # April opened by the invoice (50.00) and March's late charge (27.42 left of March's)
    takes = coupon_takes(
        FIXED,
        D(50),
        EUR,
        HALF_UP,
        covered("340.00", "620.00"),
        [0, 1],
        {0, 1},
        (1,),
        {0: D("22.58")},
    )
    assert [(t.period, t.adjustment, [p.amount for p in t.parts]) for t in takes] == [
        (1, False, [D("50.00")]),
        (0, True, [D("27.42")]),
    ]


def test_a_percentage_takes_every_line_of_its_periods_only() -> None:
    # February opened and discounted, January's usage of a discounted January, and a line of a
    # period the coupon does not discount (2)
    [take] = coupon_takes(
        PCT, D(10), EUR, HALF_UP, covered("399.00", "8.28", "100.00"), [1, 0, 2], {0, 1}, (1,), {}
    )
    # (399.00 + 8.28) × 10 % = 40.728 → 40.73; in the period February opened
    assert (take.period, take.adjustment, take.lines) == (1, False, (0, 1))
    assert [p.amount for p in take.parts] == [D("40.73")]
    assert coupon_takes(PCT, D(10), EUR, HALF_UP, covered("100.00"), [2], {0, 1}, (2,), {}) == []


@given(
    amount=st.integers(min_value=1, max_value=100_000).map(lambda n: D(n) / 100),
    taken=st.integers(min_value=-50_000, max_value=100_000).map(lambda n: D(n) / 100),
    nets=st.lists(st.integers(min_value=-10_000, max_value=100_000), min_size=1, max_size=4),
)
def test_a_fixed_amount_never_exceeds_what_is_left_nor_the_base(
    amount: Decimal, taken: Decimal, nets: list[int]
) -> None:
    lines = [CoveredLine(D(n) / 100, D(20)) for n in nets]
    takes = coupon_takes(FIXED, amount, EUR, HALF_UP, lines, [0] * len(lines), {0}, (), {0: taken})
    total = sum((p.amount for t in takes for p in t.parts), D(0))
    base = max(sum((line.net for line in lines), D(0)), D(0))
    assert total <= max(amount - taken, D(0))
    assert total <= base
    assert total == min(max(amount - taken, D(0)), base)
