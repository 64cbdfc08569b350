"""End-to-end cases of fixed defects: what a take-back gives back after a change of tax
treatment, and the links and errors the API answers with."""

from __future__ import annotations

from tests.acceptance.test_trade_cases import Shop, nets, ok, totals
from tests.acceptance.test_trade_cases_cli import Operator
from tests.acceptance.test_trade_cases_cli import op as op
from tests.acceptance.test_trade_cases_cli import pricelist as pricelist
from tests.acceptance.test_trade_cases_more import GERMANY, due, finalize, read


def calls_with_minimum_spend(shop: Shop) -> str:
    """A French customer's contract C-1 from 1 Jan 2026: calls at 1.00, 50.00 minimum spend."""
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    charge = {
        "metric": "calls",
        "model": "per_unit",
        "unit_price": "1.00",
        "minimum_spend": "50.00",
    }
    calls = shop.product("api-calls", "usage", unit_price="1.00", charge=charge)
    customer = shop.customer()
    shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": calls}], billing_alignment="calendar"
    )
    return customer


def calls(shop: Shop, prefix: str, count: int, day: str) -> None:
    events = [
        {
            "transaction_id": f"{prefix}{n}",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": f"{day}T10:00:00Z",
        }
        for n in range(count)
    ]
    ok(shop.api.post("/v1/events/batch", json={"events": events}))


def test_a_late_usage_take_back_after_a_move_abroad_gives_back_the_vat_billed(shop: Shop) -> None:
    customer = calls_with_minimum_spend(shop)
    calls(shop, "a", 10, "2026-01-05")
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01", finalize=True)
    assert nets(january) == ["10.00", "40.00"]
    assert totals(january) == ("50.00", "10.00", "60.00")
    shop.today("2026-02-10")
    moved = ok(shop.api.patch(f"/v1/customers/{customer}", json=GERMANY))
    assert moved["tax_treatment"] == "reverse_charge"
    calls(shop, "b", 20, "2026-01-06")  # late: January is billed
    shop.today("2026-03-02")
    made = {i["kind"]: i for i in shop.run("2026-03-01")}
    assert sorted(made) == ["credit_note", "invoice"]
    note, march = made["credit_note"], made["invoice"]
    # January counts 30 calls now: 30 × 1.00 = 30.00, so the top-up to the 50.00 minimum
    # falls from 40.00 to 20.00. The 20.00 taken back was billed with French VAT in January:
    # it comes back with it, on a credit note of the January invoice: −20.00, VAT 20 % −4.00,
    # gross −24.00 (today's reverse charge would give back 0.00 of VAT)
    assert (note["corrects_invoice_id"], note["tax_treatment"]) == (january["id"], "standard")
    assert [(x["net_amount"], x["vat_rate"]) for x in note["lines"]] == [("-20.00", "20")]
    assert "minimum spend" in note["lines"][0]["description"]
    assert totals(note) == ("-20.00", "-4.00", "-24.00")
    # today's treatment, reverse charge at 0 %: the 20 late calls 20.00, February's usage
    # 0.00 topped up to 50.00: 20.00 + 0.00 + 50.00 = 70.00, VAT 0.00
    assert march["tax_treatment"] == "reverse_charge"
    assert nets(march) == ["20.00", "0.00", "50.00"]
    assert {x["vat_rate"] for x in march["lines"]} == {"0"}
    assert totals(march) == ("70.00", "0.00", "70.00")
    note = finalize(shop, note)
    assert note["number"] == "AV-2026-000001"
    # 60.00 − 24.00 = 36.00 left due on January: 10.00 of calls + the 20.00 top-up still
    # owed = 30.00, + 20 % VAT 6.00
    assert due(read(shop, january)) == ("finalized", "0.00", "24.00", "36.00")
    assert shop.run("2026-03-01") == []  # billed once


def test_the_events_link_of_a_usage_line_lists_its_own_contracts_events(
    shop: Shop, op: Operator
) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "1.00"}
    product = shop.product("api-calls", "usage", unit_price="1.00", charge=charge)
    customer = shop.customer()
    ids = {
        reference: shop.contract(
            customer,
            reference,
            "2026-01-01",
            [{"product_id": product}],
            billing_alignment="calendar",
        )
        for reference in ("C-1", "C-2")
    }
    named = {"C-1": 3, "C-2": 2, None: 1}  # one event names no contract: the first one's
    events = [
        {
            "transaction_id": f"{reference}-{n}",
            "metric": "calls",
            "timestamp": "2026-01-05T10:00:00Z",
        }
        | ({"contract": reference} if reference else {"customer": customer})
        for reference, count in named.items()
        for n in range(count)
    ]
    ok(shop.api.post("/v1/events/batch", json={"events": events}))
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    explained = ok(shop.api.get(f"/v1/invoices/{january['id']}/explain"))["lines"]
    listed = {}
    for line in explained:
        url = line["usage"]["events_url"]
        assert f"contract_id={line['contract_id']}" in url
        found = ok(shop.api.get(url))["data"]
        listed[line["contract_id"]] = (
            line["net_amount"],
            sorted(e["transaction_id"] for e in found),
        )
    # C-1 (the customer's first contract on the metric) counts its 3 events and the one naming
    # no contract: 4 × 1.00 = 4.00; C-2 its own 2: 2 × 1.00 = 2.00. Each link lists those only
    assert listed == {
        ids["C-1"]: ("4.00", ["C-1-0", "C-1-1", "C-1-2", "None-0"]),
        ids["C-2"]: ("2.00", ["C-2-0", "C-2-1"]),
    }
    metric = explained[0]["usage"]["metric"]["id"]
    url = f"/v1/metrics/{metric}/events"
    january_of = {"from": "2026-01-01", "to": "2026-02-01"}
    # a contract of another customer is refused, an unknown one is not found
    other = shop.customer("Autre SAS")
    refused = shop.api.get(
        url, params=january_of | {"customer_id": other, "contract_id": ids["C-2"]}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["contract_id"]
    unknown = shop.api.get(url, params=january_of | {"contract_id": "ctr_nope"})
    assert unknown.status_code == 404
    # the contract alone names its customer; the command line filters the same way
    alone = ok(shop.api.get(url, params=january_of | {"contract_id": ids["C-2"]}))["data"]
    assert sorted(e["transaction_id"] for e in alone) == ["C-2-0", "C-2-1"]
    listed_cli = op.json(
        "metrics", "events", "calls", "--customer", customer, "--from", "2026-01-01",
        "--to", "2026-02-01", "--contract", "C-1",
    )  # fmt: skip
    assert sorted(e["transaction_id"] for e in listed_cli) == ["C-1-0", "C-1-1", "C-1-2", "None-0"]


def test_cli_dates_of_other_commands_name_the_option_like_bill_run(
    op: Operator, pricelist: str
) -> None:
    def said(*args: str) -> str:
        return op.refused(*args).removeprefix("error: ")

    def bad(option: str, text: str) -> str:
        return f"{option}: expected a date YYYY-MM-DD, got '{text}'"

    new = ("pricelists", "create", "--name", "Tarif 2027", "--currency", "EUR")
    assert said(*new, "--valid-from", "2026-02-30") == bad("--valid-from", "2026-02-30")
    assert said(*new, "--valid-to", "fin 2027") == bad("--valid-to", "fin 2027")
    assert said("pricelists", "update", pricelist, "--valid-from", "2026-13-01") == bad(
        "--valid-from", "2026-13-01"
    )
    assert said("pricelists", "update", pricelist, "--valid-to", "31/12/2026") == bad(
        "--valid-to", "31/12/2026"
    )
    # "" still clears a pricelist's bound
    assert op.json("pricelists", "update", pricelist, "--valid-to", "")["valid_to"] is None
    coupon = ("coupons", "create", "WELCOME", "--percent", "10")
    assert said(*coupon, "--from", "2026-02-30") == bad("--from", "2026-02-30")
    assert said(*coupon, "--until", "demain") == bad("--until", "demain")
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    [invoice] = op.run_billing("2026-01-15")  # a draft: 399 × 17/31 = 218.81 on one line
    add = ("invoices", "add-line", invoice["id"], "--unit-price", "10.00")
    assert said(*add, "--period-start", "2026-1-15") == bad("--period-start", "2026-1-15")
    assert said(*add, "--period-last-day", "2026-02-30") == bad("--period-last-day", "2026-02-30")
    dry_run = ("smartcodes", "test", "rounding", "--contract", "C-1")
    assert said(*dry_run, "--from", "2026-02-30") == bad("--from", "2026-02-30")
    assert said(*dry_run, "--to", "mars") == bad("--to", "mars")
    assert said(*dry_run, "--as-of", "2026-13-01") == bad("--as-of", "2026-13-01")
    assert [p["name"] for p in op.json("pricelists", "list")] == ["Standard 2026"]
    assert op.json("coupons", "list") == []
    assert len(op.json("invoices", "show", invoice["id"])["lines"]) == 1
