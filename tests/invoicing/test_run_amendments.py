"""A mid-period upgrade billed by runs: a credit for the old terms, a charge for the new ones."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import AmendmentCreate, parse
from tarif.invoicing import service
from tests.contracts.conftest import World
from tests.invoicing.conftest import JAN_15, hosting_contract

JAN_20 = date(2026, 1, 20)


def test_an_upgrade_on_20_january_credits_and_recharges_the_rest_of_january(
    ctx: Ctx, world: World
) -> None:
    contract = hosting_contract(world)
    service.run_billing(ctx, JAN_15)
    body = {
        "effective_date": "2026-01-20",
        "reason": "more hosting",
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
    }
    amendment = contracts.create_amendment(ctx, contract.id, data=parse(AmendmentCreate, body))
    contracts.schedule_amendment(ctx, amendment.id)
    ctx.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    [draft] = service.run_billing(ctx, JAN_20).invoices
    lines = service.invoice_lines(ctx, draft.invoice_id or "")
    # [20 Jan, 1 Feb) = 12 of 31 days: credit 399 × 12/31 = 154.4516… → -154.45 (version 1);
    # charge 3 × 399 × 12/31 = 463.3548… → 463.35 (version 2, an adjustment of a billed period)
    assert [(line.kind, line.contract_version, line.net_amount) for line in lines] == [
        ("credit", 1, Decimal("-154.45")),
        ("charge", 2, Decimal("463.35")),
    ]
    assert lines[1].adjustment and lines[1].amendment_id == amendment.id
    # net 463.35 - 154.45 = 308.90; VAT 308.90 × 0.20 = 61.78; gross 370.68
    assert (draft.net_total, draft.vat_total, draft.gross_total) == (
        Decimal("308.90"),
        Decimal("61.78"),
        Decimal("370.68"),
    )
    assert service.run_billing(ctx, JAN_20).invoices == []


def test_suspended_days_are_not_billed(ctx: Ctx, world: World) -> None:
    contract = hosting_contract(world)
    contracts.suspend(ctx, contract.id)  # suspended from today, 15 Jan
    assert service.run_billing(ctx, date(2026, 2, 1)).invoices == []


def test_a_dry_run_previews_an_amendment_due_by_its_date_without_applying_it(
    ctx: Ctx, world: World
) -> None:
    contract = hosting_contract(world)
    service.run_billing(ctx, JAN_15)
    body = {
        "effective_date": "2026-01-20",
        "reason": "more hosting",
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
    }
    amendment = contracts.create_amendment(ctx, contract.id, data=parse(AmendmentCreate, body))
    contracts.schedule_amendment(ctx, amendment.id)
    [draft] = service.run_billing(ctx, JAN_20, dry_run=True).invoices
    # as the real run: -154.45 + 463.35 = 308.90 net, 370.68 gross
    assert draft.gross_total == Decimal("370.68")
    assert contracts.get_amendment(ctx, amendment.id).status == "scheduled"
