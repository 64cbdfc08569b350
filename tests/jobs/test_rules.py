"""The retry schedule, worked out by hand: 30 s doubled per attempt, capped at 6 hours, ±20%."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tarif.jobs.rules import JobStatus, after_failure, nominal_delay, retry_delay, stale_before

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def test_nominal_schedule_doubles_from_30_seconds_and_stops_at_6_hours() -> None:
    # 30·2^(n-1): 30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360; then 30720 > 21600 (6 h).
    expected = [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600]
    assert [nominal_delay(n).total_seconds() for n in range(1, 13)] == expected
    assert nominal_delay(500) == timedelta(hours=6)


def test_jitter_spreads_a_delay_within_plus_or_minus_20_percent() -> None:
    # factor = 0.8 + 0.4·fraction: 0 → 0.8, 0.5 → 1.0, 0.75 → 1.1, 0.999 → 1.1996
    assert retry_delay(1, 0.0) == timedelta(seconds=24)  # 30 × 0.8
    assert retry_delay(1, 0.5) == timedelta(seconds=30)  # 30 × 1.0
    assert retry_delay(3, 0.75) == timedelta(seconds=132)  # 120 × 1.1
    assert retry_delay(11, 0.999) == timedelta(seconds=25911.36)  # 21600 × 1.1996
    with pytest.raises(ValueError):
        retry_delay(1, 1.0)
    with pytest.raises(ValueError):
        nominal_delay(0)


def test_a_failure_queues_again_until_the_last_attempt_then_dead() -> None:
    second = after_failure(2, 10, NOW, 0.5)
    assert second.status is JobStatus.QUEUED
    assert second.run_after == NOW + timedelta(seconds=60)  # attempt 2: 30 × 2
    last = after_failure(10, 10, NOW, 0.5)
    assert last.status is JobStatus.DEAD and last.run_after is None


def test_a_running_job_is_stale_after_15_minutes() -> None:
    assert stale_before(NOW) == datetime(2026, 1, 15, 9, 15, tzinfo=UTC)
