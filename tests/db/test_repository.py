"""Tenant-scoped reads and cursor pagination."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tarif.audit.models import AuditEvent
from tarif.context import Ctx
from tarif.db.repository import PageRequest, get_scoped, paginate, scoped
from tarif.errors import InvalidInput, NotFound
from tarif.tenancy.models import ApiKey
from tarif.tenancy.service import create_api_key
from tests.conftest import START, Tenant


def test_another_tenants_object_is_not_found(
    ctx: Ctx, session: Session, make_tenant: Callable[..., Tenant]
) -> None:
    other = make_tenant("Other SAS")  # first: SQLite lets one connection write at a time
    mine = create_api_key(ctx, name="mine").api_key
    theirs = session.scalars(scoped(ApiKey, other.id)).first()
    assert theirs is not None
    assert get_scoped(session, ApiKey, ctx.organization_id, mine.id) is mine
    with pytest.raises(NotFound, match="not found"):
        get_scoped(session, ApiKey, ctx.organization_id, theirs.id)
    assert theirs.id not in [k.id for k in session.scalars(scoped(ApiKey, ctx.organization_id))]


def test_paginate_reports_the_next_cursor(ctx: Ctx, session: Session) -> None:
    for i in range(3):
        create_api_key(ctx, name=f"k{i}")
    session.flush()
    stmt = scoped(ApiKey, ctx.organization_id)
    # 1 initial key + 3 = 4 keys: a page of 3 has more, its cursor is its last id.
    first = paginate(session, stmt, ApiKey, PageRequest(limit=3))
    assert len(first.items) == 3 and first.has_more
    assert first.next_cursor == first.items[-1].id
    rest = paginate(session, stmt, ApiKey, PageRequest(limit=3, starting_after=first.next_cursor))
    assert len(rest.items) == 1 and not rest.has_more
    assert rest.next_cursor is None


def test_paginate_clamps_the_limit(ctx: Ctx, session: Session) -> None:
    stmt = scoped(ApiKey, ctx.organization_id)
    # A limit of 0 still returns a page of 1 (the initial key); the maximum is 100.
    assert len(paginate(session, stmt, ApiKey, PageRequest(limit=0)).items) == 1


def test_updated_since_uses_the_given_column_or_is_refused(ctx: Ctx, session: Session) -> None:
    stmt = scoped(AuditEvent, ctx.organization_id)
    later = PageRequest(updated_since=START + timedelta(seconds=1))
    with pytest.raises(InvalidInput) as caught:
        paginate(session, stmt, AuditEvent, later)  # audit events have no updated_at
    assert [e.field for e in caught.value.errors] == ["updated_since"]
    page = paginate(session, stmt, AuditEvent, later, updated_column=AuditEvent.occurred_at)
    assert page.items == []
    everything = PageRequest(updated_since=START)
    assert paginate(session, stmt, AuditEvent, everything, updated_column=AuditEvent.occurred_at)


def test_q_without_search_columns_is_left_to_the_caller(ctx: Ctx, session: Session) -> None:
    # A capability that searches in its own way filters the statement and passes no columns.
    stmt = scoped(ApiKey, ctx.organization_id)
    page = paginate(session, stmt, ApiKey, PageRequest(q="no such text"))
    assert len(page.items) == 1
