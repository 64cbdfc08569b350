"""The same batch sent three times at once: every event is stored once.

A barrier holds the three requests after their checks, just before their INSERTs, so all three
write the same keys at the same time: only the unique constraint (`ON CONFLICT DO NOTHING`)
can keep the second and third out. They wait for the first's row locks, then skip its keys,
and `RETURNING` tells each request which events were its own.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.usage.event_rules import Status, parse_event
from tarif.usage.ingest import dumps, ingest
from tarif.usage.ingest_store import PostgresEventWriter
from tarif.usage.models import UsageEvent
from tests.conftest import BACKEND, Tenant
from tests.usage.ingest_helpers import event, seed


@pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="SQLite has a single writer: the barrier would hold the second writer forever",
)
def test_the_same_batch_three_times_at_once_is_stored_once(
    engine: Engine, clock: FixedClock, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine, clock, tenant.id)
    events = [event(f"t{i}") for i in range(300)] + [event("t7")]  # and a repeat inside
    barrier = threading.Barrier(3, timeout=20)
    real_insert = PostgresEventWriter.insert

    def wait_then_insert(self: PostgresEventWriter, *args: Any) -> Any:
        barrier.wait()  # all three have checked the batch; none has written
        return real_insert(self, *args)

    monkeypatch.setattr(PostgresEventWriter, "insert", wait_then_insert)
    outcomes: list[Counter[Status]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with session_factory(engine)() as session:
                ctx = Ctx(session, tenant.id, Actor.system("sender"), clock)
                parsed = [parse_event(i, e, dumps) for i, e in enumerate(events)]
                result = ingest(ctx, parsed)
                session.commit()
                outcomes.append(Counter(o.status for o in result.outcomes))
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    accepted = sorted(c[Status.ACCEPTED] for c in outcomes)
    duplicates = sorted(c[Status.DUPLICATE] for c in outcomes)
    # 300 distinct keys: one request stores them all... or they share them; either way the
    # three together accepted each key exactly once: 300 in total, and 301 × 3 − 300 = 603
    # duplicates (each request's own repeat of t7 included).
    assert sum(accepted) == 300
    assert sum(duplicates) == 603
    with session_factory(engine)() as session:
        stored = session.scalar(
            select(func.count(func.distinct(UsageEvent.transaction_id)))
            .select_from(UsageEvent)
            .where(UsageEvent.organization_id == tenant.id)
        )
        rows = session.scalar(
            select(func.count())
            .select_from(UsageEvent)
            .where(UsageEvent.organization_id == tenant.id)
        )
    assert (stored, rows) == (300, 300)


def test_three_http_requests_at_once(
    app: Any, engine: Engine, clock: FixedClock, tenant: Tenant
) -> None:
    """Through the API, with real threads: the answers add up and nothing is stored twice. On
    SQLite too: each batch takes the single writer's lock before its reads, so none is
    refused with "database is locked"."""
    from fastapi.testclient import TestClient

    seed(engine, clock, tenant.id)
    body = {"events": [event(f"h{i}") for i in range(500)]}
    with TestClient(app) as client:
        # The key's first use writes its `last_used_at` (once a minute, in its own short
        # transaction): done before, so the three requests race on the events alone.
        assert client.get("/v1/events", headers=tenant.headers).status_code == 200
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with TestClient(app) as client:
                response = client.post("/v1/events/batch", json=body, headers=tenant.headers)
                assert response.status_code == 200, response.text
                answers.append(response.json())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(a["accepted"] for a in answers) == 500  # each key once
    assert sum(a["duplicates"] for a in answers) == 1000  # 3 × 500 − 500
    with session_factory(engine)() as session:
        rows = session.scalar(
            select(func.count())
            .select_from(UsageEvent)
            .where(UsageEvent.organization_id == tenant.id)
        )
    assert rows == 500
