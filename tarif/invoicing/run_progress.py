"""Billing runs started from the back office: run in a background thread, watched with progress.

A run over thousands of contracts takes longer than a page should wait, so the page starts it
here and shows a progress bar that polls `RunTracker.get`. The run is still one transaction in
its own session: it commits whole or writes nothing, exactly as from the API or the CLI.

The tracker lives in the web process (a run started on one process is watched on that one); it
forgets finished runs after an hour. A run's outcome is in the database anyway: the tracker only
carries the progress and the run's id until the run page can show it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from tarif.clock import Clock
from tarif.context import Actor, Ctx
from tarif.errors import TarifError
from tarif.ids import new_id
from tarif.invoicing import service

log = logging.getLogger(__name__)
KEEP_FINISHED = timedelta(hours=1)


@dataclass
class RunProgress:
    token: str
    organization_id: str
    as_of: date
    started_at: datetime
    finalize: bool = False  # the drafts written are finalized in the same transaction
    done: int = 0
    total: int = 0
    state: str = "running"  # running, completed, failed
    run_id: str | None = None
    error: str | None = None
    finished_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, done: int, total: int) -> None:
        with self._lock:
            self.done, self.total = done, total

    @property
    def percent(self) -> int:
        with self._lock:
            return 100 if self.total == 0 else self.done * 100 // self.total


class RunTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, RunProgress] = {}

    def start(
        self,
        session_factory: Callable[[], Session],
        organization_id: str,
        actor: Actor,
        clock: Clock,
        as_of: date,
        *,
        finalize: bool = False,
        wait: bool = False,
    ) -> RunProgress:
        """Starts the run in a thread (`finalize`: as `service.run_billing`'s); `wait` joins it
        (for callers that cannot poll)."""
        progress = RunProgress(
            new_id("rnp"), organization_id, as_of, clock.now(), finalize=finalize
        )
        with self._lock:
            self._forget_old(clock.now())
            self._runs[progress.token] = progress
        worker = threading.Thread(
            target=_work,
            args=(session_factory, actor, clock, progress),
            name=f"billing-run-{progress.token}",
            daemon=True,
        )
        worker.start()
        if wait:
            worker.join()
        return progress

    def get(self, organization_id: str, token: str) -> RunProgress | None:
        """The run's progress; another organization's token is unknown here."""
        with self._lock:
            progress = self._runs.get(token)
        if progress is None or progress.organization_id != organization_id:
            return None
        return progress

    def _forget_old(self, now: datetime) -> None:
        old = [
            token
            for token, p in self._runs.items()
            if p.finished_at is not None and now - p.finished_at > KEEP_FINISHED
        ]
        for token in old:
            del self._runs[token]


def _work(
    session_factory: Callable[[], Session], actor: Actor, clock: Clock, progress: RunProgress
) -> None:
    with session_factory() as session:
        ctx = Ctx(session, progress.organization_id, actor, clock)
        try:
            outcome = service.run_billing(
                ctx, progress.as_of, progress=progress.update, finalize=progress.finalize
            )
            session.commit()
        except TarifError as exc:
            session.rollback()
            _finish(progress, clock, error=exc.detail)
            return
        except Exception:
            session.rollback()
            log.exception("billing run %s failed", progress.token)
            _finish(progress, clock, error="the run failed: nothing was written")
            return
    _finish(progress, clock, run_id=outcome.run.id if outcome.run else None)


def _finish(
    progress: RunProgress, clock: Clock, *, run_id: str | None = None, error: str | None = None
) -> None:
    with progress._lock:
        progress.state = "failed" if error else "completed"
        progress.run_id, progress.error = run_id, error
        progress.finished_at = clock.now()


TRACKER = RunTracker()
