"""API keys: random, shown once, stored hashed, prefix visible, revocable, last use recorded."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tarif.clock import FixedClock
from tarif.db.session import session_factory
from tarif.tenancy.models import ApiKey
from tarif.tenancy.rules import Role
from tests.conftest import START, Tenant


def stored_key(engine: Engine, key_id: str) -> ApiKey:
    with session_factory(engine)() as session:
        return session.scalars(select(ApiKey).where(ApiKey.id == key_id)).one()


def key_id_of(engine: Engine, secret: str) -> str:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    with session_factory(engine)() as session:
        return session.scalars(select(ApiKey.id).where(ApiKey.key_hash == digest)).one()


def test_a_new_key_is_shown_once_with_its_prefix(api: TestClient, tenant: Tenant) -> None:
    response = api.post("/v1/api-keys", json={"name": "CI pipeline", "role": "finance"})
    assert response.status_code == 201
    created = response.json()
    secret = created["secret"]
    # "tk_" + 43 URL-safe characters (32 random bytes).
    assert secret.startswith("tk_")
    assert len(secret) == 3 + 43
    assert created["prefix"] == secret[:11]
    assert created["role"] == "finance"
    assert created["revoked_at"] is None

    listed = api.get("/v1/api-keys").json()["data"]
    assert created["id"] in [k["id"] for k in listed]
    assert all("secret" not in k for k in listed)
    assert secret not in api.get("/v1/api-keys").text
    assert [k["prefix"] for k in listed if k["id"] == created["id"]] == [secret[:11]]


def test_keys_are_random(api: TestClient, tenant: Tenant) -> None:
    secrets = {api.post("/v1/api-keys", json={"name": f"k{i}"}).json()["secret"] for i in range(3)}
    assert len(secrets) == 3


def test_only_a_hash_is_stored(api: TestClient, engine: Engine, tenant: Tenant) -> None:
    created = api.post("/v1/api-keys", json={"name": "hashed"}).json()
    key = stored_key(engine, created["id"])
    assert key.key_hash == hashlib.sha256(created["secret"].encode()).hexdigest()
    assert key.key_hash != created["secret"]
    stored_values = [str(getattr(key, c.key)) for c in ApiKey.__table__.columns]
    assert all(created["secret"] not in value for value in stored_values)


def test_the_new_key_works_on_the_api(client: TestClient, api: TestClient, tenant: Tenant) -> None:
    secret = api.post("/v1/api-keys", json={"name": "second"}).json()["secret"]
    response = client.get("/v1/organization", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json()["id"] == tenant.id


def test_a_revoked_key_is_refused(client: TestClient, api: TestClient, tenant: Tenant) -> None:
    created = api.post("/v1/api-keys", json={"name": "to revoke"}).json()
    headers = {"Authorization": f"Bearer {created['secret']}"}
    assert client.get("/v1/organization", headers=headers).status_code == 200

    revoked = api.post(f"/v1/api-keys/{created['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] == START.isoformat().replace("+00:00", "Z")

    response = client.get("/v1/organization", headers=headers)
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_revoking_twice_keeps_the_first_time(
    api: TestClient, tenant: Tenant, clock: FixedClock
) -> None:
    key_id = api.post("/v1/api-keys", json={"name": "twice"}).json()["id"]
    first = api.post(f"/v1/api-keys/{key_id}/revoke").json()["revoked_at"]
    clock.advance(timedelta(hours=1))
    assert api.post(f"/v1/api-keys/{key_id}/revoke").json()["revoked_at"] == first


def test_another_organizations_key_cannot_be_revoked(
    api: TestClient, tenant: Tenant, make_tenant: Callable[..., Tenant], engine: Engine
) -> None:
    other = make_tenant("Other SAS")
    other_key = key_id_of(engine, other.api_key)
    response = api.post(f"/v1/api-keys/{other_key}/revoke")
    assert response.status_code == 404
    assert stored_key(engine, other_key).revoked_at is None


def test_last_use_is_recorded_at_most_once_a_minute(
    client: TestClient, tenant: Tenant, clock: FixedClock, engine: Engine
) -> None:
    key_id = key_id_of(engine, tenant.api_key)
    assert stored_key(engine, key_id).last_used_at is None

    def use_after(delta: timedelta) -> datetime | None:
        clock.advance(delta)
        assert client.get("/v1/organization", headers=tenant.headers).status_code == 200
        return stored_key(engine, key_id).last_used_at

    assert use_after(timedelta(0)) == START
    # 30 s, then 59 s after the recorded use: within the minute, nothing is rewritten.
    assert use_after(timedelta(seconds=30)) == START
    assert use_after(timedelta(seconds=29)) == START
    # 30 + 29 + 2 = 61 s after the recorded use: written again.
    assert use_after(timedelta(seconds=2)) == START + timedelta(seconds=61)


def test_last_use_is_kept_when_the_request_is_refused(
    client: TestClient, tenant: Tenant, engine: Engine
) -> None:
    # The use is written in its own transaction: the refused request's rollback keeps it.
    key_id = key_id_of(engine, tenant.api_key)
    response = client.post("/v1/api-keys", json={"name": ""}, headers=tenant.headers)
    assert response.status_code == 422
    assert stored_key(engine, key_id).last_used_at == START


def test_missing_wrong_or_unknown_credentials_are_401(client: TestClient, tenant: Tenant) -> None:
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer tk_not_a_real_key"},
    ):
        response = client.get("/v1/organization", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"


def test_key_names_are_required(api: TestClient, tenant: Tenant) -> None:
    response = api.post("/v1/api-keys", json={"name": ""})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/name"]


def test_keys_list_is_paginated(
    api: TestClient, tenant: Tenant, make_key: Callable[[Role], str]
) -> None:
    for _ in range(3):
        make_key(Role.READ_ONLY)
    # The initial admin key plus 3 read-only keys = 4, in pages of 3 and 1.
    first = api.get("/v1/api-keys", params={"limit": 3}).json()
    assert len(first["data"]) == 3
    assert first["has_more"] is True
    rest = api.get(
        "/v1/api-keys", params={"limit": 3, "starting_after": first["next_cursor"]}
    ).json()
    assert len(rest["data"]) == 1
    assert rest["has_more"] is False
    # "_" is matched literally: only the three keys named "read_only key".
    found = api.get("/v1/api-keys", params={"q": "read_only"}).json()["data"]
    assert [k["role"] for k in found] == ["read_only"] * 3
