"""The settings every SQLite connection gets when it opens."""

from __future__ import annotations

from pathlib import Path

from tarif.db.session import SQLITE_CACHE_KIB, make_engine


def test_sqlite_connections_get_wal_a_busy_timeout_and_a_64_mib_page_cache(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tarif.db'}")
    try:
        with engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 10_000
            assert pragma("foreign_keys") == 1
            # A negative cache_size is in KiB: 64 × 1,024 KiB = 64 MiB.
            assert pragma("cache_size") == -65_536 == -SQLITE_CACHE_KIB
    finally:
        engine.dispose()
