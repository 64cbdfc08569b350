"""The current usage of a contract as the API answers it (and the CLI's `--json`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from tarif.billing.periods import Period
from tarif.invoicing.current_usage import ContractUsage, LineUsage


class DaysRead(BaseModel):
    start: date
    end: date  # exclusive


class MetricRead(BaseModel):
    id: str
    code: str
    name: str
    unit: str
    aggregation: str


class GroupRead(BaseModel):
    group: dict[str, str | None]
    quantity: str
    event_count: int


class RatedLineRead(BaseModel):
    kind: str
    description: str
    quantity: str
    unit_price: str
    amount: str


class LineUsageRead(BaseModel):
    line_key: str
    description: str
    product_id: str
    version: int
    period: DaysRead
    full_period: DaysRead
    measured: DaysRead
    complete: bool
    due_on: date
    metric: MetricRead | None
    charge: dict[str, Any] | None
    groups: list[GroupRead]
    event_count: int
    lines: list[RatedLineRead]
    total: str
    problem: str | None


class ContractUsageRead(BaseModel):
    object: str = "contract_usage"
    contract_id: str
    reference: str
    as_of: date
    currency: str
    timezone: str
    lines: list[LineUsageRead]
    total: str


def _days(period: Period) -> DaysRead:
    return DaysRead(start=period.start, end=period.end)


def line_usage_read(line: LineUsage) -> LineUsageRead:
    part, metric = line.current, line.metric
    return LineUsageRead(
        line_key=part.line_key,
        description=line.description,
        product_id=line.product_id,
        version=part.version,
        period=_days(part.period),
        full_period=_days(part.full_period),
        measured=_days(part.measured),
        complete=part.complete,
        due_on=part.due_on,
        metric=None
        if metric is None or line.metric_id is None
        else MetricRead(
            id=line.metric_id,
            code=metric.code,
            name=metric.name or metric.code,
            unit=metric.unit or "unit",
            aggregation=metric.aggregation.value,
        ),
        charge=None if line.charge is None else line.charge.to_json(),
        groups=[
            GroupRead(group=dict(r.groups), quantity=f"{r.quantity:f}", event_count=r.event_count)
            for r in line.groups
        ],
        event_count=line.event_count,
        lines=[
            RatedLineRead(
                kind=r.kind.value,
                description=r.description,
                quantity=f"{r.quantity:f}",
                unit_price=f"{r.unit_price:f}",
                amount=f"{r.net:f}",
            )
            for r in line.lines
        ],
        total=f"{line.total:f}",
        problem=line.problem,
    )


def contract_usage_read(view: ContractUsage) -> ContractUsageRead:
    return ContractUsageRead(
        contract_id=view.contract.id,
        reference=view.contract.reference,
        as_of=view.as_of,
        currency=view.currency,
        timezone=view.timezone,
        lines=[line_usage_read(line) for line in view.lines],
        total=f"{view.total:f}",
    )
