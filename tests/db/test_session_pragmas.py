"""The settings every SQLite connection gets when it opens."""

from __future__ import annotations

from pathlib import Path

from tarif.db.session import SQLITE_CACHE_KIB, SQLITE_PAGE_BYTES, make_engine


def test_sqlite_connections_get_wal_a_busy_timeout_a_page_cache_and_16_kib_pages(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tarif.db'}")
    try:
        with engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 10_000
            assert pragma("foreign_keys") == 1
            # A negative cache_size is in KiB: 64 × 1,024 KiB = 64 MiB.
            assert pragma("cache_size") == -65_536 == -SQLITE_CACHE_KIB
            # a new database: 16 × 1,024 = 16,384-byte pages
            conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
            assert pragma("page_size") == 16_384 == SQLITE_PAGE_BYTES
    finally:
        engine.dispose()


def test_an_existing_database_keeps_its_page_size(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "older.db"
    with sqlite3.connect(path) as older:  # made before: SQLite's default 4,096-byte pages
        older.execute("CREATE TABLE t (a INTEGER)")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 4_096
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    finally:
        engine.dispose()
