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
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tarif.db import json_text

Converter = Callable[[Any], Any] | None


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts `rows` (dicts with the same keys, column keys of `table`) into `table`."""
    write_prepared(session, prepare_rows(session, table, rows))


@dataclass(frozen=True)
class PreparedRows:
    """Rows converted for one table and one dialect, ready to send (`write_prepared`)."""

    table: Table
    names: str  # the quoted column list
    columns: list[Sequence[Any]]  # the converted values, column by column
    copy_text: str | None  # PostgreSQL: the COPY data, when every class is known to `copy_data`


def prepare_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]]
) -> PreparedRows | None:
    """The Python half of `insert_rows`: every value through its column type, and on
    PostgreSQL the COPY text; no database work. None when there are no rows."""
    if not rows:
        return None
    dialect = session.get_bind().dialect
    given = rows[0].keys()
    defaults = _scalar_defaults(table, given)
    columns = [column for column in table.columns if column.key in given]
    left_out = [column for column in table.columns if column.key in defaults]
    # Column by column: a column's values are converted in C where they allow it (see
    # `_column_values`), then zipped into rows. A left-out column takes the same value in every
    # row: converted once.
    converted: list[Sequence[Any]] = [
        _column_values(column, dialect, list(map(itemgetter(column.key), rows)))
        for column in columns
    ]
    converted += [
        [_convert_once(column, dialect, defaults[column.key])] * len(rows) for column in left_out
    ]
    columns += left_out
    names = ", ".join(dialect.identifier_preparer.quote(column.name) for column in columns)
    text = copy_data(converted) if dialect.name == "postgresql" else None
    return PreparedRows(table, names, converted, text)


def write_prepared(
    session: Session,
    prepared: PreparedRows | None,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Sends prepared rows. `meanwhile` runs while PostgreSQL stores them: the COPY data is
    handed to the server, `meanwhile` runs (Python work that needs no database: the server
    inserts, checks keys and updates indexes on its own core at the same time), then the
    server's answer is awaited. On SQLite (in the process) it runs after the insert."""
    if prepared is None:
        if meanwhile is not None:
            meanwhile()
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        _copy(connection, prepared, meanwhile)
        return
    values = list(zip(*prepared.columns, strict=True))
    marks = ", ".join("?" for _ in prepared.columns)
    target = dialect.identifier_preparer.format_table(prepared.table)
    connection.exec_driver_sql(f"INSERT INTO {target} ({prepared.names}) VALUES ({marks})", values)
    if meanwhile is not None:
        meanwhile()


# Classes whose equal values are the same value to every column type: a column's bind processor
# gives them the same result. Not Decimal (Decimal("1.0") == Decimal("1") may be written
# differently), nor datetime (equal instants in other time zones), nor float (0.0 == -0.0): a
# column type that canonicalizes them lists them in `bind_alike` (`tarif.db.types`).
_ALIKE = (type(None), str, int, bool, date)


def _column_values(column: Column[Any], dialect: Dialect, given: list[Any]) -> Sequence[Any]:
    """The column's values as bound (on PostgreSQL, a JSON column's as their text)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return given
    bound = _bound(column, dialect, process, given)
    if dialect.name == "postgresql" and isinstance(column.type, JSON):
        return _json_text(bound)
    return bound


def _bound(column: Column[Any], dialect: Dialect, process: Any, given: list[Any]) -> list[Any]:
    """When the values are all of one class whose equal values bind alike (None aside), each
    distinct value is processed once and the others are looked up by `map` in C: no Python call
    per value. Otherwise value by value (`_converter`)."""
    classes = set(map(type, given))
    classes.discard(type(None))
    if not classes:  # all None
        return [process(None)] * len(given)
    alike = _ALIKE + tuple(getattr(column.type, "bind_alike", ()))
    if len(classes) == 1 and next(iter(classes)) in alike:
        # One class only: True and 1 (equal, same hash) never meet in the same dict.
        try:
            processed = {value: process(value) for value in set(given)}
        except TypeError:
            pass  # not hashable (a signalling NaN): value by value, where the processor says why
        else:
            return list(map(processed.__getitem__, given))
    convert = _converter(column, dialect)
    assert convert is not None
    return [convert(value) for value in given]


def _json_text(values: list[Any]) -> list[Any]:
    """PostgreSQL's JSON values as their text, each wrapper object dumped once: `_converter`
    gives one wrapper for every empty list or object (most lines have no discounts), which
    psycopg would otherwise dump again for every row. COPY sends the same text either way."""
    from psycopg.types.json import Json, Jsonb

    texts: dict[int, str] = {}
    out: list[Any] = []
    for value in values:
        if isinstance(value, Json | Jsonb):
            text = texts.get(id(value))
            if text is None:
                dumped = (value.dumps or json_text.dumps)(value.obj)
                text = texts[id(value)] = dumped.decode() if isinstance(dumped, bytes) else dumped
            out.append(text)
        else:
            out.append(value)
    return out


def _converter(column: Column[Any], dialect: Dialect) -> Converter:
    """The column's bind processor, or None when it has none; each value of a class whose equal
    values bind alike is processed once per call of `insert_rows` (a run's rows repeat a few
    dates, prices and rates thousands of times)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    alike = _ALIKE + tuple(getattr(column.type, "bind_alike", ()))
    seen: dict[type, dict[Any, Any]] = {cls: {} for cls in alike}

    empty: dict[type, Any] = {}  # a JSON column's [] and {}: most lines have no discounts

    def convert(value: Any) -> Any:
        cls = value.__class__
        done = seen.get(cls)
        if done is None:
            if (cls is list or cls is dict) and not value:
                if cls not in empty:
                    empty[cls] = process(value)
                return empty[cls]
            return process(value)
        try:
            return done[value]
        except KeyError:
            result = done[value] = process(value)
            return result
        except TypeError:  # not hashable (a signalling NaN): the processor says what is wrong
            return process(value)

    return convert


def _convert_once(column: Column[Any], dialect: Dialect, value: Any) -> Any:
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


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


def _copy(connection: Any, prepared: PreparedRows, meanwhile: Callable[[], None] | None) -> None:
    import psycopg
    from psycopg.copy import LibpqWriter

    target = connection.dialect.identifier_preparer.format_table(prepared.table)
    sql = f"COPY {target} ({prepared.names}) FROM STDIN"
    raw = connection.connection.dbapi_connection
    try:
        with raw.cursor() as cursor:
            # With work to do meanwhile, every block is flushed to the socket as written (the
            # default keeps up to 1 MiB in libpq's buffer until the end): the server has it all.
            writer = LibpqWriter(cursor, flush_threshold=0) if meanwhile is not None else None
            with cursor.copy(sql, writer=writer) as copy:
                if prepared.copy_text is not None:
                    copy.write(prepared.copy_text)
                else:  # a class `_copy_texts` does not know: psycopg formats it, row by row
                    for row in zip(*prepared.columns, strict=True):
                        copy.write_row(row)
                # The data is on its way; leaving the block ends the COPY and waits for the
                # server to have stored it all.
                if meanwhile is not None:
                    meanwhile()
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc


# The text COPY format, built here: psycopg's `write_row` formats each field in a Python call
# (about 11 µs a row of invoice lines); here each column is turned to text by C functions over
# the whole column (`str`, `map`, `join`), and the rows are joined in C.
_NULL = "\\N"
# What COPY text escapes, backslash first (the others' escapes bring backslashes).
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
# Between the fields of a column while it is escaped as one string: text PostgreSQL stores
# never holds a NUL character.
_SEPARATOR = "\x00"
# Classes whose `str` is PostgreSQL's input text for them: `Decimal` (its exponent form too),
# dates, UTC instants (`2026-01-15 09:30:00+00:00`), integers.
_STR_IS_INPUT = frozenset({int, Decimal, date, datetime})
_BOOLEANS = {True: "t", False: "f", None: _NULL}


def _copy_texts(values: Sequence[Any]) -> list[str] | None:
    """The column's fields in COPY text, or None when a value's class is not one of those
    known here (bytes, lists…): psycopg's own formatting then applies."""
    classes = set(map(type, values))
    nulls = type(None) in classes
    classes.discard(type(None))
    if not classes:
        return [_NULL] * len(values)
    texts: list[str]
    if classes == {str}:
        strings = cast(Sequence[str], values)
        if not nulls:
            return _escaped(strings)
        escaped = iter(_escaped([s for s in strings if s is not None]))
        return [_NULL if s is None else next(escaped) for s in strings]
    elif classes == {bool}:
        texts = list(map(_BOOLEANS.__getitem__, values))
    elif classes <= _STR_IS_INPUT:
        texts = _as_input_text(values)
    else:
        return None
    if nulls:
        texts = [_NULL if v is None else text for v, text in zip(values, texts, strict=True)]
    return texts


# `isoformat` of an instant or a day is its `str` (with a "T" between date and time, which
# PostgreSQL reads alike) without the method lookup `str` makes: cheaper, for columns of instants
# that all differ (an event batch's).
_ISO_TEXT: dict[type, Any] = {datetime: datetime.isoformat, date: date.isoformat}


def _as_input_text(values: Sequence[Any]) -> list[str]:
    """`str` of each value, worked out once per distinct value: a run's rows share a few
    instants (every row of a run is stamped with the same one), days, prices and positions,
    and `str` of a datetime or a Decimal is a slow call. Equal values of these classes are the
    same value to PostgreSQL (1.0 and 1, an instant in two time zones): either text will do."""
    try:
        texts_of = {value: _ISO_TEXT.get(type(value), str)(value) for value in set(values)}
    except TypeError:  # not hashable (a signalling NaN): value by value, to fail as it would
        return list(map(str, values))
    return list(map(texts_of.__getitem__, values))


def _escaped(strings: Sequence[str]) -> list[str]:
    """The strings escaped for COPY text. A column's strings are joined and escaped as one
    (`str.replace` in C, only for the characters present) and split again: a run's document
    snapshots all hold backslashes (JSON escapes), and escaping them one by one was a tenth of
    a run's time on PostgreSQL."""
    whole = _SEPARATOR.join(strings)
    if whole.count(_SEPARATOR) > max(len(strings) - 1, 0):
        # A string holds one (the server refuses it, as it would any other way): one by one.
        return [_escape(s) for s in strings]
    escaped = _escape(whole)
    if escaped is whole:
        return list(strings)
    return escaped.split(_SEPARATOR)


def _escape(text: str) -> str:
    for special, escape in _ESCAPES:
        if special in text:
            text = text.replace(special, escape)
    return text


def copy_data(columns: Sequence[Sequence[Any]]) -> str | None:
    """The data of `COPY … FROM STDIN` (text format) for rows given as columns of values as
    the driver takes them (str, int, bool, Decimal, date, datetime, None), or None when a
    column holds another class: the caller then lets psycopg format the rows."""
    texts = [_copy_texts(values) for values in columns]
    if any(column is None for column in texts):
        return None
    return "\n".join(map("\t".join, zip(*cast(list[list[str]], texts), strict=True))) + "\n"
