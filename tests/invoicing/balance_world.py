"""Invoices of a chosen amount for the credit-balance tests, made the way a run makes them.

A contract line at a unit price P from 1 Feb 2026, monthly in advance, billed as of 1 Feb 2026
makes one draft of P net + 20 % VAT: 399.00 → 399.00 + 79.80 = 478.80; 41.67 → 41.67 + 8.33
(41.67 × 0.20 = 8.334 → 8.33) = 50.00.
"""

from __future__ import annotations

from tarif.context import Ctx
from tarif.invoicing import service
from tarif.invoicing.models import Invoice
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, hosting_contract


def february_draft(world: World, unit_price: str = "399.00") -> str:
    """The id of the February draft of a contract at `unit_price` a month (gross: see above)."""
    hosting_contract(
        world,
        start_date="2026-02-01",
        lines=[{"product_id": world.hosting.id, "unit_price": unit_price}],
    )
    [draft] = service.run_billing(world.ctx, FEB_1).invoices
    assert draft.invoice_id is not None
    return draft.invoice_id


def finalized(ctx: Ctx, world: World, unit_price: str = "399.00") -> Invoice:
    return service.finalize_invoice(ctx, february_draft(world, unit_price))
