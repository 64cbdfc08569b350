"""A SmartCode's dry run against a real contract's period: nothing is billed nor stored.

- **valuation**: the version values the stored events the contract's line counts in the period
  (its customer's events of the line's metric, routed as a billing run routes them, kept by the
  metric's filters), in id order, 10,000 at a time; the answer shows the first `limit` events
  (their stored value beside the new one) and, over all of them, the number valued and failed,
  the total of the new values and of the stored ones, and the quantity the metric's
  aggregation makes of the new values (count, sum, max, latest; none for unique_count,
  weighted_sum and recurring metrics, whose quantity is not a plain fold of the period's values).
- **pricing**: the line's metric is aggregated over the period as a billing run measures it,
  and the version is called with that usage once per group (as the billing run calls a charge's
  SmartCode), returning the quantities and the lines.

The period is `[period_start, period_end)` as given, or the line's usage period (on its grid,
cut as a billing run cuts it) containing `as_of`. The line is `line_key`, else the contract's
one usage line priced (pricing) or valued (valuation) by this SmartCode, else its only usage line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select

from tarif.billing.periods import Period
from tarif.billing.usage_now import current_usage
from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.models import Contract
from tarif.customers.models import Customer
from tarif.errors import ErrorCollector, NotFound
from tarif.invoicing.current_usage import (
    contract_line_charge,
    event_scope,
    measure_line,
    metric_of,
    organization_timezone,
)
from tarif.invoicing.usage_pricing import macro_contract, macro_usage, usage_of
from tarif.pricing.rating import whole_period
from tarif.pricing.spec import ChargeSpec
from tarif.smartcodes.models import SmartCode, SmartCodeVersion
from tarif.smartcodes.policy import Kind
from tarif.smartcodes.runner import EventFailure, default_runner
from tarif.smartcodes.values import MacroEvent, PriceLine, Valuation
from tarif.usage.aggregates import AggregateRow, quantity_from_micros, shown
from tarif.usage.metric_rules import Aggregation, MetricDefinition
from tarif.usage.models import Metric, UsageEvent
from tarif.usage.store import SqlEventStore

CONTRACT_FIELDS = frozenset(
    {"contract_id", "line_key", "period_start", "period_end", "as_of", "limit"}
)
DEFAULT_SHOWN = 50
MAX_SHOWN = 1_000
CHUNK = 10_000
# Periods of more than about two years are a mistake, not a dry run.
MAX_PERIOD_DAYS = 800
FOLDED = (Aggregation.COUNT, Aggregation.SUM, Aggregation.MAX, Aggregation.LATEST)


@dataclass(frozen=True)
class ValuedEvent:
    """One stored event and what the version gives for it."""

    id: int
    occurred_at: datetime
    properties: Mapping[str, Any]
    stored_value: Decimal | None
    result: Valuation | EventFailure


@dataclass
class ContractRun:
    """What the dry run measured on the contract (see the module)."""

    contract: Contract
    line_key: str
    metric_code: str
    aggregation: Aggregation
    period: Period
    charge: ChargeSpec
    # valuation
    events: list[ValuedEvent] = field(default_factory=list)  # the first `limit`
    event_count: int = 0
    failed: int = 0
    total: Decimal = Decimal(0)  # of the new values
    stored_total: Decimal = Decimal(0)
    quantity: Decimal | None = None
    # pricing
    usages: list[AggregateRow] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    contract: Contract
    line_key: str
    charge: ChargeSpec
    metric_id: str
    metric: MetricDefinition
    period: Period
    limit: int
    whole: Period | None = None  # the line's period on its grid, when found from `as_of`


def _day(raw: object, name: str, errors: ErrorCollector) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors.add(name, "must be a date written YYYY-MM-DD")
        return None


def _target(ctx: Ctx, smartcode: SmartCode, data: Mapping[str, Any]) -> _Target:
    """The contract, line, charge, metric and period the input names (422 naming each bad
    field, all at once)."""
    errors = ErrorCollector()
    for name in sorted(set(data) - CONTRACT_FIELDS):
        errors.add(name, "not used with contract_id (the contract's events or usage are used)")
    start = _day(data.get("period_start"), "period_start", errors)
    end = _day(data.get("period_end"), "period_end", errors)
    as_of = _day(data.get("as_of"), "as_of", errors)
    limit = data.get("limit", DEFAULT_SHOWN)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_SHOWN:
        errors.add("limit", f"must be a whole number from 1 to {MAX_SHOWN}")
        limit = DEFAULT_SHOWN
    given = {name for name in ("as_of", "period_start", "period_end") if data.get(name) is not None}
    if "as_of" in given and given & {"period_start", "period_end"}:
        errors.add("as_of", "give as_of or period_start and period_end, not both")
    elif "as_of" not in given and (start is None or end is None):
        for name, value in (("period_start", start), ("period_end", end)):
            if value is None and name not in {e.field for e in errors.errors}:
                errors.add(name, "required without as_of")
    elif start is not None and end is not None:
        if end <= start:
            errors.add("period_end", "must be after period_start (the end is exclusive)")
        elif (end - start).days > MAX_PERIOD_DAYS:
            errors.add("period_end", f"the period is longer than {MAX_PERIOD_DAYS} days")
    contract = _contract(ctx, data.get("contract_id"), errors)
    errors.raise_if_any("The dry run has invalid fields")
    assert contract is not None
    day = as_of or start
    assert day is not None
    versions = contract_store.versions_of(ctx, contract)
    terms = contract_store.version_on(versions, day).terms
    usage_lines = [line for line in terms.lines if line.unit_price is None]
    key = data.get("line_key")
    line = None
    if key is not None:
        line = next((x for x in usage_lines if x.line_key == key), None)
        if line is None:
            errors.add("line_key", f"not a usage line of the contract on {day.isoformat()}")
    else:
        mine = [x for x in usage_lines if _uses(ctx, smartcode, terms, x, day)]
        candidates = mine if len(mine) == 1 else usage_lines
        if len(candidates) == 1:
            line = candidates[0]
        elif not candidates:
            errors.add("contract_id", f"the contract has no usage line on {day.isoformat()}")
        else:
            keys = ", ".join(x.line_key for x in candidates)
            errors.add("line_key", f"the contract has several usage lines: name one ({keys})")
    errors.raise_if_any("The dry run has invalid fields")
    assert line is not None
    charge = contract_line_charge(ctx, terms, line, day)
    found = metric_of(ctx, charge.metric) if charge is not None else None
    if charge is None:
        errors.add("line_key", f"line '{line.line_key}' has no charge (nor its pricelist entry)")
    elif found is None:
        errors.add("line_key", f"line '{line.line_key}' measures unknown metric '{charge.metric}'")
    period = Period(start, end) if start is not None and end is not None else None
    whole = None
    if as_of is not None:
        parts = [p for p in current_usage(versions, as_of) if p.line_key == line.line_key]
        if not parts:
            errors.add("as_of", f"line '{line.line_key}' is not running on {as_of.isoformat()}")
        else:
            period, whole = parts[0].period, parts[0].full_period
    errors.raise_if_any("The dry run has invalid fields")
    assert charge is not None and found is not None and period is not None
    return _Target(contract, line.line_key, charge, found[0], found[1], period, limit, whole)


def _contract(ctx: Ctx, raw: object, errors: ErrorCollector) -> Contract | None:
    if not isinstance(raw, str) or not raw.strip():
        errors.add("contract_id", "required: a contract's id or reference")
        return None
    from tarif.contracts.service import find_contract

    try:
        return find_contract(ctx, raw.strip())
    except NotFound:
        errors.add("contract_id", f"no contract '{raw}' in this organization")
        return None


def _uses(ctx: Ctx, smartcode: SmartCode, terms: Any, line: Any, day: date) -> bool:
    """The line's charge is priced by this SmartCode, or its metric valued by it."""
    charge = contract_line_charge(ctx, terms, line, day)
    if charge is None:
        return False
    if smartcode.kind == Kind.PRICING:
        return charge.smartcode_id == smartcode.id
    stmt = select(Metric.valuation_smartcode_id).where(
        Metric.organization_id == ctx.organization_id, Metric.code == charge.metric
    )
    return ctx.session.scalar(stmt) == smartcode.id


def run_on_contract(
    ctx: Ctx, smartcode: SmartCode, version: SmartCodeVersion, data: Mapping[str, Any]
) -> tuple[ContractRun, list[Valuation | EventFailure], list[PriceLine]]:
    """(what was measured, the shown events' results, the pricing lines). A macro failure
    that stops the run (`MacroFailed`) is raised for the caller to report."""
    target = _target(ctx, smartcode, data)
    run = ContractRun(
        target.contract,
        target.line_key,
        target.metric.code,
        target.metric.aggregation,
        target.period,
        target.charge,
    )
    if smartcode.kind == Kind.PRICING:
        return run, [], _price(ctx, version, target, run)
    _value(ctx, version, target, run)
    return run, [e.result for e in run.events], []


def _price(
    ctx: Ctx, version: SmartCodeVersion, target: _Target, run: ContractRun
) -> list[PriceLine]:
    timezone = organization_timezone(ctx)
    run.usages = measure_line(
        ctx, target.contract, target.metric, target.period, timezone, whole=target.whole
    )
    contract = macro_contract(target.contract.reference, target.contract.currency, target.charge)
    # One call for the period with every group, as billing calls it.
    usage = macro_usage(whole_period([usage_of(row) for row in run.usages]), target.period)
    return default_runner().price_usage(version, usage, contract)


# --- valuation over the stored events --------------------------------------------------------


def _events(ctx: Ctx, target: _Target) -> Iterator[list[UsageEvent]]:
    """The events the line counts in the period, in id order, a chunk at a time."""
    ev = UsageEvent
    contract = target.contract
    scope = event_scope(ctx, contract, target.metric.code)
    conditions: list[ColumnElement[bool]] = [
        ev.organization_id == ctx.organization_id,
        ev.metric_code == target.metric.code,
        ev.customer_id == contract.customer_id,
        ev.local_date >= target.period.start,
        ev.local_date < target.period.end,
    ]
    if not scope.first:
        conditions.append(ev.contract_id == contract.id)
    elif scope.others:
        conditions.append(ev.contract_id.is_(None) | ev.contract_id.not_in(scope.others))
    props = SqlEventStore(ctx.session).props
    conditions += [props.passes(rule) for rule in target.metric.filters]
    after = 0
    while True:
        stmt = select(ev).where(*conditions, ev.id > after).order_by(ev.id).limit(CHUNK)
        chunk = list(ctx.session.scalars(stmt))
        if not chunk:
            return
        yield chunk
        # Rows were only read: let them go so a long period does not fill the session.
        for row in chunk:
            ctx.session.expunge(row)
        after = chunk[-1].id


def _exact(value: Any) -> Any:
    """JSON properties as a macro sees them at ingestion: numbers never floats."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def _value(ctx: Ctx, version: SmartCodeVersion, target: _Target, run: ContractRun) -> None:
    external_id = ctx.session.scalar(
        select(Customer.external_id).where(
            Customer.organization_id == ctx.organization_id,
            Customer.id == target.contract.customer_id,
        )
    )
    runner = default_runner()
    folded = target.metric.aggregation in FOLDED and not target.metric.recurring
    highest: Decimal | None = None
    latest: tuple[datetime, int, Decimal] | None = None
    for chunk in _events(ctx, target):
        properties = [_exact(json.loads(json.dumps(e.properties or {}))) for e in chunk]
        sample = [
            MacroEvent(e.occurred_at, p, target.metric.code, external_id)
            for e, p in zip(chunk, properties, strict=True)
        ]
        results = runner.dry_run_events(version, sample)
        for event, props, result in zip(chunk, properties, results, strict=True):
            stored = (
                None if event.value_micros is None else quantity_from_micros(event.value_micros)
            )
            if stored is not None:
                run.stored_total += stored
            if len(run.events) < target.limit:
                if isinstance(result, EventFailure):  # its index within the whole run
                    result = EventFailure(run.event_count, result.error)
                run.events.append(ValuedEvent(event.id, event.occurred_at, props, stored, result))
            run.event_count += 1
            if isinstance(result, EventFailure):
                run.failed += 1
                continue
            run.total += result.value
            highest = result.value if highest is None else max(highest, result.value)
            mark = (event.occurred_at, event.id, result.value)
            if latest is None or mark[:2] > latest[:2]:
                latest = mark
    run.stored_total = shown(run.stored_total)
    if not folded:
        return
    run.quantity = {
        Aggregation.COUNT: Decimal(run.event_count),
        Aggregation.SUM: run.total,
        Aggregation.MAX: highest if highest is not None else Decimal(0),
        Aggregation.LATEST: latest[2] if latest is not None else Decimal(0),
    }[target.metric.aggregation]


def plain_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Properties for a JSON answer: decimals as strings."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {k: plain(v) for k, v in properties.items()}


def shown_rows(rows: Sequence[AggregateRow]) -> list[dict[str, Any]]:
    return [
        {"group": dict(r.groups), "quantity": format(r.quantity, "f"), "event_count": r.event_count}
        for r in rows
    ]
