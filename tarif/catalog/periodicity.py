"""How often a price repeats: every N days, weeks, months or years, or once (one-off).

Pure values. Years are held as months (annual = 12 months, biennial = 24, as in the domain
rules), so `annual`, `every_1_years` and `every_12_months` are one and the same value and compare
equal. Readable names round-trip: `format_periodicity(parse_periodicity(x)) == x` for every name
this module writes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

# A bound on nonsense (every 5000 years) that keeps dates computable: 100 years, in months.
MAX_COUNT = 1200


class PeriodicityError(ValueError):
    """A periodicity or timing that cannot be understood; the message says what is accepted."""


class PeriodUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"  # accepted on input, stored as 12 × months
    ONE_OFF = "one_off"


class Timing(StrEnum):
    """When a recurring line is billed: at the start of its period or at its end."""

    IN_ADVANCE = "in_advance"
    IN_ARREARS = "in_arrears"


@dataclass(frozen=True)
class Periodicity:
    """Every `count` `unit`s, or once when the unit is ONE_OFF (count 1)."""

    unit: PeriodUnit
    count: int = 1

    def __post_init__(self) -> None:
        try:
            unit = PeriodUnit(self.unit)
        except ValueError:
            raise PeriodicityError(f"unknown period unit {self.unit!r}") from None
        count = self.count
        if isinstance(count, bool) or not isinstance(count, int):
            raise PeriodicityError(f"the count must be a whole number, not {count!r}")
        if count <= 0:
            raise PeriodicityError(f"the count must be 1 or more, not {count}")
        if unit is PeriodUnit.ONE_OFF and count != 1:
            raise PeriodicityError("a one-off periodicity has no count")
        limit = MAX_COUNT // 12 if unit is PeriodUnit.YEAR else MAX_COUNT
        if count > limit:
            raise PeriodicityError(f"the count must be at most {limit} {unit.value}s, not {count}")
        if unit is PeriodUnit.YEAR:
            unit, count = PeriodUnit.MONTH, count * 12
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "count", count)

    @classmethod
    def one_off(cls) -> Periodicity:
        return cls(PeriodUnit.ONE_OFF)

    @property
    def is_one_off(self) -> bool:
        return self.unit is PeriodUnit.ONE_OFF

    def boundary(self, anchor: date, index: int) -> date:
        """Start of the `index`-th period counted from `anchor` (index 0 is the anchor itself).

        Months are added to the anchor, never chained, so a 31 January anchor gives 28 (or 29)
        February, then 31 March, then 30 April.
        """
        if self.is_one_off:
            raise PeriodicityError("a one-off periodicity has no periods")
        if self.unit is PeriodUnit.DAY:
            return anchor + timedelta(days=self.count * index)
        if self.unit is PeriodUnit.WEEK:
            return anchor + timedelta(weeks=self.count * index)
        return add_months(anchor, self.count * index)

    def __str__(self) -> str:
        return format_periodicity(self)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


_NAMED: dict[str, Periodicity] = {
    "one_off": Periodicity(PeriodUnit.ONE_OFF),
    "daily": Periodicity(PeriodUnit.DAY),
    "weekly": Periodicity(PeriodUnit.WEEK),
    "monthly": Periodicity(PeriodUnit.MONTH),
    "quarterly": Periodicity(PeriodUnit.MONTH, 3),
    "semi_annual": Periodicity(PeriodUnit.MONTH, 6),
    "annual": Periodicity(PeriodUnit.MONTH, 12),
    "biennial": Periodicity(PeriodUnit.MONTH, 24),
}
_NAME_OF = {value: name for name, value in _NAMED.items()}
_EVERY = re.compile(r"every_(\d{1,6})_(day|week|month|year)s?")
ACCEPTED = ", ".join(_NAMED) + ", every_N_days|weeks|months|years"


def _normalized(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def parse_periodicity(text: str) -> Periodicity:
    """`monthly`, `quarterly`, `every_2_weeks`… (case, spaces and hyphens are forgiven)."""
    if not isinstance(text, str):
        raise PeriodicityError(f"a periodicity is written as text, not {type(text).__name__}")
    stored = _NAMED.get(text)  # the stored form: every contract line read back takes this path
    if stored is not None:
        return stored
    key = _normalized(text)
    named = _NAMED.get(key)
    if named is not None:
        return named
    match = _EVERY.fullmatch(key)
    if match is None:
        raise PeriodicityError(f"unknown periodicity {text!r}; use one of: {ACCEPTED}")
    try:
        return Periodicity(PeriodUnit(match.group(2)), int(match.group(1)))
    except PeriodicityError as exc:
        raise PeriodicityError(f"periodicity {text!r}: {exc}") from None


def format_periodicity(periodicity: Periodicity) -> str:
    """The readable name: a named periodicity when there is one, else `every_N_units`."""
    named = _NAME_OF.get(periodicity)
    if named is not None:
        return named
    if periodicity.unit is PeriodUnit.MONTH and periodicity.count % 12 == 0:
        return f"every_{periodicity.count // 12}_years"
    return f"every_{periodicity.count}_{periodicity.unit.value}s"


def parse_timing(text: str) -> Timing:
    """`in_advance` or `in_arrears` (case, spaces and hyphens are forgiven)."""
    if not isinstance(text, str):
        raise PeriodicityError(f"a timing is written as text, not {type(text).__name__}")
    try:
        return Timing(_normalized(text))
    except ValueError:
        raise PeriodicityError(f"unknown timing {text!r}; use in_advance or in_arrears") from None
