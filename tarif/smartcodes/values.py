"""The plain values a SmartCode receives and returns, and the checks on what it returns.

A valuation macro gets one `MacroEvent` per call; a pricing macro gets a `MacroUsage` and a
`MacroContract`. All are read-only: tuples and read-only mappings, deeply frozen, so a macro can
neither change its input nor carry state from one event to the next through it.

Numbers a macro returns must be exact: `Decimal`, `int` or a numeral string (`"1.50"`). A float
is refused, naming the field, because it has already lost the exact value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, NamedTuple

MAX_DESCRIPTION = 500
MAX_LINES = 1_000
MAX_FIELDS = 50
LINE_FIELDS = frozenset({"description", "quantity", "unit_price", "amount", "group"})


class MacroEvent(NamedTuple):
    """One usage event as a valuation macro sees it."""

    timestamp: datetime  # UTC, timezone-aware
    properties: Mapping[str, Any]  # read-only; JSON numbers are Decimal or int, never float
    metric: str | None = None  # the metric's code
    customer: str | None = None  # the customer's external id


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def wire_timestamp(timestamp: datetime) -> int:
    """An aware instant as microseconds since the epoch: ints travel to the worker far cheaper
    than datetimes."""
    if not isinstance(timestamp, datetime) or timestamp.tzinfo is None:
        raise ValueError(f"an event's timestamp must be a timezone-aware datetime: {timestamp!r}")
    return (timestamp - EPOCH) // MICROSECOND


class WireEvent(tuple[int, Mapping[str, Any], str | None, str | None]):
    """A `MacroEvent` as the worker rebuilds it: the timestamp travels as microseconds and
    becomes a datetime only when the macro reads it."""

    __slots__ = ()

    @property
    def timestamp(self) -> datetime:
        return EPOCH + timedelta(microseconds=self[0])

    @property
    def properties(self) -> Mapping[str, Any]:
        return self[1]

    @property
    def metric(self) -> str | None:
        return self[2]

    @property
    def customer(self) -> str | None:
        return self[3]


class MacroPeriod(NamedTuple):
    start: date  # first day
    end: date  # first day after: the period is [start, end)


class MacroUsage(NamedTuple):
    """The aggregated usage of one period, as a pricing macro sees it."""

    quantity: Decimal
    event_count: int
    groups: Mapping[str, Decimal]  # quantity per group value (e.g. per country); may be empty
    period: MacroPeriod


class MacroContract(NamedTuple):
    """What a pricing macro may know of the contract it prices."""

    reference: str
    currency: str
    terms: Mapping[str, Any]  # read-only subset of the contract's terms


class Valuation(NamedTuple):
    """What a valuation macro gave for one event: `value`, plus the other keys of a dict result."""

    value: Decimal
    fields: Mapping[str, Any]


class PriceLine(NamedTuple):
    """One line a pricing macro asks for; `amount` is quantity × unit price unless given.
    `group`: the key of `usage.groups` the line prices, if it names one."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    group: str | None = None


class BadResult(Exception):
    """A result refused: `field` names the part at fault (`value`, `lines[0].quantity`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_CONTAINERS = frozenset({dict, list, set, MappingProxyType, tuple, frozenset})


def freeze(value: Any) -> Any:
    """A deep read-only copy: dicts become read-only mappings, lists tuples, sets frozensets."""
    kind = type(value)
    if kind is dict or kind is MappingProxyType:
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if kind is list or kind is tuple:
        return tuple(freeze(v) for v in value)
    if kind is set or kind is frozenset:
        return frozenset(value)
    return value


def frozen_mapping(values: dict[str, Any]) -> Mapping[str, Any]:
    """`freeze` with a fast path for the usual flat dict of plain values (wrapped, not copied:
    the caller hands over a dict nobody else changes)."""
    containers = _CONTAINERS
    for item in values.values():
        if type(item) in containers:
            return freeze(values)  # type: ignore[no-any-return]
    return MappingProxyType(values)


def exact(raw: Any, field: str) -> Decimal:
    """An exact number from what a macro returned: Decimal, int or a numeral string."""
    kind = type(raw)
    if kind is Decimal:
        number: Decimal = raw
    elif kind is int:
        number = Decimal(raw)
    elif kind is str:
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            raise BadResult(field, f"{raw!r} is not a number") from None
    elif kind is float:
        raise BadResult(
            field, f"float {raw!r} refused: return a Decimal, an int or a numeral string"
        )
    else:
        wanted = "a Decimal, an int or a numeral string"
        raise BadResult(field, f"must be {wanted}, not {kind.__name__}")
    if not number.is_finite():
        raise BadResult(field, f"must be a finite number, not {number}")
    return number


def _plain_field(raw: Any, field: str) -> Any:
    if raw is None or type(raw) in (bool, str, date, datetime):
        return raw
    return exact(raw, field)


def check_valuation(raw: Any) -> int | Decimal | tuple[Decimal, dict[str, Any]]:
    """A valuation result: a number, or a dict with `value` and other plain fields. An `int`
    is exact and is kept as is (cheaper to send; the caller makes it a Decimal)."""
    kind = type(raw)
    if kind is int or (kind is Decimal and raw.is_finite()):
        number: int | Decimal = raw
        return number  # the usual cases, first
    if type(raw) is not dict and type(raw) is not MappingProxyType:
        return exact(raw, "value")
    if "value" not in raw:
        raise BadResult("value", "a dict result must have a 'value' key")
    if len(raw) > MAX_FIELDS:
        raise BadResult("value", f"at most {MAX_FIELDS} keys in a dict result")
    fields: dict[str, Any] = {}
    for key, item in raw.items():
        if type(key) is not str:
            raise BadResult("value", f"dict keys must be strings, not {type(key).__name__}")
        if key != "value":
            fields[key] = _plain_field(item, key)
    return exact(raw["value"], "value"), fields


def check_lines(raw: Any, groups: Mapping[str, Any] | None = None) -> list[PriceLine]:
    """A pricing result: a list of dicts `{description, quantity, unit_price, amount?,
    group?}`; a `group` must be one of `groups` (the usage's) when they are given."""
    if type(raw) not in (list, tuple):
        raise BadResult("lines", f"must be a list of lines, not {type(raw).__name__}")
    if len(raw) > MAX_LINES:
        raise BadResult("lines", f"at most {MAX_LINES} lines")
    return [_line(item, f"lines[{i}]", groups) for i, item in enumerate(raw)]


def _line(raw: Any, where: str, groups: Mapping[str, Any] | None = None) -> PriceLine:
    if type(raw) is not dict and type(raw) is not MappingProxyType:
        raise BadResult(where, f"must be a dict, not {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in LINE_FIELDS)
    if unknown:
        raise BadResult(f"{where}.{unknown[0]}", "unknown field")
    description = raw.get("description")
    if type(description) is not str or not description.strip():
        raise BadResult(f"{where}.description", "must be a non-empty string")
    if len(description) > MAX_DESCRIPTION:
        raise BadResult(f"{where}.description", f"at most {MAX_DESCRIPTION} characters")
    for name in ("quantity", "unit_price"):
        if name not in raw:
            raise BadResult(f"{where}.{name}", "is required")
    quantity = exact(raw["quantity"], f"{where}.quantity")
    unit_price = exact(raw["unit_price"], f"{where}.unit_price")
    amount = raw.get("amount")
    total = quantity * unit_price if amount is None else exact(amount, f"{where}.amount")
    group = raw.get("group")
    if group is not None:
        # The group a line prices lets a statement count that group's events only.
        if type(group) is not str:
            raise BadResult(f"{where}.group", f"must be a string, not {type(group).__name__}")
        if groups is not None and group not in groups:
            raise BadResult(f"{where}.group", f"{group!r} is not one of the usage's groups")
    return PriceLine(description.strip(), quantity, unit_price, total, group)
