"""Hand-worked billing cases: each row is a contract, billing runs, and every charge they issue.

Dates are half-open `[start, end)`; each expected net is the full-precision amount rounded once
(HALF_UP, the currency's minor unit), with the arithmetic beside it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tarif.billing.charges import ChargeKind, charges_as_of
from tarif.billing.periods import Period
from tarif.billing.totals import TaxedLine, invoice_totals
from tarif.catalog.rules import ProductKind
from tarif.contracts.changes import Terminate, apply_changes
from tarif.contracts.model import Discount, DiscountKind
from tarif.money import RoundingMode
from tests.billing.builders import (
    ANNIV,
    ARREARS,
    CAL,
    bill,
    contract,
    line,
    rounded,
    summary,
    terms,
    with_lines,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def pct(value: str, **kwargs: Any) -> Discount:
    return Discount(DiscountKind.PERCENTAGE, Decimal(value), **kwargs)


def fixed(value: str, **kwargs: Any) -> Discount:
    return Discount(DiscountKind.FIXED, Decimal(value), **kwargs)


# Terms reused by the amendment cases: 310.00 a month from 1 Mar 2026 (March has 31 days).
MARCH = terms(d("2026-03-01"), line("310.00"), alignment=CAL)
MARCH_ARREARS = terms(d("2026-03-01"), line("31.00", timing=ARREARS, quantity="10"))

CASES = [
    pytest.param(
        contract(terms(d("2026-01-15"), line("399.00"), alignment=CAL)),
        ["2026-01-15", "2026-02-01"],
        {},
        # 399 × 17/31 = 218.806… ; then a whole February
        [("2026-01-15", "2026-02-01", "218.81"), ("2026-02-01", "2026-03-01", "399.00")],
        id="399-monthly-calendar-in-advance-from-15-jan",
    ),
    pytest.param(
        contract(terms(d("2026-01-15"), line("399.00"), alignment=ANNIV)),
        ["2026-01-15", "2026-02-15"],
        {},
        # anniversary: whole periods from the 15th, no proration
        [("2026-01-15", "2026-02-15", "399.00"), ("2026-02-15", "2026-03-15", "399.00")],
        id="399-monthly-anniversary",
    ),
    pytest.param(
        contract(terms(d("2026-01-15"), line("399.00"), alignment=CAL)),
        ["2026-01-14"],
        {},
        [],  # nothing is due before the contract starts
        id="nothing-before-start",
    ),
    pytest.param(
        contract(terms(d("2026-02-15"), line("1200.00", "quarterly"), alignment=CAL)),
        ["2026-02-15", "2026-04-01"],
        {},
        # Q1 = [1 Jan, 1 Apr) = 31+28+31 = 90 days; [15 Feb, 1 Apr) = 14+31 = 45 → 1200 × 45/90
        [("2026-02-15", "2026-04-01", "600.00"), ("2026-04-01", "2026-07-01", "1200.00")],
        id="quarterly-calendar-partial-first",
    ),
    pytest.param(
        contract(terms(d("2026-02-01"), line("600.00", "semi_annual"), alignment=CAL)),
        ["2026-02-01"],
        {},
        # H1 = [1 Jan, 1 Jul) = 181 days; [1 Feb, 1 Jul) = 150 → 600 × 150/181 = 497.237…
        [("2026-02-01", "2026-07-01", "497.24")],
        id="semi-annual-calendar",
    ),
    pytest.param(
        contract(terms(d("2026-07-01"), line("3650.00", "annual"), alignment=CAL)),
        ["2026-07-01", "2027-01-01"],
        {},
        # 2026 has 365 days; [1 Jul, 1 Jan) = 184 → 3650 × 184/365 = 1840
        [("2026-07-01", "2027-01-01", "1840.00"), ("2027-01-01", "2028-01-01", "3650.00")],
        id="annual-calendar",
    ),
    pytest.param(
        contract(terms(d("2028-03-01"), line("3660.00", "annual"), alignment=CAL)),
        ["2028-03-01"],
        {},
        # leap 2028 has 366 days; [1 Mar, 1 Jan) = 366 - 31 - 29 = 306 → 3660 × 306/366 = 3060
        [("2028-03-01", "2029-01-01", "3060.00")],
        id="annual-calendar-leap-2028",
    ),
    pytest.param(
        contract(terms(d("2027-07-01"), line("2400.00", "biennial"), alignment=CAL)),
        ["2027-07-01"],
        {},
        # [1 Jan 2027, 1 Jan 2029) = 365 + 366 = 731 days; [1 Jul 2027, 1 Jan 2029) = 184 + 366 =
        # 550 → 2400 × 550/731 = 1805.7455…
        [("2027-07-01", "2029-01-01", "1805.75")],
        id="biennial-calendar",
    ),
    pytest.param(
        contract(terms(d("2026-01-14"), line("70.00", "weekly"), alignment=CAL)),
        ["2026-01-14", "2026-01-19"],
        {},
        # 14 Jan 2026 is a Wednesday; its week is [Mon 12 Jan, Mon 19 Jan): 5 of 7 days → 70 × 5/7
        [("2026-01-14", "2026-01-19", "50.00"), ("2026-01-19", "2026-01-26", "70.00")],
        id="weekly-calendar-monday",
    ),
    pytest.param(
        contract(terms(d("2026-01-14"), line("140.00", "every_2_weeks"), alignment=ANNIV)),
        ["2026-01-14", "2026-01-28"],
        {},
        # every 14 days from the start, whole periods
        [("2026-01-14", "2026-01-28", "140.00"), ("2026-01-28", "2026-02-11", "140.00")],
        id="every-2-weeks-anniversary",
    ),
    pytest.param(
        contract(terms(d("2026-03-01"), line("100.00", "every_10_days", ARREARS), alignment=ANNIV)),
        ["2026-03-10", "2026-03-11", "2026-03-21"],
        {},
        # in arrears: [1 Mar, 11 Mar) is due on 11 Mar, not on 10 Mar
        [("2026-03-01", "2026-03-11", "100.00"), ("2026-03-11", "2026-03-21", "100.00")],
        id="every-10-days-in-arrears",
    ),
    pytest.param(
        contract(terms(d("2026-01-31"), line("100.00"), alignment=ANNIV)),
        ["2026-01-31", "2026-02-28", "2026-03-31"],
        {},
        # anchor 31 Jan: 28 Feb (clamped), then 31 Mar (from the anchor, not chained), 30 Apr
        [
            ("2026-01-31", "2026-02-28", "100.00"),
            ("2026-02-28", "2026-03-31", "100.00"),
            ("2026-03-31", "2026-04-30", "100.00"),
        ],
        id="anniversary-31-jan",
    ),
    pytest.param(
        contract(terms(d("2028-01-31"), line("100.00"), alignment=ANNIV)),
        ["2028-02-29"],
        {},
        # leap year: anchor 31 Jan 2028 → 29 Feb 2028 → 31 Mar 2028
        [("2028-01-31", "2028-02-29", "100.00"), ("2028-02-29", "2028-03-31", "100.00")],
        id="anniversary-31-jan-leap-2028",
    ),
    pytest.param(
        contract(terms(d("2028-02-15"), line("290.00"), alignment=CAL)),
        ["2028-02-15"],
        {},
        # February 2028 has 29 days; [15 Feb, 1 Mar) = 15 → 290 × 15/29 = 150
        [("2028-02-15", "2028-03-01", "150.00")],
        id="calendar-february-leap",
    ),
    pytest.param(
        contract(terms(d("2026-02-15"), line("280.00"), alignment=CAL)),
        ["2026-02-15"],
        {},
        # February 2026 has 28 days; [15 Feb, 1 Mar) = 14 → 280 × 14/28 = 140
        [("2026-02-15", "2026-03-01", "140.00")],
        id="calendar-february-common-year",
    ),
    pytest.param(
        contract(terms(d("2026-01-10"), line("310.00", timing=ARREARS), alignment=CAL)),
        ["2026-01-31", "2026-02-01"],
        {},
        # in arrears, due on 1 Feb: [10 Jan, 1 Feb) = 22 days → 310 × 22/31 = 220
        [("2026-01-10", "2026-02-01", "220.00")],
        id="monthly-in-arrears-partial-first",
    ),
    pytest.param(
        contract(terms(d("2026-03-01"), line("310.00", timing=ARREARS), end=d("2026-03-15"))),
        ["2026-03-15"],
        {},
        # the contract's end cuts March and makes it due: 14 days → 310 × 14/31 = 140
        [("2026-03-01", "2026-03-15", "140.00")],
        id="in-arrears-cut-by-contract-end",
    ),
    pytest.param(
        contract(terms(d("2026-04-01"), line("300.00"), end=d("2026-04-11"))),
        ["2026-04-01", "2026-05-01"],
        {},
        # in advance, the known end cuts April (30 days): 10 days → 300 × 10/30 = 100
        [("2026-04-01", "2026-04-11", "100.00")],
        id="in-advance-cut-by-contract-end",
    ),
    pytest.param(
        contract(MARCH, (d("2026-03-15"), with_lines(MARCH, line("620.00")))),
        ["2026-03-01", "2026-03-15"],
        {},
        # upgrade on 15 Mar: credit 17 unused days of 310 (310 × 17/31 = 170), charge 17 days
        # of 620 (620 × 17/31 = 340)
        [
            ("2026-03-01", "2026-04-01", "310.00"),
            ("2026-03-15", "2026-04-01", "-170.00"),
            ("2026-03-15", "2026-04-01", "340.00"),
        ],
        id="upgrade-mid-month-in-advance",
    ),
    pytest.param(
        contract(
            with_lines(MARCH, line("620.00")),
            (d("2026-03-15"), with_lines(MARCH, line("310.00"))),
        ),
        ["2026-03-01", "2026-03-15"],
        {},
        # downgrade: credit 620 × 17/31 = 340, charge 310 × 17/31 = 170
        [
            ("2026-03-01", "2026-04-01", "620.00"),
            ("2026-03-15", "2026-04-01", "-340.00"),
            ("2026-03-15", "2026-04-01", "170.00"),
        ],
        id="downgrade-mid-month-in-advance",
    ),
    pytest.param(
        contract(
            MARCH_ARREARS,
            (
                d("2026-03-11"),
                with_lines(MARCH_ARREARS, line("31.00", timing=ARREARS, quantity="20")),
            ),
        ),
        ["2026-04-01"],
        {},
        # in arrears each version bills its days: 10 × 31 × 10/31 = 100; 20 × 31 × 21/31 = 420
        [("2026-03-01", "2026-03-11", "100.00"), ("2026-03-11", "2026-04-01", "420.00")],
        id="quantity-change-in-arrears",
    ),
    pytest.param(
        contract(MARCH, (d("2026-03-15"), with_lines(MARCH, line("620.00")))),
        ["2026-03-01", "2026-04-01", "2026-04-02"],
        {"known_from": "2026-04-02"},
        # backdated: March and April billed at 310 before the change was known; then credits
        # 310 × 17/31 = 170 and 310 for April, charges 620 × 17/31 = 340 and 620
        [
            ("2026-03-01", "2026-04-01", "310.00"),
            ("2026-04-01", "2026-05-01", "310.00"),
            ("2026-03-15", "2026-04-01", "-170.00"),
            ("2026-03-15", "2026-04-01", "340.00"),
            ("2026-04-01", "2026-05-01", "-310.00"),
            ("2026-04-01", "2026-05-01", "620.00"),
        ],
        id="backdated-amendment-adjusts",
    ),
    pytest.param(
        contract(MARCH, (d("2026-03-15"), with_lines(MARCH, line("900.00", "quarterly")))),
        ["2026-03-01", "2026-03-15"],
        {},
        # monthly → quarterly: credit 310 × 17/31 = 170; Q1 [1 Jan, 1 Apr) has 90 days, so
        # [15 Mar, 1 Apr) = 17 days of 900 → 900 × 17/90 = 170
        [
            ("2026-03-01", "2026-04-01", "310.00"),
            ("2026-03-15", "2026-04-01", "-170.00"),
            ("2026-03-15", "2026-04-01", "170.00"),
        ],
        id="periodicity-change-monthly-to-quarterly",
    ),
    pytest.param(
        contract(MARCH, (d("2026-03-15"), with_lines(MARCH, line("620.00", key="pro")))),
        ["2026-03-01", "2026-03-15"],
        {},
        # plan change: the old line is credited 170, the new line charged 620 × 17/31 = 340
        [
            ("2026-03-01", "2026-04-01", "310.00"),
            ("2026-03-15", "2026-04-01", "-170.00"),
            ("2026-03-15", "2026-04-01", "340.00"),
        ],
        id="plan-change-new-line",
    ),
    pytest.param(
        contract(MARCH, (d("2026-03-10"), with_lines(MARCH, line("310.00"), end=d("2026-03-21")))),
        ["2026-03-01", "2026-03-10"],
        {},
        # terminated on 21 Mar: credit [21 Mar, 1 Apr) = 11 days → 310 × 11/31 = 110
        [("2026-03-01", "2026-04-01", "310.00"), ("2026-03-21", "2026-04-01", "-110.00")],
        id="termination-with-credit",
    ),
    pytest.param(
        contract(MARCH, (d("2026-03-10"), with_lines(MARCH, line("310.00"), end=d("2026-03-21")))),
        ["2026-03-01", "2026-03-10", "2026-04-01"],
        {"credit_on_termination": False},
        # no credit: the month stays billed and nothing more is due
        [("2026-03-01", "2026-04-01", "310.00")],
        id="termination-without-credit",
    ),
    pytest.param(
        contract(MARCH),
        ["2026-03-01", "2026-03-21"],
        {"suspensions": [Period(d("2026-03-11"), d("2026-03-21"))], "known_from": "2026-03-21"},
        # suspended 10 days after March was billed: credit 310 × 10/31 = 100
        [("2026-03-01", "2026-04-01", "310.00"), ("2026-03-11", "2026-03-21", "-100.00")],
        id="suspension-in-advance-credited",
    ),
    pytest.param(
        contract(MARCH),
        ["2026-03-01", "2026-04-15"],
        {"suspensions": [Period(d("2026-03-15"), d("2026-04-15"))], "known_from": "2026-04-15"},
        # credit [15 Mar, 1 Apr) = 310 × 17/31 = 170; April (30 days) resumes on 15 Apr:
        # 310 × 16/30 = 165.333…
        [
            ("2026-03-01", "2026-04-01", "310.00"),
            ("2026-03-15", "2026-04-01", "-170.00"),
            ("2026-04-15", "2026-05-01", "165.33"),
        ],
        id="suspension-across-a-period-start",
    ),
    pytest.param(
        contract(terms(d("2026-03-01"), line("310.00", timing=ARREARS))),
        ["2026-04-01"],
        {"suspensions": [Period(d("2026-03-11"), d("2026-03-21"))]},
        # in arrears the suspended days are never billed: 310 × 10/31 = 100 and 310 × 11/31 = 110
        [("2026-03-01", "2026-03-11", "100.00"), ("2026-03-21", "2026-04-01", "110.00")],
        id="suspension-in-arrears",
    ),
    pytest.param(
        contract(
            terms(d("2026-01-15"), line("399.00", discounts=(pct("20", periods=2),)), alignment=CAL)
        ),
        ["2026-01-15", "2026-02-01", "2026-03-01"],
        {},
        # 20 % for 2 periods (the partial first counts): 399 × 17/31 × 0.8 = 175.045…;
        # 399 × 0.8 = 319.20; then the full price
        [
            ("2026-01-15", "2026-02-01", "175.05"),
            ("2026-02-01", "2026-03-01", "319.20"),
            ("2026-03-01", "2026-04-01", "399.00"),
        ],
        id="percentage-discount-for-2-periods",
    ),
    pytest.param(
        contract(terms(d("2026-01-01"), line("399.00", discounts=(fixed("500.00"),)))),
        ["2026-01-01"],
        {},
        # 500 off 399 would be -101: a discount never takes a line below zero
        [("2026-01-01", "2026-02-01", "0.00")],
        id="fixed-discount-floors-at-zero",
    ),
    pytest.param(
        contract(terms(d("2026-01-01"), line("399.00", discounts=(fixed("50.00"),)))),
        ["2026-01-01"],
        {},
        # 399 - 50 = 349
        [("2026-01-01", "2026-02-01", "349.00")],
        id="fixed-discount",
    ),
    pytest.param(
        contract(
            terms(d("2026-01-01"), line("399.00", discounts=(pct("10", until=d("2026-03-01")),)))
        ),
        ["2026-01-01", "2026-02-01", "2026-03-01"],
        {},
        # 10 % until 1 Mar (exclusive): 399 × 0.9 = 359.10 twice, then 399
        [
            ("2026-01-01", "2026-02-01", "359.10"),
            ("2026-02-01", "2026-03-01", "359.10"),
            ("2026-03-01", "2026-04-01", "399.00"),
        ],
        id="percentage-discount-until-a-date",
    ),
    pytest.param(
        contract(terms(d("2026-01-15"), line("10000", "monthly"), alignment=CAL, code="JPY")),
        ["2026-01-15"],
        {"currency": "JPY"},
        # JPY has no decimals: 10000 × 17/31 = 5483.87… → 5484
        [("2026-01-15", "2026-02-01", "5484")],
        id="jpy-zero-decimals",
    ),
    pytest.param(
        contract(
            terms(
                d("2026-01-15"),
                line("500.00", "one_off", kind=ProductKind.ONE_OFF, key="setup"),
                alignment=CAL,
            )
        ),
        ["2026-01-15", "2026-02-01", "2027-01-01"],
        {},
        # a one-off is billed once, on its day, whole
        [("2026-01-15", "2026-01-16", "500.00")],
        id="one-off-once",
    ),
    pytest.param(
        contract(
            terms(
                d("2026-03-01"), line("1200.00", "annual"), alignment=ANNIV, initial_term_months=12
            )
        ),
        ["2026-03-01", "2027-03-01"],
        {},
        # renewal: the renewed term keeps the anniversary, 1200 each year
        [("2026-03-01", "2027-03-01", "1200.00"), ("2027-03-01", "2028-03-01", "1200.00")],
        id="annual-renewal-anniversary",
    ),
    pytest.param(
        contract(terms(d("2026-03-01"), line(None, timing=ARREARS, key="api-calls"))),
        ["2026-04-01"],
        {},
        [],  # a usage line has no unit price: its charge prices it elsewhere
        id="usage-line-skipped",
    ),
]


@pytest.mark.parametrize(("versions", "runs", "options", "expected"), CASES)
def test_worked_case(
    versions: Any, runs: list[str], options: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    options = dict(options)
    known_from = options.pop("known_from", None)
    code = options.pop("currency", "EUR")
    run_days = [d(r) for r in runs]
    if known_from is None:
        charges = bill(versions, run_days, **options)
    else:
        # Runs before `known_from` did not know the late change (amendment or suspension).
        early = [r for r in run_days if r < d(known_from)]
        late = [r for r in run_days if r >= d(known_from)]
        suspensions = options.get("suspensions", [])
        charges = bill(versions[:1], early)
        for as_of in late:
            charges += charges_as_of(
                versions, as_of, already_billed=charges, suspensions=suspensions
            )
    assert summary(charges, code) == [(d(s), d(e), net) for s, e, net in expected]


def test_399_example_is_billed_once_per_run() -> None:
    versions = contract(terms(d("2026-01-15"), line("399.00"), alignment=CAL))
    first = charges_as_of(versions, d("2026-01-15"))
    assert charges_as_of(versions, d("2026-01-20"), already_billed=first) == []


def test_upgrade_adjustments_are_flagged_and_keep_their_origin() -> None:
    versions = contract(MARCH, (d("2026-03-15"), with_lines(MARCH, line("620.00"))))
    charges = bill(versions, [d("2026-03-01"), d("2026-03-15")])
    march, credit, new = charges
    assert (march.version, march.adjustment, march.amendment_id) == (1, False, None)
    assert (credit.kind, credit.version, credit.adjustment) == (ChargeKind.CREDIT, 1, True)
    assert (new.kind, new.version, new.adjustment, new.amendment_id) == (
        ChargeKind.CHARGE,
        2,
        True,
        "amd_2",
    )
    assert new.full_period == Period(d("2026-03-01"), d("2026-04-01"))
    assert new.unit_price == Decimal("620.00")


def test_upgrade_invoice_totals_with_vat() -> None:
    versions = contract(MARCH, (d("2026-03-15"), with_lines(MARCH, line("620.00"))))
    late = charges_as_of(
        versions, d("2026-03-15"), already_billed=bill(versions, [d("2026-03-01")])
    )
    totals = invoice_totals([TaxedLine(c.net, Decimal("20")) for c in late], "EUR")
    # -170.00 + 340.00 = 170.00 net; VAT 20 % = 34.00; gross 204.00
    assert (totals.net, totals.vat, totals.gross) == (
        Decimal("170.00"),
        Decimal("34.00"),
        Decimal("204.00"),
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (RoundingMode.HALF_UP, "1.13"),  # 1.125 → 1.13 (ties away from zero)
        (RoundingMode.HALF_EVEN, "1.12"),  # 1.125 → 1.12 (ties to the even cent)
    ],
)
def test_half_even_rounds_the_line_net(mode: RoundingMode, expected: str) -> None:
    versions = contract(terms(d("2026-01-01"), line("1.125"), alignment=CAL))
    (charge,) = charges_as_of(versions, d("2026-01-01"))
    totals = invoice_totals([TaxedLine(charge.net, Decimal("0"))], "EUR", mode)
    assert totals.line_nets == (Decimal(expected),)


# --- a termination that cuts a line's discounts (tarif.contracts.changes.cut_discounts) ----------

MAY = terms(d("2026-05-01"), line("310.00", discounts=(pct("50", until=d("2026-09-01")),)))
MAY_15 = d("2026-05-15")


def test_days_billed_past_a_termination_are_credited_with_the_discount_they_had() -> None:
    ended = apply_changes(MAY, [Terminate()], MAY_15)
    assert ended.lines[0].discounts == (pct("50", until=MAY_15),)  # cut to the end
    versions = contract(MAY, (MAY_15, ended))
    charges = bill(versions, [d("2026-05-01"), MAY_15])
    # May at half price: 310 × 50 % = 155.00; [15 May, 1 Jun) = 17 of 31 days were billed at
    # half price too, so they come back at half price: −310 × 17/31 × 50 % = −85.00 (not the
    # −170.00 of the cut discount, which no longer reaches those days)
    assert summary(charges) == [
        (d("2026-05-01"), d("2026-06-01"), "155.00"),
        (MAY_15, d("2026-06-01"), "-85.00"),
    ]
    assert charges_as_of(versions, d("2026-07-01"), already_billed=charges) == []


def test_a_cut_discount_leaves_the_last_arrears_due_on_the_end() -> None:
    arrears = with_lines(MAY, replace(MAY.lines[0], timing=ARREARS))
    versions = contract(arrears, (MAY_15, apply_changes(arrears, [Terminate()], MAY_15)))
    [last] = charges_as_of(versions, MAY_15)
    # the line ends on 15 May, cutting its period: [1 May, 15 May) is due on its end, at half
    # price: 310 × 14/31 × 50 % = 70.00
    assert (last.period, last.due_on, rounded(last.net)) == (
        Period(d("2026-05-01"), MAY_15),
        MAY_15,
        "70.00",
    )


def test_without_termination_credit_arrears_days_past_a_backdated_end_are_credited() -> None:
    both = terms(
        d("2026-03-01"),
        line("310.00"),
        line("620.00", timing=ARREARS, key="support"),
        alignment=CAL,
    )
    march_21 = d("2026-03-21")
    billed = bill(contract(both), [d("2026-03-01"), d("2026-04-01")])
    # hosting March and April in advance, support March in arrears (due 1 Apr)
    assert summary(billed) == [
        (d("2026-03-01"), d("2026-04-01"), "310.00"),
        (d("2026-04-01"), d("2026-05-01"), "310.00"),
        (d("2026-03-01"), d("2026-04-01"), "620.00"),
    ]
    # ended on 21 Mar, known on 10 Apr, without a credit on termination
    versions = contract(both, (march_21, apply_changes(both, [Terminate()], march_21)))
    late = charges_as_of(
        versions, d("2026-04-10"), already_billed=billed, credit_on_termination=False
    )
    # hosting's days paid in advance stay billed; support's days after the end were billed in
    # arrears, never in force: −620 × 11/31 = −220.00
    assert [(c.line_key, c.kind, c.period, rounded(c.net)) for c in late] == [
        ("support", ChargeKind.CREDIT, Period(march_21, d("2026-04-01")), "-220.00")
    ]
    assert (
        charges_as_of(
            versions, d("2026-05-01"), already_billed=billed + late, credit_on_termination=False
        )
        == []
    )
