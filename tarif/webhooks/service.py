"""Use cases of webhooks: endpoints (admin only), emitting events, deliveries and replays.

`emit(ctx, type, data)` writes, in the caller's transaction, one delivery per enabled endpoint
of the organization subscribed to the type, and one `webhook.deliver` job for each: the
notification exists if and only if the business change commits, and is sent off the request
path. The organization's endpoints are read once per session (a billing run emits once per
invoice), and that cache is dropped whenever an endpoint changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from tarif.audit.service import record, snapshot
from tarif.context import Ctx
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import ErrorCollector, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.jobs.service import enqueue
from tarif.tenancy.rules import Permission
from tarif.webhooks import rules
from tarif.webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVER = "webhook.deliver"
_CACHE = "tarif.webhooks.endpoints"  # key in session.info: {org id: [(id, types)]}


# --- endpoints -------------------------------------------------------------------------------


def _clean(value: str) -> str:
    return value if "\x00" not in value else ""


def get_endpoint(ctx: Ctx, endpoint_id: str) -> WebhookEndpoint:
    ctx.require(Permission.MANAGE_SETTINGS)
    if "\x00" in endpoint_id:
        raise NotFound("webhook endpoint not found")
    try:
        found: WebhookEndpoint = get_scoped(
            ctx.session, WebhookEndpoint, ctx.organization_id, endpoint_id
        )
    except NotFound:
        raise NotFound(f"webhook endpoint '{endpoint_id}' not found") from None
    return found


def list_endpoints(ctx: Ctx, page: PageRequest) -> Page[WebhookEndpoint]:
    ctx.require(Permission.MANAGE_SETTINGS)
    stmt = scoped(WebhookEndpoint, ctx.organization_id)
    return paginate(
        ctx.session,
        stmt,
        WebhookEndpoint,
        page,
        search_columns=(WebhookEndpoint.url, WebhookEndpoint.description),
    )


def _check(values: dict[str, Any], errors: ErrorCollector) -> None:
    if "url" in values:
        url = values["url"].strip() if isinstance(values["url"], str) else ""
        problem = rules.url_problem(url)
        if problem:
            errors.add("url", problem)
        values["url"] = url
    if "event_types" in values:
        types = values["event_types"]
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            errors.add("event_types", "a list of event types")
        else:
            for index, message in rules.event_type_problems([t.strip() for t in types]):
                errors.add("event_types" if index < 0 else f"event_types.{index}", message)
            values["event_types"] = [t.strip() for t in types]
    if "description" in values:
        description = (values["description"] or "").strip()
        if len(description) > 500:
            errors.add("description", "at most 500 characters")
        values["description"] = description


def create_endpoint(ctx: Ctx, values: dict[str, Any]) -> WebhookEndpoint:
    """An endpoint with a new signing secret (readable by admins, see the models)."""
    ctx.require(Permission.MANAGE_SETTINGS)
    values = dict(values)
    errors = ErrorCollector()
    for required in ("url", "event_types"):
        if values.get(required) in (None, "", []):
            errors.add(required, "is required" if required == "url" else "at least one event type")
    _check({k: v for k, v in values.items() if v not in (None, "", [])}, errors)
    errors.raise_if_any()
    _check(values, errors)
    now = ctx.clock.now()
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        organization_id=ctx.organization_id,
        url=values["url"],
        description=values.get("description") or "",
        secret=rules.new_secret(),
        event_types=values["event_types"],
        enabled=bool(values.get("enabled", True)),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(endpoint)
    ctx.session.flush()
    _forget(ctx)
    record(ctx, "create", "webhook_endpoint", endpoint.id, None, _audited(endpoint))
    return endpoint


def _audited(endpoint: WebhookEndpoint) -> dict[str, Any]:
    data = snapshot(endpoint)
    data.pop("secret", None)  # the audit log is readable by more people than the secret
    return data


def update_endpoint(ctx: Ctx, endpoint_id: str, values: dict[str, Any]) -> WebhookEndpoint:
    """Changes the given fields (url, description, event_types, enabled); `rotate_secret`
    draws a new secret (the old one stops signing at once)."""
    endpoint = get_endpoint(ctx, endpoint_id)
    values = {k: v for k, v in values.items() if v is not None}
    errors = ErrorCollector()
    _check(values, errors)
    errors.raise_if_any()
    before = _audited(endpoint)
    for key in ("url", "description", "event_types", "enabled"):
        if key in values:
            setattr(endpoint, key, values[key])
    if values.get("rotate_secret"):
        endpoint.secret = rules.new_secret()
    endpoint.updated_at = ctx.clock.now()
    ctx.session.flush()
    _forget(ctx)
    after = _audited(endpoint) | ({"secret": "rotated"} if values.get("rotate_secret") else {})
    record(ctx, "update", "webhook_endpoint", endpoint.id, before, after)
    return endpoint


def delete_endpoint(ctx: Ctx, endpoint_id: str) -> None:
    """Deletes an endpoint and its delivery log."""
    endpoint = get_endpoint(ctx, endpoint_id)
    before = _audited(endpoint)
    ctx.session.delete(endpoint)
    ctx.session.flush()
    _forget(ctx)
    record(ctx, "delete", "webhook_endpoint", endpoint_id, before, None)


# --- emitting --------------------------------------------------------------------------------


def _forget(ctx: Ctx) -> None:
    ctx.session.info.pop(_CACHE, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, _transaction: SessionTransaction) -> None:
    # An endpoint created in a transaction that rolled back must not stay cached; read again
    # after any transaction (or savepoint) ends: one small query per transaction at most.
    session.info.pop(_CACHE, None)


def _subscribed(ctx: Ctx) -> list[tuple[str, list[str]]]:
    cache: dict[str, list[tuple[str, list[str]]]] = ctx.session.info.setdefault(_CACHE, {})
    if ctx.organization_id not in cache:
        stmt = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.organization_id == ctx.organization_id,
            WebhookEndpoint.enabled.is_(True),
        )
        with ctx.session.no_autoflush:
            cache[ctx.organization_id] = [
                (row.id, list(row.event_types)) for row in ctx.session.execute(stmt)
            ]
    return cache[ctx.organization_id]


def subscribed(ctx: Ctx, event_type: str) -> bool:
    """Whether an enabled endpoint of the organization takes `event_type`: a caller emitting
    for each of 100,000 invoices builds no payload when nobody listens."""
    return any(event_type in types for _, types in _subscribed(ctx))


def emit(ctx: Ctx, event_type: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """One delivery and one job per endpoint subscribed to `event_type` (none: nothing written).
    The event's id is shared by its deliveries, so a receiver can drop a duplicate."""
    if event_type not in rules.EVENT_TYPES:
        raise ValueError(f"unknown webhook event type '{event_type}'")
    endpoints = [eid for eid, types in _subscribed(ctx) if event_type in types]
    if not endpoints:
        return []
    event_id = new_id("evt")
    body = rules.envelope(event_id, event_type, ctx.clock.now(), ctx.organization_id, data)
    return [_delivery(ctx, eid, event_id, event_type, body) for eid in endpoints]


def _delivery(
    ctx: Ctx, endpoint_id: str, event_id: str, event_type: str, body: str
) -> WebhookDelivery:
    now = ctx.clock.now()
    delivery = WebhookDelivery(
        id=new_id("whd"),
        organization_id=ctx.organization_id,
        endpoint_id=endpoint_id,
        event_id=event_id,
        event_type=event_type,
        body=body,
        status="pending",
        attempt_count=0,
        attempts=[],
        created_at=now,
        updated_at=now,
    )
    job = enqueue(ctx, DELIVER, {"delivery_id": delivery.id})
    delivery.job_id = job.id
    ctx.session.add(delivery)
    return delivery


# --- deliveries ------------------------------------------------------------------------------


def get_delivery(ctx: Ctx, delivery_id: str) -> WebhookDelivery:
    ctx.require(Permission.READ)
    if "\x00" in delivery_id:
        raise NotFound("webhook delivery not found")
    try:
        found: WebhookDelivery = get_scoped(
            ctx.session, WebhookDelivery, ctx.organization_id, delivery_id
        )
    except NotFound:
        raise NotFound(f"webhook delivery '{delivery_id}' not found") from None
    return found


def list_deliveries(
    ctx: Ctx,
    page: PageRequest,
    *,
    endpoint_id: str | None = None,
    status: str | None = None,
    event_type: str | None = None,
) -> Page[WebhookDelivery]:
    ctx.require(Permission.READ)
    if status is not None and status not in ("pending", "delivered", "retrying", "failed"):
        raise InvalidInput.on("status", "one of pending, delivered, retrying, failed")
    stmt = scoped(WebhookDelivery, ctx.organization_id)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == _clean(endpoint_id))
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_type is not None:
        stmt = stmt.where(WebhookDelivery.event_type == _clean(event_type))
    # `q`: part of the event's type or id
    search = (WebhookDelivery.event_type, WebhookDelivery.event_id)
    return paginate(ctx.session, stmt, WebhookDelivery, page, search_columns=search)


def replay(ctx: Ctx, delivery_id: str) -> WebhookDelivery:
    """A new attempt on demand: a fresh job sends the same body again (signed anew)."""
    ctx.require(Permission.MANAGE_SETTINGS)
    delivery = get_delivery(ctx, delivery_id)
    job = enqueue(ctx, DELIVER, {"delivery_id": delivery.id, "replay": True})
    delivery.job_id = job.id
    delivery.status = "pending"
    delivery.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "replay", "webhook_delivery", delivery.id, None, {"job_id": job.id})
    return delivery


def ping(ctx: Ctx, endpoint_id: str) -> WebhookDelivery:
    """A `ping` event sent to this endpoint at once (in the request), logged as a delivery; it
    is not retried."""
    from tarif.webhooks.delivery import attempt

    endpoint = get_endpoint(ctx, endpoint_id)
    event_id = new_id("evt")
    body = rules.envelope(
        event_id, rules.PING, ctx.clock.now(), ctx.organization_id, {"endpoint_id": endpoint.id}
    )
    now = ctx.clock.now()
    delivery = WebhookDelivery(
        id=new_id("whd"),
        organization_id=ctx.organization_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=rules.PING,
        body=body,
        status="pending",
        attempt_count=0,
        attempts=[],
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(delivery)
    attempt(ctx, delivery, endpoint, final=True)
    ctx.session.flush()
    return delivery
