"""Cursor pagination (`limit`, `starting_after`) with filters, in a stable order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tarif.clock import FixedClock
from tests.conftest import START, Tenant


def page(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/audit-events", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def walk(api: TestClient, **params: Any) -> list[list[str]]:
    """Every page's ids, following next_cursor until has_more is false."""
    pages, cursor = [], None
    while True:
        body = page(api, **params, **({"starting_after": cursor} if cursor else {}))
        pages.append([e["id"] for e in body["data"]])
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return pages
        cursor = body["next_cursor"]
        assert cursor == body["data"][-1]["id"]


def make_keys(api: TestClient, n: int, name: str = "key") -> None:
    for i in range(n):
        assert api.post("/v1/api-keys", json={"name": f"{name} {i}"}).status_code == 201


def test_pages_cover_every_event_once_in_a_stable_order(api: TestClient, tenant: Tenant) -> None:
    make_keys(api, 5)
    # 2 events from the organization's creation + 5 key creations = 7: pages of 3, 3, 1.
    pages = walk(api, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [i for p in pages for i in p]
    everything = [e["id"] for e in page(api, limit=100)["data"]]
    assert flat == everything
    assert flat == sorted(flat)  # id order, which is creation order
    assert len(set(flat)) == 7
    # Asking again gives the same pages.
    assert walk(api, limit=3) == pages


def test_the_order_is_creation_order(api: TestClient, tenant: Tenant) -> None:
    make_keys(api, 3, name="ordered")
    names = [
        e["after"]["name"]
        for e in page(api, limit=100, object_type="api_key")["data"]
        if e["after"]["name"].startswith("ordered")
    ]
    assert names == ["ordered 0", "ordered 1", "ordered 2"]


def test_new_events_do_not_shift_the_pages_already_read(api: TestClient, tenant: Tenant) -> None:
    make_keys(api, 2)
    first = page(api, limit=2)
    make_keys(api, 2, name="late")
    rest = page(api, limit=100, starting_after=first["next_cursor"])
    seen = [e["id"] for e in first["data"]] + [e["id"] for e in rest["data"]]
    # 2 + 2 + 2 = 6 events, each once, the late ones at the end.
    assert len(seen) == len(set(seen)) == 6
    assert [e["after"]["name"] for e in rest["data"][-2:]] == ["late 0", "late 1"]


def test_updated_since_keeps_later_events(
    api: TestClient, tenant: Tenant, clock: FixedClock
) -> None:
    make_keys(api, 2, name="early")
    clock.advance(timedelta(hours=1))
    make_keys(api, 3, name="later")
    since = (START + timedelta(hours=1)).isoformat()
    data = page(api, limit=100, updated_since=since)["data"]
    assert [e["after"]["name"] for e in data] == ["later 0", "later 1", "later 2"]
    # A naive instant is read as UTC: the same 3 events.
    naive = (START + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert len(page(api, limit=100, updated_since=naive)["data"]) == 3
    # One second later than the last event: nothing.
    after_all = (START + timedelta(hours=1, seconds=1)).isoformat()
    assert page(api, updated_since=after_all)["data"] == []


def test_q_searches_case_insensitively(api: TestClient, tenant: Tenant) -> None:
    make_keys(api, 2)
    api.patch("/v1/organization", json={"city": "Lyon"})
    # "ORGANIZATION" matches the object type "organization": its creation and the update.
    data = page(api, limit=100, q="ORGANIZATION")["data"]
    assert [e["action"] for e in data] == ["create", "update"]
    assert [e["action"] for e in page(api, limit=100, q="upd")["data"]] == ["update"]


def test_q_wildcards_are_literal(api: TestClient, tenant: Tenant) -> None:
    make_keys(api, 1)
    # As LIKE wildcards, "%" would match every event and "c_eate" would match "create".
    assert page(api, q="%")["data"] == []
    assert page(api, q="c_eate")["data"] == []
    # A real underscore still matches one: the object type "api_key".
    assert {e["object_type"] for e in page(api, q="i_k")["data"]} == {"api_key"}


def test_filters_combine_with_pagination(api: TestClient, tenant: Tenant) -> None:
    make_keys(api, 4)
    pages = walk(api, limit=2, object_type="api_key")
    # 1 initial key + 4 new ones = 5 key events: pages of 2, 2, 1.
    assert [len(p) for p in pages] == [2, 2, 1]


def test_limit_is_bounded(api: TestClient, tenant: Tenant) -> None:
    assert api.get("/v1/audit-events", params={"limit": 101}).status_code == 422
    assert api.get("/v1/audit-events", params={"limit": 100}).status_code == 200


def test_updated_since_on_api_keys_follows_revocations(
    api: TestClient, tenant: Tenant, clock: FixedClock
) -> None:
    key_id = api.post("/v1/api-keys", json={"name": "revoked later"}).json()["id"]
    api.post("/v1/api-keys", json={"name": "left alone"})
    clock.advance(timedelta(hours=1))
    assert api.post(f"/v1/api-keys/{key_id}/revoke").status_code == 200
    since = (START + timedelta(minutes=30)).isoformat()
    data = api.get("/v1/api-keys", params={"updated_since": since}).json()["data"]
    assert [k["id"] for k in data] == [key_id]
