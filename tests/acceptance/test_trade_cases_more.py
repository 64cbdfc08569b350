"""Still more worked cases from the trade, through the public REST API (and the command line).

What the other acceptance files leave out: weekly and every-N-days grids on anniversary and in
arrears, an anchor on the 31st changed inside February, downgrades that net negative (as an
invoice and as a credit note), one customer billed in two currencies with French VAT, ends on the
first and the last day of a period (periods are half-open), discounts starting inside a period,
a termination before a discount's start, an amendment on a period start, a customer moving from
France to another member state (and a credit after the move giving back French VAT), ties in
yen, dinars and euros under HALF_UP and HALF_EVEN, a graduated bound with flat fees, credit notes
of credit notes, and the exact payment of a partly credited invoice.

Every expected figure is computed by hand from the billing rules (the project's domain reference
and docs/billing-rules.md) in the comment beside it, before the product was run. The test clock
reads 15 Jan 2026; a case that needs a later "today" moves it forward. The seller is French
(VAT 20 % on standard products); amounts are JSON strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals
from tests.acceptance.test_trade_cases_documents import (
    amend,
    of_customer,
    periods,
    problem,
    product,
    transition,
)


def pricelist(shop: Shop, code: str) -> str:
    """The default pricelist of another currency."""
    body = {"name": code, "currency": code, "valid_from": "2026-01-01", "is_default": True}
    return str(ok(shop.api.post("/v1/pricelists", json=body), 201)["id"])


def price(shop: Shop, pricelist_id: str, product_id: str, unit_price: str) -> None:
    entry = {
        "product_id": product_id,
        "unit_price": unit_price,
        "periodicity": "monthly",
        "timing": "in_advance",
    }
    ok(shop.api.post(f"/v1/pricelists/{pricelist_id}/entries", json=entry), 201)


def finalize(shop: Shop, invoice: dict[str, Any]) -> dict[str, Any]:
    issued: dict[str, Any] = ok(shop.api.post(f"/v1/invoices/{invoice['id']}/finalize"))
    return issued


def read(shop: Shop, invoice: dict[str, Any]) -> dict[str, Any]:
    got: dict[str, Any] = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    return got


def due(invoice: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        invoice["status"],
        invoice["amount_paid"],
        invoice["amount_credited"],
        invoice["amount_due"],
    )


# --- weekly and every-N-days grids ----------------------------------------------------------------


def test_every_two_weeks_anniversary_with_a_quantity_change(shop: Shop) -> None:
    desk = product(shop, "desk", "140.00", "every_2_weeks")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": desk}],
        billing_alignment="anniversary",
    )
    # anniversary: every 14 days from Thursday 15 Jan, [15 Jan, 29 Jan), [29 Jan, 12 Feb), …
    made = [periods(i) for i in shop.run("2026-01-29")]
    assert made == [
        [("2026-01-15", "2026-01-28", "140.00")],
        [("2026-01-29", "2026-02-11", "140.00")],
    ]
    amend(
        shop,
        contract,
        "2026-02-05",
        {"type": "change_quantity", "line_key": "desk", "quantity": "2"},
    )
    [change] = shop.run("2026-02-05")
    # [5 Feb, 12 Feb) = 7 of the period's 14 days: credit −140 × 7/14 = −70.00,
    # charge 2 × 140 × 7/14 = 140.00; net 70.00, VAT 14.00, gross 84.00
    assert sorted(periods(change)) == [
        ("2026-02-05", "2026-02-11", "-70.00"),
        ("2026-02-05", "2026-02-11", "140.00"),
    ]
    assert totals(change) == ("70.00", "14.00", "84.00")
    [next_period] = shop.run("2026-02-12")
    assert periods(next_period) == [("2026-02-12", "2026-02-25", "280.00")]  # 2 × 140.00


def test_every_three_weeks_calendar_from_a_wednesday(shop: Shop) -> None:
    desk = product(shop, "desk", "210.00", "every_3_weeks")
    # calendar weeks start on Monday: Wednesday 14 Jan 2026 is in the week of Monday 12 Jan, so
    # the grid runs [12 Jan, 2 Feb), [2 Feb, 23 Feb), …
    shop.contract(
        shop.customer(), "C-1", "2026-01-14", [{"product_id": desk}], billing_alignment="calendar"
    )
    [first] = shop.run("2026-01-15")
    # [14 Jan, 2 Feb) = 19 of 21 days: 210 × 19/21 = 190.00, VAT 38.00
    assert periods(first) == [("2026-01-14", "2026-02-01", "190.00")]
    assert totals(first) == ("190.00", "38.00", "228.00")
    assert shop.run("2026-02-01") == []
    [second] = shop.run("2026-02-02")
    assert periods(second) == [("2026-02-02", "2026-02-22", "210.00")]


def test_every_thirty_days_in_arrears_across_february_to_an_end(shop: Shop) -> None:
    backup = product(shop, "backup", "300.00", "every_30_days", "in_arrears")
    contract = shop.contract(
        shop.customer(), "C-1", "2026-01-31", [{"product_id": backup}], billing_alignment="calendar"
    )
    # 31 Jan + 30 days = 2 Mar (February 2026 has 28 days): [31 Jan, 2 Mar) is due on 2 Mar
    assert shop.run("2026-03-01") == []
    [first] = shop.run("2026-03-02")
    assert periods(first) == [("2026-01-31", "2026-03-01", "300.00")]
    shop.today("2026-03-05")
    transition(shop, contract, "terminate", date="2026-03-12")
    assert shop.run("2026-03-11") == []
    [last] = shop.run("2026-03-12")
    # due on the end: [2 Mar, 12 Mar) = 10 of 30 days: 300 × 10/30 = 100.00, VAT 20.00
    assert periods(last) == [("2026-03-02", "2026-03-11", "100.00")]
    assert totals(last) == ("100.00", "20.00", "120.00")
    assert shop.run("2026-04-01") == []


# --- anniversaries on the 31st, downgrades that net negative --------------------------------------


def test_anniversary_on_the_31st_changed_inside_february_then_march(shop: Shop) -> None:
    plan = product(shop, "plan", "280.00")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-31",
        [{"product_id": plan}],
        billing_alignment="anniversary",
    )
    [first] = shop.run("2026-01-31")
    # anchor 31 Jan → 28 Feb → 31 Mar → 30 Apr: [31 Jan, 28 Feb) has 28 days, whole: 280.00
    assert periods(first) == [("2026-01-31", "2026-02-27", "280.00")]
    amend(
        shop,
        contract,
        "2026-02-14",
        {"type": "change_quantity", "line_key": "plan", "quantity": "3"},
    )
    [up] = shop.run("2026-02-14")
    # [14 Feb, 28 Feb) = 14 of 28 days: credit −280 × 14/28 = −140.00,
    # charge 3 × 280 × 14/28 = 420.00; net 280.00, VAT 56.00
    assert sorted(periods(up)) == [
        ("2026-02-14", "2026-02-27", "-140.00"),
        ("2026-02-14", "2026-02-27", "420.00"),
    ]
    assert totals(up) == ("280.00", "56.00", "336.00")
    [march] = shop.run("2026-02-28")
    # [28 Feb, 31 Mar) = 31 days, 3 × 280.00 = 840.00
    assert periods(march) == [("2026-02-28", "2026-03-30", "840.00")]
    amend(
        shop,
        contract,
        "2026-03-21",
        {"type": "change_quantity", "line_key": "plan", "quantity": "1"},
    )
    [down] = shop.run("2026-03-21")
    # [21 Mar, 31 Mar) = 10 of the period's 31 days: credit −840 × 10/31 = −270.967… → −270.97,
    # charge 280 × 10/31 = 90.322… → 90.32; net −180.65, VAT −36.13, gross −216.78
    assert sorted(periods(down)) == [
        ("2026-03-21", "2026-03-30", "-270.97"),
        ("2026-03-21", "2026-03-30", "90.32"),
    ]
    assert totals(down) == ("-180.65", "-36.13", "-216.78")
    [april] = shop.run("2026-03-31")
    assert periods(april) == [("2026-03-31", "2026-04-29", "280.00")]


def test_downgrade_whose_credit_exceeds_the_new_charge(shop: Shop) -> None:
    seats = product(shop, "seats", "600.00")
    adjusting, correcting = shop.customer("Ajuste SAS"), shop.customer("Avoir SAS")
    contracts = {
        customer: shop.contract(
            customer,
            reference,
            "2026-04-01",
            [{"product_id": seats}],
            billing_alignment="calendar",
            corrections=corrections,
        )
        for customer, reference, corrections in (
            (adjusting, "C-ADJ", "adjustment"),
            (correcting, "C-CN", "credit_note"),
        )
    }
    shop.today("2026-04-01")
    april = {i["customer_id"]: finalize(shop, i) for i in shop.run("2026-04-01")}
    assert [totals(april[c]) for c in (adjusting, correcting)] == [
        ("600.00", "120.00", "720.00")
    ] * 2
    for contract in contracts.values():
        amend(
            shop,
            contract,
            "2026-04-21",
            {"type": "change_price", "line_key": "seats", "unit_price": "150.00"},
        )
    shop.today("2026-04-21")
    made = shop.run("2026-04-21")
    # April has 30 days, [21 Apr, 1 May) = 10: credit −600 × 10/30 = −200.00,
    # charge 150 × 10/30 = 50.00
    # adjustment (the default): both on one invoice, net −150.00, VAT −30.00, gross −180.00;
    # finalized, its −180.00 goes to the customer's balance: it owes nothing (`credited`) and
    # takes no payment
    [negative] = of_customer(made, adjusting)
    assert (negative["kind"], sorted(nets(negative))) == ("invoice", ["-200.00", "50.00"])
    assert totals(negative) == ("-150.00", "-30.00", "-180.00")
    negative = finalize(shop, negative)
    assert (negative["number"], negative["status"], negative["amount_due"]) == (
        "F-2026-000003",
        "credited",
        "0.00",
    )
    refused = shop.api.post(f"/v1/invoices/{negative['id']}/payments", json={"amount": "1.00"})
    assert refused.status_code == 409, refused.text
    # credit_note: the credit corrects the finalized April invoice (−200.00, VAT −40.00,
    # −240.00); the new charge is an invoice of its own (50.00, VAT 10.00, 60.00)
    by_kind = {i["kind"]: i for i in of_customer(made, correcting)}
    note, charge = by_kind["credit_note"], by_kind["invoice"]
    assert (note["corrects_invoice_id"], totals(note)) == (
        april[correcting]["id"],
        ("-200.00", "-40.00", "-240.00"),
    )
    assert totals(charge) == ("50.00", "10.00", "60.00")
    assert finalize(shop, note)["number"] == "AV-2026-000001"
    # 720.00 − 240.00 = 480.00 left due on April
    assert due(read(shop, april[correcting])) == ("finalized", "0.00", "240.00", "480.00")
    [may] = of_customer(shop.run("2026-05-01"), adjusting)
    assert totals(may) == ("150.00", "30.00", "180.00")
    # issued 21 Apr, due 21 May: owing nothing, the negative invoice is never overdue, while
    # both Aprils (due 1 May) are: 720.00 and 720.00 − 240.00 = 480.00
    shop.today("2026-06-01")
    late = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    assert sorted((i["id"], i["amount_due"]) for i in late) == sorted(
        [(april[adjusting]["id"], "720.00"), (april[correcting]["id"], "480.00")]
    )


# --- currencies -----------------------------------------------------------------------------------


def test_one_french_customer_billed_in_euros_and_dollars_the_same_day(shop: Shop) -> None:
    product_id = hosting(shop)  # 399.00 in the EUR pricelist
    price(shop, pricelist(shop, "USD"), product_id, "500.00")
    customer = shop.customer()  # French, billed in EUR
    shop.contract(customer, "C-EUR", "2026-02-01", [{"product_id": product_id}])
    ok(shop.api.patch(f"/v1/customers/{customer}", json={"currency": "USD"}))
    shop.contract(customer, "C-USD", "2026-02-01", [{"product_id": product_id}])
    goodwill = {"amount": "50.00", "currency": "EUR", "reason": "late delivery"}
    ok(shop.api.post(f"/v1/customers/{customer}/goodwill-credits", json=goodwill), 201)
    shop.today("2026-02-01")
    invoices = {i["currency"]: i for i in shop.run("2026-02-01", finalize=True)}
    # two invoices, one currency each, both with French VAT (the customer is in France):
    # EUR 399.00 + 79.80 = 478.80, of which the 50.00 EUR goodwill pays 50.00 → 428.80 due;
    # USD 500.00 + 100.00 = 600.00, untouched by a balance in another currency
    assert {c: (i["tax_treatment"], totals(i)) for c, i in invoices.items()} == {
        "EUR": ("standard", ("399.00", "79.80", "478.80")),
        "USD": ("standard", ("500.00", "100.00", "600.00")),
    }
    assert due(invoices["EUR"]) == ("partially_paid", "50.00", "0.00", "428.80")
    assert due(invoices["USD"]) == ("finalized", "0.00", "0.00", "600.00")
    assert sorted(i["number"] for i in invoices.values()) == ["F-2026-000001", "F-2026-000002"]
    balance = ok(shop.api.get(f"/v1/customers/{customer}/balance"))
    assert [b for b in balance["balances"] if b["available"] != "0.00"] == []


# --- ends on the first and the last day of a period -----------------------------------------------


def test_termination_on_the_first_day_of_a_period(shop: Shop) -> None:
    product_id = hosting(shop)
    early, late = shop.customer("Prévenu SAS"), shop.customer("Tardif SAS")
    ids = {
        c: shop.contract(
            c,
            ref,
            "2026-03-01",
            [{"product_id": product_id, "unit_price": "310.00"}],
            billing_alignment="calendar",
        )
        for c, ref in ((early, "C-EARLY"), (late, "C-LATE"))
    }
    assert len(shop.run("2026-03-01")) == 2
    shop.today("2026-03-15")
    # known in March: ends on 1 Apr, the first day no longer covered: April is never billed
    transition(shop, ids[early], "terminate", date="2026-04-01")
    made = shop.run("2026-04-01")
    assert of_customer(made, early) == []
    [april] = of_customer(made, late)
    assert periods(april) == [("2026-04-01", "2026-04-30", "310.00")]
    # known once April was invoiced: ends on 1 Apr too, all of April's 30 days come back
    shop.today("2026-04-01")
    transition(shop, ids[late], "terminate", date="2026-04-01", with_credit=True)
    [credit] = shop.run("2026-04-01")
    # −310 × 30/30 = −310.00, VAT −62.00, gross −372.00, on April's draft of the same day, still
    # open: 310.00 − 310.00 = 0.00 in all
    assert (credit["id"], credit["customer_id"], periods(credit)) == (
        april["id"],
        late,
        [("2026-04-01", "2026-04-30", "310.00"), ("2026-04-01", "2026-04-30", "-310.00")],
    )
    assert totals(credit) == ("0.00", "0.00", "0.00")
    assert shop.run("2026-05-01") == []


def test_termination_on_the_last_day_of_a_period(shop: Shop) -> None:
    product_id = hosting(shop)
    support = product(shop, "support", "310.00", timing="in_arrears")
    cut, whole, arrears = (
        shop.customer("Coupé SAS"),
        shop.customer("Entier SAS"),
        shop.customer("Échu SAS"),
    )
    ids = {
        c: shop.contract(c, ref, "2026-04-01", [line], billing_alignment="calendar")
        for c, ref, line in (
            (cut, "C-CUT", {"product_id": product_id, "unit_price": "310.00"}),
            (whole, "C-WHOLE", {"product_id": product_id, "unit_price": "310.00"}),
            (arrears, "C-ARR", {"product_id": support}),
        )
    }
    april = shop.run("2026-04-01")
    assert sorted(i["customer_id"] for i in april) == sorted([cut, whole])  # arrears: not yet
    shop.today("2026-04-20")
    # the date is the first day no longer covered: 30 Apr leaves 29 Apr the last day covered,
    # 1 May leaves 30 Apr, April's last day
    transition(shop, ids[cut], "terminate", date="2026-04-30", with_credit=True)
    transition(shop, ids[whole], "terminate", date="2026-05-01")
    transition(shop, ids[arrears], "terminate", date="2026-04-30")
    made = shop.run("2026-04-30")
    [credit] = of_customer(made, cut)
    # [30 Apr, 1 May) = 1 of 30 days: −310 × 1/30 = −10.333… → −10.33, VAT −2.066 → −2.07
    assert periods(credit) == [("2026-04-30", "2026-04-30", "-10.33")]
    assert totals(credit) == ("-10.33", "-2.07", "-12.40")
    [last] = of_customer(made, arrears)
    # due on the end: [1 Apr, 30 Apr) = 29 of 30 days: 310 × 29/30 = 299.666… → 299.67,
    # VAT 59.934 → 59.93
    assert periods(last) == [("2026-04-01", "2026-04-29", "299.67")]
    assert totals(last) == ("299.67", "59.93", "359.60")
    assert of_customer(made, whole) == []  # April stays billed whole, nothing to credit
    assert shop.run("2026-05-01") == []


def test_a_one_off_line_is_not_credited_by_a_termination(shop: Shop) -> None:
    setup = shop.product("setup", "one_off", unit_price="500.00")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}, {"product_id": setup}],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert sorted(nets(march)) == ["310.00", "500.00"]
    shop.today("2026-03-21")
    transition(shop, contract, "terminate", date="2026-03-21", with_credit=True)
    [credit] = shop.run("2026-03-21")
    # only the monthly line's unused days: [21 Mar, 1 Apr) = 11 of 31, −310 × 11/31 = −110.00;
    # the set-up was delivered once, whole
    assert nets(credit) == ["-110.00"]
    assert totals(credit) == ("-110.00", "-22.00", "-132.00")


# --- discounts and amendments on dates ------------------------------------------------------------


def test_a_discount_starting_inside_a_period(shop: Shop) -> None:
    product_id = hosting(shop)
    typed, amended = shop.customer("Remise SAS"), shop.customer("Avenant SAS")
    shop.contract(
        typed,
        "C-TYPED",
        "2026-03-01",
        [
            {
                "product_id": product_id,
                "unit_price": "310.00",
                "discounts": [{"kind": "percentage", "value": "50", "start": "2026-03-11"}],
            }
        ],
        billing_alignment="calendar",
    )
    later = shop.contract(
        amended,
        "C-AMENDED",
        "2026-03-01",
        [{"product_id": product_id, "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    made = shop.run("2026-03-01")
    [first] = of_customer(made, typed)
    # 50 % from 11 Mar: [1 Mar, 11 Mar) = 10 days at full price, 310 × 10/31 = 100.00;
    # [11 Mar, 1 Apr) = 21 days at half price, 310 × 21/31 × 0.5 = 105.00: 205.00 for March,
    # 105.00 off; VAT 41.00
    assert periods(first) == [
        ("2026-03-01", "2026-03-10", "100.00"),
        ("2026-03-11", "2026-03-31", "105.00"),
    ]
    assert [x["discount_amount"] for x in first["lines"]] == ["0.00", "105.00"]
    assert totals(first) == ("205.00", "41.00", "246.00")
    [plain] = of_customer(made, amended)
    assert nets(plain) == ["310.00"]
    amend(
        shop,
        later,
        "2026-03-11",
        {
            "type": "change_discount",
            "line_key": "hosting",
            "discounts": [{"kind": "percentage", "value": "50"}],
        },
    )
    [change] = of_customer(shop.run("2026-03-11"), amended)
    # the same discount by amendment on 11 Mar: credit −310 × 21/31 = −210.00, charge
    # 210.00 × 50 % = 105.00; net −105.00, VAT −21.00
    assert sorted(nets(change)) == ["-210.00", "105.00"]
    assert totals(change) == ("-105.00", "-21.00", "-126.00")
    # April at half price for both: 155.00
    assert sorted(i["net_total"] for i in shop.run("2026-04-01")) == ["155.00", "155.00"]


def test_a_discount_ending_inside_a_period(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "310.00",
                "discounts": [{"kind": "percentage", "value": "50", "until": "2026-04-10"}],
            }
        ],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert march["net_total"] == "155.00"  # 310 × 50 %
    [april] = shop.run("2026-04-01")
    # 50 % through 10 Apr (the last day it applies): [1 Apr, 11 Apr) = 10 of 30 days at half
    # price, 310 × 10/30 × 0.5 = 51.666… → 51.67; [11 Apr, 1 May) = 20 days at full price,
    # 310 × 20/30 = 206.666… → 206.67 (each line rounded once); net 258.34,
    # VAT 51.668 → 51.67, gross 310.01
    assert periods(april) == [
        ("2026-04-01", "2026-04-10", "51.67"),
        ("2026-04-11", "2026-04-30", "206.67"),
    ]
    assert totals(april) == ("258.34", "51.67", "310.01")
    [may] = shop.run("2026-05-01")
    assert may["net_total"] == "310.00"


def test_terminating_before_a_discount_starts_drops_the_discount(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-05-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "310.00",
                "discounts": [{"kind": "percentage", "value": "50", "start": "2026-06-01"}],
            }
        ],
        billing_alignment="calendar",
    )
    shop.today("2026-05-01")
    [may] = shop.run("2026-05-01")
    assert nets(may) == ["310.00"]  # the discount starts in June: May at full price
    shop.today("2026-05-10")
    # ended on 15 May, before the discount's 1 June: accepted (it was refused with a 422 on
    # lines.0.discounts.0.start, a field the termination does not have), the discount goes
    transition(shop, contract, "terminate", date="2026-05-15", with_credit=True)
    versions = ok(shop.api.get(f"/v1/contracts/{contract}/versions"))
    ended = versions[-1]
    assert ended["terms"]["lines"][0]["discounts"] == []
    # recorded in the version like any change
    assert ended["changes"] == [
        "end date evergreen → 2026-05-14",
        "line hosting: discounts 50% from 2026-06-01 forever → none",
    ]
    [credit] = shop.run("2026-05-15")
    # [15 May, 1 Jun) = 17 of May's 31 days come back: −310 × 17/31 = −170.00, VAT −34.00; May
    # is billed for its 14 days: 310.00 − 170.00 = 140.00 = 310 × 14/31
    assert periods(credit) == [("2026-05-15", "2026-05-31", "-170.00")]
    assert totals(credit) == ("-170.00", "-34.00", "-204.00")
    lines = may["lines"] + credit["lines"]
    assert sum(Decimal(x["net_amount"]) for x in lines) == Decimal("140.00")
    assert [x["discount_amount"] for x in lines] == ["0.00", "0.00"]  # no discount anywhere
    assert shop.run("2026-06-01") == []


def test_an_amendment_on_a_period_start_bills_no_adjustment(shop: Shop) -> None:
    support = product(shop, "support", "100.00", timing="in_arrears")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}, {"product_id": support}],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["310.00"]  # the in-arrears line is not due yet
    shop.today("2026-03-15")
    amend(
        shop,
        contract,
        "2026-04-01",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
        {"type": "change_price", "line_key": "support", "unit_price": "200.00"},
    )
    [april] = shop.run("2026-04-01")
    # no day of a period is billed twice: hosting's April in advance at the new 620.00,
    # support's March in arrears at the old 100.00; no credit, no adjustment
    assert sorted(periods(april)) == [
        ("2026-03-01", "2026-03-31", "100.00"),
        ("2026-04-01", "2026-04-30", "620.00"),
    ]
    assert not any(x["adjustment"] for x in april["lines"])
    assert totals(april) == ("720.00", "144.00", "864.00")
    [may] = shop.run("2026-05-01")
    # May's hosting 620.00, April's support 200.00
    assert sorted(nets(may)) == ["200.00", "620.00"]


def test_annual_anniversary_upgrade_across_a_leap_day(shop: Shop) -> None:
    licence = product(shop, "licence", "1200.00", "annual")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2027-03-01",
        [{"product_id": licence}],
        billing_alignment="anniversary",
    )
    [first] = shop.run("2027-03-01")
    assert periods(first) == [("2027-03-01", "2028-02-29", "1200.00")]
    amend(
        shop,
        contract,
        "2027-09-01",
        {"type": "change_price", "line_key": "licence", "unit_price": "2400.00"},
    )
    [change] = shop.run("2027-09-01")
    # [1 Mar 2027, 1 Mar 2028) holds 29 Feb 2028: 366 days; [1 Sep 2027, 1 Mar 2028) =
    # 30 + 31 + 30 + 31 + 31 + 29 = 182: credit −1200 × 182/366 = −596.721… → −596.72,
    # charge 2400 × 182/366 = 1193.442… → 1193.44; net 596.72, VAT 119.344 → 119.34
    assert sorted(nets(change)) == ["-596.72", "1193.44"]
    assert totals(change) == ("596.72", "119.34", "716.06")
    [second] = shop.run("2028-03-01")
    assert periods(second) == [("2028-03-01", "2029-02-28", "2400.00")]


def test_semi_annual_anniversary_in_arrears_ended_early(shop: Shop) -> None:
    support = product(shop, "support", "1200.00", "semi_annual", "in_arrears")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-15",
        [{"product_id": support}],
        billing_alignment="anniversary",
    )
    shop.today("2026-06-01")
    transition(shop, contract, "terminate", date="2026-07-01")
    assert shop.run("2026-06-30") == []
    [last] = shop.run("2026-07-01")
    # [15 Mar, 15 Sep) = 17 + 30 + 31 + 30 + 31 + 31 + 14 = 184 days; [15 Mar, 1 Jul) =
    # 17 + 30 + 31 + 30 = 108: 1200 × 108/184 = 704.347… → 704.35, VAT 140.87, gross 845.22
    assert periods(last) == [("2026-03-15", "2026-06-30", "704.35")]
    assert totals(last) == ("704.35", "140.87", "845.22")
    assert shop.run("2026-09-15") == []


# --- a customer moving abroad ---------------------------------------------------------------------


def test_a_customer_moving_to_another_member_state_changes_later_invoices_only(shop: Shop) -> None:
    customer = shop.customer("Nuage SAS")
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    assert [totals(i) for i in (february, march)] == [("399.00", "79.80", "478.80")] * 2
    shop.today("2026-03-15")
    moved = ok(
        shop.api.patch(
            f"/v1/customers/{customer}",
            json={
                "country": "DE",
                "vat_number": "DE136695976",
                "address_line1": "Hauptstr. 1",
                "postal_code": "10115",
                "city": "Berlin",
            },
        )
    )
    assert moved["tax_treatment"] == "reverse_charge"
    shop.today("2026-04-01")
    [april] = shop.run("2026-04-01", finalize=True)
    # from April: reverse charge, 399.00 at 0 %
    assert (april["tax_treatment"], totals(april)) == (
        "reverse_charge",
        ("399.00", "0.00", "399.00"),
    )
    # March was issued with French VAT and stays so
    again = read(shop, march)
    assert (again["tax_treatment"], totals(again)) == ("standard", ("399.00", "79.80", "478.80"))
    # a credit note on March gives back French VAT: 120.00 at 20 % → net 100.00, VAT 20.00
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": march["id"], "reason": "outage", "amount": "120.00"},
        ),
        201,
    )
    assert totals(note) == ("-100.00", "-20.00", "-120.00")
    assert [x["vat_rate"] for x in note["lines"]] == ["20"]
    march_xml = shop.api.get(f"/v1/invoices/{march['id']}/pdf", params={"format": "xml"}).text
    april_xml = shop.api.get(f"/v1/invoices/{april['id']}/pdf", params={"format": "xml"}).text
    assert "2006/112" not in march_xml and "2006/112" in april_xml


GERMANY = {
    "country": "DE",
    "vat_number": "DE136695976",
    "address_line1": "Hauptstr. 1",
    "postal_code": "10115",
    "city": "Berlin",
}


def test_a_credit_after_a_move_abroad_gives_back_the_vat_billed(shop: Shop) -> None:
    customer = shop.customer("Nuage SAS")
    contract = shop.contract(
        customer,
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # March in France: 310.00, VAT 20 % 62.00, gross 372.00
    assert (march["tax_treatment"], totals(march)) == ("standard", ("310.00", "62.00", "372.00"))
    shop.today("2026-03-15")
    moved = ok(shop.api.patch(f"/v1/customers/{customer}", json=GERMANY))
    assert moved["tax_treatment"] == "reverse_charge"
    amend(
        shop,
        contract,
        "2026-03-20",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    shop.today("2026-03-20")
    made = {i["kind"]: i for i in shop.run("2026-03-20")}
    assert sorted(made) == ["credit_note", "invoice"]
    note, upgrade = made["credit_note"], made["invoice"]
    # [20 Mar, 1 Apr) = 12 of March's 31 days. Billed in March with French VAT, they come back
    # with it, on a credit note correcting the March invoice: −310 × 12/31 = −120.00, VAT 20 %
    # −24.00, gross −144.00 (the customer's reverse charge of today would give back 0.00 VAT)
    assert (note["corrects_invoice_id"], note["tax_treatment"]) == (march["id"], "standard")
    assert periods(note) == [("2026-03-20", "2026-03-31", "-120.00")]
    assert [x["vat_rate"] for x in note["lines"]] == ["20"]
    assert totals(note) == ("-120.00", "-24.00", "-144.00")
    # the new price from 20 Mar is billed under today's treatment, reverse charge at 0 %:
    # 620 × 12/31 = 240.00, VAT 0.00, gross 240.00
    assert upgrade["tax_treatment"] == "reverse_charge"
    assert periods(upgrade) == [("2026-03-20", "2026-03-31", "240.00")]
    assert [x["vat_rate"] for x in upgrade["lines"]] == ["0"]
    assert totals(upgrade) == ("240.00", "0.00", "240.00")
    note = finalize(shop, note)
    assert note["number"] == "AV-2026-000001"
    # 372.00 − 144.00 = 228.00 left due on March = 310 × 19/31 = 190.00 + 20 % VAT 38.00
    assert due(read(shop, march)) == ("finalized", "0.00", "144.00", "228.00")
    upgrade = finalize(shop, upgrade)
    # the legal mentions follow each document's treatment: reverse charge on the new invoice,
    # none on the credit note of a French invoice
    xml = [
        shop.api.get(f"/v1/invoices/{i['id']}/pdf", params={"format": "xml"})
        for i in (note, upgrade)
    ]
    assert [r.status_code for r in xml] == [200, 200]
    assert "2006/112" not in xml[0].text and "2006/112" in xml[1].text
    assert shop.run("2026-03-20") == []  # billed once
    [april] = shop.run("2026-04-01")
    assert (april["tax_treatment"], totals(april)) == (
        "reverse_charge",
        ("620.00", "0.00", "620.00"),
    )


# --- ties in yen, dinars and euros ----------------------------------------------------------------


def test_yen_and_dinar_proration_ties_half_up_then_half_even(shop: Shop) -> None:
    product_id = ok(
        shop.api.post(
            "/v1/products", json={"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        ),
        201,
    )["id"]
    price(shop, pricelist(shop, "JPY"), product_id, "3015")
    price(shop, pricelist(shop, "KWD"), product_id, "45.015")
    # two French customers (French VAT 20 %), one billed in yen, one in dinars
    yen = shop.customer("Nihon SAS", currency="JPY")
    dinar = shop.customer("Koweït SAS", currency="KWD")
    for customer, reference in ((yen, "C-JPY"), (dinar, "C-KWD")):
        shop.contract(
            customer,
            reference,
            "2026-04-30",
            [{"product_id": product_id}],
            billing_alignment="calendar",
        )
    dry = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-04-30", "dry_run": True}), 201)
    # [30 Apr, 1 May) = 1 of April's 30 days. Yen: 3015/30 = 100.5 → 101 HALF_UP (no minor
    # unit), VAT 20.2 → 20, gross 121. Dinar: 45.015/30 = 1.5005 → 1.501 (3 decimals),
    # VAT 0.3002 → 0.300, gross 1.801
    assert sorted((i["currency"], totals(i)) for i in dry["invoices"]) == [
        ("JPY", ("101", "20", "121")),
        ("KWD", ("1.501", "0.300", "1.801")),
    ]
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    made = {i["currency"]: i for i in shop.run("2026-04-30")}
    # HALF_EVEN: 100.5 → 100 (VAT 20, gross 120); 1.5005 → 1.500 (VAT 0.300, gross 1.800)
    assert {c: totals(i) for c, i in made.items()} == {
        "JPY": ("100", "20", "120"),
        "KWD": ("1.500", "0.300", "1.800"),
    }
    may = {i["currency"]: i for i in shop.run("2026-05-01")}
    # whole May: 3015 + 603 = 3618; 45.015 + 9.003 = 54.018
    assert {c: totals(i) for c, i in may.items()} == {
        "JPY": ("3015", "603", "3618"),
        "KWD": ("45.015", "9.003", "54.018"),
    }


def test_half_even_ties_on_a_partial_month_and_on_a_termination_credit(shop: Shop) -> None:
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    basic = product(shop, "basic", "100.25")
    extra = product(shop, "extra", "100.35")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-04-16",
        [{"product_id": basic}, {"product_id": extra}],
        billing_alignment="calendar",
    )
    [first] = shop.run("2026-04-16")
    # [16 Apr, 1 May) = 15 of 30 days, exactly half: 50.125 → 50.12 and 50.175 → 50.18
    # (HALF_UP would give 50.13 and 50.18); net 100.30, VAT 20.06, gross 120.36
    assert sorted(nets(first)) == ["50.12", "50.18"]
    assert totals(first) == ("100.30", "20.06", "120.36")
    shop.run("2026-05-01")
    [june] = shop.run("2026-06-01")
    assert totals(june) == ("200.60", "40.12", "240.72")
    shop.today("2026-06-10")
    transition(shop, contract, "terminate", date="2026-06-16", with_credit=True)
    [credit] = shop.run("2026-06-16")
    # [16 Jun, 1 Jul) = 15 of June's 30 days: −50.125 → −50.12, −50.175 → −50.18;
    # VAT −20.06, gross −120.36
    assert sorted(nets(credit)) == ["-50.12", "-50.18"]
    assert totals(credit) == ("-100.30", "-20.06", "-120.36")


# --- tiers ----------------------------------------------------------------------------------------


def test_graduated_flat_fee_of_a_tier_is_not_due_on_the_bound_below_it(shop: Shop) -> None:
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
    storage = shop.product(
        "storage",
        "usage",
        unit_price="0",
        charge={"metric": "units", "model": "graduated", "tiers": tiers},
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": storage}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-02")
    events = [
        {
            "transaction_id": name,
            "contract": "C-1",
            "metric": "units",
            "timestamp": stamp,
            "properties": {"qty": qty},
        }
        for name, stamp, qty in (
            ("jan", "2026-01-20T10:00:00Z", "100"),
            ("feb", "2026-02-20T10:00:00Z", "500.5"),
        )
    ]
    assert ok(shop.api.post("/v1/events/batch", json={"events": events}))["accepted"] == 2
    invoices = {i["billing_date"]: i for i in shop.run("2026-03-01")}
    # January, 100 units: the bound of tier 1 is inclusive, tier 2 is not reached:
    # 100 × 1.00 + 10.00 = 110.00
    assert sorted(nets(invoices["2026-02-01"])) == ["10.00", "100.00"]
    assert invoices["2026-02-01"]["net_total"] == "110.00"
    # February, 500.5 units: 100 × 1.00 + 10.00, 400 × 0.80 + 20.00, and 0.5 in tier 3,
    # reached: 0.5 × 0.50 + 30.00 = 0.25 + 30.00; 110.00 + 340.00 + 30.25 = 480.25
    assert invoices["2026-03-01"]["net_total"] == "480.25"


# --- credit notes and payments --------------------------------------------------------------------


def test_a_credit_note_is_not_credited_voided_or_paid(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "outage", "amount": "120.00"},
        ),
        201,
    )
    assert (note["number"], totals(note)) == ("AV-2026-000001", ("-100.00", "-20.00", "-120.00"))
    refusals = [
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": note["id"], "reason": "undo", "amount": "10.00"},
        ),
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": note["id"], "reason": "undo", "lines": [{"position": 1}]},
        ),
        shop.api.post(f"/v1/invoices/{note['id']}/void", json={"reason": "undo"}),
        shop.api.post(f"/v1/invoices/{note['id']}/payments", json={"amount": "1.00"}),
    ]
    for refused in refusals:
        assert refused.status_code == 409, refused.text
    # nothing moved: 478.80 − 120.00 = 358.80 due, and the refusals drew no number
    assert due(read(shop, invoice)) == ("finalized", "0.00", "120.00", "358.80")
    again = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "outage", "amount": "12.00"},
        ),
        201,
    )
    assert (again["number"], totals(again)) == ("AV-2026-000002", ("-10.00", "-2.00", "-12.00"))


def test_paying_a_partly_credited_invoice_exactly(
    shop: Shop, tenant: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tarif.cli.main import app

    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    url = f"/v1/invoices/{invoice['id']}"
    ok(shop.api.post(f"{url}/payments", json={"amount": "78.80"}), 201)
    ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "outage", "amount": "100.00"},
        ),
        201,
    )
    # 478.80 − 78.80 paid − 100.00 credited = 300.00 due
    assert due(read(shop, invoice)) == ("partially_paid", "78.80", "100.00", "300.00")
    refused = problem(shop.api.post(f"{url}/payments", json={"amount": "300.01"}), 422)
    assert refused["errors"][0]["field"] == "amount" and "300.00" in refused["detail"]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: shop.clock)
    result = CliRunner().invoke(
        app, ["invoices", "pay", invoice["id"], "--amount", "300.00", "--org", tenant.id]
    )
    assert result.exit_code == 0, result.output
    assert "recorded 300.00" in result.stdout and "now paid" in result.stdout
    # paid to the cent: 78.80 + 300.00 paid, 100.00 credited, nothing due
    assert due(read(shop, invoice)) == ("paid", "378.80", "100.00", "0.00")
    assert shop.api.post(f"{url}/payments", json={"amount": "0.01"}).status_code == 409


def test_a_suspension_credit_across_a_fixed_discounts_start(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "310.00",
                "discounts": [{"kind": "fixed", "value": "31.00", "start": "2026-03-11"}],
            }
        ],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    # [1 Mar, 11 Mar) = 310 × 10/31 = 100.00; [11 Mar, 1 Apr) = (310 − 31) × 21/31 = 189.00
    # (the 31.00 off a month is 21.00 off its 21 days): 289.00
    assert periods(march) == [
        ("2026-03-01", "2026-03-10", "100.00"),
        ("2026-03-11", "2026-03-31", "189.00"),
    ]
    shop.today("2026-03-05")
    transition(shop, contract, "suspend", date="2026-03-05")
    [credit] = shop.run("2026-03-05")
    # suspended from 5 Mar, no end known: each day back at the price it was billed,
    # [5 Mar, 11 Mar) = 310 × 6/31 = −60.00 and [11 Mar, 1 Apr) = −189.00: −249.00 on one
    # invoice dated 5 Mar, VAT −49.80
    assert credit["billing_date"] == "2026-03-05"
    assert periods(credit) == [
        ("2026-03-05", "2026-03-10", "-60.00"),
        ("2026-03-11", "2026-03-31", "-189.00"),
    ]
    assert totals(credit) == ("-249.00", "-49.80", "-298.80")
    shop.today("2026-03-15")
    transition(shop, contract, "resume", date="2026-03-15")
    [resumed] = shop.run("2026-03-15")
    # [15 Mar, 1 Apr) billed again, discounted: (310 − 31) × 17/31 = 153.00; March then bills
    # 289.00 − 249.00 + 153.00 = 193.00 = 310 × 4/31 (1–4 Mar, 40.00) + 153.00
    assert periods(resumed) == [("2026-03-15", "2026-03-31", "153.00")]
    [april] = shop.run("2026-04-01")
    assert nets(april) == ["279.00"]  # 310.00 − 31.00


def test_an_early_termination_fee_counts_a_discount_to_its_last_day(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "310.00",
                "discounts": [{"kind": "percentage", "value": "50", "until": "2026-06-10"}],
            }
        ],
        billing_alignment="calendar",
        initial_term_months=12,
        early_termination_fee={"kind": "remaining"},
    )
    for day in ("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"):
        [invoice] = shop.run(day)
        assert invoice["net_total"] == "155.00"  # 310 × 50 %
    transition(shop, contract, "terminate", date="2026-06-01")
    [june] = shop.run("2026-06-01")
    # committed to 31 Dec 2026, ends 1 Jun. June would have billed [1 Jun, 11 Jun) at half
    # price, 310 × 10/30 × 0.5 = 51.666…, and [11 Jun, 1 Jul) in full, 310 × 20/30 = 206.666…;
    # July…December 6 × 310.00 = 1,860.00: 2,118.333… → 2,118.33 (one fee line, rounded once)
    assert [(x["kind"], x["net_amount"]) for x in june["lines"]] == [("fee", "2118.33")]


def test_crediting_half_a_yen_line_twice_cancels_it_to_the_yen(shop: Shop) -> None:
    product_id = ok(
        shop.api.post(
            "/v1/products", json={"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        ),
        201,
    )["id"]
    price(shop, pricelist(shop, "JPY"), product_id, "3015")
    customer = shop.customer("Nihon SAS", currency="JPY")  # French: VAT 20 %
    shop.contract(customer, "C-JPY", "2026-02-01", [{"product_id": product_id}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    # 3015, VAT 603, gross 3618
    assert totals(invoice) == ("3015", "603", "3618")
    body = {"invoice_id": invoice["id"], "reason": "outage"}
    half = ok(
        shop.api.post(
            "/v1/credit-notes", json=body | {"lines": [{"position": 1, "quantity": "0.5"}]}
        ),
        201,
    )
    # 3015 × 0.5 = 1507.5 → 1508 (HALF_UP, no minor unit), VAT 301.6 → 302, gross 1810
    assert totals(half) == ("-1508", "-302", "-1810")
    rest = ok(shop.api.post("/v1/credit-notes", json=body | {"lines": [{"position": 1}]}), 201)
    # what is left: 3015 − 1508 = 1507, VAT 301.4 → 301, gross 1808; 302 + 301 = 603 and
    # 1810 + 1808 = 3618: the invoice exactly
    assert totals(rest) == ("-1507", "-301", "-1808")
    assert due(read(shop, invoice)) == ("credited", "0", "3618", "0")
