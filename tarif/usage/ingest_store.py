"""The write side of ingestion: `EventWriter` stores checked rows, skipping known keys.

Writers work on the request's own connection (one transaction) with plain SQL: a batch is one
statement, never an ORM object per event. A key already stored — by an earlier batch or by a
concurrent one — is skipped by the unique constraint (`ON CONFLICT DO NOTHING`), and `RETURNING`
says which rows went in, so a repeat is a duplicate without a prior read. Rows are written in
key order, so two batches sharing keys take their locks in the same order and cannot deadlock.

A ClickHouse writer would implement the same protocol (with its own deduplication).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from tarif.usage.event_rules import Row

TABLE = "usage_events"
COLUMNS = (
    "organization_id",
    "source",
    "transaction_id",
    "metric_code",
    "customer_id",
    "contract_id",
    "occurred_at",
    "local_date",
    "value_micros",
    "unique_key",
    "properties",
    "received_at",
    "late",
    "smartcode_version_id",
)
_COLUMN_LIST = ", ".join(COLUMNS)
_CONFLICT = "ON CONFLICT (organization_id, source, transaction_id) DO NOTHING"


class EventWriter(Protocol):
    def prepare(self) -> None:
        """Called first in the transaction, before the batch's reads."""
        ...

    def insert(
        self, organization_id: str, rows: Sequence[Row], received_at: datetime
    ) -> dict[tuple[str, str], int]:
        """Stores the rows whose (source, transaction_id) is new in the organization; returns
        those keys with their new event ids. Rows must have distinct keys."""
        ...


def writer_for(session: Session) -> EventWriter:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return PostgresEventWriter(session)
    if name == "sqlite":
        return SQLiteEventWriter(session)
    raise NotImplementedError(f"no event writer for {name}")


def _in_key_order(rows: Sequence[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.source, r.transaction_id))


def _chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class SQLiteEventWriter:
    """Multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` (SQLite ≥ 3.35)."""

    # SQLite allows 32,766 parameters per statement; 14 columns a row.
    CHUNK = 2000

    def __init__(self, session: Session) -> None:
        self.session = session

    def prepare(self) -> None:
        # SQLite in WAL mode refuses at once (SQLITE_BUSY, no waiting) a transaction that read
        # and then writes after another writer committed: two concurrent batches would fail.
        # A write statement first (one that changes nothing) takes the single writer's lock
        # before any read, waiting for it under the busy timeout instead.
        self.session.execute(text(f"DELETE FROM {TABLE} WHERE 0 = 1"))

    def insert(
        self, organization_id: str, rows: Sequence[Row], received_at: datetime
    ) -> dict[tuple[str, str], int]:
        if not rows:
            return {}
        driver = self.session.connection().connection.driver_connection
        assert driver is not None
        # SQLAlchemy's SQLite format for naive UTC instants, so ORM reads see the same values.
        received = _sqlite_instant(received_at)
        inserted: dict[tuple[str, str], int] = {}
        row_marks = "(" + ", ".join("?" * len(COLUMNS)) + ")"
        for chunk in _chunks(_in_key_order(rows), self.CHUNK):
            params: list[Any] = []
            for r in chunk:
                params += (
                    organization_id,
                    r.source,
                    r.transaction_id,
                    r.metric_code,
                    r.customer_id,
                    r.contract_id,
                    _sqlite_instant(r.occurred_at),
                    r.local_date.isoformat(),
                    r.value_micros,
                    r.unique_key,
                    r.properties_json,
                    received,
                    1 if r.late else 0,
                    r.smartcode_version_id,
                )
            sql = (
                f"INSERT INTO {TABLE} ({_COLUMN_LIST}) VALUES "
                + ", ".join([row_marks] * len(chunk))
                + f" {_CONFLICT} RETURNING id, source, transaction_id"
            )
            cursor = driver.execute(sql, params)
            for event_id, source, transaction_id in cursor.fetchall():
                inserted[(source, transaction_id)] = event_id
        return inserted


def _sqlite_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


STAGING = "usage_events_staging"
# The staging table's columns, in `COLUMNS` order; temporary, so it lives per connection.
_STAGING_TABLE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} ("
    "organization_id text, source text, transaction_id text, metric_code text, "
    "customer_id text, contract_id text, occurred_at timestamptz, local_date date, "
    "value_micros bigint, unique_key text, properties json, received_at timestamptz, "
    "late boolean, smartcode_version_id text) ON COMMIT DELETE ROWS"
)


class PostgresEventWriter:
    """COPY into a temporary staging table, then one `INSERT … SELECT … ORDER BY key ON
    CONFLICT DO NOTHING RETURNING`. COPY is the cheapest way to hand PostgreSQL many rows from
    Python (psycopg formats them in C); multi-row VALUES or array parameters cost more to
    build in Python than the insert itself."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def prepare(self) -> None:
        pass  # row locks of the unique index order concurrent writers

    def _stage(self, organization_id: str, rows: Iterable[Row], received_at: datetime) -> Any:
        """A cursor, the rows copied into the (emptied) staging table."""
        fairy = self.session.connection().connection
        cursor = fairy.driver_connection.cursor()  # type: ignore[union-attr]
        if not fairy.info.get(STAGING):
            cursor.execute(_STAGING_TABLE)
            fairy.info[STAGING] = True
        else:
            cursor.execute(f"TRUNCATE {STAGING}")
        with cursor.copy(f"COPY {STAGING} ({_COLUMN_LIST}) FROM STDIN") as copy:
            write = copy.write_row
            for r in rows:
                write(
                    (
                        organization_id,
                        r.source,
                        r.transaction_id,
                        r.metric_code,
                        r.customer_id,
                        r.contract_id,
                        r.occurred_at,
                        r.local_date,
                        r.value_micros,
                        r.unique_key,
                        r.properties_json,
                        received_at,
                        r.late,
                        r.smartcode_version_id,
                    )
                )
        return cursor

    def insert(
        self, organization_id: str, rows: Sequence[Row], received_at: datetime
    ) -> dict[tuple[str, str], int]:
        if not rows:
            return {}
        cursor = self._stage(organization_id, rows, received_at)
        try:
            cursor.execute(
                f"INSERT INTO {TABLE} ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGING} "
                f"ORDER BY source, transaction_id {_CONFLICT} RETURNING id, source, transaction_id"
            )
            return {(s, t): i for i, s, t in cursor.fetchall()}
        finally:
            cursor.close()

    def copy_rows(self, organization_id: str, rows: Iterable[Row], received_at: datetime) -> int:
        """Bulk import: like `insert`, without returning the new ids. Returns how many rows
        were new (the others were duplicates)."""
        cursor = self._stage(organization_id, rows, received_at)
        try:
            cursor.execute(
                f"INSERT INTO {TABLE} ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGING} "
                f"ORDER BY source, transaction_id {_CONFLICT}"
            )
            return int(cursor.rowcount)
        finally:
            cursor.close()
