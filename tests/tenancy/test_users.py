"""Users: argon2-hashed passwords, unique e-mails, every bad field named."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.db.session import session_factory
from tarif.errors import Unauthorized
from tarif.tenancy.models import User
from tarif.tenancy.passwords import verify_password
from tarif.tenancy.rules import Role
from tarif.tenancy.service import authenticate_user, create_user
from tests.conftest import START, Tenant

pytestmark = pytest.mark.usefixtures("fast_argon2")


def unique_email(name: str = "lea") -> str:
    # The suite shares one database across tests and e-mails are unique across organizations.
    return f"{name}-{uuid.uuid4().hex[:10]}@Example.com"


def body(**changes: object) -> dict[str, object]:
    return {
        "email": unique_email(),
        "name": "Léa Martin",
        "password": "correct horse",
        "role": "finance",
        **changes,
    }


def stored_user(engine: Engine, user_id: str) -> User:
    with session_factory(engine)() as session:
        return session.scalars(select(User).where(User.id == user_id)).one()


def test_create_user_hashes_the_password_with_argon2(
    api: TestClient, tenant: Tenant, engine: Engine
) -> None:
    data = body()
    response = api.post("/v1/users", json=data)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["email"] == str(data["email"]).lower()
    assert created["role"] == "finance"
    assert created["created_at"] == "2026-01-15T09:30:00Z"
    assert "password" not in response.text
    user = stored_user(engine, created["id"])
    assert user.organization_id == tenant.id
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert verify_password(user.password_hash, "correct horse")
    assert not verify_password(user.password_hash, "correct horsE")


def test_duplicate_email_is_a_conflict_whatever_the_case(api: TestClient, tenant: Tenant) -> None:
    email = unique_email()
    assert api.post("/v1/users", json=body(email=email)).status_code == 201
    response = api.post("/v1/users", json=body(email=email.upper()))
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/conflict"


def test_password_needs_ten_characters(api: TestClient, tenant: Tenant) -> None:
    response = api.post("/v1/users", json=body(password="123456789"))  # 9 characters
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/password"]
    assert api.post("/v1/users", json=body(password="1234567890")).status_code == 201


def test_every_bad_field_is_named(api: TestClient, tenant: Tenant) -> None:
    response = api.post("/v1/users", json=body(email="not-an-email", password="short", locale="de"))
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {"/email", "/password", "/locale"}
    # Blank once stripped: refused by the schema before the service runs.
    response = api.post("/v1/users", json=body(name="   "))
    assert [e["pointer"] for e in response.json()["errors"]] == ["/name"]


@pytest.mark.parametrize(("field", "value"), [("role", "owner"), ("bogus", True)])
def test_unknown_roles_and_fields_are_refused(
    api: TestClient, tenant: Tenant, field: str, value: object
) -> None:
    response = api.post("/v1/users", json=body(**{field: value}))
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == [f"/{field}"]


def test_users_list_is_scoped_and_paginated(
    api: TestClient, tenant: Tenant, make_tenant: object
) -> None:
    ids = [api.post("/v1/users", json=body()).json()["id"] for _ in range(3)]
    first = api.get("/v1/users", params={"limit": 2}).json()
    rest = api.get("/v1/users", params={"limit": 2, "starting_after": first["next_cursor"]})
    assert [u["id"] for u in first["data"] + rest.json()["data"]] == ids
    assert rest.json()["has_more"] is False


def test_sign_in_checks_the_password_and_records_the_time(
    ctx: Ctx, session: Session, clock: FixedClock
) -> None:
    email = unique_email()
    create_user(ctx, email=email, name="Léa", password="correct horse", role=Role.ADMIN)
    clock.advance(timedelta(hours=2))
    user = authenticate_user(session, clock, email.upper(), "correct horse")
    assert user.last_login_at == START + timedelta(hours=2)
    with pytest.raises(Unauthorized):
        authenticate_user(session, clock, email, "wrong password")
    with pytest.raises(Unauthorized):
        authenticate_user(session, clock, "nobody@example.com", "correct horse")
    user.active = False
    with pytest.raises(Unauthorized):
        authenticate_user(session, clock, email, "correct horse")
