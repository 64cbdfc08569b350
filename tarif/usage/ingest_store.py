"""The write side of ingestion: `EventWriter` stores checked rows, skipping known keys.

Writers work on the request's own connection (one transaction) with plain SQL: a batch is one
statement, never an ORM object per event. A key already stored — by an earlier batch or by a
concurrent one — is skipped by the unique constraint (`ON CONFLICT DO NOTHING`), and `RETURNING`
says which rows went in, so a repeat is a duplicate without a prior read. Rows are written in
key order, so two batches sharing keys take their locks in the same order and cannot deadlock.

When `unvalued` is set (the organization bills some usage line on each event), every stored
event also gets a row in `usage_events_unvalued`, in the same statement or transaction: what
the `usage.triggers` job values (`tarif.triggers.items`).

A ClickHouse writer would implement the same protocol (with its own deduplication).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import text
from sqlalchemy.orm import Session

from tarif.db.bulk import copy_data
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
# The `Row` field behind a column, where its name differs.
_ROW_FIELD = {"properties": "properties_json"}
_CONFLICT = "ON CONFLICT (organization_id, source, transaction_id) DO NOTHING"
UNVALUED = "usage_events_unvalued"
_UNVALUED_COLUMNS = "event_id, organization_id, metric_code, customer_id, local_date"
_UNVALUED_SOURCE = "id, organization_id, metric_code, customer_id, local_date"


class EventWriter(Protocol):
    unvalued: bool  # also queue each stored event for its billable items

    def prepare(self) -> None:
        """Called first in the transaction, before the batch's reads."""
        ...

    def insert(
        self, organization_id: str, rows: Sequence[Row], received_at: datetime
    ) -> dict[tuple[str, str], int]:
        """Stores the rows whose (source, transaction_id) is new in the organization; returns
        those keys with their new event ids. Rows must have distinct keys."""
        ...

    def insert_table(self, organization_id: str, rows: pa.Table, received_at: datetime) -> int:
        """Bulk import: stores the prepared rows (`event_columns.SCHEMA`, distinct keys) whose
        key is new; returns how many."""
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
        self.unvalued = False

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
        last = self._last_id(driver)
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
        self._queue_unvalued(driver, organization_id, last)
        return inserted

    def _last_id(self, driver: Any) -> int | None:
        """The highest event id before this batch (when queueing unvalued events): the single
        writer's lock is held since `prepare`, so the ids above are this batch's."""
        if not self.unvalued:
            return None
        return int(driver.execute(f"SELECT coalesce(max(id), 0) FROM {TABLE}").fetchone()[0])

    def _queue_unvalued(self, driver: Any, organization_id: str, last: int | None) -> None:
        if last is None:
            return
        driver.execute(
            f"INSERT INTO {UNVALUED} ({_UNVALUED_COLUMNS}) SELECT {_UNVALUED_SOURCE} "
            f"FROM {TABLE} WHERE id > ? AND organization_id = ?",
            (last, organization_id),
        )

    def insert_table(self, organization_id: str, rows: pa.Table, received_at: datetime) -> int:
        """Bulk import: prepared rows (`event_columns.SCHEMA`, distinct keys) in one
        `executemany`; returns how many were new (the others were duplicates)."""
        if rows.num_rows == 0:
            return 0
        driver = self.session.connection().connection.driver_connection
        assert driver is not None
        n = rows.num_rows
        naive = rows.column("occurred_at").cast(pa.timestamp("us"))
        columns = [
            [organization_id] * n,
            *(rows.column(name).to_pylist() for name in COLUMNS[1:6]),
            naive.cast(pa.string()).to_pylist(),
            rows.column("local_date").cast(pa.string()).to_pylist(),
            rows.column("value_micros").to_pylist(),
            rows.column("unique_key").to_pylist(),
            rows.column("properties").to_pylist(),
            [_sqlite_instant(received_at)] * n,
            rows.column("late").cast(pa.int8()).to_pylist(),
            rows.column("smartcode_version_id").to_pylist(),
        ]
        last = self._last_id(driver)
        before = driver.total_changes
        driver.executemany(
            f"INSERT INTO {TABLE} ({_COLUMN_LIST}) VALUES ({', '.join('?' * len(COLUMNS))}) "
            f"{_CONFLICT}",
            zip(*columns, strict=True),
        )
        stored = int(driver.total_changes - before)
        self._queue_unvalued(driver, organization_id, last)
        return stored


def _sqlite_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


STAGING = "usage_events_staging"
_STAGED_IN = "usage_events_staged_in"  # session.info: the transaction that last used it
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
        self.unvalued = False
        # Bulk import: COPY straight into the events table until a block meets a stored key
        # (`_copy_direct`), then through the staging table for the rest of the import.
        self.direct = True

    def prepare(self) -> None:
        pass  # row locks of the unique index order concurrent writers

    def _staging_cursor(self) -> Any:
        """A cursor, the staging table there and empty."""
        fairy = self.session.connection().connection
        cursor = fairy.driver_connection.cursor()  # type: ignore[union-attr]
        # Created again when missing, never remembered on the connection: a transaction rolled
        # back after creating it takes it away. One round trip (simple query protocol).
        # A transaction's first use finds it empty (its rows go at each commit): DELETE finds
        # nothing to do there, where TRUNCATE would give the table new files, which cost a
        # batch more than its rows. A later use in the same transaction (an import's blocks,
        # the demo's batches) truncates: deleted rows would stay in the table until the commit.
        transaction = self.session.get_transaction()
        used = self.session.info.get(_STAGED_IN) is transaction
        empty = f"TRUNCATE {STAGING}" if used else f"DELETE FROM {STAGING}"
        cursor.execute(f"{_STAGING_TABLE}; {empty}")
        self.session.info[_STAGED_IN] = transaction
        return cursor

    def _stage(self, organization_id: str, rows: Iterable[Row], received_at: datetime) -> Any:
        """A cursor, the rows copied into the (emptied) staging table."""
        cursor = self._staging_cursor()
        rows = list(rows)
        n = len(rows)
        # Column by column (`tarif.db.bulk.copy_data`): no Python call per row.
        batch_wide = {"organization_id": organization_id, "received_at": received_at}
        columns: list[Sequence[Any]] = [
            [batch_wide[name]] * n
            if name in batch_wide
            else list(map(attrgetter(_ROW_FIELD.get(name, name)), rows))
            for name in COLUMNS
        ]
        data = copy_data(columns)
        assert data is not None, "a row field of a class COPY text does not know"
        with cursor.copy(f"COPY {STAGING} ({_COLUMN_LIST}) FROM STDIN") as copy:
            copy.write(data)
        return cursor

    def insert(
        self, organization_id: str, rows: Sequence[Row], received_at: datetime
    ) -> dict[tuple[str, str], int]:
        if not rows:
            return {}
        cursor = self._stage(organization_id, rows, received_at)
        try:
            if self.unvalued:
                cursor.execute(self._store_sql("SELECT id, source, transaction_id FROM stored"))
            else:
                cursor.execute(
                    f"INSERT INTO {TABLE} ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGING} "
                    f"ORDER BY source, transaction_id {_CONFLICT} "
                    "RETURNING id, source, transaction_id"
                )
            return {(s, t): i for i, s, t in cursor.fetchall()}
        finally:
            cursor.close()

    @staticmethod
    def _store_sql(answer: str) -> str:
        """The staged rows stored (`stored`: those whose key is new) and queued as unvalued
        in the same statement, then `answer` (a SELECT over `stored`)."""
        return (
            f"WITH stored AS (INSERT INTO {TABLE} ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
            f"FROM {STAGING} ORDER BY source, transaction_id {_CONFLICT} "
            f"RETURNING {_UNVALUED_SOURCE}, source, transaction_id), "
            f"queued AS (INSERT INTO {UNVALUED} ({_UNVALUED_COLUMNS}) "
            f"SELECT {_UNVALUED_SOURCE} FROM stored) {answer}"
        )

    def insert_table(self, organization_id: str, rows: pa.Table, received_at: datetime) -> int:
        """Bulk import: prepared rows (`event_columns.SCHEMA`, distinct keys) copied as one
        block of COPY text built column-wise, then stored like `insert` without returning
        ids. Returns how many rows were new (the others were duplicates)."""
        if rows.num_rows == 0:
            return 0
        data = copy_text(organization_id, rows, received_at)
        if self.direct and not self.unvalued and self._copy_direct(data):
            return int(rows.num_rows)
        cursor = self._staging_cursor()
        try:
            with cursor.copy(f"COPY {STAGING} ({_COLUMN_LIST}) FROM STDIN") as copy:
                copy.write(data)
            if not self.unvalued:
                cursor.execute(
                    f"INSERT INTO {TABLE} ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGING} "
                    f"ORDER BY source, transaction_id {_CONFLICT}"
                )
                return int(cursor.rowcount)
            cursor.execute(self._store_sql("SELECT count(*) FROM stored"))
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def _copy_direct(self, data: memoryview) -> bool:
        """COPY straight into the events table, under a savepoint: a first import of new
        events (the common case) skips the staging table, its `INSERT … SELECT` and sort,
        about half of the import's database time. When a key is already stored (a file sent
        again, a concurrent writer; or a deadlock with one, since rows go in file order), the
        savepoint undoes the block, False is returned and the import goes on through the
        staging table, whose `ON CONFLICT` skips duplicates."""
        import psycopg

        fairy = self.session.connection().connection
        with fairy.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SAVEPOINT usage_events_direct")
            try:
                with cursor.copy(f"COPY {TABLE} ({_COLUMN_LIST}) FROM STDIN") as copy:
                    copy.write(data)
            except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
                cursor.execute("ROLLBACK TO SAVEPOINT usage_events_direct")
                self.direct = False
                return False
            cursor.execute("RELEASE SAVEPOINT usage_events_direct")
        return True


_NULL = "\\N"


def _copy_escaped(array: Any) -> Any:
    """Text of PostgreSQL's text COPY format: backslash, tab, newline and return escaped."""
    array = array.cast(pa.string())
    if pc.any(pc.match_substring_regex(array, "[\\\\\t\n\r]")).as_py():
        for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
            array = pc.replace_substring(array, raw, escaped)
    return pc.fill_null(array, _NULL)


def copy_text(organization_id: str, rows: pa.Table, received_at: datetime) -> memoryview:
    """The rows as the data of `COPY … FROM STDIN` (text format, `COLUMNS` order), built
    column-wise by pyarrow: no Python object per row."""
    instants = pc.strftime(rows.column("occurred_at"), "%Y-%m-%d %H:%M:%S")
    fields = [
        pa.scalar(organization_id),  # an id: nothing to escape
        *(_copy_escaped(rows.column(name)) for name in COLUMNS[1:6]),
        pc.binary_join_element_wise(instants, "+00", ""),
        rows.column("local_date").cast(pa.string()),
        pc.fill_null(rows.column("value_micros").cast(pa.string()), _NULL),
        _copy_escaped(rows.column("unique_key")),
        _copy_escaped(rows.column("properties")),
        pa.scalar(received_at.astimezone(UTC).isoformat()),
        pc.if_else(rows.column("late"), "t", "f"),
        pc.binary_join_element_wise(_copy_escaped(rows.column("smartcode_version_id")), "\n", ""),
    ]
    lines = pc.binary_join_element_wise(*fields, "\t")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    # The lines end to end are the data buffer of the array, between its first and last offset.
    offsets = memoryview(lines.buffers()[1]).cast("i")
    start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return memoryview(lines.buffers()[2])[start:end]
