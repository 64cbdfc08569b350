"""Each charge model through a real billing run: events stored, measured in SQL, priced, put on
the invoice of the period's end. Contracts run from 1 Jan 2026, calendar-aligned, monthly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.term import TerminationMode
from tarif.invoicing import service
from tarif.usage import metric_service
from tests.contracts.conftest import World
from tests.contracts.test_service_amendments import amend
from tests.usage.factories import add_event

FEB_1, MAR_1, APR_1 = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)


def metric(ctx: Ctx, code: str, aggregation: str = "sum", **fields: Any) -> None:
    values = {"code": code, "name": code.title(), "aggregation": aggregation}
    if aggregation != "count":
        values["field"] = "value"
    metric_service.create_metric(ctx, values | fields)


def usage_only(world: World, charge: dict[str, Any], **fields: Any) -> str:
    """A contract with one usage line priced by `charge`, from 1 Jan 2026."""
    lines = [{"product_id": world.api_calls.id, "charge": charge}]
    values = {"start_date": "2026-01-01", "billing_alignment": "calendar", "lines": lines}
    return world.running(**(values | fields)).id


def events(
    world: World, code: str, day: str, values: list[str], properties: dict[str, str] | None = None
) -> None:
    for value in values:
        add_event(
            world.ctx.session,
            world.ctx.organization_id,
            code,
            world.customer.id,
            f"{day} 12:00",
            value,
            properties={"value": value} | (properties or {}),
        )


def usage_lines(ctx: Ctx, day: date) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    outcome = service.run_billing(ctx, day)
    result = []
    for draft in outcome.invoices:
        for line in service.invoice_lines(ctx, draft.invoice_id or ""):
            if line.source == "usage":
                result.append((line.description, line.quantity, line.unit_price, line.net_amount))
    return result


def test_graduated_tiers_with_a_flat_fee(ctx: Ctx, world: World) -> None:
    metric(ctx, "calls", "count")
    charge = {
        "metric": "calls",
        "model": "graduated",
        "description": "API calls",
        "tiers": [
            {"up_to": "1000", "unit_price": "0.01"},
            {"up_to": None, "unit_price": "0.005", "flat_fee": "5"},
        ],
    }
    usage_only(world, charge)
    events(world, "calls", "2026-01-10", ["1"] * 1500)
    # 1,000 × 0.01 = 10.00; 500 × 0.005 = 2.50; tier 2 reached: flat fee 5.00
    assert usage_lines(ctx, FEB_1) == [
        ("API calls — tier 1", Decimal(1000), Decimal("0.01"), Decimal("10.00")),
        ("API calls — tier 2", Decimal(500), Decimal("0.005"), Decimal("2.50")),
        ("API calls — tier 2 flat fee", Decimal(1), Decimal(5), Decimal("5.00")),
    ]


def test_group_prices_per_region(ctx: Ctx, world: World) -> None:
    metric(ctx, "storage", group_by=["region"])
    charge = {
        "metric": "storage",
        "model": "per_unit",
        "description": "Storage",
        "unit_price": "0.10",
        "group_prices": [{"group": {"region": "us"}, "unit_price": "0.20"}],
    }
    usage_only(world, charge)
    events(world, "storage", "2026-01-05", ["60", "40"], properties={"region": "eu"})
    events(world, "storage", "2026-01-06", ["50"], properties={"region": "us"})
    # eu: (60 + 40) × 0.10 = 10.00; us: 50 × 0.20 (its group price) = 10.00
    assert usage_lines(ctx, FEB_1) == [
        ("Storage [region=eu]", Decimal(100), Decimal("0.10"), Decimal("10.00")),
        ("Storage [region=us]", Decimal(50), Decimal("0.20"), Decimal("10.00")),
    ]


def test_prepaid_units_are_drawn_down_period_after_period(ctx: Ctx, world: World) -> None:
    metric(ctx, "sms", "count")
    charge = {
        "metric": "sms",
        "model": "per_unit",
        "description": "SMS",
        "unit_price": "0.01",
        "prepaid_units": "1000",
    }
    usage_only(world, charge)
    events(world, "sms", "2026-01-10", ["1"] * 600)
    events(world, "sms", "2026-02-10", ["1"] * 700)
    events(world, "sms", "2026-03-10", ["1"] * 100)
    # January: 600 of the 1,000 prepaid → 0 billed
    assert usage_lines(ctx, FEB_1) == [("SMS", Decimal(0), Decimal("0.01"), Decimal("0.00"))]
    # February: 400 prepaid left, 700 − 400 = 300 × 0.01 = 3.00
    assert usage_lines(ctx, MAR_1) == [("SMS", Decimal(300), Decimal("0.01"), Decimal("3.00"))]
    # March: nothing prepaid left, 100 × 0.01 = 1.00
    assert usage_lines(ctx, APR_1) == [("SMS", Decimal(100), Decimal("0.01"), Decimal("1.00"))]


def test_percentage_with_per_transaction_minimum_and_maximum_fees(ctx: Ctx, world: World) -> None:
    metric(ctx, "payments")
    charge = {
        "metric": "payments",
        "model": "percentage",
        "description": "Card payments",
        "rate": "2",
        "fixed_fee": "0.25",
        "min_fee": "0.50",
        "max_fee": "5.00",
    }
    usage_only(world, charge)
    events(world, "payments", "2026-01-10", ["5.00"] * 10)  # fee 0.35 each → minimum 0.50
    events(world, "payments", "2026-01-11", ["100.00"] * 10)  # fee 2.25 each, within bounds
    events(world, "payments", "2026-01-12", ["1000.00"] * 5)  # fee 20.25 each → maximum 5.00
    # within bounds: 2 % × 1,000.00 = 20.00 and 10 × 0.25 = 2.50;
    # 10 × 0.50 = 5.00 at the minimum; 5 × 5.00 = 25.00 at the maximum; 52.50 in all
    assert usage_lines(ctx, FEB_1) == [
        ("Card payments — 2 % of 1000", Decimal(1000), Decimal("0.02"), Decimal("20.00")),
        ("Card payments — 0.25 per transaction", Decimal(10), Decimal("0.25"), Decimal("2.50")),
        (
            "Card payments — transactions at the minimum fee 0.50",
            Decimal(10),
            Decimal("0.50"),
            Decimal("5.00"),
        ),
        (
            "Card payments — transactions at the maximum fee 5.00",
            Decimal(5),
            Decimal("5.00"),
            Decimal("25.00"),
        ),
    ]


def test_a_minimum_spend_tops_up_the_period(ctx: Ctx, world: World) -> None:
    metric(ctx, "calls", "count")
    charge = {
        "metric": "calls",
        "model": "per_unit",
        "description": "Calls",
        "unit_price": "0.01",
        "minimum_spend": "10",
    }
    usage_only(world, charge)
    events(world, "calls", "2026-01-10", ["1"] * 300)
    [calls, top_up] = usage_lines(ctx, FEB_1)
    # 300 × 0.01 = 3.00, below the minimum 10.00: top-up 10.00 − 3.00 = 7.00
    assert calls == ("Calls", Decimal(300), Decimal("0.01"), Decimal("3.00"))
    assert top_up[3] == Decimal("7.00")


def test_a_termination_bills_the_last_part_period_on_the_end_day(ctx: Ctx, world: World) -> None:
    metric(ctx, "calls", "count")
    charge = {"metric": "calls", "model": "per_unit", "description": "Calls", "unit_price": "0.1"}
    contract_id = usage_only(world, charge)
    events(world, "calls", "2026-01-05", ["1"] * 10)
    events(world, "calls", "2026-01-20", ["1"] * 7)  # after the end: not this contract's
    contracts.terminate(
        ctx, contract_id, mode=TerminationMode.ON_DATE, on=date(2026, 1, 15), forced=True
    )
    outcome = service.run_billing(ctx, date(2026, 1, 16))
    [draft] = outcome.invoices
    [line] = service.invoice_lines(ctx, draft.invoice_id or "")
    # terminated on 15 Jan (its first day without service): [1 Jan, 15 Jan) is due on
    # 15 Jan, 10 × 0.10 = 1.00
    assert (line.period_start, line.period_end, line.due_on) == (
        date(2026, 1, 1),
        date(2026, 1, 15),
        date(2026, 1, 15),
    )
    assert (line.quantity, line.net_amount) == (Decimal(10), Decimal("1.00"))
    assert service.run_billing(ctx, FEB_1).invoices == []


def test_a_charge_changed_mid_period_prices_each_part_with_its_own(ctx: Ctx, world: World) -> None:
    metric(ctx, "calls", "count")
    charge = {"metric": "calls", "model": "per_unit", "description": "Calls", "unit_price": "0.10"}
    contract_id = usage_only(world, charge)
    events(world, "calls", "2026-01-05", ["1"] * 10)
    events(world, "calls", "2026-01-25", ["1"] * 20)
    contract = contracts.get_contract(ctx, contract_id)
    cheaper = charge | {"unit_price": "0.05"}
    amend(
        world,
        contract,
        "2026-01-20",
        {"type": "change_charge", "line_key": "api-calls", "charge": cheaper},
        schedule=True,
    )
    outcome = service.run_billing(ctx, FEB_1)
    [draft] = outcome.invoices
    lines = service.invoice_lines(ctx, draft.invoice_id or "")
    # [1 Jan, 20 Jan): 10 × 0.10 = 1.00; [20 Jan, 1 Feb): 20 × 0.05 = 1.00; both due 1 Feb
    assert [(x.period_start, x.period_end, x.quantity, x.net_amount) for x in lines] == [
        (date(2026, 1, 1), date(2026, 1, 20), Decimal(10), Decimal("1.00")),
        (date(2026, 1, 20), FEB_1, Decimal(20), Decimal("1.00")),
    ]
    assert [x.contract_version for x in lines] == [1, 2]


def test_events_naming_no_contract_count_for_the_customers_first_contract(
    ctx: Ctx, world: World
) -> None:
    metric(ctx, "calls", "count")
    charge = {"metric": "calls", "model": "per_unit", "description": "Calls", "unit_price": "1"}
    first, second = sorted(
        [usage_only(world, charge), usage_only(world, charge, reference="C-2026-002")]
    )
    for contract_id, count in ((None, 5), (second, 3), (first, 2)):
        for _ in range(count):
            add_event(
                ctx.session,
                ctx.organization_id,
                "calls",
                world.customer.id,
                "2026-01-10 12:00",
                "1",
                contract_id=contract_id,
            )
    outcome = service.run_billing(ctx, FEB_1)
    billed = {
        line.contract_id: line.quantity
        for draft in outcome.invoices
        for line in service.invoice_lines(ctx, draft.invoice_id or "")
    }
    # the first contract: 5 naming none + 2 naming it = 7; the second: the 3 naming it
    assert billed == {first: Decimal(7), second: Decimal(3)}
