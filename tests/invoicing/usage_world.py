"""The seed contract's January turnover for the current-usage tests, written in the test
organization's own committed unit of work (API, CLI and pages read it from another session).

Contract: 399.00 a month + 2 % of turnover + 0.25 per transaction, from 1 Jan 2026, calendar.
"""

from __future__ import annotations

from tarif.context import Ctx
from tests.contracts.conftest import build_world
from tests.invoicing.test_run_usage import seed_contract
from tests.usage.factories import add_event

# (day, amount, contract named or None): the customer's turnover around January 2026
JANUARY = [
    ("2025-12-31 12:00", "999.00"),  # December: another period
    ("2026-01-03 12:00", "100.00"),
    ("2026-01-10 12:00", "250.00"),
    ("2026-01-15 08:00", "50.00"),  # the test clock's day, counted as of 15 Jan
    ("2026-01-16 12:00", "1000.00"),  # after 15 Jan
    ("2026-02-02 12:00", "10.00"),  # February
]


def turnover(ctx: Ctx, customer_id: str, rows: list[tuple[str, str]], **fields: object) -> None:
    for when, amount in rows:
        add_event(
            ctx.session,
            ctx.organization_id,
            "turnover",
            customer_id,
            when,
            amount,
            properties={"amount": amount},
            **fields,  # type: ignore[arg-type]
        )


def seed_with_turnover(ctx: Ctx) -> str:
    """The seed contract (running) and its customer's turnover; returns the contract's id."""
    world = build_world(ctx)
    contract_id = seed_contract(world)
    turnover(ctx, world.customer.id, JANUARY)
    return contract_id
