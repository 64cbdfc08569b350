"""Properties of billing that hold for any contract, checked with Hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from tarif.billing.charges import ChargeKind, charges_as_of
from tarif.billing.periods import Period, Schedule, Slice
from tarif.billing.proration import prorate
from tarif.catalog.periodicity import Timing, parse_periodicity
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.model import BillingAlignment, Discount, DiscountKind
from tests.billing.builders import bill, contract, line, rounded, terms, with_lines

Case = tuple[list[ContractVersion], date]
CENT = Decimal("0.01")
# Sums run in the default 28-digit context, so exact shares agree to far below a cent.
EXACT = Decimal("1E-20")
PERIODICITIES = [
    "monthly",
    "quarterly",
    "annual",
    "biennial",
    "weekly",
    "every_10_days",
    "every_2_months",
    "semi_annual",
]

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
alignments = st.sampled_from(list(BillingAlignment))
timings = st.sampled_from(list(Timing))
periodicities = st.sampled_from(PERIODICITIES)


@given(amounts, days, periodicities, alignments, st.lists(st.integers(1, 800), max_size=6))
def test_parts_of_a_period_add_up_to_the_whole(
    amount: Decimal, start: date, periodicity: str, alignment: BillingAlignment, cuts: list[int]
) -> None:
    full = Schedule(parse_periodicity(periodicity), alignment, start).full_period(start)
    inner = sorted({full.start + timedelta(days=c % full.days) for c in cuts} - {full.start})
    bounds = [full.start, *inner, full.end]
    parts = [Period(a, b) for a, b in pairwise(bounds)]
    exact = [prorate(amount, part, full) for part in parts]
    assert abs(sum(exact, Decimal(0)) - amount) < EXACT
    cents = sum((Decimal(rounded(x)) for x in exact), Decimal(0))
    assert abs(cents - amount) <= CENT * len(parts)


@st.composite
def contracts(draw: st.DrawFn) -> Case:
    start = draw(days)
    periodicity = draw(periodicities)
    price = str(draw(st.decimals(min_value=1, max_value=10_000, places=2)))
    discounts: tuple[Discount, ...] = ()
    if draw(st.booleans()):
        discounts = (
            Discount(
                DiscountKind.FIXED,
                Decimal(draw(st.integers(0, 20_000))),
                periods=draw(st.integers(1, 3)),
            ),
        )
    base = terms(
        start,
        line(price, periodicity, draw(timings), discounts=discounts),
        alignment=draw(alignments),
    )
    changes = []
    if draw(st.booleans()):
        when = start + timedelta(days=draw(st.integers(1, 400)))
        new_price = str(draw(st.decimals(min_value=1, max_value=10_000, places=2)))
        end = when + timedelta(days=draw(st.integers(1, 400))) if draw(st.booleans()) else None
        new_line = line(new_price, draw(periodicities), draw(timings))
        changes.append((when, with_lines(base, new_line, end=end)))
    as_of = start + timedelta(days=draw(st.integers(0, 900)))
    return contract(base, *changes), as_of


@settings(max_examples=60, deadline=None)
@given(contracts())
def test_billing_twice_as_of_the_same_day_bills_nothing_new(case: Case) -> None:
    versions, as_of = case
    first = charges_as_of(versions, as_of)
    assert charges_as_of(versions, as_of) == first  # deterministic
    assert charges_as_of(versions, as_of, already_billed=first) == []


@settings(max_examples=60, deadline=None)
@given(contracts(), st.integers(0, 900))
def test_billing_at_a_midway_day_too_changes_nothing_in_the_end(
    case: Case,
    midway_offset: int,
) -> None:
    versions, as_of = case
    midway = min(as_of, versions[0].effective_from + timedelta(days=midway_offset))
    once = bill(versions, [as_of])
    twice = bill(versions, [midway, as_of])
    # Billing in two runs may issue credits and charges the single run does not need, but the
    # total billed is the same at full precision (same pieces of the same periods).
    difference = sum((c.net for c in twice), Decimal(0)) - sum((c.net for c in once), Decimal(0))
    assert abs(difference) < EXACT


@settings(max_examples=60, deadline=None)
@given(contracts())
def test_discounts_never_take_a_charge_below_zero(case: Case) -> None:
    versions, as_of = case
    for charge in bill(versions, [as_of]):
        if charge.kind is ChargeKind.CHARGE:
            assert charge.net >= 0


@given(amounts, days, periodicities, alignments, st.integers(1, 700), st.integers(0, 700))
def test_splitting_a_range_at_any_day_keeps_the_total(
    amount: Decimal,
    start: date,
    periodicity: str,
    alignment: BillingAlignment,
    length: int,
    split_at: int,
) -> None:
    schedule = Schedule(parse_periodicity(periodicity), alignment, start)
    end = start + timedelta(days=length)
    middle = start + timedelta(days=split_at % length)
    whole = schedule.slices(start, end)
    split = schedule.slices(start, middle) + schedule.slices(middle, end)

    def total(pieces: list[Slice]) -> Decimal:
        return sum((prorate(amount, s.part, s.full) for s in pieces), Decimal(0))

    assert abs(total(whole) - total(split)) < EXACT
    rounded_whole = sum(
        (Decimal(rounded(prorate(amount, s.part, s.full))) for s in whole), Decimal(0)
    )
    rounded_split = sum(
        (Decimal(rounded(prorate(amount, s.part, s.full))) for s in split), Decimal(0)
    )
    assert abs(rounded_whole - rounded_split) <= CENT * (len(whole) + len(split))


periods = st.builds(
    lambda start, length: Period(start, start + timedelta(days=length)), days, st.integers(1, 400)
)


@given(st.lists(periods, max_size=6), periods)
def test_coverage_adds_a_charge_as_normalizing_does(ranges: list[Period], added: Period) -> None:
    # `_covered_with` skips the sort when the charge extends or follows the last range
    from tarif.billing.charges import _covered_with
    from tarif.billing.periods import normalized

    covered = normalized(ranges)
    assert _covered_with(covered, added) == normalized([*covered, added])
