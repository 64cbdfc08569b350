"""Pure rules of jobs: statuses, the retry schedule (exponential backoff with jitter), what a
failure leads to and when a running job counts as abandoned. No database, no clock read: time and
randomness come in as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


DEFAULT_MAX_ATTEMPTS = 10
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
JITTER = 0.2  # a retry lands within ±20% of its nominal delay, so failures do not stampede
STALE_AFTER = timedelta(minutes=15)  # a running job locked longer than this lost its worker
MAX_ERROR_LENGTH = 2000


def nominal_delay(
    attempt: int, base: timedelta = BASE_DELAY, cap: timedelta = MAX_DELAY
) -> timedelta:
    """The wait after failed attempt number `attempt` (1-based): base, 2×base, 4×base… capped."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    # 2**(attempt-1) grows fast: compare in seconds before building a huge timedelta.
    seconds = base.total_seconds() * 2 ** min(attempt - 1, 40)
    return min(timedelta(seconds=seconds), cap)


def retry_delay(
    attempt: int,
    fraction: float,
    *,
    base: timedelta = BASE_DELAY,
    cap: timedelta = MAX_DELAY,
    jitter: float = JITTER,
) -> timedelta:
    """The nominal delay scaled by a factor in [1 - jitter, 1 + jitter), chosen by `fraction`
    (a random number in [0, 1) given by the caller, so the schedule is testable)."""
    if not 0 <= fraction < 1:
        raise ValueError("fraction must be in [0, 1)")
    factor = 1 - jitter + 2 * jitter * fraction
    return timedelta(seconds=round(nominal_delay(attempt, base, cap).total_seconds() * factor, 3))


@dataclass(frozen=True)
class AfterFailure:
    status: JobStatus
    run_after: datetime | None  # when queued again; None when dead


def after_failure(attempts: int, max_attempts: int, now: datetime, fraction: float) -> AfterFailure:
    """A failed attempt (`attempts` made so far, this one included): retry later, or dead."""
    if attempts >= max_attempts:
        return AfterFailure(JobStatus.DEAD, None)
    return AfterFailure(JobStatus.QUEUED, now + retry_delay(attempts, fraction))


def stale_before(now: datetime, stale_after: timedelta = STALE_AFTER) -> datetime:
    """Running jobs locked before this instant are abandoned (their worker crashed)."""
    return now - stale_after


def short_error(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"
