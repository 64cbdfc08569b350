"""Worked cases through the API: a billing run adding its lines to a draft that carries a typed
discount, and what drafted credit notes count for on the invoice they correct.

- A run adds a group's lines to the customer's draft of the same billing date
  (docs/invoices.md, "One invoice per group"); a discount typed on that draft is priced again
  over the lines now on it, as a regeneration does (docs/discounts.md).
- A drafted credit note reserves what it credits: the invoice's `amount_creditable` goes down,
  but its `amount_credited`, amount due and status only move once the credit note is issued
  (docs/invoices.md, "Drafted credit notes").
"""

from __future__ import annotations

from typing import Any

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals


def support(shop: Shop) -> str:
    return shop.product("support", unit_price="120.00", periodicity="monthly", timing="in_advance")


def discount(shop: Shop, invoice: dict[str, Any], kind: str, value: str) -> dict[str, Any]:
    url = f"/v1/invoices/{invoice['id']}/discounts"
    return dict(ok(shop.api.post(url, json={"kind": kind, "value": value}), 201))


def read(shop: Shop, invoice_id: str) -> dict[str, Any]:
    return dict(ok(shop.api.get(f"/v1/invoices/{invoice_id}")))


def test_a_typed_percentage_covers_the_lines_a_later_run_adds(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [draft] = shop.run("2026-02-01")
    typed = discount(shop, draft, "percentage", "10")
    # 399.00 − 39.90 = 359.10, VAT 71.82, gross 430.92
    assert totals(typed) == ("359.10", "71.82", "430.92")
    # a second contract signed the same day: the next run adds it to the same draft
    shop.contract(customer, "C-2", "2026-02-01", [{"product_id": support(shop)}])
    [same] = shop.run("2026-02-01")
    assert same["id"] == draft["id"]
    # "−10 %" stays 10 % of the whole: (399.00 + 120.00) × 0.10 = 51.90, in the discount's
    # place, the added line after it. Net 519.00 − 51.90 = 467.10, VAT 93.42, gross 560.52
    assert [(x["source"], x["net_amount"]) for x in same["lines"]] == [
        ("contract", "399.00"),
        ("discount", "-51.90"),
        ("contract", "120.00"),
    ]
    assert totals(same) == ("467.10", "93.42", "560.52")


def test_a_typed_amount_never_takes_the_draft_below_zero_after_a_run_adds_a_credit(
    shop: Shop,
) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    backup = shop.contract(
        customer,
        "C-2",
        "2026-01-01",
        [{"product_id": support(shop)}],
        billing_alignment="calendar",
    )
    shop.run("2026-01-01")  # C-2's January, an invoice of its own
    shop.today("2026-02-01")
    [draft] = shop.run("2026-02-01")
    assert nets(draft) == ["399.00", "120.00"]
    typed = discount(shop, draft, "fixed", "500.00")
    # 519.00 − 500.00 = 19.00, VAT 3.80
    assert totals(typed) == ("19.00", "3.80", "22.80")
    # C-2 ends on 1 Feb: the run credits February, already on the draft
    ok(
        shop.api.post(
            f"/v1/contracts/{backup}/transitions",
            json={"action": "terminate", "date": "2026-02-01", "with_credit": True},
        ),
        201,
    )
    [same] = shop.run("2026-02-01")
    assert same["id"] == draft["id"]
    # the credit −120.00 leaves 399.00 to discount: 500.00 is capped at 399.00 and the draft
    # nets to 0.00, not to 519.00 − 500.00 − 120.00 = −101.00
    assert [(x["source"], x["net_amount"]) for x in same["lines"]] == [
        ("contract", "399.00"),
        ("contract", "120.00"),
        ("discount", "-399.00"),
        ("contract", "-120.00"),
    ]
    assert totals(same) == ("0.00", "0.00", "0.00")


CREDITS = ("status", "amount_credited", "amount_due", "amount_creditable", "amount_reserved")


def credit_figures(shop: Shop, invoice_id: str) -> tuple[str, ...]:
    invoice = read(shop, invoice_id)
    return tuple(invoice[name] for name in CREDITS)


def three_seats_from_the_20th(shop: Shop, contract: str) -> None:
    body = {
        "effective_date": "2026-01-20",
        "reason": "three servers",
        "schedule": True,
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
    }
    ok(shop.api.post(f"/v1/contracts/{contract}/amendments", json=body), 201)


def credit_by_amount(shop: Shop, invoice_id: str, amount: str) -> Any:
    body = {"invoice_id": invoice_id, "reason": "outage", "amount": amount}
    return shop.api.post("/v1/credit-notes", json=body)


def test_a_drafted_credit_note_reserves_its_amount_and_credits_nothing_yet(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    [january] = shop.run("2026-01-15", finalize=True)
    # 399 × 17/31 = 218.81, VAT 43.76, gross 262.57: all of it creditable
    assert credit_figures(shop, january["id"]) == ("finalized", "0.00", "262.57", "262.57", "0.00")
    three_seats_from_the_20th(shop, contract)
    shop.today("2026-01-20")
    [note] = [i for i in shop.run("2026-01-20") if i["kind"] == "credit_note"]
    # the run drafts a credit note of [20 Jan, 1 Feb): −399 × 12/31 = −154.45, VAT −30.89,
    # gross −185.34. Drafted, it credits nothing: January still owes 262.57 and stays
    # finalized; but 185.34 is reserved, so 262.57 − 185.34 = 77.23 is left to credit
    assert (note["status"], note["gross_total"]) == ("draft", "-185.34")
    assert credit_figures(shop, january["id"]) == ("finalized", "0.00", "262.57", "77.23", "185.34")
    refused = credit_by_amount(shop, january["id"], "100.00")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["detail"] == (
        "a credit of 100.00 is more than the 77.23 still creditable (185.34 reserved by "
        "drafted credit notes: finalize or delete them)"
    )
    voided = shop.api.post(f"/v1/invoices/{january['id']}/void", json={"reason": "error"})
    assert voided.status_code == 409, voided.text
    assert voided.json()["detail"] == (
        "invoice F-2026-000001 cannot be voided while drafted credit notes correct it "
        "(185.34 reserved): finalize or delete them first"
    )
    ok(credit_by_amount(shop, january["id"], "50.00"), 201)
    # issued: 50.00 cancels 50.00 of what January owes (212.57 left); 77.23 − 50.00 = 27.23
    # left to credit
    assert credit_figures(shop, january["id"]) == (
        "finalized",
        "50.00",
        "212.57",
        "27.23",
        "185.34",
    )
    issued = ok(shop.api.post(f"/v1/invoices/{note['id']}/finalize"))
    assert (issued["status"], issued["number"]) == ("issued", "AV-2026-000002")
    # issued, the drafted credit note now credits: 50.00 + 185.34 = 235.34 credited,
    # 262.57 − 235.34 = 27.23 due, and nothing reserved
    assert credit_figures(shop, january["id"]) == ("finalized", "235.34", "27.23", "27.23", "0.00")


def test_of_two_drafted_credit_notes_the_first_made_is_issued_first(shop: Shop) -> None:
    customer, product = shop.customer(), hosting(shop)
    contracts = [
        shop.contract(
            customer,
            reference,
            "2026-01-15",
            [{"product_id": product}],
            billing_alignment="calendar",
            corrections="credit_note",
        )
        for reference in ("C-1", "C-2")
    ]
    [january] = shop.run("2026-01-15", finalize=True)
    # 2 × 218.81 = 437.62, VAT 87.524 → 87.52, gross 525.14; 300.00 credited by hand:
    # 225.14 left
    assert january["gross_total"] == "525.14"
    ok(credit_by_amount(shop, january["id"], "300.00"), 201)
    three_seats_from_the_20th(shop, contracts[0])
    shop.today("2026-01-20")
    [first] = [i for i in shop.run("2026-01-20") if i["kind"] == "credit_note"]
    shop.today("2026-01-25")
    ok(
        shop.api.post(
            f"/v1/contracts/{contracts[1]}/transitions",
            json={"action": "terminate", "date": "2026-01-25", "with_credit": True},
        ),
        201,
    )
    [second] = shop.run("2026-01-25")
    # C-1's upgrade: −185.34 as above; C-2 ends on 25 Jan: [25 Jan, 1 Feb) = 7 of 31 days,
    # −399 × 7/31 = −90.10, VAT −18.02, gross −108.12. Together 293.46 is reserved, more than
    # the 225.14 left: nothing is creditable by hand
    assert (first["gross_total"], second["gross_total"]) == ("-185.34", "-108.12")
    assert credit_figures(shop, january["id"]) == (
        "finalized",
        "300.00",
        "225.14",
        "0.00",
        "293.46",
    )
    # the second is checked against what the first reserves: 225.14 − 185.34 = 39.80
    refused = shop.api.post(f"/v1/invoices/{second['id']}/finalize")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"].endswith(
        "the credit note credits 108.12 but invoice F-2026-000001 has only 39.80 left "
        "to credit: edit or delete the draft"
    )
    # the first was made first: it fits in the 225.14 left and is issued
    assert ok(shop.api.post(f"/v1/invoices/{first['id']}/finalize"))["status"] == "issued"
    # 300.00 + 185.34 = 485.34 credited, 525.14 − 485.34 = 39.80 due
    assert credit_figures(shop, january["id"]) == (
        "finalized",
        "485.34",
        "39.80",
        "0.00",
        "108.12",
    )
    # the second, deleted, reserves nothing any more
    assert shop.api.delete(f"/v1/invoices/{second['id']}").status_code == 204
    assert credit_figures(shop, january["id"]) == (
        "finalized",
        "485.34",
        "39.80",
        "39.80",
        "0.00",
    )
