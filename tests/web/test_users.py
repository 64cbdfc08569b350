"""The users page: admins add users with a role; errors show inline; other roles only read."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tarif.db.session import session_factory
from tarif.tenancy.models import User
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.web.conftest import MakeUser, csrf_token, log_in


def _post(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/settings/users").text)
    return client.post("/settings/users", data={**fields, "csrf_token": token})


def _user(engine: Engine, email: str) -> User | None:
    with session_factory(engine)() as session:
        return session.scalars(select(User).where(User.email == email)).first()


def test_an_admin_adds_a_finance_user(admin: TestClient, engine: Engine, tenant: Tenant) -> None:
    email = f"compta-{uuid.uuid4().hex[:8]}@example.com"
    response = _post(
        admin,
        name="Chloé Compta",
        email=email,
        password="a-long-password",
        role="finance",
        locale="fr",
    )
    assert response.status_code == 200  # after the 303 back to the list
    assert email in response.text
    created = _user(engine, email)
    assert created is not None
    assert (created.organization_id, created.role, created.locale) == (tenant.id, "finance", "fr")
    assert created.password_hash.startswith("$argon2")


def test_bad_fields_are_shown_inline_and_the_password_is_not_echoed(
    admin: TestClient, engine: Engine
) -> None:
    response = _post(admin, name="Bob", email="not-an-email", password="short-pw", role="sales")
    assert response.status_code == 422
    assert 'data-field="email"' in response.text
    assert 'data-field="password"' in response.text
    assert "short-pw" not in response.text
    assert _user(engine, "not-an-email") is None


def test_a_duplicate_email_is_refused(admin: TestClient, make_user: MakeUser) -> None:
    existing = make_user(Role.SALES)
    response = _post(
        admin, name="Twin", email=existing.email, password="a-long-password", role="sales"
    )
    assert response.status_code == 409
    assert "already exists" in response.text


def test_a_finance_user_sees_the_list_but_cannot_add_users(
    browser: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    log_in(browser, make_user(Role.FINANCE))
    page = browser.get("/settings/users")
    assert page.status_code == 200
    assert 'action="/settings/users"' not in page.text  # no form offered
    email = f"sneaky-{uuid.uuid4().hex[:8]}@example.com"
    token = csrf_token(page.text)
    response = browser.post(
        "/settings/users",
        data={
            "name": "X",
            "email": email,
            "password": "a-long-password",
            "role": "admin",
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    assert _user(engine, email) is None
