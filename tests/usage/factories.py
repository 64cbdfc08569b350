"""Usage events for tests, inserted straight into `usage_events` as ingestion would store them:
the metric's value already extracted into `value_micros` / `unique_key`, the local day given."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tarif.usage.models import MICROS, UnvaluedEvent, UsageEvent

_numbers = itertools.count(1)


def at(text: str) -> datetime:
    """`at("2026-01-11 12:00")`: a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_event(
    session: Session,
    organization_id: str,
    metric_code: str,
    customer_id: str,
    occurred_at: datetime | str,
    value: Decimal | int | str | None = None,
    *,
    unique_key: str | None = None,
    properties: dict[str, Any] | None = None,
    local_date: date | None = None,
    contract_id: str | None = None,
    late: bool = False,
    received_at: datetime | None = None,
    unvalued: bool = False,
) -> UsageEvent:
    """One stored event; `local_date` defaults to the UTC day of `occurred_at`. `unvalued`:
    queued for its billable items too, as the ingestion of an organization with event
    triggers queues it."""
    instant = at(occurred_at) if isinstance(occurred_at, str) else occurred_at
    micros = None if value is None else int(Decimal(str(value)) * MICROS)
    event = UsageEvent(
        organization_id=organization_id,
        source="",
        transaction_id=f"tx-{next(_numbers)}",
        metric_code=metric_code,
        customer_id=customer_id,
        contract_id=contract_id,
        occurred_at=instant,
        local_date=local_date or instant.date(),
        value_micros=micros,
        unique_key=unique_key,
        properties=properties or {},
        received_at=received_at or instant,
        late=late,
    )
    session.add(event)
    session.flush()
    if unvalued:
        session.add(
            UnvaluedEvent(
                event_id=event.id,
                organization_id=organization_id,
                metric_code=metric_code,
                customer_id=customer_id,
                local_date=event.local_date,
            )
        )
        session.flush()
    return event
