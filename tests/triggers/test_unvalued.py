"""The queue of events waiting for their billable items (`usage_events_unvalued`): written by
the ingestion (HTTP and import) only when the organization has an event trigger, one row per
stored event (never for a duplicate), and emptied by the `usage.triggers` jobs, which take their
customers' rows whether a line counts them or not.

The contract (tests.invoicing.test_run_usage.seed_contract) bills its `api-calls` line 2 % of
the turnover plus 0.25 a transaction (metric `turnover`, the sum of `amount`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from tarif.context import Ctx
from tarif.db.session import session_factory
from tarif.jobs.worker import Worker
from tarif.triggers import billing, service
from tarif.usage.event_import import import_events
from tarif.usage.models import UnvaluedEvent, UsageEvent
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import seed_contract
from tests.jobs.conftest import make_worker  # noqa: F401
from tests.triggers.test_items import (
    TRIGGERS,
    items_of,
    post_sales,
    sale,
    second_customer_contract,
)

D = Decimal
DAILY = {"kind": "event", "cadence": "daily"}


def queued(engine: Engine, organization_id: str) -> list[tuple[int, str, str]]:
    """(event id, metric, day) of the queued rows, in event order."""
    with session_factory(engine)() as session:
        stmt = select(
            UnvaluedEvent.event_id, UnvaluedEvent.metric_code, UnvaluedEvent.local_date
        ).where(UnvaluedEvent.organization_id == organization_id)
        return [(i, m, d.isoformat()) for i, m, d in session.execute(stmt.order_by("event_id"))]


def stored_ids(engine: Engine, organization_id: str) -> list[int]:
    with session_factory(engine)() as session:
        stmt = select(UsageEvent.id).where(UsageEvent.organization_id == organization_id)
        return list(session.scalars(stmt.order_by(UsageEvent.id)))


def test_no_event_trigger_no_queue(ctx: Ctx, world: World, engine: Engine, api: Any) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "threshold", "thresholds": ["10"]})
    ctx.session.commit()
    assert not billing.watching(ctx).itemizes
    # a threshold trigger: events are watched (jobs after batches), not valued one by one
    assert billing.watching(ctx) == billing.Watching(itemizes=False, any=True)
    post_sales(api, ["200.00", "100.00"])
    assert len(stored_ids(engine, ctx.organization_id)) == 2
    assert queued(engine, ctx.organization_id) == []


def test_each_stored_event_is_queued_once_duplicates_never(
    ctx: Ctx, world: World, engine: Engine, api: Any
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", DAILY)
    ctx.session.commit()
    assert billing.watching(ctx).itemizes
    assert billing.watching(ctx) == billing.Watching(itemizes=True, any=True)
    post_sales(api, ["200.00", "100.00"])
    post_sales(api, ["200.00", "100.00", "50.00"])  # sale-0 and sale-1 again: duplicates
    ids = stored_ids(engine, ctx.organization_id)
    assert len(ids) == 3
    assert queued(engine, ctx.organization_id) == [(i, "turnover", "2026-01-14") for i in ids]


def test_an_import_queues_the_events_it_stores(
    ctx: Ctx, world: World, engine: Engine, tmp_path: Path
) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", DAILY)
    path = tmp_path / "sales.jsonl"
    rows = [sale("C-2026-001", f"imported-{n}", "10.00") for n in range(3)]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    assert import_events(ctx, path).accepted == 3
    assert import_events(ctx, path).accepted == 0  # the same file again: duplicates
    ctx.session.commit()
    ids = stored_ids(engine, ctx.organization_id)
    assert queued(engine, ctx.organization_id) == [(i, "turnover", "2026-01-14") for i in ids]


def test_the_job_empties_the_queue_of_customers_no_event_trigger_bills(
    ctx: Ctx,
    world: World,
    engine: Engine,
    api: Any,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    first = seed_contract(world)
    second_customer_contract(world)  # C-2026-002: no trigger
    service.set_trigger(ctx, first, "api-calls", DAILY)  # only the first contract's line
    ctx.session.commit()
    events = [sale("C-2026-001", "a-1", "200.00"), sale("C-2026-002", "b-1", "100.00")]
    assert api.post("/v1/events/batch", json={"events": events}).status_code == 200
    assert len(queued(engine, ctx.organization_id)) == 2  # both customers' events
    assert make_worker(kinds=TRIGGERS).run_until_idle() == 1
    assert queued(engine, ctx.organization_id) == []  # taken, though no line values b-1
    # 2 % × 200.00 + 0.25 = 4.25, for the first contract only
    found = [(i.contract_id, i.amount) for i in items_of(engine, ctx.organization_id)]
    assert found == [(first, D("4.25"))]
