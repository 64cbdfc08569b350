"""Recording and reading audit events; every service calls `record` in its own transaction,
so an event is written if and only if the change it describes is."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Select, inspect, select

from tarif.audit.models import AuditEvent
from tarif.context import Ctx
from tarif.db.repository import Page, PageRequest, paginate, scoped, search_clause
from tarif.ids import new_id

# Secrets never reach the log, not even hashed.
_REDACTED_COLUMNS = {"password_hash", "key_hash"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The column values of an ORM object as JSON-ready plain values."""
    mapper = inspect(obj).mapper
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in _REDACTED_COLUMNS and attr.key != "organization_id"
    }


def changed_only(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """For updates keep only the fields that changed, so the log reads as a diff."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k) and k != "updated_at"]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    ctx: Ctx,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(**event_values(ctx, action, object_type, object_id, before, after))
    ctx.session.add(event)
    return event


def event_values(
    ctx: Ctx,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The column values of the event `record` writes: for writing many in one INSERT (whose
    caller may name them at once, `new_ids("aud", n)`)."""
    # Any change of an existing object (update, revoke, archive…) reads as a diff.
    before, after = changed_only(before, after)
    return {
        "id": event_id or new_id("aud"),
        "organization_id": ctx.organization_id,
        "occurred_at": ctx.clock.now(),
        "actor_kind": ctx.actor.kind,
        "actor_id": ctx.actor.id,
        "actor_label": ctx.actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
    }


def events_for_object(ctx: Ctx, object_id: str, limit: int = 50) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.organization_id == ctx.organization_id)
        .where(AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(ctx.session.scalars(stmt))


# What `q` searches in the log. "Updated since" is "happened since" there: events never change.
SEARCHED = (AuditEvent.object_type, AuditEvent.object_id, AuditEvent.action, AuditEvent.actor_label)


def _filtered(ctx: Ctx, object_id: str | None, object_type: str | None) -> Select[Any]:
    stmt = scoped(AuditEvent, ctx.organization_id)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    return stmt


def list_events(
    ctx: Ctx,
    page: PageRequest,
    *,
    object_id: str | None = None,
    object_type: str | None = None,
) -> Page[AuditEvent]:
    """The log oldest first, a page at a time (`GET /v1/audit-events`)."""
    stmt = _filtered(ctx, object_id, object_type)
    updated = AuditEvent.occurred_at
    return paginate(ctx.session, stmt, AuditEvent, page, SEARCHED, updated_column=updated)


def recent_events(
    ctx: Ctx,
    *,
    limit: int,
    object_id: str | None = None,
    object_type: str | None = None,
    q: str | None = None,
    since: datetime | None = None,
    before: str | None = None,
) -> list[AuditEvent]:
    """The latest `limit` events, newest first (`tarif audit list`), filtered as `list_events`;
    `before`, an event's id: only the events older than it (the next page of a listing)."""
    stmt = _filtered(ctx, object_id, object_type)
    if q:
        stmt = stmt.where(search_clause(q, SEARCHED))
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    return list(ctx.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit)))
