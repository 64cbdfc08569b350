"""When a usage line is invoiced before its period ends: on thresholds, or on events (pure).

By default a usage line is rated once, at its period's end. A trigger adds *progressive*
ratings inside the period: each rates the period's usage so far and bills, part by part, what
it adds to the earlier ratings (`tarif.billing.usage_lines.changes`); the period-end rating
then bills the rest the same way. The parts telescope, so the period's lines always add up to
one rating of all its events: what period-end billing alone would give.

- `threshold`: when the period's amount (or quantity) so far reaches a level not invoiced yet.
  Levels are the listed thresholds, then, with `every`, the last one plus every `every` more
  (€500, €1,000, then every €1,000: 500, 1,000, 2,000, 3,000…). Several levels crossed at once
  give one invoice, at the highest.
- `event`: every accepted event is billed at once (`immediate`: one invoice per event), or the
  events are collected and billed each day or week (`daily`, `weekly`) before the period's end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tarif.errors import FieldError

MAX_THRESHOLDS = 50


class TriggerKind(StrEnum):
    PERIOD_END = "period_end"
    THRESHOLD = "threshold"
    EVENT = "event"


class Measure(StrEnum):
    AMOUNT = "amount"  # the period's rated amount so far, net
    QUANTITY = "quantity"  # the metric's quantity so far


class Cadence(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class UsageTrigger:
    kind: TriggerKind = TriggerKind.PERIOD_END
    thresholds: tuple[Decimal, ...] = ()
    every: Decimal | None = None
    measure: Measure = Measure.AMOUNT
    cadence: Cadence = Cadence.IMMEDIATE

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value}
        if self.kind is TriggerKind.THRESHOLD:
            data["thresholds"] = [f"{t:f}" for t in self.thresholds]
            data["every"] = None if self.every is None else f"{self.every:f}"
            data["measure"] = self.measure.value
        if self.kind is TriggerKind.EVENT:
            data["cadence"] = self.cadence.value
        return data


PERIOD_END = UsageTrigger()


class InvalidTrigger(ValueError):
    def __init__(self, problems: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = list(problems)


def _positive(raw: Any, name: str, problems: list[FieldError]) -> Decimal | None:
    try:
        value = Decimal(str(raw)) if not isinstance(raw, bool | float) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        problems.append(FieldError(name, 'a positive decimal string, e.g. "500.00"'))
        return None
    return value


def _choice(raw: Any, name: str, enum: type[StrEnum], problems: list[FieldError]) -> Any:
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        problems.append(FieldError(name, f"one of {allowed}"))
        return None


def decode_trigger(data: Any) -> UsageTrigger:
    """A valid trigger from its JSON object, or `InvalidTrigger` naming every bad field."""
    if not isinstance(data, Mapping):
        raise InvalidTrigger([FieldError("trigger", "an object")])
    problems: list[FieldError] = []
    kind = _choice(data.get("kind", "period_end"), "kind", TriggerKind, problems)
    allowed = {"kind"}
    if kind is TriggerKind.THRESHOLD:
        allowed |= {"thresholds", "every", "measure"}
    elif kind is TriggerKind.EVENT:
        allowed |= {"cadence"}
    for name in sorted(set(data) - allowed):
        problems.append(FieldError(name, "unknown field for this kind of trigger"))
    if kind is None or problems:
        raise InvalidTrigger(problems)
    if kind is TriggerKind.PERIOD_END:
        return PERIOD_END
    if kind is TriggerKind.EVENT:
        cadence = _choice(data.get("cadence", "immediate"), "cadence", Cadence, problems)
        if problems:
            raise InvalidTrigger(problems)
        return UsageTrigger(TriggerKind.EVENT, cadence=cadence)
    raw = data.get("thresholds")
    levels: list[Decimal] = []
    if not isinstance(raw, list) or not raw or len(raw) > MAX_THRESHOLDS:
        problems.append(FieldError("thresholds", f"a list of 1 to {MAX_THRESHOLDS} amounts"))
    else:
        for index, item in enumerate(raw):
            value = _positive(item, f"thresholds.{index}", problems)
            if value is not None:
                if levels and value <= levels[-1]:
                    problems.append(FieldError(f"thresholds.{index}", "must be increasing"))
                levels.append(value)
    every = None
    if data.get("every") is not None:
        every = _positive(data["every"], "every", problems)
    measure = _choice(data.get("measure", "amount"), "measure", Measure, problems)
    if problems:
        raise InvalidTrigger(problems)
    return UsageTrigger(TriggerKind.THRESHOLD, tuple(levels), every, measure)


def level_reached(trigger: UsageTrigger, value: Decimal) -> Decimal | None:
    """The highest level `value` has reached (None below the first threshold)."""
    if trigger.kind is not TriggerKind.THRESHOLD or not trigger.thresholds:
        return None
    reached = [t for t in trigger.thresholds if t <= value]
    if not reached:
        return None
    last = trigger.thresholds[-1]
    if trigger.every is None or value < last + trigger.every:
        return reached[-1]
    steps = (value - last) // trigger.every
    return last + steps * trigger.every


def crosses(trigger: UsageTrigger, invoiced_level: Decimal | None, value: Decimal) -> bool:
    """True when `value` reaches a level above the highest one already invoiced."""
    level = level_reached(trigger, value)
    return level is not None and (invoiced_level is None or level > invoiced_level)


def collection_day(cadence: Cadence, day: date) -> date:
    """The day events of `day` collected at `cadence` are billed: the next day for daily, the
    next Monday for weekly (`immediate`: the day itself)."""
    if cadence is Cadence.IMMEDIATE:
        return day
    if cadence is Cadence.DAILY:
        return day + timedelta(days=1)
    return day + timedelta(days=7 - day.weekday())
