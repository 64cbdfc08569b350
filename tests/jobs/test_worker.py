"""The worker on the test's database: claims, retries with backoff, dead letters, stale locks,
and three workers over a few hundred jobs running each exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.jobs import service
from tarif.jobs.models import Job
from tarif.jobs.worker import Worker
from tests.conftest import START, Tenant
from tests.jobs.conftest import FAILURES, RUNS


def _enqueue(
    engine: Engine, tenant: Tenant, clock: FixedClock, kind: str, n: int = 1, **kw: object
) -> list[str]:
    with session_factory(engine)() as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        ids = [service.enqueue(ctx, kind, {"n": i}, **kw).id for i in range(n)]  # type: ignore[arg-type]
        session.commit()
    return ids


def _job(engine: Engine, job_id: str) -> Job:
    with Session(engine) as session:
        return session.get_one(Job, job_id)


def test_a_job_exists_only_if_the_callers_transaction_commits(
    engine: Engine, tenant: Tenant, clock: FixedClock
) -> None:
    with session_factory(engine)() as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        job = service.enqueue(ctx, "test.count", {})
        session.flush()
        session.rollback()
    with Session(engine) as session:
        assert session.get(Job, job.id) is None


def test_dedupe_key_gives_back_the_first_job(
    engine: Engine, tenant: Tenant, clock: FixedClock
) -> None:
    first = _enqueue(engine, tenant, clock, "test.count", dedupe_key="invoice:1")
    again = _enqueue(engine, tenant, clock, "test.count", dedupe_key="invoice:1")
    assert first == again


def test_retries_with_backoff_then_succeeds(
    engine: Engine, tenant: Tenant, clock: FixedClock, make_worker: Callable[..., Worker]
) -> None:
    (job_id,) = _enqueue(engine, tenant, clock, "test.flaky")
    FAILURES[job_id] = 2
    worker = make_worker()
    assert worker.run_one() is True  # attempt 1 fails
    job = _job(engine, job_id)
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.run_after == START + timedelta(seconds=30)  # 30 s × 2^0, jitter factor 1.0
    assert "failing on purpose (2 left)" in (job.last_error or "")
    assert worker.run_one() is False  # not due yet
    clock.advance(timedelta(seconds=30))
    assert worker.run_one() is True  # attempt 2 fails
    assert _job(engine, job_id).run_after == START + timedelta(seconds=30 + 60)  # 30 s × 2^1
    clock.advance(timedelta(seconds=60))
    assert worker.run_one() is True  # attempt 3 succeeds
    job = _job(engine, job_id)
    assert (job.status, job.attempts, RUNS[job_id]) == ("done", 3, 1)
    assert job.finished_at == START + timedelta(seconds=90)
    assert job.locked_by is None


def test_dead_after_max_attempts_then_retried_by_hand(
    engine: Engine,
    tenant: Tenant,
    clock: FixedClock,
    make_worker: Callable[..., Worker],
    session: Session,
) -> None:
    (job_id,) = _enqueue(engine, tenant, clock, "test.flaky", max_attempts=3)
    FAILURES[job_id] = 5
    worker = make_worker()
    for wait in (0, 30, 60):  # attempts 1, 2, 3 at START, +30 s, +90 s
        clock.advance(timedelta(seconds=wait))
        assert worker.run_one() is True
    job = _job(engine, job_id)
    assert (job.status, job.attempts) == ("dead", 3)
    assert job.finished_at == START + timedelta(seconds=90)
    assert "failing on purpose (3 left)" in (job.last_error or "")
    clock.advance(timedelta(days=1))
    assert worker.run_one() is False  # a dead job is never picked up again

    ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
    assert [j.id for j in service.list_jobs(ctx, _page(), status="dead").items] == [job_id]
    service.retry_job(ctx, job_id)
    session.commit()
    FAILURES[job_id] = 0
    assert worker.run_one() is True
    job = _job(engine, job_id)
    assert (job.status, job.attempts, RUNS[job_id]) == ("done", 1, 1)


def _page():  # type: ignore[no-untyped-def]
    from tarif.db.repository import PageRequest

    return PageRequest(limit=100)


def test_an_unknown_kind_fails_like_any_handler(
    engine: Engine, tenant: Tenant, clock: FixedClock, make_worker: Callable[..., Worker]
) -> None:
    (job_id,) = _enqueue(engine, tenant, clock, "test.nobody", max_attempts=1)
    make_worker().run_one()
    job = _job(engine, job_id)
    assert job.status == "dead"
    assert "no handler for job kind 'test.nobody'" in (job.last_error or "")


def test_a_stale_running_job_is_queued_again(
    engine: Engine, tenant: Tenant, clock: FixedClock, make_worker: Callable[..., Worker]
) -> None:
    (job_id,) = _enqueue(engine, tenant, clock, "test.count")
    crashed = make_worker("crashed")
    assert crashed.claim() == job_id  # claimed, then the process died
    other = make_worker("other")
    clock.advance(timedelta(minutes=14))
    assert other.run_one() is False  # locked 14 minutes ago: still its worker's
    clock.advance(timedelta(minutes=2))  # 16 minutes > 15
    assert other.run_one() is True
    job = _job(engine, job_id)
    assert (job.status, job.attempts, RUNS[job_id]) == ("done", 2, 1)


def test_three_workers_run_each_of_300_jobs_exactly_once(
    engine: Engine, tenant: Tenant, clock: FixedClock, make_worker: Callable[..., Worker]
) -> None:
    ids = _enqueue(engine, tenant, clock, "test.count", n=300)
    workers = [make_worker(f"w{i}") for i in range(3)]
    ran = [0, 0, 0]

    def drain(index: int) -> None:
        while workers[index].run_one():
            ran[index] += 1

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(ran) == 300
    assert {job_id: RUNS[job_id] for job_id in ids} == dict.fromkeys(ids, 1)
    with Session(engine) as session:
        rows = session.execute(select(Job.status, Job.attempts).where(Job.id.in_(ids))).all()
    assert sorted(set(rows)) == [("done", 1)]
    assert len(rows) == 300


def test_a_worker_whose_lock_was_taken_over_does_not_run_the_job(
    engine: Engine, tenant: Tenant, clock: FixedClock, make_worker: Callable[..., Worker]
) -> None:
    (job_id,) = _enqueue(engine, tenant, clock, "test.count")
    slow, other = make_worker("slow"), make_worker("other")
    assert slow.claim() == job_id
    clock.advance(timedelta(minutes=16))  # the lock is stale: another worker takes the job
    assert other.requeue_stale() == 1
    assert other.claim() == job_id
    slow._run(job_id)  # the first worker comes back: not its job anymore
    job = _job(engine, job_id)
    assert (job.status, job.locked_by, RUNS[job_id]) == ("running", "other", 0)
    other._run(job_id)
    job = _job(engine, job_id)
    assert (job.status, job.attempts, RUNS[job_id]) == ("done", 2, 1)


def test_a_claimed_job_asks_again_for_a_write_lock_still_busy(
    engine: Engine,
    tenant: Tenant,
    clock: FixedClock,
    make_worker: Callable[..., Worker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SQLite's waits for its write lock are not fair: a claimed job whose first write still
    # finds the database locked after the busy timeout asks again rather than being dropped.
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes row locks: the job's first write never asks for a lock")
    (job_id,) = _enqueue(engine, tenant, clock, "test.count")
    busy = [2]  # the job's first write finds the database locked twice
    execute = Session.execute

    def locked_at_first(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if busy[0] and str(statement).startswith("UPDATE jobs SET updated_at"):
            busy[0] -= 1
            raise OperationalError(str(statement), None, Exception("database is locked"))
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", locked_at_first)
    assert make_worker().run_one() is True
    assert busy == [0]
    assert (_job(engine, job_id).status, RUNS[job_id]) == ("done", 1)


class _Rollbacks:
    """Stands in for a session: counts the rollbacks between attempts."""

    def __init__(self) -> None:
        self.count = 0

    def rollback(self) -> None:
        self.count += 1


def _locked() -> OperationalError:
    return OperationalError("UPDATE jobs …", {}, Exception("database is locked"))


def test_a_busy_write_lock_is_asked_for_again_then_given_up() -> None:
    from tarif.jobs.worker import LOCK_ATTEMPTS, _asking_again

    session = _Rollbacks()
    answers: list[OperationalError | str] = [_locked(), _locked(), "job-1"]

    def write() -> str:
        answer = answers.pop(0)
        if isinstance(answer, OperationalError):
            raise answer
        return answer

    # Locked twice, then the write goes through: two rollbacks, the write's answer.
    assert _asking_again(session, write) == "job-1"  # type: ignore[arg-type]
    assert session.count == 2

    def always_locked() -> str:
        raise _locked()

    session = _Rollbacks()
    with pytest.raises(OperationalError, match="database is locked"):
        _asking_again(session, always_locked)  # type: ignore[arg-type]
    assert session.count == LOCK_ATTEMPTS - 1  # 5 attempts, a rollback between each two

    def other_error() -> str:
        raise OperationalError("UPDATE jobs …", {}, Exception("disk I/O error"))

    session = _Rollbacks()
    with pytest.raises(OperationalError, match="disk I/O error"):
        _asking_again(session, other_error)  # type: ignore[arg-type]
    assert session.count == 0  # not a busy lock: raised at once
