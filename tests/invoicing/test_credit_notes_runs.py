"""The contract setting `corrections`: credits for periods a finalized invoice billed go on a
draft credit note correcting it (`credit_note`) instead of onto the next invoice (`adjustment`)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import AmendmentCreate, parse
from tarif.invoicing import service
from tarif.invoicing.service_invoices import amount_due
from tests.contracts.conftest import World
from tests.invoicing.conftest import JAN_15, hosting_contract

D = Decimal
JAN_20 = date(2026, 1, 20)
UPGRADE = {
    "effective_date": "2026-01-20",
    "reason": "more hosting",
    "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
}


def upgrade_after_finalizing(ctx: Ctx, world: World, corrections: str) -> tuple[str, list]:  # type: ignore[type-arg]
    """January billed (218.81 + 43.76 = 262.57) and finalized, then 3 × hosting from 20 Jan."""
    contract = hosting_contract(world, corrections=corrections)
    [january] = service.run_billing(ctx, JAN_15).invoices
    service.finalize_invoice(ctx, january.invoice_id or "")
    amendment = contracts.create_amendment(ctx, contract.id, data=parse(AmendmentCreate, UPGRADE))
    contracts.schedule_amendment(ctx, amendment.id)
    ctx.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    return january.invoice_id or "", service.run_billing(ctx, JAN_20).invoices


def test_with_credit_note_the_credit_corrects_the_finalized_invoice(ctx: Ctx, world: World) -> None:
    january, drafts = upgrade_after_finalizing(ctx, world, "credit_note")
    assert len(drafts) == 2
    by_kind = {
        service.get_invoice(ctx, d.invoice_id or "").kind: service.get_invoice(
            ctx, d.invoice_id or ""
        )
        for d in drafts
    }
    note, invoice = by_kind["credit_note"], by_kind["invoice"]
    # [20 Jan, 1 Feb) = 12 of 31 days: credit 399 × 12/31 = 154.4516… → -154.45;
    # VAT -154.45 × 0.20 = -30.89; gross -185.34
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-154.45"),
        D("-30.89"),
        D("-185.34"),
    )
    assert (note.status, note.series, note.corrects_invoice_id) == ("draft", "credit_note", january)
    # the new charge alone on the next invoice: 3 × 399 × 12/31 = 463.35; VAT 92.67; 556.02
    assert invoice.gross_total == D("556.02")
    finalized = service.finalize_invoice(ctx, note.id)
    assert (finalized.number, finalized.status) == ("AV-2026-000001", "issued")
    corrected = service.get_invoice(ctx, january)
    # 262.57 - 185.34 = 77.23 still due
    assert (corrected.amount_credited, amount_due(corrected)) == (D("185.34"), D("77.23"))
    assert finalized.applied_to_invoice == D("185.34")
    # billed once: a new run finds nothing
    assert service.run_billing(ctx, JAN_20).invoices == []


def test_with_adjustment_the_credit_goes_on_the_next_invoice(ctx: Ctx, world: World) -> None:
    _, drafts = upgrade_after_finalizing(ctx, world, "adjustment")
    [draft] = drafts
    # -154.45 + 463.35 = 308.90 net; VAT 61.78; gross 370.68, on one invoice
    assert draft.gross_total == D("370.68")
    assert service.get_invoice(ctx, draft.invoice_id or "").kind == "invoice"


def test_the_setting_over_the_api(ctx: Ctx, api, world: World) -> None:  # type: ignore[no-untyped-def]
    ctx.session.commit()
    body = {
        "customer_id": world.customer.id,
        "reference": "C-CN-1",
        "start_date": "2026-01-15",
        "corrections": "credit_note",
        "lines": [{"product_id": world.hosting.id, "line_key": "hosting"}],
    }
    made = api.post("/v1/contracts", json=body)
    assert made.status_code == 201, made.text
    contract_id = made.json()["id"]
    read = api.get(f"/v1/contracts/{contract_id}").json()
    assert read["terms"]["corrections"] == "credit_note"
    bad = api.post("/v1/contracts", json=body | {"reference": "C-CN-2", "corrections": "later"})
    assert bad.status_code == 422
    assert "corrections" in {e["field"] for e in bad.json()["errors"]}
    default = api.post("/v1/contracts", json=body | {"reference": "C-CN-3"} | {"corrections": None})
    assert default.status_code == 422  # the setting is adjustment or credit_note, never empty


def test_a_drafted_credit_note_larger_than_what_is_left_is_not_issued(
    ctx: Ctx, world: World
) -> None:
    from tarif.errors import Conflict
    from tarif.invoicing.service_finalize import finalize_run

    contract = hosting_contract(world, corrections="credit_note")
    [january] = service.run_billing(ctx, JAN_15).invoices
    service.finalize_invoice(ctx, january.invoice_id or "")
    # January (262.57) is credited by hand for 200.00 first: 62.57 is left to credit
    service.issue_credit_note(
        ctx,
        january.invoice_id or "",
        reason="service outage",
        amount="200.00",
        settlement="balance",
    )
    amendment = contracts.create_amendment(ctx, contract.id, data=parse(AmendmentCreate, UPGRADE))
    contracts.schedule_amendment(ctx, amendment.id)
    ctx.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    outcome = service.run_billing(ctx, JAN_20)
    assert outcome.run is not None
    note = next(d for d in outcome.invoices if d.key.corrects_invoice_id)
    # the run's credit for 20-31 Jan is 185.34 gross, more than the 62.57 left: the draft stays
    done = finalize_run(ctx, outcome.run.id)
    assert (done.finalized, done.held_back) == (1, [note.invoice_id])
    assert service.get_invoice(ctx, note.invoice_id or "").status == "draft"
    with pytest.raises(Conflict, match=r"185\.34 but invoice F-2026-000001 has only 62\.57 left"):
        service.finalize_invoice(ctx, note.invoice_id or "")


def test_a_run_finalizing_as_it_writes_holds_back_the_same_credit_note(
    ctx: Ctx, world: World
) -> None:
    contract = hosting_contract(world, corrections="credit_note")
    [january] = service.run_billing(ctx, JAN_15).invoices
    service.finalize_invoice(ctx, january.invoice_id or "")
    # 200.00 of January's 262.57 credited by hand: 62.57 left, less than the run's 185.34
    service.issue_credit_note(
        ctx,
        january.invoice_id or "",
        reason="service outage",
        amount="200.00",
        settlement="balance",
    )
    amendment = contracts.create_amendment(ctx, contract.id, data=parse(AmendmentCreate, UPGRADE))
    contracts.schedule_amendment(ctx, amendment.id)
    ctx.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    outcome = service.run_billing(ctx, JAN_20, finalize=True)
    by_kind = {d.key.corrects_invoice_id is not None: d for d in outcome.invoices}
    note, invoice = by_kind[True], by_kind[False]
    # the new charge's invoice (556.02) is finalized; the credit note waits as a draft
    assert outcome.finalized == 1
    assert service.get_invoice(ctx, invoice.invoice_id or "").number == "F-2026-000002"
    assert service.get_invoice(ctx, note.invoice_id or "").status == "draft"
