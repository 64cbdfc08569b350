"""REST routes of coupons: `/v1/coupons`, redemptions on contracts, discounts on draft invoices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.context import Ctx
from tarif.coupons import service
from tarif.coupons.models import CouponRedemption
from tarif.coupons.schemas import (
    CouponCreate,
    CouponRead,
    CouponUpdate,
    InvoiceDiscountCreate,
    RedemptionCreate,
    RedemptionRead,
)
from tarif.invoicing.schemas import InvoiceRead
from tarif.invoicing.service_invoices import get_invoice, invoice_lines, is_overdue

router = APIRouter(tags=["coupons"])


def _redemptions(ctx: Ctx, rows: list[CouponRedemption]) -> list[RedemptionRead]:
    coupons = service.coupons_by_id(ctx, {r.coupon_id for r in rows})
    return [RedemptionRead.of(r, coupons[r.coupon_id]) for r in rows]


@router.get("/coupons", response_model=ListResponse[CouponRead])
def list_coupons(
    ctx: CtxDep,
    page: PageDep,
    archived: Annotated[
        bool | None, Query(description="true: archived only; false: active only; absent: all")
    ] = None,
) -> ListResponse[CouponRead]:
    """Coupons in creation order; `q` searches the code and the name."""
    result = service.list_coupons(ctx, page, archived=archived)
    return ListResponse(
        data=[CouponRead.of(c) for c in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post("/coupons", response_model=CouponRead, status_code=status.HTTP_201_CREATED)
def create_coupon(body: CouponCreate, ctx: CtxDep) -> CouponRead:
    """A code (stored in upper case, unique per organization whatever its case) giving a
    percentage or an amount off the invoices of the contracts it is redeemed on."""
    coupon = service.create_coupon(ctx, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return CouponRead.of(coupon)


@router.get("/coupons/{coupon_id}", response_model=CouponRead)
def get_coupon(coupon_id: str, ctx: CtxDep) -> CouponRead:
    return CouponRead.of(service.get_coupon(ctx, coupon_id))


@router.patch("/coupons/{coupon_id}", response_model=CouponRead)
def update_coupon(coupon_id: str, body: CouponUpdate, ctx: CtxDep) -> CouponRead:
    """Changes the name, the redemption limit or the validity window (null clears a limit or
    a date). What a coupon gives never changes."""
    coupon = service.update_coupon(ctx, coupon_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return CouponRead.of(coupon)


@router.post("/coupons/{coupon_id}/archive", response_model=CouponRead)
def archive_coupon(coupon_id: str, ctx: CtxDep) -> CouponRead:
    """No new redemption; the contracts that redeemed it keep their discount."""
    coupon = service.archive_coupon(ctx, coupon_id)
    ctx.session.commit()
    return CouponRead.of(coupon)


@router.get("/coupons/{coupon_id}/redemptions", response_model=list[RedemptionRead])
def coupon_redemptions(coupon_id: str, ctx: CtxDep) -> list[RedemptionRead]:
    return _redemptions(ctx, service.redemptions_of_coupon(ctx, coupon_id))


@router.post(
    "/contracts/{contract_id}/coupons",
    response_model=RedemptionRead,
    status_code=status.HTTP_201_CREATED,
)
def redeem_coupon(contract_id: str, body: RedemptionCreate, ctx: CtxDep) -> RedemptionRead:
    """Redeems a coupon on the contract today: 422 when the code is unknown, archived, outside
    its validity window or in another currency; 409 when the coupon reached its limit, is
    already on the contract or the contract is terminated."""
    redemption = service.redeem(ctx, contract_id, body.code)
    ctx.session.commit()
    return _redemptions(ctx, [redemption])[0]


@router.get("/contracts/{contract_id}/coupons", response_model=list[RedemptionRead])
def contract_coupons(contract_id: str, ctx: CtxDep) -> list[RedemptionRead]:
    return _redemptions(ctx, service.redemptions_of_contract(ctx, contract_id))


@router.delete("/contracts/{contract_id}/coupons/{redemption_id}", response_model=RedemptionRead)
def remove_coupon(contract_id: str, redemption_id: str, ctx: CtxDep) -> RedemptionRead:
    """Stops the discount on the invoices built from now on; invoices already made keep it."""
    redemption = service.remove_redemption(ctx, contract_id, redemption_id)
    ctx.session.commit()
    return _redemptions(ctx, [redemption])[0]


@router.post(
    "/invoices/{invoice_id}/discounts",
    response_model=InvoiceRead,
    status_code=status.HTTP_201_CREATED,
)
def add_invoice_discount(invoice_id: str, body: InvoiceDiscountCreate, ctx: CtxDep) -> InvoiceRead:
    """Adds a percentage or an amount off every line of a draft (one line per VAT rate, never
    below zero); 409 on a finalized invoice."""
    service.add_invoice_discount(ctx, invoice_id, body.kind, body.value, body.description)
    ctx.session.commit()
    invoice = get_invoice(ctx, invoice_id)
    return InvoiceRead.of(invoice, invoice_lines(ctx, invoice.id), is_overdue(ctx, invoice))
