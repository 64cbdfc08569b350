"""FastAPI dependencies: authentication, the request's unit of work, pagination parameters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from tarif.clock import Clock
from tarif.context import Actor, Ctx
from tarif.db.repository import MAX_PAGE_SIZE, PageRequest
from tarif.errors import Unauthorized
from tarif.tenancy.service import find_api_key, key_use_due, record_key_use


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def clock(request: Request) -> Clock:
    app_clock: Clock = request.app.state.clock
    return app_clock


def bearer_secret(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send 'Authorization: Bearer <API key>'")
    return secret.strip()


def authenticate(request: Request, session: Session) -> tuple[str, Actor]:
    """Resolves the API key, read by the request's own session (its transaction: no second
    connection nor round trips of its own). Its last use is written, at most once a minute,
    in a short transaction of its own, kept whatever becomes of the request's."""
    cached = getattr(request.state, "auth", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    secret = bearer_secret(request)
    key, actor = find_api_key(session, secret)
    now = clock(request).now()
    key_id, organization_id, due = key.id, key.organization_id, key_use_due(key, now)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite refuses at once a transaction that read, then writes after another writer
        # committed: the handler's transaction starts after this read, not with it.
        session.rollback()
    if due:
        with session_factory(request)() as marking:
            record_key_use(marking, key_id, now)
            marking.commit()
    request.state.auth = (organization_id, actor)
    return organization_id, actor


def api_ctx(request: Request) -> Iterator[Ctx]:
    """One request, one transaction: handlers call `ctx.session.commit()` when done; anything
    else (an exception, a forgotten commit) is rolled back here."""
    session = session_factory(request)()
    try:
        organization_id, actor = authenticate(request, session)
        yield Ctx(session, organization_id, actor, clock(request))
    finally:
        session.rollback()
        session.close()


# The paging parameters every list takes (`page_request`, `cursor_page_request`).
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
Cursor = Annotated[
    str | None, Query(max_length=40, description="Cursor: the last id of the previous page")
]


def page_request(
    limit: PageSize = 20,
    starting_after: Cursor = None,
    updated_since: Annotated[
        datetime | None, Query(description="Only objects updated at or after this instant")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Free-text search")] = None,
) -> PageRequest:
    if updated_since is not None and updated_since.tzinfo is None:
        updated_since = updated_since.replace(tzinfo=UTC)
    return PageRequest(limit=limit, starting_after=starting_after, updated_since=updated_since, q=q)


def cursor_page_request(limit: PageSize = 20, starting_after: Cursor = None) -> PageRequest:
    """A page of a history listed newest first (usage-trigger histories): a cursor and a size,
    no `q` nor `updated_since`, which such a route would otherwise accept and not apply (an
    unknown query parameter is a 422 naming it)."""
    return PageRequest(limit=limit, starting_after=starting_after)


CtxDep = Annotated[Ctx, Depends(api_ctx)]
PageDep = Annotated[PageRequest, Depends(page_request)]
CursorPageDep = Annotated[PageRequest, Depends(cursor_page_request)]
