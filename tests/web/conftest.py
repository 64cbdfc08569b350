"""Back-office helpers: users of the test's organization and a signed-in browser-like client."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.tenancy import passwords
from tarif.tenancy.rules import Role
from tarif.tenancy.service import create_user
from tests.conftest import Tenant

PASSWORD = "correct horse battery"
HTML = {"accept": "text/html,application/xhtml+xml"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class WebUser:
    email: str
    password: str
    role: Role


MakeUser = Callable[..., WebUser]


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with the cheapest parameters: signing in stays a real check, just fast."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture
def make_user(engine: Engine, clock: FixedClock, tenant: Tenant) -> MakeUser:
    def make(role: Role = Role.ADMIN, locale: str | None = None) -> WebUser:
        email = f"{role.value}-{uuid.uuid4().hex[:10]}@example.com"
        with session_factory(engine)() as session:
            ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
            create_user(
                ctx, email=email, name="Léa Martin", password=PASSWORD, role=role, locale=locale
            )
            session.commit()
        return WebUser(email, PASSWORD, role)

    return make


def log_in(client: TestClient, user: WebUser, next_path: str = "/") -> None:
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": user.password,
            "csrf_token": token,
            "next": next_path,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """A client that asks for HTML, as a browser does (errors then come back as pages)."""
    client.headers.update(HTML)
    return client


@pytest.fixture
def admin(browser: TestClient, make_user: MakeUser) -> TestClient:
    """A browser signed in as an admin of the test's organization."""
    log_in(browser, make_user(Role.ADMIN))
    return browser
