"""Event triggers: each accepted event valued at once as an item; one invoice per event when
immediate, the collection's invoice when daily.

The contract (tests.invoicing.test_run_usage.seed_contract) bills its `api-calls` line 2 % of
the turnover plus 0.25 a transaction (metric `turnover`, the sum of `amount`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.session import session_factory
from tarif.errors import InvalidInput
from tarif.invoicing import service as invoicing
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.jobs.models import Job
from tarif.jobs.service import enqueue
from tarif.jobs.worker import Worker
from tarif.triggers import billing, items, service
from tarif.triggers.items_models import UsageItem
from tarif.usage import metric_service, store
from tarif.usage.models import UnvaluedEvent
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import TURNOVER, seed_contract
from tests.jobs.conftest import make_worker  # noqa: F401
from tests.triggers.test_billing import sales
from tests.usage.factories import add_event

D = Decimal
# The trigger jobs alone: the invoices they finalize queue their PDFs' rendering too.
TRIGGERS = ("usage.triggers", "usage.collect")
IMMEDIATE = {"kind": "event", "cadence": "immediate"}
DAILY = {"kind": "event", "cadence": "daily"}


def items_of(engine: Engine, organization_id: str) -> list[UsageItem]:
    with session_factory(engine)() as session:
        stmt = select(UsageItem).where(UsageItem.organization_id == organization_id)
        return list(session.scalars(stmt.order_by(UsageItem.event_id)))


def post_sales(api: Any, amounts: list[str], prefix: str = "sale") -> None:
    events = [
        {
            "transaction_id": f"{prefix}-{n}",
            "contract": "C-2026-001",
            "metric": "turnover",
            "timestamp": "2026-01-14T10:00:00Z",
            "properties": {"amount": amount},
        }
        for n, amount in enumerate(amounts)
    ]
    answer = api.post("/v1/events/batch", json={"events": events})
    assert answer.status_code == 200, answer.text


def test_an_immediate_trigger_makes_one_invoice_per_event(
    ctx: Ctx,
    world: World,
    engine: Engine,
    api: Any,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", IMMEDIATE)
    ctx.session.commit()
    post_sales(api, ["200.00", "100.00", "50.00"])
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1  # one job for the batch
    items = items_of(engine, ctx.organization_id)
    # 2 % × 200.00 + 0.25 = 4.25; 2 % × 100.00 + 0.25 = 2.25; 2 % × 50.00 + 0.25 = 1.25
    assert [(i.quantity, i.amount, i.period_amount) for i in items] == [
        (D("200"), D("4.25"), D("4.25")),
        (D("100"), D("2.25"), D("6.50")),
        (D("50"), D("1.25"), D("7.75")),
    ]
    assert len({i.invoice_id for i in items}) == 3
    with session_factory(engine)() as session:
        totals = [session.get_one(Invoice, i.invoice_id).net_total for i in items]
        assert totals == [D("4.25"), D("2.25"), D("1.25")]
        assert all(session.get_one(Invoice, i.invoice_id).status == "finalized" for i in items)
    # the same events again: duplicates, no job, no item, no invoice
    post_sales(api, ["200.00", "100.00", "50.00"])
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 0
    assert len(items_of(engine, ctx.organization_id)) == 3


def test_the_period_end_bills_nothing_more_than_the_events_invoices(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", IMMEDIATE)
    sales(world, "2026-01-14", 2, "100.00")
    made = billing.bill_touched(ctx, world.customer.id, "turnover", date(2026, 1, 14))
    assert [b.so_far.measured for b in made] == [D("2.25"), D("4.50")]  # each event's rating
    sales(world, "2026-01-20", 1, "300.00")  # after the last job: the period end bills it
    outcome = invoicing.run_billing(ctx, date(2026, 2, 1))
    [february] = [d for d in outcome.invoices if d.key.billing_date == date(2026, 2, 1)]
    lines = invoicing.invoice_lines(ctx, february.invoice_id or "")
    usage = [(x.usage_part[:2], x.net_amount) for x in lines if x.source == "usage"]
    # all three: 2 % × 500.00 = 10.00 + 3 × 0.25 = 0.75; the events' invoices billed 4.00 + 0.50
    # the period end: 6.00 and 0.25 more
    # (revision 3: the two events' invoices were p1 and p2)
    assert usage == [("r3", D("6.00")), ("r3", D("0.25"))]


def test_an_immediate_job_run_twice_values_and_bills_each_event_once(
    ctx: Ctx, world: World
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", IMMEDIATE)
    sales(world, "2026-01-14", 1, "100.00")
    day = date(2026, 1, 14)
    assert len(billing.bill_touched(ctx, world.customer.id, "turnover", day)) == 1
    assert billing.bill_touched(ctx, world.customer.id, "turnover", day) == []
    count = select(InvoiceLine.invoice_id).where(
        InvoiceLine.organization_id == ctx.organization_id, InvoiceLine.source == "usage"
    )
    assert len(set(ctx.session.scalars(count))) == 1


def test_a_daily_trigger_values_each_event_then_the_collection_invoices_them(
    ctx: Ctx, world: World
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    sales(world, "2026-01-14", 2, "100.00")
    assert billing.bill_touched(ctx, world.customer.id, "turnover", date(2026, 1, 14)) == []
    mine = select(UsageItem).where(UsageItem.organization_id == ctx.organization_id)
    items = list(ctx.session.scalars(mine.order_by(UsageItem.event_id)))
    # each sale: 2 % × 100.00 + 0.25 = 2.25, not invoiced yet
    assert [(i.amount, i.invoice_id) for i in items] == [(D("2.25"), None), (D("2.25"), None)]
    [billed] = billing.collect(ctx, date(2026, 1, 15))
    ctx.session.expire_all()
    # the collection: 4.50 (through 14 Jan), and the items point at its invoice
    invoice = ctx.session.get_one(Invoice, billed.so_far.invoice_id)
    assert invoice.net_total == D("4.50")
    assert {i.invoice_id for i in ctx.session.scalars(mine)} == {invoice.id}
    # a sale after the last collection: its item waits for the period's end
    sales(world, "2026-01-20", 1, "50.00")
    billing.bill_touched(ctx, world.customer.id, "turnover", date(2026, 1, 20))
    outcome = invoicing.run_billing(ctx, date(2026, 2, 1))
    [february] = [d for d in outcome.invoices if d.key.billing_date == date(2026, 2, 1)]
    ctx.session.expire_all()
    last = ctx.session.scalars(mine.order_by(UsageItem.event_id.desc())).first()
    assert last is not None
    # 2 % × 50.00 + 0.25 = 1.25, billed and pointed at by the February invoice
    assert (last.amount, last.invoice_id) == (D("1.25"), february.invoice_id)
    lines = invoicing.invoice_lines(ctx, february.invoice_id or "")
    assert sum((x.net_amount for x in lines if x.source == "usage"), D(0)) == D("1.25")


def test_an_event_trigger_needs_a_metric_counting_or_summing_its_events(
    ctx: Ctx, world: World
) -> None:
    metric_service.create_metric(
        ctx, {"code": "seats", "name": "Seats", "aggregation": "max", "field": "seats"}
    )
    contract_id = seed_contract(
        world, charge={"metric": "seats", "model": "per_unit", "unit_price": "5.00"}
    )
    with pytest.raises(InvalidInput) as refused:
        service.set_trigger(ctx, contract_id, "api-calls", IMMEDIATE)
    [problem] = refused.value.errors
    assert (problem.field, problem.message) == (
        "kind",
        "an event trigger needs a metric that counts or sums its events; 'seats' is a max metric",
    )
    # a threshold on the same line is fine: it rates the period so far
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "threshold", "thresholds": ["10"]})


def test_batches_arriving_while_a_job_waits_join_it(
    ctx: Ctx,
    world: World,
    engine: Engine,
    api: Any,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    ctx.session.commit()
    post_sales(api, ["200.00"], prefix="first")
    post_sales(api, ["100.00"], prefix="second")  # the first batch's job is still queued
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1  # one job values both batches' events
    # 2 % × 200.00 + 0.25 = 4.25; 2 % × 100.00 + 0.25 = 2.25 (daily: not invoiced yet)
    items = items_of(engine, ctx.organization_id)
    assert [(i.amount, i.invoice_id) for i in items] == [(D("4.25"), None), (D("2.25"), None)]
    post_sales(api, ["50.00"], prefix="third")  # no job waiting any more: a new one
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    # 2 % × 50.00 + 0.25 = 1.25
    assert [i.amount for i in items_of(engine, ctx.organization_id)][-1] == D("1.25")


def second_customer_contract(world: World) -> tuple[str, str]:
    """Beta SARL's contract C-2026-002, billing `api-calls` like the first: (customer, contract)."""
    other = customers.create_customer(
        world.ctx, {"legal_name": "Beta SARL", "country": "FR", "external_id": "BETA"}
    )
    lines = [
        {"product_id": world.hosting.id},
        {"product_id": world.api_calls.id, "charge": TURNOVER},
    ]
    contract = world.running(
        customer_id=other.id,
        reference="C-2026-002",
        start_date="2026-01-01",
        billing_alignment="calendar",
        lines=lines,
    )
    return other.id, contract.id


def queued_rows(engine: Engine, organization_id: str) -> int:
    """How many events wait in the queue of unvalued events."""
    with session_factory(engine)() as session:
        stmt = select(func.count()).where(UnvaluedEvent.organization_id == organization_id)
        return int(session.scalar(stmt) or 0)


def two_daily_contracts(world: World) -> tuple[str, str, str]:
    """C-2026-001 (the world's customer) and C-2026-002 (Beta SARL), each `api-calls` line
    valued on event and collected daily, committed: (first contract, Beta's id, second)."""
    first = seed_contract(world)
    other, second = second_customer_contract(world)
    for contract_id in (first, second):
        service.set_trigger(world.ctx, contract_id, "api-calls", DAILY)
    world.ctx.session.commit()
    return first, other, second


def trigger_jobs(ctx: Ctx) -> Any:
    return select(Job).where(
        Job.organization_id == ctx.organization_id, Job.kind == billing.TRIGGER_JOB
    )


def sale(contract: str, transaction: str, amount: str) -> dict[str, Any]:
    return {
        "transaction_id": transaction,
        "contract": contract,
        "metric": "turnover",
        "timestamp": "2026-01-14T10:00:00Z",
        "properties": {"amount": amount},
    }


def test_one_job_values_the_events_of_every_customer_a_batch_touched(
    ctx: Ctx,
    world: World,
    engine: Engine,
    api: Any,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    first, other, second = two_daily_contracts(world)
    events = [
        sale("C-2026-001", "a-1", "200.00"),
        sale("C-2026-002", "b-1", "100.00"),
        sale("C-2026-002", "b-2", "50.00"),
    ]
    assert api.post("/v1/events/batch", json={"events": events}).status_code == 200
    with session_factory(engine)() as session:
        [job] = session.scalars(trigger_jobs(ctx))
        assert job.payload == {
            "metric": "turnover",
            "day": "2026-01-14",
            "customers": sorted([world.customer.id, other]),
        }
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    # 2 % × 200.00 + 0.25 = 4.25; 2 % × 100.00 + 0.25 = 2.25; 2 % × 50.00 + 0.25 = 1.25
    found = [(i.contract_id, i.amount) for i in items_of(engine, ctx.organization_id)]
    assert found == [(first, D("4.25")), (second, D("2.25")), (second, D("1.25"))]


def test_a_waiting_job_takes_the_customers_of_later_batches(
    ctx: Ctx,
    world: World,
    engine: Engine,
    api: Any,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    first, other, second = two_daily_contracts(world)
    batch = {"events": [sale("C-2026-001", "a-1", "200.00")]}
    assert api.post("/v1/events/batch", json=batch).status_code == 200
    batch = {"events": [sale("C-2026-002", "b-1", "100.00")]}
    assert api.post("/v1/events/batch", json=batch).status_code == 200
    with session_factory(engine)() as session:
        [job] = session.scalars(trigger_jobs(ctx))
        assert job.payload["customers"] == sorted([world.customer.id, other])
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    # 2 % × 200.00 + 0.25 = 4.25; 2 % × 100.00 + 0.25 = 2.25
    found = [(i.contract_id, i.amount) for i in items_of(engine, ctx.organization_id)]
    assert found == [(first, D("4.25")), (second, D("2.25"))]


def test_a_job_queued_for_one_customer_by_an_earlier_version_still_runs(
    ctx: Ctx,
    world: World,
    engine: Engine,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    sales(world, "2026-01-14", 1, "300.00")
    payload = {"customer_id": world.customer.id, "metric": "turnover", "day": "2026-01-14"}
    enqueue(ctx, billing.TRIGGER_JOB, payload)
    ctx.session.commit()
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    # 2 % × 300.00 + 0.25 = 6.25
    assert [i.amount for i in items_of(engine, ctx.organization_id)] == [D("6.25")]


def test_events_read_in_several_statements_are_valued_alike(
    ctx: Ctx, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one event per statement: the two events are read by two SELECTs
    monkeypatch.setattr(store, "IDS_PER_STATEMENT", 1)
    first, other, second = two_daily_contracts(world)
    sales(world, "2026-01-14", 1, "200.00")
    add_event(
        ctx.session,
        ctx.organization_id,
        "turnover",
        other,
        "2026-01-14 10:00",
        "80.00",
        properties={"amount": "80.00"},
        unvalued=True,
    )
    billing.bill_touched(ctx, [world.customer.id, other], "turnover", date(2026, 1, 14))
    ctx.session.commit()
    # 2 % × 200.00 + 0.25 = 4.25; 2 % × 80.00 + 0.25 = 1.85
    found = [(i.contract_id, i.amount) for i in items_of(engine, ctx.organization_id)]
    assert found == [(first, D("4.25")), (second, D("1.85"))]


def test_items_are_stored_exactly_whatever_their_text_holds(
    ctx: Ctx, world: World, engine: Engine
) -> None:
    # On PostgreSQL items are written by COPY: tabs, new lines and backslashes in a group's
    # value must come back as they were, amounts and instants exactly.
    contract_id = seed_contract(world)
    group_key = '[["region", "eu\\tnorth\\\\1\\nb"]]'
    accepted = datetime(2026, 1, 14, 10, 0, 0, 123456, tzinfo=UTC)
    row = (
        ctx.organization_id,
        contract_id,
        "api-calls",
        987654321,
        date(2026, 1, 14),
        date(2026, 1, 1),
        date(2026, 2, 1),
        group_key,
        "",
        2_500_000,
        D("1234.5"),
        D("1E+3"),
        D("0.25"),
        "EUR",
        accepted,
        accepted,
    )
    [item_id] = items._insert_items(ctx, [row])
    ctx.session.commit()
    [item] = items_of(engine, ctx.organization_id)
    assert item.id == item_id
    assert item.group_key == group_key
    assert (item.period_quantity, item.period_amount, item.amount) == (
        D("1234.5"),
        D("1000"),
        D("0.25"),
    )
    assert (item.quantity, item.accepted_at) == (D("2.5"), accepted)


def test_a_late_event_gets_no_item_and_is_billed_once_as_an_adjustment(
    ctx: Ctx,
    world: World,
    engine: Engine,
    api: Any,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    ctx.session.commit()
    post_sales(api, ["200.00"], prefix="on-time")
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    invoicing.run_billing(ctx, date(2026, 2, 1))  # January rated at its end
    ctx.session.commit()
    post_sales(api, ["100.00"], prefix="late")  # a January sale arriving after that
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    # the job took it off the queue but made no item: the usage rules bill it
    assert [i.amount for i in items_of(engine, ctx.organization_id)] == [D("4.25")]
    assert queued_rows(engine, ctx.organization_id) == 0
    outcome = invoicing.run_billing(ctx, date(2026, 3, 1))
    [march] = [d for d in outcome.invoices if d.key.billing_date == date(2026, 3, 1)]
    lines = invoicing.invoice_lines(ctx, march.invoice_id or "")
    usage = [(x.usage_part[:2], x.period_start, x.net_amount) for x in lines if x.source == "usage"]
    # January again, revision 2: 2 % × 100.00 = 2.00 and 0.25 for the late sale, once; then
    # February's own usage (no sale): 0.00 and 0.00
    assert usage == [
        ("r2", date(2026, 1, 1), D("2.00")),
        ("r2", date(2026, 1, 1), D("0.25")),
        ("r1", date(2026, 2, 1), D("0.00")),
        ("r1", date(2026, 2, 1), D("0.00")),
    ]
