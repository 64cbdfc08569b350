"""Demo metrics: turnover (EUR), API calls, storage (GB, time-weighted, carried over) and
active users. Idempotent by code."""

from __future__ import annotations

from typing import Any

from tarif.context import Ctx
from tarif.usage import metric_service as service

DEMO_METRICS: list[dict[str, Any]] = [
    {
        "code": "turnover",
        "name": "Turnover",
        "unit": "EUR",
        "aggregation": "sum",
        "field": "amount",
    },
    {"code": "api_calls", "name": "API calls", "unit": "call", "aggregation": "count"},
    {
        "code": "storage_gb",
        "name": "Storage",
        "unit": "GB",
        "aggregation": "weighted_sum",
        "field": "gb",
        "recurring": True,
        "group_by": ["region"],
    },
    {
        "code": "active_users",
        "name": "Active users",
        "unit": "user",
        "aggregation": "unique_count",
        "field": "user_id",
    },
]


def load_demo_metrics(ctx: Ctx) -> None:
    for data in DEMO_METRICS:
        if service.find_by_code(ctx, str(data["code"])) is None:
            service.create_metric(ctx, data)
