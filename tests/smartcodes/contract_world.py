"""A contract whose usage line is priced per call minute, its customer's stored call events of
January 2026, and two SmartCodes to dry-run against them (written in the caller's unit of
work).

Events (the stored `value` is what an older valuation gave at ingestion):
- 5 Jan duration 61 s (stored 1.5), 12 Jan 120 s (stored 2), 20 Jan 5 s (stored 0.5),
  25 Jan without a duration (stored 0): the contract's January;
- 2 Feb 300 s: February; another customer's 9 Jan 600 s: not the contract's.
"""

from __future__ import annotations

from dataclasses import dataclass

from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.smartcodes import service as smartcodes
from tarif.smartcodes.demo import BILLABLE_MINUTES
from tarif.usage import metric_service
from tests.contracts.conftest import World, build_world
from tests.usage.factories import add_event

PER_MINUTE = {"metric": "minutes", "model": "per_unit", "unit_price": "0.10"}
QUOTE = """\
def price(usage, contract):
    start, end = usage.period
    text = f"{contract.reference} {start}..{end}: {usage.quantity} min, {usage.event_count} calls"
    return [{"description": text, "quantity": usage.quantity, "unit_price": "0.10"}]
"""


@dataclass
class Calls:
    contract_id: str
    reference: str
    valuation_id: str
    pricing_id: str
    world: World


def calls_world(ctx: Ctx) -> Calls:
    world = build_world(ctx)
    valuation, _ = smartcodes.create_smartcode(
        ctx, {"code": "billable_minutes", "kind": "valuation", "source": BILLABLE_MINUTES}
    )
    pricing, _ = smartcodes.create_smartcode(
        ctx, {"code": "quote_minutes", "kind": "pricing", "source": QUOTE}
    )
    metric = metric_service.create_metric(
        ctx, {"code": "minutes", "name": "Call minutes", "aggregation": "sum", "field": "minutes"}
    )
    metric.valuation_smartcode_id = valuation.id  # as set when the metric is valued by it
    contract = world.running(
        start_date="2026-01-01",
        billing_alignment="calendar",
        lines=[
            {"product_id": world.hosting.id},
            {"product_id": world.api_calls.id, "charge": PER_MINUTE},
        ],
    )
    customer = world.customer.id
    for when, props, stored in (
        ("2026-01-05 10:00", {"duration": 61}, "1.5"),
        ("2026-01-12 10:00", {"duration": 120}, "2"),
        ("2026-01-20 10:00", {"duration": 5}, "0.5"),
        ("2026-01-25 10:00", {}, "0"),
        ("2026-02-02 10:00", {"duration": 300}, "5"),
    ):
        add_event(
            ctx.session, ctx.organization_id, "minutes", customer, when, stored, properties=props
        )
    stranger = customers.create_customer(ctx, {"legal_name": "Other SARL", "country": "FR"})
    add_event(
        ctx.session,
        ctx.organization_id,
        "minutes",
        stranger.id,
        "2026-01-09 10:00",
        "10",
        properties={"duration": 600},
    )
    ctx.session.flush()
    return Calls(contract.id, contract.reference, valuation.id, pricing.id, world)
