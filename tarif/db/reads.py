"""Reading plain rows without the ORM's loading layer.

`session.execute(select(columns…))` hands every row to the ORM's loader, which rebuilds it as
a row again: for the hundreds of thousands of rows a billing run reads (its contracts' versions
and billed lines) that is a tenth of the reading. `rows` runs the statement on the session's
connection, in its transaction, after flushing what the session holds when it autoflushes (not
inside `no_autoflush`, as the ORM's own reads), and gives SQLAlchemy Core's rows: the same
columns, names and types.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.orm import Session


def rows(session: Session, statement: Executable) -> Result[Any]:
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement)
