"""REST routes of metrics: `/v1/metrics…`, with a metric's quantities for a customer over a
period (`/aggregate`) and the events behind them (`/events`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.errors import InvalidInput
from tarif.usage import metric_service as service
from tarif.usage.aggregates import EventSelection, LateMode
from tarif.usage.metric_schemas import (
    AggregateGroupRead,
    MetricAggregateRead,
    MetricCreate,
    MetricRead,
    MetricUpdate,
    UsageEventRead,
    update_data,
)

router = APIRouter(tags=["metrics"])

CustomerQuery = Annotated[
    str | None,
    Query(max_length=40, description="The customer's id (absent: the whole organization)"),
]
FromQuery = Annotated[
    date | None,
    Query(alias="from", description="First local day of the period (default: this month's)"),
]
ToQuery = Annotated[
    date | None,
    Query(alias="to", description="Day after the period's last: the period is [from, to)"),
]
LateQuery = Annotated[
    LateMode,
    Query(description="include (default), exclude or only the events that arrived late"),
]
ReceivedAfterQuery = Annotated[
    datetime | None,
    Query(description="With late=only: the late events received after this instant"),
]


def _selection(late: LateMode, received_after: datetime | None) -> EventSelection:
    try:
        return EventSelection(late, received_after)
    except ValueError as exc:
        raise InvalidInput.on("received_after", str(exc)) from None


@router.get("/metrics", response_model=ListResponse[MetricRead])
def list_metrics(
    ctx: CtxDep,
    page: PageDep,
    archived: Annotated[
        bool | None, Query(description="true: archived only; false: active only; absent: all")
    ] = None,
) -> ListResponse[MetricRead]:
    """Metrics in creation order; `q` searches the code and the name."""
    result = service.list_metrics(ctx, page, archived=archived)
    return ListResponse(
        data=[MetricRead.of(m) for m in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post("/metrics", response_model=MetricRead, status_code=status.HTTP_201_CREATED)
def create_metric(body: MetricCreate, ctx: CtxDep) -> MetricRead:
    """A billable quantity: `count`, `sum`, `max`, `unique_count`, `latest` or `weighted_sum`
    of the property `field` over the events of its `code`, kept by `filters`, split by
    `group_by`, reset each period or carried over (`recurring`). The code is unique in the
    organization."""
    metric = service.create_metric(ctx, body.model_dump(exclude_unset=True, mode="json"))
    ctx.session.commit()
    return MetricRead.of(metric)


@router.get("/metrics/{metric_id}", response_model=MetricRead)
def get_metric(metric_id: str, ctx: CtxDep) -> MetricRead:
    return MetricRead.of(service.get_metric(ctx, metric_id))


@router.patch("/metrics/{metric_id}", response_model=MetricRead)
def update_metric(metric_id: str, body: MetricUpdate, ctx: CtxDep) -> MetricRead:
    """Changes the fields given. Once events exist, the code, the field and the kind of value
    the aggregation reads cannot change (409): archive the metric and create another."""
    metric = service.update_metric(ctx, metric_id, update_data(body))
    ctx.session.commit()
    return MetricRead.of(metric)


@router.post("/metrics/{metric_id}/archive", response_model=MetricRead)
def archive_metric(metric_id: str, ctx: CtxDep) -> MetricRead:
    """No new events are accepted for it; its events still count for their periods."""
    metric = service.archive_metric(ctx, metric_id)
    ctx.session.commit()
    return MetricRead.of(metric)


@router.delete(
    "/metrics/{metric_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_metric(metric_id: str, ctx: CtxDep) -> Response:
    """Only a metric that no event names; the others are archived (409)."""
    service.delete_metric(ctx, metric_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/metrics/{metric_id}/aggregate", response_model=MetricAggregateRead)
def aggregate_metric(
    metric_id: str,
    ctx: CtxDep,
    customer_id: CustomerQuery = None,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    late: LateQuery = LateMode.INCLUDE,
    received_after: ReceivedAfterQuery = None,
) -> MetricAggregateRead:
    """The metric's quantity for one customer (or the whole organization) over `[from, to)`,
    local days of the organization (default: the current month), one entry per group: what
    billing would count, computed now."""
    selection = _selection(late, received_after)
    metric = service.get_metric(ctx, metric_id)
    period = service.period_of(ctx, period_from, period_to)
    rows = service.aggregate_metric(
        ctx, metric.id, customer_id, period.start, period.end, selection
    )
    return MetricAggregateRead(
        metric_id=metric.id,
        code=metric.code,
        aggregation=metric.aggregation,
        unit=metric.unit,
        recurring=metric.recurring,
        customer_id=customer_id,
        period_from=period.start,
        period_to=period.end,
        late=late,
        groups=[AggregateGroupRead.of(r) for r in rows],
    )


@router.get("/metrics/{metric_id}/events", response_model=ListResponse[UsageEventRead])
def events_counted(
    metric_id: str,
    ctx: CtxDep,
    customer_id: CustomerQuery = None,
    period_from: FromQuery = None,
    period_to: ToQuery = None,
    late: LateQuery = LateMode.INCLUDE,
    received_after: ReceivedAfterQuery = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    starting_after: Annotated[
        int | None, Query(ge=0, description="Cursor: the last event id of the previous page")
    ] = None,
    contract_id: Annotated[
        str | None,
        Query(max_length=40, description="Only the events this contract counts (its customer's)"),
    ] = None,
) -> ListResponse[UsageEventRead]:
    """The events of `[from, to)` the metric counts for the customer (its filters applied), in
    the order they were stored; with `contract_id`, those that contract counts (a customer with
    several contracts on the metric: the events naming each, and the others for the first)."""
    selection = _selection(late, received_after)
    page = service.events_counted(
        ctx,
        metric_id,
        customer_id,
        period_from,
        period_to,
        starting_after=starting_after,
        limit=limit,
        selection=selection,
        contract_id=contract_id,
    )
    cursor = page.next_cursor
    return ListResponse(
        data=[UsageEventRead.of(e) for e in page.events],
        has_more=page.has_more,
        next_cursor=None if cursor is None else str(cursor),
    )
