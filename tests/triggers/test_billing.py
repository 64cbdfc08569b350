"""Triggers at work through the job worker: thresholds after events, collected event billing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.db.session import session_factory
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.jobs.models import Job
from tarif.jobs.worker import Worker
from tarif.triggers import billing, service
from tarif.triggers.models import ThresholdCrossing
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import seed_contract
from tests.jobs.conftest import make_worker  # noqa: F401
from tests.usage.factories import add_event

D = Decimal
# The trigger jobs alone: the invoices they finalize queue their PDFs' rendering too.
TRIGGERS = ("usage.triggers", "usage.collect")
LADDER = {"kind": "threshold", "thresholds": ["500", "1000"], "every": "1000"}


def sales(world: World, day: str, count: int, amount: str) -> None:
    """`count` sales of `amount` on `day`, queued for valuation as the ingestion queues them
    when a line has an event trigger."""
    for _ in range(count):
        add_event(
            world.ctx.session,
            world.ctx.organization_id,
            "turnover",
            world.customer.id,
            f"{day} 12:00",
            amount,
            properties={"amount": amount},
            unvalued=True,
        )


def usage_invoices(engine: Engine, organization_id: str) -> list[tuple[date, Decimal]]:
    with session_factory(engine)() as session:
        stmt = (
            select(Invoice.billing_date, Invoice.net_total)
            .where(
                Invoice.organization_id == organization_id,
                Invoice.id.in_(select(InvoiceLine.invoice_id).where(InvoiceLine.source == "usage")),
            )
            .order_by(Invoice.billing_date)
        )
        return [(day, net) for day, net in session.execute(stmt)]


def test_a_threshold_crossed_by_ingested_events_is_invoiced_by_the_worker(
    ctx: Ctx,
    world: World,
    engine: Engine,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", LADDER)
    sales(world, "2026-01-08", 120, "200.00")  # 24,000.00 in 120 transactions
    billing.queue_after_events(ctx, {(world.customer.id, "turnover", date(2026, 1, 8))})
    ctx.session.commit()
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    # 2 % × 24,000.00 = 480.00 + 120 × 0.25 = 30.00 → 510.00: the 500 level, invoiced
    assert usage_invoices(engine, ctx.organization_id) == [(date(2026, 1, 8), D("510.00"))]
    ctx.session.expire_all()
    [crossing] = ctx.session.scalars(
        select(ThresholdCrossing).where(ThresholdCrossing.organization_id == ctx.organization_id)
    )
    assert (crossing.level, crossing.value, crossing.period_start) == (
        D(500),
        D("510.00"),
        date(2026, 1, 1),
    )
    # more events below the next level (1,000): a job runs, nothing is invoiced
    sales(world, "2026-01-09", 10, "100.00")  # + 20.00 + 2.50 → 532.50
    billing.queue_after_events(ctx, {(world.customer.id, "turnover", date(2026, 1, 9))})
    ctx.session.commit()
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    assert len(usage_invoices(engine, ctx.organization_id)) == 1


def test_no_job_without_a_trigger(ctx: Ctx, world: World) -> None:
    seed_contract(world)
    billing.queue_after_events(ctx, {(world.customer.id, "turnover", date(2026, 1, 8))})
    jobs = select(func.count()).select_from(Job).where(Job.organization_id == ctx.organization_id)
    assert ctx.session.scalar(jobs) == 0


def test_daily_collection_bills_the_day_before_and_queues_the_next_day(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    sales(world, "2026-01-14", 2, "100.00")
    sales(world, "2026-01-15", 1, "100.00")  # the collection day itself: next time
    made = billing.collect(ctx, date(2026, 1, 15))
    [billed] = made
    # through 14 Jan: 2 % × 200.00 = 4.00 + 2 × 0.25 = 0.50 → 4.50
    invoice = ctx.session.get_one(Invoice, billed.so_far.invoice_id)
    assert (invoice.billing_date, invoice.net_total) == (date(2026, 1, 14), D("4.50"))
    [next_day] = billing.collect(ctx, date(2026, 1, 16))
    # 15 Jan's sale: 2.00 + 0.25
    assert ctx.session.get_one(Invoice, next_day.so_far.invoice_id).net_total == D("2.25")
    assert billing.collect(ctx, date(2026, 1, 16)) == []
    billing.queue_collection(ctx, date(2026, 1, 17))
    billing.queue_collection(ctx, date(2026, 1, 17))  # once per day
    jobs = ctx.session.scalars(
        select(Job)
        .where(Job.organization_id == ctx.organization_id, Job.kind == "usage.collect")
        .order_by(Job.run_after)
    ).all()
    # the one setting the trigger queued (16 Jan), then the 17th's
    assert [(j.kind, j.payload["day"]) for j in jobs] == [
        ("usage.collect", "2026-01-16"),
        ("usage.collect", "2026-01-17"),
    ]
    job = jobs[-1]
    assert job.run_after > clock.now() + timedelta(hours=1)  # due at the day's start


def test_events_sent_over_http_queue_the_trigger_job_and_the_worker_invoices(
    ctx: Ctx,
    world: World,
    engine: Engine,
    api: Any,
    clock: FixedClock,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", LADDER)
    ctx.session.commit()
    events = [
        {
            "transaction_id": f"sale-{n}",
            "contract": "C-2026-001",
            "metric": "turnover",
            "timestamp": "2026-01-14T10:00:00Z",
            "properties": {"amount": "200.00"},
        }
        for n in range(120)
    ]
    answer = api.post("/v1/events/batch", json={"events": events})
    assert answer.status_code == 200 and answer.json()["accepted"] == 120, answer.text
    with session_factory(engine)() as session:
        [job] = session.scalars(select(Job).where(Job.organization_id == ctx.organization_id))
        assert (job.kind, job.payload["day"]) == ("usage.triggers", "2026-01-14")
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    # 2 % × 24,000.00 + 120 × 0.25 = 510.00: the 500 level
    assert usage_invoices(engine, ctx.organization_id) == [(date(2026, 1, 14), D("510.00"))]


def test_a_collecting_trigger_queues_tomorrows_collection(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "weekly"})
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    [job] = ctx.session.scalars(select(Job).where(Job.organization_id == ctx.organization_id))
    # today is 15 Jan 2026 (the test clock): tomorrow's collection, queued once
    assert (job.kind, job.payload) == ("usage.collect", {"day": "2026-01-16"})


def test_a_crossing_is_announced_to_webhook_endpoints(ctx: Ctx, world: World) -> None:
    import json

    from tarif.webhooks import service as webhooks
    from tarif.webhooks.models import WebhookDelivery

    webhooks.create_endpoint(
        ctx, {"url": "https://erp.example/hooks", "event_types": ["usage.threshold_crossed"]}
    )
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", LADDER)
    sales(world, "2026-01-08", 120, "200.00")
    [billed] = billing.bill_touched(ctx, world.customer.id, "turnover", date(2026, 1, 8))
    ctx.session.flush()
    [delivery] = ctx.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.organization_id == ctx.organization_id)
    )
    data = json.loads(delivery.body)["data"]
    # 510.00 so far reached the 500 level
    assert (data["contract_id"], data["level"], data["value"], data["invoice_id"]) == (
        contract_id,
        "500",
        "510.00",
        billed.so_far.invoice_id,
    )
    assert (data["period_start"], data["period_end"]) == ("2026-01-01", "2026-02-01")
