"""Progressive billing of the seed price with thresholds of 500, 1,000, then every 1,000."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tarif.billing.triggers import Cadence, TriggerKind, UsageTrigger
from tarif.context import Ctx
from tarif.invoicing import service
from tarif.invoicing.usage_progressive import bill_so_far
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import FEB_1, seed_contract
from tests.usage.factories import add_event

D = Decimal
LADDER = UsageTrigger(TriggerKind.THRESHOLD, (D(500), D(1000)), D(1000))


def sales(world: World, day: str, count: int, amount: str) -> None:
    for _ in range(count):
        add_event(
            world.ctx.session,
            world.ctx.organization_id,
            "turnover",
            world.customer.id,
            f"{day} 12:00",
            amount,
            properties={"amount": amount},
        )


def test_threshold_invoices_then_the_period_end_bills_the_rest(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    sales(world, "2026-01-05", 100, "200.00")
    early = bill_so_far(ctx, contract_id, "api-calls", date(2026, 1, 5), LADDER)
    # 2 % × 20,000.00 = 400.00 + 100 × 0.25 = 25.00 → 425.00: below 500, no invoice
    assert early is not None
    assert (early.measured, early.level, early.invoice_id) == (D("425.00"), None, None)
    sales(world, "2026-01-08", 20, "200.00")
    first = bill_so_far(ctx, contract_id, "api-calls", date(2026, 1, 8), LADDER)
    # 2 % × 24,000.00 = 480.00 + 120 × 0.25 = 30.00 → 510.00: the 500 level
    assert first is not None and first.level == D(500) and first.invoice_id is not None
    invoice = service.get_invoice(ctx, first.invoice_id)
    # 510.00 net, VAT 102.00, 612.00; finalized at once, dated the day of the crossing
    assert (invoice.status, invoice.billing_date) == ("finalized", date(2026, 1, 8))
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        D("510.00"),
        D("102.00"),
        D("612.00"),
    )
    assert [x.usage_part for x in service.invoice_lines(ctx, invoice.id)] == [
        "p1|percentage||1",
        "p1|transaction_fee||1",
    ]
    # the same day again: the 500 level is invoiced, nothing new
    again = bill_so_far(
        ctx, contract_id, "api-calls", date(2026, 1, 8), LADDER, invoiced_level=D(500)
    )
    assert again is not None and again.invoice_id is None
    # 1,000 × 20.00 + 80 × 75.00 = 26,000.00 more: 50,000.00 in 1,200 transactions
    sales(world, "2026-01-20", 1000, "20.00")
    sales(world, "2026-01-20", 80, "75.00")
    second = bill_so_far(
        ctx, contract_id, "api-calls", date(2026, 1, 20), LADDER, invoiced_level=D(500)
    )
    assert second is not None and second.level == D(1000)
    lines = service.invoice_lines(ctx, second.invoice_id or "")
    # 1,000.00 − 480.00 = 520.00 and 300.00 − 30.00 = 270.00
    assert [(x.usage_part, x.net_amount) for x in lines] == [
        ("p2|percentage||1", D("520.00")),
        ("p2|transaction_fee||1", D("270.00")),
    ]
    # period end: everything was billed early; a 0.00 line closes January, with February's
    # 399.00 in advance
    outcome = service.run_billing(ctx, FEB_1)
    february = next(d for d in outcome.invoices if d.key.billing_date == FEB_1)
    closing = service.invoice_lines(ctx, february.invoice_id or "")
    assert [(x.source, x.usage_part, x.net_amount) for x in closing] == [
        ("contract", "", D("399.00")),
        ("usage", "r3|percentage||1", D("0.00")),
    ]
    # 510.00 + 790.00 = 1,300.00 = 1,000.00 + 300.00, what period-end billing alone gives
    assert bill_so_far(ctx, contract_id, "api-calls", date(2026, 1, 31), LADDER) is None
    assert service.run_billing(ctx, FEB_1).invoices == []


def test_the_period_end_bills_what_the_thresholds_left(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    sales(world, "2026-01-05", 120, "200.00")
    first = bill_so_far(ctx, contract_id, "api-calls", date(2026, 1, 5), LADDER)
    assert first is not None and first.invoice_id is not None  # 510.00, as above
    sales(world, "2026-01-25", 10, "100.00")  # + 1,000.00 in 10 transactions
    outcome = service.run_billing(ctx, FEB_1)
    february = next(d for d in outcome.invoices if d.key.billing_date == FEB_1)
    lines = service.invoice_lines(ctx, february.invoice_id or "")
    # 2 % × 25,000.00 = 500.00 − 480.00 = 20.00; 130 × 0.25 = 32.50 − 30.00 = 2.50
    assert [(x.usage_part, x.net_amount) for x in lines if x.source == "usage"] == [
        ("r2|percentage||1", D("20.00")),
        ("r2|transaction_fee||1", D("2.50")),
    ]


def test_an_event_trigger_bills_whatever_is_new(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    trigger = UsageTrigger(TriggerKind.EVENT, cadence=Cadence.IMMEDIATE)
    sales(world, "2026-01-03", 1, "100.00")
    made = bill_so_far(ctx, contract_id, "api-calls", date(2026, 1, 3), trigger)
    assert made is not None and made.invoice_id is not None
    # 2 % × 100.00 = 2.00 + 0.25 = 2.25
    assert service.get_invoice(ctx, made.invoice_id).net_total == D("2.25")
    nothing = bill_so_far(ctx, contract_id, "api-calls", date(2026, 1, 3), trigger)
    assert nothing is not None and nothing.invoice_id is None
