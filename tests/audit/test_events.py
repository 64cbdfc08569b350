"""The audit log: who changed what, when, before and after; secrets never; tenants apart."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.clock import FixedClock
from tarif.tenancy.rules import visible_prefix
from tests.conftest import START, Tenant

pytestmark = pytest.mark.usefixtures("fast_argon2")


def events(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/audit-events", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_creating_an_organization_is_recorded(api: TestClient, tenant: Tenant) -> None:
    recorded = events(api)
    # create_organization records the organization, then its first API key, as the system.
    assert [(e["action"], e["object_type"]) for e in recorded] == [
        ("create", "organization"),
        ("create", "api_key"),
    ]
    assert recorded[0]["object_id"] == tenant.id
    assert recorded[0]["after"]["legal_name"] == "Acme SAS"
    assert recorded[0]["before"] is None
    assert {e["actor_kind"] for e in recorded} == {"system"}


def test_a_create_names_the_key_that_did_it_and_the_clock_time(
    api: TestClient, tenant: Tenant, clock: FixedClock
) -> None:
    clock.advance(timedelta(minutes=5))
    created = api.post("/v1/api-keys", json={"name": "Zapier", "role": "sales"}).json()
    (event,) = events(api, object_id=created["id"])
    admin_key_id = events(api, object_type="api_key")[0]["object_id"]
    assert event["action"] == "create"
    assert event["object_type"] == "api_key"
    assert event["actor_kind"] == "api_key"
    assert event["actor_id"] == admin_key_id
    assert event["actor_label"] == f"key {visible_prefix(tenant.api_key)}…"
    assert event["occurred_at"] == "2026-01-15T09:35:00Z"  # 09:30 + 5 min
    assert event["before"] is None
    assert event["after"]["name"] == "Zapier"
    assert event["after"]["role"] == "sales"
    assert event["after"]["prefix"] == created["prefix"]


def test_an_update_keeps_only_the_changed_fields(
    api: TestClient, tenant: Tenant, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=1))
    response = api.patch(
        "/v1/organization", json={"city": "Lyon", "locale": "fr", "postal_code": "69001"}
    )
    assert response.status_code == 200
    update = [e for e in events(api, object_id=tenant.id) if e["action"] == "update"]
    assert len(update) == 1
    # locale was already "fr" and updated_at is bookkeeping: neither shows in the diff.
    assert update[0]["before"] == {"city": None, "postal_code": None}
    assert update[0]["after"] == {"city": "Lyon", "postal_code": "69001"}
    assert update[0]["occurred_at"] == "2026-01-16T09:30:00Z"


def test_a_revocation_reads_as_a_diff(api: TestClient, tenant: Tenant) -> None:
    key_id = api.post("/v1/api-keys", json={"name": "short-lived"}).json()["id"]
    api.post(f"/v1/api-keys/{key_id}/revoke")
    revoke = [e for e in events(api, object_id=key_id) if e["action"] == "revoke"]
    assert len(revoke) == 1
    assert revoke[0]["before"] == {"revoked_at": None}
    assert revoke[0]["after"] == {"revoked_at": START.isoformat()}


def test_secrets_never_reach_the_log(api: TestClient, tenant: Tenant) -> None:
    password = "a very secret passphrase"
    secret = api.post("/v1/api-keys", json={"name": "secret keeper"}).json()["secret"]
    email = f"sam-{uuid.uuid4().hex[:8]}@example.com"
    user = {"email": email, "name": "Sam", "password": password}
    assert api.post("/v1/users", json=user).status_code == 201
    text = json.dumps(events(api))
    for forbidden in (
        secret,
        tenant.api_key,
        password,
        hashlib.sha256(secret.encode()).hexdigest(),
        "$argon2",
        "password_hash",
        "key_hash",
    ):
        assert forbidden not in text
    assert email in text  # the user's creation itself is there


def test_events_filter_by_object(api: TestClient, tenant: Tenant) -> None:
    first = api.post("/v1/api-keys", json={"name": "one"}).json()["id"]
    api.post("/v1/api-keys", json={"name": "two"})
    api.post(f"/v1/api-keys/{first}/revoke")
    assert [e["action"] for e in events(api, object_id=first)] == ["create", "revoke"]
    assert {e["object_id"] for e in events(api, object_id=first)} == {first}
    assert {e["object_type"] for e in events(api, object_type="organization")} == {"organization"}


def test_another_tenants_events_are_invisible(
    api: TestClient, tenant: Tenant, make_tenant: Callable[..., Tenant], client: TestClient
) -> None:
    other = make_tenant("Other SAS")
    client.patch("/v1/organization", json={"city": "Nantes"}, headers=other.headers)
    mine = events(api)
    assert other.id not in json.dumps(mine)
    assert events(api, object_id=other.id) == []
    assert all(e["after"] is None or e["after"].get("city") != "Nantes" for e in mine)
    # And the other way round.
    theirs = client.get(
        "/v1/audit-events", params={"object_id": tenant.id}, headers=other.headers
    ).json()
    assert theirs["data"] == []
