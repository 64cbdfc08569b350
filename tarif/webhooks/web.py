"""Back-office pages of webhooks: `/webhooks` (endpoints, admins), an endpoint's page (edit,
secret, test ping, its deliveries), `/webhooks/deliveries` and a delivery's page (attempt log,
replay)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render
from tarif.webhooks import service
from tarif.webhooks.rules import EVENT_TYPES
from tarif.webhooks.web_text import FRENCH, STATUS_BADGES

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _common(**extra: Any) -> dict[str, Any]:
    return {"event_types": EVENT_TYPES, "badges": STATUS_BADGES, **extra}


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {
        "url": str(form.get("url") or ""),
        "description": str(form.get("description") or ""),
        "event_types": [str(v) for v in form.getlist("event_types")],
        "enabled": form.get("enabled") == "on",
        "rotate_secret": form.get("rotate_secret") == "on",
    }


@router.get("/webhooks")
def endpoints_page(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.MANAGE_SETTINGS)
    page = service.list_endpoints(ctx, PageRequest(limit=100))
    values = {"url": "", "description": "", "event_types": [], "enabled": True}
    return render(
        request, "webhooks/endpoints.html", _common(endpoints=page.items, values=values, errors={})
    )


@router.post("/webhooks")
async def create_endpoint(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.MANAGE_SETTINGS)
    values = await _form(request)
    values.pop("rotate_secret")
    try:
        endpoint = service.create_endpoint(ctx, values)
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        page = service.list_endpoints(ctx, PageRequest(limit=100))
        context = _common(endpoints=page.items, values=values, errors=field_errors(exc))
        return render(request, "webhooks/endpoints.html", context, 422)
    return RedirectResponse(f"/webhooks/{endpoint.id}", status_code=303)


@router.get("/webhooks/deliveries")
def deliveries_page(
    request: Request,
    ctx: WebCtx,
    status: str | None = None,
    starting_after: str | None = None,
) -> Response:
    status = status if status in STATUS_BADGES else None
    page = service.list_deliveries(
        ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after), status=status
    )
    next_url = None
    if page.has_more:
        next_url = f"/webhooks/deliveries?starting_after={page.next_cursor}" + (
            f"&status={status}" if status else ""
        )
    context = _common(deliveries=page.items, status=status or "", next_url=next_url)
    return render(request, "webhooks/deliveries.html", context)


@router.get("/webhooks/deliveries/{delivery_id}")
def delivery_page(request: Request, ctx: WebCtx, delivery_id: str) -> Response:
    delivery = service.get_delivery(ctx, delivery_id)
    body = json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    context = _common(delivery=delivery, body=body)
    return render(request, "webhooks/delivery.html", context)


@router.post("/webhooks/deliveries/{delivery_id}/replay")
def replay_delivery(request: Request, ctx: WebCtx, delivery_id: str) -> Response:
    delivery = service.replay(ctx, delivery_id)
    ctx.session.commit()
    return RedirectResponse(f"/webhooks/deliveries/{delivery.id}?replayed=1", status_code=303)


def _endpoint_page(
    request: Request, ctx: WebCtx, endpoint_id: str, values: Any, errors: dict[str, str], code: int
) -> Response:
    endpoint = service.get_endpoint(ctx, endpoint_id)
    deliveries = service.list_deliveries(ctx, PageRequest(limit=PAGE_SIZE), endpoint_id=endpoint.id)
    context = _common(
        endpoint=endpoint, deliveries=deliveries.items, values=values or endpoint, errors=errors
    )
    return render(request, "webhooks/endpoint.html", context, code)


@router.get("/webhooks/{endpoint_id}")
def endpoint_page(request: Request, ctx: WebCtx, endpoint_id: str) -> Response:
    return _endpoint_page(request, ctx, endpoint_id, None, {}, 200)


@router.post("/webhooks/{endpoint_id}")
async def update_endpoint(request: Request, ctx: WebCtx, endpoint_id: str) -> Response:
    values = await _form(request)
    try:
        service.update_endpoint(ctx, endpoint_id, values)
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        return _endpoint_page(request, ctx, endpoint_id, values, field_errors(exc), 422)
    return RedirectResponse(f"/webhooks/{endpoint_id}", status_code=303)


@router.post("/webhooks/{endpoint_id}/delete")
def delete_endpoint(request: Request, ctx: WebCtx, endpoint_id: str) -> Response:
    service.delete_endpoint(ctx, endpoint_id)
    ctx.session.commit()
    return RedirectResponse("/webhooks", status_code=303)


@router.post("/webhooks/{endpoint_id}/ping")
def ping_endpoint(request: Request, ctx: WebCtx, endpoint_id: str) -> Response:
    delivery = service.ping(ctx, endpoint_id)
    ctx.session.commit()
    return RedirectResponse(f"/webhooks/deliveries/{delivery.id}", status_code=303)
