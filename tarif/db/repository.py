"""Tenant-scoped reads shared by every capability's repository."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, MetaData, Select, func, or_, select
from sqlalchemy.orm import Session

from tarif.errors import InvalidInput, NotFound

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageRequest:
    limit: int = 20
    starting_after: str | None = None
    updated_since: datetime | None = None
    q: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool

    @property
    def next_cursor(self) -> str | None:
        return getattr(self.items[-1], "id", None) if self.has_more and self.items else None


def scoped(model: Any, organization_id: str) -> Select[Any]:
    return select(model).where(model.organization_id == organization_id)


def get_scoped(session: Session, model: Any, organization_id: str, object_id: str) -> Any:
    """Another tenant's object is indistinguishable from a missing one: both are 404."""
    obj = session.scalars(scoped(model, organization_id).where(model.id == object_id)).one_or_none()
    if obj is None:
        raise NotFound(f"{model.__name__.lower()} '{object_id}' not found")
    return obj


def paginate(
    session: Session,
    stmt: Select[Any],
    model: Any,
    page: PageRequest,
    search_columns: tuple[Any, ...] = (),
    updated_column: Any = None,
) -> Page[Any]:
    """Cursor pagination in id order (ids are time-ordered), stable under inserts.

    `updated_since` filters on `updated_column` (default: the model's `updated_at`); a list
    with neither refuses the filter rather than ignoring it. `q` is a case-insensitive
    substring of any of `search_columns` (a caller that searches in its own way passes none).
    """
    limit = max(1, min(page.limit, MAX_PAGE_SIZE))
    if page.starting_after:
        stmt = stmt.where(model.id > page.starting_after)
    if page.updated_since is not None:
        column = (
            updated_column if updated_column is not None else getattr(model, "updated_at", None)
        )
        if column is None:
            raise InvalidInput.on("updated_since", "this list cannot be filtered by update time")
        stmt = stmt.where(column >= page.updated_since)
    if page.q and search_columns:
        stmt = stmt.where(search_clause(page.q, search_columns))
    rows = list(session.scalars(stmt.order_by(model.id).limit(limit + 1)))
    return Page(items=rows[:limit], has_more=len(rows) > limit)


def search_clause(q: str, search_columns: tuple[Any, ...]) -> Any:
    """`q` as a case-insensitive substring of any of the columns: `paginate`'s search, for a
    list read in another order."""
    # % and _ in the search text are literal characters, not wildcards.
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(func.lower(col).like(pattern, escape="\\") for col in search_columns))


def foreign_key_columns_to(
    schema: MetaData, table_name: str, *, ignore: Iterable[str] = ()
) -> list[Column[Any]]:
    """Every foreign-key column of another table pointing at `table_name`.

    Read from the metadata, so tables added later (contract lines, invoice lines) are found
    without changing the callers.
    """
    skipped = set(ignore)
    return [
        fk.parent
        for table in schema.sorted_tables
        if table.name not in skipped
        for fk in table.foreign_keys
        if fk.column.table.name == table_name
    ]


def count_references(
    session: Session,
    schema: MetaData,
    table_name: str,
    object_id: str,
    *,
    ignore: Iterable[str] = (),
) -> dict[str, int]:
    """Rows of other tables referencing `object_id` through a foreign key, counted per table:
    what blocks deleting an object that must be archived instead."""
    counts: dict[str, int] = {}
    for column in foreign_key_columns_to(schema, table_name, ignore=ignore):
        count = session.scalar(
            select(func.count()).select_from(column.table).where(column == object_id)
        )
        if count:
            counts[column.table.name] = counts.get(column.table.name, 0) + count
    return counts
