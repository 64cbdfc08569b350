"""Two billing runs recording the same threshold level at once on PostgreSQL: one row, and the
second run's transaction goes on.

The first run inserts the level and keeps its transaction open; the second inserts the same
level and waits on the unique index (seen in `pg_stat_activity`); the first commits, the second's
insert fails inside its savepoint: `record_crossing` answers None and the run records the next
level and commits.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from tarif.billing.triggers import Measure
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.triggers import service
from tarif.triggers.models import ThresholdCrossing
from tests.conftest import BACKEND
from tests.contracts.conftest import World
from tests.triggers.conftest import usage_contract

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="SQLite has a single writer: two writers never overlap, so there is no race to test",
)

WAITING = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def record(ctx: Ctx, contract_id: str, level: str) -> Any:
    return service.record_crossing(
        ctx,
        contract_id=contract_id,
        line_key="api-calls",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 2, 1),
        level=Decimal(level),
        measure=Measure.AMOUNT,
        value=Decimal("1010.00"),
    )


def test_the_same_level_recorded_by_two_runs_at_once(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock
) -> None:
    contract_id = usage_contract(world)
    ctx.session.commit()
    first_inserted, second_may_go, first_may_commit = (threading.Event() for _ in range(3))
    outcomes: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        with session_factory(engine)() as session:
            worker = Ctx(session, ctx.organization_id, Actor.system(name), clock)
            try:
                if name == "second":
                    second_may_go.wait(10)
                outcomes[name] = record(worker, contract_id, "1000")
                if name == "first":
                    first_inserted.set()
                    first_may_commit.wait(10)
                else:
                    outcomes["next"] = record(worker, contract_id, "500")
                session.commit()
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)
                session.rollback()

    threads = {name: threading.Thread(target=run, args=(name,)) for name in ("first", "second")}
    for thread in threads.values():
        thread.start()
    assert first_inserted.wait(10)
    second_may_go.set()
    # Wait (bounded) until the second insert is blocked on the first's uncommitted row; the
    # outcome below is checked either way (a second run that came later is refused at once).
    with engine.connect() as watcher:
        for _ in range(200):
            if watcher.execute(WAITING).scalar_one() > 0 or not threads["second"].is_alive():
                break
            time.sleep(0.05)
    first_may_commit.set()
    for thread in threads.values():
        thread.join(timeout=30)
    assert errors == []
    assert outcomes["first"] is not None and outcomes["second"] is None
    assert outcomes["next"] is not None  # the second run went on after the refused insert
    stmt = select(ThresholdCrossing.level, func.count()).where(
        ThresholdCrossing.organization_id == ctx.organization_id
    )
    rows = {
        level: count for level, count in ctx.session.execute(stmt.group_by(ThresholdCrossing.level))
    }
    assert rows == {Decimal(1000): 1, Decimal(500): 1}
