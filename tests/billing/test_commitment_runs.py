"""Top-ups and an early-termination fee through billing runs: stored once, reconciled after.

The test clock reads 15 Jan 2026. Hosting is 399.00 a month in advance, calendar-aligned.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.term import TerminationMode
from tarif.invoicing import service
from tests.contracts.conftest import World, build_world


@pytest.fixture
def world(ctx: Ctx) -> World:
    return build_world(ctx)


def billed(ctx: Ctx, outcome: service.RunOutcome) -> list[tuple[str, str, Decimal]]:
    return [
        (line.kind, line.line_key or "", line.net_amount)
        for draft in outcome.invoices
        for line in service.invoice_lines(ctx, draft.invoice_id or "")
    ]


def test_a_run_stores_top_ups_and_the_fee_once(ctx: Ctx, world: World) -> None:
    contract = world.running(
        start_date="2026-01-15",
        billing_alignment="calendar",
        initial_term_months=12,
        early_termination_fee={"kind": "remaining"},
        lines=[
            {
                "product_id": world.hosting.id,
                "minimum_commitment": {"amount": "450.00", "periodicity": "monthly"},
            }
        ],
    )
    # 15 Jan: 399 × 17/31 = 218.806… → 218.81
    assert billed(ctx, service.run_billing(ctx, date(2026, 1, 15))) == [
        ("charge", "hosting", Decimal("218.81"))
    ]
    # The admin ends it on 1 Mar 2026, inside the 12-month term that ends on 15 Jan 2027.
    contracts.terminate(
        ctx, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 3, 1), forced=True
    )
    ctx.clock.advance(timedelta(days=17))  # type: ignore[attr-defined]
    # 1 Feb: January's minimum 450 × 17/31 = 246.774…, billed 218.806…: top-up 27.967… → 27.97;
    # and February, 399.00
    assert sorted(billed(ctx, service.run_billing(ctx, date(2026, 2, 1)))) == [
        ("charge", "hosting", Decimal("399.00")),
        ("minimum", "hosting", Decimal("27.97")),
    ]
    assert service.run_billing(ctx, date(2026, 2, 1)).invoices == []
    ctx.clock.advance(timedelta(days=28))  # type: ignore[attr-defined]
    # 1 Mar: February's top-up 450 − 399 = 51.00; the fee: March…December 2026 = 10 × 399 =
    # 3990 plus [1 Jan, 15 Jan 2027) = 399 × 14/31 = 180.193…: 4170.193… → 4170.19
    assert sorted(billed(ctx, service.run_billing(ctx, date(2026, 3, 1)))) == [
        ("fee", "hosting", Decimal("4170.19")),
        ("minimum", "hosting", Decimal("51.00")),
    ]
    ctx.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    assert service.run_billing(ctx, date(2026, 3, 1)).invoices == []
    assert service.run_billing(ctx, date(2026, 4, 1)).invoices == []


def test_a_waived_fee_is_not_billed_and_a_fixed_one_says_why(ctx: Ctx, world: World) -> None:
    fixed = {"kind": "fixed", "amount": "500.00"}
    waived = world.running(
        start_date="2026-01-01", initial_term_months=12, early_termination_fee=fixed
    )
    kept = world.running(
        start_date="2026-01-01",
        initial_term_months=12,
        early_termination_fee=fixed,
        reference="C-2026-002",
    )
    for contract, waive in ((waived, True), (kept, False)):
        contracts.terminate(
            ctx,
            contract.id,
            mode=TerminationMode.ON_DATE,
            on=date(2026, 2, 1),
            forced=True,
            waive_fee=waive,
        )
    service.run_billing(ctx, date(2026, 1, 15))
    ctx.clock.advance(timedelta(days=17))  # type: ignore[attr-defined]
    outcome = service.run_billing(ctx, date(2026, 2, 1))
    fees = [
        (line.contract_id, line.net_amount, line.description)
        for draft in outcome.invoices
        for line in service.invoice_lines(ctx, draft.invoice_id or "")
        if line.kind == "fee"
    ]
    # Only the contract whose fee was not waived: 500.00, once.
    assert fees == [
        (
            kept.id,
            Decimal("500.00"),
            "Early termination on 2026-02-01, committed term to 2026-12-31: fixed fee 500.00",
        )
    ]
    assert service.run_billing(ctx, date(2026, 2, 1)).invoices == []
