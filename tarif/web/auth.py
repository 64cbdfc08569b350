"""Back-office sessions: login, the signed-in user's unit of work, and CSRF protection."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from tarif.context import Ctx
from tarif.errors import Forbidden
from tarif.tenancy.models import Organization, User
from tarif.tenancy.service import actor_for_user

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(Exception):
    """Raised when a page needs a signed-in user; answered with a redirect to /login."""


def ensure_csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    if request.method not in _UNSAFE_METHODS:
        return
    expected = request.session.get(CSRF_FIELD, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(str(expected), sent):
        raise Forbidden("invalid or missing CSRF token; reload the page and try again")


async def web_ctx(request: Request) -> AsyncIterator[Ctx]:
    """The signed-in user's unit of work; rolls back unless the page committed."""
    user_id = request.session.get("user_id")
    if not user_id:
        raise LoginRequired()
    session = request.app.state.session_factory()
    try:
        user = session.get(User, user_id)
        if user is None or not user.active:
            request.session.clear()
            raise LoginRequired()
        org = session.get(Organization, user.organization_id)
        # Detached copies for the layout: an error page is rendered after this session has
        # rolled back and closed, when attached objects could no longer be read.
        session.expunge(user)
        session.expunge(org)
        request.state.user = user
        request.state.organization = org
        request.state.locale = request.session.get("locale") or user.locale or org.locale
        await check_csrf(request)  # after loading the user, so a refusal still shows the layout
        ensure_csrf_token(request)
        yield Ctx(session, user.organization_id, actor_for_user(user), request.app.state.clock)
    finally:
        session.rollback()
        session.close()


WebCtx = Annotated[Ctx, Depends(web_ctx)]
