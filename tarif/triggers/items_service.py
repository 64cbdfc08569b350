"""Reads of the billable items event triggers make: a contract's items, newest first.

The items themselves are written by `tarif.triggers.items` (valued when events arrive, linked to
their invoice when billed); this module only lists them, for the API, the CLI and the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.db.repository import MAX_PAGE_SIZE, PageRequest
from tarif.tenancy.rules import Permission
from tarif.triggers.items_models import UsageItem

ITEM_ID_PREFIX = "uit_"


def public_item_id(item_id: int) -> str:
    return f"{ITEM_ID_PREFIX}{item_id}"


def internal_item_id(public: str) -> int | None:
    """The row id of `uit_12`, or None when the text names no item."""
    digits = public.removeprefix(ITEM_ID_PREFIX)
    if not public.startswith(ITEM_ID_PREFIX) or not digits.isascii() or not digits.isdigit():
        return None
    value = int(digits)
    return value if 0 < value < 2**63 else None


@dataclass(frozen=True)
class ItemPage:
    items: list[UsageItem]
    has_more: bool

    @property
    def next_cursor(self) -> str | None:
        return public_item_id(self.items[-1].id) if self.has_more and self.items else None


def list_items(
    ctx: Ctx,
    contract_id: str | None,
    page: PageRequest,
    line_key: str | None = None,
    invoiced: bool | None = None,
) -> ItemPage:
    """The items of a contract (None: of every contract of the organization), newest event
    first (an event counted by two lines: the later item first); `line_key` keeps one line's,
    `invoiced` those linked to an invoice (True) or not yet (False). `starting_after` is the
    `uit_…` id of the previous page's last item. Another organization's contract is a 404."""
    ctx.require(Permission.READ)
    stmt = select(UsageItem).where(UsageItem.organization_id == ctx.organization_id)
    if contract_id is not None:
        contract_id = contract_store.load_contract(ctx, contract_id).id
        stmt = stmt.where(UsageItem.contract_id == contract_id)
    if line_key is not None:
        stmt = stmt.where(UsageItem.line_key == line_key)
    if invoiced is not None:
        stmt = stmt.where(
            UsageItem.invoice_id.is_not(None) if invoiced else UsageItem.invoice_id.is_(None)
        )
    if page.starting_after:
        after = _cursor(ctx, contract_id, page.starting_after)
        if after is None:
            # Not an item of this list: nothing of it comes after it.
            return ItemPage([], False)
        event_id, item_id = after
        stmt = stmt.where(
            or_(
                UsageItem.event_id < event_id,
                and_(UsageItem.event_id == event_id, UsageItem.id < item_id),
            )
        )
    limit = max(1, min(page.limit, MAX_PAGE_SIZE))
    order = (UsageItem.event_id.desc(), UsageItem.id.desc())
    rows = list(ctx.session.scalars(stmt.order_by(*order).limit(limit + 1)))
    return ItemPage(rows[:limit], len(rows) > limit)


def _cursor(ctx: Ctx, contract_id: str | None, public: str) -> tuple[int, int] | None:
    """(event_id, id) of the item the cursor names, if it is one of the organization's (and
    of the contract's, when listing one contract's)."""
    item_id = internal_item_id(public)
    if item_id is None:
        return None
    stmt = select(UsageItem.event_id).where(
        UsageItem.organization_id == ctx.organization_id, UsageItem.id == item_id
    )
    if contract_id is not None:
        stmt = stmt.where(UsageItem.contract_id == contract_id)
    event_id = ctx.session.scalars(stmt).one_or_none()
    return None if event_id is None else (event_id, item_id)


__all__ = ["ItemPage", "internal_item_id", "list_items", "public_item_id"]
