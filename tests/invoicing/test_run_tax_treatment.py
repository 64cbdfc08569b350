"""A billing run's credits after the customer's tax treatment changed: each carries the VAT of
the line that billed its days, on a document of that treatment (`tarif.invoicing.credit_origin`).

January (15–31 Jan) is billed to a French company: 399 × 17/31 = 218.81, VAT 43.76, 262.57.
The customer then moves to Germany with a VAT number (reverse charge) before 20 Jan.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import AmendmentCreate, parse
from tarif.contracts.term import TerminationMode
from tarif.customers import service as customers
from tarif.invoicing import service
from tarif.invoicing.service_runs import build_drafts
from tests.contracts.conftest import World
from tests.invoicing.conftest import DE_VAT, JAN_15, hosting_contract

D = Decimal
JAN_20 = date(2026, 1, 20)
UPGRADE = {
    "effective_date": "2026-01-20",
    "reason": "more hosting",
    "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
}


def january_then_moved(ctx: Ctx, world: World, *, finalized: bool) -> str:
    """The January invoice (finalized or left a draft), then the customer in Germany."""
    [january] = service.run_billing(ctx, JAN_15).invoices
    if finalized:
        service.finalize_invoice(ctx, january.invoice_id or "")
    customers.update_customer(ctx, world.customer.id, {"country": "DE", "vat_number": DE_VAT})
    return january.invoice_id or ""


def upgrade(ctx: Ctx, contract_id: str) -> None:
    """3 × hosting from 20 Jan."""
    amendment = contracts.create_amendment(ctx, contract_id, data=parse(AmendmentCreate, UPGRADE))
    contracts.schedule_amendment(ctx, amendment.id)


def to_jan_20(ctx: Ctx) -> None:
    ctx.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]


def test_a_termination_credit_corrects_the_french_invoice_at_20_percent(
    ctx: Ctx, world: World
) -> None:
    contract = hosting_contract(world)
    january = january_then_moved(ctx, world, finalized=True)
    to_jan_20(ctx)
    contracts.terminate(ctx, contract.id, mode=TerminationMode.ON_DATE, on=JAN_20, with_credit=True)
    [note] = service.run_billing(ctx, JAN_20).invoices
    # [20 Jan, 1 Feb) = 12 of 31 days: −399 × 12/31 = −154.45, VAT 20 % −30.89, −185.34, on a
    # credit note of the January invoice (standard treatment), though the contract's
    # `corrections` is the default adjustment
    assert (note.key.corrects_invoice_id, note.tax_treatment) == (january, "standard")
    assert [(line.vat_category, line.vat_rate) for line in note.lines] == [("standard", D(20))]
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-154.45"),
        D("-30.89"),
        D("-185.34"),
    )
    stored = service.get_invoice(ctx, note.invoice_id or "")
    assert (stored.kind, stored.tax_treatment) == ("credit_note", "standard")
    assert service.run_billing(ctx, JAN_20).invoices == []  # billed once


def test_an_upgrade_credit_of_a_draft_stays_apart_at_the_former_treatment(
    ctx: Ctx, world: World
) -> None:
    contract = hosting_contract(world)
    january_then_moved(ctx, world, finalized=False)
    upgrade(ctx, contract.id)
    to_jan_20(ctx)
    drafts = {d.tax_treatment: d for d in service.run_billing(ctx, JAN_20).invoices}
    credit, charge = drafts["standard"], drafts["reverse_charge"]
    # January is a draft (no credit note can correct it): the credit is a draft invoice of its
    # own, French VAT: −154.45, VAT −30.89, −185.34
    assert (credit.key.corrects_invoice_id, credit.key.tax_treatment) == (None, "standard")
    assert (credit.net_total, credit.vat_total, credit.gross_total) == (
        D("-154.45"),
        D("-30.89"),
        D("-185.34"),
    )
    # the new quantity, reverse charge: 3 × 399 × 12/31 = 463.35, VAT 0
    assert charge.key.tax_treatment is None
    assert (charge.net_total, charge.vat_total, charge.gross_total) == (
        D("463.35"),
        D("0.00"),
        D("463.35"),
    )
    assert service.get_invoice(ctx, credit.invoice_id or "").kind == "invoice"


def test_credits_read_what_billed_them_in_one_query_per_chunk(ctx: Ctx, world: World) -> None:
    contracts_ = [hosting_contract(world, reference=f"C-{n}") for n in range(3)]
    january_then_moved(ctx, world, finalized=True)
    for contract in contracts_:
        upgrade(ctx, contract.id)
    to_jan_20(ctx)
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]).lower())

    engine = ctx.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        drafts = build_drafts(ctx, JAN_20)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # one credit note for January (three credits at 20 %), one reverse-charge invoice
    assert sorted(len(d.lines) for d in drafts) == [3, 3]
    # the three contracts' billed lines, then their invoices: two look-ups for the chunk
    lines = [s for s in statements if "from invoice_lines" in s and "vat_category" in s]
    invoices = [s for s in statements if "from invoices" in s and "tax_treatment" in s]
    assert (len(lines), len(invoices)) == (1, 1)
