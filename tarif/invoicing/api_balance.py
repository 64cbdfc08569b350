"""REST routes of the customer credit balance and of an invoice's payments.

`GET /v1/customers/{id}/balance` (available per currency, history newest first with the
balance after each entry), `POST …/goodwill-credits`, `POST …/balance-refunds`, and
`GET /v1/invoices/{id}/payments` (every payment, a use of the balance showing as method
`credit_balance`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.context import Ctx
from tarif.db.repository import MAX_PAGE_SIZE, PageRequest
from tarif.invoicing import balance
from tarif.invoicing import service as invoices
from tarif.invoicing.balance_schemas import (
    BalanceEntryRead,
    BalanceRefundCreate,
    CustomerBalanceRead,
    GoodwillCreate,
)
from tarif.invoicing.models import BalanceEntry
from tarif.invoicing.schemas import PaymentRead

router = APIRouter(tags=["credit balance"])


def _written(ctx: Ctx, entry: BalanceEntry) -> BalanceEntryRead:
    after = balance.available(ctx, entry.customer_id, entry.currency)
    ctx.session.commit()
    return BalanceEntryRead.of(entry, after)


@router.get("/customers/{customer_id}/balance", response_model=CustomerBalanceRead)
def get_balance(
    customer_id: str,
    ctx: CtxDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="History page size")] = 20,
    starting_after: Annotated[
        str | None, Query(max_length=40, description="Cursor: the last entry of the previous page")
    ] = None,
    currency: Annotated[
        str | None, Query(max_length=3, description="Only this currency's history")
    ] = None,
) -> CustomerBalanceRead:
    """What the customer can use per currency, and its history newest first: each entry carries
    the balance of its currency right after it."""
    page = balance.history(
        ctx, customer_id, PageRequest(limit=limit, starting_after=starting_after), currency=currency
    )
    return CustomerBalanceRead.of(customer_id, balance.balances(ctx, customer_id), page)


@router.post(
    "/customers/{customer_id}/goodwill-credits",
    response_model=BalanceEntryRead,
    status_code=status.HTTP_201_CREATED,
)
def grant_goodwill(customer_id: str, body: GoodwillCreate, ctx: CtxDep) -> BalanceEntryRead:
    """Credits a commercial gesture to the balance; the next invoices in that currency use it."""
    entry = balance.grant_goodwill(
        ctx, customer_id, amount=body.amount, currency=body.currency, reason=body.reason
    )
    return _written(ctx, entry)


@router.post(
    "/customers/{customer_id}/balance-refunds",
    response_model=BalanceEntryRead,
    status_code=status.HTTP_201_CREATED,
)
def refund_balance(customer_id: str, body: BalanceRefundCreate, ctx: CtxDep) -> BalanceEntryRead:
    """Pays money back out of the balance: at most what is available (422 on `amount`)."""
    entry = balance.refund_balance(
        ctx,
        customer_id,
        amount=body.amount,
        currency=body.currency,
        reference=body.reference,
        method=body.method.value,
    )
    return _written(ctx, entry)


@router.get("/invoices/{invoice_id}/payments", response_model=ListResponse[PaymentRead])
def list_payments(invoice_id: str, ctx: CtxDep, page: PageDep) -> ListResponse[PaymentRead]:
    """The invoice's payments in the order recorded, a page at a time like every list; the
    credit balance used at finalization is one of them, method `credit_balance`."""
    invoice = invoices.get_invoice(ctx, invoice_id)
    payments = invoices.invoice_payments_page(ctx, invoice.id, page)
    return ListResponse(
        data=[PaymentRead.of(p, invoice) for p in payments.items],
        has_more=payments.has_more,
        next_cursor=payments.next_cursor,
    )
