"""Test handlers registered under kinds of their own, and a worker for the test's organization."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.db.session import session_factory
from tarif.jobs.models import Job
from tarif.jobs.registry import HANDLERS, handler
from tarif.jobs.worker import Worker
from tests.conftest import Tenant

RUNS: Counter[str] = Counter()
_lock = threading.Lock()
FAILURES: dict[str, int] = {}  # job id → failures left before it succeeds


@handler("test.count")
def count(ctx: Ctx, job: Job) -> None:
    with _lock:
        RUNS[job.id] += 1


@handler("test.flaky")
def flaky(ctx: Ctx, job: Job) -> None:
    left = FAILURES.get(job.id, 0)
    if left:
        FAILURES[job.id] = left - 1
        raise RuntimeError(f"failing on purpose ({left} left)")
    RUNS[job.id] += 1


assert "test.count" in HANDLERS


@pytest.fixture
def make_worker(engine: Engine, clock: FixedClock, tenant: Tenant) -> Callable[..., Worker]:
    def make(name: str = "test-worker", kinds: tuple[str, ...] | None = None) -> Worker:
        # fraction 0.5: every retry waits exactly its nominal delay
        return Worker(
            session_factory(engine),
            clock=clock,
            random=lambda: 0.5,
            name=name,
            organization_id=tenant.id,
            kinds=kinds,
        )

    return make
