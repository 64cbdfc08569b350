"""Metric definitions and their checks (pure: values in, values out).

A metric says which events of a period count and how: an `aggregation` over the events of its
`code`, reading the property `field`, keeping the events that pass every filter, split by the
`group_by` properties, starting from zero each period or from what earlier periods left
(`recurring`). Aggregation semantics and worked examples: `docs/usage.md`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tarif.errors import ErrorCollector

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,59}")
# Property names end up in JSON paths (`$.region`): plain identifiers only, so no quoting is
# ever needed and nothing typed by a user can change the SQL.
PROPERTY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
MAX_FILTERS = 20
MAX_GROUP_BY = 5
MAX_IN_VALUES = 100
MAX_TEXT_VALUE = 200


class Aggregation(StrEnum):
    COUNT = "count"
    SUM = "sum"
    MAX = "max"
    UNIQUE_COUNT = "unique_count"
    LATEST = "latest"
    WEIGHTED_SUM = "weighted_sum"


class FilterOp(StrEnum):
    EQ = "eq"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


NUMERIC_OPS = frozenset({FilterOp.GT, FilterOp.GTE, FilterOp.LT, FilterOp.LTE})
LIST_OPS = frozenset({FilterOp.IN, FilterOp.NOT_IN})
# Every aggregation but count reads a value from the event's `field`.
NEEDS_FIELD = frozenset(set(Aggregation) - {Aggregation.COUNT})
# Carrying a quantity over means something for a running total (seats: +3, -1), a last
# reading and a stored level; a count, a maximum or a set of distinct users restart each period.
MAY_RECUR = frozenset({Aggregation.SUM, Aggregation.LATEST, Aggregation.WEIGHTED_SUM})


@dataclass(frozen=True)
class PropertyFilter:
    """Keeps the events whose property `property` passes `op`.

    `eq`, `in`, `not_in` compare the property as text (`"5"` matches the JSON number 5); `not_in`
    keeps events without the property. `gt`, `gte`, `lt`, `lte` compare numbers: the property must
    be a JSON number or a decimal string, any other event is left out.
    """

    property: str
    op: FilterOp
    value: str | tuple[str, ...] | Decimal

    def as_json(self) -> dict[str, Any]:
        value: Any = self.value
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Decimal):
            value = format(value, "f")
        return {"property": self.property, "op": self.op.value, "value": value}


@dataclass(frozen=True)
class MetricDefinition:
    """What the store needs to aggregate a metric: no id, no organization, no database."""

    code: str
    aggregation: Aggregation
    field: str | None = None
    filters: tuple[PropertyFilter, ...] = ()
    group_by: tuple[str, ...] = ()
    recurring: bool = False
    name: str = ""
    unit: str = "unit"


def check_code(code: str, errors: ErrorCollector, name: str = "code") -> None:
    if not code:
        errors.add(name, "is required")
    elif not CODE_PATTERN.fullmatch(code):
        errors.add(
            name,
            "1 to 60 letters, digits, '_', '.', ':' or '-', starting with a letter or a digit",
        )


def check_property(prop: object, errors: ErrorCollector, name: str) -> str | None:
    if not isinstance(prop, str) or not prop:
        errors.add(name, "is required")
        return None
    if not PROPERTY_PATTERN.fullmatch(prop):
        errors.add(name, f"'{prop}' is not a property name: letters, digits and '_' only")
        return None
    return prop


def parse_aggregation(raw: object, errors: ErrorCollector) -> Aggregation | None:
    try:
        return Aggregation(str(raw))
    except ValueError:
        choices = ", ".join(a.value for a in Aggregation)
        errors.add("aggregation", f"unknown aggregation '{raw}': one of {choices}")
        return None


def _decimal(raw: object) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_filter(raw: object, errors: ErrorCollector, name: str) -> PropertyFilter | None:
    """One filter from its JSON form `{"property", "op", "value"}`."""
    if not isinstance(raw, Mapping):
        errors.add(name, 'must be an object {"property": …, "op": …, "value": …}')
        return None
    unknown = sorted(str(k) for k in raw if k not in ("property", "op", "value"))
    for key in unknown:
        errors.add(f"{name}.{key}", "unknown field")
    prop = check_property(raw.get("property"), errors, f"{name}.property")
    try:
        op = FilterOp(str(raw.get("op")))
    except ValueError:
        choices = ", ".join(o.value for o in FilterOp)
        errors.add(f"{name}.op", f"unknown filter operator '{raw.get('op')}': one of {choices}")
        return None
    value = raw.get("value")
    where = f"{name}.value"
    parsed: str | tuple[str, ...] | Decimal
    if op in NUMERIC_OPS:
        number = _decimal(value)
        if number is None:
            errors.add(where, f"'{op.value}' compares numbers: give a decimal such as \"100\"")
            return None
        parsed = number
    elif op in LIST_OPS:
        if not isinstance(value, list | tuple) or not value:
            errors.add(where, f"'{op.value}' needs a non-empty list of values")
            return None
        if len(value) > MAX_IN_VALUES:
            errors.add(where, f"at most {MAX_IN_VALUES} values")
            return None
        if not all(isinstance(v, str) and 0 < len(v) <= MAX_TEXT_VALUE for v in value):
            errors.add(where, f"each value is a text of 1 to {MAX_TEXT_VALUE} characters")
            return None
        parsed = tuple(str(v) for v in value)
    else:
        if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT_VALUE:
            errors.add(where, f"'eq' needs a text of 1 to {MAX_TEXT_VALUE} characters")
            return None
        parsed = value
    if prop is None:
        return None
    return PropertyFilter(prop, op, parsed)


def parse_filters(raw: object, errors: ErrorCollector) -> tuple[PropertyFilter, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        errors.add("filters", "must be a list of filters")
        return ()
    if len(raw) > MAX_FILTERS:
        errors.add("filters", f"at most {MAX_FILTERS} filters")
        return ()
    parsed = [parse_filter(item, errors, f"filters.{i}") for i, item in enumerate(raw)]
    return tuple(f for f in parsed if f is not None)


def parse_group_by(raw: object, errors: ErrorCollector) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        errors.add("group_by", "must be a list of property names")
        return ()
    if len(raw) > MAX_GROUP_BY:
        errors.add("group_by", f"at most {MAX_GROUP_BY} properties")
        return ()
    names = [check_property(p, errors, f"group_by.{i}") for i, p in enumerate(raw)]
    kept = tuple(n for n in names if n is not None)
    if len(set(kept)) != len(kept):
        errors.add("group_by", "a property is listed twice")
    return kept


def check_definition(metric: MetricDefinition, errors: ErrorCollector) -> None:
    """The rules linking the parts of a definition (each part is checked when parsed)."""
    check_code(metric.code, errors)
    if metric.aggregation in NEEDS_FIELD and not metric.field:
        errors.add("field", f"'{metric.aggregation.value}' reads a property: name it in field")
    if metric.aggregation == Aggregation.COUNT and metric.field:
        errors.add("field", "'count' counts events and reads no property: leave field empty")
    if metric.field is not None:
        check_property(metric.field, errors, "field")
    if metric.recurring and metric.aggregation not in MAY_RECUR:
        allowed = ", ".join(sorted(a.value for a in MAY_RECUR))
        errors.add(
            "recurring",
            f"'{metric.aggregation.value}' starts from zero each period; only {allowed} recur",
        )


def parse_filter_lines(text: str, errors: ErrorCollector) -> list[dict[str, Any]]:
    """Filters typed one a line, `property op value` (`region in eu,us`, `amount gte 100`), in
    their JSON form: the back office's text box."""
    filters: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split(None, 2)
        if not words:
            continue
        if len(words) < 3:
            errors.add("filters", f"line {number}: write 'property op value'")
            continue
        prop, op, value = words
        parsed: Any = value.strip()
        if op in (FilterOp.IN.value, FilterOp.NOT_IN.value):
            parsed = [v.strip() for v in value.split(",") if v.strip()]
        filters.append({"property": prop, "op": op, "value": parsed})
    return filters


def filter_lines(filters: Sequence[PropertyFilter]) -> str:
    """The back office's text form of filters, as `parse_filter_lines` reads it."""
    lines = []
    for f in filters:
        if isinstance(f.value, tuple):
            shown = ",".join(f.value)
        elif isinstance(f.value, Decimal):
            shown = format(f.value, "f")
        else:
            shown = f.value
        lines.append(f"{f.property} {f.op.value} {shown}")
    return "\n".join(lines)


def filters_from_json(raw: Sequence[Mapping[str, Any]]) -> tuple[PropertyFilter, ...]:
    """Stored filters (already checked when saved) back into values."""
    errors = ErrorCollector()
    parsed = parse_filters(list(raw), errors)
    errors.raise_if_any("A stored metric filter is invalid")
    return parsed
