"""REST route of the billable items event triggers make: a contract's, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tarif.api.deps import CtxDep, CursorPageDep
from tarif.api.schemas import ListResponse
from tarif.triggers.items_service import list_items
from tarif.triggers.schemas import UsageItemRead

router = APIRouter(tags=["usage triggers"])


@router.get("/contracts/{contract_id}/usage-items", response_model=ListResponse[UsageItemRead])
def usage_items(
    contract_id: str,
    ctx: CtxDep,
    page: CursorPageDep,
    line_key: Annotated[str | None, Query(max_length=40, description="Only this line's")] = None,
    invoiced: Annotated[
        bool | None, Query(description="true: billed by an invoice; false: not yet")
    ] = None,
) -> ListResponse[UsageItemRead]:
    """The billable items of the contract's event triggers, newest event first: each accepted
    event as its usage line valued it, with the invoice that billed it. `delay_ms` is how long
    after the event's acceptance the item was valued. Follow `next_cursor` with
    `starting_after`."""
    result = list_items(ctx, contract_id, page, line_key=line_key, invoiced=invoiced)
    return ListResponse(
        data=[UsageItemRead.of(row) for row in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )
