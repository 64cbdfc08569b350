"""Bad input, refused clearly and writing nothing: worked cases through the public REST API and
the `tarif` command line only.

The product promises (docs/api-conventions.md): a bad request is an RFC 9457 problem naming each
bad field, unknown fields are refused rather than ignored, each request is one transaction, a
finalized invoice never changes (a credit note corrects it) and invoice numbers have no gaps.
Each case below tries to break one of those promises the way a hurried integrator or operator
would, then reads back through the same public surface that nothing was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.acceptance.test_trade_cases import Shop, hosting, ok, totals
from tests.acceptance.test_trade_cases_cli import Operator

# the command line's fixtures: an operator at a terminal and the seller's default pricelist
from tests.acceptance.test_trade_cases_cli import op as op
from tests.acceptance.test_trade_cases_cli import pricelist as pricelist


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of this status and type; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return dict(body)


def invalid(response: Any, *fields: str) -> dict[str, Any]:
    """A 422 validation problem whose `errors` name exactly these fields (dotted paths)."""
    body = problem(response, 422, "validation-error")
    named = [e.get("field") or e.get("parameter") for e in body["errors"]]
    assert sorted(named) == sorted(fields), body
    for error in body["errors"]:
        if "pointer" in error:
            assert error["pointer"] == "/" + error["field"].replace(".", "/")
    return body


def count(api: TestClient, url: str, **params: Any) -> int:
    """How many objects a list answers, following every page."""
    seen, cursor = 0, None
    while True:
        query = {"limit": 100, **params} | ({"starting_after": cursor} if cursor else {})
        page = ok(api.get(url, params=query))
        seen += len(page["data"])
        if not page["has_more"]:
            return seen
        cursor = page["next_cursor"]


@dataclass
class World:
    """The shop with hosting at 399.00, a customer on contract C-1 from 15 Jan 2026 and its
    January invoice (218.81 + 43.76 = 262.57) finalized as F-2026-000001."""

    shop: Shop
    product: str
    customer: str
    contract: str
    invoice: dict[str, Any]

    @property
    def api(self) -> TestClient:
        return self.shop.api


@pytest.fixture
def world(shop: Shop) -> World:
    product = hosting(shop)
    customer = shop.customer()
    contract = shop.contract(
        customer, "C-1", "2026-01-15", [{"product_id": product}], billing_alignment="calendar"
    )
    [january] = shop.run("2026-01-15")
    finalized = ok(shop.api.post(f"/v1/invoices/{january['id']}/finalize"))
    assert finalized["number"] == "F-2026-000001"
    return World(shop, product, customer, contract, finalized)


# --- unknown fields are refused, never ignored ---------------------------------------------------


def test_unknown_fields_on_every_kind_of_write_name_the_field(world: World) -> None:
    api, w = world.api, world
    refused = [
        api.post("/v1/customers", json={"legal_name": "X", "country": "FR", "vat_rate": "0"}),
        api.patch(f"/v1/customers/{w.customer}", json={"paymentTermsDays": 45}),
        api.post("/v1/products", json={"code": "p", "kind": "one_off", "price": "10.00"}),
        api.patch(f"/v1/products/{w.product}", json={"name_de": "Hosting"}),
        api.post("/v1/pricelists", json={"name": "P", "currency": "EUR", "default": True}),
        api.patch(f"/v1/pricelists/{w.shop.pricelist_id}", json={"valid_until": "2026-12-31"}),
        api.post("/v1/metrics", json={"code": "m", "aggregation": "count", "aggregate": "count"}),
        api.post(
            "/v1/coupons",
            json={
                "code": "W10",
                "kind": "percentage",
                "value": "10",
                "duration": "once",
                "percent_off": "10",
            },
        ),
        api.post(
            f"/v1/invoices/{w.invoice['id']}/payments",
            json={"amount": "10.00", "method": "card"},
        ),
        api.post(
            "/v1/credit-notes",
            json={"invoice_id": w.invoice["id"], "reason": "x", "amount": "10.00", "refund": True},
        ),
        api.post(
            f"/v1/contracts/{w.contract}/amendments",
            json={
                "effective_date": "2026-02-01",
                "reason": "x",
                "changes": [],
                "effective": "2026-02-01",
            },
        ),
    ]
    expected = [
        "vat_rate",
        "paymentTermsDays",
        "price",
        "name_de",
        "default",
        "valid_until",
        "aggregate",
        "percent_off",
        "method",
        "refund",
        "effective",
    ]
    for response, field in zip(refused, expected, strict=True):
        body = problem(response, 422, "validation-error")
        unknown = [e for e in body["errors"] if e["field"] == field]
        assert unknown and unknown[0]["detail"] == "unknown field", (field, body)


def test_unknown_fields_nested_in_lines_and_changes(world: World) -> None:
    api = world.api
    body = {
        "customer_id": world.customer,
        "reference": "C-2",
        "start_date": "2026-02-01",
        "lines": [{"product_id": world.product, "qty": "2"}],
    }
    invalid(api.post("/v1/contracts", json=body), "lines.0.qty")
    amendment = {
        "effective_date": "2026-02-01",
        "reason": "more",
        "changes": [
            {"type": "change_quantity", "line_key": "hosting", "quantity": "2", "prorate": False}
        ],
    }
    refused = api.post(f"/v1/contracts/{world.contract}/amendments", json=amendment)
    body422 = problem(refused, 422, "validation-error")
    assert any(e["field"].endswith("prorate") for e in body422["errors"]), body422
    credit = {
        "invoice_id": world.invoice["id"],
        "reason": "x",
        "lines": [{"position": 1, "qty": "0.5"}],
    }
    invalid(api.post("/v1/credit-notes", json=credit), "lines.0.qty")
    assert count(api, "/v1/contracts") == 1
    assert count(api, "/v1/credit-notes") == 0


def test_unknown_fields_on_draft_edits(world: World) -> None:
    api = world.api
    world.shop.today("2026-02-01")
    [draft] = world.shop.run("2026-02-01")
    url = f"/v1/invoices/{draft['id']}"
    invalid(api.patch(url, json={"notes": "x", "po": "42"}), "po")
    invalid(
        api.post(f"{url}/lines", json={"quantity": "1", "unit_price": "10", "vat": "20"}), "vat"
    )
    invalid(
        api.post(f"{url}/discounts", json={"kind": "percentage", "value": "10", "label": "x"}),
        "label",
    )
    assert ok(api.get(url))["lines"] == draft["lines"]
    assert ok(api.get(url))["notes"] in (None, "")


# --- decimals are strings, within the currency's minor unit --------------------------------------


def test_amounts_as_json_numbers_are_refused_everywhere(world: World) -> None:
    api = world.api
    entry = {"product_id": world.shop.product("setup", kind="one_off", unit_price="50.00")}
    refused = [
        (api.post(f"/v1/invoices/{world.invoice['id']}/payments", json={"amount": 10.5}), "amount"),
        (
            api.post(
                "/v1/credit-notes",
                json={"invoice_id": world.invoice["id"], "reason": "x", "amount": 10},
            ),
            "amount",
        ),
        (
            api.post(
                f"/v1/customers/{world.customer}/goodwill-credits",
                json={"amount": 5, "currency": "EUR", "reason": "sorry"},
            ),
            "amount",
        ),
        (
            api.post(
                f"/v1/contracts/{world.contract}/lines",
                json={"product_id": entry["product_id"], "quantity": 2},
            ),
            "quantity",
        ),
    ]
    for response, field in refused:
        invalid(response, field)
    assert ok(api.get(f"/v1/invoices/{world.invoice['id']}"))["amount_paid"] == "0.00"
    assert count(api, "/v1/credit-notes") == 0


def test_money_with_more_decimals_than_the_currency_allows(world: World) -> None:
    api = world.api
    invoice = world.invoice["id"]
    invalid(api.post(f"/v1/invoices/{invoice}/payments", json={"amount": "10.001"}), "amount")
    invalid(
        api.post(
            "/v1/credit-notes", json={"invoice_id": invoice, "reason": "x", "amount": "10.005"}
        ),
        "amount",
    )
    invalid(
        api.post(
            f"/v1/customers/{world.customer}/goodwill-credits",
            json={"amount": "5.001", "currency": "EUR", "reason": "sorry"},
        ),
        "amount",
    )
    # a JPY amount has no decimals at all
    invalid(
        api.post(
            f"/v1/customers/{world.customer}/goodwill-credits",
            json={"amount": "5.50", "currency": "JPY", "reason": "sorry"},
        ),
        "amount",
    )
    shown = ok(api.get(f"/v1/invoices/{invoice}"))
    assert (shown["amount_paid"], shown["amount_credited"]) == ("0.00", "0.00")
    assert ok(api.get(f"/v1/customers/{world.customer}/balance"))["balances"] == []


def test_a_fixed_coupon_or_discount_below_the_minor_unit(world: World) -> None:
    api = world.api
    invalid(
        api.post(
            "/v1/coupons",
            json={
                "code": "OFF",
                "kind": "fixed",
                "value": "10.001",
                "currency": "EUR",
                "duration": "once",
            },
        ),
        "value",
    )
    assert count(api, "/v1/coupons") == 0


# --- currencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["XYZ", "FRF", "EURO", "XAU", "eu"])
def test_a_currency_that_is_not_legal_tender(shop: Shop, code: str) -> None:
    api = shop.api
    before = count(api, "/v1/pricelists")
    invalid(api.post("/v1/pricelists", json={"name": "P", "currency": code}), "currency")
    body = {"legal_name": "X", "country": "FR", "currency": code}
    invalid(api.post("/v1/customers", json=body), "currency")
    assert count(api, "/v1/pricelists") == before
    assert count(api, "/v1/customers") == 0


def test_goodwill_in_an_unknown_currency(world: World) -> None:
    invalid(
        world.api.post(
            f"/v1/customers/{world.customer}/goodwill-credits",
            json={"amount": "5.00", "currency": "ZZZ", "reason": "sorry"},
        ),
        "currency",
    )


# --- dates out of order and negative quantities --------------------------------------------------


def test_a_contract_line_that_ends_before_it_starts(world: World) -> None:
    api = world.api
    body = {
        "customer_id": world.customer,
        "reference": "C-2",
        "start_date": "2026-02-01",
        "lines": [
            {"product_id": world.product, "start_date": "2026-03-01", "end_date": "2026-02-15"}
        ],
    }
    refused = problem(api.post("/v1/contracts", json=body), 422, "validation-error")
    assert [e["field"] for e in refused["errors"]] == ["lines.0.end_date"], refused
    draft = ok(api.post("/v1/contracts", json=body | {"lines": []}), 201)
    line = {"product_id": world.product, "start_date": "2026-03-01", "end_date": "2026-02-15"}
    refused = problem(
        api.post(f"/v1/contracts/{draft['id']}/lines", json=line), 422, "validation-error"
    )
    assert next(e["field"] for e in refused["errors"]).endswith("end_date"), refused
    assert ok(api.get(f"/v1/contracts/{draft['id']}/lines")) == []


def test_a_contract_line_before_the_contract_starts(world: World) -> None:
    body = {
        "customer_id": world.customer,
        "reference": "C-2",
        "start_date": "2026-02-01",
        "lines": [{"product_id": world.product, "start_date": "2026-01-01"}],
    }
    refused = problem(world.api.post("/v1/contracts", json=body), 422, "validation-error")
    assert [e["field"] for e in refused["errors"]] == ["lines.0.start_date"], refused
    assert count(world.api, "/v1/contracts") == 1


def test_an_amendment_effective_before_the_contract_starts(world: World) -> None:
    api = world.api
    amendment = {
        "effective_date": "2026-01-10",  # C-1 starts on 15 Jan
        "reason": "backdated",
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "2"}],
        "schedule": True,
    }
    refused = problem(
        api.post(f"/v1/contracts/{world.contract}/amendments", json=amendment),
        422,
        "validation-error",
    )
    assert [e["field"] for e in refused["errors"]] == ["effective_date"], refused
    assert count(api, f"/v1/contracts/{world.contract}/amendments") == 0
    assert len(ok(api.get(f"/v1/contracts/{world.contract}/versions"))) == 1


@pytest.mark.parametrize("quantity", ["-1", "0", "-0.5"])
def test_a_negative_or_zero_quantity_on_a_contract_line(world: World, quantity: str) -> None:
    api = world.api
    body = {
        "customer_id": world.customer,
        "reference": "C-2",
        "start_date": "2026-02-01",
        "lines": [{"product_id": world.product, "quantity": quantity}],
    }
    invalid(api.post("/v1/contracts", json=body), "lines.0.quantity")
    draft = ok(
        api.post("/v1/contracts", json=body | {"lines": [{"product_id": world.product}]}), 201
    )
    refused = problem(
        api.patch(f"/v1/contracts/{draft['id']}/lines/hosting", json={"quantity": quantity}),
        422,
        "validation-error",
    )
    assert [e["field"].rsplit(".", 1)[-1] for e in refused["errors"]] == ["quantity"], refused
    [line] = ok(api.get(f"/v1/contracts/{draft['id']}/lines"))
    assert line["quantity"] == "1"


@pytest.mark.parametrize("quantity", ["-1", "0"])
def test_a_negative_or_zero_quantity_on_a_one_off_invoice_line(world: World, quantity: str) -> None:
    api = world.api
    world.shop.today("2026-02-01")
    [draft] = world.shop.run("2026-02-01")
    line = {
        "description": "Formation",
        "quantity": quantity,
        "unit_price": "450.00",
        "vat_category": "standard",
    }
    invalid(api.post(f"/v1/invoices/{draft['id']}/lines", json=line), "quantity")
    invalid(
        api.post(
            f"/v1/invoices/{draft['id']}/lines",
            json=line | {"quantity": "1", "unit_price": "-450.00"},
        ),
        "unit_price",
    )
    assert totals(ok(api.get(f"/v1/invoices/{draft['id']}"))) == totals(draft)


def test_a_one_off_line_period_out_of_order(world: World) -> None:
    api = world.api
    world.shop.today("2026-02-01")
    [draft] = world.shop.run("2026-02-01")
    line = {
        "description": "Formation",
        "quantity": "1",
        "unit_price": "450.00",
        "vat_category": "standard",
        "period_start": "2026-02-10",
        "period_last_day": "2026-02-01",
    }
    body = problem(
        api.post(f"/v1/invoices/{draft['id']}/lines", json=line), 422, "validation-error"
    )
    assert "period_last_day" in [e["field"] for e in body["errors"]], body
    only_start = {k: v for k, v in line.items() if k != "period_last_day"}
    problem(api.post(f"/v1/invoices/{draft['id']}/lines", json=only_start), 422, "validation-error")
    assert len(ok(api.get(f"/v1/invoices/{draft['id']}"))["lines"]) == len(draft["lines"])


def test_a_pricelist_valid_to_before_valid_from(shop: Shop) -> None:
    body = {"name": "P", "currency": "EUR", "valid_from": "2026-06-01", "valid_to": "2026-01-01"}
    refused = problem(shop.api.post("/v1/pricelists", json=body), 422, "validation-error")
    assert {e["field"] for e in refused["errors"]} >= {"valid_to"}, refused
    refused = problem(
        shop.api.patch(f"/v1/pricelists/{shop.pricelist_id}", json={"valid_to": "2025-12-01"}),
        422,
        "validation-error",
    )
    assert "valid_to" in {e["field"] for e in refused["errors"]}, refused
    assert ok(shop.api.get(f"/v1/pricelists/{shop.pricelist_id}"))["valid_to"] is None
    assert count(shop.api, "/v1/pricelists") == 1


def test_a_coupon_redeemable_until_before_from(shop: Shop) -> None:
    body = {
        "code": "SPRING",
        "kind": "percentage",
        "value": "10",
        "duration": "once",
        "redeemable_from": "2026-04-01",
        "redeemable_until": "2026-03-01",
    }
    refused = problem(shop.api.post("/v1/coupons", json=body), 422, "validation-error")
    assert "redeemable_until" in {e["field"] for e in refused["errors"]}, refused
    assert count(shop.api, "/v1/coupons") == 0


# --- a finalized invoice never changes -----------------------------------------------------------


def test_a_finalized_invoice_refuses_every_edit(world: World) -> None:
    api = world.api
    url = f"/v1/invoices/{world.invoice['id']}"
    line = {
        "description": "Formation",
        "quantity": "1",
        "unit_price": "450.00",
        "vat_category": "standard",
    }
    attempts = [
        api.patch(url, json={"notes": "changed after the fact"}),
        api.post(f"{url}/lines", json=line),
        api.delete(f"{url}/lines/1"),
        api.post(f"{url}/discounts", json={"kind": "percentage", "value": "10"}),
        api.post(f"{url}/regenerate"),
        api.post(f"{url}/finalize"),
        api.delete(url),
    ]
    for response in attempts:
        assert response.status_code in (409, 422), (response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    after = ok(api.get(url))
    assert after == world.invoice


def test_a_finalized_invoice_refuses_edits_on_the_command_line(world: World, op: Operator) -> None:
    # the same organization as the API's: the operator's CLI runs for the test tenant
    invoice = world.invoice["id"]
    assert "finalized" in op.refused("invoices", "delete", invoice, "--yes")
    assert "finalized" in op.refused("invoices", "update", invoice, "--notes", "x")
    assert "finalized" in op.refused(
        "invoices", "add-line", invoice, "--unit-price", "10", "--vat-category", "standard"
    )
    assert "finalized" in op.refused("invoices", "remove-line", invoice, "1")
    assert ok(world.api.get(f"/v1/invoices/{invoice}")) == world.invoice


def test_a_credit_note_cannot_be_edited_or_deleted(world: World) -> None:
    api = world.api
    note = ok(
        api.post(
            "/v1/credit-notes",
            json={"invoice_id": world.invoice["id"], "reason": "outage", "amount": "100.00"},
        ),
        201,
    )
    url = f"/v1/invoices/{note['id']}"
    for response in (
        api.patch(url, json={"notes": "x"}),
        api.delete(url),
        api.post(f"{url}/finalize"),
        api.post(f"{url}/payments", json={"amount": "1.00"}),
        api.post(
            "/v1/credit-notes", json={"invoice_id": note["id"], "reason": "x", "amount": "1.00"}
        ),
        api.post(f"{url}/void", json={"reason": "x"}),
    ):
        assert 400 <= response.status_code < 500, (response.request.url, response.text)
    assert ok(api.get(f"/v1/credit-notes/{note['id']}")) == note
    assert count(api, "/v1/credit-notes") == 1


def test_deleting_what_an_invoice_refers_to(world: World) -> None:
    api = world.api
    problem(api.delete(f"/v1/customers/{world.customer}"), 409, "conflict")
    problem(api.delete(f"/v1/products/{world.product}"), 409, "conflict")
    problem(api.delete(f"/v1/contracts/{world.contract}"), 409, "conflict")
    entries = ok(api.get(f"/v1/pricelists/{world.shop.pricelist_id}/entries"))["data"]
    assert len(entries) == 1
    ok(api.get(f"/v1/customers/{world.customer}"))
    ok(api.get(f"/v1/products/{world.product}"))
    assert ok(api.get(f"/v1/invoices/{world.invoice['id']}")) == world.invoice


def test_a_customer_with_only_a_deleted_draft_can_go(shop: Shop) -> None:
    # the other side of the rule: a draft is deleted, and then nothing refers to the customer
    product = hosting(shop)
    customer = shop.customer()
    contract = shop.contract(customer, "C-1", "2026-01-15", [{"product_id": product}])
    [draft] = shop.run("2026-01-15")
    assert shop.api.delete(f"/v1/invoices/{draft['id']}").status_code == 204
    problem(shop.api.delete(f"/v1/customers/{customer}"), 409, "conflict")  # the contract
    ok(shop.api.get(f"/v1/contracts/{contract}"))


# --- credit notes within what is left ------------------------------------------------------------


def test_a_credit_note_larger_than_what_is_left(world: World) -> None:
    api = world.api
    invoice = world.invoice["id"]
    refused = problem(
        api.post(
            "/v1/credit-notes", json={"invoice_id": invoice, "reason": "x", "amount": "262.58"}
        ),
        422,
        "validation-error",
    )
    assert refused["errors"][0]["field"] == "amount" and "262.57" in refused["detail"]
    ok(
        api.post(
            "/v1/credit-notes", json={"invoice_id": invoice, "reason": "x", "amount": "200.00"}
        ),
        201,
    )
    refused = problem(
        api.post(
            "/v1/credit-notes", json={"invoice_id": invoice, "reason": "x", "amount": "62.58"}
        ),
        422,
        "validation-error",
    )
    assert "62.57" in refused["detail"]
    # by lines: the only line has 218.81 × (1 − 200/262.57) of net left, so crediting it whole
    # again would exceed the gross left at 20 %
    refused = api.post(
        "/v1/credit-notes",
        json={"invoice_id": invoice, "reason": "x", "lines": [{"position": 1}]},
    )
    problem(refused, 422, "validation-error")
    for amount in ("0", "-5.00", "0.00"):
        invalid(
            api.post(
                "/v1/credit-notes", json={"invoice_id": invoice, "reason": "x", "amount": amount}
            ),
            "amount",
        )
    numbers = [n["number"] for n in ok(api.get("/v1/credit-notes"))["data"]]
    assert numbers == ["AV-2026-000001"]  # refused credit notes draw no number
    assert ok(api.get(f"/v1/invoices/{invoice}"))["amount_due"] == "62.57"


def test_a_credit_note_with_both_amount_and_lines_or_neither(world: World) -> None:
    api = world.api
    body = {"invoice_id": world.invoice["id"], "reason": "x"}
    invalid(api.post("/v1/credit-notes", json=body), "amount")
    invalid(
        api.post("/v1/credit-notes", json=body | {"amount": "10.00", "lines": [{"position": 1}]}),
        "amount",
    )
    problem(
        api.post("/v1/credit-notes", json=body | {"lines": [{"position": 2}]}),
        422,
        "validation-error",
    )
    assert count(api, "/v1/credit-notes") == 0


def test_a_payment_above_what_is_due_or_dated_wrongly(world: World) -> None:
    api = world.api
    url = f"/v1/invoices/{world.invoice['id']}/payments"
    invalid(api.post(url, json={"amount": "262.58"}), "amount")
    invalid(api.post(url, json={"amount": "0.00"}), "amount")
    invalid(api.post(url, json={"amount": "10.00", "date": "2026-01-14"}), "date")  # before issue
    invalid(api.post(url, json={"amount": "10.00", "date": "2026-01-16"}), "date")  # tomorrow
    invalid(api.post(url, json={"amount": "10.00", "date": "2026-02-30"}), "date")
    assert ok(api.get(url))["data"] == []


def test_a_payment_on_a_draft_is_refused(world: World) -> None:
    world.shop.today("2026-02-01")
    [draft] = world.shop.run("2026-02-01")
    response = world.api.post(f"/v1/invoices/{draft['id']}/payments", json={"amount": "10.00"})
    assert response.status_code in (409, 422), response.text
    assert ok(world.api.get(f"/v1/invoices/{draft['id']}"))["amount_paid"] == "0.00"


# --- one request, one transaction; numbers without gaps ------------------------------------------


def test_a_contract_with_one_bad_line_writes_nothing(world: World) -> None:
    api = world.api
    before = (count(api, "/v1/contracts"), count(api, "/v1/audit-events"))
    body = {
        "customer_id": world.customer,
        "reference": "C-2",
        "start_date": "2026-02-01",
        "lines": [
            {"product_id": world.product, "line_key": "a"},
            {"product_id": world.product, "line_key": "b", "quantity": "2"},
            {"product_id": "prd_missing", "line_key": "c"},
        ],
    }
    invalid(api.post("/v1/contracts", json=body), "lines.2.product_id")
    assert (count(api, "/v1/contracts"), count(api, "/v1/audit-events")) == before
    refused = api.get("/v1/contracts/by-reference/C-2")
    assert refused.status_code == 404


def test_a_refused_billing_run_date_writes_nothing(world: World) -> None:
    api = world.api
    before = (count(api, "/v1/invoices"), count(api, "/v1/billing-runs"))
    invalid(api.post("/v1/billing-runs", json={"as_of": "2026-02-30"}), "as_of")
    invalid(api.post("/v1/billing-runs", json={"as_of": "1 Feb 2026"}), "as_of")
    invalid(api.post("/v1/billing-runs", json={"as_of": "2026-02-01", "dry": True}), "dry")
    assert (count(api, "/v1/invoices"), count(api, "/v1/billing-runs")) == before


def test_numbers_stay_gap_free_after_a_refused_finalization(shop: Shop) -> None:
    product = hosting(shop)
    customer = shop.customer()
    shop.contract(
        customer,
        "C-1",
        "2026-01-15",
        [{"product_id": product}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    [january] = shop.run("2026-01-15")
    assert ok(shop.api.post(f"/v1/invoices/{january['id']}/finalize"))["number"] == (
        "F-2026-000001"
    )
    # someone credits 200.00 of January by hand: AV-2026-000001, 62.57 left to credit
    by_hand = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": january["id"], "reason": "outage", "amount": "200.00"},
        ),
        201,
    )
    assert by_hand["number"] == "AV-2026-000001"
    # three servers from 20 Jan: a credit note draft for the 12 days January billed at 1
    # (−399 × 12/31 = −154.45, VAT −30.89, −185.34) and an invoice for the new quantity
    contract = ok(shop.api.get("/v1/contracts", params={"q": "C-1"}))["data"][0]["id"]
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-01-20",
                "reason": "three",
                "schedule": True,
                "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
            },
        ),
        201,
    )
    shop.today("2026-01-20")
    made = shop.run("2026-01-20")
    [drafted] = [d for d in made if d["kind"] == "credit_note"]
    [charge] = [d for d in made if d["kind"] == "invoice"]
    # the drafted credit note now credits 185.34 of the 62.57 left: refused, and draws nothing
    refused = problem(shop.api.post(f"/v1/invoices/{drafted['id']}/finalize"), 409, "conflict")
    assert "185.34" in refused["detail"] and "62.57" in refused["detail"]
    assert ok(shop.api.get(f"/v1/invoices/{drafted['id']}"))["number"] is None
    # a person deletes the held-back draft and credits what is fair instead: the next number
    assert shop.api.delete(f"/v1/invoices/{drafted['id']}").status_code == 204
    again = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": january["id"], "reason": "outage", "amount": "10.00"},
        ),
        201,
    )
    assert again["number"] == "AV-2026-000002"
    assert ok(shop.api.post(f"/v1/invoices/{charge['id']}/finalize"))["number"] == ("F-2026-000002")
    # the deleted draft's credit comes back with the next run, as a deleted draft's charges do
    shop.today("2026-02-01")
    redrafted = {d["kind"]: d for d in shop.run("2026-02-01")}
    assert sorted(redrafted) == ["credit_note", "invoice"]
    assert redrafted["credit_note"]["gross_total"] == "-185.34"


def test_an_empty_finalization_of_a_finalized_invoice_draws_no_number(world: World) -> None:
    api = world.api
    problem(api.post(f"/v1/invoices/{world.invoice['id']}/finalize"), 409, "conflict")
    world.shop.today("2026-02-01")
    [february] = world.shop.run("2026-02-01")
    assert ok(api.post(f"/v1/invoices/{february['id']}/finalize"))["number"] == "F-2026-000002"


# --- pagination ----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", ""])
def test_pagination_limit_out_of_range(world: World, limit: str) -> None:
    for url in (
        "/v1/customers",
        "/v1/invoices",
        "/v1/credit-notes",
        "/v1/contracts",
        "/v1/products",
        "/v1/pricelists",
        "/v1/coupons",
        "/v1/metrics",
        "/v1/events",
        "/v1/billing-runs",
        f"/v1/invoices/{world.invoice['id']}/payments",
        f"/v1/contracts/{world.contract}/amendments",
        f"/v1/customers/{world.customer}/balance",
        f"/v1/pricelists/{world.shop.pricelist_id}/entries",
    ):
        body = problem(world.api.get(url, params={"limit": limit}), 422, "validation-error")
        assert [(e.get("parameter"), e.get("in")) for e in body["errors"]] == [
            ("limit", "query")
        ], (url, body)


def test_pagination_with_a_cursor_that_is_not_an_id(world: World) -> None:
    for url in ("/v1/customers", "/v1/invoices", "/v1/credit-notes"):
        response = world.api.get(url, params={"starting_after": "nonsense"})
        assert response.status_code in (200, 422), (url, response.text)
        if response.status_code == 200:
            assert response.json()["data"] == [] or response.json()["object"] == "list"


# --- the command line: one line on stderr, a non-zero exit, nothing written ----------------------


def test_cli_bad_dates_are_one_line_and_write_nothing(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    for bad in ("2026-02-30", "01/02/2026", "tomorrow", "2026-2-1"):
        line = op.refused(
            "contracts",
            "create",
            "--customer",
            "NUAGE",
            "--reference",
            "C-1",
            "--start",
            bad,
            "--line",
            "hosting",
        )
        assert "start" in line, line  # the option or the field it fills
    assert op.json("contracts", "list") == []
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    [invoice] = op.run_billing("2026-01-15")
    op.ok("invoices", "finalize", invoice["id"])
    line = op.refused("invoices", "pay", invoice["id"], "--amount", "10.00", "--date", "2026-02-30")
    assert "date" in line
    line = op.refused(
        "amendments",
        "create",
        "C-1",
        "--effective",
        "1er mars",
        "--reason",
        "x",
        "--set-quantity",
        "hosting=2",
    )
    assert "effective" in line
    assert op.json("amendments", "list", "--contract", "C-1") == []
    assert op.json("invoices", "show", invoice["id"])["amount_paid"] == "0.00"


def test_cli_unknown_ids_are_one_line_and_write_nothing(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    for args in (
        ("invoices", "show", "inv_nope"),
        ("invoices", "finalize", "inv_nope"),
        ("invoices", "pay", "inv_nope", "--amount", "10.00"),
        ("invoices", "void", "inv_nope", "--reason", "x"),
        ("credit-notes", "create", "--invoice", "inv_nope", "--amount", "1.00", "--reason", "x"),
        ("contracts", "show", "NOPE"),
        ("contracts", "submit", "NOPE"),
        ("customers", "show", "NOPE"),
        ("customers", "update", "NOPE", "--payment-terms-days", "45"),
        (
            "amendments",
            "create",
            "NOPE",
            "--effective",
            "2026-02-01",
            "--reason",
            "x",
            "--set-quantity",
            "hosting=2",
        ),
        ("balance", "show", "NOPE"),
        ("pricelists", "show", "pl_nope"),
        ("products", "show", "nope"),
        (
            "contracts",
            "create",
            "--customer",
            "NOPE",
            "--reference",
            "C-1",
            "--start",
            "2026-02-01",
            "--line",
            "hosting",
        ),
    ):
        result = op.run(*args)
        assert result.exit_code == 1, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
    assert op.json("contracts", "list") == []
    assert op.json("invoices", "list") == []
    assert op.json("credit-notes", "list") == []


def test_cli_credit_note_above_what_is_left(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    [invoice] = op.run_billing("2026-01-15")
    op.ok("invoices", "finalize", invoice["id"])
    line = op.refused(
        "credit-notes",
        "create",
        "--invoice",
        invoice["id"],
        "--amount",
        "262.58",
        "--reason",
        "too much",
    )
    assert "262.57" in line  # January's gross, all of it still creditable
    line = op.refused(
        "credit-notes",
        "create",
        "--invoice",
        invoice["id"],
        "--amount",
        "10.005",
        "--reason",
        "cents",
    )
    assert "amount" in line
    line = op.refused(
        "credit-notes", "create", "--invoice", invoice["id"], "--line", "2", "--reason", "x"
    )
    assert "position" in line
    assert op.json("credit-notes", "list") == []
    assert op.json("invoices", "show", invoice["id"])["amount_due"] == "262.57"


def test_cli_a_json_number_or_unknown_key_in_a_charge_file(op: Operator, pricelist: str) -> None:
    op.ok("metrics", "create", "calls", "--aggregation", "count")
    op.ok("products", "create", "--code", "api", "--kind", "usage", "--name-en", "API")
    for charge, field in (
        ('{"metric": "calls", "model": "per_unit", "unit_price": 0.0025}', "unit_price"),
        ('{"metric": "calls", "model": "per_unit", "unit_price": "0.0025", "rate": "2"}', "rate"),
        (
            '{"metric": "calls", "model": "per_unit", "unit_price": "0.0025", "colour": "red"}',
            "colour",
        ),
    ):
        line = op.refused(
            "pricelists",
            "add-entry",
            pricelist,
            "--product",
            "api",
            "--price",
            "0",
            "--charge",
            charge,
        )
        assert field in line, line
    entries = op.json("pricelists", "show", pricelist)["entries"]
    assert [e["product_code"] for e in entries] == ["hosting"]


# --- money of the contract's currency; references in a body are fields ---------------------------


def test_contract_amounts_within_the_currency_minor_unit(world: World) -> None:
    api = world.api
    base = {"customer_id": world.customer, "start_date": "2026-02-01"}
    # a minimum commitment is topped up to as it is: 10.001 EUR cannot be invoiced
    invalid(
        api.post(
            "/v1/contracts",
            json=base | {"reference": "C-2", "minimum_commitment": {"amount": "10.001"}},
        ),
        "minimum_commitment.amount",
    )
    line = {
        "product_id": world.product,
        "minimum_commitment": {"amount": "0.005", "periodicity": "monthly"},
    }
    invalid(
        api.post("/v1/contracts", json=base | {"reference": "C-3", "lines": [line]}),
        "lines.0.minimum_commitment.amount",
    )
    # an amount off each period is money too (a percentage keeps its decimals)
    off = {"product_id": world.product, "discounts": [{"kind": "fixed", "value": "10.001"}]}
    body = invalid(
        api.post("/v1/contracts", json=base | {"reference": "C-4", "lines": [off]}),
        "lines.0.discounts.0.value",
    )
    assert "2 decimals in EUR" in body["detail"]
    pct = {"product_id": world.product, "discounts": [{"kind": "percentage", "value": "12.5"}]}
    ok(api.post("/v1/contracts", json=base | {"reference": "C-5", "lines": [pct]}), 201)
    assert count(api, "/v1/contracts") == 2


def test_a_one_off_line_with_an_unknown_product_names_the_field(world: World) -> None:
    api = world.api
    world.shop.today("2026-02-01")
    [draft] = world.shop.run("2026-02-01")
    url = f"/v1/invoices/{draft['id']}/lines"
    body = invalid(
        api.post(url, json={"quantity": "1", "unit_price": "10", "product_id": "prd_nope"}),
        "product_id",
    )
    assert "prd_nope" in body["detail"]
    invalid(
        api.post(url, json={"quantity": "-1", "unit_price": "10", "product_id": "prd_nope"}),
        "product_id",
        "quantity",
    )
    assert ok(api.get(f"/v1/invoices/{draft['id']}"))["lines"] == draft["lines"]


def test_an_invoices_payments_are_paged_like_every_list(world: World) -> None:
    api = world.api
    url = f"/v1/invoices/{world.invoice['id']}/payments"
    for amount in ("10.00", "20.00", "30.00"):
        ok(api.post(url, json={"amount": amount}), 201)
    first = ok(api.get(url, params={"limit": 2}))
    assert [p["amount"] for p in first["data"]] == ["10.00", "20.00"]
    assert first["has_more"] is True
    rest = ok(api.get(url, params={"limit": 2, "starting_after": first["next_cursor"]}))
    assert ([p["amount"] for p in rest["data"]], rest["has_more"]) == (["30.00"], False)
    assert count(api, url) == 3
    # 262.57 − 60.00 = 202.57 still due
    assert ok(api.get(f"/v1/invoices/{world.invoice['id']}"))["amount_due"] == "202.57"


# --- a dry run that cannot finalize, charges in minor units --------------


def test_a_dry_run_asked_to_finalize_is_refused(world: World) -> None:
    api = world.api
    world.shop.today("2026-02-01")
    run = {"as_of": "2026-02-01", "dry_run": True, "finalize": True}
    body = invalid(api.post("/v1/billing-runs", json=run), "finalize")
    assert "a dry run writes nothing, so nothing can be finalized" in body["detail"]
    assert count(api, "/v1/invoices") == 1
    assert count(api, "/v1/billing-runs") == 1
    # each alone still does what it says
    preview = ok(api.post("/v1/billing-runs", json=run | {"finalize": False}), 201)
    assert preview["dry_run"] is True and len(preview["invoices"]) == 1
    [february] = world.shop.run("2026-02-01", finalize=True)
    assert february["number"] == "F-2026-000002"


def _usage_product(world: World) -> str:
    api = world.api
    ok(api.post("/v1/metrics", json={"code": "calls", "aggregation": "count"}), 201)
    body = {"code": "api", "name_en": "API", "kind": "usage"}
    return str(ok(api.post("/v1/products", json=body), 201)["id"])


def test_charge_amounts_billed_as_such_keep_the_pricelists_minor_unit(world: World) -> None:
    api, product = world.api, _usage_product(world)
    url = f"/v1/pricelists/{world.shop.pricelist_id}/entries"
    per_unit = {"metric": "calls", "model": "per_unit", "unit_price": "0.0025"}
    tiers = [
        {"up_to": "100", "unit_price": "0.001", "flat_fee": "5.00"},
        {"up_to": None, "unit_price": "0.0005", "flat_fee": "2.005"},
    ]
    refused = [
        (per_unit | {"minimum_spend": "50.001"}, "charge.minimum_spend"),
        ({"metric": "calls", "model": "graduated", "tiers": tiers}, "charge.tiers.1.flat_fee"),
        (
            {
                "metric": "calls",
                "model": "package",
                "package_size": "1000",
                "package_price": "9.999",
            },
            "charge.package_price",
        ),
        (
            {
                "metric": "calls",
                "model": "package",
                "package_size": "1000",
                "package_price": "9.99",
                "group_prices": [
                    {"group": {"region": "us"}, "package_size": "1000", "package_price": "0.125"}
                ],
            },
            "charge.group_prices.0.package_price",
        ),
    ]
    for charge, field in refused:
        entry = {"product_id": product, "unit_price": "0", "charge": charge}
        body = invalid(api.post(url, json=entry), field)
        assert "at most 2 decimals in EUR" in body["detail"], body
    assert [e["product_id"] for e in ok(api.get(url))["data"]] == [world.product]
    # unit prices keep their 6 decimals; 50.00 of minimum spend is money of EUR
    charge = per_unit | {"minimum_spend": "50.00"}
    entry = ok(
        api.post(url, json={"product_id": product, "unit_price": "0", "charge": charge}), 201
    )
    invalid(
        api.patch(f"{url}/{entry['id']}", json={"charge": per_unit | {"minimum_spend": "0.001"}}),
        "charge.minimum_spend",
    )
    assert ok(api.get(f"{url}/{entry['id']}"))["charge"]["minimum_spend"] == "50.00"


def test_charge_amounts_follow_the_currency_they_are_billed_in(world: World) -> None:
    api, product = world.api, _usage_product(world)
    package = {"metric": "calls", "model": "package", "package_size": "1000"}
    # the same product priced in yen: no decimals at all
    yen = ok(api.post("/v1/pricelists", json={"name": "Japon", "currency": "JPY"}), 201)
    url = f"/v1/pricelists/{yen['id']}/entries"
    entry = {"product_id": product, "unit_price": "0", "charge": package | {"package_price": "9.5"}}
    body = invalid(api.post(url, json=entry), "charge.package_price")
    assert "at most 0 decimals in JPY" in body["detail"]
    ok(api.post(url, json=entry | {"charge": package | {"package_price": "950"}}), 201)
    # a contract line's own charge bills in the contract's currency
    line = {
        "product_id": product,
        "charge": {
            "metric": "calls",
            "model": "per_unit",
            "unit_price": "0.0025",
            "minimum_spend": "20.005",
        },
    }
    base = {"customer_id": world.customer, "reference": "C-API", "start_date": "2026-02-01"}
    invalid(
        api.post("/v1/contracts", json=base | {"lines": [line]}), "lines.0.charge.minimum_spend"
    )
    assert count(api, "/v1/contracts") == 1


def test_cli_dates_name_the_option_like_bill_run(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")

    def said(*args: str) -> str:
        return op.refused(*args).removeprefix("error: ")

    create = ("contracts", "create", "--customer", "NUAGE", "--reference", "C-1")
    assert said(*create, "--start", "2026-02-30", "--line", "hosting") == (
        "--start: expected a date YYYY-MM-DD, got '2026-02-30'"
    )
    assert said(*create, "--start", "2026-02-01", "--end", "fin mars", "--line", "hosting") == (
        "--end: expected a date YYYY-MM-DD, got 'fin mars'"
    )
    assert op.json("contracts", "list") == []
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    assert said(
        "amendments", "create", "C-1", "--effective", "1er mars", "--reason", "x",
        "--set-quantity", "hosting=2",
    ) == "--effective: expected a date YYYY-MM-DD, got '1er mars'"  # fmt: skip
    assert said("contracts", "terminate", "C-1", "--mode", "on_date", "--date", "2026-13-01") == (
        "--date: expected a date YYYY-MM-DD, got '2026-13-01'"
    )
    [invoice] = op.run_billing("2026-01-15")
    op.ok("invoices", "finalize", invoice["id"])
    assert said("invoices", "pay", invoice["id"], "--amount", "1.00", "--date", "2026-2-1") == (
        "--date: expected a date YYYY-MM-DD, got '2026-2-1'"
    )
    assert said("bill", "run", "--as-of", "2026-02-30") == (
        "--as-of: expected a date YYYY-MM-DD, got '2026-02-30'"
    )
    assert op.json("amendments", "list", "--contract", "C-1") == []
    assert op.json("contracts", "show", "C-1")["status"] == "active"


def test_cli_refuses_a_dry_run_that_finalizes(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    line = op.refused("bill", "run", "--as-of", "2026-01-15", "--dry-run", "--finalize")
    assert "finalize" in line and "a dry run writes nothing" in line, line
    assert op.json("invoices", "list") == []
