"""Request and response shapes of webhooks (API bodies and the CLI's `--json`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tarif.api.schemas import StrictModel
from tarif.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENT_EXAMPLE = ["invoice.finalized", "credit_note.created"]


class EndpointCreate(StrictModel):
    url: str = Field(max_length=2000, examples=["https://example.com/hooks/tarif"])
    event_types: list[str] = Field(max_length=50, examples=[EVENT_EXAMPLE])
    description: str | None = Field(None, max_length=500)
    enabled: bool = True


class EndpointUpdate(StrictModel):
    url: str | None = Field(None, max_length=2000)
    event_types: list[str] | None = Field(None, max_length=50)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = None
    rotate_secret: bool = False


class EndpointRead(BaseModel):
    id: str
    object: str = "webhook_endpoint"
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    secret: str  # admins only (the routes are); used to verify the signature
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> EndpointRead:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            enabled=endpoint.enabled,
            secret=endpoint.secret,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class AttemptRead(BaseModel):
    at: str
    status_code: int | None
    duration_ms: int
    error: str | None
    response: str


class DeliveryRead(BaseModel):
    id: str
    object: str = "webhook_delivery"
    endpoint_id: str
    event_id: str
    event_type: str
    payload: dict[str, Any]
    status: str
    attempt_count: int
    last_status_code: int | None
    attempts: list[AttemptRead]
    job_id: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryRead:
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            payload=json.loads(delivery.body),
            status=delivery.status,
            attempt_count=delivery.attempt_count,
            last_status_code=delivery.last_status_code,
            attempts=[AttemptRead(**a) for a in delivery.attempts],
            job_id=delivery.job_id,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
            delivered_at=delivery.delivered_at,
        )
