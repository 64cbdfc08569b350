"""Three workers on one PostgreSQL database, a stream of events crossing thresholds: every
threshold invoice exists exactly once (the issue's acceptance test)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.invoicing import service as invoicing
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.jobs.worker import Worker
from tarif.triggers import service
from tarif.triggers.models import ThresholdCrossing
from tarif.usage.event_rules import parse_event
from tarif.usage.ingest import dumps, ingest
from tests.conftest import BACKEND
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import seed_contract
from tests.jobs.conftest import make_worker  # noqa: F401

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql", reason="several workers at once need PostgreSQL's row locks"
)
D = Decimal
LADDER = {"kind": "threshold", "thresholds": ["500", "1000"], "every": "1000"}
# (sales, amount): each wave spread over three days, so three jobs race on one rating
WAVES = [(120, "200.00"), (10, "100.00"), (300, "100.00"), (200, "250.00"), (5, "10.00")]


def send(engine: Engine, ctx: Ctx, clock: FixedClock, wave: int, count: int, amount: str) -> None:
    with session_factory(engine)() as session:
        sender = Ctx(session, ctx.organization_id, Actor.system("test"), clock)
        events = [
            parse_event(
                n,
                {
                    "transaction_id": f"w{wave}-{n}",
                    "contract": "C-2026-001",
                    "metric": "turnover",
                    "timestamp": f"2026-01-{2 + 3 * wave + n % 3:02d}T10:00:00Z",
                    "properties": {"amount": amount},
                },
                dumps,
            )
            for n in range(count)
        ]
        result = ingest(sender, events)
        assert all(o.status.value == "accepted" for o in result.outcomes)
        session.commit()


def test_three_workers_bill_each_threshold_once(
    ctx: Ctx,
    world: World,
    engine: Engine,
    clock: FixedClock,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    clock.advance(clock.now().date().replace(day=31) - clock.now().date())  # 31 Jan 2026
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", LADDER)
    ctx.session.commit()
    workers = [make_worker(f"w{i}") for i in range(3)]
    for wave, (count, amount) in enumerate(WAVES):
        send(engine, ctx, clock, wave, count, amount)
        threads = [threading.Thread(target=w.run_until_idle) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    # so far, after each wave (2 % of the sales + 0.25 each):
    # 1: 24,000.00 in 120 → 480.00 + 30.00 = 510.00, level 500 → invoice 510.00
    # 2: 25,000.00 in 130 → 532.50, still 500 → nothing
    # 3: 55,000.00 in 430 → 1,100.00 + 107.50 = 1,207.50, level 1,000 → 1,207.50 − 510.00 = 697.50
    # 4: 105,000.00 in 630 → 2,100.00 + 157.50 = 2,257.50, level 2,000
    #    → 2,257.50 − 1,207.50 = 1,050.00
    # 5: 105,050.00 in 635 → 2,259.75, still 2,000 → nothing
    with session_factory(engine)() as session:
        usage_invoices = select(Invoice.net_total).where(
            Invoice.organization_id == ctx.organization_id,
            Invoice.id.in_(select(InvoiceLine.invoice_id).where(InvoiceLine.source == "usage")),
        )
        assert sorted(session.scalars(usage_invoices)) == [D("510.00"), D("697.50"), D("1050.00")]
        levels = select(ThresholdCrossing.level).where(
            ThresholdCrossing.organization_id == ctx.organization_id
        )
        assert sorted(session.scalars(levels)) == [D(500), D(1000), D(2000)]
    # the period end bills the rest: 2,259.75 − 2,257.50 = 2.25, so January's usage adds up to
    # what period-end billing alone gives
    ctx.session.expire_all()
    outcome = invoicing.run_billing(ctx, date(2026, 2, 1))
    february = next(d for d in outcome.invoices if d.key.billing_date == date(2026, 2, 1))
    usage = [
        x.net_amount
        for x in invoicing.invoice_lines(ctx, february.invoice_id or "")
        if x.source == "usage"
    ]
    assert sum(usage, D(0)) == D("2.25")


def test_three_workers_make_one_item_and_one_invoice_per_event(
    ctx: Ctx,
    world: World,
    engine: Engine,
    clock: FixedClock,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    from tarif.triggers.items_models import UsageItem

    clock.advance(clock.now().date().replace(day=31) - clock.now().date())  # 31 Jan 2026
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "immediate"})
    ctx.session.commit()
    workers = [make_worker(f"w{i}") for i in range(3)]
    # three waves of 4 sales of 100.00, each spread over three days: three jobs race per wave
    for wave in range(3):
        send(engine, ctx, clock, wave, 4, "100.00")
        threads = [threading.Thread(target=w.run_until_idle) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    with session_factory(engine)() as session:
        items = session.scalars(
            select(UsageItem).where(UsageItem.organization_id == ctx.organization_id)
        ).all()
        # 12 sales, one item each, each 2 % × 100.00 + 0.25 = 2.25, each on its own invoice
        assert len(items) == len({i.event_id for i in items}) == 12
        assert {i.amount for i in items} == {D("2.25")}
        assert len({i.invoice_id for i in items}) == 12
        totals = select(Invoice.net_total).where(
            Invoice.organization_id == ctx.organization_id,
            Invoice.id.in_(select(InvoiceLine.invoice_id).where(InvoiceLine.source == "usage")),
        )
        assert sorted(session.scalars(totals)) == [D("2.25")] * 12
        # the period so far after the last item: 12 × 2.25 = 27.00
        assert max(i.period_amount for i in items) == D("27.00")
