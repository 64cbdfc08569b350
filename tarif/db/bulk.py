"""Writing many rows at once at the driver's own speed, for billing runs and event ingestion.

SQLAlchemy's `execute(insert(table), rows)` spends most of its time building parameters row by
row. Here each value still goes through its column type's own bind processor (so `ExactDecimal`
checks and canonical forms, UTC instants and JSON are stored exactly as the ORM stores them),
but the rows then go to the driver in one call: `executemany` on SQLite, `COPY … FROM STDIN`
on PostgreSQL. Both run inside the caller's transaction (and savepoint); a unique or foreign
key violation is raised as SQLAlchemy's `IntegrityError`, as `session.execute` would raise it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts `rows` (dicts with the same keys, column keys of `table`) into `table`."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    given = rows[0].keys()
    defaults = _scalar_defaults(table, given)
    columns = [column for column in table.columns if column.key in given or column.key in defaults]
    processors: list[Processor] = [
        column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns
    ]
    plan = list(zip([column.key for column in columns], processors, strict=True))
    values = [
        tuple(
            (row[key] if key in row else defaults[key])
            if process is None
            else process(row[key] if key in row else defaults[key])
            for key, process in plan
        )
        for row in rows
    ]
    names = ", ".join(dialect.identifier_preparer.quote(column.name) for column in columns)
    if dialect.name == "postgresql":
        _copy(connection, table, names, values)
        return
    marks = ", ".join("?" for _ in columns)
    target = dialect.identifier_preparer.format_table(table)
    connection.exec_driver_sql(f"INSERT INTO {target} ({names}) VALUES ({marks})", values)


def _scalar_defaults(table: Table, given: Any) -> dict[str, Any]:
    """The Python-side defaults (`default=…`) of the columns the rows leave out, as the ORM
    would apply them; a left-out column with a computed default is a mistake of the caller."""
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.key in given or column.default is None:
            continue
        default: Any = column.default
        if not default.is_scalar:
            raise ValueError(f"{table.name}.{column.key} has a computed default: pass its value")
        defaults[column.key] = default.arg
    return defaults


def _copy(connection: Any, table: Table, names: str, values: list[tuple[Any, ...]]) -> None:
    import psycopg

    sql = f"COPY {connection.dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    raw = connection.connection.dbapi_connection
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc
