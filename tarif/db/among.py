"""`column IN (many values)` written the way each database takes it best.

A billing run reads its contracts, versions, billed lines and customers by batches of a
thousand or two ids. Rendered as `IN (%s, %s, …)`, each read costs PostgreSQL the parsing of
thousands of parameters (and psycopg as much to split the query text); `= ANY(%s)` sends one
array parameter, planned as the same index scan. SQLite binds its `?` in C: `IN` stays.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def among(column: Any, values: Collection[Any], dialect: str) -> ColumnElement[bool]:
    """`column IN values`; `dialect` is the session's (`session.get_bind().dialect.name`)."""
    if dialect == "postgresql":
        return cast(
            ColumnElement[bool],
            column == any_(bindparam(None, list(values), type_=ARRAY(column.type))),
        )
    return cast(ColumnElement[bool], column.in_(values))


def dialect_of(session: Any) -> str:
    return str(session.get_bind().dialect.name)
