"""The worker: claims due jobs, runs their handlers, records the outcome.

Claiming is the only part that differs between databases. On PostgreSQL a worker locks one due
row with `SELECT … FOR UPDATE SKIP LOCKED` (other workers skip it instead of waiting) and marks it
running in the same transaction, so any number of workers can run at once and no job is taken
twice. SQLite has no row locks: the claim is a conditional `UPDATE … WHERE status = 'queued'`,
which only one of several claimers can win (the embedded worker is one process anyway).

Each job runs in its own transaction: the handler's writes and the job marked done commit
together. A failure rolls the handler back (unless it raised `RetryLater`), then the job is
queued again after the backoff of `rules.after_failure`, or marked dead.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tarif.clock import Clock, SystemClock
from tarif.context import Actor, Ctx
from tarif.jobs import rules
from tarif.jobs.models import Job
from tarif.jobs.registry import HANDLERS, RetryLater, load_handlers
from tarif.jobs.rules import JobStatus

log = logging.getLogger("tarif.worker")
STALE_CHECK_EVERY = timedelta(minutes=1)
# How many times a worker asks for SQLite's write lock, to claim a job or to run the one it
# claimed (each waits the busy timeout).
LOCK_ATTEMPTS = 5
_T = TypeVar("_T")


def worker_name(index: int = 0) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


def _asking_again(session: Session, write: Callable[[], _T]) -> _T:
    """SQLite: a write whose lock is still busy after SQLite's own timeout is asked for again,
    a few times, after a short random pause. Its waits are not fair: workers taking jobs one
    after the other can outrun a waiting one for longer than the timeout on a loaded machine
    (a claiming worker's thread failed so in the suite)."""
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            return write()
        except OperationalError as exc:
            if "database is locked" not in str(exc) or attempt == LOCK_ATTEMPTS:
                raise
            session.rollback()
            time.sleep(random.uniform(0.0, 0.1 * attempt))  # let the others pass once
    raise AssertionError("unreachable: the last attempt returns or raises")


@dataclass
class Worker:
    """One claimer. `organization_id` / `kinds` narrow what it takes (tests, dedicated pools)."""

    factory: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    random: Callable[[], float] = random.random
    name: str = field(default_factory=worker_name)
    organization_id: str | None = None
    kinds: tuple[str, ...] | None = None
    # When this worker last looked for abandoned jobs: once a minute is plenty for a 15-minute
    # lock, and saves a query per job under load.
    _stale_checked: datetime | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        load_handlers()

    # --- claiming ---------------------------------------------------------------------------

    def _due(self) -> Select[Any]:
        now = self.clock.now()
        stmt = select(Job.id).where(Job.status == JobStatus.QUEUED.value, Job.run_after <= now)
        if self.organization_id is not None:
            stmt = stmt.where(Job.organization_id == self.organization_id)
        if self.kinds is not None:
            stmt = stmt.where(Job.kind.in_(self.kinds))
        return stmt.order_by(Job.run_after, Job.id).limit(1)

    def _mark_running(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "status": JobStatus.RUNNING.value,
            "attempts": Job.attempts + 1,
            "locked_by": self.name,
            "locked_at": now,
            "updated_at": now,
        }

    def claim(self) -> str | None:
        """The id of a due job now marked running by this worker, or None when none is due."""
        with self.factory() as session:
            if session.get_bind().dialect.name == "postgresql":
                # The row stays locked until the commit; other workers skip it, never wait.
                job_id = session.scalar(self._due().with_for_update(skip_locked=True))
                if job_id is not None:
                    session.execute(
                        update(Job)
                        .where(Job.id == job_id)
                        .values(**self._mark_running())
                        .execution_options(synchronize_session=False)
                    )
            else:
                # One statement that writes first: SQLite takes its write lock (waiting its
                # busy timeout) before reading, so two claimers cannot pick the same row.
                claim = (
                    update(Job)
                    .where(Job.id == self._due().scalar_subquery())
                    .where(Job.status == JobStatus.QUEUED.value)
                    .values(**self._mark_running())
                    .returning(Job.id)
                    .execution_options(synchronize_session=False)
                )
                job_id = _asking_again(session, lambda: session.scalar(claim))
            session.commit()
            return None if job_id is None else str(job_id)

    # --- running ----------------------------------------------------------------------------

    def run_one(self) -> bool:
        """Claims and runs one job; False when none was due."""
        now = self.clock.now()
        if self._stale_checked is None or now - self._stale_checked >= STALE_CHECK_EVERY:
            self._stale_checked = now
            self.requeue_stale()
        job_id = self.claim()
        if job_id is None:
            return False
        self._run(job_id)
        return True

    def run_until_idle(self, limit: int | None = None) -> int:
        """Runs due jobs until none is left (or `limit` ran); returns how many ran."""
        done = 0
        while (limit is None or done < limit) and self.run_one():
            done += 1
        return done

    def _take_write_lock(self, session: Session, job_id: str) -> None:
        """SQLite: write first, so the job holds the write lock for its whole run (a
        transaction that read first could not write once another connection had committed).
        The job is claimed already: giving up would leave it running until the stale check
        hands it over."""
        _asking_again(
            session,
            lambda: session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(updated_at=self.clock.now())
                .execution_options(synchronize_session=False)
            ),
        )

    def _run(self, job_id: str) -> None:
        session = self.factory()
        try:
            if session.get_bind().dialect.name == "sqlite":
                self._take_write_lock(session, job_id)
            job = session.get_one(Job, job_id)
            if job.locked_by != self.name:
                return  # re-queued as stale and taken by another worker meanwhile
            ctx = Ctx(session, job.organization_id, Actor.system(f"worker:{self.name}"), self.clock)
            fn = HANDLERS.get(job.kind)
            try:
                if fn is None:
                    raise LookupError(f"no handler for job kind '{job.kind}'")
                fn(ctx, job)
            except RetryLater as exc:
                if self._still_ours(session, job_id):
                    self._failed(session, job, str(exc) or "retry later")
                    session.commit()
                return
            except Exception as exc:  # a handler's failure of any kind is the job's failure
                session.rollback()
                if not self._still_ours(session, job_id):
                    return
                job = session.get_one(Job, job_id)
                message = "".join(traceback.format_exception_only(exc)).strip()
                log.warning("job %s (%s) failed: %s", job.id, job.kind, message)
                self._failed(session, job, message)
                session.commit()
                return
            if not self._still_ours(session, job_id):
                return  # another worker runs it now: this run's writes are rolled back
            now = self.clock.now()
            job.status = JobStatus.DONE.value
            job.finished_at = now
            job.updated_at = now
            job.locked_by = None
            job.locked_at = None
            session.commit()
        finally:
            session.rollback()
            session.close()

    def _still_ours(self, session: Session, job_id: str) -> bool:
        """Whether this worker still holds the job (its lock may have expired and been taken
        over); the row stays locked until the commit on PostgreSQL."""
        holder = session.scalar(select(Job.locked_by).where(Job.id == job_id).with_for_update())
        return holder == self.name

    def _failed(self, session: Session, job: Job, message: str) -> None:
        now = self.clock.now()
        outcome = rules.after_failure(job.attempts, job.max_attempts, now, self.random())
        job.status = outcome.status.value
        job.last_error = rules.short_error(message)
        job.locked_by = None
        job.locked_at = None
        job.updated_at = now
        if outcome.run_after is not None:
            job.run_after = outcome.run_after
        else:
            job.finished_at = now

    def requeue_stale(self) -> int:
        """Running jobs whose worker vanished (locked too long ago) are queued again, or dead
        when their attempts are spent."""
        now = self.clock.now()
        cutoff = rules.stale_before(now)
        with self.factory() as session:
            stale = select(Job.id).where(
                Job.status == JobStatus.RUNNING.value, Job.locked_at < cutoff
            )
            if self.organization_id is not None:
                stale = stale.where(Job.organization_id == self.organization_id)
            ids = list(session.scalars(stale))
            for job_id in ids:
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
                    .values(
                        status=JobStatus.QUEUED.value,
                        run_after=now,
                        locked_by=None,
                        locked_at=None,
                        last_error="the worker running it stopped (lock expired)",
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.attempts >= Job.max_attempts)
                    .where(Job.status == JobStatus.QUEUED.value)
                    .values(status=JobStatus.DEAD.value, finished_at=now)
                    .execution_options(synchronize_session=False)
                )
            session.commit()
            return len(ids)


def run_forever(worker: Worker, stop: threading.Event, idle_seconds: float = 1.0) -> None:
    """The worker loop: run due jobs, sleep a little when there are none, until `stop` is set.
    A database error (the database restarting, a table not migrated yet) is logged and retried
    after a pause that doubles up to a minute, so a lasting problem does not flood the log."""
    errors = 0
    while not stop.is_set():
        try:
            worked = worker.run_one()
            errors = 0
        except Exception:
            log.exception("worker %s: claiming failed", worker.name)
            errors += 1
            stop.wait(min(60.0, idle_seconds * 2**errors))
            continue
        if not worked:
            stop.wait(idle_seconds)


def start_embedded(factory: sessionmaker[Session], clock: Clock) -> threading.Event:
    """The worker inside the app process (`tarif serve` on SQLite): one daemon thread. Returns
    the event that stops it."""
    stop = threading.Event()
    worker = Worker(factory, clock=clock, name=worker_name(0) + ":embedded")
    thread = threading.Thread(
        target=run_forever, args=(worker, stop), name="tarif-embedded-worker", daemon=True
    )
    thread.start()
    return stop
