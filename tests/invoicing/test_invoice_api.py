"""Billing runs and invoices over HTTP (today: 15 Jan 2026; hosting 399.00 a month)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
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


def test_run_finalize_explain_and_pay(api: TestClient, shop: World) -> None:
    result = ok(api.post("/v1/billing-runs", json={"as_of": "2026-01-15"}), 201)
    [made] = result["invoices"]
    # 399 × 17/31 = 218.81; VAT 43.76; gross 262.57
    assert (made["net_total"], made["vat_total"], made["gross_total"]) == (
        "218.81",
        "43.76",
        "262.57",
    )
    assert ok(api.get(f"/v1/billing-runs/{result['id']}"))["invoices_created"] == 1
    assert [r["id"] for r in ok(api.get("/v1/billing-runs"))["data"]] == [result["id"]]
    drafts = ok(api.get("/v1/invoices", params={"status": "draft"}))["data"]
    assert [i["id"] for i in drafts] == [made["id"]]
    invoice = ok(api.post(f"/v1/invoices/{made['id']}/finalize"))
    assert (invoice["number"], invoice["status"]) == ("F-2026-000001", "finalized")
    [origin] = ok(api.get(f"/v1/invoices/{made['id']}/explain"))["lines"]
    assert (origin["line_key"], origin["contract_version"], origin["price_source"]) == (
        "hosting",
        1,
        "pricelist",
    )
    assert (origin["period_start"], origin["period_end"]) == ("2026-01-15", "2026-01-31")
    paid = ok(api.post(f"/v1/invoices/{made['id']}/payments", json={"amount": "262.57"}), 201)
    assert paid["invoice_status"] == "paid"


def test_dry_run_and_upcoming_invoice_write_nothing(api: TestClient, shop: World) -> None:
    dry = ok(api.post("/v1/billing-runs", json={"as_of": "2026-01-15", "dry_run": True}), 201)
    assert (dry["id"], [i["gross_total"] for i in dry["invoices"]]) == (None, ["262.57"])
    upcoming = ok(api.get(f"/v1/customers/{shop.customer.id}/upcoming-invoice"))
    assert (upcoming["billing_date"], upcoming["gross_total"]) == ("2026-01-15", "262.57")
    assert ok(api.get("/v1/invoices"))["data"] == []


def test_bad_requests_are_problems(api: TestClient, shop: World) -> None:
    [made] = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)["invoices"][1:]
    assert (
        "before the last run"
        in problem(api.post("/v1/billing-runs", json={"as_of": "2026-01-15"}), 409)["detail"]
    )
    ok(api.post(f"/v1/invoices/{made['id']}/finalize"))
    assert (
        "already finalized"
        in problem(api.post(f"/v1/invoices/{made['id']}/finalize"), 409)["detail"]
    )
    problem(api.post(f"/v1/invoices/{made['id']}/payments", json={"amount": "1.234"}), 422)
    problem(api.get("/v1/invoices/inv_missing"), 404)


def test_a_payment_is_dated_between_the_issue_date_and_today(api: TestClient, shop: World) -> None:
    [made] = ok(api.post("/v1/billing-runs", json={"as_of": "2026-01-15"}), 201)["invoices"]
    ok(api.post(f"/v1/invoices/{made['id']}/finalize"))  # issued today, 15 Jan 2026
    url = f"/v1/invoices/{made['id']}/payments"
    future = problem(api.post(url, json={"amount": "100.00", "date": "2026-01-16"}), 422)
    assert [(e["field"], e["detail"]) for e in future["errors"]] == [
        ("date", "2026-01-16 is in the future: record a payment once received")
    ]
    early = problem(api.post(url, json={"amount": "100.00", "date": "2026-01-14"}), 422)
    assert [(e["field"], e["detail"]) for e in early["errors"]] == [
        ("date", "2026-01-14 is before the invoice's issue date, 2026-01-15")
    ]
    # nothing recorded: the whole 262.57 is still due; today is accepted
    assert ok(api.get(f"/v1/invoices/{made['id']}"))["amount_due"] == "262.57"
    paid = ok(api.post(url, json={"amount": "262.57", "date": "2026-01-15"}), 201)
    assert paid["invoice_status"] == "paid"
