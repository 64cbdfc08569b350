"""Which usage period is current on a day and which of its days are measured so far:
hand-worked calendars."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tarif.billing.usage_now import current_usage
from tarif.catalog.rules import ProductKind
from tests.billing.builders import ANNIV, ARREARS, contract, line, terms, with_lines

USAGE = line(None, "monthly", ARREARS, key="turnover", kind=ProductKind.USAGE)
QUARTERLY = line(None, "quarterly", ARREARS, key="storage", kind=ProductKind.USAGE)
FIXED = line("399.00")


def current(versions, as_of):  # type: ignore[no-untyped-def]
    return [
        (
            c.line_key,
            c.version,
            (c.period.start, c.period.end),
            (c.measured.start, c.measured.end),
            c.due_on,
        )
        for c in current_usage(versions, as_of)
    ]


def test_the_month_containing_the_day_is_measured_through_that_day() -> None:
    versions = contract(terms(date(2026, 1, 1), FIXED, USAGE))
    # 15 Jan is in [1 Jan, 1 Feb); measured so far: [1 Jan, 16 Jan), 15 Jan included;
    # the fixed line has no usage
    assert current(versions, date(2026, 1, 15)) == [
        (
            "turnover",
            1,
            (date(2026, 1, 1), date(2026, 2, 1)),
            (date(2026, 1, 1), date(2026, 1, 16)),
            date(2026, 2, 1),
        ),
    ]


def test_the_last_day_of_the_period_measures_it_whole() -> None:
    versions = contract(terms(date(2026, 1, 1), USAGE))
    [now] = current_usage(versions, date(2026, 1, 31))
    # 31 Jan + 1 day = 1 Feb, the period's end: all of January
    assert (now.measured.start, now.measured.end, now.complete) == (
        date(2026, 1, 1),
        date(2026, 2, 1),
        True,
    )
    # the next day is February's first
    [february] = current_usage(versions, date(2026, 2, 1))
    assert (february.period.start, february.measured.end, february.complete) == (
        date(2026, 2, 1),
        date(2026, 2, 2),
        False,
    )


def test_each_line_on_its_own_grid_and_a_partial_first_period() -> None:
    versions = contract(terms(date(2026, 2, 10), USAGE, QUARTERLY))
    # as of 20 Mar: the month [1 Mar, 1 Apr); the quarter [1 Jan, 1 Apr) cut to the
    # line's start: [10 Feb, 1 Apr), measured [10 Feb, 21 Mar)
    assert current(versions, date(2026, 3, 20)) == [
        (
            "turnover",
            1,
            (date(2026, 3, 1), date(2026, 4, 1)),
            (date(2026, 3, 1), date(2026, 3, 21)),
            date(2026, 4, 1),
        ),
        (
            "storage",
            1,
            (date(2026, 2, 10), date(2026, 4, 1)),
            (date(2026, 2, 10), date(2026, 3, 21)),
            date(2026, 4, 1),
        ),
    ]


def test_anniversary_periods_from_the_start_day() -> None:
    versions = contract(terms(date(2026, 1, 31), USAGE, alignment=ANNIV))
    # 31 Jan → 28 Feb → 31 Mar: 10 Mar is in [28 Feb, 31 Mar)
    assert current(versions, date(2026, 3, 10)) == [
        (
            "turnover",
            1,
            (date(2026, 2, 28), date(2026, 3, 31)),
            (date(2026, 2, 28), date(2026, 3, 11)),
            date(2026, 3, 31),
        ),
    ]


def test_a_charge_change_inside_the_period_measures_from_the_change() -> None:
    original = terms(date(2026, 1, 1), USAGE)
    repriced = with_lines(original, replace(USAGE, product_id="prd_turnover_premium"))
    versions = contract(original, (date(2026, 1, 20), repriced))
    # before the change: [1 Jan, 20 Jan) priced by version 1, measured through 10 Jan
    assert current(versions, date(2026, 1, 10)) == [
        (
            "turnover",
            1,
            (date(2026, 1, 1), date(2026, 1, 20)),
            (date(2026, 1, 1), date(2026, 1, 11)),
            date(2026, 2, 1),
        ),
    ]
    # after it: [20 Jan, 1 Feb) priced by version 2, measured [20 Jan, 26 Jan)
    assert current(versions, date(2026, 1, 25)) == [
        (
            "turnover",
            2,
            (date(2026, 1, 20), date(2026, 2, 1)),
            (date(2026, 1, 20), date(2026, 1, 26)),
            date(2026, 2, 1),
        ),
    ]


def test_an_ending_line_is_cut_at_its_end_and_gone_after_it() -> None:
    original = terms(date(2026, 1, 1), USAGE)
    ended = with_lines(original, USAGE, end=date(2026, 2, 10))
    versions = contract(original, (date(2026, 2, 10), ended))
    # as of 5 Feb the part is [1 Feb, 10 Feb), due on the end
    assert current(versions, date(2026, 2, 5)) == [
        (
            "turnover",
            1,
            (date(2026, 2, 1), date(2026, 2, 10)),
            (date(2026, 2, 1), date(2026, 2, 6)),
            date(2026, 2, 10),
        ),
    ]
    assert current(versions, date(2026, 2, 10)) == []


def test_nothing_before_the_contract_or_the_line_starts() -> None:
    late_line = replace(USAGE, start=date(2026, 3, 1))
    versions = contract(terms(date(2026, 1, 1), FIXED, late_line))
    assert current(versions, date(2025, 12, 31)) == []
    assert current(versions, date(2026, 2, 15)) == []
    assert [c[2] for c in current(versions, date(2026, 3, 1))] == [
        (date(2026, 3, 1), date(2026, 4, 1))
    ]
