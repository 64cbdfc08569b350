"""A billing run's credits after the customer's tax treatment changed: each carries the VAT of
the line that billed its days, on a document of that treatment (`tarif.invoicing.credit_origin`).

January (15–31 Jan) is billed to a French company: 399 × 17/31 = 218.81, VAT 43.76, 262.57.
The customer then moves to Germany with a VAT number (reverse charge) before 20 Jan.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from tarif.billing.charges import Charge, ChargeKind
from tarif.billing.periods import Period
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.model import LinePriceSource
from tarif.contracts.schemas import AmendmentCreate, parse
from tarif.contracts.term import TerminationMode
from tarif.customers import service as customers
from tarif.customers.rules import TaxTreatment
from tarif.invoicing import service
from tarif.invoicing.credit_origin import BilledDays
from tarif.invoicing.service_runs import DraftLine, GroupKey, _placed, build_drafts
from tests.contracts.conftest import World
from tests.invoicing.conftest import DE_VAT, JAN_15, hosting_contract

D = Decimal
JAN_20 = date(2026, 1, 20)
STANDARD, REVERSE = TaxTreatment.STANDARD, TaxTreatment.REVERSE_CHARGE
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


def test_regenerating_a_draft_of_the_former_treatment_rebuilds_it_with_that_treatment(
    ctx: Ctx, world: World
) -> None:
    contract = hosting_contract(world)
    january_then_moved(ctx, world, finalized=False)
    upgrade(ctx, contract.id)
    to_jan_20(ctx)
    drafts = {d.tax_treatment: d for d in service.run_billing(ctx, JAN_20).invoices}
    credit_id = drafts["standard"].invoice_id or ""
    again = service.regenerate_draft(ctx, credit_id)
    # the credit comes back as it was, French VAT on a draft of its own: −399 × 12/31 =
    # −154.45, VAT 20 % −30.89, −185.34 (not the reverse-charge upgrade of 463.35 beside it)
    assert (again.outcome, again.contract_lines) == ("regenerated", 1)
    stored = service.get_invoice(ctx, credit_id)
    assert stored.tax_treatment == "standard"
    assert (stored.net_total, stored.vat_total, stored.gross_total) == (
        D("-154.45"),
        D("-30.89"),
        D("-185.34"),
    )
    upgrade_draft = service.get_invoice(ctx, drafts["reverse_charge"].invoice_id or "")
    assert (upgrade_draft.tax_treatment, upgrade_draft.net_total) == ("reverse_charge", D("463.35"))


def amount(kind: ChargeKind, net: str, period: Period, version: int = 2) -> DraftLine:
    """A line of an amount billed to the customer now in Germany (reverse charge, 0 %)."""
    charge = Charge(
        "hosting",
        version,
        None,
        kind,
        period,
        period,
        period.end,
        D(1),
        D(net),
        LinePriceSource.OVERRIDE,
        D(net),
        D(0),
        (),
        D(net),
        True,
    )
    return DraftLine("ctr_1", "prd_hosting", "standard", D(0), charge)


def test_a_withdrawn_fee_and_a_lowered_top_up_give_back_the_vat_billed() -> None:
    june_14 = Period(date(2026, 6, 14), date(2026, 6, 15))
    march = Period(date(2026, 3, 1), date(2026, 4, 1))
    billed = [
        BilledDays("inv_june", True, "hosting", 1, june_14, STANDARD, "standard", D(20), "fee"),
        BilledDays("inv_april", False, "hosting", 1, march, STANDARD, "standard", D(20), "minimum"),
    ]
    key = GroupKey("cus_1", "EUR", date(2026, 7, 1), None)
    # the 500.00 fee billed with French VAT on a finalized invoice, withdrawn by version 2:
    # −500.00 at 20 % on a credit note of that invoice
    fee = amount(ChargeKind.FEE, "-500.00", june_14)
    placed = _placed(fee, key, REVERSE, billed, to_notes=False)
    assert placed == (
        replace(key, corrects_invoice_id="inv_june", tax_treatment="standard"),
        STANDARD,
    )
    assert (fee.vat_category, fee.vat_rate) == ("standard", D(20))
    # March's top-up, billed with French VAT on an invoice still a draft, lowered by 21.94: a
    # draft of the former treatment at 20 %, apart from today's charges
    top_up = amount(ChargeKind.MINIMUM, "-21.94", march)
    placed = _placed(top_up, key, REVERSE, billed, to_notes=True)
    assert placed == (replace(key, tax_treatment="standard"), STANDARD)
    assert (top_up.vat_category, top_up.vat_rate) == ("standard", D(20))
    # a top-up raised is billed as today would: reverse charge, 0 %, today's invoice
    raised = amount(ChargeKind.MINIMUM, "21.94", march)
    assert _placed(raised, key, REVERSE, billed, to_notes=False) == (key, REVERSE)
    assert raised.vat_rate == D(0)
