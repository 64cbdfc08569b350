"""Hand-worked minimum commitment top-ups and early-termination fees, billed by successive runs.

Each row: the contract's versions, the billing runs, and every top-up ("minimum") or fee charge
they issue, as (kind, period start, period end, due on, rounded net). Line charges are left out
of the expected lists: they are those of `test_worked_cases.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tarif.billing.charges import Charge, ChargeKind, charges_as_of
from tarif.billing.commitments import CommitmentPeriod, billed_within, top_ups
from tarif.billing.periods import Period
from tarif.catalog.periodicity import parse_periodicity
from tarif.contracts.amendments import Amendment, AmendmentStatus, ContractVersion
from tarif.contracts.changes import Terminate
from tarif.contracts.model import (
    ContractLine,
    ContractTerms,
    EarlyTerminationFee,
    FeeKind,
    MinimumCommitment,
    RenewalPolicy,
)
from tests.billing.builders import ANNIV, ARREARS, CAL, bill, contract, line, rounded, terms

Row = tuple[str, date, date, date, str]


def d(text: str) -> date:
    return date.fromisoformat(text)


def minimum(amount: str, periodicity: str | None = "monthly") -> MinimumCommitment:
    return MinimumCommitment(
        Decimal(amount), None if periodicity is None else parse_periodicity(periodicity)
    )


def committed(base: ContractLine, amount: str, periodicity: str | None = "monthly") -> ContractLine:
    return replace(base, minimum_commitment=minimum(amount, periodicity))


def with_fee(
    base: ContractTerms, kind: FeeKind, amount: str | None = None, percentage: str | None = None
) -> ContractTerms:
    fee = EarlyTerminationFee(
        kind,
        None if amount is None else Decimal(amount),
        None if percentage is None else Decimal(percentage),
    )
    return replace(base, early_termination_fee=fee)


def terminated(original: ContractTerms, end: date, *, waive: bool = False) -> list[ContractVersion]:
    """Version 1, then a termination effective `end` (ends the contract, stops renewal)."""
    lines = tuple(replace(x, end=min(x.end, end) if x.end else None) for x in original.lines)
    ended = replace(original, end_date=end, renewal=RenewalPolicy(), lines=lines)
    amendment = Amendment(
        "amd_end",
        2,
        end,
        "termination",
        "finance",
        (Terminate(None, waive),),
        AmendmentStatus.APPLIED,
    )
    return [
        ContractVersion(1, original.start_date, original),
        ContractVersion(2, end, ended, amendment),
    ]


def extras(charges: list[Charge]) -> list[Row]:
    return [
        (c.kind.value, c.period.start, c.period.end, c.due_on, rounded(c.net))
        for c in charges
        if c.kind in (ChargeKind.MINIMUM, ChargeKind.FEE)
    ]


# A 12-month committed contract at 399.00 a month, in advance, calendar, from 1 Jan 2026.
YEAR = terms(d("2026-01-01"), line("399.00"), alignment=CAL, initial_term_months=12)
MONTHS = [f"2026-{m:02d}-01" for m in range(1, 13)]

CASES = [
    pytest.param(
        contract(terms(d("2026-03-01"), committed(line("100.00"), "150.00"))),
        ["2026-03-01", "2026-04-01", "2026-05-01"],
        # each month billed 100.00 < 150.00: top-up 150 − 100 = 50.00, due at the month's end
        [
            ("minimum", d("2026-03-01"), d("2026-04-01"), d("2026-04-01"), "50.00"),
            ("minimum", d("2026-04-01"), d("2026-05-01"), d("2026-05-01"), "50.00"),
        ],
        id="100-monthly-with-150-monthly-minimum",
    ),
    pytest.param(
        contract(terms(d("2026-01-01"), committed(line("300.00"), "1000.00", "quarterly"))),
        ["2026-01-01", "2026-02-01", "2026-03-01", "2026-03-31", "2026-04-01"],
        # Q1 billed 3 × 300 = 900 < 1000: top-up 100.00 on 1 Apr (nothing on 31 Mar)
        [("minimum", d("2026-01-01"), d("2026-04-01"), d("2026-04-01"), "100.00")],
        id="quarterly-1000-minimum-on-300-monthly",
    ),
    pytest.param(
        contract(terms(d("2026-01-15"), committed(line("399.00"), "310.00"), alignment=CAL)),
        ["2026-01-15", "2026-02-01"],
        # January: minimum 310 × 17/31 = 170.00; billed 399 × 17/31 = 218.81 ≥ 170: no top-up
        [],
        id="prorated-minimum-already-met",
    ),
    pytest.param(
        contract(terms(d("2026-01-15"), committed(line("100.00"), "310.00"), alignment=CAL)),
        ["2026-01-15", "2026-02-01", "2026-03-01"],
        # January: minimum 310 × 17/31 = 170.00, billed 100 × 17/31 = 54.838… → top-up
        # 170 − 54.838… = 115.161… = 115.16; February: 310 − 100 = 210.00
        [
            ("minimum", d("2026-01-15"), d("2026-02-01"), d("2026-02-01"), "115.16"),
            ("minimum", d("2026-02-01"), d("2026-03-01"), d("2026-03-01"), "210.00"),
        ],
        id="prorated-minimum-first-month-from-15-jan",
    ),
    pytest.param(
        contract(terms(d("2026-01-01"), committed(line("300.00", "quarterly", ARREARS), "120.00"))),
        ["2026-02-01", "2026-03-01", "2026-04-01"],
        # 300.00 a quarter in arrears: the Q1 charge is due 1 Apr, so each month's top-up waits
        # for it (nothing on 1 Feb or 1 Mar). Each month billed its days of the quarter's 90:
        # Jan 300 × 31/90 = 103.333… → 120 − 103.333… = 16.67; Feb 300 × 28/90 = 93.333… →
        # 26.67; Mar as January, 16.67; all due 1 Apr
        [
            ("minimum", d("2026-01-01"), d("2026-02-01"), d("2026-04-01"), "16.67"),
            ("minimum", d("2026-02-01"), d("2026-03-01"), d("2026-04-01"), "26.67"),
            ("minimum", d("2026-03-01"), d("2026-04-01"), d("2026-04-01"), "16.67"),
        ],
        id="monthly-minimum-waits-for-a-quarterly-arrears-charge",
    ),
    pytest.param(
        contract(
            terms(
                d("2026-03-10"),
                committed(line("200.00", timing=ARREARS), "250.00"),
                alignment=ANNIV,
            )
        ),
        ["2026-04-10"],
        # anniversary monthly in arrears from 10 Mar: [10 Mar, 10 Apr) billed 200 on 10 Apr;
        # top-up 250 − 200 = 50.00 the same day
        [("minimum", d("2026-03-10"), d("2026-04-10"), d("2026-04-10"), "50.00")],
        id="anniversary-arrears-top-up-on-the-period-end",
    ),
    pytest.param(
        contract(
            terms(
                d("2026-01-01"),
                committed(line("399.00"), "6000.00", None),
                initial_term_months=12,
                end=d("2027-01-01"),
            )
        ),
        [*MONTHS, "2027-01-01"],
        # per term: [1 Jan 2026, 1 Jan 2027) billed 12 × 399 = 4788 < 6000: 1212.00 on 1 Jan 2027
        [("minimum", d("2026-01-01"), d("2027-01-01"), d("2027-01-01"), "1212.00")],
        id="per-term-minimum-at-the-term-end",
    ),
    pytest.param(
        terminated(replace(YEAR, lines=(committed(line("100.00"), "150.00"),)), d("2026-03-16")),
        ["2026-01-01", "2026-02-01", "2026-03-01", "2026-03-16"],
        # ended 16 Mar: March's minimum 150 × 15/31 = 72.580…; billed 100 − credit 100 × 16/31 =
        # 100 × 15/31 = 48.387…; top-up 72.580… − 48.387… = 24.193… = 24.19 on 16 Mar
        # (January and February: 50.00 each)
        [
            ("minimum", d("2026-01-01"), d("2026-02-01"), d("2026-02-01"), "50.00"),
            ("minimum", d("2026-02-01"), d("2026-03-01"), d("2026-03-01"), "50.00"),
            ("minimum", d("2026-03-01"), d("2026-03-16"), d("2026-03-16"), "24.19"),
        ],
        id="minimum-prorated-by-a-termination",
    ),
    pytest.param(
        terminated(with_fee(YEAR, FeeKind.REMAINING), d("2026-06-01")),
        [*MONTHS[:5], "2026-06-01"],
        # ends 1 Jun, committed to 1 Jan 2027: June…December = 7 × 399.00 = 2,793.00 on 1 Jun
        [("fee", d("2026-05-31"), d("2026-06-01"), d("2026-06-01"), "2793.00")],
        id="remaining-fee-after-5-months",
    ),
    pytest.param(
        terminated(
            with_fee(YEAR, FeeKind.PERCENTAGE_OF_REMAINING, percentage="50"), d("2026-06-01")
        ),
        ["2026-06-01"],
        # 50 % × 2,793.00 = 1,396.50
        [("fee", d("2026-05-31"), d("2026-06-01"), d("2026-06-01"), "1396.50")],
        id="half-of-remaining-fee",
    ),
    pytest.param(
        terminated(with_fee(YEAR, FeeKind.REMAINING), d("2026-06-15")),
        ["2026-06-15"],
        # mid-month: 399 × 16/30 = 212.80 for [15 Jun, 1 Jul), then 6 × 399 = 2394:
        # 212.80 + 2394.00 = 2,606.80
        [("fee", d("2026-06-14"), d("2026-06-15"), d("2026-06-15"), "2606.80")],
        id="remaining-fee-from-mid-month-prorated",
    ),
    pytest.param(
        terminated(with_fee(YEAR, FeeKind.FIXED, amount="500.00"), d("2026-06-01")),
        ["2026-05-31", "2026-06-01", "2026-07-01"],
        # fixed 500.00, once, on the end date (nothing is known on 31 May)
        [("fee", d("2026-05-31"), d("2026-06-01"), d("2026-06-01"), "500.00")],
        id="fixed-fee-once",
    ),
    pytest.param(
        terminated(with_fee(YEAR, FeeKind.FIXED, amount="500.00"), d("2027-01-01")),
        ["2027-01-01"],
        # ends exactly at the committed term end: no fee
        [],
        id="no-fee-at-the-term-end",
    ),
    pytest.param(
        terminated(
            with_fee(terms(d("2026-01-01"), line("399.00")), FeeKind.FIXED, amount="500.00"),
            d("2026-06-01"),
        ),
        ["2026-06-01"],
        # evergreen, nothing committed: no fee
        [],
        id="no-fee-without-a-committed-term",
    ),
    pytest.param(
        terminated(with_fee(YEAR, FeeKind.REMAINING), d("2026-06-01"), waive=True),
        ["2026-06-01"],
        # waived by the admin who terminated
        [],
        id="waived-fee",
    ),
    pytest.param(
        terminated(
            replace(with_fee(YEAR, FeeKind.REMAINING), renewal=RenewalPolicy.auto(12)),
            d("2027-03-01"),
        ),
        ["2027-03-01"],
        # renewed on 1 Jan 2027 for 12 months: committed to 1 Jan 2028; March…December 2027 =
        # 10 × 399.00 = 3,990.00
        [("fee", d("2027-02-28"), d("2027-03-01"), d("2027-03-01"), "3990.00")],
        id="remaining-fee-in-a-renewed-term",
    ),
]


@pytest.mark.parametrize(("versions", "runs", "expected"), CASES)
def test_worked_case(versions: list[ContractVersion], runs: list[str], expected: list[Row]) -> None:
    assert extras(bill(versions, [d(r) for r in runs])) == expected


def test_the_fee_explains_its_arithmetic() -> None:
    versions = terminated(
        with_fee(YEAR, FeeKind.PERCENTAGE_OF_REMAINING, percentage="50"), d("2026-06-15")
    )
    [fee] = [c for c in charges_as_of(versions, d("2026-06-15")) if c.kind is ChargeKind.FEE]
    assert fee.description == (
        "Early termination on 2026-06-15, committed term to 2026-12-31: remaining charges "
        "16/30 × 399.00 + 6 × 399.00 = 2,606.80; 50% = 1,303.40"
    )
    # stored on the contract's first line, as one unit at the fee's amount
    assert (fee.line_key, fee.quantity, fee.unit_price) == ("hosting", 1, Decimal("1303.40"))


def test_a_top_up_explains_its_arithmetic() -> None:
    versions = contract(terms(d("2026-01-15"), committed(line("100.00"), "310.00")))
    [top_up] = [
        c
        for c in bill(versions, [d("2026-01-15"), d("2026-02-01")])
        if c.kind is ChargeKind.MINIMUM
    ]
    assert top_up.description == (
        "Minimum commitment per monthly period, 2026-01-15 to 2026-01-31: minimum 310.00 × 17/31"
        " = 170.00, billed 54.84, top-up 115.16"
    )


def test_an_amendment_raising_the_price_later_withdraws_part_of_a_top_up() -> None:
    base = terms(d("2026-03-01"), committed(line("100.00"), "150.00"))
    # known only on 2 Apr: from 15 Mar the price is 140.00
    upgraded = replace(base, lines=(committed(line("140.00"), "150.00"),))
    versions = contract(base, (d("2026-03-15"), upgraded))
    first = charges_as_of(versions[:1], d("2026-04-01"))
    later = charges_as_of(versions, d("2026-04-02"), already_billed=first)
    # 1 Apr (version 1 only): March billed 100.00, top-up 50.00.
    # 2 Apr: March billed 100 × 14/31 + 140 × 17/31 = 45.161… + 76.774… = 121.935…; top-up due
    # 150 − 121.935… = 28.064…, already 50.00: an adjustment of 28.064… − 50 = −21.935… = −21.94
    # (April: billed 140 ≥ 150? no: 150 − 140 = 10.00 is due on 1 May, not yet)
    assert extras(first) == [
        ("minimum", d("2026-03-01"), d("2026-04-01"), d("2026-04-01"), "50.00")
    ]
    [adjusted] = [c for c in later if c.kind is ChargeKind.MINIMUM]
    assert (rounded(adjusted.net), adjusted.adjustment, adjusted.version) == ("-21.94", True, 2)
    assert charges_as_of(versions, d("2026-04-02"), already_billed=[*first, *later]) == []


def test_top_ups_take_what_was_billed_as_input() -> None:
    march = Period(d("2026-03-01"), d("2026-04-01"))
    period = CommitmentPeriod(march, march, minimum("150.00"), Decimal("150.00"), march.end)
    # A usage engine could feed this: 120.00 billed in March → 30.00; 200.00 → nothing
    assert [t.amount for t in top_ups([period], {march: Decimal("120.00")})] == [Decimal("30.00")]
    assert top_ups([period], {march: Decimal("200.00")}) == []
    assert [t.amount for t in top_ups([period], {})] == [Decimal("150.00")]
    # a quarterly charge of 900.00 counts for March's 31 of its 90 days: 900 × 31/90 = 310.00
    quarter = Period(d("2026-01-01"), d("2026-04-01"))
    assert billed_within([(quarter, Decimal("900.00"))], march) == Decimal("310.00")


# --- properties ---------------------------------------------------------------------------------

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
prices = st.decimals(min_value=0, max_value=5_000, places=2)
commitment_periodicities = st.sampled_from(["monthly", "quarterly", "annual", "weekly", None])


@st.composite
def committed_contracts(draw: st.DrawFn) -> tuple[list[ContractVersion], date]:
    start = draw(days)
    base_line = line(
        str(draw(prices)),
        draw(st.sampled_from(["monthly", "quarterly", "annual"])),
        draw(st.sampled_from([ARREARS, line().timing])),
    )
    base_line = replace(
        base_line,
        minimum_commitment=MinimumCommitment(
            draw(prices),
            None if (p := draw(commitment_periodicities)) is None else parse_periodicity(p),
        ),
    )
    base = terms(
        start,
        base_line,
        alignment=draw(st.sampled_from([CAL, ANNIV])),
        initial_term_months=draw(st.sampled_from([None, 3, 12])),
    )
    kind = draw(st.sampled_from(list(FeeKind)))
    base = with_fee(
        base,
        kind,
        "250.00" if kind is FeeKind.FIXED else None,
        "40" if kind is FeeKind.PERCENTAGE_OF_REMAINING else None,
    )
    as_of = start + timedelta(days=draw(st.integers(0, 800)))
    if draw(st.booleans()):
        return terminated(base, start + timedelta(days=draw(st.integers(1, 500)))), as_of
    if draw(st.booleans()):
        # a price change on a day between the start and two years later
        changed = replace(base_line, unit_price=draw(prices))
        when = start + timedelta(days=draw(st.integers(1, 700)))
        return contract(base, (when, replace(base, lines=(changed,)))), as_of
    return contract(base), as_of


@settings(max_examples=60, deadline=None)
@given(committed_contracts())
def test_billing_twice_as_of_the_same_day_bills_top_ups_and_fees_once(
    case: tuple[list[ContractVersion], date],
) -> None:
    versions, as_of = case
    first = charges_as_of(versions, as_of)
    assert charges_as_of(versions, as_of) == first
    assert charges_as_of(versions, as_of, already_billed=first) == []
    for charge in first:
        if charge.kind is ChargeKind.MINIMUM:
            assert charge.net > 0  # a first top-up is never negative


@settings(max_examples=60, deadline=None)
@given(committed_contracts(), st.lists(st.integers(0, 800), max_size=5))
def test_the_fee_is_charged_at_most_once_whatever_the_runs(
    case: tuple[list[ContractVersion], date], offsets: list[int]
) -> None:
    versions, as_of = case
    start = versions[0].effective_from
    runs = sorted({min(as_of, start + timedelta(days=o)) for o in offsets} | {as_of})
    billed = bill(versions, runs)
    fees = [c for c in billed if c.kind is ChargeKind.FEE]
    assert len(fees) <= 1
    # Top-ups converge: whatever the runs, the total per commitment period is what one run gives.
    once = bill(versions, [as_of])

    def topped(charges: list[Charge]) -> dict[Period, Decimal]:
        totals: dict[Period, Decimal] = {}
        for c in charges:
            if c.kind is ChargeKind.MINIMUM:
                totals[c.full_period] = totals.get(c.full_period, Decimal(0)) + c.net
        return {k: v for k, v in totals.items() if abs(v) > Decimal("1E-18")}

    mine, theirs = topped(billed), topped(once)
    assert mine.keys() == theirs.keys()
    assert all(abs(mine[k] - theirs[k]) < Decimal("1E-18") for k in mine)
    assert sum((c.net for c in fees), Decimal(0)) == sum(
        (c.net for c in once if c.kind is ChargeKind.FEE), Decimal(0)
    )
