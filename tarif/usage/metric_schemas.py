"""Request and response shapes of metrics (API bodies and the CLI's `--json`).

Filter values are text: a string for `eq`, a list of strings for `in` / `not_in`, a decimal
string (`"100"`, `"0.5"`) for `gt`, `gte`, `lt`, `lte`. Quantities are decimal strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tarif.api.schemas import StrictModel
from tarif.usage.aggregates import AggregateRow, LateMode
from tarif.usage.metric_rules import Aggregation, FilterOp
from tarif.usage.models import Metric
from tarif.usage.store import EventRecord

CODE_FIELD = Field(
    min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", examples=["api_calls"]
)


class MetricFilter(StrictModel):
    property: str = Field(min_length=1, max_length=100, examples=["region"])
    op: FilterOp
    value: str | list[str] = Field(examples=["eu", ["eu", "us"], "100"])


class MetricCreate(StrictModel):
    code: str = CODE_FIELD
    name: str | None = Field(None, max_length=200, examples=["API calls"])
    unit: str | None = Field(None, max_length=40, examples=["call"])
    aggregation: Aggregation
    field: str | None = Field(None, max_length=100, examples=["amount"])
    filters: list[MetricFilter] = Field(default_factory=list, max_length=20)
    group_by: list[str] = Field(default_factory=list, max_length=5, examples=[["region"]])
    recurring: bool = False
    valuation_smartcode_id: str | None = Field(
        None,
        max_length=60,
        description="A valuation SmartCode (id or code) giving each event's value instead of "
        "`field`; fixed once events exist",
        examples=["billable_minutes"],
    )


class MetricUpdate(StrictModel):
    """Absent fields are kept. Once events exist the code, the field and the kind of value
    read (nothing for count, a key for unique_count, a number otherwise) cannot change (409)."""

    code: str | None = Field(
        None, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
    )
    name: str | None = Field(None, min_length=1, max_length=200)
    unit: str | None = Field(None, min_length=1, max_length=40)
    aggregation: Aggregation | None = None
    field: str | None = Field(None, max_length=100)
    filters: list[MetricFilter] | None = Field(None, max_length=20)
    group_by: list[str] | None = Field(None, max_length=5)
    recurring: bool | None = None
    valuation_smartcode_id: str | None = Field(None, max_length=60)


def update_data(body: MetricUpdate) -> dict[str, Any]:
    """The fields given, as the service reads them (null keeps a field, but clears `field`
    and `valuation_smartcode_id`)."""
    given = body.model_dump(exclude_unset=True, mode="json")
    return {
        k: v for k, v in given.items() if v is not None or k in ("field", "valuation_smartcode_id")
    }


class MetricRead(BaseModel):
    id: str
    object: str = "metric"
    code: str
    name: str
    unit: str
    aggregation: str
    field: str | None
    filters: list[dict[str, Any]]
    group_by: list[str]
    recurring: bool
    valuation_smartcode_id: str | None = None
    archived: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, metric: Metric) -> MetricRead:
        return cls(
            id=metric.id,
            code=metric.code,
            name=metric.name,
            unit=metric.unit,
            aggregation=metric.aggregation,
            field=metric.field,
            filters=list(metric.filters or []),
            group_by=list(metric.group_by or []),
            recurring=metric.recurring,
            valuation_smartcode_id=metric.valuation_smartcode_id,
            archived=metric.archived,
            created_at=metric.created_at,
            updated_at=metric.updated_at,
        )


class AggregateGroupRead(BaseModel):
    groups: dict[str, str | None] = Field(examples=[{"region": "eu"}])
    quantity: str = Field(examples=["123.225806"])
    event_count: int
    first_event_at: datetime | None
    last_event_at: datetime | None

    @classmethod
    def of(cls, row: AggregateRow) -> AggregateGroupRead:
        return cls(
            groups=dict(row.groups),
            quantity=str(row.quantity),
            event_count=row.event_count,
            first_event_at=row.first_event_at,
            last_event_at=row.last_event_at,
        )


class MetricAggregateRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    object: str = "metric_aggregate"
    metric_id: str
    code: str
    aggregation: str
    unit: str
    recurring: bool
    customer_id: str | None = Field(description="absent: the whole organization")
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to", description="exclusive: the period is [from, to)")
    late: LateMode
    groups: list[AggregateGroupRead]


class UsageEventRead(BaseModel):
    id: int
    object: str = "usage_event"
    source: str
    transaction_id: str
    customer_id: str
    contract_id: str | None
    occurred_at: datetime
    local_date: date
    value: str | None
    unique_key: str | None
    properties: dict[str, Any]
    late: bool
    received_at: datetime

    @classmethod
    def of(cls, event: EventRecord) -> UsageEventRead:
        return cls(
            id=event.id,
            source=event.source,
            transaction_id=event.transaction_id,
            customer_id=event.customer_id,
            contract_id=event.contract_id,
            occurred_at=event.occurred_at,
            local_date=event.local_date,
            value=None if event.value is None else str(event.value),
            unique_key=event.unique_key,
            properties=dict(event.properties),
            late=event.late,
            received_at=event.received_at,
        )
