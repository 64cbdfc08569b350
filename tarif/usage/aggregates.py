"""What an aggregation is asked and what it answers (pure values, no database).

A period is a half-open range of the organization's local days, `[start, end)`; its instants
(for the time weighting of `weighted_sum`) are the local midnights of those days. An
`AggregateRow` is one group's quantity, read by pricing without knowing any store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

MICROS = 1_000_000
SIX_DECIMALS = Decimal("0.000001")


@dataclass(frozen=True)
class UsagePeriod:
    """`[start, end)` in local days of `timezone` (an IANA name, the organization's)."""

    start: date
    end: date
    timezone: str = "UTC"
    # The whole period these days are part of (a line starting, ending or changing its charge
    # inside its period): a weighted sum then averages the level held during these days over
    # the whole period, so a part counts for its share of it, as a fixed price is prorated.
    whole: tuple[date, date] | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a period ends after it starts: [{self.start}, {self.end})")
        if self.whole is not None and not self.whole[0] <= self.start < self.end <= self.whole[1]:
            raise ValueError(f"[{self.start}, {self.end}) is not inside the period {self.whole}")

    @property
    def starts_at(self) -> datetime:
        return _local_midnight(self.start, self.timezone)

    @property
    def ends_at(self) -> datetime:
        return _local_midnight(self.end, self.timezone)

    @property
    def seconds(self) -> int:
        """Its length: 31 days are 2,678,400 s, one hour less in a month whose clocks go
        forward."""
        return int((self.ends_at - self.starts_at).total_seconds())

    @property
    def weighting_seconds(self) -> int:
        """What a weighted sum's integral is divided by: the whole period's length when these
        days are a part of it, else its own."""
        if self.whole is None:
            return self.seconds
        start, end = (_local_midnight(day, self.timezone) for day in self.whole)
        return int((end - start).total_seconds())


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


class LateMode(StrEnum):
    INCLUDE = "include"  # late events count like the others (the default)
    EXCLUDE = "exclude"  # as the period was when it was invoiced
    ONLY = "only"  # the late events alone: what an adjustment bills


@dataclass(frozen=True)
class EventSelection:
    """Which of a period's events take part, by their `late` flag. With `ONLY`,
    `received_after` keeps the late events received after that instant: the ones not billed
    yet by an earlier adjustment."""

    late: LateMode = LateMode.INCLUDE
    received_after: datetime | None = None

    def __post_init__(self) -> None:
        if self.received_after is not None and self.late != LateMode.ONLY:
            raise ValueError("received_after selects late events: use it with late=only")


ALL_EVENTS = EventSelection()


@dataclass(frozen=True)
class AggregateRow:
    """One group's quantity over a period.

    `groups` maps each group-by property to the event's value as text (None when the event
    lacks it); empty without group-by. `event_count` and the first/last instants count the
    period's events only, even when a recurring quantity carries earlier ones over.
    """

    quantity: Decimal
    groups: Mapping[str, str | None] = field(default_factory=dict)
    event_count: int = 0
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
    # With fee thresholds: (below count, between count, between amount sum, above count).
    bands: tuple[int, int, Decimal, int] | None = None
    # When asked: the valuation SmartCode versions that gave the measured events their values.
    valuation_versions: tuple[str, ...] = ()


def quantity_from_micros(micros: int | None) -> Decimal:
    """Exact: an integer count of millionths, divided by a million in decimal."""
    if micros is None:
        return Decimal(0)
    return shown(Decimal(micros) / MICROS)


def weighted_quantity(micro_seconds: int | None, period_seconds: int) -> Decimal:
    """The average level over the period: the integral of the level (millionths × seconds)
    divided by the period's seconds, rounded half-up to six decimals (a quantity's precision)."""
    if not micro_seconds:
        return Decimal(0)
    average = Decimal(micro_seconds) / (Decimal(period_seconds) * MICROS)
    return shown(average.quantize(SIX_DECIMALS, rounding=ROUND_HALF_UP))


def shown(quantity: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form: 125.000000 → 125, 1.50 → 1.5."""
    if quantity == quantity.to_integral_value():
        return quantity.quantize(Decimal(1))
    return quantity.normalize()


def empty_row() -> AggregateRow:
    """The quantity of a metric without group-by when no event was counted."""
    return AggregateRow(Decimal(0))
