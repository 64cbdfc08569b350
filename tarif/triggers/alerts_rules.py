"""Pure rules of usage alerts: what an alert may say, and which of its levels a value reaches.

No database here: the service gives values (the JSON sent, the metrics a contract's usage lines
measure) and gets values back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tarif.errors import FieldError
from tarif.triggers.rules import MAX_DECIMALS, MAX_INTEGER_DIGITS, fits_column

DEFAULT_LEVELS = (80, 100)
MAX_LEVEL = 1000  # percent: an alert may warn far past its limit (10 ×)
FIELDS = {"metric_code", "line_key", "measure", "limit", "levels"}
# What an edit may not change: the alert would watch something else, and the levels it fired
# (in the metric's unit or in money) would no longer say anything about it.
FIXED = ("metric_code", "measure")


class AlertMeasure(StrEnum):
    AMOUNT = "amount"  # the amount so far, in the contract's currency: a spending limit
    QUANTITY = "quantity"  # the quantity so far, in the metric's unit: an included quota


@dataclass(frozen=True)
class AlertSpec:
    metric_code: str
    line_key: str | None
    measure: AlertMeasure
    limit: Decimal
    levels: tuple[int, ...]


def checked_alert(
    data: Any, metrics_by_line: Mapping[str, str | None]
) -> tuple[AlertSpec | None, list[FieldError]]:
    """The alert `data` describes on a contract whose usage lines measure `metrics_by_line`
    (line_key → metric code), or every problem, each naming its field."""
    if not isinstance(data, Mapping):
        return None, [FieldError("alert", "an object")]
    problems = [FieldError(k, "unknown field") for k in sorted(set(data) - FIELDS)]
    metric = data.get("metric_code")
    line_key = data.get("line_key") or None
    if not isinstance(metric, str) or not metric.strip():
        problems.append(FieldError("metric_code", "required: the code of a metric"))
    elif metric not in set(metrics_by_line.values()):
        problems.append(
            FieldError("metric_code", f"no usage line of the contract measures '{metric}'")
        )
    elif line_key is not None and metrics_by_line.get(str(line_key), "") != metric:
        problems.append(
            FieldError("line_key", f"'{line_key}' is not a usage line measuring '{metric}'")
        )
    measure = _measure(data.get("measure", AlertMeasure.AMOUNT.value), problems)
    limit = _limit(data.get("limit"), problems)
    levels = _levels(data.get("levels"), problems)
    if problems or measure is None or limit is None or levels is None:
        return None, problems
    return AlertSpec(str(metric), line_key and str(line_key), measure, limit, levels), []


def checked_edit(
    current: Mapping[str, Any], data: Any, metrics_by_line: Mapping[str, str | None]
) -> tuple[AlertSpec | None, list[FieldError]]:
    """The alert once `data` (the fields to change) is applied to `current` (its JSON as
    stored), checked as a creation is, or every problem: an unknown field, a change of
    `metric_code` or `measure`, and the problems of the alert the edit would make."""
    if not isinstance(data, Mapping):
        return None, [FieldError("alert", "an object")]
    problems = [FieldError(k, "unknown field") for k in sorted(set(data) - FIELDS)]
    for name in FIXED:
        if name in data and data[name] != current.get(name):
            message = f"fixed when the alert is created (it is '{current.get(name)}'): delete "
            problems.append(FieldError(name, message + "the alert and create another"))
    changes = {k: v for k, v in data.items() if k in FIELDS and k not in FIXED}
    spec, more = checked_alert({**current, **changes}, metrics_by_line)
    problems += more
    return (None, problems) if problems else (spec, [])


def _measure(raw: Any, problems: list[FieldError]) -> AlertMeasure | None:
    try:
        return AlertMeasure(raw)
    except ValueError:
        problems.append(FieldError("measure", "one of amount, quantity"))
        return None


def _limit(raw: Any, problems: list[FieldError]) -> Decimal | None:
    try:
        value = Decimal(str(raw)) if isinstance(raw, str | int | Decimal) else None
    except InvalidOperation:
        value = None
    if isinstance(raw, bool) or value is None or not value.is_finite() or value <= 0:
        problems.append(FieldError("limit", 'a positive decimal string, e.g. "1000.00"'))
        return None
    if not fits_column(value):
        message = f"at most {MAX_INTEGER_DIGITS} digits before the point and {MAX_DECIMALS} after"
        problems.append(FieldError("limit", message))
        return None
    return value


def _levels(raw: Any, problems: list[FieldError]) -> tuple[int, ...] | None:
    if raw is None:
        return DEFAULT_LEVELS
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        problems.append(FieldError("levels", "a non-empty list of percentages, e.g. [80, 100]"))
        return None
    levels: list[int] = []
    bad = False
    for index, item in enumerate(raw):
        level = _percent(item)
        if level is None:
            problems.append(FieldError(f"levels.{index}", f"a whole percentage, 1 to {MAX_LEVEL}"))
            bad = True
            continue
        if levels and level <= levels[-1]:
            problems.append(FieldError(f"levels.{index}", "levels must increase"))
            bad = True
        levels.append(level)
    return None if bad else tuple(levels)


def _percent(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw)) if isinstance(raw, str | int | Decimal) else None
    except InvalidOperation:
        return None
    if value is None or not value.is_finite() or value != value.to_integral_value():
        return None
    return int(value) if 1 <= value <= MAX_LEVEL else None


def threshold(limit: Decimal, level: int) -> Decimal:
    """The value at which `level` percent of `limit` is reached (exact: no rounding)."""
    return limit * level / 100


def reached(
    limit: Decimal, levels: Sequence[int], value: Decimal, fired: Collection[int]
) -> list[int]:
    """The levels `value` reaches that have not fired yet, lowest first."""
    return [lv for lv in levels if lv not in fired and value >= threshold(limit, lv)]
