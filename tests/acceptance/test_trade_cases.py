"""Worked billing cases from the trade, checked end to end through the public REST API only.

Every figure below is computed by hand from the billing rules (docs/billing-rules.md, which
follows the project's domain reference) in the comment next to it; nothing here reaches into the
services or the database. The test clock reads 15 Jan 2026; a case that needs a later "today"
(a suspension, a termination, a finalization) moves it forward, as time passes for a user.

The organization is a French seller (VAT 20 % on standard products); amounts are JSON strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.clock import FixedClock

SELLER = {
    "legal_name": "Tarif SAS",
    "address_line1": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "legal_form_and_capital": "SAS au capital de 10 000 €",
    "rcs": "RCS Paris 732 829 320",
    "late_penalty_rate": "12.15",
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Shop:
    """A seller with a default EUR pricelist, built over HTTP."""

    api: TestClient
    clock: FixedClock
    pricelist_id: str

    def product(self, code: str, kind: str = "recurring", **entry: Any) -> str:
        product = ok(
            self.api.post("/v1/products", json={"code": code, "name_en": code, "kind": kind}), 201
        )
        url = f"/v1/pricelists/{self.pricelist_id}/entries"
        ok(self.api.post(url, json={"product_id": product["id"], **entry}), 201)
        return str(product["id"])

    def customer(self, name: str = "Nuage SAS", **fields: Any) -> str:
        body = {
            "legal_name": name,
            "country": "FR",
            "address_line1": "1 rue Haute",
            "postal_code": "69001",
            "city": "Lyon",
        } | fields
        return str(ok(self.api.post("/v1/customers", json=body), 201)["id"])

    def contract(
        self,
        customer_id: str,
        reference: str,
        start: str,
        lines: list[dict[str, Any]],
        **fields: Any,
    ) -> str:
        body = {
            "customer_id": customer_id,
            "reference": reference,
            "start_date": start,
            "lines": lines,
        } | fields
        contract = ok(self.api.post("/v1/contracts", json=body), 201)
        url = f"/v1/contracts/{contract['id']}/transitions"
        ok(self.api.post(url, json={"action": "submit"}), 201)
        ok(self.api.post(url, json={"action": "activate"}), 201)
        return str(contract["id"])

    def run(self, as_of: str, **fields: Any) -> list[dict[str, Any]]:
        answer = ok(self.api.post("/v1/billing-runs", json={"as_of": as_of} | fields), 201)
        return [ok(self.api.get(f"/v1/invoices/{i['id']}")) for i in answer["invoices"]]

    def today(self, day: str) -> None:
        """Moves the clock to 09:30 UTC on `day` (never backwards)."""
        target = datetime.fromisoformat(day).replace(hour=9, minute=30, tzinfo=UTC)
        self.clock.advance(target - self.clock.now())


def totals(invoice: dict[str, Any]) -> tuple[str, str, str]:
    return invoice["net_total"], invoice["vat_total"], invoice["gross_total"]


def nets(invoice: dict[str, Any]) -> list[str]:
    return [line["net_amount"] for line in invoice["lines"]]


def hosting(shop: Shop, price: str = "399.00") -> str:
    return shop.product("hosting", unit_price=price, periodicity="monthly", timing="in_advance")


# --- periods and proration -----------------------------------------------------------------------


def test_monthly_in_advance_calendar_from_mid_month(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    [january] = shop.run("2026-01-15")
    # [15 Jan, 1 Feb) uses 17 of January's 31 days: 399 × 17/31 = 218.806… → 218.81;
    # VAT 20 % 43.762 → 43.76; gross 262.57
    assert totals(january) == ("218.81", "43.76", "262.57")
    [line] = january["lines"]
    assert (line["period_start"], line["period_last_day"]) == ("2026-01-15", "2026-01-31")
    assert line["contract_id"] == contract
    [february] = shop.run("2026-02-01")
    # a whole month: 399.00, VAT 79.80, gross 478.80; shown 01/02 → 28/02
    assert totals(february) == ("399.00", "79.80", "478.80")
    assert february["lines"][0]["period_last_day"] == "2026-02-28"
    assert shop.run("2026-02-01") == []  # billed once


def test_annual_in_advance_anniversary(shop: Shop) -> None:
    licence = shop.product(
        "licence", unit_price="1200.00", periodicity="annual", timing="in_advance"
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-10",
        [{"product_id": licence}],
        billing_alignment="anniversary",
    )
    assert shop.run("2026-03-09") == []
    [first] = shop.run("2026-03-10")
    # anniversary: [10 Mar 2026, 10 Mar 2027) is one whole year, 1200.00, VAT 240.00
    assert totals(first) == ("1200.00", "240.00", "1440.00")
    assert (first["lines"][0]["period_start"], first["lines"][0]["period_last_day"]) == (
        "2026-03-10",
        "2027-03-09",
    )
    assert shop.run("2027-03-09") == []
    [second] = shop.run("2027-03-10")
    assert totals(second) == ("1200.00", "240.00", "1440.00")
    assert second["lines"][0]["period_last_day"] == "2028-03-09"


def test_quarterly_in_arrears_calendar(shop: Shop) -> None:
    support = shop.product(
        "support", unit_price="1200.00", periodicity="quarterly", timing="in_arrears"
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-15",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    # in arrears, due at the end of Q1: nothing until 1 Apr
    assert shop.run("2026-03-31") == []
    [q1] = shop.run("2026-04-01")
    # Q1 2026 has 31 + 28 + 31 = 90 days, [15 Feb, 1 Apr) uses 14 + 31 = 45: 1200 × 45/90 = 600.00
    assert totals(q1) == ("600.00", "120.00", "720.00")
    assert (q1["lines"][0]["period_start"], q1["lines"][0]["period_last_day"]) == (
        "2026-02-15",
        "2026-03-31",
    )
    [q2] = shop.run("2026-07-01")
    # Q2 whole: 1200.00
    assert totals(q2) == ("1200.00", "240.00", "1440.00")


# --- changes, termination, suspension -------------------------------------------------------------


def test_upgrade_mid_period_credits_and_charges(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert totals(march) == ("310.00", "62.00", "372.00")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-03-15",
                "reason": "upgrade",
                "schedule": True,
                "changes": [
                    {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"}
                ],
            },
        ),
        201,
    )
    [change] = shop.run("2026-03-15")
    # [15 Mar, 1 Apr) = 17 of March's 31 days: credit −310 × 17/31 = −170.00,
    # charge 620 × 17/31 = 340.00; net 170.00, VAT 34.00, gross 204.00
    assert sorted(nets(change)) == ["-170.00", "340.00"]
    assert all(line["adjustment"] for line in change["lines"] if line["net_amount"] == "-170.00")
    assert totals(change) == ("170.00", "34.00", "204.00")
    [april] = shop.run("2026-04-01")
    assert totals(april) == ("620.00", "124.00", "744.00")


def test_termination_mid_period_credits_the_unused_days(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={
                "action": "terminate",
                "date": "2026-03-21",
                "with_credit": True,
                "reason": "moving out",
            },
        ),
        201,
    )
    [credit] = shop.run("2026-03-21")
    # ends 21 Mar (first day no longer covered): [21 Mar, 1 Apr) = 11 unused days,
    # credit −310 × 11/31 = −110.00, VAT −22.00, gross −132.00
    assert nets(credit) == ["-110.00"]
    assert totals(credit) == ("-110.00", "-22.00", "-132.00")
    assert shop.run("2026-04-01") == []


def _january_then_terminated_on_the_21st(
    shop: Shop, with_credit: bool = True, **fields: Any
) -> tuple[str, dict[str, Any]]:
    """310.00 a month in advance from 1 Jan 2026 (calendar), January invoiced, then ended on
    21 Jan (the first day no longer covered)."""
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
        **fields,
    )
    [january] = shop.run("2026-01-01")
    # January in advance: 310.00, VAT 62.00, gross 372.00
    assert totals(january) == ("310.00", "62.00", "372.00")
    shop.today("2026-01-21")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={
                "action": "terminate",
                "date": "2026-01-21",
                # the API asks it of an end before an invoiced day that the contract credits
                "with_credit": with_credit,
                "reason": "moving out",
            },
        ),
        201,
    )
    return contract, ok(shop.api.get(f"/v1/contracts/{contract}"))


def test_termination_credits_the_unused_days_by_default(shop: Shop) -> None:
    _, read = _january_then_terminated_on_the_21st(shop)
    assert read["terms"]["credit_on_termination"] is True
    [credit] = shop.run("2026-01-21")
    # [21 Jan, 1 Feb) = 11 of January's 31 unused days: −310 × 11/31 = −110.00,
    # VAT −22.00, gross −132.00
    assert nets(credit) == ["-110.00"]
    assert totals(credit) == ("-110.00", "-22.00", "-132.00")
    assert shop.run("2026-02-01") == []


def test_termination_without_credit_leaves_the_billed_days_billed(shop: Shop) -> None:
    # no credit to acknowledge: the termination needs no `with_credit`
    _, read = _january_then_terminated_on_the_21st(
        shop, with_credit=False, credit_on_termination=False
    )
    assert read["terms"]["credit_on_termination"] is False
    # January stays billed in full (310.00): no credit, and nothing more after the end
    assert shop.run("2026-01-21") == []
    assert shop.run("2026-02-01") == []


def test_suspension_credits_the_suspended_days(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    url = f"/v1/contracts/{contract}/transitions"
    shop.today("2026-03-11")
    ok(
        shop.api.post(url, json={"action": "suspend", "date": "2026-03-11", "reason": "unpaid"}),
        201,
    )
    shop.today("2026-03-21")
    ok(shop.api.post(url, json={"action": "resume", "date": "2026-03-21", "reason": "paid"}), 201)
    [credit] = shop.run("2026-03-21")
    # suspended [11 Mar, 21 Mar) = 10 of March's 31 days: −310 × 10/31 = −100.00
    assert totals(credit) == ("-100.00", "-20.00", "-120.00")
    [april] = shop.run("2026-04-01")
    assert totals(april) == ("310.00", "62.00", "372.00")


def test_percentage_discount_for_two_periods(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [
            {
                "product_id": hosting(shop),
                "discounts": [{"kind": "percentage", "value": "20", "periods": 2}],
            }
        ],
        billing_alignment="calendar",
    )
    # the partial first period counts as one: 399 × 17/31 × 0.8 = 175.045… → 175.05;
    # February 399 × 0.8 = 319.20; March undiscounted 399.00
    figures = [nets(shop.run(day)[0]) for day in ("2026-01-15", "2026-02-01", "2026-03-01")]
    assert figures == [["175.05"], ["319.20"], ["399.00"]]


# --- usage ----------------------------------------------------------------------------------------


def test_graduated_and_volume_tiers(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics",
            json={"code": "units", "name": "Units", "aggregation": "sum", "field": "qty"},
        ),
        201,
    )
    storage = shop.product("storage", "usage", unit_price="0")
    tiers = [
        {"up_to": "100", "unit_price": "1.00"},
        {"up_to": "500", "unit_price": "0.80"},
        {"up_to": None, "unit_price": "0.50"},
    ]
    customers: dict[str, str] = {}
    for reference, model in (("GRAD", "graduated"), ("VOL", "volume")):
        customers[reference] = shop.customer(f"{model} SAS")
        shop.contract(
            customers[reference],
            reference,
            "2026-01-01",
            [
                {
                    "product_id": storage,
                    "charge": {"metric": "units", "model": model, "tiers": tiers},
                }
            ],
            billing_alignment="calendar",
        )
        events = [
            {
                "transaction_id": f"{reference}-{n}",
                "contract": reference,
                "metric": "units",
                "timestamp": f"2026-01-{10 + n:02d}T12:00:00Z",
                "properties": {"qty": qty},
            }
            for n, qty in enumerate(("250", "300", "100"))
        ]
        assert ok(shop.api.post("/v1/events/batch", json={"events": events}))["accepted"] == 3
    shop.today("2026-02-02")
    invoices = {i["customer_id"]: i for i in shop.run("2026-02-01")}
    by_ref = {reference: invoices[customer] for reference, customer in customers.items()}
    # 250 + 300 + 100 = 650 units.
    # graduated: 100 × 1.00 + 400 × 0.80 + 150 × 0.50 = 100.00 + 320.00 + 75.00 = 495.00, VAT 99.00
    assert nets(by_ref["GRAD"]) == ["100.00", "320.00", "75.00"]
    assert totals(by_ref["GRAD"]) == ("495.00", "99.00", "594.00")
    # volume: all 650 units in the open tier, 650 × 0.50 = 325.00, VAT 65.00
    assert totals(by_ref["VOL"]) == ("325.00", "65.00", "390.00")


def test_the_seed_usage_case(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics",
            json={"code": "turnover", "name": "Turnover", "aggregation": "sum", "field": "amount"},
        ),
        201,
    )
    payments = shop.product("payments", "usage", unit_price="0")
    shop.contract(
        shop.customer(),
        "SEED",
        "2026-01-01",
        [
            {"product_id": hosting(shop)},
            {
                "product_id": payments,
                "charge": {
                    "metric": "turnover",
                    "model": "percentage",
                    "rate": "2",
                    "fixed_fee": "0.25",
                },
            },
        ],
        billing_alignment="calendar",
    )
    # 1,000 sales of 40.00 and 200 of 50.00: 40,000.00 + 10,000.00 = 50,000.00 in 1,200 sales
    events = [
        {
            "transaction_id": f"sale-{n}",
            "contract": "SEED",
            "metric": "turnover",
            "timestamp": f"2026-01-{1 + n % 31:02d}T10:00:00Z",
            "properties": {"amount": "40.00" if n < 1000 else "50.00"},
        }
        for n in range(1200)
    ]
    shop.today("2026-02-02")  # January is over: events dated in the future would be refused
    for start in range(0, 1200, 400):
        batch = {"events": events[start : start + 400]}
        assert ok(shop.api.post("/v1/events/batch", json=batch))["accepted"] == 400
    invoices = shop.run("2026-02-01")
    february = next(i for i in invoices if i["billing_date"] == "2026-02-01")
    # February's hosting 399.00 + 2 % × 50,000.00 = 1,000.00 + 1,200 × 0.25 = 300.00
    # = 1,699.00 net; VAT 20 % 339.80; total 2,038.80
    assert sorted(nets(february)) == ["1000.00", "300.00", "399.00"]
    assert totals(february) == ("1699.00", "339.80", "2038.80")


# --- VAT ------------------------------------------------------------------------------------------


def test_reverse_charge_for_an_eu_business_and_french_vat_for_a_consumer(shop: Shop) -> None:
    product = hosting(shop)
    german = shop.customer(
        "Datenwerk GmbH",
        country="DE",
        kind="company",
        vat_number="DE136695976",
        address_line1="Hauptstr. 1",
        postal_code="10115",
        city="Berlin",
    )
    french = shop.customer("Claire Dubois", kind="person")
    assert ok(shop.api.get(f"/v1/customers/{german}"))["tax_treatment"] == "reverse_charge"
    shop.contract(german, "B2B", "2026-02-01", [{"product_id": product}])
    shop.contract(french, "B2C", "2026-02-01", [{"product_id": product}])
    shop.today("2026-02-01")
    invoices = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    b2b, b2c = invoices[german], invoices[french]
    # reverse charge: 0 %, the customer accounts for the VAT: 399.00 / 0.00 / 399.00
    assert (b2b["tax_treatment"], b2b["lines"][0]["vat_rate"]) == ("reverse_charge", "0")
    assert totals(b2b) == ("399.00", "0.00", "399.00")
    xml = shop.api.get(f"/v1/invoices/{b2b['id']}/pdf", params={"format": "xml"})
    assert xml.status_code == 200, xml.text
    assert "196" in xml.text and "2006/112" in xml.text  # the legal mention, article 196
    # French consumer: 20 %: 399.00 × 20 % = 79.80, gross 478.80
    assert b2c["tax_treatment"] == "standard"
    assert totals(b2c) == ("399.00", "79.80", "478.80")


# --- documents ------------------------------------------------------------------------------------


def test_partial_credit_note_then_the_rest(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    assert invoice["number"] == "F-2026-000001"
    assert totals(invoice) == ("399.00", "79.80", "478.80")
    first = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "goodwill", "amount": "100.00"},
        ),
        201,
    )
    # 100.00 gross at 20 %: net 100 / 1.2 = 83.333… → 83.33, VAT 83.33 × 20 % = 16.666 → 16.67
    assert (first["number"], first["net_total"], first["vat_total"], first["gross_total"]) == (
        "AV-2026-000001",
        "-83.33",
        "-16.67",
        "-100.00",
    )
    # 478.80 − 100.00 = 378.80 left: one cent more is refused, naming the field
    refused = shop.api.post(
        "/v1/credit-notes",
        json={"invoice_id": invoice["id"], "reason": "too much", "amount": "378.81"},
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "amount" in refused.text and "378.80" in refused.text
    rest = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "cancel", "amount": "378.80"},
        ),
        201,
    )
    # the refused attempt drew no number: the next is 000002
    # 378.80 / 1.2 = 315.666… → 315.67, VAT 63.134 → 63.13, 315.67 + 63.13 = 378.80
    assert (rest["number"], rest["net_total"], rest["vat_total"], rest["gross_total"]) == (
        "AV-2026-000002",
        "-315.67",
        "-63.13",
        "-378.80",
    )
    # both notes cancel the invoice to the cent: 83.33 + 315.67 = 399.00, 16.67 + 63.13 = 79.80
    after = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_credited"], after["amount_due"]) == (
        "credited",
        "478.80",
        "0.00",
    )


def test_invoice_numbers_are_gap_free_per_series(shop: Shop) -> None:
    product = hosting(shop)
    for n in range(3):
        shop.contract(
            shop.customer(f"Client {n}"), f"C-{n}", "2026-01-15", [{"product_id": product}]
        )
    drafts = shop.run("2026-01-15")
    assert len(drafts) == 3
    numbers = []
    for draft in drafts:
        numbers.append(ok(shop.api.post(f"/v1/invoices/{draft['id']}/finalize"))["number"])
        # finalizing twice is refused and draws no number
        assert shop.api.post(f"/v1/invoices/{draft['id']}/finalize").status_code == 409
    assert numbers == ["F-2026-000001", "F-2026-000002", "F-2026-000003"]
    # a credit note has its own series and leaves the invoices' alone
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": drafts[0]["id"], "reason": "x", "amount": "10.00"},
        ),
        201,
    )
    assert note["number"] == "AV-2026-000001"
    # anniversary alignment (the default): the next periods start on 15 Feb
    shop.today("2026-02-15")
    february = shop.run("2026-02-15", finalize=True)
    assert sorted(i["number"] for i in february) == [
        "F-2026-000004",
        "F-2026-000005",
        "F-2026-000006",
    ]


def test_a_contract_in_another_currency_is_refused_naming_the_field(shop: Shop) -> None:
    customer = shop.customer()  # billed in EUR (the organization's default)
    response = shop.api.post(
        "/v1/contracts",
        json={
            "customer_id": customer,
            "reference": "C-USD",
            "start_date": "2026-02-01",
            "currency": "USD",
            "lines": [{"product_id": hosting(shop)}],
        },
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert "currency" in str(problem)


# --- more cases from the trade ------------------------------------------------------------------


def test_termination_known_before_the_period_is_billed(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-03-21", "reason": "moving out"},
        ),
        201,
    )
    [march] = shop.run("2026-03-01")
    # a version effective after the day billed is not known yet (docs/billing-rules.md): March
    # is billed whole in advance, 310.00, and the termination credits the unused days on its date
    assert nets(march) == ["310.00"]
    [credit] = shop.run("2026-03-21")
    # [21 Mar, 1 Apr) = 11 of 31 days: −310 × 11/31 = −110.00
    assert nets(credit) == ["-110.00"]
    assert shop.run("2026-04-01") == []


def test_suspension_across_a_period_start(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    url = f"/v1/contracts/{contract}/transitions"
    shop.today("2026-03-15")
    ok(
        shop.api.post(url, json={"action": "suspend", "date": "2026-03-15", "reason": "unpaid"}),
        201,
    )
    [credit] = shop.run("2026-03-15")
    # suspended from 15 Mar: [15 Mar, 1 Apr) = 17 of 31 days, −310 × 17/31 = −170.00
    assert nets(credit) == ["-170.00"]
    assert shop.run("2026-04-01") == []  # April is not billed while suspended
    shop.today("2026-04-15")
    ok(shop.api.post(url, json={"action": "resume", "date": "2026-04-15", "reason": "paid"}), 201)
    [april] = shop.run("2026-04-15")
    # resumes on 15 Apr: [15 Apr, 1 May) = 16 of April's 30 days, 310 × 16/30 = 165.333… → 165.33
    assert nets(april) == ["165.33"]


def test_fixed_discount_is_prorated_on_a_partial_period(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "310.00",
                "discounts": [{"kind": "fixed", "value": "31.00"}],
            }
        ],
        billing_alignment="calendar",
    )
    # (310 − 31) × 17/31 = 279 × 17/31 = 153.00 (the 31.00 off becomes 17.00 off)
    [january] = shop.run("2026-01-15")
    assert nets(january) == ["153.00"]
    assert january["lines"][0]["discount_amount"] == "17.00"
    [february] = shop.run("2026-02-01")
    assert nets(february) == ["279.00"]


def test_anniversary_months_are_added_to_the_anchor(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-31",
        [{"product_id": hosting(shop)}],
        billing_alignment="anniversary",
    )
    periods = []
    for day in ("2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"):
        [invoice] = shop.run(day)
        line = invoice["lines"][0]
        periods.append((line["period_start"], line["period_last_day"], line["net_amount"]))
    # anchor 31 Jan → 28 Feb → 31 Mar → 30 Apr → 31 May: whole months, 399.00 each
    assert periods == [
        ("2026-01-31", "2026-02-27", "399.00"),
        ("2026-02-28", "2026-03-30", "399.00"),
        ("2026-03-31", "2026-04-29", "399.00"),
        ("2026-04-30", "2026-05-30", "399.00"),
    ]


def test_vat_is_computed_on_the_sum_of_the_lines_at_a_rate(shop: Shop) -> None:
    product = ok(
        shop.api.post(
            "/v1/products",
            json={
                "code": "news",
                "name_en": "News",
                "kind": "recurring",
                "vat_category": "intermediate",
            },
        ),
        201,
    )["id"]
    entry = {
        "product_id": product,
        "unit_price": "0.05",
        "periodicity": "monthly",
        "timing": "in_advance",
    }
    ok(shop.api.post(f"/v1/pricelists/{shop.pricelist_id}/entries", json=entry), 201)
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [{"product_id": product, "line_key": f"news-{n}"} for n in range(3)],
    )
    [invoice] = shop.run("2026-02-01")
    # three lines of 0.05 at 10 %: VAT on 0.15 = 0.015 → 0.02 (BR-CO-17), not 3 × 0.005 → 3 × 0.01
    assert nets(invoice) == ["0.05", "0.05", "0.05"]
    assert totals(invoice) == ("0.15", "0.02", "0.17")
    assert invoice["vat_breakdown"] == [{"rate": "10", "base": "0.15", "vat": "0.02"}]


def test_per_unit_usage_rounding_half_up_and_half_even(
    api: TestClient, shop: Shop, make_tenant: Any
) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    calls = shop.product(
        "api-calls",
        "usage",
        unit_price="0.0025",
        charge={"metric": "calls", "model": "per_unit", "unit_price": "0.0025"},
    )
    shop.contract(
        shop.customer(), "C-1", "2026-01-01", [{"product_id": calls}], billing_alignment="calendar"
    )
    events = [
        {
            "transaction_id": f"call-{n}",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": f"2026-01-{1 + n % 14:02d}T08:00:00Z",
        }
        for n in range(1234)
    ]
    for start in range(0, 1234, 500):
        batch = {"events": events[start : start + 500]}
        assert ok(shop.api.post("/v1/events/batch", json=batch))["accepted"] == len(batch["events"])
    shop.today("2026-02-02")
    # 1,234 × 0.0025 = 3.085 → 3.09 HALF_UP (the default), 3.08 HALF_EVEN
    dry = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-02-01", "dry_run": True}), 201)
    assert [i["net_total"] for i in dry["invoices"]] == ["3.09"]
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    [invoice] = shop.run("2026-02-01")
    assert nets(invoice) == ["3.08"]
    # VAT 3.08 × 20 % = 0.616 → 0.62 HALF_UP whatever the line rounding
    assert totals(invoice) == ("3.08", "0.62", "3.70")


def test_usage_belongs_to_the_local_day(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    calls = shop.product(
        "api-calls",
        "usage",
        unit_price="1.00",
        charge={"metric": "calls", "model": "per_unit", "unit_price": "1.00"},
    )
    shop.contract(
        shop.customer(), "C-1", "2026-01-01", [{"product_id": calls}], billing_alignment="calendar"
    )
    shop.today("2026-02-02")
    events = [
        # 22:30 UTC on 31 Jan is 23:30 in Paris: January
        {
            "transaction_id": "a",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": "2026-01-31T22:30:00Z",
        },
        # 23:30 UTC on 31 Jan is 00:30 on 1 Feb in Paris (UTC+1): February
        {
            "transaction_id": "b",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": "2026-01-31T23:30:00Z",
        },
    ]
    assert ok(shop.api.post("/v1/events/batch", json={"events": events}))["accepted"] == 2
    [january] = shop.run("2026-02-01")
    assert (january["lines"][0]["quantity"], nets(january)) == ("1", ["1.00"])


def test_credit_note_by_lines_cancels_to_the_cent(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    [invoice] = shop.run("2026-01-15", finalize=True)
    assert totals(invoice) == ("218.81", "43.76", "262.57")
    quarter = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": invoice["id"],
                "reason": "outage",
                "lines": [{"position": 1, "quantity": "0.25"}],
            },
        ),
        201,
    )
    # 218.81 × 0.25 = 54.7025 → 54.70; VAT 10.94
    assert (quarter["net_total"], quarter["vat_total"]) == ("-54.70", "-10.94")
    rest = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "closing", "lines": [{"position": 1}]},
        ),
        201,
    )
    # what is left of the line: 218.81 − 54.70 = 164.11, VAT 32.822 → 32.82;
    # 10.94 + 32.82 = 43.76: the invoice's VAT exactly
    assert (rest["net_total"], rest["vat_total"], rest["gross_total"]) == (
        "-164.11",
        "-32.82",
        "-196.93",
    )
    after = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_due"]) == ("credited", "0.00")


def test_yen_has_no_minor_unit(shop: Shop) -> None:
    yen = ok(
        shop.api.post(
            "/v1/pricelists",
            json={
                "name": "Japan",
                "currency": "JPY",
                "valid_from": "2026-01-01",
                "is_default": True,
            },
        ),
        201,
    )["id"]
    product = ok(
        shop.api.post(
            "/v1/products", json={"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        ),
        201,
    )["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{yen}/entries",
            json={
                "product_id": product,
                "unit_price": "10000",
                "periodicity": "monthly",
                "timing": "in_advance",
            },
        ),
        201,
    )
    customer = shop.customer("Nihon KK", currency="JPY")
    shop.contract(
        customer, "C-JP", "2026-01-15", [{"product_id": product}], billing_alignment="calendar"
    )
    [january] = shop.run("2026-01-15")
    # 10000 × 17/31 = 5483.87… → 5484 (JPY has no decimals); VAT 20 % 1096.8 → 1097
    assert january["currency"] == "JPY"
    assert totals(january) == ("5484", "1097", "6581")


def test_price_change_in_arrears_bills_each_version_for_its_days(shop: Shop) -> None:
    product = shop.product(
        "support", unit_price="310.00", periodicity="monthly", timing="in_arrears"
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": product}],
        billing_alignment="calendar",
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-03-11",
                "reason": "more seats",
                "schedule": True,
                "changes": [
                    {"type": "change_price", "line_key": "support", "unit_price": "620.00"}
                ],
            },
        ),
        201,
    )
    [march] = shop.run("2026-04-01")
    # [1 Mar, 11 Mar) at 310: 310 × 10/31 = 100.00; [11 Mar, 1 Apr) at 620: 620 × 21/31 = 420.00
    assert nets(march) == ["100.00", "420.00"]
    assert totals(march) == ("520.00", "104.00", "624.00")


def test_amendment_known_late_corrects_two_billed_months(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    shop.run("2026-04-01")
    shop.today("2026-04-02")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-03-15",
                "reason": "upgrade signed late",
                "schedule": True,
                "changes": [
                    {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"}
                ],
            },
        ),
        201,
    )
    invoices = shop.run("2026-04-02")
    # March: credit −310 × 17/31 = −170.00, charge 620 × 17/31 = 340.00, due 15 Mar: a new
    # draft, net 170.00; April (30 days, whole): credit −310.00, charge 620.00, due 1 Apr: added
    # to the draft of 1 Apr still open (310.00 − 310.00 + 620.00 = 620.00)
    by_day = {i["billing_date"]: i for i in invoices}
    assert sorted(nets(by_day["2026-03-15"])) == ["-170.00", "340.00"]
    assert nets(by_day["2026-04-01"]) == ["310.00", "-310.00", "620.00"]
    assert [by_day[d]["net_total"] for d in ("2026-03-15", "2026-04-01")] == ["170.00", "620.00"]


def test_minimum_commitment_tops_up_the_month(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "100.00",
                "minimum_commitment": {"amount": "150.00", "periodicity": "monthly"},
            }
        ],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["100.00"]
    [april] = shop.run("2026-04-01")
    # March billed 100.00 against a 150.00 minimum: top-up 150 − 100 = 50.00, due 1 Apr,
    # with April's 100.00
    assert sorted(nets(april)) == ["100.00", "50.00"]
    assert totals(april) == ("150.00", "30.00", "180.00")


def test_early_termination_fee_on_the_remaining_months(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        initial_term_months=12,
        early_termination_fee={"kind": "remaining"},
    )
    for day in ("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"):
        shop.run(day)
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-06-01", "reason": "closing"},
        ),
        201,
    )
    [june] = shop.run("2026-06-01")
    # committed to 31 Dec 2026, ends 1 Jun: June … December = 7 × 399.00 = 2,793.00
    assert nets(june) == ["2793.00"]
    assert june["lines"][0]["kind"] == "fee"


def test_discount_until_a_day_inclusive(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [
            {
                "product_id": hosting(shop),
                "discounts": [{"kind": "percentage", "value": "10", "until": "2026-02-28"}],
            }
        ],
        billing_alignment="calendar",
    )
    # 10 % through 28 Feb (last day covered): 399 × 0.9 = 359.10 in January and February,
    # then 399.00
    figures = [nets(shop.run(day)[0]) for day in ("2026-01-01", "2026-02-01", "2026-03-01")]
    assert figures == [["359.10"], ["359.10"], ["399.00"]]


def test_percentage_charge_with_fee_bounds(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics",
            json={"code": "sales", "name": "Sales", "aggregation": "sum", "field": "amount"},
        ),
        201,
    )
    charge = {
        "metric": "sales",
        "model": "percentage",
        "rate": "1.5",
        "fixed_fee": "0.10",
        "min_fee": "0.50",
        "max_fee": "5.00",
    }
    payments = shop.product("payments", "usage", unit_price="0", charge=charge)
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": payments}],
        billing_alignment="calendar",
    )
    events = [
        {
            "transaction_id": f"t{n}",
            "contract": "C-1",
            "metric": "sales",
            "timestamp": "2026-01-10T12:00:00Z",
            "properties": {"amount": amount},
        }
        for n, amount in enumerate(("10.00", "20.00", "100.00", "500.00"))
    ]
    assert ok(shop.api.post("/v1/events/batch", json={"events": events}))["accepted"] == 4
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # fees 1.5 % × amount + 0.10 within [0.50, 5.00]: 10 → 0.25 → 0.50; 20 → 0.40 → 0.50;
    # 100 → 1.60; 500 → 7.60 → 5.00; total 0.50 + 0.50 + 1.60 + 5.00 = 7.60
    assert january["net_total"] == "7.60"


def test_package_charge(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "sms", "name": "SMS", "aggregation": "sum", "field": "n"}
        ),
        201,
    )
    charge = {
        "metric": "sms",
        "model": "package",
        "package_size": "500",
        "package_price": "20.00",
        "free_units": "100",
    }
    sms = shop.product("sms", "usage", unit_price="0", charge=charge)
    shop.contract(
        shop.customer(), "C-1", "2026-01-01", [{"product_id": sms}], billing_alignment="calendar"
    )
    events = [
        {
            "transaction_id": "s",
            "contract": "C-1",
            "metric": "sms",
            "timestamp": "2026-01-10T12:00:00Z",
            "properties": {"n": "1050"},
        }
    ]
    assert ok(shop.api.post("/v1/events/batch", json={"events": events}))["accepted"] == 1
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # 1,050 units − 100 free = 950 → ceil(950 / 500) = 2 packages × 20.00 = 40.00
    assert january["net_total"] == "40.00"


def test_numbering_restarts_with_the_year_of_issue(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-12-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    shop.today("2026-12-01")
    [december] = shop.run("2026-12-01", finalize=True)
    shop.today("2027-01-01")
    [january] = shop.run("2027-01-01", finalize=True)
    assert (december["number"], january["number"]) == ("F-2026-000001", "F-2027-000001")


def test_a_pricelist_in_another_currency_is_refused(shop: Shop) -> None:
    usd = ok(shop.api.post("/v1/pricelists", json={"name": "US", "currency": "USD"}), 201)["id"]
    customer = shop.customer()  # EUR
    response = shop.api.post(
        "/v1/contracts",
        json={
            "customer_id": customer,
            "reference": "C-USD",
            "start_date": "2026-02-01",
            "pricelist_id": usd,
            "lines": [{"product_id": hosting(shop)}],
        },
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "pricelist_id" in response.text


def test_credit_by_amount_over_two_vat_rates(shop: Shop) -> None:
    books = ok(
        shop.api.post(
            "/v1/products",
            json={
                "code": "ebooks",
                "name_en": "E-books",
                "kind": "recurring",
                "vat_category": "reduced",
            },
        ),
        201,
    )["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{shop.pricelist_id}/entries",
            json={
                "product_id": books,
                "unit_price": "100.00",
                "periodicity": "monthly",
                "timing": "in_advance",
            },
        ),
        201,
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [{"product_id": hosting(shop, "300.00")}, {"product_id": books}],
    )
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    # 300.00 at 20 % → VAT 60.00, gross 360.00; 100.00 at 5.5 % → VAT 5.50, gross 105.50
    assert totals(invoice) == ("400.00", "65.50", "465.50")
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "goodwill", "amount": "100.00"},
        ),
        201,
    )
    # shares by gross: 100 × 360 / 465.50 = 77.336… → 77.34 at 20 %, 100 − 77.34 = 22.66 at 5.5 %;
    # nets 77.34 / 1.2 = 64.45 (VAT 12.89) and 22.66 / 1.055 = 21.478… → 21.48 (VAT 1.1814 → 1.18)
    assert sorted(nets(note)) == ["-21.48", "-64.45"]
    assert (note["net_total"], note["vat_total"], note["gross_total"]) == (
        "-85.93",
        "-14.07",
        "-100.00",
    )


def test_periodicity_change_monthly_to_quarterly(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-03-15",
                "reason": "quarterly billing",
                "schedule": True,
                "changes": [
                    {
                        "type": "change_periodicity",
                        "line_key": "hosting",
                        "periodicity": "quarterly",
                    },
                    {"type": "change_price", "line_key": "hosting", "unit_price": "900.00"},
                ],
            },
        ),
        201,
    )
    [change] = shop.run("2026-03-15")
    # credit −310 × 17/31 = −170.00; Q1 has 90 days, 17 left: 900 × 17/90 = 170.00
    assert sorted(nets(change)) == ["-170.00", "170.00"]
    [q2] = shop.run("2026-04-01")
    assert nets(q2) == ["900.00"]
    assert q2["lines"][0]["period_last_day"] == "2026-06-30"


def test_suspension_in_arrears_bills_the_days_around_it(shop: Shop) -> None:
    product = shop.product(
        "support", unit_price="310.00", periodicity="monthly", timing="in_arrears"
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": product}],
        billing_alignment="calendar",
    )
    url = f"/v1/contracts/{contract}/transitions"
    shop.today("2026-03-11")
    ok(shop.api.post(url, json={"action": "suspend", "date": "2026-03-11", "reason": "audit"}), 201)
    shop.today("2026-03-21")
    ok(shop.api.post(url, json={"action": "resume", "date": "2026-03-21", "reason": "done"}), 201)
    [march] = shop.run("2026-04-01")
    # [1 Mar, 11 Mar) = 310 × 10/31 = 100.00 and [21 Mar, 1 Apr) = 310 × 11/31 = 110.00
    assert sorted(nets(march)) == ["100.00", "110.00"]
    assert totals(march) == ("210.00", "42.00", "252.00")


def test_paid_invoice_credited_goes_to_the_balance_and_the_next_invoice(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(
        customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}], billing_alignment="calendar"
    )
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    ok(shop.api.post(f"/v1/invoices/{february['id']}/payments", json={"amount": "478.80"}), 201)
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": february["id"], "reason": "outage", "amount": "120.00"},
        ),
        201,
    )
    # nothing due on a paid invoice: the whole 120.00 goes to the customer's balance
    assert note["gross_total"] == "-120.00"
    balance = ok(shop.api.get(f"/v1/customers/{customer}/balance"))
    assert balance["balances"] == [{"currency": "EUR", "available": "120.00"}]
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # March 478.80 − 120.00 from the balance = 358.80 due
    assert (march["gross_total"], march["amount_paid"], march["amount_due"]) == (
        "478.80",
        "120.00",
        "358.80",
    )


def test_half_even_on_a_recurring_tie(shop: Shop) -> None:
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    product = hosting(shop, "0.125")
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": product, "quantity": "9"}])
    [invoice] = shop.run("2026-02-01")
    # 9 × 0.125 = 1.125, an exact tie: HALF_EVEN → 1.12 (HALF_UP would give 1.13);
    # VAT 1.12 × 20 % = 0.224 → 0.22
    assert totals(invoice) == ("1.12", "0.22", "1.34")


def test_leap_year_annual_calendar(shop: Shop) -> None:
    licence = shop.product(
        "licence", unit_price="3660.00", periodicity="annual", timing="in_advance"
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2028-03-01",
        [{"product_id": licence}],
        billing_alignment="calendar",
    )
    [first] = shop.run("2028-03-01")
    # 2028 has 366 days; [1 Mar 2028, 1 Jan 2029) uses 306: 3660 × 306/366 = 3060.00
    assert nets(first) == ["3060.00"]
    assert first["lines"][0]["period_last_day"] == "2028-12-31"


def test_biennial_calendar(shop: Shop) -> None:
    product = shop.product(
        "support", unit_price="2400.00", periodicity="biennial", timing="in_advance"
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2027-07-01",
        [{"product_id": product}],
        billing_alignment="calendar",
    )
    [first] = shop.run("2027-07-01")
    # [1 Jan 2027, 1 Jan 2029) has 365 + 366 = 731 days; from 1 Jul 2027: 184 + 366 = 550 used:
    # 2400 × 550/731 = 1805.745… → 1805.75
    assert nets(first) == ["1805.75"]


def test_weekly_calendar_starts_on_monday(shop: Shop) -> None:
    product = shop.product("desk", unit_price="70.00", periodicity="weekly", timing="in_advance")
    # Wednesday 14 Jan 2026; the calendar week runs from Monday 12 Jan
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-14",
        [{"product_id": product}],
        billing_alignment="calendar",
    )
    [first] = shop.run("2026-01-15")
    # [14 Jan, 19 Jan) = 5 of 7 days: 70 × 5/7 = 50.00
    assert nets(first) == ["50.00"]
    assert first["lines"][0]["period_last_day"] == "2026-01-18"
    [second] = shop.run("2026-01-19")
    assert nets(second) == ["70.00"]


def test_quantity_change_mid_period(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "31.00", "quantity": "3"}],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["93.00"]  # 3 × 31.00
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-03-11",
                "reason": "two more seats",
                "schedule": True,
                "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "5"}],
            },
        ),
        201,
    )
    [change] = shop.run("2026-03-11")
    # [11 Mar, 1 Apr) = 21 of 31 days: credit −93 × 21/31 = −63.00, charge 155 × 21/31 = 105.00
    assert sorted(nets(change)) == ["-63.00", "105.00"]
    assert totals(change) == ("42.00", "8.40", "50.40")


def test_credits_as_a_credit_note_correcting_the_finalized_invoice(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    [january] = shop.run("2026-01-15", finalize=True)
    assert (january["number"], totals(january)) == ("F-2026-000001", ("218.81", "43.76", "262.57"))
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-01-20",
                "reason": "three servers",
                "schedule": True,
                "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
            },
        ),
        201,
    )
    shop.today("2026-01-20")
    made = shop.run("2026-01-20")
    notes = [i for i in made if i["kind"] == "credit_note"]
    invoices = [i for i in made if i["kind"] == "invoice"]
    # [20 Jan, 1 Feb) = 12 of 31 days: credit −399 × 12/31 = −154.45, VAT −30.89, −185.34,
    # correcting January; the new charge alone 3 × 399 × 12/31 = 463.35, VAT 92.67, 556.02
    assert [(n["corrects_invoice_id"], totals(n)) for n in notes] == [
        (january["id"], ("-154.45", "-30.89", "-185.34"))
    ]
    assert [totals(i) for i in invoices] == [("463.35", "92.67", "556.02")]
    issued = ok(shop.api.post(f"/v1/invoices/{notes[0]['id']}/finalize"))
    assert issued["number"] == "AV-2026-000001"
    # 262.57 − 185.34 = 77.23 left due on January
    assert ok(shop.api.get(f"/v1/invoices/{january['id']}"))["amount_due"] == "77.23"


def test_a_usage_event_is_counted_once(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    calls = shop.product(
        "api-calls",
        "usage",
        unit_price="2.00",
        charge={"metric": "calls", "model": "per_unit", "unit_price": "2.00"},
    )
    shop.contract(
        shop.customer(), "C-1", "2026-01-01", [{"product_id": calls}], billing_alignment="calendar"
    )
    event = {
        "transaction_id": "same",
        "contract": "C-1",
        "metric": "calls",
        "timestamp": "2026-01-05T10:00:00Z",
    }
    ok(shop.api.post("/v1/events/batch", json={"events": [event]}))
    ok(shop.api.post("/v1/events/batch", json={"events": [event]}))  # a retry
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # the same transaction id is one event: 1 × 2.00
    assert (january["lines"][0]["quantity"], january["net_total"]) == ("1", "2.00")


def test_amounts_finer_than_the_currency_are_refused(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    note = shop.api.post(
        "/v1/credit-notes",
        json={"invoice_id": invoice["id"], "reason": "x", "amount": "10.005"},
    )
    assert note.status_code == 422, note.text
    assert "amount" in note.text
    payment = shop.api.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": "1.001"})
    assert payment.status_code == 422, payment.text
    assert "amount" in payment.text
    # nothing was recorded: 478.80 still due
    assert ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))["amount_due"] == "478.80"


def test_the_same_run_from_the_command_line(
    shop: Shop, tenant: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tarif.cli.main import app
    from tests.conftest import START

    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def tarif(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--org", tenant.id])
        assert result.exit_code == 0, result.output
        return result

    import json

    made = json.loads(tarif("bill", "run", "--as-of", "2026-01-15", "--json").stdout)
    # 399 × 17/31 = 218.81 + VAT 43.76 = 262.57
    assert [i["gross_total"] for i in made["invoices"]] == ["262.57"]
    [invoice] = made["invoices"]
    assert "F-2026-000001" in tarif("invoices", "finalize", invoice["id"]).stdout
    # the API reads what the command line did
    read = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert (read["number"], totals(read)) == ("F-2026-000001", ("218.81", "43.76", "262.57"))


def test_upgrade_inside_a_discounted_period_keeps_the_discount(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [
            {
                "product_id": hosting(shop),
                "discounts": [{"kind": "percentage", "value": "20", "periods": 2}],
            }
        ],
        billing_alignment="calendar",
    )
    shop.run("2026-01-15")
    shop.run("2026-02-01")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-02-10",
                "reason": "three servers",
                "schedule": True,
                "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
            },
        ),
        201,
    )
    [change] = shop.run("2026-02-10")
    # February is the 2nd (last) discounted period; [10 Feb, 1 Mar) = 19 of 28 days:
    # credit −399 × 19/28 × 0.8 = −216.60, charge 3 × 399 × 19/28 × 0.8 = 649.80
    assert sorted(nets(change)) == ["-216.60", "649.80"]
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["1197.00"]  # 3 × 399.00, no discount any more


def test_usage_up_to_a_termination(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    calls = shop.product(
        "api-calls",
        "usage",
        unit_price="1.00",
        charge={"metric": "calls", "model": "per_unit", "unit_price": "1.00"},
    )
    contract = shop.contract(
        shop.customer(), "C-1", "2026-03-01", [{"product_id": calls}], billing_alignment="calendar"
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-03-21", "reason": "closing"},
        ),
        201,
    )
    shop.today("2026-03-25")
    events = [
        {
            "transaction_id": f"c{day}",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": f"2026-03-{day:02d}T10:00:00Z",
        }
        for day in (2, 10, 20, 22)
    ]
    ok(shop.api.post("/v1/events/batch", json={"events": events}))
    [march] = shop.run("2026-03-21")
    # usage in arrears is due on the line's end: [1 Mar, 21 Mar) holds the calls of 2, 10 and
    # 20 Mar: 3 × 1.00 = 3.00 (the call of 22 Mar is after the end)
    assert (march["billing_date"], march["net_total"]) == ("2026-03-21", "3.00")
    assert shop.run("2026-04-01") == []


def test_usage_minimum_spend_top_up(shop: Shop) -> None:
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
    shop.contract(
        shop.customer(), "C-1", "2026-01-01", [{"product_id": calls}], billing_alignment="calendar"
    )
    events = [
        {
            "transaction_id": f"c{n}",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": "2026-01-05T10:00:00Z",
        }
        for n in range(10)
    ]
    ok(shop.api.post("/v1/events/batch", json={"events": events}))
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # 10 × 1.00 = 10.00, topped up to the 50.00 minimum by a separate line of 40.00
    assert nets(january) == ["10.00", "40.00"]
    assert "minimum" in january["lines"][1]["description"]
    assert totals(january) == ("50.00", "10.00", "60.00")


def test_early_termination_fee_mid_month(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        initial_term_months=12,
        early_termination_fee={"kind": "remaining"},
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-06-15", "reason": "closing"},
        ),
        201,
    )
    for day in ("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"):
        shop.run(day)
    [june] = shop.run("2026-06-01")
    # June is billed in advance (the termination's version is not known yet on 1 Jun): 399.00
    assert nets(june) == ["399.00"]
    [end] = shop.run("2026-06-15")
    # ends 15 Jun: credit −399 × 16/30 = −212.80 for [15 Jun, 1 Jul);
    # fee: 399 × 16/30 = 212.80 + 6 × 399.00 (July…December) = 2,606.80
    assert sorted(nets(end)) == ["-212.80", "2606.80"]


def test_void_after_a_partial_credit(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "goodwill", "amount": "100.00"},
        ),
        201,
    )
    ok(shop.api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "cancelled"}), 201)
    notes = ok(shop.api.get("/v1/credit-notes"))["data"]
    void = next(n for n in notes if n["number"] == "AV-2026-000002")
    # what is left: 478.80 − 100.00 = 378.80 → net 378.80 / 1.2 = 315.666… → 315.67,
    # VAT 63.13
    assert (void["net_total"], void["vat_total"], void["gross_total"]) == (
        "-315.67",
        "-63.13",
        "-378.80",
    )
    after = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_due"]) == ("voided", "0.00")


def test_tax_treatments_by_customer(shop: Shop) -> None:
    product = hosting(shop)
    cases = {
        "greek": ("GR", "company", "EL094259216", "reverse_charge"),
        "german-no-vat": ("DE", "company", None, "standard"),
        "german-consumer": ("DE", "person", None, "standard"),
        "american": ("US", "company", None, "export"),
    }
    ids = {}
    for name, (country, kind, vat, treatment) in cases.items():
        ids[name] = shop.customer(name, country=country, kind=kind, vat_number=vat)
        read = ok(shop.api.get(f"/v1/customers/{ids[name]}"))
        assert read["tax_treatment"] == treatment, name
        shop.contract(ids[name], f"C-{name}", "2026-02-01", [{"product_id": product}])
    shop.today("2026-02-01")
    by_customer = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    vat_totals = {name: by_customer[cid]["vat_total"] for name, cid in ids.items()}
    # EU business with a VAT number and export: 0 %; an EU business without a VAT number and
    # an EU consumer pay French VAT: 399.00 × 20 % = 79.80
    assert vat_totals == {
        "greek": "0.00",
        "german-no-vat": "79.80",
        "german-consumer": "79.80",
        "american": "0.00",
    }
    xml = shop.api.get(
        f"/v1/invoices/{by_customer[ids['american']]['id']}/pdf", params={"format": "xml"}
    )
    assert xml.status_code == 200, xml.text
    assert "259" in xml.text  # "article 259-1 du CGI"


def test_payment_terms_end_of_month(shop: Shop) -> None:
    customer = shop.customer(payment_terms_days=30, payment_terms_end_of_month=True)
    shop.contract(
        customer, "C-1", "2026-01-15", [{"product_id": hosting(shop)}], billing_alignment="calendar"
    )
    [invoice] = shop.run("2026-01-15", finalize=True)
    # issued 15 Jan + 30 days = 14 Feb, then the end of that month: 28 Feb 2026
    assert (invoice["issue_date"], invoice["due_date"]) == ("2026-01-15", "2026-02-28")


def test_graduated_tier_flat_fees(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics",
            json={"code": "units", "name": "Units", "aggregation": "sum", "field": "qty"},
        ),
        201,
    )
    tiers = [
        {"up_to": "100", "unit_price": "1.00", "flat_fee": "10.00"},
        {"up_to": "500", "unit_price": "0.80", "flat_fee": "20.00"},
        {"up_to": None, "unit_price": "0.50", "flat_fee": "30.00"},
    ]
    product = shop.product(
        "storage",
        "usage",
        unit_price="0",
        charge={"metric": "units", "model": "graduated", "tiers": tiers},
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": product}],
        billing_alignment="calendar",
    )
    events = [
        {
            "transaction_id": "u",
            "contract": "C-1",
            "metric": "units",
            "timestamp": "2026-01-05T10:00:00Z",
            "properties": {"qty": "300"},
        }
    ]
    ok(shop.api.post("/v1/events/batch", json={"events": events}))
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # 300 units reach tiers 1 and 2 only: 100 × 1.00 + 10.00 + 200 × 0.80 + 20.00
    # = 100.00 + 10.00 + 160.00 + 20.00 = 290.00 (tier 3 not reached: no fee)
    assert sorted(nets(january)) == ["10.00", "100.00", "160.00", "20.00"]
    assert january["net_total"] == "290.00"


def test_a_retried_credit_note_is_issued_once(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    body = {"invoice_id": invoice["id"], "reason": "goodwill", "amount": "100.00"}
    key = {"Idempotency-Key": "cn-2026-02-goodwill"}
    first = ok(shop.api.post("/v1/credit-notes", json=body, headers=key), 201)
    again = ok(shop.api.post("/v1/credit-notes", json=body, headers=key), 201)
    assert (again["id"], again["number"]) == (first["id"], "AV-2026-000001")
    # 478.80 − 100.00 once = 378.80 due
    assert ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))["amount_due"] == "378.80"


def test_dry_run_and_upcoming_invoice_write_nothing(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(
        customer, "C-1", "2026-01-15", [{"product_id": hosting(shop)}], billing_alignment="calendar"
    )
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    dry = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-01-15", "dry_run": True}), 201)
    # both show 218.81 + 43.76 = 262.57 for [15 Jan, 1 Feb), with no id
    assert (upcoming["id"], upcoming["gross_total"]) == (None, "262.57")
    assert [(i["id"], i["gross_total"]) for i in dry["invoices"]] == [(None, "262.57")]
    assert ok(shop.api.get("/v1/invoices"))["data"] == []
    [real] = shop.run("2026-01-15", finalize=True)
    # the dry run drew no number
    assert (real["number"], real["gross_total"]) == ("F-2026-000001", "262.57")


def test_a_run_before_the_latest_run_is_refused(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.run("2026-03-01")
    late = shop.api.post("/v1/billing-runs", json={"as_of": "2026-02-15"})
    assert late.status_code == 409, late.text
    assert late.headers["content-type"].startswith("application/problem+json")


def test_kuwaiti_dinar_has_three_decimals(shop: Shop) -> None:
    kwd = ok(
        shop.api.post(
            "/v1/pricelists",
            json={
                "name": "Kuwait",
                "currency": "KWD",
                "valid_from": "2026-01-01",
                "is_default": True,
            },
        ),
        201,
    )["id"]
    product = ok(
        shop.api.post(
            "/v1/products", json={"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        ),
        201,
    )["id"]
    entry = {
        "product_id": product,
        "unit_price": "10.000",
        "periodicity": "monthly",
        "timing": "in_advance",
    }
    ok(shop.api.post(f"/v1/pricelists/{kwd}/entries", json=entry), 201)
    customer = shop.customer("Kuwait Co", currency="KWD", country="KW")
    shop.contract(
        customer, "C-KW", "2026-01-15", [{"product_id": product}], billing_alignment="calendar"
    )
    [january] = shop.run("2026-01-15")
    # 10 × 17/31 = 5.48387… → 5.484; export outside the EU: no French VAT
    assert totals(january) == ("5.484", "0.000", "5.484")


def test_add_and_remove_lines_mid_period(shop: Shop) -> None:
    support = shop.product(
        "support", unit_price="62.00", periodicity="monthly", timing="in_advance"
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-03-15",
                "reason": "swap hosting for support",
                "schedule": True,
                "changes": [
                    {"type": "remove_line", "line_key": "hosting"},
                    {"type": "add_line", "line": {"product_id": support}},
                ],
            },
        ),
        201,
    )
    [change] = shop.run("2026-03-15")
    # [15 Mar, 1 Apr) = 17 of 31 days: hosting credited −310 × 17/31 = −170.00;
    # support charged 62 × 17/31 = 34.00
    assert sorted(nets(change)) == ["-170.00", "34.00"]
    [april] = shop.run("2026-04-01")
    assert nets(april) == ["62.00"]


def test_a_payment_above_the_amount_due_is_refused_in_the_currency(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "goodwill", "amount": "100.00"},
        ),
        201,
    )
    refused = shop.api.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": "378.81"})
    assert refused.status_code == 422, refused.text
    # 478.80 − 100.00 = 378.80 due, said with the currency's two decimals
    [error] = refused.json()["errors"]
    assert (error["field"], error["detail"]) == ("amount", "more than the 378.80 still due")
    paid = ok(
        shop.api.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": "378.80"}), 201
    )
    assert paid["invoice_status"] == "paid"


def test_a_late_first_run_catches_up_period_by_period(shop: Shop) -> None:
    setup = shop.product("setup", "one_off", unit_price="500.00")
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop)}, {"product_id": setup}],
        billing_alignment="calendar",
    )
    made = [(i["billing_date"], nets(i)) for i in shop.run("2026-04-01")]
    # one invoice per due day: January with the one-off setup (500.00, billed once), then
    # February, March and April at 399.00
    assert made == [
        ("2026-01-01", ["399.00", "500.00"]),
        ("2026-02-01", ["399.00"]),
        ("2026-03-01", ["399.00"]),
        ("2026-04-01", ["399.00"]),
    ]
    assert shop.run("2026-05-01")[0]["net_total"] == "399.00"  # the setup never again


def test_grouping_per_customer_or_per_contract(shop: Shop) -> None:
    customer, product = shop.customer(), hosting(shop)
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": product}])
    shop.contract(customer, "C-2", "2026-02-01", [{"product_id": product, "quantity": "2.5"}])
    shop.contract(
        customer, "C-3", "2026-02-01", [{"product_id": product}], invoice_grouping="contract"
    )
    made = sorted((i["contract_id"] is not None, totals(i)) for i in shop.run("2026-02-01"))
    # C-1 and C-2 on one invoice: 399.00 + 2.5 × 399.00 = 997.50 → 1,396.50, VAT 279.30;
    # C-3 groups its own invoices: 399.00, VAT 79.80
    assert made == [
        (False, ("1396.50", "279.30", "1675.80")),
        (True, ("399.00", "79.80", "478.80")),
    ]


def test_crediting_one_seat_of_three(shop: Shop) -> None:
    shop.contract(
        shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop), "quantity": "3"}]
    )
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    assert totals(invoice) == ("1197.00", "239.40", "1436.40")  # 3 × 399.00
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": invoice["id"],
                "reason": "one seat less",
                "lines": [{"position": 1, "quantity": "1"}],
            },
        ),
        201,
    )
    # 1 of 3 seats: 1197.00 × 1/3 = 399.00, VAT 79.80
    assert totals(note) == ("-399.00", "-79.80", "-478.80")
    assert ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))["amount_due"] == "957.60"


def test_anniversary_usage_with_prepaid_units(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "1.00", "prepaid_units": "3"}
    calls = shop.product("api-calls", "usage", unit_price="1.00", charge=charge)
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": calls}],
        billing_alignment="anniversary",
    )
    shop.today("2026-03-20")
    days = ("01-14", "01-15", "02-01", "02-14", "02-15", "02-16", "03-01")
    events = [
        {
            "transaction_id": f"c{d}",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": f"2026-{d}T10:00:00Z",
        }
        for d in days
    ]
    ok(shop.api.post("/v1/events/batch", json={"events": events}))
    [first] = shop.run("2026-02-15")
    # [15 Jan, 15 Feb): 15 Jan, 1 Feb, 14 Feb = 3 calls (14 Jan is before the start), all
    # taken from the 3 prepaid: 0 billed
    assert first["net_total"] == "0.00"
    assert first["lines"][0]["period_last_day"] == "2026-02-14"
    [second] = shop.run("2026-03-15")
    # [15 Feb, 15 Mar): 15 Feb, 16 Feb, 1 Mar = 3 calls, the prepaid block is used up: 3.00
    assert (second["lines"][0]["quantity"], second["net_total"]) == ("3", "3.00")


def test_explain_keeps_each_lines_origin_in_the_currency(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics",
            json={"code": "units", "name": "Units", "aggregation": "sum", "field": "qty"},
        ),
        201,
    )
    tiers = [{"up_to": "100", "unit_price": "1.00"}, {"up_to": None, "unit_price": "0.50"}]
    storage = shop.product("storage", "usage", unit_price="0")
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [
            {
                "product_id": storage,
                "charge": {"metric": "units", "model": "graduated", "tiers": tiers},
            },
            {"product_id": hosting(shop), "discounts": [{"kind": "percentage", "value": "10"}]},
        ],
        billing_alignment="calendar",
    )
    events = [
        {
            "transaction_id": f"u{n}",
            "contract": "C-1",
            "metric": "units",
            "timestamp": "2026-01-05T10:00:00Z",
            "properties": {"qty": "75"},
        }
        for n in range(2)
    ]
    ok(shop.api.post("/v1/events/batch", json={"events": events}))
    shop.today("2026-02-02")
    february = next(i for i in shop.run("2026-02-01") if i["billing_date"] == "2026-02-01")
    explained = ok(shop.api.get(f"/v1/invoices/{february['id']}/explain"))["lines"]
    by_key = {(x["line_key"], x["description"]): x for x in explained}
    hosting_line = by_key[("hosting", "hosting")]
    # February 399 × 0.9 = 359.10, 39.90 off: money reads with its two decimals, as on the
    # invoice; the exact figure stays in exact_net
    assert (hosting_line["net_amount"], hosting_line["discount_amount"]) == ("359.10", "39.90")
    assert (hosting_line["price_source"], hosting_line["period_end"]) == ("pricelist", "2026-02-28")
    # January's usage: 75 + 75 = 150 units in 2 events: 100 × 1.00 + 50 × 0.50 = 100.00 + 25.00
    tier_1 = next(x for x in explained if x["line_key"] == "storage" and x["quantity"] == "100")
    assert tier_1["net_amount"] == "100.00"
    assert (tier_1["usage"]["event_count"], tier_1["usage"]["units"]) == (2, "150")
    assert [t["amount"] for t in tier_1["usage"]["tiers"]] == ["100.00", "25.00"]


def test_a_drafted_credit_note_above_what_is_left_is_held_back(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    [january] = shop.run("2026-01-15", finalize=True)
    # 250.07 credited by hand (net 250.07 / 1.2 = 208.391… → 208.39, VAT 41.678 → 41.68,
    # gross 250.07 exactly): 262.57 − 250.07 = 12.50 left to credit
    ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": january["id"], "reason": "outage", "amount": "250.07"},
        ),
        201,
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-01-20",
                "reason": "three servers",
                "schedule": True,
                "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
            },
        ),
        201,
    )
    shop.today("2026-01-20")
    [note] = [i for i in shop.run("2026-01-20") if i["kind"] == "credit_note"]
    # −399 × 12/31 = −154.45, VAT −30.89: 185.34 to credit, more than the 12.50 left
    refused = shop.api.post(f"/v1/invoices/{note['id']}/finalize")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"].endswith(
        "the credit note credits 185.34 but invoice F-2026-000001 has only 12.50 left "
        "to credit: edit or delete the draft"
    )


def test_coupon_repeating_three_months(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "welcome20",
                "kind": "percentage",
                "value": "20",
                "duration": "repeating",
                "duration_months": 3,
            },
        ),
        201,
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    redemption = ok(
        shop.api.post(f"/v1/contracts/{contract}/coupons", json={"code": "WELCOME20"}), 201
    )
    # redeemed today, 15 Jan 2026: invoices billed before 15 Apr (15 Jan + 3 months)
    assert (redemption["redeemed_on"], redemption["ends_on"]) == ("2026-01-15", "2026-04-15")
    figures = []
    for day in ("2026-01-15", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"):
        [invoice] = shop.run(day)
        figures.append((nets(invoice), invoice["gross_total"]))
    # January 218.81, coupon −43.76 (218.81 × 0.20 = 43.762): net 175.05, VAT 35.01, 210.06;
    # February to April 399.00 − 79.80 = 319.20, VAT 63.84, 383.04; May (after 15 Apr) 478.80
    assert figures == [
        (["218.81", "-43.76"], "210.06"),
        (["399.00", "-79.80"], "383.04"),
        (["399.00", "-79.80"], "383.04"),
        (["399.00", "-79.80"], "383.04"),
        (["399.00"], "478.80"),
    ]


def test_fixed_invoice_discount_split_over_vat_rates(shop: Shop) -> None:
    books = ok(
        shop.api.post(
            "/v1/products",
            json={
                "code": "ebooks",
                "name_en": "E-books",
                "kind": "recurring",
                "vat_category": "reduced",
            },
        ),
        201,
    )["id"]
    entry = {
        "product_id": books,
        "unit_price": "100.00",
        "periodicity": "monthly",
        "timing": "in_advance",
    }
    ok(shop.api.post(f"/v1/pricelists/{shop.pricelist_id}/entries", json=entry), 201)
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [{"product_id": hosting(shop, "300.00")}, {"product_id": books}],
    )
    [draft] = shop.run("2026-02-01")
    discounted = ok(
        shop.api.post(
            f"/v1/invoices/{draft['id']}/discounts", json={"kind": "fixed", "value": "50.00"}
        ),
        201,
    )
    # 50.00 over 300.00 at 20 % and 100.00 at 5.5 %: 50 × 300/400 = 37.50, 50 × 100/400 = 12.50;
    # net 350.00; VAT (300 − 37.50) × 20 % = 52.50 and (100 − 12.50) × 5.5 % = 4.8125 → 4.81
    discount_lines = sorted(
        (x["vat_rate"], x["net_amount"]) for x in discounted["lines"] if x["source"] == "discount"
    )
    assert discount_lines == [("20", "-37.50"), ("5.5", "-12.50")]
    assert totals(discounted) == ("350.00", "57.31", "407.31")


def test_quarterly_in_advance_terminated_mid_quarter(shop: Shop) -> None:
    support = shop.product(
        "support", unit_price="1200.00", periodicity="quarterly", timing="in_advance"
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    [q1] = shop.run("2026-01-01")
    assert nets(q1) == ["1200.00"]
    shop.today("2026-02-01")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={
                "action": "terminate",
                "date": "2026-02-15",
                "with_credit": True,
                "reason": "closing",
            },
        ),
        201,
    )
    [credit] = shop.run("2026-02-15")
    # Q1 has 90 days; [15 Feb, 1 Apr) = 14 + 31 = 45 unused: −1200 × 45/90 = −600.00
    assert totals(credit) == ("-600.00", "-120.00", "-720.00")
    assert shop.run("2026-04-01") == []


@pytest.mark.parametrize(
    ("model", "january", "late_lines"),
    [
        # graduated: 90 × 1.00 = 90.00; with 20 late units 110: 100 × 1.00 + 10 × 0.80 = 108.00,
        # so the late lines add 108.00 − 90.00 = 18.00 (tier 1 +10.00, tier 2 +8.00)
        ("graduated", ["90.00"], ["10.00", "8.00"]),
        # volume: 90 × 1.00 = 90.00; 110 units all at 0.80 = 88.00: tier 1 is taken back,
        # −90 × 1.00 = −90.00, and tier 2 billed, 110 × 0.80 = 88.00 (net −2.00), each line
        # its quantity times its tier's price
        ("volume", ["90.00"], ["-90.00", "88.00"]),
    ],
)
def test_late_usage_is_rated_again_across_a_tier(
    shop: Shop, model: str, january: list[str], late_lines: list[str]
) -> None:
    ok(
        shop.api.post(
            "/v1/metrics",
            json={"code": "units", "name": "Units", "aggregation": "sum", "field": "qty"},
        ),
        201,
    )
    tiers = [{"up_to": "100", "unit_price": "1.00"}, {"up_to": None, "unit_price": "0.80"}]
    storage = shop.product(
        "storage",
        "usage",
        unit_price="0",
        charge={"metric": "units", "model": model, "tiers": tiers},
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": storage}],
        billing_alignment="calendar",
    )

    def send(name: str, qty: str) -> None:
        event = {
            "transaction_id": name,
            "contract": "C-1",
            "metric": "units",
            "timestamp": "2026-01-20T10:00:00Z",
            "properties": {"qty": qty},
        }
        ok(shop.api.post("/v1/events/batch", json={"events": [event]}))

    shop.today("2026-01-21")  # an event may not be dated in the future
    send("on-time", "90")
    shop.today("2026-02-02")
    [first] = shop.run("2026-02-01", finalize=True)
    assert nets(first) == january
    send("late", "20")  # January's, received in February
    shop.today("2026-03-02")
    [march] = shop.run("2026-03-01")
    late = sorted(x["net_amount"] for x in march["lines"] if x["adjustment"])
    assert late == sorted(late_lines)


def test_number_formats_are_configurable_per_series(shop: Shop) -> None:
    ok(
        shop.api.patch(
            "/v1/organization",
            json={
                "invoice_number_format": "INV{year}-{seq:04d}",
                "credit_note_number_format": "CN{year}-{seq:04d}",
            },
        )
    )
    shop.contract(shop.customer(), "C-1", "2026-01-15", [{"product_id": hosting(shop)}])
    [invoice] = shop.run("2026-01-15", finalize=True)
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "x", "amount": "12.00"},
        ),
        201,
    )
    # 12.00 at 20 %: net 10.00, VAT 2.00
    assert (invoice["number"], note["number"]) == ("INV2026-0001", "CN2026-0001")
    assert totals(note) == ("-10.00", "-2.00", "-12.00")


def test_an_end_before_an_invoiced_day_needs_the_credit_acknowledged(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.run("2026-01-01")  # January invoiced
    shop.today("2026-01-21")
    answer = shop.api.post(
        f"/v1/contracts/{contract}/transitions",
        json={"action": "terminate", "date": "2026-01-21", "reason": "moving out"},
    )
    # the contract credits on termination: ending inside invoiced January needs `with_credit`
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "date"
