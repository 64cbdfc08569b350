from __future__ import annotations

from datetime import date

import pytest

from tarif.billing.periods import (
    Period,
    Schedule,
    grid_anchor,
    intersect,
    normalized,
    periods_between,
    schedule_of,
    subtract,
)
from tarif.catalog.periodicity import parse_periodicity
from tarif.catalog.rules import ProductKind
from tests.billing.builders import ANNIV, CAL, line, terms


def p(start: str, end: str) -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end))


@pytest.mark.parametrize(
    ("periodicity", "start", "anchor"),
    [
        ("monthly", date(2026, 1, 15), date(2026, 1, 1)),
        ("quarterly", date(2026, 5, 20), date(2026, 4, 1)),  # Q2 starts 1 Apr
        ("semi_annual", date(2026, 8, 2), date(2026, 7, 1)),
        ("annual", date(2026, 8, 2), date(2026, 1, 1)),
        ("biennial", date(2027, 8, 2), date(2027, 1, 1)),  # from January of the start's year
        ("every_2_months", date(2026, 4, 9), date(2026, 3, 1)),  # Jan, Mar, May…
        ("weekly", date(2026, 1, 18), date(2026, 1, 12)),  # Sunday 18 → Monday 12 Jan 2026
        ("every_10_days", date(2026, 1, 18), date(2026, 1, 18)),  # days count from the start
    ],
)
def test_calendar_grid_anchor(periodicity: str, start: date, anchor: date) -> None:
    assert grid_anchor(parse_periodicity(periodicity), CAL, start) == anchor


def test_anniversary_anchor_is_the_start() -> None:
    assert grid_anchor(parse_periodicity("quarterly"), ANNIV, date(2026, 5, 20)) == date(
        2026, 5, 20
    )


def test_periods_between_cut_by_end_know_their_full_period() -> None:
    schedule = Schedule(parse_periodicity("monthly"), CAL, date(2026, 1, 15), date(2026, 3, 10))
    slices = periods_between(schedule, date(2026, 1, 1), date(2027, 1, 1))
    assert [(s.part, s.full) for s in slices] == [
        (p("2026-01-15", "2026-02-01"), p("2026-01-01", "2026-02-01")),
        (p("2026-02-01", "2026-03-01"), p("2026-02-01", "2026-03-01")),
        (p("2026-03-01", "2026-03-10"), p("2026-03-01", "2026-04-01")),
    ]
    assert [s.is_whole for s in slices] == [False, True, False]


def test_full_period_of_an_anniversary_month_end_anchor() -> None:
    schedule = Schedule(parse_periodicity("monthly"), ANNIV, date(2026, 1, 31))
    # 31 Jan + 2 months = 31 Mar (from the anchor), so the period of 15 Mar is [28 Feb, 31 Mar)
    assert schedule.full_period(date(2026, 3, 15)) == p("2026-02-28", "2026-03-31")
    assert schedule.full_period(date(2026, 3, 31)) == p("2026-03-31", "2026-04-30")


def test_one_off_is_a_single_day() -> None:
    contract_terms = terms(date(2026, 1, 15))
    setup = line("500.00", "one_off", kind=ProductKind.ONE_OFF, key="setup")
    schedule = schedule_of(contract_terms, setup)
    (only,) = periods_between(schedule, date(2026, 1, 1), date(2027, 1, 1))
    assert only.part == only.full == p("2026-01-15", "2026-01-16")
    assert periods_between(schedule, date(2026, 1, 16), date(2027, 1, 1)) == []


def test_a_period_is_never_empty() -> None:
    with pytest.raises(ValueError, match="ends after it starts"):
        Period(date(2026, 1, 2), date(2026, 1, 2))


def test_ranges_arithmetic() -> None:
    assert normalized([p("2026-01-05", "2026-01-10"), p("2026-01-01", "2026-01-05")]) == (
        p("2026-01-01", "2026-01-10"),
    )
    assert subtract([p("2026-01-01", "2026-02-01")], [p("2026-01-10", "2026-01-20")]) == (
        p("2026-01-01", "2026-01-10"),
        p("2026-01-20", "2026-02-01"),
    )
    assert intersect([p("2026-01-01", "2026-02-01")], [p("2026-01-25", "2026-03-01")]) == (
        p("2026-01-25", "2026-02-01"),
    )
