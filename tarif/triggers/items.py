"""Billable items of event triggers: each accepted event valued at once, then invoiced.

When an organization has an event trigger, its ingestion queues each stored event in
`usage_events_unvalued` (in the event's own statement). The `usage.triggers` job of a metric,
day and customers calls `value_new_events` with the usage lines with an event trigger measuring
the metric: it takes the customers' queued events off the queue, and those a line counts become
`usage_items`, valued one after the other on top of the period's items so far
(`tarif.billing.usage_items`). All the job's lines together, in a few set-based queries. The
lines' trigger rows are locked meanwhile (PostgreSQL), so two workers never value the same line
at once, and the unique key keeps one item per event.

- `immediate`: `invoice_each` makes one invoice per item, rating the period with the events
  valued up to that item (`bill_so_far(only=…)`): what that adds to the earlier invoices is
  the event's own; an item adding 0.00 (free units) makes none.
- `daily` / `weekly`: the collection invoices the period so far and `link_collected` points
  the items it covered at that invoice.
- The billing run's period-end rating points the items still without an invoice (events after
  the last collection, events adding 0.00) at its invoice (`link_period_end`).

The period-end rating bills what the early invoices left (`tarif.invoicing.usage_rating`);
items of a period already rated at its end are not made (late events follow the usage rules).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update

from tarif.billing.periods import Period
from tarif.billing.triggers import UsageTrigger
from tarif.billing.usage_items import EventUse, GroupSoFar, ValuedEvent, value_events
from tarif.billing.usage_lines import FINAL
from tarif.context import Ctx
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.models import Contract
from tarif.invoicing.models import InvoiceLine
from tarif.invoicing.usage_pricing import (
    USAGE_SOURCE,
    EventOwners,
    SmartCodePricer,
    prepaid_used_before,
)
from tarif.invoicing.usage_progressive import SoFar, bill_so_far, period_holding
from tarif.invoicing.usage_rating import UsageRater
from tarif.money import RoundingMode
from tarif.pricing.rating import RatedLine, Usage, rate_groups
from tarif.pricing.spec import ChargeSpec
from tarif.tenancy.models import Organization
from tarif.triggers.items_models import UsageItem
from tarif.triggers.models import UsageLineTrigger
from tarif.usage.aggregates import quantity_from_micros
from tarif.usage.metric_rules import Aggregation, MetricDefinition
from tarif.usage.models import UnvaluedEvent, UsageEvent
from tarif.usage.store import CountedEvent, SqlEventStore

# Metrics whose every event adds to the quantity: the only ones an event can be valued alone.
ITEMIZED = (Aggregation.COUNT, Aggregation.SUM)
MICROS = 1_000_000


@dataclass(frozen=True)
class NewItem:
    """An item just made: its id, its line, its event, the event's day, its period's start,
    and the amount it adds."""

    id: int
    contract_id: str
    line_key: str
    event_id: int
    event_day: date
    period_start: date
    amount: Decimal


@dataclass(frozen=True)
class EventLine:
    """A usage line with an event trigger: its contract, the contract's versions, and the
    customer's billable contracts measuring the line's metric (id order; which of the
    customer's events the contract counts follows from them)."""

    contract: Contract
    line_key: str
    versions: list[ContractVersion]
    measuring: list[str]


@dataclass(frozen=True)
class _Valuing:
    """A line whose events of the day are to be valued, in the period holding the day."""

    line: EventLine
    period: Period
    spec: ChargeSpec
    metric: MetricDefinition

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.line.contract.id, self.line.line_key, self.period.start)


def value_new_events(
    ctx: Ctx,
    lines: Sequence[EventLine],
    metric_code: str,
    day: date,
    customers: Sequence[str],
) -> list[NewItem]:
    """The items of the lines' new events of `metric_code` and `day`, in event id order per
    line: the events the customers' ingestion queued as unvalued (`UnvaluedEvent`), taken
    here whether a line counts them or not.

    Set-based, whatever the number of lines: one query each for the periods already rated at
    their end, the lines' locks, the queued events, the events themselves, the items so far,
    and one insert."""
    org = ctx.session.get_one(Organization, ctx.organization_id)
    rounding = RoundingMode(org.rounding_mode)
    valuing = _valuing(ctx, lines, day, rounding, org.timezone)
    valuing = _not_rated_at_end(ctx, valuing)
    if valuing:
        _lock_lines(ctx, valuing)
    taken = take_unvalued(ctx, metric_code, day, customers)
    if not valuing or not taken:
        return []
    new_events = _new_events(ctx, valuing, taken)
    todo = [(v, events) for v, events in zip(valuing, new_events, strict=True) if events]
    if not todo:
        return []
    so_far = _so_far(ctx, [v for v, _ in todo])
    now = ctx.clock.now()
    rows: list[tuple[Any, ...]] = []
    made: list[tuple[_Valuing, ValuedEvent]] = []
    group_keys: dict[tuple[tuple[str, str], ...], str] = {}
    for each, events in todo:
        contract, spec, period = each.line.contract, each.spec, each.period
        count = each.metric.aggregation is Aggregation.COUNT
        micros = {e.id: MICROS if count else (e.value_micros or 0) for e in events}
        uses = [EventUse(e.id, quantity_from_micros(micros[e.id]), e.groups) for e in events]
        prepaid = Decimal(0)
        if spec.prepaid_units:
            prepaid = prepaid_used_before(ctx, contract.id, each.line.line_key, period.start)
        smartcodes = SmartCodePricer(ctx, contract.reference, period)

        def rate(
            charge: ChargeSpec,
            usages: Sequence[Usage],
            currency: str = contract.currency,
            smartcodes: SmartCodePricer = smartcodes,
        ) -> list[RatedLine]:
            return rate_groups(charge, usages, currency, rounding, smartcodes=smartcodes)

        valued = value_events(spec, so_far.get(each.key, {}), uses, rate, prepaid)
        accepted = {e.id: e.received_at for e in events}
        line = (ctx.organization_id, contract.id, each.line.line_key)
        for v in valued:
            if v.group not in group_keys:
                group_keys[v.group] = json.dumps([list(pair) for pair in v.group])
            rows.append(
                (
                    *line,
                    v.event_id,
                    day,
                    period.start,
                    period.end,
                    group_keys[v.group],
                    v.band,
                    micros[v.event_id],
                    v.period_quantity,
                    v.period_amount,
                    v.amount,
                    contract.currency,
                    accepted[v.event_id],
                    now,
                )
            )
            made.append((each, v))
    ids = _insert_items(ctx, rows)
    return [
        NewItem(
            item_id,
            each.line.contract.id,
            each.line.line_key,
            v.event_id,
            day,
            each.period.start,
            v.amount,
        )
        for item_id, (each, v) in zip(ids, made, strict=True)
    ]


# The columns of an item row, in the order `value_new_events` builds them.
ITEM_COLUMNS = (
    "organization_id",
    "contract_id",
    "line_key",
    "event_id",
    "event_day",
    "period_start",
    "period_end",
    "group_key",
    "band",
    "quantity_micros",
    "period_quantity",
    "period_amount",
    "amount",
    "currency",
    "accepted_at",
    "created_at",
)


def _insert_items(ctx: Ctx, rows: list[tuple[Any, ...]]) -> list[int]:
    """Writes the items (`ITEM_COLUMNS` rows), ids growing in the rows' order (the order
    events were valued, the lines locked: what `invoice_each` rates up to); returns their ids.
    A job values thousands of events under load: on PostgreSQL the ids are drawn from the
    sequence in one query and the rows copied as they are (COPY; the amounts are rounded money
    and the quantities millionths, which the columns hold exactly); elsewhere one multi-row
    INSERT … RETURNING through the column types."""
    if ctx.session.get_bind().dialect.name != "postgresql":
        stmt = insert(UsageItem).returning(UsageItem.id, sort_by_parameter_order=True)
        values = [dict(zip(ITEM_COLUMNS, row, strict=True)) for row in rows]
        return list(ctx.session.scalars(stmt, values).all())
    drawn = ctx.session.scalars(
        select(func.nextval(func.pg_get_serial_sequence("usage_items", "id"))).select_from(
            func.generate_series(1, len(rows))
        )
    )
    ids = sorted(int(i) for i in drawn)
    raw = ctx.session.connection().connection.driver_connection
    assert raw is not None
    names = ", ".join(("id", *ITEM_COLUMNS))
    with raw.cursor() as cursor, cursor.copy(f"COPY usage_items ({names}) FROM STDIN") as copy:
        for item_id, row in zip(ids, rows, strict=True):
            copy.write_row((item_id, *row))
    return ids


def _valuing(
    ctx: Ctx, lines: Sequence[EventLine], day: date, rounding: RoundingMode, timezone: str
) -> list[_Valuing]:
    """The lines with a usage period holding `day` whose metric an event can be valued alone
    (its charge and metric read once for all the lines)."""
    rater = UsageRater(ctx, day, rounding, timezone)
    found = []
    for line in lines:
        holding = period_holding(ctx, line.contract, line.line_key, day, line.versions)
        if holding is None:
            continue
        versions, part = holding
        due = rater._due(line.contract, versions, part)
        if due.metric.aggregation not in ITEMIZED or due.metric.recurring:
            continue
        found.append(_Valuing(line, part.period, due.spec, due.metric))
    return found


def _not_rated_at_end(ctx: Ctx, valuing: list[_Valuing]) -> list[_Valuing]:
    """The lines whose period is not rated at its end yet: late events of a rated period
    follow the usage rules, not the trigger."""
    if not valuing:
        return []
    stmt = select(
        InvoiceLine.contract_id,
        InvoiceLine.line_key,
        InvoiceLine.period_start,
        InvoiceLine.period_end,
    ).where(
        InvoiceLine.organization_id == ctx.organization_id,
        InvoiceLine.contract_id.in_(sorted({v.line.contract.id for v in valuing})),
        InvoiceLine.source == USAGE_SOURCE,
        InvoiceLine.period_start.in_(sorted({v.period.start for v in valuing})),
        InvoiceLine.usage_part.startswith(FINAL),
    )
    rated = {tuple(row) for row in ctx.session.execute(stmt.distinct())}
    return [
        v
        for v in valuing
        if (v.line.contract.id, v.line.line_key, v.period.start, v.period.end) not in rated
    ]


def take_unvalued(ctx: Ctx, metric_code: str, day: date, customers: Sequence[str]) -> list[int]:
    """The events of the metric and day the customers' ingestion queued for valuation, taken
    off the queue (a concurrent job waits for this transaction, then finds them gone)."""
    queued = UnvaluedEvent.__table__.c
    stmt = (
        delete(UnvaluedEvent)
        .where(
            queued.organization_id == ctx.organization_id,
            queued.metric_code == metric_code,
            queued.local_date == day,
            queued.customer_id.in_(sorted(set(customers))),
        )
        .returning(queued.event_id)
    )
    return list(ctx.session.scalars(stmt.execution_options(synchronize_session=False)))


def _new_events(ctx: Ctx, valuing: list[_Valuing], taken: list[int]) -> list[list[CountedEvent]]:
    """The taken events each line counts (those passing the metric's filters, owned by the
    line's contract per the customer's contracts measuring the metric), in id order."""
    owners = EventOwners(
        {(v.line.contract.customer_id, v.metric.code): v.line.measuring for v in valuing}
    )
    by_contract: dict[str, list[int]] = defaultdict(list)
    for index, v in enumerate(valuing):
        by_contract[v.line.contract.id].append(index)
    found: list[list[CountedEvent]] = [[] for _ in valuing]
    # The lines of a job measure one metric (the job's).
    metric = valuing[0].metric
    for event in SqlEventStore(ctx.session).events_by_id(ctx.organization_id, metric, taken):
        owner = owners.owner_of(metric.code, event.customer_id, event.contract_id)
        if owner == event.customer_id:  # the customer's first contract measuring the metric
            measuring = owners.measuring.get((event.customer_id, metric.code), [])
            owner = measuring[0] if measuring else ""
        for index in by_contract.get(owner, []):
            found[index].append(event)
    return found


def invoice_each(
    ctx: Ctx, contract_id: str, line_key: str, trigger: UsageTrigger, items: list[NewItem]
) -> list[SoFar]:
    """One invoice per item (an `immediate` trigger), in event order: what each billed."""
    made = []
    for item in sorted(items, key=lambda i: i.id):
        if not item.amount:
            continue  # nothing to bill (free units): no invoice of 0.00
        # The events valued up to this item, in the order they were valued: what that rating
        # adds to the earlier invoices is this event's (whatever the events' ids or days).
        valued_through = (
            select(UsageItem.event_id)
            .where(
                *_period_items(ctx, contract_id, line_key, item.period_start),
                UsageItem.id <= item.id,
            )
            .scalar_subquery()
        )
        so_far = bill_so_far(
            ctx,
            contract_id,
            line_key,
            item.event_day,
            trigger,
            whole_period=True,
            only=UsageEvent.__table__.c.id.in_(valued_through),
        )
        if so_far is not None and so_far.invoice_id is not None:
            ctx.session.execute(
                update(UsageItem)
                .where(
                    UsageItem.organization_id == ctx.organization_id,
                    UsageItem.contract_id == contract_id,
                    UsageItem.line_key == line_key,
                    UsageItem.event_id == item.event_id,
                )
                .values(invoice_id=so_far.invoice_id)
            )
            made.append(so_far)
    return made


def link_collected(
    ctx: Ctx, contract_id: str, line_key: str, period_start: date, through: date, invoice_id: str
) -> None:
    """Points the items a collection invoiced (the period's, through `through`) at it."""
    ctx.session.execute(
        update(UsageItem)
        .where(
            *_period_items(ctx, contract_id, line_key, period_start),
            UsageItem.event_day <= through,
            UsageItem.invoice_id.is_(None),
        )
        .values(invoice_id=invoice_id)
    )


def link_period_end(ctx: Ctx, finals: Sequence[tuple[str, str, date, str]]) -> None:
    """Points the items still without an invoice at the invoice of their period's end rating:
    `finals` are (contract, line, period start, invoice) of a billing run's period-end usage
    lines. One query when no item waits (most organizations)."""
    waiting = select(UsageItem.contract_id, UsageItem.line_key, UsageItem.period_start).where(
        UsageItem.organization_id == ctx.organization_id, UsageItem.invoice_id.is_(None)
    )
    pending = {tuple(row) for row in ctx.session.execute(waiting.distinct())}
    for contract_id, line_key, period_start, invoice_id in finals:
        if (contract_id, line_key, period_start) not in pending:
            continue
        ctx.session.execute(
            update(UsageItem)
            .where(
                *_period_items(ctx, contract_id, line_key, period_start),
                UsageItem.invoice_id.is_(None),
            )
            .values(invoice_id=invoice_id)
        )
        pending.discard((contract_id, line_key, period_start))


def _period_items(ctx: Ctx, contract_id: str, line_key: str, period_start: date) -> list[Any]:
    """The conditions selecting a line's items of one period."""
    return [
        UsageItem.organization_id == ctx.organization_id,
        UsageItem.contract_id == contract_id,
        UsageItem.line_key == line_key,
        UsageItem.period_start == period_start,
    ]


def _lock_lines(ctx: Ctx, valuing: list[_Valuing]) -> None:
    """Locks the lines' trigger rows (PostgreSQL), in id order: a second worker valuing the
    same lines waits, then sees the items made meanwhile."""
    pairs = sorted({(v.line.contract.id, v.line.line_key) for v in valuing})
    ctx.session.execute(
        select(UsageLineTrigger.id)
        .where(
            UsageLineTrigger.organization_id == ctx.organization_id,
            tuple_(UsageLineTrigger.contract_id, UsageLineTrigger.line_key).in_(pairs),
        )
        .order_by(UsageLineTrigger.id)
        .with_for_update()
    )


SoFarByGroup = dict[tuple[tuple[str, str], ...], GroupSoFar]


def _so_far(ctx: Ctx, valuing: list[_Valuing]) -> dict[tuple[str, str, date], SoFarByGroup]:
    """Each line's items so far in its period, by group: quantity, count and fee bands (one
    GROUP BY for all the lines)."""
    keys = {v.key for v in valuing}
    stmt = (
        select(
            UsageItem.contract_id,
            UsageItem.line_key,
            UsageItem.period_start,
            UsageItem.group_key,
            UsageItem.band,
            func.sum(UsageItem.quantity_micros),
            func.count(),
        )
        .where(
            UsageItem.organization_id == ctx.organization_id,
            UsageItem.contract_id.in_(sorted({k[0] for k in keys})),
            UsageItem.period_start.in_(sorted({k[2] for k in keys})),
        )
        .group_by(
            UsageItem.contract_id,
            UsageItem.line_key,
            UsageItem.period_start,
            UsageItem.group_key,
            UsageItem.band,
        )
    )
    found: dict[tuple[str, str, date], SoFarByGroup] = defaultdict(dict)
    for contract_id, line_key, period_start, key, band, micros, count in ctx.session.execute(stmt):
        if (contract_id, line_key, period_start) not in keys:
            continue
        groups = found[(contract_id, line_key, period_start)]
        group = _group(key)
        current = groups.get(group, GroupSoFar())
        total = quantity_from_micros(int(micros))
        bands = current.bands
        if band == "below":
            bands = replace(bands, below_count=bands.below_count + count)
        elif band == "above":
            bands = replace(bands, above_count=bands.above_count + count)
        elif band == "between":
            bands = replace(
                bands,
                between_count=bands.between_count + count,
                between_sum=bands.between_sum + total,
            )
        groups[group] = GroupSoFar(current.quantity + total, current.event_count + count, bands)
    return dict(found)


def _group(key: str) -> tuple[tuple[str, str], ...]:
    pairs: Any = json.loads(key)
    return tuple((str(name), str(value)) for name, value in pairs)
