"""Events valued one by one (pure): each item is what its event adds to the period's rating."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tarif.billing.usage_items import EventUse, GroupSoFar, value_events
from tarif.pricing.percentage import TransactionBands
from tarif.pricing.rating import RatedLine, Usage, rate_groups
from tarif.pricing.spec import ChargeModel, ChargePrices, ChargeSpec, GroupPrice, Tier

D = Decimal
# 0.10 a minute with the first 100 minutes free each period.
PER_MINUTE = ChargeSpec(
    "minutes", ChargeModel.PER_UNIT, ChargePrices(unit_price=D("0.10")), free_units=D(100)
)
GRADUATED = ChargeSpec(
    "calls",
    ChargeModel.GRADUATED,
    ChargePrices(tiers=(Tier(D(10), D("1.00"), D("5.00")), Tier(None, D("0.50")))),
    minimum_spend=D(1000),
)


def rate_eur(spec: ChargeSpec, usages: Sequence[Usage]) -> list[RatedLine]:
    return rate_groups(spec, usages, "EUR")


def test_a_call_crossing_the_free_minutes_pays_only_its_billed_minutes() -> None:
    so_far = {(): GroupSoFar(D(96), 12)}
    calls = [EventUse(1, D(8)), EventUse(2, D(3))]  # 7 min 12 s valued as 8 minutes, then 3
    first, second = value_events(PER_MINUTE, so_far, calls, rate_eur)
    # 96 + 8 = 104 minutes: 4 above the 100 free, 4 × 0.10 = 0.40
    assert (first.period_quantity, first.period_amount, first.amount) == (
        D(104),
        D("0.40"),
        D("0.40"),
    )
    # 107 minutes: 7 × 0.10 = 0.70, of which this call adds 0.30
    assert (second.period_quantity, second.period_amount, second.amount) == (
        D(107),
        D("0.70"),
        D("0.30"),
    )


def test_a_tier_crossed_inside_an_event_is_split_in_its_amount_and_no_minimum_spend() -> None:
    calls = [EventUse(1, D(6)), EventUse(2, D(6)), EventUse(3, D(1))]
    valued = value_events(GRADUATED, {}, calls, rate_eur)
    # 6 calls: 5.00 flat fee + 6 × 1.00 = 11.00
    # 12 calls: 5.00 + 10 × 1.00 + 2 × 0.50 = 16.00 → adds 5.00
    # 13 calls: 16.50 → adds 0.50; the 1,000 minimum spend is left to the period's end
    assert [(v.period_amount, v.amount) for v in valued] == [
        (D("11.00"), D("11.00")),
        (D("16.00"), D("5.00")),
        (D("16.50"), D("0.50")),
    ]


def test_groups_are_rated_each_with_their_own_prices() -> None:
    spec = ChargeSpec(
        "gb",
        ChargeModel.PER_UNIT,
        ChargePrices(unit_price=D("1.00")),
        group_prices=(GroupPrice((("region", "us"),), ChargePrices(unit_price=D("2.00"))),),
    )
    eu, us = (("region", "eu"),), (("region", "us"),)
    valued = value_events(
        spec, {eu: GroupSoFar(D(3), 1)}, [EventUse(7, D(2), us), EventUse(8, D(1), eu)], rate_eur
    )
    # before: eu 3 × 1.00 = 3.00; then us 2 × 2.00 = 4.00 (7.00 in all); then eu + 1.00 (8.00)
    assert [(v.event_id, v.period_quantity, v.period_amount, v.amount) for v in valued] == [
        (7, D(2), D("7.00"), D("4.00")),
        (8, D(4), D("8.00"), D("1.00")),
    ]


def test_fee_bounds_put_each_transaction_in_its_band() -> None:
    # 2 % of each sale, at least 0.50 and at most 5.00 a sale
    spec = ChargeSpec(
        "turnover",
        ChargeModel.PERCENTAGE,
        ChargePrices(rate=D(2), min_fee=D("0.50"), max_fee=D("5.00")),
    )
    sales = [EventUse(1, D("10.00")), EventUse(2, D("100.00")), EventUse(3, D("1000.00"))]
    valued = value_events(spec, {}, sales, rate_eur)
    # 2 % × 10.00 = 0.20 → 0.50 (below); 2 % × 100.00 = 2.00; 2 % × 1,000.00 = 20.00 → 5.00
    assert [(v.band, v.amount) for v in valued] == [
        ("below", D("0.50")),
        ("between", D("2.00")),
        ("above", D("5.00")),
    ]
    again = value_events(
        spec,
        {(): GroupSoFar(D("1110.00"), 3, TransactionBands(1, 1, D("100.00"), 1))},
        sales[1:2],
        rate_eur,
    )
    # 7.50 so far, + 2.00: 9.50
    assert [(v.period_amount, v.amount) for v in again] == [(D("9.50"), D("2.00"))]


QUANTITIES = st.lists(
    st.decimals(min_value=0, max_value=500, places=2, allow_nan=False), min_size=1, max_size=30
)


@given(QUANTITIES, st.integers(min_value=0, max_value=29))
def test_the_items_of_a_period_add_up_to_its_rating_however_it_is_cut(
    quantities: list[Decimal], cut: int
) -> None:
    """Valued in two batches or one, the amounts add up to the rating of the whole period."""
    events = [EventUse(n, q) for n, q in enumerate(quantities)]
    spec = GRADUATED
    whole = sum(
        (
            line.net
            for line in rate_eur(
                replace(spec, minimum_spend=None),
                [Usage(quantity=sum(quantities, D(0)), event_count=len(quantities))],
            )
        ),
        D(0),
    )
    at_once = value_events(spec, {}, events, rate_eur)
    first = value_events(spec, {}, events[:cut], rate_eur)
    so_far = {(): GroupSoFar(sum(quantities[:cut], D(0)), len(quantities[:cut]))} if cut else {}
    rest = value_events(spec, so_far, events[cut:], rate_eur)
    assert sum((v.amount for v in at_once), D(0)) == whole
    assert [v.amount for v in first + rest] == [v.amount for v in at_once]
