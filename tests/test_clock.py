"""Injected time: FixedClock stands still until moved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tarif.clock import FixedClock, SystemClock


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 15, 9, 30, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    clock.advance(timedelta(hours=24, seconds=1))
    assert clock.now() == datetime(2026, 1, 16, 9, 30, 1, tzinfo=UTC)


def test_fixed_clock_keeps_utc() -> None:
    # 10:30 at UTC+1 is 09:30 UTC.
    clock = FixedClock(datetime(2026, 1, 15, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    assert clock.now().tzinfo is UTC
    assert clock.now().hour == 9
    assert FixedClock.at_date(date(2026, 2, 1)).now() == datetime(2026, 2, 1, tzinfo=UTC)


def test_fixed_clock_refuses_naive_instants() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 15))


def test_system_clock_is_aware() -> None:
    assert SystemClock().now().tzinfo is UTC
