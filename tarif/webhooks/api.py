"""REST routes of webhooks: `/v1/webhook-endpoints` (CRUD, test ping; admins only) and
`/v1/webhook-deliveries` (list, show: read access; replay: admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.webhooks import service
from tarif.webhooks.schemas import (
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
)

router = APIRouter(tags=["webhooks"])


@router.get("/webhook-endpoints", response_model=ListResponse[EndpointRead])
def list_endpoints(ctx: CtxDep, page: PageDep) -> ListResponse[EndpointRead]:
    result = service.list_endpoints(ctx, page)
    return ListResponse(
        data=[EndpointRead.of(e) for e in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post("/webhook-endpoints", response_model=EndpointRead, status_code=status.HTTP_201_CREATED)
def create_endpoint(body: EndpointCreate, ctx: CtxDep) -> EndpointRead:
    """An endpoint with a new signing `secret` (readable again by admins on its page)."""
    endpoint = service.create_endpoint(ctx, body.model_dump())
    ctx.session.commit()
    return EndpointRead.of(endpoint)


@router.get("/webhook-endpoints/{endpoint_id}", response_model=EndpointRead)
def get_endpoint(endpoint_id: str, ctx: CtxDep) -> EndpointRead:
    return EndpointRead.of(service.get_endpoint(ctx, endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}", response_model=EndpointRead)
def update_endpoint(endpoint_id: str, body: EndpointUpdate, ctx: CtxDep) -> EndpointRead:
    """Changes the fields given; `rotate_secret: true` draws a new secret."""
    endpoint = service.update_endpoint(ctx, endpoint_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return EndpointRead.of(endpoint)


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_endpoint(endpoint_id: str, ctx: CtxDep) -> Response:
    """Deletes the endpoint and its delivery log."""
    service.delete_endpoint(ctx, endpoint_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/webhook-endpoints/{endpoint_id}/test", response_model=DeliveryRead)
def ping_endpoint(endpoint_id: str, ctx: CtxDep) -> DeliveryRead:
    """Sends a `ping` event now and returns its delivery with the response code."""
    delivery = service.ping(ctx, endpoint_id)
    ctx.session.commit()
    return DeliveryRead.of(delivery)


@router.get("/webhook-deliveries", response_model=ListResponse[DeliveryRead])
def list_deliveries(
    ctx: CtxDep,
    page: PageDep,
    endpoint_id: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    event_type: Annotated[str | None, Query(max_length=80)] = None,
) -> ListResponse[DeliveryRead]:
    result = service.list_deliveries(
        ctx, page, endpoint_id=endpoint_id, status=status, event_type=event_type
    )
    return ListResponse(
        data=[DeliveryRead.of(d) for d in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.get("/webhook-deliveries/{delivery_id}", response_model=DeliveryRead)
def get_delivery(delivery_id: str, ctx: CtxDep) -> DeliveryRead:
    return DeliveryRead.of(service.get_delivery(ctx, delivery_id))


@router.post(
    "/webhook-deliveries/{delivery_id}/replay",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def replay_delivery(delivery_id: str, ctx: CtxDep) -> DeliveryRead:
    """Queues a new attempt of this delivery (the worker sends it; admins only)."""
    delivery = service.replay(ctx, delivery_id)
    ctx.session.commit()
    return DeliveryRead.of(delivery)
