"""Coupons over HTTP (today: 15 Jan 2026; hosting 399.00 a month from 15 Jan)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, build_world
from tests.invoicing.conftest import hosting_contract


@pytest.fixture
def shop(ctx: Ctx) -> dict[str, Any]:
    """A running EUR contract, committed so the API sees it."""
    world = build_world(ctx)
    contract = hosting_contract(world)
    ctx.session.commit()
    return {"contract_id": contract.id, "world": world}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


WELCOME = {
    "code": "welcome20",
    "name": "Welcome",
    "kind": "percentage",
    "value": "20",
    "duration": "repeating",
    "duration_months": 3,
}


def test_create_list_get_update_archive(api: TestClient) -> None:
    made = ok(api.post("/v1/coupons", json=WELCOME), 201)
    assert (made["code"], made["value"], made["currency"], made["redemptions_count"]) == (
        "WELCOME20",
        "20",
        None,
        0,
    )
    assert [c["id"] for c in ok(api.get("/v1/coupons"))["data"]] == [made["id"]]
    assert ok(api.get("/v1/coupons", params={"q": "welc"}))["data"][0]["id"] == made["id"]
    assert ok(api.get(f"/v1/coupons/{made['id']}"))["code"] == "WELCOME20"
    updated = ok(
        api.patch(
            f"/v1/coupons/{made['id']}",
            json={"max_redemptions": 10, "redeemable_until": "2026-06-30"},
        )
    )
    assert (updated["max_redemptions"], updated["redeemable_until"], updated["name"]) == (
        10,
        "2026-06-30",
        "Welcome",
    )
    archived = ok(api.post(f"/v1/coupons/{made['id']}/archive"))
    assert archived["archived"] is True
    assert ok(api.get("/v1/coupons", params={"archived": "false"}))["data"] == []


def test_a_fixed_coupon_shows_its_amount_with_the_minor_unit(api: TestClient) -> None:
    body = {"code": "FIFTY", "kind": "fixed", "value": "50", "currency": "EUR"}
    assert ok(api.post("/v1/coupons", json=body), 201)["value"] == "50.00"


def test_bad_coupons_are_problems_naming_fields(api: TestClient) -> None:
    body = problem(
        api.post("/v1/coupons", json={"code": "X", "kind": "percentage", "value": "120"}), 422
    )
    assert fields(body) == {"value"}
    body = problem(api.post("/v1/coupons", json={"code": "X", "kind": "fixed", "value": "5"}), 422)
    assert fields(body) == {"currency"}
    body = problem(api.post("/v1/coupons", json=WELCOME | {"colour": "red"}), 422)
    assert "colour" in fields(body)
    ok(api.post("/v1/coupons", json=WELCOME), 201)
    assert "WELCOME20" in problem(api.post("/v1/coupons", json=WELCOME), 409)["detail"]
    problem(api.get("/v1/coupons/cpn_missing"), 404)


def test_redeem_list_and_remove(api: TestClient, shop: dict[str, Any]) -> None:
    ok(api.post("/v1/coupons", json=WELCOME), 201)
    contract_id = shop["contract_id"]
    made = ok(api.post(f"/v1/contracts/{contract_id}/coupons", json={"code": "Welcome20"}), 201)
    # redeemed today, 15 Jan 2026, for 3 months: ends (exclusive) 15 Apr 2026
    assert (made["code"], made["redeemed_on"], made["ends_on"], made["status"]) == (
        "WELCOME20",
        "2026-01-15",
        "2026-04-15",
        "active",
    )
    listed = ok(api.get(f"/v1/contracts/{contract_id}/coupons"))
    assert [r["id"] for r in listed] == [made["id"]]
    removed = ok(api.delete(f"/v1/contracts/{contract_id}/coupons/{made['id']}"))
    assert (removed["status"], removed["removed_on"]) == ("removed", "2026-01-15")
    coupon = ok(api.get("/v1/coupons"))["data"][0]
    assert coupon["redemptions_count"] == 1
    assert [r["id"] for r in ok(api.get(f"/v1/coupons/{coupon['id']}/redemptions"))] == [made["id"]]


def test_redemption_problems(api: TestClient, shop: dict[str, Any], ctx: Ctx) -> None:
    contract_id = shop["contract_id"]
    url = f"/v1/contracts/{contract_id}/coupons"
    ok(api.post("/v1/coupons", json=WELCOME | {"max_redemptions": 1}), 201)
    expired = {"code": "XMAS", "kind": "percentage", "value": "10"}
    ok(api.post("/v1/coupons", json=expired | {"redeemable_until": "2025-12-31"}), 201)
    usd = {"code": "DOLLARS", "kind": "fixed", "value": "50", "currency": "USD"}
    ok(api.post("/v1/coupons", json=usd), 201)
    body = problem(api.post(url, json={"code": "XMAS"}), 422)
    assert fields(body) == {"code"} and "XMAS" in body["detail"]
    body = problem(api.post(url, json={"code": "DOLLARS"}), 422)
    assert fields(body) == {"code"} and "USD" in body["detail"]
    assert fields(problem(api.post(url, json={"code": "NOPE"}), 422)) == {"code"}
    ok(api.post(url, json={"code": "WELCOME20"}), 201)
    assert "already" in problem(api.post(url, json={"code": "WELCOME20"}), 409)["detail"]
    # a second contract: the limit of 1 is reached
    world: World = shop["world"]
    other = hosting_contract(world, reference="C-2")
    ctx.session.commit()
    body = problem(api.post(f"/v1/contracts/{other.id}/coupons", json={"code": "WELCOME20"}), 409)
    assert "limit of 1" in body["detail"]
    problem(api.post("/v1/contracts/ctr_missing/coupons", json={"code": "WELCOME20"}), 404)


def test_read_only_keys_cannot_write(
    client: TestClient, make_key: Any, shop: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    problem(client.post("/v1/coupons", json=WELCOME, headers=headers), 403)
    ok(client.get("/v1/coupons", headers=headers))
