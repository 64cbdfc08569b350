"""Two jobs checking the same alert at once on PostgreSQL: the level fires once, announced once.

The first check inserts the 80 % firing and keeps its transaction open; the second, which did
not see it, inserts the same level and waits on the unique index (seen in `pg_stat_activity`);
the first commits, the second's insert fails inside its savepoint: it fires nothing, emits
nothing, and commits.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.triggers import alerts_service as alerts
from tarif.triggers.alerts_models import UsageAlertFiring
from tarif.webhooks import service as webhooks
from tarif.webhooks.models import WebhookDelivery
from tests.conftest import BACKEND
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import seed_contract
from tests.triggers.test_billing import sales
from tests.triggers.test_concurrency import WAITING

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="SQLite has a single writer: two writers never overlap, so there is no race to test",
)


def count(ctx: Ctx, model: Any) -> int:
    stmt = (
        select(func.count()).select_from(model).where(model.organization_id == ctx.organization_id)
    )
    return int(ctx.session.scalar(stmt) or 0)


def test_one_level_checked_by_two_jobs_at_once_fires_once(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock
) -> None:
    contract_id = seed_contract(world)
    hook = {"url": "https://hooks.example/h", "event_types": ["usage.alert"]}
    webhooks.create_endpoint(ctx, hook)
    alerts.create_alert(ctx, contract_id, {"metric_code": "turnover", "limit": "1000"})
    sales(world, "2026-01-08", 100, "400.00")  # 800.00 + 25.00 = 825.00: the 80 % level
    ctx.session.commit()
    first_inserted, second_may_go, first_may_commit = (threading.Event() for _ in range(3))
    outcomes: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        with session_factory(engine)() as session:
            worker = Ctx(session, ctx.organization_id, Actor.system(name), clock)
            try:
                if name == "second":
                    second_may_go.wait(60)
                outcomes[name] = alerts.check_alerts(worker, [contract_id], date(2026, 1, 8))
                if name == "first":
                    first_inserted.set()
                    first_may_commit.wait(60)
                session.commit()
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)
                session.rollback()

    threads = {name: threading.Thread(target=run, args=(name,)) for name in ("first", "second")}
    for thread in threads.values():
        thread.start()
    assert first_inserted.wait(60)
    second_may_go.set()
    # Bounds are generous: each check prices the contract's usage, slow on a busy machine.
    with engine.connect() as watcher:
        for _ in range(1200):
            # (a second check that ended without waiting is reported by the asserts below)
            if watcher.execute(WAITING).scalar_one() > 0 or not threads["second"].is_alive():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second insert never waited on the first")
    first_may_commit.set()
    for thread in threads.values():
        thread.join(timeout=60)
    assert errors == []
    assert [f.firing.level for f in outcomes["first"]] == [80]
    assert outcomes["second"] == []
    ctx.session.expire_all()
    assert (count(ctx, UsageAlertFiring), count(ctx, WebhookDelivery)) == (1, 1)
