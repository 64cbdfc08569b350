"""Date arithmetic of contracts: half-open ranges and months added from an anchor.

Every range is half-open, `[start, end)`: `end` is the first day no longer covered. A person types
the last day covered (inclusive), so `exclusive_end(date(2026, 12, 31)) == date(2027, 1, 1)` on the
way in and `last_day(date(2027, 1, 1)) == date(2026, 12, 31)` on the way out (documents, diffs).
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]  # no stubs

ONE_DAY = timedelta(days=1)


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved by whole months, clamped to a shorter month: 31 Jan + 1 month = 28 Feb.

    Always count from the same anchor (anchor + 2 months, never (anchor + 1) + 1), so a term
    anchored on 31 January ends on 28/29 February, then 31 March, then 30 April.
    """
    shifted: date = anchor + relativedelta(months=months)
    return shifted


def shift_back(day: date, months: int, days: int) -> date:
    """`day` minus a number of months (clamped like `add_months`) and then of days."""
    shifted: date = day - relativedelta(months=months) - timedelta(days=days)
    return shifted


def shift_forward(day: date, months: int, days: int) -> date:
    shifted: date = day + relativedelta(months=months) + timedelta(days=days)
    return shifted


def exclusive_end(last_day_covered: date) -> date:
    """The half-open end for an inclusive last day typed by a person."""
    return last_day_covered + ONE_DAY


def last_day(end: date) -> date:
    """The inclusive last day shown to a person for a half-open end."""
    return end - ONE_DAY


def covers(start: date, end: date | None, day: date) -> bool:
    """True when `day` lies in `[start, end)`; `end` None leaves the range open."""
    return start <= day and (end is None or day < end)
