"""REST routes of usage events: `POST /v1/events`, `POST /v1/events/batch`, list and read.

Bodies are read as raw JSON (numbers exact) and checked in plain Python by `event_rules`, for
speed; the OpenAPI document still publishes their schemas. Native JSON and CloudEvents 1.0
(structured and batch modes) are told apart by the Content-Type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.context import Ctx
from tarif.errors import FieldError, InvalidInput, TarifError
from tarif.usage import cloudevents, event_reads
from tarif.usage.event_rules import Candidate, Rejection, Status, parse_event
from tarif.usage.event_schemas import (
    CLOUDEVENT_SCHEMA,
    NATIVE_EVENT_SCHEMA,
    BatchAnswer,
    EventRead,
    public_id,
)
from tarif.usage.ingest import MAX_BATCH_EVENTS, BatchResult, dumps, ingest, loads

router = APIRouter(tags=["events"])

MAX_EVENT_BODY = 64 * 1024
MAX_BATCH_BODY = 16 * 1024 * 1024


class PayloadTooLarge(TarifError):
    status = 413
    type_slug = "payload-too-large"
    title = "Payload too large"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "application/json").split(";")[0].strip().lower()


async def _body(request: Request, limit: int) -> Any:
    """The JSON body, refused with a 413 past `limit` bytes without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    try:
        return loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise InvalidInput.on("body", "is not valid JSON") from None


def _field(name: str, cloud: bool) -> str:
    return cloudevents.cloudevent_field(name) if cloud else name


def _batch_answer(result: BatchResult, cloud: bool) -> dict[str, Any]:
    results = []
    for o in result.outcomes:
        item: dict[str, Any] = {"index": o.index, "status": o.status.value}
        if o.event_id is not None:
            item["id"] = public_id(o.event_id)
        if o.status is Status.REJECTED:
            item["errors"] = [{"field": _field(o.field or "", cloud), "detail": o.detail or ""}]
        results.append(item)
    return {
        "object": "event_batch",
        "accepted": result.count(Status.ACCEPTED),
        "duplicates": result.count(Status.DUPLICATE),
        "rejected": result.count(Status.REJECTED),
        "results": results,
    }


def _ingest_and_commit(ctx: Ctx, parsed: list[Candidate | Rejection]) -> BatchResult:
    result = ingest(ctx, parsed)
    ctx.session.commit()
    return result


_ONE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": NATIVE_EVENT_SCHEMA},
            cloudevents.STRUCTURED: {"schema": CLOUDEVENT_SCHEMA},
        },
    }
}
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["events"],
                    "properties": {
                        "events": {
                            "type": "array",
                            "maxItems": MAX_BATCH_EVENTS,
                            "items": NATIVE_EVENT_SCHEMA,
                        }
                    },
                }
            },
            cloudevents.BATCH: {
                "schema": {
                    "type": "array",
                    "maxItems": MAX_BATCH_EVENTS,
                    "items": CLOUDEVENT_SCHEMA,
                }
            },
        },
    }
}
_TOO_LARGE = {
    413: {
        "description": "Too many events or too large a body or properties",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


@router.post(
    "/events",
    response_model=EventRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_ONE_BODY,
    responses={200: {"model": EventRead, "description": "A duplicate: the event stored first"}}
    | _TOO_LARGE,
)
async def send_event(request: Request, ctx: CtxDep) -> Any:
    """One usage event (native JSON, or a CloudEvent with `Content-Type:
    application/cloudevents+json`). 201 with the stored event; 200 with the event stored first
    when its `transaction_id` (CloudEvents: `source` + `id`) was already received; 422 naming the
    field when refused; 413 when its properties are too large."""
    cloud = _media_type(request) == cloudevents.STRUCTURED
    body = await _body(request, MAX_EVENT_BODY)
    parsed = cloudevents.parse_cloudevent(0, body, dumps) if cloud else parse_event(0, body, dumps)
    result = await run_in_threadpool(_ingest_and_commit, ctx, [parsed])
    outcome = result.outcomes[0]
    if outcome.status is Status.REJECTED:
        field = _field(outcome.field or "body", cloud) or "body"
        detail = outcome.detail or "refused"
        if outcome.too_large:
            raise PayloadTooLarge(f"{field}: {detail}", [FieldError(field, detail)])
        raise InvalidInput(f"Invalid event: {field}: {detail}", [FieldError(field, detail)])
    event = await run_in_threadpool(
        event_reads.get_by_key, ctx, parsed.source or "", parsed.transaction_id or ""
    )
    if outcome.status is Status.DUPLICATE:
        return JSONResponse(EventRead.of(event, "duplicate").model_dump(mode="json"), 200)
    return EventRead.of(event, "accepted")


@router.post(
    "/events/batch",
    response_model=BatchAnswer,
    openapi_extra=_BATCH_BODY,
    responses=_TOO_LARGE,
)
async def send_events(request: Request, ctx: CtxDep) -> Any:
    """Up to 10,000 events: `{"events": [...]}`, or a JSON array of CloudEvents with
    `Content-Type: application/cloudevents-batch+json`. Answers each event by its index:
    `accepted` (with its id), `duplicate`, or `rejected` with the field and the reason. The good
    events are stored even when others are refused. 413 past 10,000 events or 16 MiB."""
    cloud = _media_type(request) == cloudevents.BATCH
    body = await _body(request, MAX_BATCH_BODY)
    if cloud:
        if not isinstance(body, list):
            raise InvalidInput.on("body", "must be a JSON array of CloudEvents")
        events = body
    else:
        if not isinstance(body, dict) or not isinstance(body.get("events"), list):
            raise InvalidInput.on("events", "is required: a list of events")
        extra = sorted(set(body) - {"events"})
        if extra:
            raise InvalidInput.on(extra[0], "unknown field")
        events = body["events"]
    if len(events) > MAX_BATCH_EVENTS:
        raise PayloadTooLarge(f"at most {MAX_BATCH_EVENTS} events a batch, got {len(events)}")
    parse = cloudevents.parse_cloudevent if cloud else parse_event
    parsed = [parse(i, e, dumps) for i, e in enumerate(events)]
    result = await run_in_threadpool(_ingest_and_commit, ctx, parsed)
    # orjson: the answer of a batch of 10,000 events is a megabyte of JSON, made several
    # times faster than by the standard encoder (the same text: strings and integers only).
    return Response(orjson.dumps(_batch_answer(result, cloud)), media_type="application/json")


@router.get("/events", response_model=ListResponse[EventRead])
def list_events(
    ctx: CtxDep,
    page: PageDep,
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    contract_id: Annotated[
        str | None, Query(max_length=40, description="Events naming this contract")
    ] = None,
    metric: Annotated[str | None, Query(max_length=60, description="A metric's code")] = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="Timestamp at or after (RFC 3339)")
    ] = None,
    until: Annotated[
        datetime | None, Query(alias="to", description="Timestamp before (RFC 3339)")
    ] = None,
    late: Annotated[bool | None, Query(description="true: late events only")] = None,
) -> ListResponse[EventRead]:
    """Stored events in arrival order; `q` searches transaction ids."""
    filters = event_reads.EventFilters(
        customer_id, metric, _utc(since), _utc(until), late, contract_id=contract_id
    )
    result = event_reads.list_events(ctx, page, filters)
    return ListResponse(
        data=[EventRead.of(e) for e in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.get("/events/{event_id}", response_model=EventRead)
def get_event(event_id: str, ctx: CtxDep) -> EventRead:
    return EventRead.of(event_reads.get_event(ctx, event_id))


def _utc(instant: datetime | None) -> datetime | None:
    if instant is not None and instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant
