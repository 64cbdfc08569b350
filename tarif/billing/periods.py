"""Billing periods of a contract line, as half-open date ranges `[start, end)`.

Calendar alignment puts period boundaries on fixed dates (see `grid_anchor`); anniversary
alignment counts them from the line's start. Months are always added to one anchor, never
chained (31 Jan → 28/29 Feb → 31 Mar). A line's end cuts its last period; the cut part still
knows the full period it belongs to, which is the proration denominator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from tarif.catalog.periodicity import Periodicity, PeriodUnit
from tarif.catalog.rules import ProductKind
from tarif.contracts.model import BillingAlignment, ContractLine, ContractTerms

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Period:
    """A non-empty half-open range of days `[start, end)`."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a period ends after it starts: [{self.start}, {self.end})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


@dataclass(frozen=True)
class Slice:
    """The `part` of the `full` period a charge covers (equal when the period is whole)."""

    part: Period
    full: Period

    @property
    def is_whole(self) -> bool:
        return self.part == self.full


@dataclass(frozen=True)
class Schedule:
    """How one line is cut into periods: periodicity, alignment, start and (exclusive) end."""

    periodicity: Periodicity
    alignment: BillingAlignment
    start: date
    end: date | None = None

    @property
    def anchor(self) -> date:
        return grid_anchor(self.periodicity, self.alignment, self.start)

    def full_period(self, day: date) -> Period:
        """The whole period of the grid that contains `day` (even before the line starts)."""
        return _full_period(self.periodicity, self.alignment, self.start, day)

    def slices(self, start: date, end: date) -> list[Slice]:
        """The periods (cut to the line's dates and to `[start, end)`) in order."""
        low = max(start, self.start)
        high = end if self.end is None else min(end, self.end)
        if self.periodicity.is_one_off:
            if low <= self.start < high:
                whole = Period(self.start, self.start + ONE_DAY)
                return [Slice(whole, whole)]
            return []
        result = []
        day = low
        while day < high:
            full = self.full_period(day)
            part = Period(day, min(full.end, high))
            result.append(Slice(part, full))
            day = part.end
        return result


# A billing run asks for the same few grids (same periodicity, alignment and start) for every
# contract: the answers are kept, as periods are immutable.
@lru_cache(maxsize=65536)
def _full_period(
    periodicity: Periodicity, alignment: BillingAlignment, start: date, day: date
) -> Period:
    if periodicity.is_one_off:
        return Period(start, start + ONE_DAY)
    anchor = grid_anchor(periodicity, alignment, start)
    if periodicity.unit is PeriodUnit.MONTH:
        months = (day.year - anchor.year) * 12 + day.month - anchor.month
        index = months // periodicity.count
        while periodicity.boundary(anchor, index) > day:
            index -= 1
        while periodicity.boundary(anchor, index + 1) <= day:
            index += 1
    else:
        length = periodicity.count * (7 if periodicity.unit is PeriodUnit.WEEK else 1)
        index = (day - anchor).days // length
    return Period(periodicity.boundary(anchor, index), periodicity.boundary(anchor, index + 1))


def grid_anchor(periodicity: Periodicity, alignment: BillingAlignment, start: date) -> date:
    """The first boundary of the period grid on or before `start`.

    Anniversary: `start` itself. Calendar: N-month periods on multiples of N months from January
    of the start's year (monthly: the 1st; quarterly: 1 Jan/Apr/Jul/Oct; annual: 1 Jan; biennial:
    1 Jan of the start's year, then every two years); weeks: the Monday of the start's ISO week,
    then every N weeks; days have no calendar boundary, so they count from `start`.
    """
    if alignment is BillingAlignment.ANNIVERSARY or periodicity.is_one_off:
        return start
    if periodicity.unit is PeriodUnit.MONTH:
        month = (start.month - 1) // periodicity.count * periodicity.count
        return date(start.year, month + 1, 1)
    if periodicity.unit is PeriodUnit.WEEK:
        return start - timedelta(days=start.weekday())
    return start


def schedule_of(terms: ContractTerms, line: ContractLine) -> Schedule:
    """The schedule of a line under these terms (a one-off product is billed once)."""
    periodicity = line.periodicity
    if line.kind is ProductKind.ONE_OFF:
        periodicity = Periodicity.one_off()
    return Schedule(
        periodicity, terms.billing_alignment, terms.line_start(line), terms.line_end(line)
    )


def periods_between(schedule: Schedule, start: date, end: date) -> list[Slice]:
    """The line's billing periods within `[start, end)`, each with its full period."""
    return schedule.slices(start, end)


# Sets of days as sorted, disjoint, non-adjacent periods.
Ranges = tuple[Period, ...]


def _bounds(period: Period) -> tuple[date, date]:
    return (period.start, period.end)


def normalized(periods: Iterable[Period]) -> Ranges:
    # Billing runs call this tens of times per contract, mostly with zero or one period.
    if isinstance(periods, tuple) and len(periods) < 2:
        return periods
    items = periods if isinstance(periods, tuple | list) else tuple(periods)
    if len(items) < 2:
        return tuple(items)
    merged: list[Period] = []
    for period in sorted(items, key=_bounds):
        if merged and period.start <= merged[-1].end:
            last = merged.pop()
            merged.append(Period(last.start, max(last.end, period.end)))
        else:
            merged.append(period)
    return tuple(merged)


def subtract(ranges: Iterable[Period], removed: Iterable[Period]) -> Ranges:
    """The days of `ranges` that are not in `removed`."""
    result: list[Period] = []
    cuts = normalized(removed)
    days = normalized(ranges)
    if not cuts or not days:
        return days
    for period in days:
        pieces = [period]
        for cut in cuts:
            kept = []
            for piece in pieces:
                if cut.end <= piece.start or piece.end <= cut.start:
                    kept.append(piece)
                    continue
                if piece.start < cut.start:
                    kept.append(Period(piece.start, cut.start))
                if cut.end < piece.end:
                    kept.append(Period(cut.end, piece.end))
            pieces = kept
        result.extend(pieces)
    return normalized(result)


def intersect(ranges: Iterable[Period], other: Iterable[Period]) -> Ranges:
    kept = tuple(ranges)
    return subtract(kept, subtract(kept, other))
