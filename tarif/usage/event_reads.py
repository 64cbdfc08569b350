"""Reads of stored usage events: the filtered list (cursor pagination) and one event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select

from tarif.context import Ctx
from tarif.contracts.models import Contract
from tarif.customers.models import Customer
from tarif.db.repository import MAX_PAGE_SIZE, PageRequest, get_scoped
from tarif.errors import NotFound
from tarif.tenancy.rules import Permission
from tarif.usage.event_schemas import internal_id, public_id
from tarif.usage.models import UsageEvent


@dataclass(frozen=True)
class EventFilters:
    customer_id: str | None = None
    metric: str | None = None
    since: datetime | None = None  # timestamp ≥ since
    until: datetime | None = None  # timestamp < until
    late: bool | None = None
    first_day: date | None = None  # local date ≥ first_day
    last_day: date | None = None  # local date ≤ last_day
    contract_id: str | None = None


@dataclass(frozen=True)
class EventPage:
    items: list[UsageEvent]
    has_more: bool

    @property
    def next_cursor(self) -> str | None:
        return public_id(self.items[-1].id) if self.has_more and self.items else None


def get_event(ctx: Ctx, event_id: str) -> UsageEvent:
    ctx.require(Permission.READ)
    row_id = internal_id(event_id)
    event = None
    if row_id is not None:
        event = ctx.session.scalars(
            select(UsageEvent).where(
                UsageEvent.organization_id == ctx.organization_id, UsageEvent.id == row_id
            )
        ).one_or_none()
    if event is None:
        raise NotFound(f"event '{event_id}' not found")
    return event


def get_by_key(ctx: Ctx, source: str, transaction_id: str) -> UsageEvent:
    event = ctx.session.scalars(
        select(UsageEvent).where(
            UsageEvent.organization_id == ctx.organization_id,
            UsageEvent.source == source,
            UsageEvent.transaction_id == transaction_id,
        )
    ).one_or_none()
    if event is None:
        raise NotFound(f"event '{transaction_id}' not found")
    return event


def _counted_by(ctx: Ctx, contract_id: str, metric: str | None) -> ColumnElement[bool]:
    """With a metric, the events the contract counts by the billing run's rule (`EventOwners`):
    the customer's first contract measuring it also counts the events naming no contract, so
    an invoice line's link lists what the line counted. Without one, the events naming it."""
    # Another organization's contract is a 404 too.
    contract = get_scoped(ctx.session, Contract, ctx.organization_id, contract_id)
    if metric is None:
        return UsageEvent.contract_id == contract.id
    # Invoicing reads usage: imported here, not at the top, so usage never imports it.
    from tarif.invoicing.current_usage import event_scope

    scope = event_scope(ctx, contract, metric)
    if not scope.first:
        return UsageEvent.contract_id == contract.id
    return and_(
        UsageEvent.customer_id == contract.customer_id,
        or_(UsageEvent.contract_id.is_(None), UsageEvent.contract_id.not_in(scope.others)),
    )


def list_events(ctx: Ctx, page: PageRequest, filters: EventFilters) -> EventPage:
    """Events in arrival order (ids grow as events are stored). `q` searches the transaction
    id; `updated_since` filters on the reception time (events never change)."""
    ctx.require(Permission.READ)
    stmt = select(UsageEvent).where(UsageEvent.organization_id == ctx.organization_id)
    if filters.customer_id is not None:
        # Another organization's customer is a 404, not an empty list.
        get_scoped(ctx.session, Customer, ctx.organization_id, filters.customer_id)
        stmt = stmt.where(UsageEvent.customer_id == filters.customer_id)
    if filters.contract_id is not None:
        stmt = stmt.where(_counted_by(ctx, filters.contract_id, filters.metric))
    if filters.metric is not None:
        stmt = stmt.where(UsageEvent.metric_code == filters.metric)
    if filters.since is not None:
        stmt = stmt.where(UsageEvent.occurred_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(UsageEvent.occurred_at < filters.until)
    if filters.first_day is not None:
        stmt = stmt.where(UsageEvent.local_date >= filters.first_day)
    if filters.last_day is not None:
        stmt = stmt.where(UsageEvent.local_date <= filters.last_day)
    if filters.late is not None:
        stmt = stmt.where(UsageEvent.late == filters.late)
    if page.updated_since is not None:
        stmt = stmt.where(UsageEvent.received_at >= page.updated_since)
    if page.q:
        escaped = page.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(UsageEvent.transaction_id).like(f"%{escaped}%", escape="\\"))
    if page.starting_after:
        after = internal_id(page.starting_after)
        if after is None:
            # Not an event id: no event of this list comes after it.
            return EventPage([], False)
        stmt = stmt.where(UsageEvent.id > after)
    limit = max(1, min(page.limit, MAX_PAGE_SIZE))
    rows = list(ctx.session.scalars(stmt.order_by(UsageEvent.id).limit(limit + 1)))
    return EventPage(rows[:limit], len(rows) > limit)


__all__ = ["EventFilters", "EventPage", "get_by_key", "get_event", "list_events"]
