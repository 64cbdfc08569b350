"""Usage lines in billing runs: rated in arrears on the fixed lines' invoice, traced, once.

The seed's price: 399.00 a month in advance + 2 % of turnover + 0.25 per transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tarif.context import Ctx
from tarif.invoicing import service
from tarif.invoicing.models import InvoiceLine
from tarif.usage import metric_service
from tarif.usage.models import UsageWatermark
from tests.contracts.conftest import World
from tests.usage.factories import add_event

TURNOVER = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
JAN_1, FEB_1, MAR_1 = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def turnover_metric(ctx: Ctx) -> None:
    metric_service.create_metric(
        ctx, {"code": "turnover", "name": "Turnover", "aggregation": "sum", "field": "amount"}
    )


def seed_contract(world: World, charge: dict[str, Any] | None = None, **fields: Any) -> str:
    turnover_metric(world.ctx)
    lines = [
        {"product_id": world.hosting.id},
        {"product_id": world.api_calls.id, "charge": charge or TURNOVER},
    ]
    values = {"start_date": "2026-01-01", "billing_alignment": "calendar", "lines": lines}
    return world.running(**(values | fields)).id


def january_turnover(world: World, contract_id: str | None = None) -> None:
    """1,200 transactions: 1,000 of 40.00 and 200 of 50.00 = 40,000 + 10,000 = 50,000.00."""
    for n in range(1200):
        amount = "40.00" if n < 1000 else "50.00"
        day = 1 + n % 31
        add_event(
            world.ctx.session,
            world.ctx.organization_id,
            "turnover",
            world.customer.id,
            f"2026-01-{day:02d} 12:00",
            amount,
            properties={"amount": amount},
            contract_id=contract_id,
        )


def invoice_on(ctx: Ctx, outcome: Any, day: date) -> Any:
    [draft] = [d for d in outcome.invoices if d.key.billing_date == day]
    return service.get_invoice(ctx, draft.invoice_id or "")


def test_the_seed_price_end_to_end(ctx: Ctx, world: World) -> None:
    seed_contract(world)
    january_turnover(world)
    outcome = service.run_billing(ctx, FEB_1)
    january = invoice_on(ctx, outcome, JAN_1)
    assert january.net_total == Decimal("399")  # January in advance; its usage is not due yet
    february = invoice_on(ctx, outcome, FEB_1)
    lines = service.invoice_lines(ctx, february.id)
    # 399.00 (February in advance) + 2 % × 50,000.00 = 1,000.00 + 1,200 × 0.25 = 300.00
    assert [(x.source, x.net_amount) for x in lines] == [
        ("contract", Decimal("399.00")),
        ("usage", Decimal("1000.00")),
        ("usage", Decimal("300.00")),
    ]
    # net 1,699.00; VAT 20 % = 339.80; total 2,038.80
    assert (february.net_total, february.vat_total, february.gross_total) == (
        Decimal("1699.00"),
        Decimal("339.80"),
        Decimal("2038.80"),
    )
    percentage, fee = lines[1], lines[2]
    assert (percentage.period_start, percentage.period_end, percentage.due_on) == (
        JAN_1,
        FEB_1,
        FEB_1,
    )
    assert (percentage.quantity, percentage.unit_price) == (Decimal("50000"), Decimal("0.02"))
    assert (fee.quantity, fee.unit_price) == (Decimal("1200"), Decimal("0.25"))
    assert (percentage.usage_part, fee.usage_part) == (
        "r1|percentage||1",
        "r1|transaction_fee||1",
    )
    trace = percentage.usage
    assert trace is not None
    assert (trace["metric"], trace["aggregation"], trace["field"]) == ("turnover", "sum", "amount")
    assert (trace["event_count"], trace["period"]) == (1200, ["2026-01-01", "2026-02-01"])
    assert trace["charge"]["rate"] == "2"
    assert trace["events_url"].endswith("&from=2026-01-01&to=2026-02-01")
    # the watermark moved: January's events are late from now on
    # (scoped: other tests' organizations share the database)
    mine = UsageWatermark.organization_id == ctx.organization_id
    watermark = ctx.session.scalars(select(UsageWatermark).where(mine)).one()
    assert (watermark.metric_code, watermark.billed_until) == ("turnover", FEB_1)


def test_a_usage_line_names_the_valuation_smartcode_versions_behind_it(
    ctx: Ctx, world: World
) -> None:
    from tarif.smartcodes import service as smartcodes

    smartcode, first = smartcodes.create_smartcode(
        ctx,
        {
            "code": "net_amount",
            "kind": "valuation",
            "source": "def value(event):\n    return event.properties['amount']\n",
        },
    )
    second = smartcodes.add_version(
        ctx, smartcode.id, "def value(event):\n    return event.properties['amount'] - 1\n"
    )
    metric_service.create_metric(
        ctx,
        {
            "code": "turnover",
            "aggregation": "sum",
            "field": "amount",
            "valuation_smartcode_id": smartcode.code,
        },
    )
    lines = [
        {"product_id": world.hosting.id},
        {"product_id": world.api_calls.id, "charge": TURNOVER},
    ]
    world.running(start_date="2026-01-01", billing_alignment="calendar", lines=lines)
    # January's events valued by version 2, then (stored later, dated earlier) by version 1
    for day, version in (("05", second), ("03", first)):
        event = add_event(
            ctx.session,
            ctx.organization_id,
            "turnover",
            world.customer.id,
            f"2026-01-{day} 12:00",
            "10",
        )
        event.smartcode_version_id = version.id
    ctx.session.flush()
    february = invoice_on(ctx, service.run_billing(ctx, FEB_1), FEB_1)
    traces = [x.usage for x in service.invoice_lines(ctx, february.id) if x.source == "usage"]
    # both usage lines (2 % and the fee per transaction) name both versions, in number order
    assert [t["valuation_versions"] for t in traces] == [{smartcode.id: [first.id, second.id]}] * 2
    assert [t["smartcode_versions"] for t in traces] == [{}, {}]  # priced by no SmartCode


def test_a_period_is_rated_once(ctx: Ctx, world: World) -> None:
    seed_contract(world)
    january_turnover(world)
    service.run_billing(ctx, FEB_1)
    again = service.run_billing(ctx, FEB_1)
    assert again.invoices == []


def test_late_events_are_billed_as_an_adjustment_on_the_next_invoice(
    ctx: Ctx, world: World
) -> None:
    seed_contract(world)
    january_turnover(world)
    service.run_billing(ctx, FEB_1, finalize=True)
    # two January transactions arrive after January was invoiced: 100.00 and 20.00
    for amount in ("100.00", "20.00"):
        add_event(
            ctx.session,
            ctx.organization_id,
            "turnover",
            world.customer.id,
            "2026-01-20 09:00",
            amount,
            properties={"amount": amount},
            late=True,
            received_at=ctx.clock.now(),
        )
    # a run before the next billing date leaves them for the next invoice
    assert service.run_billing(ctx, FEB_1 + timedelta(days=10)).invoices == []
    march = invoice_on(ctx, service.run_billing(ctx, MAR_1), MAR_1)
    lines = service.invoice_lines(ctx, march.id)
    adjustments = [(x.usage_part, x.quantity, x.net_amount) for x in lines if x.adjustment]
    # January again: 2 % × 50,120.00 = 1,002.40 (was 1,000.00: +2.40);
    # 1,202 × 0.25 = 300.50 (was 300.00: +0.50)
    assert adjustments == [
        ("r2|percentage||1", Decimal("120"), Decimal("2.40")),
        ("r2|transaction_fee||1", Decimal("2"), Decimal("0.50")),
    ]
    february_usage = [x.net_amount for x in lines if x.source == "usage" and not x.adjustment]
    assert february_usage == [Decimal("0.00"), Decimal("0.00")]  # no February turnover
    # 399.00 + 0 + 2.40 + 0.50 = 401.90
    assert march.net_total == Decimal("401.90")
    # and nothing more on the next run
    assert service.run_billing(ctx, MAR_1).invoices == []


def test_a_late_event_of_a_recurring_metric_adjusts_the_periods_it_carried_into(
    ctx: Ctx, world: World
) -> None:
    metric_service.create_metric(
        ctx, {"code": "seats", "aggregation": "sum", "field": "n", "recurring": True}
    )
    charge = {"metric": "seats", "model": "per_unit", "unit_price": "10.00"}
    lines = [{"product_id": world.api_calls.id, "charge": charge}]
    world.running(start_date="2026-01-01", billing_alignment="calendar", lines=lines)
    customer = world.customer.id
    add_event(ctx.session, ctx.organization_id, "seats", customer, "2026-01-05 12:00", "3")
    service.run_billing(ctx, MAR_1, finalize=True)  # January and February: 3 seats each
    add_event(
        ctx.session,
        ctx.organization_id,
        "seats",
        customer,
        "2026-01-20 12:00",
        "2",
        late=True,
        received_at=ctx.clock.now(),
    )
    april = invoice_on(ctx, service.run_billing(ctx, date(2026, 4, 1)), date(2026, 4, 1))
    found = service.invoice_lines(ctx, april.id)
    # +2 seats from 20 Jan: January and February (carrying January over) each owe 2 × 10.00
    assert [(x.period_start, x.quantity, x.net_amount) for x in found if x.adjustment] == [
        (JAN_1, Decimal(2), Decimal("20.00")),
        (FEB_1, Decimal(2), Decimal("20.00")),
    ]
    # March: 3 + 2 = 5 seats
    assert [x.net_amount for x in found if not x.adjustment] == [Decimal("50.00")]


def test_a_run_catching_up_several_periods_draws_the_prepaid_block_down_in_order(
    ctx: Ctx, world: World
) -> None:
    metric_service.create_metric(ctx, {"code": "sms", "aggregation": "sum", "field": "n"})
    charge = {"metric": "sms", "model": "per_unit", "unit_price": "0.10", "prepaid_units": "1000"}
    lines = [{"product_id": world.api_calls.id, "charge": charge}]
    world.running(start_date="2026-01-01", billing_alignment="calendar", lines=lines)
    for day, n in (("2026-01-05", "600"), ("2026-02-05", "900"), ("2026-03-05", "100")):
        add_event(ctx.session, ctx.organization_id, "sms", world.customer.id, f"{day} 12:00", n)
    outcome = service.run_billing(ctx, date(2026, 4, 1))
    nets = [
        [x.net_amount for x in service.invoice_lines(ctx, invoice_on(ctx, outcome, day).id)]
        for day in (FEB_1, MAR_1, date(2026, 4, 1))
    ]
    # January 600 from the block (400 left); February 400 from it + 500 × 0.10 = 50.00;
    # March 100 × 0.10 = 10.00: not the whole block again for each month of the run
    assert nets == [[Decimal("0.00")], [Decimal("50.00")], [Decimal("10.00")]]


def test_usage_lines_of_a_draft_are_rated_again_when_it_is_regenerated(
    ctx: Ctx, world: World
) -> None:
    seed_contract(world)
    january_turnover(world)
    february = invoice_on(ctx, service.run_billing(ctx, FEB_1), FEB_1)
    add_event(
        ctx.session,
        ctx.organization_id,
        "turnover",
        world.customer.id,
        "2026-01-31 23:00",
        "1000.00",
        properties={"amount": "1000.00"},
    )
    from tarif.invoicing.service_drafts import regenerate_draft

    regenerate_draft(ctx, february.id)
    nets = [
        x.net_amount
        for x in ctx.session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == february.id)
            .order_by(InvoiceLine.position)
        )
    ]
    # 2 % × 51,000.00 = 1,020.00; 1,201 × 0.25 = 300.25
    assert nets == [Decimal("399.00"), Decimal("1020.00"), Decimal("300.25")]


def test_a_coupon_discounts_the_usage_lines_too(ctx: Ctx, world: World) -> None:
    from tarif.coupons import service as coupons
    from tests.coupons.conftest import make_coupon

    contract_id = seed_contract(world)
    january_turnover(world)
    make_coupon(ctx, duration="forever")
    coupons.redeem(ctx, contract_id, "WELCOME20", on=JAN_1)
    february = invoice_on(ctx, service.run_billing(ctx, FEB_1), FEB_1)
    lines = service.invoice_lines(ctx, february.id)
    assert [x.source for x in lines] == ["contract", "usage", "usage", "coupon"]
    # 20 % of (399.00 + 1,000.00 + 300.00 = 1,699.00) = 339.80 off: net 1,359.20;
    # VAT 1,359.20 × 20 % = 271.84; total 1,631.04
    assert lines[-1].net_amount == Decimal("-339.80")
    assert (february.net_total, february.vat_total, february.gross_total) == (
        Decimal("1359.20"),
        Decimal("271.84"),
        Decimal("1631.04"),
    )


def test_the_upcoming_invoice_shows_the_usage_so_far_and_writes_nothing(
    ctx: Ctx, world: World
) -> None:
    seed_contract(world)
    january_turnover(world)
    service.run_billing(ctx, FEB_1)
    add_event(
        ctx.session,
        ctx.organization_id,
        "turnover",
        world.customer.id,
        "2026-02-03 10:00",
        "500.00",
        properties={"amount": "500.00"},
    )
    upcoming = service.upcoming_invoice(ctx, world.customer.id)
    assert upcoming is not None
    # 1 Mar: 399.00 (March) + 2 % × 500.00 = 10.00 + 1 × 0.25 = 0.25 → 409.25
    assert (upcoming.key.billing_date, upcoming.net_total) == (MAR_1, Decimal("409.25"))
    watermark = ctx.session.scalars(
        select(UsageWatermark).where(UsageWatermark.organization_id == ctx.organization_id)
    ).one()
    assert watermark.billed_until == FEB_1  # still: the preview moved nothing


APR_1, MAY_1 = date(2026, 4, 1), date(2026, 5, 1)


def prepaid_sms(ctx: Ctx, world: World, aggregation: str = "sum") -> str:
    """Text messages: a prepaid block of 1,000, then 0.10 each, monthly periods."""
    metric_service.create_metric(ctx, {"code": "sms", "aggregation": aggregation, "field": "n"})
    charge = {"metric": "sms", "model": "per_unit", "unit_price": "0.10", "prepaid_units": "1000"}
    lines = [{"product_id": world.api_calls.id, "charge": charge}]
    return world.running(start_date="2026-01-01", billing_alignment="calendar", lines=lines).id


def sms(ctx: Ctx, world: World, at: str, n: str, late: bool = False) -> None:
    extra: dict[str, Any] = {"late": True, "received_at": ctx.clock.now()} if late else {}
    add_event(ctx.session, ctx.organization_id, "sms", world.customer.id, at, n, **extra)


def usage_of_invoice(ctx: Ctx, invoice: Any) -> list[tuple[date, bool, Decimal, Decimal]]:
    """(period start, adjustment, quantity, net) of each usage line, in period order."""
    lines = [x for x in service.invoice_lines(ctx, invoice.id) if x.source == "usage"]
    return sorted(
        (x.period_start, x.adjustment, x.quantity, x.net_amount) for x in lines if x.period_start
    )


def test_late_usage_drawing_more_of_a_prepaid_block_re_rates_the_later_months(
    ctx: Ctx, world: World
) -> None:
    prepaid_sms(ctx, world)
    sms(ctx, world, "2026-01-05 12:00", "700")
    sms(ctx, world, "2026-02-05 12:00", "400")
    service.run_billing(ctx, MAR_1, finalize=True)
    # January: 700 from the block (300 left): 0.00; February: 300 from the block + 100 × 0.10
    # = 10.00
    sms(ctx, world, "2026-01-20 12:00", "300", late=True)
    sms(ctx, world, "2026-03-05 12:00", "50")
    april = invoice_on(ctx, service.run_billing(ctx, APR_1), APR_1)
    # January again: 1,000 from the block (the whole of it): 0.00 as before, a 0.00 line
    # records that it now draws 1,000. February again: nothing left of the block, 400 × 0.10
    # = 40.00, 10.00 billed: +30.00 for 300 more units billed. March: 50 × 0.10 = 5.00.
    assert usage_of_invoice(ctx, april) == [
        (JAN_1, True, Decimal(0), Decimal("0.00")),
        (FEB_1, True, Decimal(300), Decimal("30.00")),
        (MAR_1, False, Decimal(50), Decimal("5.00")),
    ]
    # 1,450 units, 1,000 prepaid: 450 × 0.10 = 45.00 = 0.00 + 10.00 + 35.00
    assert april.net_total == Decimal("35.00")
    drawn = [
        x.usage["prepaid_drawn"]
        for x in service.invoice_lines(ctx, april.id)
        if x.usage is not None
    ]
    assert drawn == ["1000", "0", "0"]
    # the same run again bills nothing new
    assert service.run_billing(ctx, APR_1).invoices == []


def test_late_usage_drawing_less_of_a_prepaid_block_gives_the_later_months_back_their_share(
    ctx: Ctx, world: World
) -> None:
    prepaid_sms(ctx, world, "latest")  # a meter: the month's last reading counts
    sms(ctx, world, "2026-01-05 12:00", "700")
    sms(ctx, world, "2026-02-05 12:00", "400")
    service.run_billing(ctx, MAR_1, finalize=True)
    # January 700 from the block: 0.00; February 300 from it + 100 × 0.10 = 10.00
    sms(ctx, world, "2026-01-20 12:00", "200", late=True)  # January's last reading: 200
    sms(ctx, world, "2026-03-05 12:00", "100")
    april = invoice_on(ctx, service.run_billing(ctx, APR_1, finalize=True), APR_1)
    # January again: 200 from the block: 0.00 (a 0.00 line records the smaller draw);
    # February again: 400 from the block (800 left): 0.00, 10.00 billed: −10.00;
    # March: 100 from the block (1,000 − 200 − 400 = 400 left): 0.00
    assert usage_of_invoice(ctx, april) == [
        (JAN_1, True, Decimal(0), Decimal("0.00")),
        (FEB_1, True, Decimal(-100), Decimal("-10.00")),
        (MAR_1, False, Decimal(0), Decimal("0.00")),
    ]
    sms(ctx, world, "2026-04-05 12:00", "500")
    may = invoice_on(ctx, service.run_billing(ctx, MAY_1), MAY_1)
    # April reads what each month draws now (200 + 400 + 100 = 700; not the most any rating
    # drew, 700 + 400 + 100): 300 left, 500 − 300 = 200 × 0.10 = 20.00
    assert usage_of_invoice(ctx, may) == [(APR_1, False, Decimal(200), Decimal("20.00"))]


def test_a_trigger_s_early_invoices_and_a_late_re_rating_of_a_prepaid_block_add_up(
    ctx: Ctx, world: World
) -> None:
    from tarif.billing.triggers import TriggerKind, UsageTrigger
    from tarif.invoicing.usage_progressive import bill_so_far

    contract_id = prepaid_sms(ctx, world)
    sms(ctx, world, "2026-01-05 12:00", "700")
    service.run_billing(ctx, FEB_1, finalize=True)  # January: 700 from the block: 0.00
    sms(ctx, world, "2026-02-05 12:00", "400")
    at_ten = UsageTrigger(TriggerKind.THRESHOLD, (Decimal(10),))
    early = bill_so_far(ctx, contract_id, "api-calls", date(2026, 2, 5), at_ten)
    # February so far: 300 from the block + 100 × 0.10 = 10.00, invoiced at once (p1)
    assert early is not None and early.invoice_id is not None
    assert service.get_invoice(ctx, early.invoice_id).net_total == Decimal("10.00")
    sms(ctx, world, "2026-02-20 12:00", "100")
    march = invoice_on(ctx, service.run_billing(ctx, MAR_1, finalize=True), MAR_1)
    # February's end: 300 from the block + 200 × 0.10 = 20.00, 10.00 invoiced early: +10.00
    assert usage_of_invoice(ctx, march) == [(FEB_1, False, Decimal(100), Decimal("10.00"))]
    sms(ctx, world, "2026-01-20 12:00", "300", late=True)
    sms(ctx, world, "2026-03-05 12:00", "50")
    april = invoice_on(ctx, service.run_billing(ctx, APR_1), APR_1)
    # January again: the whole block (0.00); February again: 500 × 0.10 = 50.00, 20.00
    # billed (early and at its end): +30.00; March 50 × 0.10 = 5.00
    assert usage_of_invoice(ctx, april) == [
        (JAN_1, True, Decimal(0), Decimal("0.00")),
        (FEB_1, True, Decimal(300), Decimal("30.00")),
        (MAR_1, False, Decimal(50), Decimal("5.00")),
    ]
    parts = sorted(
        x.usage_part
        for x in ctx.session.scalars(
            select(InvoiceLine).where(
                InvoiceLine.contract_id == contract_id, InvoiceLine.period_start == FEB_1
            )
        )
    )
    assert parts == ["p1|usage||1", "r2|usage||1", "r3|usage||1"]
    # 1,500 units, 1,000 prepaid: 500 × 0.10 = 50.00 = 10.00 + 10.00 + 30.00 (+ March's 5.00)
    assert service.run_billing(ctx, APR_1).invoices == []
