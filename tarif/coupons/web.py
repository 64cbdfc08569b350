"""Back-office pages of coupons: `/coupons` (list, new, detail with its redemptions, edit,
archive) and the coupons of a contract (`/contracts/{id}/coupons`), which the contract page
loads into itself with htmx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.context import Ctx
from tarif.contracts.models import Contract
from tarif.coupons import service
from tarif.coupons.models import Coupon
from tarif.coupons.schemas import shown_value
from tarif.coupons.web_text import DURATION_LABELS, FRENCH, KIND_LABELS, REDEMPTION_LABELS
from tarif.db.repository import PageRequest, get_scoped
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
FORM_FIELDS = (
    "code",
    "name",
    "kind",
    "value",
    "currency",
    "duration",
    "duration_months",
    "redeemable_from",
    "redeemable_until",
    "max_redemptions",
)


def _common(**extra: Any) -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "duration_labels": DURATION_LABELS,
        "redemption_labels": REDEMPTION_LABELS,
        "shown_value": shown_value,
        **extra,
    }


@router.get("/coupons")
def coupons_page(
    request: Request, ctx: WebCtx, q: str | None = None, starting_after: str | None = None
) -> Response:
    page = service.list_coupons(
        ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q or None)
    )
    next_url = None
    if page.has_more:
        next_url = f"/coupons?starting_after={page.next_cursor}" + (f"&q={q}" if q else "")
    context = _common(coupons=page.items, q=q or "", next_url=next_url)
    return render(request, "coupons/list.html", context)


def _form(
    request: Request, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(request, "coupons/form.html", _common(values=values, errors=errors), status_code)


@router.get("/coupons/new")
def new_coupon_page(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    return _form(request, {"kind": "percentage", "duration": "once"}, {})


@router.post("/coupons/new")
async def create_coupon(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    values = {k: form.get(k, "") for k in FORM_FIELDS}
    try:
        coupon = service.create_coupon(ctx, values)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return _form(request, values, field_errors(exc), 422)
    return RedirectResponse(f"/coupons/{coupon.id}", status_code=303)


def _detail(
    request: Request, ctx: Ctx, coupon: Coupon, status_code: int = 200, **extra: Any
) -> Response:
    redemptions = service.redemptions_of_coupon(ctx, coupon.id)
    contracts = {
        r.contract_id: get_scoped(ctx.session, Contract, ctx.organization_id, r.contract_id)
        for r in redemptions
    }
    context = _common(
        coupon=coupon,
        redemptions=redemptions,
        contracts=contracts,
        audit_events=events_for_object(ctx, coupon.id),
        **({"values": {}, "errors": {}, "saved": False} | extra),
    )
    return render(request, "coupons/detail.html", context, status_code)


@router.get("/coupons/{coupon_id}")
def coupon_page(
    request: Request, coupon_id: str, ctx: WebCtx, saved: str | None = None
) -> Response:
    return _detail(request, ctx, service.get_coupon(ctx, coupon_id), saved=saved == "1")


@router.post("/coupons/{coupon_id}")
async def update_coupon(request: Request, coupon_id: str, ctx: WebCtx) -> Response:
    coupon = service.get_coupon(ctx, coupon_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    values = {
        k: form.get(k, "")
        for k in ("name", "max_redemptions", "redeemable_from", "redeemable_until")
    }
    try:
        service.update_coupon(ctx, coupon.id, values)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        coupon = service.get_coupon(ctx, coupon_id)
        return _detail(request, ctx, coupon, 422, values=values, errors=field_errors(exc))
    return RedirectResponse(f"/coupons/{coupon.id}?saved=1", status_code=303)


@router.post("/coupons/{coupon_id}/archive")
def archive_coupon(request: Request, coupon_id: str, ctx: WebCtx) -> Response:
    coupon = service.archive_coupon(ctx, coupon_id)
    ctx.session.commit()
    return RedirectResponse(f"/coupons/{coupon.id}", status_code=303)


# --- the coupons of a contract -----------------------------------------------------------------


def _contract_coupons(
    request: Request, ctx: Ctx, contract_id: str, status_code: int = 200, **extra: Any
) -> Response:
    redemptions = service.redemptions_of_contract(ctx, contract_id)
    contract = get_scoped(ctx.session, Contract, ctx.organization_id, contract_id)
    context = _common(
        contract=contract,
        redemptions=redemptions,
        coupons=service.coupons_by_id(ctx, {r.coupon_id for r in redemptions}),
        fragment=bool(request.headers.get("HX-Request")),
        **({"values": {}, "errors": {}} | extra),
    )
    return render(request, "coupons/contract.html", context, status_code)


@router.get("/contracts/{contract_id}/coupons")
def contract_coupons_page(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    """The contract's coupons: a fragment for the contract page (htmx), else a page."""
    if "\x00" in contract_id:
        raise NotFound("contract not found")
    return _contract_coupons(request, ctx, contract_id)


@router.post("/contracts/{contract_id}/coupons")
async def redeem_coupon(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    code = form.get("code", "")
    try:
        service.redeem(ctx, contract_id, code)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        errors = field_errors(exc)
        if "" in errors:  # a conflict names no field: show it under the code
            errors["code"] = errors.pop("")
        return _contract_coupons(
            request, ctx, contract_id, 422, values={"code": code}, errors=errors
        )
    return RedirectResponse(f"/contracts/{contract_id}#coupons", status_code=303)


@router.post("/contracts/{contract_id}/coupons/{redemption_id}/remove")
def remove_coupon(request: Request, contract_id: str, redemption_id: str, ctx: WebCtx) -> Response:
    service.remove_redemption(ctx, contract_id, redemption_id)
    ctx.session.commit()
    return RedirectResponse(f"/contracts/{contract_id}#coupons", status_code=303)


@router.post("/invoices/{invoice_id}/discounts")
async def add_invoice_discount(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    """A percentage or an amount off a whole draft, from the invoice page's draft forms."""
    from tarif.invoicing.web_drafts import invoice_page_with

    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        service.add_invoice_discount(
            ctx,
            invoice_id,
            form.get("kind", ""),
            form.get("value", "").strip(),
            form.get("description", ""),
        )
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return invoice_page_with(
            request,
            ctx,
            invoice_id,
            409 if isinstance(exc, Conflict) else 422,
            discount_values=form,
            discount_errors=field_errors(exc),
            problem=exc.detail if isinstance(exc, Conflict) else None,
        )
    return RedirectResponse(f"/invoices/{invoice_id}#lines", status_code=303)
