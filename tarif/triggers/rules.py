"""Pure rules of trigger settings: what may be stored, which lines take one, what people read.

The trigger itself (kinds, levels, JSON codec) lives in `tarif.billing.triggers`; this module
adds the checks of a setting on a contract line and the shapes the interfaces show.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tarif.billing.triggers import (
    PERIOD_END,
    Cadence,
    InvalidTrigger,
    Measure,
    TriggerKind,
    UsageTrigger,
    decode_trigger,
)
from tarif.contracts.model import ContractLine, ContractTerms
from tarif.errors import FieldError
from tarif.money.number import decimals_of

# A crossed level is stored in an exact column, NUMERIC(20, 6): levels must fit it.
MAX_INTEGER_DIGITS = 14
MAX_DECIMALS = 6
FORM_THRESHOLDS = 3  # threshold inputs a form shows at least (spares stay empty)


def fits_column(value: Decimal) -> bool:
    """True when an exact column (NUMERIC(20, 6)) holds `value` as it is."""
    return abs(value) < Decimal(10) ** MAX_INTEGER_DIGITS and decimals_of(value) <= MAX_DECIMALS


def storable_problems(trigger: UsageTrigger) -> list[FieldError]:
    """Levels a crossing row could not hold exactly: more than 14 digits or 6 decimals."""
    message = f"at most {MAX_INTEGER_DIGITS} digits before the point and {MAX_DECIMALS} after"
    problems = [
        FieldError(f"thresholds.{index}", message)
        for index, value in enumerate(trigger.thresholds)
        if not fits_column(value)
    ]
    if trigger.every is not None and not fits_column(trigger.every):
        problems.append(FieldError("every", message))
    return problems


def is_usage_line(line: ContractLine) -> bool:
    return line.unit_price is None  # a usage line is priced by its charge


def usage_lines(terms: ContractTerms) -> list[ContractLine]:
    return [line for line in terms.lines if is_usage_line(line)]


def usage_line_problem(terms: ContractTerms, line_key: str) -> FieldError | None:
    """Only a usage line takes a trigger: the other lines are billed by their periodicity."""
    line = terms.line(line_key)
    if line is None:
        return FieldError("line_key", f"no line '{line_key}' in the contract's current terms")
    if not is_usage_line(line):
        return FieldError("line_key", f"line '{line_key}' is not a usage line")
    return None


def event_metric_problem(metric_code: str, aggregation: str, recurring: bool) -> FieldError | None:
    """An event trigger values each event alone: its metric must count or sum its events."""
    if aggregation not in ("count", "sum"):
        return FieldError(
            "kind",
            f"an event trigger needs a metric that counts or sums its events; "
            f"'{metric_code}' is a {aggregation} metric",
        )
    if recurring:
        return FieldError(
            "kind", f"an event trigger cannot value the events of recurring metric '{metric_code}'"
        )
    return None


def checked_trigger(data: Any, line_problem: FieldError | None = None) -> UsageTrigger:
    """The trigger `data` describes, or `InvalidTrigger` naming every problem, the line's too."""
    problems = [line_problem] if line_problem else []
    try:
        trigger = decode_trigger(data)
    except InvalidTrigger as exc:
        raise InvalidTrigger(problems + exc.problems) from None
    problems += storable_problems(trigger)
    if problems:
        raise InvalidTrigger(problems)
    return trigger


def stored_trigger(data: Mapping[str, Any] | None) -> UsageTrigger:
    """A stored setting read back; no setting is the default, period end."""
    return PERIOD_END if data is None else decode_trigger(data)


def first_levels(trigger: UsageTrigger, count: int = 5) -> list[Decimal]:
    """The first `count` levels: 500, 1,000, then every 1,000 → 500, 1000, 2000, 3000, 4000."""
    if trigger.kind is not TriggerKind.THRESHOLD or not trigger.thresholds:
        return []
    levels = list(trigger.thresholds[:count])
    step, last = trigger.every, trigger.thresholds[-1]
    while step is not None and len(levels) < count:
        last += step
        levels.append(last)
    return levels


def summary(trigger: UsageTrigger) -> str:
    """One line in English: `threshold on amount: 500, 1000, then every 1000`."""
    if trigger.kind is TriggerKind.PERIOD_END:
        return "at period end"
    if trigger.kind is TriggerKind.EVENT:
        return f"on each event, invoiced {trigger.cadence.value}"
    listed = ", ".join(f"{t:f}" for t in trigger.thresholds)
    every = f", then every {trigger.every:f}" if trigger.every is not None else ""
    return f"threshold on {trigger.measure.value}: {listed}{every}"


def form_values(trigger: UsageTrigger) -> dict[str, str]:
    """A trigger as a form's fields: one input per threshold, `thresholds.N`, plus spares."""
    values = {
        "kind": trigger.kind.value,
        "every": "" if trigger.every is None else f"{trigger.every:f}",
        "measure": trigger.measure.value,
        "cadence": trigger.cadence.value,
    }
    count = max(FORM_THRESHOLDS, len(trigger.thresholds) + 1)
    for index in range(count):
        listed = index < len(trigger.thresholds)
        values[f"thresholds.{index}"] = f"{trigger.thresholds[index]:f}" if listed else ""
    return values


def threshold_inputs(values: Mapping[str, str]) -> list[str]:
    """The `thresholds.N` inputs of a form in order, trailing empty ones (the spares) dropped."""
    inputs: list[str] = []
    while f"thresholds.{len(inputs)}" in values:
        inputs.append(values[f"thresholds.{len(inputs)}"].strip())
    while inputs and not inputs[-1]:
        inputs.pop()
    return inputs


def from_form(values: Mapping[str, str]) -> dict[str, Any]:
    """A trigger's JSON from a form. Only the chosen kind's fields count, so fields left filled
    for another kind never refuse the form; an empty threshold between filled ones keeps its
    index and is refused under its own name (`thresholds.1`)."""
    kind = values.get("kind", "").strip()
    data: dict[str, Any] = {"kind": kind}
    if kind == TriggerKind.THRESHOLD.value:
        data["thresholds"] = threshold_inputs(values)
        data["every"] = values.get("every", "").strip() or None
        data["measure"] = values.get("measure", "").strip() or Measure.AMOUNT.value
    elif kind == TriggerKind.EVENT.value:
        data["cadence"] = values.get("cadence", "").strip() or Cadence.IMMEDIATE.value
    return data
