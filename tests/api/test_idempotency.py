"""Idempotency-Key on POST: replays, refuses reuse with another body, expires after 24 h."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tarif.api.idempotency import KEEP_FOR
from tarif.clock import FixedClock
from tarif.tenancy.rules import Role
from tests.api.conftest import Probe
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("fast_argon2")


def key_events(api: TestClient) -> list[dict[str, Any]]:
    response = api.get("/v1/audit-events", params={"object_type": "api_key", "limit": 100})
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def post_key(api: TestClient, idem: str, name: str = "CI") -> Any:
    return api.post("/v1/api-keys", json={"name": name}, headers={"Idempotency-Key": idem})


def test_the_same_key_and_body_replay_the_first_response(api: TestClient) -> None:
    before = len(key_events(api))
    first = post_key(api, "idem-1")
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers

    again = post_key(api, "idem-1")
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    assert again.json() == first.json()  # the same key id, even the same secret
    # One key created, so one audit event, however many times the POST came.
    assert len(key_events(api)) == before + 1


def test_the_same_key_with_another_body_is_refused(api: TestClient) -> None:
    assert post_key(api, "idem-2", name="first").status_code == 201
    response = post_key(api, "idem-2", name="second")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/idempotency-key-reused"
    assert problem["instance"] == "/v1/api-keys"
    assert [e["after"]["name"] for e in key_events(api)].count("second") == 0


def test_the_same_key_on_another_path_is_refused(api: TestClient) -> None:
    assert post_key(api, "idem-3").status_code == 201
    user = {"email": "idem@example.com", "name": "I", "password": "long enough"}
    response = api.post("/v1/users", json=user, headers={"Idempotency-Key": "idem-3"})
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"


def test_keys_are_per_organization(api: TestClient, client: TestClient, make_tenant: Any) -> None:
    other: Tenant = make_tenant("Other SAS")
    mine = post_key(api, "shared-name")
    theirs = client.post(
        "/v1/api-keys",
        json={"name": "CI"},
        headers={**other.headers, "Idempotency-Key": "shared-name"},
    )
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


def test_keys_expire_after_24_hours(api: TestClient, clock: FixedClock) -> None:
    first = post_key(api, "idem-4")
    clock.advance(KEEP_FOR - timedelta(seconds=1))
    assert post_key(api, "idem-4").headers.get("idempotent-replayed") == "true"
    # 24 h + 1 s after the first use the key is forgotten: the request runs again.
    clock.advance(timedelta(seconds=2))
    again = post_key(api, "idem-4")
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    # …and may even carry another body now.
    clock.advance(KEEP_FOR + timedelta(seconds=1))
    assert post_key(api, "idem-4", name="another").status_code == 201


def test_errors_below_500_are_replayed_too(api: TestClient) -> None:
    first = api.post("/v1/api-keys", json={"name": ""}, headers={"Idempotency-Key": "idem-5"})
    assert first.status_code == 422
    again = api.post("/v1/api-keys", json={"name": ""}, headers={"Idempotency-Key": "idem-5"})
    assert again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_an_overlong_key_is_refused(api: TestClient) -> None:
    response = post_key(api, "k" * 256)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation-error"


def test_without_a_key_each_post_runs(api: TestClient) -> None:
    before = len(key_events(api))
    api.post("/v1/api-keys", json={"name": "CI"})
    api.post("/v1/api-keys", json={"name": "CI"})
    assert len(key_events(api)) == before + 2


def test_unauthenticated_posts_are_not_remembered(client: TestClient, api: TestClient) -> None:
    response = client.post(
        "/v1/api-keys",
        json={"name": "CI"},
        headers={"Idempotency-Key": "idem-6", "Authorization": "Bearer tk_wrong"},
    )
    assert response.status_code == 401
    # The key was not taken by the refused request: the real one runs.
    assert post_key(api, "idem-6").status_code == 201


@pytest.fixture
def quiet_client(app: FastAPI, probe: Probe, tenant: Tenant) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(tenant.headers)
        yield c


def test_a_5xx_releases_the_key(quiet_client: TestClient, probe: Probe) -> None:
    headers = {"Idempotency-Key": "idem-7"}
    failed = quiet_client.post("/v1/test/flaky", headers=headers)
    assert failed.status_code == 500
    # Nothing was written, so the retry runs for real instead of replaying the 500.
    retried = quiet_client.post("/v1/test/flaky", headers=headers)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert probe.flaky_calls == 2
    replayed = quiet_client.post("/v1/test/flaky", headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == retried.json()
    assert probe.flaky_calls == 2


def test_a_duplicate_while_the_first_is_in_flight_is_409(api: TestClient, probe: Probe) -> None:
    headers = {"Idempotency-Key": "idem-8"}
    outcome: dict[str, Any] = {}

    def first_request() -> None:
        outcome["first"] = api.post("/v1/test/slow", headers=headers)

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert probe.slow_started.wait(timeout=10)
        duplicate = api.post("/v1/test/slow", headers=headers)
        assert duplicate.status_code == 409
        assert duplicate.json()["type"] == "/problems/conflict"
        assert "in progress" in duplicate.json()["detail"]
    finally:
        probe.slow_release.set()
        thread.join(timeout=10)
    assert outcome["first"].status_code == 201
    # Once finished, the same key replays the first answer.
    assert api.post("/v1/test/slow", headers=headers).headers["idempotent-replayed"] == "true"


def test_another_key_of_the_organization_cannot_replay(
    api: TestClient, client: TestClient, make_key: Any
) -> None:
    first = post_key(api, "idem-9")
    assert first.status_code == 201
    # A read-only key sending the same key and body must not receive the new key's secret.
    reader = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}", "Idempotency-Key": "idem-9"}
    response = client.post("/v1/api-keys", json={"name": "CI"}, headers=reader)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert first.json()["secret"] not in response.text


def test_a_reservation_abandoned_by_a_crashed_process_is_released(
    api: TestClient, clock: FixedClock, session: Any, tenant: Tenant
) -> None:
    from tarif.api.idempotency import ABANDONED_AFTER
    from tarif.tenancy.models import IdempotencyRecord

    # A process reserved the key, then died before answering: no status, no response.
    session.add(
        IdempotencyRecord(
            id="idk_crashed",
            organization_id=tenant.id,
            key="idem-crash",
            request_hash="0" * 64,
            created_at=clock.now(),
            expires_at=clock.now() + KEEP_FOR,
        )
    )
    session.commit()
    # Until then the key is held by that request (whose body differs from ours): refused.
    assert post_key(api, "idem-crash").status_code == 422

    clock.advance(ABANDONED_AFTER + timedelta(seconds=1))
    retried = post_key(api, "idem-crash")
    assert retried.status_code == 201
    assert post_key(api, "idem-crash").headers["idempotent-replayed"] == "true"
