"""Worked cases from the life of a contract: renewals, notice, suspensions, month-end anchors,
ends, corrections, the credit balance, payments, numbering and previews.

A French SaaS company's finance team follows its contracts through the public REST API only,
from signature to renewal or termination: what the other files of worked cases leave out. Every
expected figure is computed by hand from the billing rules (docs/billing-rules.md and
docs/invoices.md, which follow the project's domain reference) in the comment beside it. The
test clock reads 15 Jan 2026; a case that needs a later "today" moves it forward. The seller is
French (VAT 20 % on standard products); amounts are JSON strings.
"""

from __future__ import annotations

from typing import Any

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals
from tests.acceptance.test_trade_cases_documents import (
    amend,
    pdf_text,
    periods,
    problem,
    product,
    transition,
)
from tests.acceptance.test_trade_cases_more import due, finalize, read

# --- reading the documents and the contract back --------------------------------------------------


def contract_of(shop: Shop, contract: str, **params: str) -> dict[str, Any]:
    got: dict[str, Any] = ok(shop.api.get(f"/v1/contracts/{contract}", params=params))
    return got


def pay(shop: Shop, invoice: dict[str, Any], amount: str) -> dict[str, Any]:
    paid: dict[str, Any] = ok(
        shop.api.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": amount}), 201
    )
    return paid


def balance(shop: Shop, customer: str) -> dict[str, Any]:
    answer: dict[str, Any] = ok(shop.api.get(f"/v1/customers/{customer}/balance"))
    return answer


def available(shop: Shop, customer: str) -> dict[str, str]:
    return {b["currency"]: b["available"] for b in balance(shop, customer)["balances"]}


def pricelist(shop: Shop, code: str) -> str:
    """The default pricelist of another currency."""
    body = {"name": code, "currency": code, "valid_from": "2026-01-01", "is_default": True}
    return str(ok(shop.api.post("/v1/pricelists", json=body), 201)["id"])


def priced(shop: Shop, pricelist_id: str, code: str, price: str, periodicity: str) -> str:
    """A recurring product billed in advance, priced in another currency's pricelist."""
    created = ok(
        shop.api.post("/v1/products", json={"code": code, "name_en": code, "kind": "recurring"}),
        201,
    )
    entry = {
        "product_id": created["id"],
        "unit_price": price,
        "periodicity": periodicity,
        "timing": "in_advance",
    }
    ok(shop.api.post(f"/v1/pricelists/{pricelist_id}/entries", json=entry), 201)
    return str(created["id"])


def dry_run(shop: Shop, as_of: str) -> list[dict[str, Any]]:
    answer = ok(shop.api.post("/v1/billing-runs", json={"as_of": as_of, "dry_run": True}), 201)
    assert answer["dry_run"] is True
    invoices: list[dict[str, Any]] = answer["invoices"]
    return invoices


def figures(invoice: dict[str, Any]) -> tuple[Any, ...]:
    """What a preview and a written invoice share: the grouping key, totals and each line."""
    lines = sorted(
        (
            x["line_key"],
            x["kind"],
            x["period_start"],
            x["period_last_day"],
            x["net_amount"],
            x["vat_rate"],
        )
        for x in invoice["lines"]
    )
    return (invoice["customer_id"], invoice["billing_date"], totals(invoice), lines)


def written(shop: Shop) -> int:
    """How many invoices (drafts included) the organization has."""
    return len(ok(shop.api.get("/v1/invoices", params={"limit": 100}))["data"])


# --- renewals and notice --------------------------------------------------------------------------


def test_renewal_with_a_price_increase_from_the_renewal_day(shop: Shop) -> None:
    seats = product(shop, "seats", "300.00")
    customer = shop.customer()
    contract = shop.contract(
        customer,
        "C-1",
        "2026-03-01",
        [{"product_id": seats}],
        initial_term_months=3,
        renewal_months=3,
        notice_months=1,
    )
    # the new price, agreed for the renewed term, is scheduled on its first day
    amend(
        shop,
        contract,
        "2026-06-01",
        {"type": "change_price", "line_key": "seats", "unit_price": "330.00"},
    )
    read_then = contract_of(shop, contract, as_of="2026-03-01")
    # the first term runs [1 Mar, 1 Jun): last day 31 May; notice by 1 Jun − 1 month = 1 May
    assert read_then["current_term"] == {"start": "2026-03-01", "end": "2026-05-31", "renewals": 0}
    assert read_then["notice_deadline"] == "2026-05-01"
    shop.today("2026-03-01")
    for day in ("2026-03-01", "2026-04-01", "2026-05-01"):
        [invoice] = shop.run(day)
        # the first term's price: 300.00, VAT 60.00
        assert totals(invoice) == ("300.00", "60.00", "360.00")
    shop.today("2026-05-20")
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    # the renewed term's first month at the new price: 330.00, VAT 66.00, gross 396.00
    assert (upcoming["billing_date"], totals(upcoming)) == (
        "2026-06-01",
        ("330.00", "66.00", "396.00"),
    )
    shop.today("2026-06-01")
    [june] = shop.run("2026-06-01")
    assert figures(june) == figures(upcoming)
    assert [(x["contract_version"], x["unit_price"]) for x in june["lines"]] == [(2, "330")]
    renewed = contract_of(shop, contract)
    assert (renewed["renewal_count"], renewed["last_renewed_on"]) == (1, "2026-06-01")
    # the second term [1 Jun, 1 Sep): notice for its end by 1 Aug
    assert renewed["current_term"] == {"start": "2026-06-01", "end": "2026-08-31", "renewals": 1}
    assert renewed["notice_deadline"] == "2026-08-01"


def test_notice_given_a_day_late_renews_for_another_year(shop: Shop) -> None:
    licence = product(shop, "licence", "1200.00", "annual")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-04-01",
        [{"product_id": licence}],
        initial_term_months=12,
        renewal_months=12,
        notice_months=2,
    )
    shop.today("2026-04-01")
    [first] = shop.run("2026-04-01")
    # anniversary: [1 Apr 2026, 1 Apr 2027) whole, 1200.00
    assert periods(first) == [("2026-04-01", "2027-03-31", "1200.00")]
    # ending on 1 Apr 2027 needs notice by 1 Apr 2027 − 2 months = 1 Feb 2027: given on 2 Feb,
    # too late, the contract renews and ends at the next term end, 1 Apr 2028
    shop.today("2027-02-02")
    transition(shop, contract, "terminate", mode="at_term_end")
    [ending] = ok(shop.api.get(f"/v1/contracts/{contract}/amendments"))["data"]
    assert (ending["effective_date"], ending["status"], ending["diff"]) == (
        "2028-04-01",
        "scheduled",
        ["end date evergreen → 2028-03-31", "renewal auto-renew 12 months → no renewal"],
    )
    shop.today("2027-04-01")
    [second] = shop.run("2027-04-01")
    # the renewed year [1 Apr 2027, 1 Apr 2028) is billed whole: 1200.00
    assert periods(second) == [("2027-04-01", "2028-03-31", "1200.00")]
    assert contract_of(shop, contract)["renewal_count"] == 1
    shop.today("2028-04-01")
    assert shop.run("2028-04-01") == []  # it ends on its term end: nothing to bill or credit
    read_after = contract_of(shop, contract)
    assert (read_after["status"], read_after["renewal_count"]) == ("terminated", 1)


def test_notice_before_a_renewal_whose_price_increase_was_scheduled(shop: Shop) -> None:
    seats = product(shop, "seats", "300.00")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": seats}],
        initial_term_months=3,
        renewal_months=3,
        notice_months=1,
    )
    rise = amend(
        shop,
        contract,
        "2026-06-01",
        {"type": "change_price", "line_key": "seats", "unit_price": "330.00"},
    )
    shop.today("2026-04-20")
    # notice in time (deadline 1 May) to end at the term end, 1 Jun: the price rise scheduled
    # that day would change a contract already ended, refused naming both amendments
    url = f"/v1/contracts/{contract}/transitions"
    refused = problem(
        shop.api.post(
            url, json={"action": "terminate", "mode": "at_term_end", "reason": "leaving"}
        ),
        409,
    )
    assert rise["id"] in refused["detail"]
    # the rise is cancelled first; the termination then ends the contract on 1 Jun
    ok(shop.api.post(f"/v1/contracts/{contract}/amendments/{rise['id']}/cancel"))
    transition(shop, contract, "terminate", mode="at_term_end")
    shop.today("2026-06-01")
    made = shop.run("2026-06-01")
    # March, April and May at 300.00 each, nothing at the new price, nothing from June on
    assert [periods(i) for i in made] == [
        [("2026-03-01", "2026-03-31", "300.00")],
        [("2026-04-01", "2026-04-30", "300.00")],
        [("2026-05-01", "2026-05-31", "300.00")],
    ]
    read_after = contract_of(shop, contract)
    assert (read_after["status"], read_after["renewal_count"]) == ("terminated", 0)


def test_a_contract_in_arrears_not_renewed_bills_its_last_month_on_the_term_end(
    shop: Shop,
) -> None:
    support = product(shop, "support", "250.00", timing="in_arrears")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": support}],
        initial_term_months=6,
        renewal_months=6,
        notice_months=1,
    )
    # notice on 1 Jun for the term end of 15 Jul (deadline 15 Jun)
    shop.today("2026-06-01")
    transition(shop, contract, "terminate", mode="at_term_end")
    made = shop.run("2026-06-15")
    # anniversary in arrears: each month is billed on its end, [15 Jan, 15 Feb) on 15 Feb…
    assert [(i["billing_date"], periods(i)) for i in made] == [
        ("2026-02-15", [("2026-01-15", "2026-02-14", "250.00")]),
        ("2026-03-15", [("2026-02-15", "2026-03-14", "250.00")]),
        ("2026-04-15", [("2026-03-15", "2026-04-14", "250.00")]),
        ("2026-05-15", [("2026-04-15", "2026-05-14", "250.00")]),
        ("2026-06-15", [("2026-05-15", "2026-06-14", "250.00")]),
    ]
    shop.today("2026-07-15")
    [last] = shop.run("2026-07-15")
    # the last month [15 Jun, 15 Jul) on the term end: 250.00, VAT 50.00
    assert periods(last) == [("2026-06-15", "2026-07-14", "250.00")]
    assert totals(last) == ("250.00", "50.00", "300.00")
    assert contract_of(shop, contract)["status"] == "terminated"
    shop.today("2026-08-15")
    assert shop.run("2026-08-15") == []


def test_early_termination_inside_a_renewed_term(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        initial_term_months=6,
        renewal_months=6,
        notice_months=1,
        early_termination_fee={"kind": "remaining"},
    )
    shop.today("2026-07-10")
    made = shop.run("2026-07-01")
    # January to July, one invoice a month of 399.00
    assert [totals(i) for i in made] == [("399.00", "79.80", "478.80")] * 7
    assert contract_of(shop, contract)["current_term"] == {
        "start": "2026-07-01",
        "end": "2026-12-31",
        "renewals": 1,
    }
    # notice on 10 Jul (earliest end 10 Aug) to stop after 15 Aug: inside the renewed term,
    # committed to 31 Dec 2026
    transition(shop, contract, "terminate", date="2026-08-16")
    shop.today("2026-08-01")
    [august] = shop.run("2026-08-01")
    assert totals(august) == ("399.00", "79.80", "478.80")
    shop.today("2026-08-16")
    [ending] = shop.run("2026-08-16")
    # credit for [16 Aug, 1 Sep), 16 of August's 31 days: −399 × 16/31 = −205.935… → −205.94;
    # fee for what the renewed term had left: 399 × 16/31 + 4 × 399 (Sep–Dec)
    # = 205.935… + 1596 = 1801.935… → 1801.94; net 1596.00, VAT 319.20, gross 1915.20
    by_kind = {x["kind"]: x for x in ending["lines"]}
    assert (by_kind["credit"]["net_amount"], by_kind["fee"]["net_amount"]) == (
        "-205.94",
        "1801.94",
    )
    assert "committed term to 2026-12-31" in by_kind["fee"]["description"]
    assert totals(ending) == ("1596.00", "319.20", "1915.20")
    shop.today("2026-09-01")
    assert shop.run("2026-09-01") == []


# --- suspensions ----------------------------------------------------------------------------------


def test_suspended_over_a_whole_month_bills_nothing_for_it(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
    )
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01")
    assert totals(february) == ("310.00", "62.00", "372.00")
    shop.today("2026-02-25")
    transition(shop, contract, "suspend", date="2026-02-25")
    [credit] = shop.run("2026-02-25")
    # [25 Feb, 1 Mar) = 4 of February's 28 days: −310 × 4/28 = −44.285… → −44.29;
    # VAT −8.858 → −8.86; gross −53.15
    assert periods(credit) == [("2026-02-25", "2026-02-28", "-44.29")]
    assert totals(credit) == ("-44.29", "-8.86", "-53.15")
    shop.today("2026-03-01")
    assert shop.run("2026-03-01") == []  # still suspended: March is not billed
    shop.today("2026-04-01")
    assert shop.run("2026-04-01") == []
    shop.today("2026-04-10")
    transition(shop, contract, "resume", date="2026-04-10")
    assert contract_of(shop, contract)["status"] == "active"
    [resumed] = shop.run("2026-04-10")
    # [10 Apr, 1 May) = 21 of April's 30 days: 310 × 21/30 = 217.00, VAT 43.40
    assert periods(resumed) == [("2026-04-10", "2026-04-30", "217.00")]
    assert totals(resumed) == ("217.00", "43.40", "260.40")
    [may] = shop.run("2026-05-01")
    assert totals(may) == ("310.00", "62.00", "372.00")


def test_quarterly_suspension_across_the_quarter_start(shop: Shop) -> None:
    backup = product(shop, "backup", "900.00", "quarterly")
    contract = shop.contract(
        shop.customer(), "C-1", "2026-01-01", [{"product_id": backup}], billing_alignment="calendar"
    )
    [q1] = shop.run("2026-01-01")
    assert totals(q1) == ("900.00", "180.00", "1080.00")
    shop.today("2026-03-15")
    transition(shop, contract, "suspend", date="2026-03-15")
    [credit] = shop.run("2026-03-15")
    # Q1 has 31 + 28 + 31 = 90 days; [15 Mar, 1 Apr) = 17: −900 × 17/90 = −170.00
    assert totals(credit) == ("-170.00", "-34.00", "-204.00")
    shop.today("2026-04-01")
    assert shop.run("2026-04-01") == []  # Q2 is not billed while suspended
    shop.today("2026-04-15")
    transition(shop, contract, "resume", date="2026-04-15")
    [resumed] = shop.run("2026-04-15")
    # Q2 has 30 + 31 + 30 = 91 days; [15 Apr, 1 Jul) = 16 + 31 + 30 = 77:
    # 900 × 77/91 = 761.538… → 761.54; VAT 152.308 → 152.31; gross 913.85
    assert periods(resumed) == [("2026-04-15", "2026-06-30", "761.54")]
    assert totals(resumed) == ("761.54", "152.31", "913.85")
    shop.today("2026-07-01")
    [q3] = shop.run("2026-07-01")
    assert totals(q3) == ("900.00", "180.00", "1080.00")


def test_terminated_while_suspended_credits_each_day_once(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-01")
    shop.run("2026-03-01")
    shop.today("2026-03-11")
    transition(shop, contract, "suspend", date="2026-03-11")
    [credit] = shop.run("2026-03-11")
    # suspended from 11 Mar with no end yet: [11 Mar, 1 Apr) = 21 of 31 days,
    # −310 × 21/31 = −210.00
    assert totals(credit) == ("-210.00", "-42.00", "-252.00")
    shop.today("2026-03-21")
    transition(shop, contract, "terminate", date="2026-03-21", with_credit=True)
    # [21 Mar, 1 Apr) was already credited by the suspension: nothing more to credit
    assert shop.run("2026-03-21") == []
    shop.today("2026-04-01")
    assert shop.run("2026-04-01") == []
    assert contract_of(shop, contract)["status"] == "terminated"
    # March billed 310.00 − 210.00 = 100.00 net: the 10 days [1 Mar, 11 Mar) in service
    billed = ok(shop.api.get("/v1/invoices", params={"limit": 100}))["data"]
    assert sorted(i["net_total"] for i in billed) == ["-210.00", "310.00"]


def test_annual_line_suspended_for_the_summer(shop: Shop) -> None:
    licence = product(shop, "licence", "3650.00", "annual")
    contract = shop.contract(shop.customer(), "C-1", "2026-03-01", [{"product_id": licence}])
    shop.today("2026-03-01")
    [year] = shop.run("2026-03-01")
    # anniversary: [1 Mar 2026, 1 Mar 2027), 365 days, 3650.00
    assert periods(year) == [("2026-03-01", "2027-02-28", "3650.00")]
    shop.today("2026-06-01")
    transition(shop, contract, "suspend", date="2026-06-01")
    [credit] = shop.run("2026-06-01")
    # no end known: every day left is credited, [1 Jun 2026, 1 Mar 2027) = 273 days,
    # −3650 × 273/365 = −2730.00
    assert periods(credit) == [("2026-06-01", "2027-02-28", "-2730.00")]
    shop.today("2026-09-01")
    transition(shop, contract, "resume", date="2026-09-01")
    [resumed] = shop.run("2026-09-01")
    # [1 Sep 2026, 1 Mar 2027) = 181 days: 3650 × 181/365 = 1810.00 (an adjustment: the year
    # was billed in part); the year comes to 3650 − 2730 + 1810 = 2730.00, the 92 summer days
    # (June, July, August: 3650 × 92/365 = 920.00) left out
    assert periods(resumed) == [("2026-09-01", "2027-02-28", "1810.00")]
    assert [x["adjustment"] for x in resumed["lines"]] == [True]
    shop.today("2027-03-01")
    [next_year] = shop.run("2027-03-01")
    assert periods(next_year) == [("2027-03-01", "2028-02-29", "3650.00")]


def test_a_price_change_during_a_suspension_bills_only_the_days_in_service(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-01")
    shop.run("2026-03-01")
    shop.today("2026-03-11")
    transition(shop, contract, "suspend", date="2026-03-11")
    [credit] = shop.run("2026-03-11")
    assert totals(credit) == ("-210.00", "-42.00", "-252.00")  # −310 × 21/31
    shop.today("2026-03-15")
    amend(
        shop,
        contract,
        "2026-03-20",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    shop.today("2026-03-25")
    transition(shop, contract, "resume", date="2026-03-25")
    [resumed] = shop.run("2026-03-25")
    # at 620.00 from 20 Mar, in service again from 25 Mar: [25 Mar, 1 Apr) = 7 of 31 days,
    # 620 × 7/31 = 140.00; the suspended days [20 Mar, 25 Mar) are billed at neither price
    assert [
        (x["net_amount"], x["contract_version"], x["adjustment"]) for x in resumed["lines"]
    ] == [("140.00", 2, True)]
    assert totals(resumed) == ("140.00", "28.00", "168.00")
    shop.today("2026-04-01")
    [april] = shop.run("2026-04-01")
    assert totals(april) == ("620.00", "124.00", "744.00")


def test_quarterly_in_arrears_suspended_over_the_quarter_end(shop: Shop) -> None:
    support = product(shop, "support", "900.00", "quarterly", timing="in_arrears")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-15")
    transition(shop, contract, "suspend", date="2026-03-15")
    shop.today("2026-04-01")
    [q1] = shop.run("2026-04-01")
    # Q1 (90 days) in service [1 Jan, 15 Mar) = 31 + 28 + 14 = 73 days: 900 × 73/90 = 730.00
    assert periods(q1) == [("2026-01-01", "2026-03-14", "730.00")]
    shop.today("2026-04-15")
    transition(shop, contract, "resume", date="2026-04-15")
    shop.today("2026-07-01")
    [q2] = shop.run("2026-07-01")
    # Q2 (91 days) in service [15 Apr, 1 Jul) = 77 days: 900 × 77/91 = 761.538… → 761.54
    assert periods(q2) == [("2026-04-15", "2026-06-30", "761.54")]
    assert totals(q2) == ("761.54", "152.31", "913.85")


# --- anniversary alignment and month-end anchors --------------------------------------------------


def test_quarterly_anniversary_from_the_31st_of_january_with_a_seat_added(shop: Shop) -> None:
    licence = product(shop, "licence", "900.00", "quarterly")
    contract = shop.contract(shop.customer(), "C-1", "2026-01-31", [{"product_id": licence}])
    [first] = shop.run("2026-01-31")
    # anchor 31 Jan + 3 months = 30 Apr (clamped): [31 Jan, 30 Apr), 900.00
    assert periods(first) == [("2026-01-31", "2026-04-29", "900.00")]
    amend(
        shop,
        contract,
        "2026-03-15",
        {"type": "change_quantity", "line_key": "licence", "quantity": "2"},
    )
    shop.today("2026-03-15")
    [change] = shop.run("2026-03-15")
    # [31 Jan, 30 Apr) has 1 + 28 + 31 + 29 = 89 days; [15 Mar, 30 Apr) = 17 + 29 = 46:
    # credit −900 × 46/89 = −465.168… → −465.17; charge 1800 × 46/89 = 930.337… → 930.34;
    # net 465.17, VAT 93.034 → 93.03, gross 558.20
    assert sorted(periods(change)) == [
        ("2026-03-15", "2026-04-29", "-465.17"),
        ("2026-03-15", "2026-04-29", "930.34"),
    ]
    assert totals(change) == ("465.17", "93.03", "558.20")
    shop.today("2026-04-30")
    [second] = shop.run("2026-04-30")
    # anchor + 6 months = 31 Jul: [30 Apr, 31 Jul), two seats, 1800.00
    assert periods(second) == [("2026-04-30", "2026-07-30", "1800.00")]
    shop.today("2026-07-31")
    [third] = shop.run("2026-07-31")
    # anchor + 9 months = 31 Oct: back on the 31st
    assert periods(third) == [("2026-07-31", "2026-10-30", "1800.00")]


def test_annual_anniversary_from_the_29th_of_february(shop: Shop) -> None:
    licence = product(shop, "licence", "1200.00", "annual")
    contract = shop.contract(shop.customer(), "C-1", "2028-02-29", [{"product_id": licence}])
    shop.today("2028-02-28")
    assert shop.run("2028-02-28") == []  # not started yet
    shop.today("2028-02-29")
    [first] = shop.run("2028-02-29")
    # anchor 29 Feb 2028 + 12 months = 28 Feb 2029 (clamped)
    assert periods(first) == [("2028-02-29", "2029-02-27", "1200.00")]
    shop.today("2029-02-28")
    [second] = shop.run("2029-02-28")
    # anchor + 24 months = 28 Feb 2030 (2030 is a common year too)
    assert periods(second) == [("2029-02-28", "2030-02-27", "1200.00")]
    shop.today("2029-09-01")
    transition(shop, contract, "terminate", date="2029-09-01", with_credit=True)
    [credit] = shop.run("2029-09-01")
    # [28 Feb 2029, 28 Feb 2030) has 365 days; [1 Sep 2029, 28 Feb 2030) =
    # 30 + 31 + 30 + 31 + 31 + 27 = 180: −1200 × 180/365 = −591.780… → −591.78;
    # VAT −118.356 → −118.36; gross −710.14
    assert periods(credit) == [("2029-09-01", "2030-02-27", "-591.78")]
    assert totals(credit) == ("-591.78", "-118.36", "-710.14")


def test_semi_annual_anniversary_from_the_31st_of_march_with_a_price_rise(shop: Shop) -> None:
    support = product(shop, "support", "600.00", "semi_annual")
    contract = shop.contract(shop.customer(), "C-1", "2026-03-31", [{"product_id": support}])
    shop.today("2026-03-31")
    [first] = shop.run("2026-03-31")
    # anchor 31 Mar + 6 months = 30 Sep (clamped): [31 Mar, 30 Sep), 600.00
    assert periods(first) == [("2026-03-31", "2026-09-29", "600.00")]
    amend(
        shop,
        contract,
        "2026-07-01",
        {"type": "change_price", "line_key": "support", "unit_price": "900.00"},
    )
    shop.today("2026-07-01")
    [rise] = shop.run("2026-07-01")
    # [31 Mar, 30 Sep) has 1 + 30 + 31 + 30 + 31 + 31 + 29 = 183 days; [1 Jul, 30 Sep) = 91:
    # credit −600 × 91/183 = −298.360… → −298.36; charge 900 × 91/183 = 447.540… → 447.54;
    # net 149.18, VAT 29.836 → 29.84, gross 179.02
    assert sorted(nets(rise)) == ["-298.36", "447.54"]
    assert totals(rise) == ("149.18", "29.84", "179.02")
    shop.today("2026-09-30")
    [second] = shop.run("2026-09-30")
    # anchor + 12 months = 31 Mar 2027: [30 Sep 2026, 31 Mar 2027) at the new price
    assert periods(second) == [("2026-09-30", "2027-03-30", "900.00")]


def test_monthly_to_annual_on_an_anniversary_line_from_the_31st(shop: Shop) -> None:
    plan = product(shop, "plan", "100.00")
    contract = shop.contract(shop.customer(), "C-1", "2026-01-31", [{"product_id": plan}])
    shop.today("2026-02-28")
    made = shop.run("2026-02-28")
    # anchor 31 Jan → 28 Feb (clamped) → 31 Mar: [31 Jan, 28 Feb), [28 Feb, 31 Mar)
    assert [periods(i) for i in made] == [
        [("2026-01-31", "2026-02-27", "100.00")],
        [("2026-02-28", "2026-03-30", "100.00")],
    ]
    amend(
        shop,
        contract,
        "2026-03-15",
        {"type": "change_periodicity", "line_key": "plan", "periodicity": "annual"},
        {"type": "change_price", "line_key": "plan", "unit_price": "1200.00"},
    )
    shop.today("2026-03-15")
    [change] = shop.run("2026-03-15")
    # the month [28 Feb, 31 Mar) has 31 days, [15 Mar, 31 Mar) = 16 unused:
    # −100 × 16/31 = −51.612… → −51.61. The year counts from the line's start, 31 Jan:
    # [31 Jan 2026, 31 Jan 2027) = 365 days, [15 Mar 2026, 31 Jan 2027) =
    # 17 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 + 30 = 322: 1200 × 322/365 = 1058.630… →
    # 1058.63; net 1007.02, VAT 201.404 → 201.40, gross 1208.42
    assert sorted(periods(change)) == [
        ("2026-03-15", "2026-03-30", "-51.61"),
        ("2026-03-15", "2027-01-30", "1058.63"),
    ]
    assert totals(change) == ("1007.02", "201.40", "1208.42")
    shop.today("2027-01-31")
    [year] = shop.run("2027-01-31")
    assert periods(year) == [("2027-01-31", "2028-01-30", "1200.00")]


# --- ends, backdated terminations and corrections -------------------------------------------------


def test_a_termination_credits_advance_lines_and_bills_arrears_lines_on_one_invoice(
    shop: Shop,
) -> None:
    host = hosting(shop, "310.00")
    support = product(shop, "support", "620.00", timing="in_arrears")
    customer = shop.customer()
    contract = shop.contract(
        customer,
        "C-1",
        "2026-03-01",
        [{"product_id": host}, {"product_id": support}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["310.00"]  # support is billed at the end of its month
    shop.today("2026-03-10")
    transition(shop, contract, "terminate", date="2026-03-21", with_credit=True)
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    # on the end date, 21 Mar: hosting credits [21 Mar, 1 Apr), −310 × 11/31 = −110.00;
    # support bills [1 Mar, 21 Mar), 620 × 20/31 = 400.00; net 290.00, VAT 58.00, gross 348.00
    assert upcoming["billing_date"] == "2026-03-21"
    assert sorted(periods(upcoming)) == [
        ("2026-03-01", "2026-03-20", "400.00"),
        ("2026-03-21", "2026-03-31", "-110.00"),
    ]
    assert totals(upcoming) == ("290.00", "58.00", "348.00")
    shop.today("2026-03-21")
    [ending] = shop.run("2026-03-21")
    assert figures(ending) == figures(upcoming)
    shop.today("2026-04-01")
    assert shop.run("2026-04-01") == []


def test_a_backdated_termination_as_a_credit_note_on_a_part_paid_invoice(shop: Shop) -> None:
    support = product(shop, "support", "600.00", "semi_annual")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": support}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    [h1] = shop.run("2026-01-01", finalize=True)
    # H1 in advance: 600.00, VAT 120.00, gross 720.00
    assert (h1["number"], totals(h1)) == ("F-2026-000001", ("600.00", "120.00", "720.00"))
    shop.today("2026-01-20")
    pay(shop, h1, "300.00")
    # on 10 Apr the customer shows it left on 31 Mar: an admin ends the contract on 1 Apr,
    # before today (forced), crediting the invoiced days
    shop.today("2026-04-10")
    transition(shop, contract, "terminate", date="2026-04-01", forced=True, with_credit=True)
    made = shop.run("2026-04-10")
    [note] = made
    # H1 has 181 days; [1 Apr, 1 Jul) = 30 + 31 + 30 = 91: −600 × 91/181 = −301.657… → −301.66;
    # VAT −60.332 → −60.33; gross −361.99, on a credit note correcting H1's invoice
    assert (note["kind"], note["corrects_invoice_id"], note["billing_date"]) == (
        "credit_note",
        h1["id"],
        "2026-04-01",
    )
    assert totals(note) == ("-301.66", "-60.33", "-361.99")
    issued = finalize(shop, note)
    assert (issued["number"], issued["status"]) == ("AV-2026-000001", "issued")
    settled = ok(shop.api.get(f"/v1/credit-notes/{note['id']}"))["settlement"]
    # 720.00 − 300.00 = 420.00 still owed: the credit cancels 361.99 of it, nothing goes back
    assert settled == {"applied_to_invoice": "361.99", "refunded": "0.00", "to_balance": "0.00"}
    # 720.00 − 300.00 − 361.99 = 58.01 left to pay
    assert due(read(shop, h1)) == ("partially_paid", "300.00", "361.99", "58.01")
    pay(shop, h1, "58.01")
    assert due(read(shop, h1)) == ("paid", "358.01", "361.99", "0.00")


def test_a_backdated_termination_as_adjustments_then_the_balance_refunded(shop: Shop) -> None:
    customer = shop.customer()
    contract = shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": hosting(shop)}], billing_alignment="calendar"
    )
    [january] = shop.run("2026-01-01", finalize=True)
    pay(shop, january, "478.80")
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    pay(shop, february, "478.80")
    # on 10 Feb it turns out the customer left after 24 Jan: ended on 25 Jan, backdated
    shop.today("2026-02-10")
    transition(shop, contract, "terminate", date="2026-01-25", forced=True, with_credit=True)
    made = shop.run("2026-02-10", finalize=True)
    # each credit is dated on its first day, so one invoice per billing date:
    # [25 Jan, 1 Feb) = 7 of 31 days, −399 × 7/31 = −90.096… → −90.10, VAT −18.02, −108.12;
    # February whole, −399.00, VAT −79.80, −478.80
    assert [(i["billing_date"], totals(i)) for i in made] == [
        ("2026-01-25", ("-90.10", "-18.02", "-108.12")),
        ("2026-02-01", ("-399.00", "-79.80", "-478.80")),
    ]
    # finalized, invoices of credits only owe nothing: their amounts go to the balance
    assert [(i["number"], i["status"], i["amount_due"]) for i in made] == [
        ("F-2026-000003", "credited", "0.00"),
        ("F-2026-000004", "credited", "0.00"),
    ]
    # 108.12 + 478.80 = 586.92 for the customer, who has no later invoice: paid back
    assert available(shop, customer) == {"EUR": "586.92"}
    refund = {"amount": "586.93", "currency": "EUR", "reference": "VIR-2026-0042"}
    url = f"/v1/customers/{customer}/balance-refunds"
    assert [e["field"] for e in problem(shop.api.post(url, json=refund), 422)["errors"]] == [
        "amount"
    ]
    ok(shop.api.post(url, json=refund | {"amount": "586.92"}), 201)
    assert available(shop, customer) == {"EUR": "0.00"}
    history = [(e["kind"], e["amount"]) for e in balance(shop, customer)["history"]["data"]]
    assert history == [
        ("refund", "-586.92"),
        ("negative_invoice", "478.80"),
        ("negative_invoice", "108.12"),
    ]


# --- downgrades and the credit balance ------------------------------------------------------------


def test_quarterly_downgrade_credit_pays_part_of_the_next_quarter(shop: Shop) -> None:
    platform = product(shop, "platform", "1200.00", "quarterly")
    customer = shop.customer()
    contract = shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": platform}], billing_alignment="calendar"
    )
    [q1] = shop.run("2026-01-01", finalize=True)
    pay(shop, q1, "1440.00")
    amend(
        shop,
        contract,
        "2026-02-16",
        {"type": "change_price", "line_key": "platform", "unit_price": "600.00"},
    )
    shop.today("2026-02-16")
    [downgrade] = shop.run("2026-02-16", finalize=True)
    # Q1 has 90 days; [16 Feb, 1 Apr) = 13 + 31 = 44: credit −1200 × 44/90 = −586.666… →
    # −586.67, charge 600 × 44/90 = 293.333… → 293.33; net −293.34, VAT −58.668 → −58.67,
    # gross −352.01: owed to the customer, on its balance
    assert sorted(nets(downgrade)) == ["-586.67", "293.33"]
    assert totals(downgrade) == ("-293.34", "-58.67", "-352.01")
    assert due(downgrade) == ("credited", "0.00", "-352.01", "0.00")
    assert available(shop, customer) == {"EUR": "352.01"}
    shop.today("2026-04-01")
    [q2] = shop.run("2026-04-01", finalize=True)
    # Q2 at 600.00 + 120.00 = 720.00, of which the balance pays 352.01: 367.99 left
    assert totals(q2) == ("600.00", "120.00", "720.00")
    assert due(q2) == ("partially_paid", "352.01", "0.00", "367.99")
    assert available(shop, customer) == {"EUR": "0.00"}
    pay(shop, q2, "367.99")
    assert due(read(shop, q2)) == ("paid", "720.00", "0.00", "0.00")


# --- payments and overdue invoices ----------------------------------------------------------------


def test_a_contracts_payment_days_with_the_customers_end_of_month(shop: Shop) -> None:
    customer = shop.customer(payment_terms_days=45, payment_terms_end_of_month=True)
    shop.contract(
        customer,
        "C-A",
        "2026-03-01",
        [{"product_id": hosting(shop)}],
        invoice_grouping="contract",
        payment_terms_days=10,
    )
    shop.contract(
        customer, "C-B", "2026-03-01", [{"product_id": product(shop, "support", "200.00")}]
    )
    shop.today("2026-03-01")
    invoices = {i["contract_id"] or "customer": i for i in shop.run("2026-03-01", finalize=True)}
    own = next(i for key, i in invoices.items() if key != "customer")
    shared = invoices["customer"]
    # C-A: the contract's 10 days, the customer's end of month: 1 Mar + 10 = 11 Mar → 31 Mar;
    # C-B: the customer's 45 days end of month: 1 Mar + 45 = 15 Apr → 30 Apr
    assert (own["due_date"], own["gross_total"]) == ("2026-03-31", "478.80")
    assert (shared["due_date"], shared["gross_total"]) == ("2026-04-30", "240.00")
    shop.today("2026-03-25")
    pay(shop, own, "100.00")
    shop.today("2026-03-31")
    assert read(shop, own)["overdue"] is False  # due today, not late yet
    shop.today("2026-04-01")
    late = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    # 478.80 − 100.00 = 378.80 late; C-B's invoice is not due before 30 Apr
    assert [(i["id"], i["amount_due"]) for i in late] == [(own["id"], "378.80")]
    shop.today("2026-05-01")
    late = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    assert sorted((i["id"], i["amount_due"]) for i in late) == sorted(
        [(own["id"], "378.80"), (shared["id"], "240.00")]
    )
    # the rest is waived by a credit note: C-A's invoice owes nothing and is paid (a payment
    # came in), no longer late
    ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": own["id"], "reason": "commercial gesture", "amount": "378.80"},
        ),
        201,
    )
    assert due(read(shop, own)) == ("paid", "100.00", "378.80", "0.00")
    late = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    assert [i["id"] for i in late] == [shared["id"]]


def test_dollar_goodwill_for_an_american_customer_then_the_rest_refunded(shop: Shop) -> None:
    usd = pricelist(shop, "USD")
    api = priced(shop, usd, "api-usd", "500.00", "monthly")
    customer = shop.customer(
        "Acme Inc.",
        country="US",
        currency="USD",
        address_line1="1 Main Street",
        postal_code="10001",
        city="New York",
    )
    shop.contract(customer, "C-US", "2026-02-01", [{"product_id": api}])
    goodwill = {"amount": "700.00", "currency": "USD", "reason": "outage on 20 January"}
    ok(shop.api.post(f"/v1/customers/{customer}/goodwill-credits", json=goodwill), 201)
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    # outside the EU: export, no French VAT; 500.00 paid from the 700.00 goodwill
    assert (february["currency"], february["tax_treatment"], totals(february)) == (
        "USD",
        "export",
        ("500.00", "0.00", "500.00"),
    )
    assert due(february) == ("paid", "500.00", "0.00", "0.00")
    assert available(shop, customer) == {"USD": "200.00"}
    # the customer asks for the 700.00 − 500.00 = 200.00 left back
    refund = {"amount": "200.00", "currency": "USD", "reference": "WIRE-77", "method": "transfer"}
    ok(shop.api.post(f"/v1/customers/{customer}/balance-refunds", json=refund), 201)
    assert available(shop, customer) == {"USD": "0.00"}
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    assert due(march) == ("finalized", "0.00", "0.00", "500.00")


# --- currencies and legal mentions ----------------------------------------------------------------


def test_yen_reverse_charge_termination_on_a_credit_note(shop: Shop) -> None:
    jpy = pricelist(shop, "JPY")
    plan = priced(shop, jpy, "plan-jpy", "30000", "monthly")
    customer = shop.customer(
        "Datenwerk GmbH",
        country="DE",
        vat_number="DE136695976",
        currency="JPY",
        address_line1="Hauptstr. 1",
        postal_code="10115",
        city="Berlin",
    )
    contract = shop.contract(
        customer,
        "C-JP",
        "2026-03-01",
        [{"product_id": plan}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # a German business with a VAT number: reverse charge, 0 %; whole yen
    assert (march["tax_treatment"], totals(march)) == ("reverse_charge", ("30000", "0", "30000"))
    shop.today("2026-03-21")
    transition(shop, contract, "terminate", date="2026-03-21", with_credit=True)
    [note] = shop.run("2026-03-21")
    # [21 Mar, 1 Apr) = 11 of 31 days: −30000 × 11/31 = −10645.16… → ¥−10645, still at 0 %
    # reverse charge, correcting March's invoice
    assert (note["kind"], note["tax_treatment"], totals(note)) == (
        "credit_note",
        "reverse_charge",
        ("-10645", "0", "-10645"),
    )
    issued = finalize(shop, note)
    assert issued["number"] == "AV-2026-000001"
    text = pdf_text(shop.api, note["id"])
    assert "Autoliquidation : article 196 de la directive 2006/112/CE" in text
    assert "DE136695976" in text and march["number"] in text
    # ¥30000 − ¥10645 = ¥19355 left to pay on March
    assert due(read(shop, march)) == ("finalized", "0", "10645", "19355")


def test_pounds_for_an_irish_business_reverse_charged_in_english(shop: Shop) -> None:
    gbp = pricelist(shop, "GBP")
    plan = priced(shop, gbp, "plan-gbp", "250.00", "monthly")
    customer = shop.customer(
        "Liffey Software Ltd",
        country="IE",
        vat_number="IE6388047V",
        currency="GBP",
        language="en",
        address_line1="1 Grand Canal Square",
        postal_code="D02 P820",
        city="Dublin",
    )
    shop.contract(
        customer, "C-IE", "2026-02-10", [{"product_id": plan}], billing_alignment="calendar"
    )
    shop.today("2026-02-10")
    [february] = shop.run("2026-02-10", finalize=True)
    # [10 Feb, 1 Mar) = 19 of February's 28 days: 250 × 19/28 = 169.642… → £169.64; an EU
    # business with a VAT number of another member state: reverse charge, 0 %
    assert (february["currency"], february["tax_treatment"], totals(february)) == (
        "GBP",
        "reverse_charge",
        ("169.64", "0.00", "169.64"),
    )
    text = pdf_text(shop.api, february["id"])
    assert "Reverse charge (Autoliquidation): article 196 of Council Directive 2006/112/EC" in text
    assert "IE6388047V" in text
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": february["id"], "reason": "late start", "amount": "50.00"},
        ),
        201,
    )
    # at 0 % the gross is the net: £50.00, no VAT; £169.64 − £50.00 = £119.64 left
    assert (note["number"], note["tax_treatment"], totals(note)) == (
        "AV-2026-000001",
        "reverse_charge",
        ("-50.00", "0.00", "-50.00"),
    )
    assert due(read(shop, february)) == ("finalized", "0.00", "50.00", "119.64")
    [march] = shop.run("2026-03-01")
    assert totals(march) == ("250.00", "0.00", "250.00")


# --- numbering ------------------------------------------------------------------------------------


def test_credit_notes_of_a_run_and_by_hand_share_one_series_across_the_year_end(
    shop: Shop,
) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-12-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    shop.today("2026-12-01")
    [december] = shop.run("2026-12-01", finalize=True)
    assert december["number"] == "F-2026-000001"
    by_hand = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": december["id"], "reason": "late start", "amount": "100.00"},
        ),
        201,
    )
    assert by_hand["number"] == "AV-2026-000001"
    amend(
        shop,
        contract,
        "2026-12-16",
        {"type": "change_price", "line_key": "hosting", "unit_price": "199.00"},
    )
    shop.today("2026-12-16")
    made = {i["kind"]: i for i in shop.run("2026-12-16")}
    # [16 Dec, 1 Jan) = 16 of 31 days: credit −399 × 16/31 = −205.935… → −205.94, VAT −41.19,
    # gross −247.13 on a credit note of December; charge 199 × 16/31 = 102.709… → 102.71,
    # VAT 20.54, gross 123.25 on an invoice. Both stay drafts over the year end.
    assert totals(made["credit_note"]) == ("-205.94", "-41.19", "-247.13")
    assert totals(made["invoice"]) == ("102.71", "20.54", "123.25")
    shop.today("2027-01-04")
    # finalized in 2027, each draws its series' first number of 2027
    assert finalize(shop, made["credit_note"])["number"] == "AV-2027-000001"
    assert finalize(shop, made["invoice"])["number"] == "F-2027-000001"
    again = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": december["id"], "reason": "goodwill", "amount": "10.00"},
        ),
        201,
    )
    assert again["number"] == "AV-2027-000002"
    [january] = shop.run("2027-01-01", finalize=True)
    assert (january["number"], totals(january)) == (
        "F-2027-000002",
        ("199.00", "39.80", "238.80"),
    )
    # 478.80 − 100.00 − 247.13 − 10.00 = 121.67 still due on December
    assert due(read(shop, december)) == ("finalized", "0.00", "357.13", "121.67")


# --- previews and billing as of a past day --------------------------------------------------------


def test_a_dry_run_catching_up_over_a_suspension_and_an_end_equals_the_run(shop: Shop) -> None:
    host = hosting(shop, "310.00")
    support = product(shop, "support", "620.00", timing="in_arrears")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": host}, {"product_id": support}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-11")
    transition(shop, contract, "suspend", date="2026-03-11")
    shop.today("2026-03-21")
    transition(shop, contract, "resume", date="2026-03-21")
    transition(shop, contract, "terminate", date="2026-05-16")
    shop.today("2026-06-01")
    dry = dry_run(shop, "2026-06-01")
    assert written(shop) == 0 and contract_of(shop, contract)["status"] == "active"
    real = shop.run("2026-06-01")
    assert [figures(i) for i in real] == [figures(i) for i in dry]
    # in service [1 Mar, 11 Mar) and from 21 Mar to the end, 16 May:
    # 1 Mar: hosting 310 × 10/31 = 100.00; 21 Mar: hosting 310 × 11/31 = 110.00;
    # 1 Apr: hosting April 310.00, support March 620 × 10/31 = 200.00 and 620 × 11/31 = 220.00;
    # 1 May: hosting [1 May, 16 May) 310 × 15/31 = 150.00, support April 620.00;
    # 16 May: support [1 May, 16 May) 620 × 15/31 = 300.00
    assert [(i["billing_date"], sorted(nets(i)), totals(i)) for i in real] == [
        ("2026-03-01", ["100.00"], ("100.00", "20.00", "120.00")),
        ("2026-03-21", ["110.00"], ("110.00", "22.00", "132.00")),
        ("2026-04-01", ["200.00", "220.00", "310.00"], ("730.00", "146.00", "876.00")),
        ("2026-05-01", ["150.00", "620.00"], ("770.00", "154.00", "924.00")),
        ("2026-05-16", ["300.00"], ("300.00", "60.00", "360.00")),
    ]
    assert contract_of(shop, contract)["status"] == "terminated"
    assert dry_run(shop, "2026-06-01") == []


def test_the_upcoming_invoice_counts_a_contract_activating_on_a_date(shop: Shop) -> None:
    customer = shop.customer()
    support = product(shop, "support", "200.00")
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": support}])
    # signed on 15 Jan, the second contract is pending until it activates itself on 1 Mar
    body = {
        "customer_id": customer,
        "reference": "C-2",
        "start_date": "2026-03-01",
        "lines": [{"product_id": hosting(shop)}],
        "activation": {"condition": "at_date", "on": "2026-03-01"},
    }
    waiting = ok(shop.api.post("/v1/contracts", json=body), 201)["id"]
    ok(shop.api.post(f"/v1/contracts/{waiting}/transitions", json={"action": "submit"}), 201)
    assert contract_of(shop, waiting)["status"] == "pending"
    shop.today("2026-02-01")
    shop.run("2026-02-01")
    shop.today("2026-02-20")
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    # the run of 1 Mar activates C-2 and bills its first month with C-1's March:
    # 399.00 + 200.00 = 599.00, VAT 119.80, gross 718.80
    assert upcoming["billing_date"] == "2026-03-01"
    assert sorted(x["net_amount"] for x in upcoming["lines"]) == ["200.00", "399.00"]
    assert totals(upcoming) == ("599.00", "119.80", "718.80")
    assert contract_of(shop, waiting)["status"] == "pending"  # a preview activates nothing
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01")
    assert figures(march) == figures(upcoming)
    assert contract_of(shop, waiting)["status"] == "active"


def test_billing_as_of_past_days_knows_only_the_terms_in_force_then(shop: Shop) -> None:
    shop.today("2026-06-10")
    customer = shop.customer()
    contract = shop.contract(
        customer,
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
    )
    # agreed today, in force since 15 Apr: applied at once
    made = amend(
        shop,
        contract,
        "2026-04-15",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    assert made["status"] == "applied"
    assert contract_of(shop, contract, as_of="2026-04-01")["version"] == 1
    assert contract_of(shop, contract, as_of="2026-04-15")["version"] == 2
    first = shop.run("2026-04-01")
    # as of 1 Apr the new price was not in force: March and April at 310.00, no adjustment
    assert [(i["billing_date"], periods(i)) for i in first] == [
        ("2026-03-01", [("2026-03-01", "2026-03-31", "310.00")]),
        ("2026-04-01", [("2026-04-01", "2026-04-30", "310.00")]),
    ]
    second = shop.run("2026-05-01")
    # as of 1 May: April from 15 Apr (16 of 30 days) credited −310 × 16/30 = −165.333… →
    # −165.33 and charged 620 × 16/30 = 330.666… → 330.67, dated 15 Apr; May at 620.00
    assert [(i["billing_date"], sorted(nets(i))) for i in second] == [
        ("2026-04-15", ["-165.33", "330.67"]),
        ("2026-05-01", ["620.00"]),
    ]
    [june] = shop.run("2026-06-01")
    assert totals(june) == ("620.00", "124.00", "744.00")
    assert shop.run("2026-06-10") == []


# --- more ends and corrections: settings, notice in days, immediate ends, no renewal --------------


def test_without_termination_credit_arrears_days_after_a_backdated_end_are_credited(
    shop: Shop,
) -> None:
    host = hosting(shop, "310.00")
    support = product(shop, "support", "620.00", timing="in_arrears")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": host}, {"product_id": support}],
        billing_alignment="calendar",
        credit_on_termination=False,
    )
    shop.today("2026-03-01")
    shop.run("2026-03-01")
    shop.today("2026-04-01")
    [april] = shop.run("2026-04-01")
    # hosting April in advance 310.00, support March in arrears 620.00
    assert sorted(nets(april)) == ["310.00", "620.00"]
    # on 10 Apr it turns out the customer left after 20 Mar: ended on 21 Mar, backdated
    shop.today("2026-04-10")
    # Support's March, billed in arrears up to 31 Mar, will be credited in part whatever the
    # setting: the end is refused until the credit is acknowledged, naming the field and the
    # last day billed in arrears (hosting's April, in advance, stays billed: not counted)
    body = {"action": "terminate", "reason": "left", "date": "2026-03-21", "forced": True}
    refused = shop.api.post(f"/v1/contracts/{contract}/transitions", json=body)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "date"
    assert "before 2026-03-31, already invoiced" in refused.text
    transition(shop, contract, "terminate", date="2026-03-21", forced=True, with_credit=True)
    [credit] = shop.run("2026-04-10")
    # no credit on termination: the hosting days billed in advance (21–31 Mar, April) stay
    # billed. Support was billed in arrears for days after the end, which it never served:
    # [21 Mar, 1 Apr) = 11 of 31 days, −620 × 11/31 = −220.00, VAT −44.00, gross −264.00
    assert [(x["line_key"], x["period_start"], x["period_last_day"]) for x in credit["lines"]] == [
        ("support", "2026-03-21", "2026-03-31")
    ]
    assert totals(credit) == ("-220.00", "-44.00", "-264.00")
    shop.today("2026-05-01")
    assert shop.run("2026-05-01") == []


def test_a_suspension_credit_note_on_a_paid_invoice_pays_the_next_one(shop: Shop) -> None:
    customer = shop.customer()
    contract = shop.contract(
        customer,
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    pay(shop, march, "372.00")
    shop.today("2026-03-11")
    transition(shop, contract, "suspend", date="2026-03-11")
    shop.today("2026-03-21")
    transition(shop, contract, "resume", date="2026-03-21")
    [note] = shop.run("2026-03-21")
    # suspended [11 Mar, 21 Mar) = 10 of 31 days: −310 × 10/31 = −100.00, VAT −20.00,
    # −120.00, on a credit note correcting March
    assert (note["kind"], note["corrects_invoice_id"], totals(note)) == (
        "credit_note",
        march["id"],
        ("-100.00", "-20.00", "-120.00"),
    )
    assert finalize(shop, note)["number"] == "AV-2026-000001"
    # March was paid: nothing left to cancel, the 120.00 goes to the customer's balance
    settled = ok(shop.api.get(f"/v1/credit-notes/{note['id']}"))["settlement"]
    assert settled == {"applied_to_invoice": "0.00", "refunded": "0.00", "to_balance": "120.00"}
    assert due(read(shop, march)) == ("paid", "372.00", "0.00", "0.00")
    shop.today("2026-04-01")
    [april] = shop.run("2026-04-01", finalize=True)
    # April 372.00, of which the balance pays 120.00: 252.00 left
    assert due(april) == ("partially_paid", "120.00", "0.00", "252.00")
    assert available(shop, customer) == {"EUR": "0.00"}


def test_without_renewal_the_contract_rolls_on_uncommitted_and_ends_without_a_fee(
    shop: Shop,
) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
        initial_term_months=3,
        renewal_months=3,
        notice_months=1,
        early_termination_fee={"kind": "fixed", "amount": "500.00"},
    )
    # the customer will not renew after its first term (ending 31 Mar)
    amend(shop, contract, "2026-02-01", {"type": "change_term", "no_renewal": True})
    shop.today("2026-04-20")
    made = shop.run("2026-04-01")
    # billing follows the line, not the term: January to April, 399.00 each
    assert [totals(i) for i in made] == [("399.00", "79.80", "478.80")] * 4
    after = contract_of(shop, contract)
    # past its committed term, with no renewal: no term, no notice deadline, never renewed
    assert (after["current_term"], after["notice_deadline"], after["renewal_count"]) == (
        {"start": "2026-04-01", "end": None, "renewals": 0},
        None,
        0,
    )
    # notice on 20 Apr (one month: the earliest end is 20 May); nothing committed, so no fee
    transition(shop, contract, "terminate", date="2026-05-20")
    shop.today("2026-05-01")
    [may] = shop.run("2026-05-01")
    assert totals(may) == ("399.00", "79.80", "478.80")
    shop.today("2026-05-20")
    [credit] = shop.run("2026-05-20")
    # [20 May, 1 Jun) = 12 of 31 days: −399 × 12/31 = −154.451… → −154.45; no fee line
    assert [(x["kind"], x["net_amount"]) for x in credit["lines"]] == [("credit", "-154.45")]


def test_a_catch_up_over_two_renewals_and_the_contracts_due_to_renew(shop: Shop) -> None:
    host = hosting(shop)
    quarterly = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": host}],
        billing_alignment="calendar",
        initial_term_months=3,
        renewal_months=3,
    )
    shop.contract(
        shop.customer("Libre SAS"),
        "C-2",
        "2026-01-01",
        [{"product_id": host, "unit_price": "199.00"}],
    )
    shop.today("2026-07-01")
    assert len(dry_run(shop, "2026-07-01")) == 14
    # a dry run records nothing, renewals included
    assert contract_of(shop, quarterly)["renewal_count"] == 0
    made = shop.run("2026-07-01")
    # January to July for both contracts: 7 + 7 invoices
    assert len(made) == 14
    renewed = contract_of(shop, quarterly)
    # renewed on 1 Apr and 1 Jul: the term [1 Jul, 1 Oct) is its third
    assert (renewed["renewal_count"], renewed["last_renewed_on"], renewed["current_term"]) == (
        2,
        "2026-07-01",
        {"start": "2026-07-01", "end": "2026-09-30", "renewals": 2},
    )

    def due_before(day: str) -> list[str]:
        listed = ok(shop.api.get("/v1/contracts", params={"renewal_due_before": day}))["data"]
        return [c["reference"] for c in listed]

    # the next renewal is on 1 Oct, the day after the term's last day; C-2 has no term
    assert due_before("2026-10-01") == []
    assert due_before("2026-10-02") == ["C-1"]


def test_an_immediate_termination_by_an_admin_skips_the_notice(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
        notice_months=1,
    )
    shop.today("2026-03-01")
    shop.run("2026-03-01")
    shop.today("2026-03-12")
    transition(shop, contract, "terminate", mode="immediately", with_credit=True)
    assert contract_of(shop, contract)["status"] == "terminated"
    last = ok(shop.api.get(f"/v1/contracts/{contract}/transitions"))[-1]
    # ending today skips the month of notice: recorded as forced
    assert (last["action"], last["effective_date"], last["forced"]) == (
        "terminate",
        "2026-03-12",
        True,
    )
    [credit] = shop.run("2026-03-12")
    # [12 Mar, 1 Apr) = 20 of 31 days: −310 × 20/31 = −200.00, VAT −40.00
    assert totals(credit) == ("-200.00", "-40.00", "-240.00")


def test_notice_counted_in_days(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop, "310.00")}],
        billing_alignment="calendar",
        notice_days=30,
    )
    shop.today("2026-03-31")
    url = f"/v1/contracts/{contract}/transitions"
    body = {"action": "terminate", "date": "2026-04-29", "reason": "leaving"}
    refused = problem(shop.api.post(url, json=body), 422)
    # 30 days from 31 Mar: ending on 30 Apr needs notice by 31 Mar, ending on 29 Apr by 30 Mar
    assert [e["field"] for e in refused["errors"]] == ["date"]
    assert "2026-04-30 at the earliest" in refused["detail"]
    transition(shop, contract, "terminate", date="2026-04-30")
    [march] = shop.run("2026-03-01")
    shop.today("2026-04-01")
    [april] = shop.run("2026-04-01")
    # the end is not in force yet on 1 Apr: April is billed whole, 310.00
    assert (nets(march), nets(april)) == (["310.00"], ["310.00"])
    shop.today("2026-04-30")
    [credit] = shop.run("2026-04-30")
    # its last day 30 Apr unused: −310 × 1/30 = −10.333… → −10.33, VAT −2.066 → −2.07
    assert periods(credit) == [("2026-04-30", "2026-04-30", "-10.33")]
    assert totals(credit) == ("-10.33", "-2.07", "-12.40")


def test_a_voided_months_days_are_not_credited_again_by_a_termination(shop: Shop) -> None:
    """February is voided (billed by mistake), then the contract ends on 15 Feb: the void gave
    February back whole, so the end credits nothing more. Beside it, the same contract whose
    February stands gets the unused days back."""
    voided_customer, kept_customer = shop.customer("Voided SAS"), shop.customer("Kept SAS")
    lines = [{"product_id": hosting(shop)}]
    voided = shop.contract(
        voided_customer, "C-1", "2026-01-01", lines, billing_alignment="calendar"
    )
    kept = shop.contract(kept_customer, "C-2", "2026-01-01", lines, billing_alignment="calendar")
    shop.run("2026-01-01", finalize=True)
    shop.today("2026-02-01")
    february = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    shop.today("2026-02-10")
    url = f"/v1/invoices/{february[voided_customer]['id']}/void"
    ok(shop.api.post(url, json={"reason": "billed by mistake"}), 201)
    assert read(shop, february[voided_customer])["status"] == "voided"
    for contract in (voided, kept):
        transition(shop, contract, "terminate", date="2026-02-15", forced=True, with_credit=True)
    shop.today("2026-02-15")
    made = shop.run("2026-02-15", finalize=True)
    # Kept SAS: [15 Feb, 1 Mar) = 14 of 28 days, −399 × 14/28 = −199.50, VAT −39.90, −239.40.
    # Voided SAS: those days were given back by the void (478.80 whole): nothing
    assert [(i["customer_id"], totals(i)) for i in made] == [
        (kept_customer, ("-199.50", "-39.90", "-239.40"))
    ]
    assert available(shop, voided_customer) == {}
    # and a later run does not find the credit again
    shop.today("2026-03-01")
    assert [i["customer_id"] for i in shop.run("2026-03-01", finalize=True)] == []


def test_days_of_a_partly_credited_invoice_are_credited_by_a_note_never_twice(
    shop: Shop,
) -> None:
    """Adjustment contracts whose February was partly given back by a goodwill credit note, then
    ended on 15 Feb: the unused days go back on a credit note against February (not as a line
    of the next invoice), so what February gives back never exceeds what it billed; a note that
    would is held back as a draft for a person."""
    small, large = shop.customer("Small goodwill SAS"), shop.customer("Large goodwill SAS")
    lines = [{"product_id": hosting(shop)}]
    contracts = [
        shop.contract(customer, f"C-{n}", "2026-01-01", lines, billing_alignment="calendar")
        for n, customer in enumerate((small, large), 1)
    ]
    shop.run("2026-01-01", finalize=True)
    shop.today("2026-02-01")
    february = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    shop.today("2026-02-10")
    for customer, amount in ((small, "100.00"), (large, "300.00")):
        body = {"invoice_id": february[customer]["id"], "reason": "goodwill", "amount": amount}
        ok(shop.api.post("/v1/credit-notes", json=body), 201)
    for contract in contracts:
        transition(shop, contract, "terminate", date="2026-02-15", forced=True, with_credit=True)
    shop.today("2026-02-15")
    made = {i["customer_id"]: i for i in shop.run("2026-02-15", finalize=True)}
    # [15 Feb, 1 Mar) = 14 of 28 days: −399 × 14/28 = −199.50, VAT −39.90, gross −239.40
    for customer in (small, large):
        note = made[customer]
        assert (note["kind"], note["corrects_invoice_id"]) == (
            "credit_note",
            february[customer]["id"],
        )
        assert totals(note) == ("-199.50", "-39.90", "-239.40")
    # Small: 478.80 − 100.00 = 378.80 left ≥ 239.40: issued; February keeps
    # 378.80 − 239.40 = 139.40 creditable
    assert made[small]["status"] == "issued"
    assert read(shop, february[small])["amount_credited"] == "339.40"  # 100.00 + 239.40
    # Large: 478.80 − 300.00 = 178.80 left < 239.40: held back, and finalizing it says why
    assert made[large]["status"] == "draft"
    refused = shop.api.post(f"/v1/invoices/{made[large]['id']}/finalize")
    assert refused.status_code == 409
    assert "239.40" in refused.text and "178.80" in refused.text
    assert read(shop, february[large])["amount_credited"] == "300.00"
