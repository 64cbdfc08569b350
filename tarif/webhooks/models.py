"""Tables of webhooks: `webhook_endpoints` (where to send, which events, the signing secret) and
`webhook_deliveries` (one event to one endpoint, with the log of every attempt).

The secret stays readable by admins (it signs every delivery, so it is kept, not hashed; the
endpoint routes are admin-only). A delivery keeps the exact JSON body it sends: every attempt and
every replay signs those same bytes with a fresh timestamp.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped


class WebhookEndpoint(TenantScoped, Timestamped, Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(TenantScoped, Timestamped, Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    event_type: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, byte for byte what is signed
    status: Mapped[str] = mapped_column(String(12))  # pending | delivered | retrying | failed
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # [{"at", "status_code", "duration_ms", "error", "response"}], oldest first.
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
