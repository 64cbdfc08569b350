"""Consumption statements, the pure part: what a statement is, how it is grouped, and how a
usage line's amount is shared among the statement rows that split it.

No database, no clock: the service measures rows in SQL and hands them here as values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from tarif.errors import ErrorCollector
from tarif.usage.metric_rules import PROPERTY_PATTERN

METRIC = "metric"
DAY = "day"
MONTH = "month"
DEFAULT_GROUP_BY = (METRIC,)
MAX_DIMENSIONS = 4
FORMATS = ("json", "csv", "pdf")
# Rated kinds whose quantity counts transactions, whatever the metric measures.
PER_TRANSACTION = frozenset({"transaction_fee", "minimum_fee", "maximum_fee"})
# Aggregations whose quantities add up across rows (days, sites…); the others' do not.
ADDITIVE = frozenset({"count", "sum"})


# --- grouping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupBy:
    """The statement's grouping: always by metric, then by `dimensions` (day or month, and
    event properties), in the order asked."""

    dimensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return ",".join((METRIC, *self.dimensions))

    @property
    def properties(self) -> tuple[str, ...]:
        return tuple(d for d in self.dimensions if d not in (DAY, MONTH))


def parse_group_by(raw: str | None, errors: ErrorCollector, name: str = "group_by") -> GroupBy:
    """`metric,day,site` → GroupBy(("day", "site")); `metric` may be left out (always there).

    Day and month exclude each other; a property name is a letter or `_` then letters, digits
    or `_` (as metrics' group-by properties are)."""
    if raw is None or not raw.strip():
        return GroupBy()
    dimensions: list[str] = []
    for token in (t.strip() for t in raw.split(",")):
        if token == METRIC:
            continue
        if not token:
            errors.add(name, "an empty name between commas")
        elif not PROPERTY_PATTERN.fullmatch(token):
            errors.add(name, f"'{token[:40]}' is neither metric, day, month nor a property name")
        elif token in dimensions:
            errors.add(name, f"'{token}' is given twice")
        else:
            dimensions.append(token)
    if DAY in dimensions and MONTH in dimensions:
        errors.add(name, "day and month cannot both be asked: choose one")
    if len(dimensions) > MAX_DIMENSIONS:
        errors.add(name, f"at most {MAX_DIMENSIONS} criteria besides metric")
    return GroupBy(tuple(dimensions))


def check_format(raw: str | None, errors: ErrorCollector, name: str = "format") -> str:
    value = (raw or "json").strip().lower()
    if value not in FORMATS:
        errors.add(name, f"must be one of {', '.join(FORMATS)}")
    return value


def check_period(start: date | None, end: date | None, errors: ErrorCollector) -> None:
    if start is None:
        errors.add("from", "required: the first day of the period")
    if end is None:
        errors.add("to", "required: the day after the period")
    if start is not None and end is not None and end <= start:
        errors.add("to", "must be after from")


# --- sharing a line's amount ------------------------------------------------------------------


def largest_remainder(total: Decimal, weights: Sequence[Decimal], minor_unit: int) -> list[Decimal]:
    """`total` (a whole number of minor units) shared in proportion to `weights` so the shares
    add up to it exactly: each share is first rounded down to the minor unit, then the minor
    units left go one each to the shares with the largest remainders (the earlier row on a
    tie). A negative total is shared as its opposite, then negated. With no positive weight
    the whole total goes to the first row."""
    if not weights:
        return []
    unit = Decimal(1).scaleb(-minor_unit)
    sign = -1 if total < 0 else 1
    units = int((abs(total) / unit).to_integral_value())
    weight_sum = sum((w for w in weights if w > 0), Decimal(0))
    if weight_sum == 0:
        return [total if i == 0 else Decimal(0).quantize(unit) for i in range(len(weights))]
    exact = [Decimal(units) * max(w, Decimal(0)) / weight_sum for w in weights]
    floors = [int(x.to_integral_value(ROUND_FLOOR)) for x in exact]
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(sign * Decimal(n) * unit).quantize(unit) for n in floors]


def weight_basis(rated_kind: str | None, aggregation: str) -> str:
    """What a line's amount is shared by: `events` for per-transaction parts and for metrics
    whose quantities do not add up across rows (max, unique count, latest, weighted sum);
    `quantity` otherwise."""
    if rated_kind in PER_TRANSACTION or aggregation not in ADDITIVE:
        return "events"
    return "quantity"


# --- the statement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasuredRow:
    """One group of a line's events as SQL measured it (quantity None: not measurable per
    row for this aggregation)."""

    keys: dict[str, str | None]
    quantity: Decimal | None
    event_count: int
    # A percentage charge bounding each fee: the row's transactions split as rating split
    # them (below count, between count, between amount sum, above count).
    bands: tuple[int, int, Decimal, int] | None = None


# What each line of a bounded percentage charge counts, as an index into `MeasuredRow.bands`:
# the rate applies to the amounts between the bounds, the fixed fee to the transactions
# between them, the minimum and maximum fees to the transactions below and above.
_BAND_OF_KIND = {"percentage": 2, "transaction_fee": 1, "minimum_fee": 0, "maximum_fee": 3}


@dataclass(frozen=True)
class StatementRow:
    keys: dict[str, str | None]
    quantity: Decimal | None
    event_count: int | None
    unit_price: Decimal
    amount: Decimal
    late_adjustment: bool = False


@dataclass(frozen=True)
class StatementLine:
    """An invoice's usage line and the rows that split it."""

    invoice_id: str
    invoice_number: str | None
    position: int
    contract_id: str | None
    usage_part: str | None
    description: str
    rated_kind: str | None
    adjustment: bool
    period_start: date
    period_end: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    event_count: int
    basis: str
    rows: tuple[StatementRow, ...]


@dataclass(frozen=True)
class StatementMetric:
    code: str
    metric_id: str | None
    name: str
    unit: str | None
    lines: tuple[StatementLine, ...]

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Statement:
    customer_id: str
    customer_name: str
    language: str
    currency: str
    group_by: GroupBy
    period_start: date | None
    period_end: date | None
    invoice_id: str | None = None
    invoice_number: str | None = None
    contract_id: str | None = None
    metrics: tuple[StatementMetric, ...] = field(default_factory=tuple)

    @property
    def amount(self) -> Decimal:
        return sum((m.amount for m in self.metrics), Decimal(0))


def split_line(
    trace: dict[str, Any],
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
    adjustment: bool,
    measured: Sequence[MeasuredRow],
    group_by: GroupBy,
    minor_unit: int,
) -> tuple[str, list[StatementRow]]:
    """The rows of one usage line and the basis its amount was shared by.

    A late-usage adjustment is one row: it bills the difference a re-rating found, which no
    grouping of today's events reproduces. A line with no measured row (its events are gone)
    is one row too, so the statement still adds up to the invoice."""
    basis = weight_basis(trace.get("rated_kind"), str(trace.get("aggregation") or ""))
    blank: dict[str, str | None] = {d: None for d in group_by.dimensions}
    if adjustment or not measured:
        count = None if adjustment else int(trace.get("event_count") or 0)
        return basis, [
            StatementRow(blank, quantity, count, unit_price, amount, late_adjustment=adjustment)
        ]
    band = _BAND_OF_KIND.get(str(trace.get("rated_kind")))
    if band is not None and all(r.bands is not None for r in measured):
        # Bounded fees: each row counts what the line counted of it (its amounts between the
        # bounds, or its transactions of the line's band), not all its transactions.
        counted = [Decimal(r.bands[band]) for r in measured if r.bands is not None]
        shares = largest_remainder(amount, counted, minor_unit)
        return "bands", [
            StatementRow(row.keys, part, row.event_count, unit_price, share)
            for row, part, share in zip(measured, counted, shares, strict=True)
        ]
    if basis == "events":
        weights = [Decimal(r.event_count) for r in measured]
    else:
        weights = [r.quantity or Decimal(0) for r in measured]
    shares = largest_remainder(amount, weights, minor_unit)
    rows = []
    for row, share in zip(measured, shares, strict=True):
        shown = Decimal(row.event_count) if trace.get("rated_kind") in PER_TRANSACTION else None
        rows.append(
            StatementRow(
                row.keys,
                shown if shown is not None else row.quantity,
                row.event_count,
                unit_price,
                share,
            )
        )
    return basis, rows
