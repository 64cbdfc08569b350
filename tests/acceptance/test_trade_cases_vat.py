"""Worked cases on VAT, currencies, rounding, numbering and payments, through the public REST API.

A demanding French accountant checks what `test_trade_cases.py` and
`test_trade_cases_documents.py` leave out: who pays French VAT and who does not, the four French
rates on one invoice, HALF_EVEN line rounding next to HALF_UP VAT, pounds and yen, numbers drawn
across a change of year, and payments (dates, currencies, amounts).

Every expected figure is computed by hand from the billing rules (docs/billing-rules.md, which
follows the project's domain reference) in the comment beside it. The test clock reads
15 Jan 2026; a case that needs a later "today" moves it forward. The seller is French.
"""

from __future__ import annotations

from typing import Any

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def fields(response: Any) -> list[str]:
    return [e["field"] for e in problem(response, 422)["errors"]]


def product(shop: Shop, code: str, vat_category: str = "standard", **entry: Any) -> str:
    """A product of a VAT category priced in the shop's EUR pricelist (or `pricelist_id`)."""
    pricelist = entry.pop("pricelist_id", shop.pricelist_id)
    kind = entry.pop("kind", "recurring")
    created = ok(
        shop.api.post(
            "/v1/products",
            json={"code": code, "name_en": code, "kind": kind, "vat_category": vat_category},
        ),
        201,
    )
    ok(
        shop.api.post(
            f"/v1/pricelists/{pricelist}/entries", json={"product_id": created["id"], **entry}
        ),
        201,
    )
    return str(created["id"])


def monthly(price: str) -> dict[str, str]:
    return {"unit_price": price, "periodicity": "monthly", "timing": "in_advance"}


def pricelist(shop: Shop, currency: str) -> str:
    body = {"name": currency, "currency": currency, "valid_from": "2026-01-01", "is_default": True}
    return str(ok(shop.api.post("/v1/pricelists", json=body), 201)["id"])


def breakdown(invoice: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(b["rate"], b["base"], b["vat"]) for b in invoice["vat_breakdown"]]


# --- who pays French VAT --------------------------------------------------------------------------


def test_french_vat_or_not_by_customer(shop: Shop) -> None:
    product_id = hosting(shop)
    # SIREN 552100554: key (12 + 3 × (552100554 mod 97)) mod 97 = (12 + 3 × 28) mod 97 = 96
    cases = {
        # a French company with its French VAT number: French VAT, never reverse charge
        "french-company": ("FR", "company", "FR96552100554", "standard"),
        # Monaco counts as France
        "monegasque": ("MC", "company", None, "standard"),
        # a Belgian company giving a French VAT number: not a number of another member state
        "belgian-with-french-number": ("BE", "company", "FR96552100554", "standard"),
        # an EU company with no VAT number: French VAT
        "italian-no-vat": ("IT", "company", None, "standard"),
        # Switzerland and the United States are outside the EU: export, 0 %
        "swiss": ("CH", "company", None, "export"),
        "american-consumer": ("US", "person", None, "export"),
    }
    ids = {}
    for name, (country, kind, vat, treatment) in cases.items():
        ids[name] = shop.customer(name, country=country, kind=kind, vat_number=vat)
        read = ok(shop.api.get(f"/v1/customers/{ids[name]}"))
        assert read["tax_treatment"] == treatment, name
        shop.contract(ids[name], f"C-{name}", "2026-02-01", [{"product_id": product_id}])
    shop.today("2026-02-01")
    by_customer = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    got = {n: (by_customer[c]["tax_treatment"], totals(by_customer[c])) for n, c in ids.items()}
    # French VAT: 399.00 × 20 % = 79.80, gross 478.80; export: 0 %, gross 399.00
    french, export = (
        ("standard", ("399.00", "79.80", "478.80")),
        ("export", ("399.00", "0.00", "399.00")),
    )
    assert got == {
        "french-company": french,
        "monegasque": french,
        "belgian-with-french-number": french,
        "italian-no-vat": french,
        "swiss": export,
        "american-consumer": export,
    }
    swiss = by_customer[ids["swiss"]]
    assert swiss["lines"][0]["vat_rate"] == "0"
    xml = shop.api.get(f"/v1/invoices/{swiss['id']}/pdf", params={"format": "xml"})
    assert xml.status_code == 200, xml.text
    assert "259-1" in xml.text and "2006/112" not in xml.text


def test_an_invalid_eu_vat_number_is_refused_and_french_vat_applies_without_it(shop: Shop) -> None:
    body = {"country": "DE", "kind": "company", "city": "Berlin", "postal_code": "10115"}
    # DE136695976 is valid; its last digit changed breaks the check digit
    response = shop.api.post(
        "/v1/customers",
        json={"legal_name": "Datenwerk GmbH", "address_line1": "Hauptstr. 1", **body}
        | {"vat_number": "DE136695975"},
    )
    assert "vat_number" in fields(response)
    german = shop.customer("Datenwerk GmbH", address_line1="Hauptstr. 1", **body)
    assert ok(shop.api.get(f"/v1/customers/{german}"))["tax_treatment"] == "standard"
    shop.contract(german, "C-DE", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    # without a valid VAT number the German company pays French VAT: 399.00 × 20 % = 79.80
    assert (invoice["tax_treatment"], totals(invoice)) == (
        "standard",
        ("399.00", "79.80", "478.80"),
    )
    # the number given later (valid) turns the next invoice to reverse charge, not the issued one
    ok(shop.api.patch(f"/v1/customers/{german}", json={"vat_number": "DE136695976"}))
    assert ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))["vat_total"] == "79.80"
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    assert (march["tax_treatment"], totals(march)) == (
        "reverse_charge",
        ("399.00", "0.00", "399.00"),
    )


# --- the four French rates ------------------------------------------------------------------------


def test_the_four_french_rates_on_one_invoice(shop: Shop) -> None:
    lines = [{"product_id": hosting(shop)}]
    for code, category, price in (
        ("transport", "intermediate", "12.35"),
        ("ebooks", "reduced", "4.10"),
        ("press", "super_reduced", "2.50"),
    ):
        product_id = product(shop, code, category, **monthly(price))
        lines += [{"product_id": product_id, "line_key": f"{code}-{n}"} for n in range(2)]
    shop.contract(shop.customer(), "C-1", "2026-02-01", lines)
    [invoice] = shop.run("2026-02-01")
    assert sorted((x["vat_rate"], x["net_amount"]) for x in invoice["lines"]) == [
        ("10", "12.35"),
        ("10", "12.35"),
        ("2.1", "2.50"),
        ("2.1", "2.50"),
        ("20", "399.00"),
        ("5.5", "4.10"),
        ("5.5", "4.10"),
    ]
    # VAT per rate on the sum of the lines at that rate, HALF_UP (BR-CO-17), highest rate first:
    # 20 %: 399.00 → 79.80
    # 10 %: 24.70 × 10 % = 2.47 (per line 1.235 → 1.24, twice 2.48: wrong)
    # 5.5 %: 8.20 × 5.5 % = 0.451 → 0.45 (per line 0.2255 → 0.23, twice 0.46: wrong)
    # 2.1 %: 5.00 × 2.1 % = 0.105 → 0.11 (per line 0.0525 → 0.05, twice 0.10: wrong)
    assert breakdown(invoice) == [
        ("20", "399.00", "79.80"),
        ("10", "24.70", "2.47"),
        ("5.5", "8.20", "0.45"),
        ("2.1", "5.00", "0.11"),
    ]
    # net 399.00 + 24.70 + 8.20 + 5.00 = 436.90; VAT 79.80 + 2.47 + 0.45 + 0.11 = 82.83;
    # gross 519.73
    assert totals(invoice) == ("436.90", "82.83", "519.73")


def test_half_even_lines_and_half_up_vat_on_one_invoice(shop: Shop) -> None:
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "trips", "name": "Trips", "aggregation": "count"}
        ),
        201,
    )
    trips = product(
        shop,
        "trips",
        "intermediate",
        kind="usage",
        unit_price="0.0025",
        charge={"metric": "trips", "model": "per_unit", "unit_price": "0.0025"},
    )
    pass_id = product(shop, "pass", "intermediate", **monthly("10.09"))
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": trips}, {"product_id": pass_id}],
        billing_alignment="calendar",
    )
    events = [
        {
            "transaction_id": f"trip-{n}",
            "contract": "C-1",
            "metric": "trips",
            "timestamp": f"2026-01-{1 + n % 14:02d}T10:00:00Z",  # before today, 15 Jan
        }
        for n in range(1026)
    ]
    for start in range(0, len(events), 500):
        batch = {"events": events[start : start + 500]}
        assert ok(shop.api.post("/v1/events/batch", json=batch))["accepted"] == len(batch["events"])
    [january] = shop.run("2026-01-01")
    assert nets(january) == ["10.09"]  # the pass, billed in advance
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01")
    by_key = {x["line_key"]: x["net_amount"] for x in february["lines"]}
    # usage of January: 1,026 × 0.0025 = 2.565, a tie: HALF_EVEN 2.56 (HALF_UP would say 2.57);
    # the pass for February: 10.09
    assert by_key == {"trips": "2.56", "pass": "10.09"}
    # VAT at 10 % on 2.56 + 10.09 = 12.65 → 1.265, a tie again: HALF_UP 1.27 whatever the line
    # rounding (BR-CO-17); gross 13.92
    assert totals(february) == ("12.65", "1.27", "13.92")


def test_vat_tie_is_rounded_half_up_under_half_even(shop: Shop) -> None:
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    pass_id = product(shop, "pass", "intermediate", **monthly("12.65"))
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": pass_id}])
    [invoice] = shop.run("2026-02-01")
    # 12.65 × 10 % = 1.265, a tie: HALF_UP 1.27 (BR-CO-17), never HALF_EVEN's 1.26; gross 13.92
    assert totals(invoice) == ("12.65", "1.27", "13.92")


# --- pounds and yen -------------------------------------------------------------------------------


def test_pounds_prorated_to_the_penny_with_french_vat(shop: Shop) -> None:
    gbp = pricelist(shop, "GBP")
    product_id = product(shop, "hosting-gbp", pricelist_id=gbp, **monthly("250.00"))
    # a French company billed in pounds pays French VAT
    customer = shop.customer("Nuage SAS", currency="GBP")
    shop.contract(
        customer, "C-GBP", "2026-01-15", [{"product_id": product_id}], billing_alignment="calendar"
    )
    shop.today("2026-01-15")
    [january] = shop.run("2026-01-15", finalize=True)
    # [15 Jan, 1 Feb) = 17 of 31 days: 250 × 17/31 = 137.0967… → 137.10;
    # VAT 137.10 × 20 % = 27.42; gross 164.52
    assert (january["currency"], totals(january)) == ("GBP", ("137.10", "27.42", "164.52"))
    url = f"/v1/invoices/{january['id']}/payments"
    # a tenth of a penny is finer than the pound's minor unit
    assert fields(shop.api.post(url, json={"amount": "100.005"})) == ["amount"]
    paid = ok(shop.api.post(url, json={"amount": "100.00"}), 201)
    assert (paid["amount"], paid["invoice_status"]) == ("100.00", "partially_paid")
    # 164.52 − 100.00 = 64.52 still due
    assert ok(shop.api.get(f"/v1/invoices/{january['id']}"))["amount_due"] == "64.52"


def test_yen_vat_per_rate_and_payments_in_whole_yen(shop: Shop) -> None:
    jpy = pricelist(shop, "JPY")
    books = product(shop, "ebooks-jpy", "reduced", pricelist_id=jpy, **monthly("990"))
    customer = shop.customer("Nuage SAS", currency="JPY")
    shop.contract(
        customer,
        "C-JPY",
        "2026-02-01",
        [{"product_id": books, "line_key": f"ebooks-{n}"} for n in range(2)],
    )
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    # two lines of ¥990 at 5.5 %: VAT on ¥1980 = 108.9 → ¥109 (per line 54.45 → 54, twice 108:
    # wrong); gross ¥2089, no decimals anywhere
    assert nets(invoice) == ["990", "990"]
    assert totals(invoice) == ("1980", "109", "2089")
    assert breakdown(invoice) == [("5.5", "1980", "109")]
    url = f"/v1/invoices/{invoice['id']}/payments"
    assert fields(shop.api.post(url, json={"amount": "1000.5"})) == ["amount"]
    assert fields(shop.api.post(url, json={"amount": "2090"})) == ["amount"]
    ok(shop.api.post(url, json={"amount": "1000"}), 201)
    read = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    # ¥2089 − ¥1000 = ¥1089 due
    assert (read["status"], read["amount_paid"], read["amount_due"]) == (
        "partially_paid",
        "1000",
        "1089",
    )
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "goodwill", "amount": "1000"},
        ),
        201,
    )
    # ¥1000 gross at 5.5 %: net 1000 / 1.055 = 947.86… → ¥948, VAT ¥52, in whole yen
    assert totals(note) == ("-948", "-52", "-1000")
    # ¥1089 − ¥1000 = ¥89 left to pay
    assert ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))["amount_due"] == "89"


# --- numbering across a change of year ------------------------------------------------------------


def test_a_december_draft_finalized_in_january_takes_the_new_years_number(shop: Shop) -> None:
    product_id = hosting(shop)
    a, b = shop.customer("Alpha SAS"), shop.customer("Beta SAS")
    for customer, reference in ((a, "C-A"), (b, "C-B")):
        shop.contract(
            customer,
            reference,
            "2026-12-01",
            [{"product_id": product_id}],
            billing_alignment="calendar",
        )
    shop.today("2026-12-01")
    december = {i["customer_id"]: i for i in shop.run("2026-12-01")}
    assert {i["number"] for i in december.values()} == {None}
    shop.today("2026-12-31")
    first = ok(shop.api.post(f"/v1/invoices/{december[a]['id']}/finalize"))
    shop.today("2027-01-04")
    second = ok(shop.api.post(f"/v1/invoices/{december[b]['id']}/finalize"))
    # numbers and issue dates come at finalization: 31 Dec 2026 in the 2026 series, 4 Jan 2027
    # opens the 2027 series; due 30 days after issue: 30 Jan 2027 and 3 Feb 2027
    assert (first["number"], first["issue_date"], first["due_date"]) == (
        "F-2026-000001",
        "2026-12-31",
        "2027-01-30",
    )
    assert (second["number"], second["issue_date"], second["due_date"]) == (
        "F-2027-000001",
        "2027-01-04",
        "2027-02-03",
    )
    january = shop.run("2027-01-04", finalize=True)
    # January of both contracts, issued 4 Jan 2027, follow in the 2027 series
    assert sorted(i["number"] for i in january) == ["F-2027-000002", "F-2027-000003"]
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": first["id"], "reason": "outage", "amount": "47.88"},
        ),
        201,
    )
    # the 2026 invoice credited in 2027: AV-2027-000001; 47.88 at 20 %: net 39.90, VAT 7.98
    assert (note["number"], note["corrects_invoice_number"], totals(note)) == (
        "AV-2027-000001",
        "F-2026-000001",
        ("-39.90", "-7.98", "-47.88"),
    )


# --- payments -------------------------------------------------------------------------------------


def test_a_payment_dated_before_the_due_date_but_recorded_after(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    url = f"/v1/invoices/{invoice['id']}"
    # 478.80, issued 1 Feb, due 3 Mar
    assert (invoice["gross_total"], invoice["due_date"]) == ("478.80", "2026-03-03")
    shop.today("2026-02-20")
    ok(shop.api.post(f"{url}/payments", json={"amount": "300.00", "date": "2026-02-18"}), 201)
    assert ok(shop.api.get(url))["overdue"] is False  # 178.80 due, before the due date
    shop.today("2026-03-10")
    read = ok(shop.api.get(url))
    # 478.80 − 300.00 = 178.80 still due after 3 Mar: overdue
    assert (read["status"], read["amount_due"], read["overdue"]) == (
        "partially_paid",
        "178.80",
        True,
    )
    # the rest, received on 2 Mar and booked on 10 Mar: paid, no longer overdue
    paid = ok(
        shop.api.post(f"{url}/payments", json={"amount": "178.80", "date": "2026-03-02"}), 201
    )
    assert (paid["invoice_status"], paid["paid_on"]) == ("paid", "2026-03-02")
    read = ok(shop.api.get(url))
    assert (read["amount_paid"], read["amount_due"], read["overdue"]) == ("478.80", "0.00", False)
    payments = ok(shop.api.get(f"{url}/payments"))["data"]
    assert [(p["amount"], p["paid_on"]) for p in payments] == [
        ("300.00", "2026-02-18"),
        ("178.80", "2026-03-02"),
    ]


def test_payments_refused_naming_the_field(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    url = f"/v1/invoices/{invoice['id']}/payments"
    # the invoice is in euros: a payment in dollars has no place on it
    assert fields(shop.api.post(url, json={"amount": "100.00", "currency": "USD"})) == ["currency"]
    # 478.80 due: one cent more is refused, as are nothing and a negative amount
    refused = problem(shop.api.post(url, json={"amount": "478.81"}), 422)
    assert [(e["field"], e["detail"]) for e in refused["errors"]] == [
        ("amount", "more than the 478.80 still due")
    ]
    assert fields(shop.api.post(url, json={"amount": "0.00"})) == ["amount"]
    assert fields(shop.api.post(url, json={"amount": "-10.00"})) == ["amount"]
    assert fields(shop.api.post(url, json={"amount": "ten"})) == ["amount"]
    # nothing was recorded by the refusals
    assert ok(shop.api.get(url))["data"] == []
    paid = ok(shop.api.post(url, json={"amount": "478.80"}), 201)
    assert paid["invoice_status"] == "paid"
    # a paid invoice takes nothing more: a conflict with its status, not a bad amount
    problem(shop.api.post(url, json={"amount": "0.01"}), 409)


def test_a_draft_takes_no_payment(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    [draft] = shop.run("2026-02-01")
    problem(shop.api.post(f"/v1/invoices/{draft['id']}/payments", json={"amount": "10.00"}), 409)
