"""Back-office pages of usage events: `/events` (filtered list) and `/events/{id}` (one event)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from sqlalchemy import or_, select
from starlette.responses import Response

from tarif.contracts.models import Contract
from tarif.customers.models import Customer
from tarif.db.repository import PageRequest
from tarif.usage import event_reads
from tarif.usage.event_rules import micros_to_decimal
from tarif.usage.event_schemas import public_id
from tarif.usage.event_web_text import FRENCH
from tarif.web.auth import WebCtx
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _value(micros: int | None) -> str:
    return "" if micros is None else str(micros_to_decimal(micros))


@router.get("/events")
def events_page(
    request: Request,
    ctx: WebCtx,
    customer: str | None = None,
    contract: str | None = None,
    metric: str | None = None,
    first_day: str | None = None,
    last_day: str | None = None,
    late: str | None = None,
    starting_after: str | None = None,
) -> Response:
    filters = {
        "customer": (customer or "").strip(),
        "contract": (contract or "").strip(),
        "metric": (metric or "").strip(),
        "first_day": first_day or "",
        "last_day": last_day or "",
        "late": late == "1",
    }
    customer_id = None
    unknown_customer = False
    if filters["customer"]:
        customer_id = ctx.session.scalar(
            select(Customer.id).where(
                Customer.organization_id == ctx.organization_id,
                Customer.external_id == filters["customer"],
            )
        )
        unknown_customer = customer_id is None
    contract_id = None
    unknown_contract = False
    if filters["contract"]:
        # An id (the links of invoice lines) or a reference (typed in the filter).
        contract_id = ctx.session.scalar(
            select(Contract.id).where(
                Contract.organization_id == ctx.organization_id,
                or_(Contract.id == filters["contract"], Contract.reference == filters["contract"]),
            )
        )
        unknown_contract = contract_id is None
    events: list[object] = []
    next_url = None
    if not unknown_customer and not unknown_contract:
        page = event_reads.list_events(
            ctx,
            PageRequest(limit=PAGE_SIZE, starting_after=_cursor(starting_after)),
            event_reads.EventFilters(
                customer_id=customer_id,
                contract_id=contract_id,
                metric=filters["metric"] or None,
                first_day=_day(first_day),
                last_day=_day(last_day),
                late=True if filters["late"] else None,
            ),
        )
        events = list(page.items)
        if page.has_more and page.next_cursor:
            query = request.query_params.multi_items()
            kept = [(k, v) for k, v in query if k != "starting_after"]
            kept.append(("starting_after", page.next_cursor))
            next_url = "/events?" + "&".join(f"{k}={v}" for k, v in kept)
    names = _customer_names(ctx, {e.customer_id for e in events})  # type: ignore[attr-defined]
    return render(
        request,
        "events/list.html",
        {
            "events": events,
            "filters": filters,
            "names": names,
            "unknown_customer": unknown_customer,
            "unknown_contract": unknown_contract,
            "next_url": next_url,
            "public_id": public_id,
            "shown_value": _value,
        },
    )


def _cursor(text: str | None) -> str | None:
    return text if text and text.startswith("evt_") and text[4:].isdigit() else None


def _customer_names(ctx: WebCtx, ids: set[str]) -> dict[str, tuple[str, str]]:
    if not ids:
        return {}
    rows = ctx.session.execute(
        select(Customer.id, Customer.external_id, Customer.legal_name).where(
            Customer.organization_id == ctx.organization_id, Customer.id.in_(ids)
        )
    )
    return {cid: (external, name) for cid, external, name in rows}


@router.get("/events/{event_id}")
def event_page(request: Request, ctx: WebCtx, event_id: str) -> Response:
    event = event_reads.get_event(ctx, event_id)
    names = _customer_names(ctx, {event.customer_id})
    return render(
        request,
        "events/detail.html",
        {
            "e": event,
            "names": names,
            "public_id": public_id,
            "shown_value": _value,
            "properties": json.dumps(event.properties or {}, indent=2, ensure_ascii=False),
        },
    )
