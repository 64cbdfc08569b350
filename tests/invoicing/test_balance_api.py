"""The customer credit balance over HTTP: goodwill, use at finalization, history, refunds,
problems naming the field, roles (clock: 15 Jan 2026)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, build_world
from tests.invoicing.balance_world import february_draft


@pytest.fixture
def shop(ctx: Ctx) -> tuple[World, str]:
    """The customer and its February draft of 399.00 + 79.80 VAT = 478.80, committed."""
    world = build_world(ctx)
    draft = february_draft(world)
    ctx.session.commit()
    return world, draft


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem_fields(response: Any, status: int = 422) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["pointer"].lstrip("/"): e["detail"] for e in response.json().get("errors", [])}


def test_goodwill_then_finalize_shows_the_credit_applied(
    api: TestClient, shop: tuple[World, str]
) -> None:
    world, draft = shop
    customer = world.customer.id
    body = {"amount": "50.00", "currency": "EUR", "reason": "Outage on 12 January"}
    granted = ok(api.post(f"/v1/customers/{customer}/goodwill-credits", json=body), 201)
    assert (granted["kind"], granted["amount"], granted["balance_after"]) == (
        "goodwill",
        "50.00",
        "50.00",
    )
    invoice = ok(api.post(f"/v1/invoices/{draft}/finalize"))
    # 478.80 − 50.00 = 428.80 still due
    assert (invoice["status"], invoice["amount_paid"], invoice["amount_due"]) == (
        "partially_paid",
        "50.00",
        "428.80",
    )
    [payment] = ok(api.get(f"/v1/invoices/{draft}/payments"))["data"]
    assert (payment["method"], payment["amount"]) == ("credit_balance", "50.00")
    assert granted["id"] in payment["reference"]
    read = ok(api.get(f"/v1/customers/{customer}/balance"))
    assert read["balances"] == [{"currency": "EUR", "available": "0.00"}]
    history = read["history"]["data"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in history] == [
        ("applied", "-50.00", "0.00"),
        ("goodwill", "50.00", "50.00"),
    ]
    assert history[0]["invoice_id"] == draft
    # a manual payment is method "manual"
    paid = ok(api.post(f"/v1/invoices/{draft}/payments", json={"amount": "428.80"}), 201)
    assert (paid["method"], paid["invoice_status"]) == ("manual", "paid")


def test_history_pages_and_refunds(api: TestClient, shop: tuple[World, str]) -> None:
    world, _ = shop
    customer = world.customer.id
    for amount in ("30.00", "40.00"):
        body = {"amount": amount, "currency": "EUR", "reason": "gesture"}
        ok(api.post(f"/v1/customers/{customer}/goodwill-credits", json=body), 201)
    refund = {"amount": "25.00", "currency": "EUR", "reference": "VIR-7", "method": "transfer"}
    made = ok(api.post(f"/v1/customers/{customer}/balance-refunds", json=refund), 201)
    # 30.00 + 40.00 − 25.00 = 45.00
    assert (made["kind"], made["amount"], made["balance_after"]) == ("refund", "-25.00", "45.00")
    assert made["refund_id"]
    first = ok(api.get(f"/v1/customers/{customer}/balance", params={"limit": 2}))["history"]
    assert [e["balance_after"] for e in first["data"]] == ["45.00", "70.00"]
    assert first["has_more"] and first["next_cursor"] == first["data"][-1]["id"]
    rest = ok(
        api.get(
            f"/v1/customers/{customer}/balance",
            params={"limit": 2, "starting_after": first["next_cursor"]},
        )
    )["history"]
    assert [(e["amount"], e["balance_after"]) for e in rest["data"]] == [("30.00", "30.00")]
    assert rest["has_more"] is False


def test_bad_requests_are_problems_naming_the_field(
    api: TestClient, shop: tuple[World, str]
) -> None:
    world, _ = shop
    customer = world.customer.id
    goodwill = f"/v1/customers/{customer}/goodwill-credits"
    refunds = f"/v1/customers/{customer}/balance-refunds"
    for amount, message in [
        ("-5.00", "must be more than zero"),
        ("0", "must be more than zero"),
        ("12.345", "at most 2 decimals in EUR"),
    ]:
        body = {"amount": amount, "currency": "EUR", "reason": "x"}
        assert problem_fields(api.post(goodwill, json=body)) == {"amount": message}
    ok(api.post(goodwill, json={"amount": "10.00", "currency": "EUR", "reason": "x"}), 201)
    too_much = {"amount": "10.01", "currency": "EUR", "reference": "VIR-8"}
    assert problem_fields(api.post(refunds, json=too_much)) == {
        "amount": "more than the 10.00 EUR available"
    }
    assert "reason" in problem_fields(api.post(goodwill, json={"amount": "1", "currency": "EUR"}))
    unknown = {"amount": "1", "currency": "EUR", "reason": "x", "note": "?"}
    assert "note" in problem_fields(api.post(goodwill, json=unknown))
    assert "currency" in problem_fields(
        api.get(f"/v1/customers/{customer}/balance", params={"currency": "ZZZ"})
    )
    assert problem_fields(api.get("/v1/customers/cus_nope/balance"), 404) == {}


def test_read_only_keys_read_but_do_not_credit(
    client: TestClient, make_key: Any, shop: tuple[World, str]
) -> None:
    world, _ = shop
    headers = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    body = {"amount": "1.00", "currency": "EUR", "reason": "x"}
    url = f"/v1/customers/{world.customer.id}/goodwill-credits"
    assert client.post(url, json=body, headers=headers).status_code == 403
    read = client.get(f"/v1/customers/{world.customer.id}/balance", headers=headers)
    assert read.status_code == 200 and read.json()["balances"] == []
