"""REST routes of the catalog: products, pricelists, their entries and the price lookup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Response, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.catalog import service
from tarif.catalog.rules import ProductKind
from tarif.catalog.schemas import (
    EntryCreate,
    EntryRead,
    EntryUpdate,
    PricelistCreate,
    PricelistDetail,
    PricelistRead,
    PricelistUpdate,
    PriceQuoteRead,
    ProductCreate,
    ProductRead,
    ProductUpdate,
)
from tarif.db.repository import Page

router = APIRouter(tags=["catalog"])

IdParam = Annotated[str, Query(min_length=1, max_length=40)]
T = TypeVar("T")


def _listing(page: Page[Any], read: Callable[[Any], T]) -> ListResponse[T]:
    return ListResponse(
        data=[read(item) for item in page.items],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


# --- products ----------------------------------------------------------------------------------


@router.get("/products", response_model=ListResponse[ProductRead])
def list_products(
    ctx: CtxDep,
    page: PageDep,
    kind: ProductKind | None = None,
    active: bool | None = None,
) -> ListResponse[ProductRead]:
    """Products in id (creation) order; `q` searches code and names."""
    result = service.list_products(ctx, page, kind=kind.value if kind else None, active=active)
    return _listing(result, ProductRead.model_validate)


@router.post("/products", response_model=ProductRead, status_code=status.HTTP_201_CREATED)
def create_product(body: ProductCreate, ctx: CtxDep) -> ProductRead:
    product = service.create_product(ctx, body.model_dump())
    ctx.session.commit()
    return ProductRead.model_validate(product)


@router.get("/products/{product_id}", response_model=ProductRead)
def read_product(product_id: str, ctx: CtxDep) -> ProductRead:
    return ProductRead.model_validate(service.get_product(ctx, product_id))


@router.patch("/products/{product_id}", response_model=ProductRead)
def update_product(product_id: str, body: ProductUpdate, ctx: CtxDep) -> ProductRead:
    product = service.update_product(ctx, product_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return ProductRead.model_validate(product)


@router.delete("/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_product(product_id: str, ctx: CtxDep) -> Response:
    """Refused with 409 while anything refers to the product: archive it instead."""
    service.delete_product(ctx, product_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/products/{product_id}/archive", response_model=ProductRead)
def archive_product(product_id: str, ctx: CtxDep) -> ProductRead:
    product = service.archive_product(ctx, product_id)
    ctx.session.commit()
    return ProductRead.model_validate(product)


@router.post("/products/{product_id}/unarchive", response_model=ProductRead)
def unarchive_product(product_id: str, ctx: CtxDep) -> ProductRead:
    product = service.unarchive_product(ctx, product_id)
    ctx.session.commit()
    return ProductRead.model_validate(product)


# --- pricelists --------------------------------------------------------------------------------


@router.get("/pricelists", response_model=ListResponse[PricelistRead])
def list_pricelists(
    ctx: CtxDep,
    page: PageDep,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    is_default: bool | None = None,
) -> ListResponse[PricelistRead]:
    """Pricelists in id (creation) order; `q` searches names."""
    result = service.list_pricelists(ctx, page, currency=currency, is_default=is_default)
    return _listing(result, PricelistRead.model_validate)


@router.post("/pricelists", response_model=PricelistRead, status_code=status.HTTP_201_CREATED)
def create_pricelist(body: PricelistCreate, ctx: CtxDep) -> PricelistRead:
    pricelist = service.create_pricelist(ctx, body.model_dump())
    ctx.session.commit()
    return PricelistRead.model_validate(pricelist)


def _detail(ctx: CtxDep, pricelist_id: str) -> PricelistDetail:
    pricelist = service.get_pricelist(ctx, pricelist_id)
    return PricelistDetail.of(pricelist, service.list_all_entries(ctx, pricelist.id))


@router.get("/pricelists/{pricelist_id}", response_model=PricelistDetail)
def read_pricelist(pricelist_id: str, ctx: CtxDep) -> PricelistDetail:
    return _detail(ctx, pricelist_id)


@router.patch("/pricelists/{pricelist_id}", response_model=PricelistDetail)
def update_pricelist(pricelist_id: str, body: PricelistUpdate, ctx: CtxDep) -> PricelistDetail:
    service.update_pricelist(ctx, pricelist_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return _detail(ctx, pricelist_id)


@router.delete("/pricelists/{pricelist_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_pricelist(pricelist_id: str, ctx: CtxDep) -> Response:
    """Deletes the pricelist with its entries; refused with 409 while customers use it."""
    service.delete_pricelist(ctx, pricelist_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- entries -----------------------------------------------------------------------------------


@router.get("/pricelists/{pricelist_id}/entries", response_model=ListResponse[EntryRead])
def list_entries(pricelist_id: str, ctx: CtxDep, page: PageDep) -> ListResponse[EntryRead]:
    """Entries in id order; `q` searches the product's code and names."""
    return _listing(service.list_entries(ctx, pricelist_id, page), EntryRead.of)


@router.post(
    "/pricelists/{pricelist_id}/entries",
    response_model=EntryRead,
    status_code=status.HTTP_201_CREATED,
)
def add_entry(pricelist_id: str, body: EntryCreate, ctx: CtxDep) -> EntryRead:
    entry = service.add_entry(ctx, pricelist_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return EntryRead.of(entry)


@router.get("/pricelists/{pricelist_id}/entries/{entry_id}", response_model=EntryRead)
def read_entry(pricelist_id: str, entry_id: str, ctx: CtxDep) -> EntryRead:
    return EntryRead.of(service.get_entry(ctx, pricelist_id, entry_id))


@router.patch("/pricelists/{pricelist_id}/entries/{entry_id}", response_model=EntryRead)
def update_entry(pricelist_id: str, entry_id: str, body: EntryUpdate, ctx: CtxDep) -> EntryRead:
    entry = service.update_entry(ctx, pricelist_id, entry_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return EntryRead.of(entry)


@router.delete(
    "/pricelists/{pricelist_id}/entries/{entry_id}", status_code=status.HTTP_204_NO_CONTENT
)
def remove_entry(pricelist_id: str, entry_id: str, ctx: CtxDep) -> Response:
    service.remove_entry(ctx, pricelist_id, entry_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- price lookup ------------------------------------------------------------------------------


@router.get("/prices/lookup", response_model=PriceQuoteRead)
def lookup_price(
    ctx: CtxDep,
    customer_id: IdParam,
    product_id: IdParam,
    on: Annotated[date, Query(alias="date", description="The day to price (YYYY-MM-DD)")],
) -> PriceQuoteRead:
    """The unit price for a customer, a product and a day, with the pricelist it came from and
    why: the customer's pricelist valid that day, else the default pricelist of the customer's
    currency. 404 when neither prices the product."""
    quote = service.resolve_price(ctx, customer_id, product_id, on)
    return PriceQuoteRead.of(customer_id, product_id, on, quote)
