"""What the ingestion tests share: metrics and customers made straight in the database (metric
management has its own tests), committed so the API's own sessions see them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.customers import service as customers
from tarif.db.session import session_factory
from tarif.ids import new_id
from tarif.usage.models import Metric, UsageWatermark

# The metrics every ingestion test uses: (code, aggregation, field).
METRICS = (
    ("api_calls", "count", None),
    ("tokens", "sum", "tokens"),
    ("users", "unique_count", "user_id"),
    ("storage_gb", "max", "gb"),
)


def seed(engine: Engine, clock: FixedClock, organization_id: str, **extra: Any) -> dict[str, str]:
    """Metrics (`METRICS`, plus an archived `old_metric`), customers ACME and GLOBEX; returns
    the customers' ids by external id."""
    with session_factory(engine)() as session:
        ctx = Ctx(session, organization_id, Actor.system("test"), clock)
        now = clock.now()
        for code, aggregation, field in (*METRICS, ("old_metric", "sum", "n")):
            session.add(
                Metric(
                    id=new_id("met"),
                    organization_id=organization_id,
                    code=code,
                    name=code,
                    unit="unit",
                    aggregation=aggregation,
                    field=field,
                    filters=[],
                    group_by=[],
                    recurring=False,
                    archived=code == "old_metric",
                    created_at=now,
                    updated_at=now,
                )
            )
        ids = {}
        for external in ("ACME", "GLOBEX"):
            customer = customers.create_customer(
                ctx, {"legal_name": f"{external} SAS", "country": "FR", "external_id": external}
            )
            ids[external] = customer.id
        session.commit()
    return ids


def add_metric(engine: Engine, clock: FixedClock, organization_id: str, **fields: Any) -> None:
    with session_factory(engine)() as session:
        now = clock.now()
        values: dict[str, Any] = {
            "name": fields.get("code", "m"),
            "unit": "unit",
            "filters": [],
            "group_by": [],
            "recurring": False,
            "archived": False,
        } | fields
        session.add(
            Metric(
                id=new_id("met"),
                organization_id=organization_id,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        session.commit()


def set_watermark(
    engine: Engine, organization_id: str, customer_id: str, metric: str, billed_until: date
) -> None:
    with session_factory(engine)() as session:
        session.add(
            UsageWatermark(
                id=new_id("uwm"),
                organization_id=organization_id,
                customer_id=customer_id,
                metric_code=metric,
                billed_until=billed_until,
            )
        )
        session.commit()


def event(tx: str, **fields: Any) -> dict[str, Any]:
    """A native event of ACME on `tokens` at 2026-01-15 09:00 UTC, unless `fields` say otherwise."""
    return {
        "transaction_id": tx,
        "customer": "ACME",
        "metric": "tokens",
        "timestamp": "2026-01-15T09:00:00Z",
        "properties": {"tokens": "10"},
    } | fields
