"""Current usage of a contract (service): the current period measured so far and priced by the
line's charge, on the seed case: 399.00 a month + 2 % of turnover + 0.25 per transaction.

The test clock reads 15 Jan 2026 (Europe/Paris), so "today" is 15 Jan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.errors import NotFound
from tarif.invoicing import service
from tarif.invoicing.current_usage import contract_usage
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.usage.models import UsageWatermark
from tests.contracts.conftest import World, other_ctx
from tests.invoicing.test_run_usage import TURNOVER, seed_contract
from tests.invoicing.usage_world import JANUARY, turnover

__all__ = ["other_ctx"]  # fixture


def amounts(ctx: Ctx, contract_id: str, as_of: date | None = None):  # type: ignore[no-untyped-def]
    view = contract_usage(ctx, contract_id, as_of=as_of)
    [line] = view.lines
    rated = [(r.kind.value, r.quantity, r.unit_price, r.net) for r in line.lines]
    return line, rated, view.total


def test_today_measures_the_month_so_far_including_today(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    turnover(ctx, world.customer.id, JANUARY)
    line, rated, total = amounts(ctx, contract_id)
    part = line.current
    assert (part.period.start, part.period.end) == (date(2026, 1, 1), date(2026, 2, 1))
    assert (part.measured.start, part.measured.end) == (date(2026, 1, 1), date(2026, 1, 16))
    assert line.metric is not None
    assert (line.metric.code, line.metric.aggregation.value) == ("turnover", "sum")
    # 3, 10 and 15 Jan: 100.00 + 250.00 + 50.00 = 400.00 in 3 transactions
    assert [(g.quantity, g.event_count) for g in line.groups] == [(Decimal("400"), 3)]
    assert line.event_count == 3
    # 2 % × 400.00 = 8.00; 3 × 0.25 = 0.75
    assert rated == [
        ("percentage", Decimal("400"), Decimal("0.02"), Decimal("8.00")),
        ("transaction_fee", Decimal("3"), Decimal("0.25"), Decimal("0.75")),
    ]
    assert (line.total, total) == (Decimal("8.75"), Decimal("8.75"))


def test_a_later_day_and_the_next_period(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    turnover(ctx, world.customer.id, JANUARY)
    # 31 Jan: all of January, 400.00 + 1,000.00 = 1,400.00 in 4 transactions:
    # 2 % = 28.00; 4 × 0.25 = 1.00
    line, rated, total = amounts(ctx, contract_id, date(2026, 1, 31))
    assert line.current.complete
    assert [r[3] for r in rated] == [Decimal("28.00"), Decimal("1.00")]
    assert total == Decimal("29.00")
    # 3 Feb: February measured [1 Feb, 4 Feb): 10.00 → 0.20 + 0.25 = 0.45
    line, rated, total = amounts(ctx, contract_id, date(2026, 2, 3))
    assert (line.current.measured.start, line.current.measured.end) == (
        date(2026, 2, 1),
        date(2026, 2, 4),
    )
    assert [r[3] for r in rated] == [Decimal("0.20"), Decimal("0.25")]
    assert total == Decimal("0.45")


def test_events_naming_another_contract_of_the_customer_go_to_it(ctx: Ctx, world: World) -> None:
    first = seed_contract(world)
    second = world.running(
        reference="C-2026-002",
        start_date="2026-01-01",
        billing_alignment="calendar",
        lines=[{"product_id": world.api_calls.id, "charge": TURNOVER}],
    ).id
    assert first < second  # the first contract counts the events naming none
    turnover(ctx, world.customer.id, JANUARY)
    turnover(ctx, world.customer.id, [("2026-01-05 12:00", "20.00")], contract_id=second)
    # another customer's turnover counts for neither
    stranger = customers.create_customer(ctx, {"legal_name": "Other SARL", "country": "FR"})
    turnover(ctx, stranger.id, [("2026-01-04 12:00", "5000.00")])
    # the first: 400.00 as before (the 20.00 names the second contract)
    assert amounts(ctx, first)[2] == Decimal("8.75")
    # the second: 20.00 → 2 % = 0.40 + 1 × 0.25 = 0.65
    line, rated, total = amounts(ctx, second)
    assert [(g.quantity, g.event_count) for g in line.groups] == [(Decimal("20"), 1)]
    assert [r[3] for r in rated] == [Decimal("0.40"), Decimal("0.25")]
    assert total == Decimal("0.65")


def test_nothing_is_written(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    turnover(ctx, world.customer.id, JANUARY)
    ctx.session.flush()

    def counts() -> tuple[int, int, int]:
        # this organization's rows: other tests write theirs meanwhile
        return tuple(  # type: ignore[return-value]
            ctx.session.scalar(
                select(func.count()).select_from(t).where(t.organization_id == ctx.organization_id)
            )
            for t in (Invoice, InvoiceLine, UsageWatermark)
        )

    before = counts()
    contract_usage(ctx, contract_id, as_of=date(2026, 1, 31))
    assert counts() == before == (0, 0, 0)
    assert not ctx.session.new and not ctx.session.dirty


def test_no_usage_line_and_unknown_or_foreign_contracts(
    other_ctx: Ctx, ctx: Ctx, world: World
) -> None:
    fixed_only = world.running(start_date="2026-01-01").id
    view = contract_usage(ctx, fixed_only)
    assert (view.lines, view.total) == ([], Decimal(0))
    with pytest.raises(NotFound):
        contract_usage(ctx, "ctr_missing")
    with pytest.raises(NotFound):
        contract_usage(other_ctx, fixed_only)


def test_the_current_amount_is_what_the_run_bills_for_the_whole_period(
    ctx: Ctx, world: World
) -> None:
    contract_id = seed_contract(world)
    turnover(ctx, world.customer.id, JANUARY)
    so_far = contract_usage(ctx, contract_id, as_of=date(2026, 1, 31)).total
    outcome = service.run_billing(ctx, date(2026, 2, 1))
    [february] = [d for d in outcome.invoices if d.key.billing_date == date(2026, 2, 1)]
    lines = service.invoice_lines(ctx, february.invoice_id or "")
    billed = sum((x.net_amount for x in lines if x.source == "usage"), Decimal(0))
    # 2 % × 1,400.00 = 28.00 + 4 × 0.25 = 1.00
    assert so_far == billed == Decimal("29.00")


def test_quantities_per_group_each_priced(ctx: Ctx, world: World) -> None:
    from tarif.usage import metric_service
    from tests.usage.factories import add_event

    metric_service.create_metric(
        ctx,
        {"code": "calls", "name": "API calls", "aggregation": "count", "group_by": ["region"]},
    )
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "0.01"}
    contract_id = world.running(
        start_date="2026-01-01",
        billing_alignment="calendar",
        lines=[{"product_id": world.api_calls.id, "charge": charge}],
    ).id
    for day, region in (
        ("02", "eu"),
        ("05", "eu"),
        ("09", "us"),
        ("11", "eu"),
        ("14", "us"),
        ("20", "eu"),
    ):
        add_event(
            ctx.session,
            ctx.organization_id,
            "calls",
            world.customer.id,
            f"2026-01-{day} 12:00",
            properties={"region": region},
        )
    [line] = contract_usage(ctx, contract_id).lines
    # through 15 Jan: eu 3 calls, us 2 (the 20 Jan call is later)
    assert [(dict(g.groups), g.quantity, g.event_count) for g in line.groups] == [
        ({"region": "eu"}, Decimal(3), 3),
        ({"region": "us"}, Decimal(2), 2),
    ]
    # 3 × 0.01 = 0.03 and 2 × 0.01 = 0.02, one line per group; 0.05 in all
    assert [(r.description, r.net) for r in line.lines] == [
        ("Api-Calls [region=eu]", Decimal("0.03")),
        ("Api-Calls [region=us]", Decimal("0.02")),
    ]
    assert line.total == Decimal("0.05")
