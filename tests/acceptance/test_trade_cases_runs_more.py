"""Worked cases from month-end, continued: one invoice per customer and billing date across
several runs of the same day, and an invoice made only of credits settled on the balance.

Through the public REST API only; every expected figure is computed by hand from the billing
rules (docs/billing-rules.md and docs/invoices.md) in the comment beside it. The test clock
reads 15 Jan 2026; a case that needs a later "today" moves it forward. The seller is French
(VAT 20 % on standard products).
"""

from __future__ import annotations

from typing import Any

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals


def product(shop: Shop, code: str, price: str) -> str:
    return shop.product(code, unit_price=price, periodicity="monthly", timing="in_advance")


def audit(shop: Shop, object_id: str, action: str) -> list[dict[str, Any]]:
    events = ok(shop.api.get("/v1/audit-events", params={"object_id": object_id}))["data"]
    return [e for e in events if e["action"] == action]


def balance(shop: Shop, customer: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    answer = ok(shop.api.get(f"/v1/customers/{customer}/balance"))
    return answer["balances"], answer["history"]["data"]


# --- one invoice per customer and billing date ----------------------------------------------


def test_a_contract_added_after_the_run_joins_the_days_draft(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [first] = shop.run("2026-02-01")
    # 399.00, VAT 20 % 79.80, gross 478.80
    assert totals(first) == ("399.00", "79.80", "478.80")
    support = product(shop, "support", "120.00")
    shop.contract(customer, "C-2", "2026-02-01", [{"product_id": support}])
    # a dry run, and the customer's upcoming invoice, say the new line goes on the open draft:
    # the line's own figures (120.00, VAT 24.00, 144.00), no id (nothing made)
    body = {"as_of": "2026-02-01", "dry_run": True}
    [preview] = ok(shop.api.post("/v1/billing-runs", json=body), 201)["invoices"]
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    for shown in (preview, upcoming):
        assert (shown["id"], shown["joins_draft_id"]) == (None, first["id"])
        assert totals(shown) == ("120.00", "24.00", "144.00")
    answer = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)
    # the run lists the draft it added to, with the line it added (120.00, VAT 24.00, 144.00)
    [added] = answer["invoices"]
    assert (added["id"], [x["net_amount"] for x in added["lines"]]) == (first["id"], ["120.00"])
    assert answer["run"]["invoices_created"] == 0  # no new invoice
    merged = ok(shop.api.get(f"/v1/invoices/{first['id']}"))
    # positions continue: 1 hosting, 2 support; 399.00 + 120.00 = 519.00, VAT 519 × 20 % =
    # 103.80, gross 622.80; one VAT rate, base 519.00
    assert [(x["position"], x["net_amount"]) for x in merged["lines"]] == [
        (1, "399.00"),
        (2, "120.00"),
    ]
    assert totals(merged) == ("519.00", "103.80", "622.80")
    assert merged["vat_breakdown"] == [{"rate": "20", "base": "519.00", "vat": "103.80"}]
    assert merged["status"] == "draft"
    # the customer has one invoice for 1 Feb
    listed = ok(shop.api.get("/v1/invoices", params={"customer_id": customer}))["data"]
    assert [i["id"] for i in listed] == [first["id"]]
    # the change is in the audit log, totals before and after
    [event] = audit(shop, first["id"], "add_run_lines")
    assert (event["before"]["gross_total"], event["after"]["gross_total"]) == ("478.80", "622.80")
    assert event["after"]["lines_added"] == "1"
    # running the day again adds nothing
    assert shop.run("2026-02-01") == []
    assert nets(ok(shop.api.get(f"/v1/invoices/{first['id']}"))) == ["399.00", "120.00"]
    # finalizing the later run finalizes the draft it added to: 622.80 in all
    finalized = ok(shop.api.post(f"/v1/billing-runs/{answer['run']['id']}/finalize"))
    assert (finalized["finalized"], finalized["first_number"]) == (1, "F-2026-000001")
    done = ok(shop.api.get(f"/v1/invoices/{first['id']}"))
    assert (done["status"], done["number"], done["gross_total"]) == (
        "finalized",
        "F-2026-000001",
        "622.80",
    )


def test_run_lines_go_after_the_lines_typed_on_the_draft(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [draft] = shop.run("2026-02-01")
    line = {
        "description": "Formation",
        "quantity": "2",
        "unit_price": "75.50",
        "vat_category": "standard",
    }
    ok(shop.api.post(f"/v1/invoices/{draft['id']}/lines", json=line), 201)
    support = product(shop, "support", "120.00")
    shop.contract(customer, "C-2", "2026-02-01", [{"product_id": support}])
    [merged] = shop.run("2026-02-01")
    # 1 hosting 399.00, 2 the typed 2 × 75.50 = 151.00, 3 support 120.00;
    # 399.00 + 151.00 + 120.00 = 670.00, VAT 670 × 20 % = 134.00, gross 804.00
    assert merged["id"] == draft["id"]
    assert [(x["position"], x["source"], x["net_amount"]) for x in merged["lines"]] == [
        (1, "contract", "399.00"),
        (2, "manual", "151.00"),
        (3, "contract", "120.00"),
    ]
    assert totals(merged) == ("670.00", "134.00", "804.00")


def test_a_finalized_invoice_is_never_added_to(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [first] = shop.run("2026-02-01", finalize=True)
    assert (first["number"], totals(first)) == ("F-2026-000001", ("399.00", "79.80", "478.80"))
    support = product(shop, "support", "120.00")
    shop.contract(customer, "C-2", "2026-02-01", [{"product_id": support}])
    [second] = shop.run("2026-02-01")
    # F-2026-000001 stays 478.80; C-2 makes a new draft of the same day: 120.00, VAT 24.00, 144.00
    assert second["id"] != first["id"]
    assert (second["billing_date"], second["status"], totals(second)) == (
        "2026-02-01",
        "draft",
        ("120.00", "24.00", "144.00"),
    )
    again = ok(shop.api.get(f"/v1/invoices/{first['id']}"))
    assert (nets(again), again["gross_total"]) == (["399.00"], "478.80")


def test_a_contract_grouping_its_own_invoices_keeps_its_own_draft(shop: Shop) -> None:
    customer, host = shop.customer(), hosting(shop)
    support = product(shop, "support", "120.00")
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": host}])
    shop.today("2026-02-01")
    [customers_draft] = shop.run("2026-02-01")
    own = shop.contract(
        customer, "C-OWN", "2026-02-01", [{"product_id": support}], invoice_grouping="contract"
    )
    [owns] = shop.run("2026-02-01")
    # C-OWN groups its own invoices: a draft of its own, 120.00 / 24.00 / 144.00, and the
    # customer's draft keeps 399.00 alone
    assert (owns["id"] != customers_draft["id"], owns["contract_id"], totals(owns)) == (
        True,
        own,
        ("120.00", "24.00", "144.00"),
    )
    shop.contract(customer, "C-3", "2026-02-01", [{"product_id": support, "quantity": "2"}])
    [joined] = shop.run("2026-02-01")
    # C-3 is grouped per customer: it joins the customer's draft, not C-OWN's;
    # 399.00 + 2 × 120.00 = 639.00, VAT 127.80, gross 766.80
    assert (joined["id"], joined["contract_id"], totals(joined)) == (
        customers_draft["id"],
        None,
        ("639.00", "127.80", "766.80"),
    )
    assert nets(ok(shop.api.get(f"/v1/invoices/{owns['id']}"))) == ["120.00"]


# --- an invoice of credits only ---------------------------------------------------------------


def test_a_negative_invoice_goes_to_the_balance_and_pays_the_next_one(shop: Shop) -> None:
    customer = shop.customer()
    host = hosting(shop, "310.00")
    support = product(shop, "support", "200.00")
    c1 = shop.contract(
        customer, "C-1", "2026-03-01", [{"product_id": host}], billing_alignment="calendar"
    )
    shop.contract(
        customer, "C-2", "2026-03-01", [{"product_id": support}], billing_alignment="calendar"
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # 310.00 + 200.00 = 510.00, VAT 102.00, gross 612.00
    assert (march["number"], totals(march)) == ("F-2026-000001", ("510.00", "102.00", "612.00"))
    shop.today("2026-03-20")
    ok(
        shop.api.post(
            f"/v1/contracts/{c1}/transitions",
            json={"action": "terminate", "date": "2026-03-20", "reason": "x", "with_credit": True},
        ),
        201,
    )
    [credit] = shop.run("2026-03-20")
    # [20 Mar, 1 Apr) = 12 of March's 31 days: −310 × 12/31 = −120.00, alone on the invoice
    # (C-2 owes nothing before 1 Apr); VAT −120.00 × 20 % = −24.00, gross −144.00
    assert (credit["status"], nets(credit), totals(credit)) == (
        "draft",
        ["-120.00"],
        ("-120.00", "-24.00", "-144.00"),
    )
    done = ok(shop.api.post(f"/v1/invoices/{credit['id']}/finalize"))
    # finalized, its amount due of −144.00 goes to the customer's balance: it owes nothing,
    # amount_credited −144.00 (gross −144.00 − paid 0.00 − credited −144.00 = 0.00), `credited`
    assert (done["number"], done["status"], done["amount_due"], done["amount_credited"]) == (
        "F-2026-000002",
        "credited",
        "0.00",
        "-144.00",
    )
    balances, history = balance(shop, customer)
    assert balances == [{"currency": "EUR", "available": "144.00"}]
    [entry] = history
    assert (entry["kind"], entry["amount"], entry["invoice_id"], entry["balance_after"]) == (
        "negative_invoice",
        "144.00",
        credit["id"],
        "144.00",
    )
    assert "F-2026-000002" in entry["reason"]
    # settled: it takes no payment, and is never overdue (its due date, 30 days, is 19 Apr)
    refused = shop.api.post(f"/v1/invoices/{credit['id']}/payments", json={"amount": "10.00"})
    assert refused.status_code == 409, refused.text
    shop.today("2026-04-01")
    [april] = shop.run("2026-04-01", finalize=True)
    # C-2's April: 200.00, VAT 40.00, gross 240.00; the balance pays 144.00 of it
    # ("credit applied"), leaving 240.00 − 144.00 = 96.00 due
    assert (april["number"], totals(april)) == ("F-2026-000003", ("200.00", "40.00", "240.00"))
    assert (april["status"], april["amount_paid"], april["amount_due"]) == (
        "partially_paid",
        "144.00",
        "96.00",
    )
    [payment] = ok(shop.api.get(f"/v1/invoices/{april['id']}/payments"))["data"]
    assert (payment["method"], payment["amount"]) == ("credit_balance", "144.00")
    balances, history = balance(shop, customer)
    assert balances == [{"currency": "EUR", "available": "0.00"}]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in history] == [
        ("applied", "-144.00", "0.00"),  # newest first: 144.00 − 144.00
        ("negative_invoice", "144.00", "144.00"),
    ]
    assert history[0]["invoice_id"] == april["id"]
    shop.today("2026-05-31")  # past both due dates
    overdue = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    assert [i["number"] for i in overdue] == ["F-2026-000001", "F-2026-000003"]


def test_a_negative_invoice_finalized_by_its_run_reads_credited(shop: Shop) -> None:
    customer = shop.customer("Export Ltd", country="US", address_line1="1 Main St", city="Austin")
    contract = shop.contract(
        customer,
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # a customer outside the EU: no French VAT, 310.00 in all
    assert totals(march) == ("310.00", "0.00", "310.00")
    shop.today("2026-03-20")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-03-20", "reason": "x", "with_credit": True},
        ),
        201,
    )
    [credit] = shop.run("2026-03-20", finalize=True)
    # −310 × 12/31 = −120.00 at 0 %: gross −120.00, put on the balance at once
    assert (credit["status"], totals(credit), credit["amount_due"]) == (
        "credited",
        ("-120.00", "0.00", "-120.00"),
        "0.00",
    )
    balances, _ = balance(shop, customer)
    assert balances == [{"currency": "EUR", "available": "120.00"}]
