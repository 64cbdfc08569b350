"""Back-office pages of the catalog: products, pricelists and their entries."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.catalog import service
from tarif.catalog.fields import PRICELIST_FIELDS, PRODUCT_FIELDS
from tarif.catalog.models import Pricelist, Product
from tarif.catalog.schemas import PriceQuoteRead
from tarif.catalog.web_text import FRENCH, KIND_LABELS, Labels
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register, translate
from tarif.web.templating import add_template_dir, locale_of, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
ENTRY_FORM_FIELDS = ("product_id", "unit_price", "periodicity", "timing", "charge")


def _errors(request: Request, exc: InvalidInput | Conflict) -> dict[str, str]:
    locale = locale_of(request)
    return {name: translate(locale, message) for name, message in field_errors(exc).items()}


def _values(form: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """The form's fields as service values: a blank box is "no value"."""
    return {name: (form[name].strip() or None) for name in names if name in form}


def _page_urls(
    base: str, query: dict[str, str | None], next_cursor: str | None
) -> tuple[str, str | None]:
    kept = {k: v for k, v in query.items() if v}
    first = base + (f"?{urlencode(kept)}" if kept else "")
    if next_cursor is None:
        return first, None
    return first, f"{base}?{urlencode(kept | {'starting_after': next_cursor})}"


def _labels(request: Request) -> Labels:
    return Labels(locale_of(request))


# --- products ----------------------------------------------------------------------------------


@router.get("/products")
def products_page(
    request: Request,
    ctx: WebCtx,
    q: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    starting_after: str | None = None,
) -> Response:
    kind = kind if kind in KIND_LABELS else None
    active = {"active": True, "archived": False}.get(status or "")
    request_page = PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q)
    page = service.list_products(ctx, request_page, kind=kind, active=active)
    first_url, next_url = _page_urls(
        "/products", {"q": q, "kind": kind, "status": status}, page.next_cursor
    )
    return render(
        request,
        "catalog/products.html",
        {
            "page": page,
            "q": q or "",
            "kind": kind or "",
            "status": status or "",
            "first_url": first_url,
            "next_url": next_url,
            "is_first_page": not starting_after,
            "labels": _labels(request),
        },
    )


def _product_form(
    request: Request,
    product: Product | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "catalog/product_form.html",
        {"product": product, "values": values, "errors": errors, "labels": _labels(request)},
        status_code,
    )


@router.get("/products/new")
def new_product_page(request: Request, ctx: WebCtx) -> Response:
    return _product_form(request, None, {"kind": "recurring", "vat_category": "standard"}, {})


@router.post("/products/new")
async def create_product(request: Request, ctx: WebCtx) -> Response:
    form = await form_data(request)
    try:
        product = service.create_product(ctx, _values(form, PRODUCT_FIELDS))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return _product_form(request, None, form, _errors(request, exc), 422)
    return RedirectResponse(f"/products/{product.id}?saved=1", status_code=303)


def _product_detail(
    request: Request,
    ctx: Ctx,
    product: Product,
    status_code: int = 200,
    problem: str | None = None,
    lookup: dict[str, Any] | None = None,
) -> Response:
    return render(
        request,
        "catalog/product.html",
        {
            "product": product,
            "prices": service.entries_of_product(ctx, product.id),
            "audit_events": events_for_object(ctx, product.id),
            "saved": request.query_params.get("saved") == "1",
            "problem": problem,
            "labels": _labels(request),
            "lookup": lookup or {"customer": "", "date": "", "quote": None, "problem": None},
        },
        status_code,
    )


def _price_lookup(ctx: Ctx, product: Product, customer: str, day: str) -> dict[str, Any]:
    """The product page's price lookup (as `GET /v1/prices/lookup`): what a customer pays for
    the product on a day, from which pricelist and why; what stops it, said in the box."""
    box: dict[str, Any] = {"customer": customer, "date": day, "quote": None, "problem": None}
    try:
        on = date.fromisoformat(day)
    except ValueError:
        box["problem"] = "bad_date"
        return box
    try:
        found = customers.resolve_customer(ctx, customer)
        quote = service.resolve_price(ctx, found.id, product.id, on)
    except (NotFound, Conflict) as exc:
        box["problem"] = exc.detail
        return box
    box["quote"] = PriceQuoteRead.of(found.id, product.id, on, quote)
    box["customer_name"] = found.legal_name
    return box


@router.get("/products/{product_id}")
def product_page(
    request: Request,
    product_id: str,
    ctx: WebCtx,
    customer: str | None = None,
    on: Annotated[str | None, Query(alias="date")] = None,
) -> Response:
    product = service.get_product(ctx, product_id)
    lookup = None
    if customer and customer.strip():
        lookup = _price_lookup(ctx, product, customer.strip(), (on or "").strip())
    return _product_detail(request, ctx, product, lookup=lookup)


@router.get("/products/{product_id}/edit")
def edit_product_page(request: Request, product_id: str, ctx: WebCtx) -> Response:
    product = service.get_product(ctx, product_id)
    values = {name: getattr(product, name) for name in PRODUCT_FIELDS}
    return _product_form(request, product, values, {})


@router.post("/products/{product_id}/edit")
async def edit_product(request: Request, product_id: str, ctx: WebCtx) -> Response:
    product = service.get_product(ctx, product_id)
    form = await form_data(request)
    try:
        # The archive button, not this form, changes `active`.
        fields = tuple(name for name in PRODUCT_FIELDS if name != "active")
        service.update_product(ctx, product.id, _values(form, fields))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        product = service.get_product(ctx, product_id)
        return _product_form(request, product, form, _errors(request, exc), 422)
    return RedirectResponse(f"/products/{product.id}?saved=1", status_code=303)


@router.post("/products/{product_id}/archive")
def archive_product(request: Request, product_id: str, ctx: WebCtx) -> Response:
    service.archive_product(ctx, product_id)
    ctx.session.commit()
    return RedirectResponse(f"/products/{product_id}", status_code=303)


@router.post("/products/{product_id}/unarchive")
def unarchive_product(request: Request, product_id: str, ctx: WebCtx) -> Response:
    service.unarchive_product(ctx, product_id)
    ctx.session.commit()
    return RedirectResponse(f"/products/{product_id}", status_code=303)


@router.post("/products/{product_id}/delete")
def delete_product(request: Request, product_id: str, ctx: WebCtx) -> Response:
    try:
        service.delete_product(ctx, product_id)
        ctx.session.commit()
    except Conflict as exc:
        ctx.session.rollback()
        product = service.get_product(ctx, product_id)
        return _product_detail(request, ctx, product, 409, problem=exc.detail)
    return RedirectResponse("/products", status_code=303)


# --- pricelists --------------------------------------------------------------------------------


@router.get("/pricelists")
def pricelists_page(
    request: Request,
    ctx: WebCtx,
    q: str | None = None,
    starting_after: str | None = None,
) -> Response:
    page = service.list_pricelists(
        ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q)
    )
    first_url, next_url = _page_urls("/pricelists", {"q": q}, page.next_cursor)
    return render(
        request,
        "catalog/pricelists.html",
        {
            "page": page,
            "q": q or "",
            "first_url": first_url,
            "next_url": next_url,
            "is_first_page": not starting_after,
        },
    )


def _pricelist_values(form: dict[str, str]) -> dict[str, Any]:
    values = _values(form, tuple(name for name in PRICELIST_FIELDS if name != "is_default"))
    values["is_default"] = form.get("is_default") == "on"  # an unticked box is not sent
    return values


def _pricelist_form(
    request: Request,
    pricelist: Pricelist | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "catalog/pricelist_form.html",
        {"pricelist": pricelist, "values": values, "errors": errors},
        status_code,
    )


@router.get("/pricelists/new")
def new_pricelist_page(request: Request, ctx: WebCtx) -> Response:
    org_currency = request.state.organization.default_currency
    return _pricelist_form(request, None, {"currency": org_currency}, {})


@router.post("/pricelists/new")
async def create_pricelist(request: Request, ctx: WebCtx) -> Response:
    form = await form_data(request)
    try:
        pricelist = service.create_pricelist(ctx, _pricelist_values(form))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return _pricelist_form(request, None, form, _errors(request, exc), 422)
    return RedirectResponse(f"/pricelists/{pricelist.id}?saved=1", status_code=303)


def _pricelist_detail(
    request: Request,
    ctx: Ctx,
    pricelist: Pricelist,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    labels = _labels(request)
    archived = translate(labels.locale, "Archived")
    context = {
        "pricelist": pricelist,
        "entries": service.list_all_entries(ctx, pricelist.id),
        "unpriced": [
            (p.id, f"{p.code} · {labels.name(p)}" + ("" if p.active else f" ({archived})"))
            for p in service.unpriced_products(ctx, pricelist.id)
        ],
        "audit_events": events_for_object(ctx, pricelist.id),
        "entry_events": service.entry_events(ctx, pricelist.id),
        "saved": request.query_params.get("saved") == "1",
        "entry_values": {},
        "entry_errors": {},
        "problem": None,
        "labels": labels,
        **extra,
    }
    return render(request, "catalog/pricelist.html", context, status_code)


@router.get("/pricelists/{pricelist_id}")
def pricelist_page(request: Request, pricelist_id: str, ctx: WebCtx) -> Response:
    return _pricelist_detail(request, ctx, service.get_pricelist(ctx, pricelist_id))


@router.get("/pricelists/{pricelist_id}/edit")
def edit_pricelist_page(request: Request, pricelist_id: str, ctx: WebCtx) -> Response:
    pricelist = service.get_pricelist(ctx, pricelist_id)
    values = {name: getattr(pricelist, name) for name in PRICELIST_FIELDS}
    return _pricelist_form(request, pricelist, values, {})


@router.post("/pricelists/{pricelist_id}/edit")
async def edit_pricelist(request: Request, pricelist_id: str, ctx: WebCtx) -> Response:
    pricelist = service.get_pricelist(ctx, pricelist_id)
    form = await form_data(request)
    try:
        service.update_pricelist(ctx, pricelist.id, _pricelist_values(form))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        pricelist = service.get_pricelist(ctx, pricelist_id)
        values = form | {"is_default": form.get("is_default") == "on"}
        return _pricelist_form(request, pricelist, values, _errors(request, exc), 422)
    return RedirectResponse(f"/pricelists/{pricelist.id}?saved=1", status_code=303)


@router.post("/pricelists/{pricelist_id}/delete")
def delete_pricelist(request: Request, pricelist_id: str, ctx: WebCtx) -> Response:
    try:
        service.delete_pricelist(ctx, pricelist_id)
        ctx.session.commit()
    except Conflict as exc:
        ctx.session.rollback()
        pricelist = service.get_pricelist(ctx, pricelist_id)
        return _pricelist_detail(request, ctx, pricelist, 409, problem=exc.detail)
    return RedirectResponse("/pricelists", status_code=303)


@router.post("/pricelists/{pricelist_id}/entries")
async def add_entry(request: Request, pricelist_id: str, ctx: WebCtx) -> Response:
    pricelist = service.get_pricelist(ctx, pricelist_id)
    form = await form_data(request)
    try:
        service.add_entry(ctx, pricelist.id, _values(form, ENTRY_FORM_FIELDS))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        pricelist = service.get_pricelist(ctx, pricelist_id)
        errors = _errors(request, exc)
        return _pricelist_detail(
            request, ctx, pricelist, 422, entry_values=form, entry_errors=errors
        )
    return RedirectResponse(f"/pricelists/{pricelist.id}#entries", status_code=303)


def _entry_form(
    request: Request,
    ctx: Ctx,
    pricelist_id: str,
    entry_id: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    entry = service.get_entry(ctx, pricelist_id, entry_id)
    defaults = {
        "unit_price": entry.unit_price,
        "periodicity": entry.periodicity_name,
        "timing": entry.timing,
        "charge": json.dumps(entry.charge, indent=2, ensure_ascii=False) if entry.charge else "",
    }
    return render(
        request,
        "catalog/entry_form.html",
        {
            "entry": entry,
            "values": values if values is not None else defaults,
            "errors": errors or {},
            "labels": _labels(request),
        },
        status_code,
    )


@router.get("/pricelists/{pricelist_id}/entries/{entry_id}/edit")
def edit_entry_page(request: Request, pricelist_id: str, entry_id: str, ctx: WebCtx) -> Response:
    return _entry_form(request, ctx, pricelist_id, entry_id)


@router.post("/pricelists/{pricelist_id}/entries/{entry_id}/edit")
async def edit_entry(request: Request, pricelist_id: str, entry_id: str, ctx: WebCtx) -> Response:
    form = await form_data(request)
    # Every box of the form is sent: an emptied box clears the value.
    changes = {name: form.get(name, "").strip() or None for name in ENTRY_FORM_FIELDS[1:]}
    try:
        service.update_entry(ctx, pricelist_id, entry_id, changes)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        errors = _errors(request, exc)
        return _entry_form(request, ctx, pricelist_id, entry_id, form, errors, 422)
    return RedirectResponse(f"/pricelists/{pricelist_id}#entries", status_code=303)


@router.post("/pricelists/{pricelist_id}/entries/{entry_id}/delete")
def remove_entry(request: Request, pricelist_id: str, entry_id: str, ctx: WebCtx) -> Response:
    service.remove_entry(ctx, pricelist_id, entry_id)
    ctx.session.commit()
    return RedirectResponse(f"/pricelists/{pricelist_id}#entries", status_code=303)
