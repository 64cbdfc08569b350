"""API shapes of usage events: what is read back, and the published schemas of what is sent.

Ingestion bodies are read as plain JSON and checked by `event_rules` (a Pydantic model per event
would cost more than the rest of the batch); the JSON schemas below document them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tarif.usage.event_rules import MAX_METRIC_CODE, MAX_REFERENCE, MAX_TEXT, micros_to_decimal
from tarif.usage.models import UsageEvent

EVENT_ID_PREFIX = "evt_"


def public_id(event_id: int) -> str:
    return f"{EVENT_ID_PREFIX}{event_id}"


def internal_id(public: str) -> int | None:
    """The row id of `evt_123`, or None when the text names no event."""
    digits = public.removeprefix(EVENT_ID_PREFIX)
    if not public.startswith(EVENT_ID_PREFIX) or not digits.isascii() or not digits.isdigit():
        return None
    value = int(digits)
    return value if 0 < value < 2**63 else None


class EventRead(BaseModel):
    id: str = Field(examples=["evt_1042"])
    object: str = "event"
    status: Literal["accepted", "duplicate"] | None = Field(
        None, description="Only in the answer to POST /v1/events"
    )
    source: str = Field(description='"" for native events; the CloudEvent\'s source otherwise')
    transaction_id: str
    metric: str
    customer_id: str
    contract_id: str | None
    timestamp: datetime
    local_date: date = Field(description="The day of the timestamp in the organization's zone")
    value: str | None = Field(
        None, description="The metric's value as an exact decimal string (null for counts)"
    )
    unique_key: str | None
    properties: dict[str, Any]
    received_at: datetime
    late: bool = Field(description="Its day was already invoiced: billed as an adjustment")

    @classmethod
    def of(cls, event: UsageEvent, status: str | None = None) -> EventRead:
        return cls(
            id=public_id(event.id),
            status=status,  # type: ignore[arg-type]
            source=event.source,
            transaction_id=event.transaction_id,
            metric=event.metric_code,
            customer_id=event.customer_id,
            contract_id=event.contract_id,
            timestamp=event.occurred_at,
            local_date=event.local_date,
            value=None
            if event.value_micros is None
            else str(micros_to_decimal(event.value_micros)),
            unique_key=event.unique_key,
            properties=event.properties or {},
            received_at=event.received_at,
            late=event.late,
        )


class EventResult(BaseModel):
    index: int
    status: Literal["accepted", "duplicate", "rejected"]
    id: str | None = Field(None, description="The new event's id (accepted only)")
    errors: list[dict[str, str]] | None = Field(
        None, description='Rejected only: [{"field": "metric", "detail": "unknown metric …"}]'
    )


class BatchAnswer(BaseModel):
    object: str = "event_batch"
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResult]


_TIMESTAMP = {
    "type": "string",
    "format": "date-time",
    "description": "RFC 3339 instant with its offset",
    "examples": ["2026-01-31T23:30:00Z"],
}
NATIVE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["transaction_id", "metric", "timestamp"],
    "properties": {
        "transaction_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_TEXT,
            "description": "Unique per organization: a repeat is a duplicate, stored once",
        },
        "customer": {
            "type": "string",
            "maxLength": MAX_REFERENCE,
            "description": "The customer's external id (or give `contract`)",
        },
        "contract": {
            "type": "string",
            "maxLength": MAX_REFERENCE,
            "description": "A contract's id or reference",
        },
        "metric": {"type": "string", "minLength": 1, "maxLength": MAX_METRIC_CODE},
        "timestamp": _TIMESTAMP,
        "properties": {"type": "object", "description": "What the metric reads (its field)"},
    },
}
CLOUDEVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["specversion", "id", "source", "type", "time"],
    "description": "CloudEvents 1.0, JSON format: type = metric code, subject = customer "
    "external id (or the tarifcontract extension), data = properties",
    "properties": {
        "specversion": {"type": "string", "enum": ["1.0"]},
        "id": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
        "source": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
        "type": {"type": "string", "minLength": 1, "maxLength": MAX_METRIC_CODE},
        "subject": {"type": "string", "maxLength": MAX_REFERENCE},
        "tarifcontract": {"type": "string", "maxLength": MAX_REFERENCE},
        "time": _TIMESTAMP,
        "datacontenttype": {"type": "string"},
        "data": {"type": "object"},
    },
}
