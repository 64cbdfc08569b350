"""Credit notes and voids over HTTP (today: 15 Jan 2026; hosting 399.00 a month)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tests.conftest import Tenant
from tests.contracts.conftest import World, build_world
from tests.invoicing.conftest import hosting_contract


@pytest.fixture
def shop(ctx: Ctx) -> World:
    """A running 399.00 contract from 15 Jan 2026, committed so the API sees it."""
    world = build_world(ctx)
    hosting_contract(world)
    ctx.session.commit()
    return world


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


def february(api: TestClient, *, finalize: bool = True) -> dict[str, Any]:
    """February of the contract: 399.00 + 79.80 VAT = 478.80 (January stays a draft)."""
    _, made = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)["invoices"]
    if finalize:
        return dict(ok(api.post(f"/v1/invoices/{made['id']}/finalize")))
    return dict(made)


def test_credit_by_amount_then_void(api: TestClient, shop: World) -> None:
    invoice = february(api)
    assert (invoice["number"], invoice["gross_total"], invoice["kind"]) == (
        "F-2026-000001",
        "478.80",
        "invoice",
    )
    body = {"invoice_id": invoice["id"], "reason": "Outage", "amount": "100.00"}
    note = ok(api.post("/v1/credit-notes", json=body), 201)
    # 100.00 / 1.2 = 83.33 net; 83.33 × 20 % = 16.666 → 16.67 VAT; stored negative
    assert (note["number"], note["net_total"], note["vat_total"], note["gross_total"]) == (
        "AV-2026-000001",
        "-83.33",
        "-16.67",
        "-100.00",
    )
    assert note["settlement"] == {
        "applied_to_invoice": "100.00",
        "refunded": "0.00",
        "to_balance": "0.00",
    }
    assert (note["corrects_invoice_id"], note["corrects_invoice_number"]) == (
        invoice["id"],
        "F-2026-000001",
    )
    after = ok(api.get(f"/v1/invoices/{invoice['id']}"))
    # 478.80 - 100.00 = 378.80
    assert (after["amount_credited"], after["amount_due"], after["status"]) == (
        "100.00",
        "378.80",
        "finalized",
    )
    voided = ok(
        api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "Wrong customer"}), 201
    )
    # what remained: 378.80 → net 315.67 + VAT 63.13
    assert (voided["number"], voided["gross_total"]) == ("AV-2026-000002", "-378.80")
    after = ok(api.get(f"/v1/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_due"], after["amount_credited"]) == (
        "voided",
        "0.00",
        "478.80",
    )
    listed = ok(api.get("/v1/credit-notes", params={"invoice_id": invoice["id"]}))["data"]
    assert [n["number"] for n in listed] == ["AV-2026-000001", "AV-2026-000002"]
    assert ok(api.get(f"/v1/credit-notes/{note['id']}"))["reason"] == "Outage"
    # invoice lists show invoices only: January (draft) and February
    kinds = {i["kind"] for i in ok(api.get("/v1/invoices"))["data"]}
    assert kinds == {"invoice"}
    assert (
        "voided"
        in problem(
            api.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": "1.00"}), 409
        )["detail"]
    )
    assert "voided" in problem(api.post("/v1/credit-notes", json=body), 409)["detail"]


def test_credit_by_line_is_explained(api: TestClient, shop: World) -> None:
    invoice = february(api)
    body = {
        "invoice_id": invoice["id"],
        "reason": "Half a month",
        "lines": [{"position": 1, "quantity": "0.5"}],
        "settlement": "refund",
    }
    note = ok(api.post("/v1/credit-notes", json=body), 201)
    # 399.00 × 0.5 = 199.50; VAT 39.90; gross 239.40
    assert (note["net_total"], note["vat_total"], note["gross_total"]) == (
        "-199.50",
        "-39.90",
        "-239.40",
    )
    (line,) = note["lines"]
    original = invoice["lines"][0]
    assert (line["quantity"], line["net_amount"], line["source"]) == (
        "0.5",
        "-199.50",
        "credit_note",
    )
    explained = ok(api.get(f"/v1/credit-notes/{note['id']}/explain"))["lines"]
    assert explained[0]["credits"]["position"] == original["position"]
    assert explained[0]["credits"]["invoice_number"] == "F-2026-000001"


def test_bad_requests_are_problems(api: TestClient, shop: World) -> None:
    draft = february(api, finalize=False)
    body = {"invoice_id": draft["id"], "reason": "x", "amount": "10.00"}
    detail = problem(api.post("/v1/credit-notes", json=body), 409)["detail"]
    assert "edit or delete the draft instead" in detail
    invoice = ok(api.post(f"/v1/invoices/{draft['id']}/finalize"))
    body["invoice_id"] = invoice["id"]
    both = body | {"lines": [{"position": 1}]}
    assert fields(problem(api.post("/v1/credit-notes", json=both), 422)) == {"amount"}
    over = problem(api.post("/v1/credit-notes", json=body | {"amount": "478.81"}), 422)
    assert fields(over) == {"amount"} and "478.80" in over["detail"]
    bad_line = body | {"amount": None, "lines": [{"position": 7}]}
    assert fields(problem(api.post("/v1/credit-notes", json=bad_line), 422)) == {"lines.0.position"}
    assert "settlement" in fields(
        problem(api.post("/v1/credit-notes", json=body | {"settlement": "cash"}), 422)
    )
    assert "color" in fields(problem(api.post("/v1/credit-notes", json=body | {"color": 1}), 422))
    problem(api.post("/v1/credit-notes", json=body | {"invoice_id": "inv_missing"}), 404)
    problem(api.get("/v1/credit-notes/cn_missing"), 404)
    # an invoice is not a credit note
    problem(api.get(f"/v1/credit-notes/{invoice['id']}"), 404)


def test_another_organization_sees_nothing(api: TestClient, shop: World, make_tenant: Any) -> None:
    invoice = february(api)
    note = ok(
        api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "x", "amount": "10.00"},
        ),
        201,
    )
    other: Tenant = make_tenant("Other SAS")
    headers = other.headers
    body = {"invoice_id": invoice["id"], "reason": "x", "amount": "10.00"}
    problem(api.post("/v1/credit-notes", json=body, headers=headers), 404)
    problem(api.get(f"/v1/credit-notes/{note['id']}", headers=headers), 404)
    problem(
        api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "x"}, headers=headers), 404
    )
    assert ok(api.get("/v1/credit-notes", headers=headers))["data"] == []
