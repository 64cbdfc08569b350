"""Billable items of event triggers: each accepted event valued at once, then invoiced.

The `usage.triggers` job of stored events calls `value_new_events` for each usage line with an
event trigger measuring their metric: the line's events of that day not valued yet become
`usage_items`, valued one after the
other on top of the period's items so far (`tarif.billing.usage_items`). The trigger's row is
locked meanwhile (PostgreSQL), so two workers never value the same line at once and the unique
key keeps one item per event.

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

from sqlalchemy import exists, func, insert, select, update

from tarif.billing.triggers import UsageTrigger
from tarif.billing.usage_items import EventUse, GroupSoFar, value_events
from tarif.billing.usage_lines import FINAL
from tarif.context import Ctx
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.models import Contract
from tarif.invoicing.current_usage import event_scope
from tarif.invoicing.usage_pricing import SmartCodePricer, prepaid_used_before
from tarif.invoicing.usage_progressive import SoFar, bill_so_far, period_holding
from tarif.invoicing.usage_rating import UsageRater
from tarif.money import RoundingMode
from tarif.pricing.rating import RatedLine, Usage, rate_groups
from tarif.pricing.spec import ChargeSpec
from tarif.tenancy.models import Organization
from tarif.triggers.items_models import UsageItem
from tarif.triggers.models import UsageLineTrigger
from tarif.usage.aggregates import UsagePeriod, quantity_from_micros
from tarif.usage.metric_rules import Aggregation
from tarif.usage.models import UsageEvent
from tarif.usage.store import EventOwnership, SqlEventStore

# Metrics whose every event adds to the quantity: the only ones an event can be valued alone.
ITEMIZED = (Aggregation.COUNT, Aggregation.SUM)
MICROS = 1_000_000


@dataclass(frozen=True)
class NewItem:
    """An item just made: its id, its event, the event's day, its period's start, and the
    amount it adds."""

    id: int
    event_id: int
    event_day: date
    period_start: date
    amount: Decimal


def value_new_events(
    ctx: Ctx,
    contract: Contract,
    line_key: str,
    day: date,
    versions: list[ContractVersion] | None = None,
) -> list[NewItem]:
    """The items of the line's events of `day` not valued yet, in event id order
    (`versions`: the contract's, when the caller has them)."""
    found = period_holding(ctx, contract, line_key, day, versions)
    if found is None:
        return []
    versions, part = found
    org = ctx.session.get_one(Organization, ctx.organization_id)
    rounding = RoundingMode(org.rounding_mode)
    rater = UsageRater(ctx, day, rounding, org.timezone)
    due = rater._due(contract, versions, part)
    metric, spec = due.metric, due.spec
    if metric.aggregation not in ITEMIZED or metric.recurring:
        return []
    period = part.period
    billed = rater._billed(contract.id, line_key, period.start, period.end)
    if any(b.usage_part.startswith(FINAL) for b in billed):
        return []  # rated at its end already: late events follow the usage rules
    _lock_line(ctx, contract.id, line_key)
    scope = event_scope(ctx, contract, metric.code)
    ownership = EventOwnership(contract.customer_id, contract.id, scope.first, scope.others)
    usage_period = UsagePeriod(period.start, period.end, org.timezone)
    valued_already = exists().where(
        UsageItem.organization_id == ctx.organization_id,
        UsageItem.contract_id == contract.id,
        UsageItem.line_key == line_key,
        UsageItem.event_id == UsageEvent.__table__.c.id,
    )
    new = SqlEventStore(ctx.session).counted_events(
        ctx.organization_id, metric, usage_period, ownership, day, ~valued_already
    )
    if not new:
        return []
    count = metric.aggregation is Aggregation.COUNT
    micros = {e.id: MICROS if count else (e.value_micros or 0) for e in new}
    uses = [EventUse(e.id, quantity_from_micros(micros[e.id]), e.groups) for e in new]
    prepaid = Decimal(0)
    if spec.prepaid_units:
        prepaid = prepaid_used_before(ctx, contract.id, line_key, period.start)
    smartcodes = SmartCodePricer(ctx, contract.reference, period)

    def rate(charge: ChargeSpec, usages: Sequence[Usage]) -> list[RatedLine]:
        return rate_groups(charge, usages, contract.currency, rounding, smartcodes=smartcodes)

    so_far = _so_far(ctx, contract.id, line_key, period.start)
    valued = value_events(spec, so_far, uses, rate, prepaid)
    now = ctx.clock.now()
    accepted = {e.id: e.received_at for e in new}
    rows = [
        {
            "organization_id": ctx.organization_id,
            "contract_id": contract.id,
            "line_key": line_key,
            "event_id": v.event_id,
            "event_day": day,
            "period_start": period.start,
            "period_end": period.end,
            "group_key": json.dumps([list(pair) for pair in v.group]),
            "band": v.band,
            "quantity_micros": micros[v.event_id],
            "period_quantity": v.period_quantity,
            "period_amount": v.period_amount,
            "amount": v.amount,
            "currency": contract.currency,
            "accepted_at": accepted[v.event_id],
            "created_at": now,
        }
        for v in valued
    ]
    # One multi-row INSERT: a job values thousands of events under load. Item ids grow in the
    # order events were valued (the line is locked): what `invoice_each` rates up to.
    stmt = insert(UsageItem).returning(UsageItem.id, sort_by_parameter_order=True)
    ids = ctx.session.scalars(stmt, rows).all()
    return [
        NewItem(item_id, v.event_id, day, period.start, v.amount)
        for item_id, v in zip(ids, valued, strict=True)
    ]


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


def _lock_line(ctx: Ctx, contract_id: str, line_key: str) -> None:
    ctx.session.execute(
        select(UsageLineTrigger.id)
        .where(
            UsageLineTrigger.organization_id == ctx.organization_id,
            UsageLineTrigger.contract_id == contract_id,
            UsageLineTrigger.line_key == line_key,
        )
        .with_for_update()
    )


def _so_far(
    ctx: Ctx, contract_id: str, line_key: str, period_start: date
) -> dict[tuple[tuple[str, str], ...], GroupSoFar]:
    """The period's items so far, by group: quantity, count and fee bands."""
    stmt = (
        select(
            UsageItem.group_key,
            UsageItem.band,
            func.sum(UsageItem.quantity_micros),
            func.count(),
        )
        .where(*_period_items(ctx, contract_id, line_key, period_start))
        .group_by(UsageItem.group_key, UsageItem.band)
    )
    groups: dict[tuple[tuple[str, str], ...], GroupSoFar] = defaultdict(GroupSoFar)
    for key, band, micros, count in ctx.session.execute(stmt):
        group = _group(key)
        current = groups[group]
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
    return dict(groups)


def _group(key: str) -> tuple[tuple[str, str], ...]:
    pairs: Any = json.loads(key)
    return tuple((str(name), str(value)) for name, value in pairs)
