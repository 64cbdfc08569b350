"""Statement fixtures: the seed price (399.00 + 2 % + 0.25 per transaction) and a tiered one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tarif.context import Ctx
from tarif.invoicing import service
from tarif.usage import metric_service
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_run_usage import invoice_on, january_turnover, seed_contract
from tests.usage.factories import add_event

FEB_1 = date(2026, 2, 1)
JAN_1 = date(2026, 1, 1)
# Graduated: the first 100 calls at 0.10, the rest at 0.05.
TIERED = {
    "metric": "calls",
    "model": "graduated",
    "tiers": [{"up_to": "100", "unit_price": "0.10"}, {"up_to": None, "unit_price": "0.05"}],
}
# 150 calls: 5 Jan 50 in Paris + 20 in Lyon, 6 Jan 60 in Paris, 7 Jan 20 in Lyon.
CALLS = [("2026-01-05", "paris", 50), ("2026-01-05", "lyon", 20), ("2026-01-06", "paris", 60)]
CALLS += [("2026-01-07", "lyon", 20)]


@pytest.fixture
def world(ctx: Ctx) -> World:
    return build_world(ctx)


def seed_invoice(world: World) -> Any:
    """The seed case billed on 1 Feb 2026: its February invoice (January's usage)."""
    seed_contract(world)
    january_turnover(world)
    return invoice_on(world.ctx, service.run_billing(world.ctx, FEB_1), FEB_1)


def tiered_invoice(world: World) -> Any:
    """Hosting + graduated calls, 150 calls in January, billed on 1 Feb 2026."""
    ctx = world.ctx
    calls = {"code": "calls", "name": "API calls", "aggregation": "count"}
    metric_service.create_metric(ctx, calls)
    seed_contract(world, TIERED)
    for day, site, count in CALLS:
        for _ in range(count):
            add_event(
                ctx.session,
                ctx.organization_id,
                "calls",
                world.customer.id,
                f"{day} 10:00",
                properties={"site": site},
            )
    return invoice_on(ctx, service.run_billing(ctx, FEB_1), FEB_1)


def late_adjustment_invoice(world: World) -> Any:
    """The seed case, then 100.00 and 20.00 of January arriving late: the March invoice."""
    ctx = world.ctx
    seed_contract(world)
    january_turnover(world)
    service.run_billing(ctx, FEB_1, finalize=True)
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
    march = date(2026, 3, 1)
    return invoice_on(ctx, service.run_billing(ctx, march), march)
