"""More worked cases from the trade: recurring billing and the documents it makes.

A French SaaS company's accountant checks, through the public REST API and the `tarif` command
line only, what `tests/acceptance/test_trade_cases.py` leaves out: other periodicities, the end
of February on anniversary contracts, in-arrears ends, downgrades and plan changes, suspensions
inside a quarter, renewals, coupons, invoice discounts, currencies, printed legal mentions,
credit notes, payments, the credit balance, voids, numbering, draft edits and explanations.

Every expected figure is computed by hand from the billing rules (docs/billing-rules.md, which
follows the project's domain reference) in the comment beside it. The test clock reads
15 Jan 2026; a case that needs a later "today" moves it forward. The seller is French (VAT 20 %
on standard products); amounts are JSON strings.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals


def product(
    shop: Shop,
    code: str,
    price: str,
    periodicity: str = "monthly",
    timing: str = "in_advance",
    vat_category: str = "standard",
) -> str:
    """A recurring product priced in the shop's EUR pricelist, with its VAT category."""
    created = ok(
        shop.api.post(
            "/v1/products",
            json={
                "code": code,
                "name_en": code,
                "kind": "recurring",
                "vat_category": vat_category,
            },
        ),
        201,
    )
    entry = {
        "product_id": created["id"],
        "unit_price": price,
        "periodicity": periodicity,
        "timing": timing,
    }
    ok(shop.api.post(f"/v1/pricelists/{shop.pricelist_id}/entries", json=entry), 201)
    return str(created["id"])


def amend(shop: Shop, contract: str, effective: str, *changes: dict[str, Any]) -> dict[str, Any]:
    body = {
        "effective_date": effective,
        "reason": "customer request",
        "schedule": True,
        "changes": list(changes),
    }
    made: dict[str, Any] = ok(shop.api.post(f"/v1/contracts/{contract}/amendments", json=body), 201)
    return made


def transition(shop: Shop, contract: str, action: str, **fields: Any) -> None:
    body = {"action": action, "reason": "customer request"} | fields
    ok(shop.api.post(f"/v1/contracts/{contract}/transitions", json=body), 201)


def of_customer(invoices: list[dict[str, Any]], customer: str) -> list[dict[str, Any]]:
    return [i for i in invoices if i["customer_id"] == customer]


def periods(invoice: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(x["period_start"], x["period_last_day"], x["net_amount"]) for x in invoice["lines"]]


def pdf_text(api: TestClient, invoice_id: str) -> str:
    """What a reader of the issued PDF sees (pdftotext), runs of spaces collapsed."""
    response = api.get(f"/v1/invoices/{invoice_id}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    read = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=response.content,
        capture_output=True,
        check=True,
    )
    text = read.stdout.decode().replace("\u00a0", " ").replace("\u202f", " ")
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


# --- periodicities --------------------------------------------------------------------------------


def test_semi_annual_calendar_from_mid_may(shop: Shop) -> None:
    support = product(shop, "support", "1200.00", "semi_annual")
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-05-10",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    [first] = shop.run("2026-05-10")
    # H1 2026 = [1 Jan, 1 Jul) = 31 + 28 + 31 + 30 + 31 + 30 = 181 days; [10 May, 1 Jul) uses
    # 22 + 30 = 52: 1200 × 52/181 = 344.7513… → 344.75; VAT 68.95; gross 413.70
    assert periods(first) == [("2026-05-10", "2026-06-30", "344.75")]
    assert totals(first) == ("344.75", "68.95", "413.70")
    assert shop.run("2026-06-30") == []
    [second] = shop.run("2026-07-01")
    # H2 whole, [1 Jul, 1 Jan 2027): 1200.00, VAT 240.00
    assert periods(second) == [("2026-07-01", "2026-12-31", "1200.00")]
    assert totals(second) == ("1200.00", "240.00", "1440.00")


def test_semi_annual_anniversary_from_the_31st_of_august(shop: Shop) -> None:
    support = product(shop, "support", "1200.00", "semi_annual")
    kept, ended = shop.customer("Garde SAS"), shop.customer("Part SAS")
    shop.contract(
        kept, "C-1", "2026-08-31", [{"product_id": support}], billing_alignment="anniversary"
    )
    leaving = shop.contract(
        ended, "C-2", "2026-08-31", [{"product_id": support}], billing_alignment="anniversary"
    )
    first = shop.run("2026-08-31")
    # anchor 31 Aug 2026 + 6 months = 28 Feb 2027 (February 2027 has 28 days), + 12 = 31 Aug 2027:
    # whole periods, 1200.00 each
    assert [periods(i) for i in first] == [[("2026-08-31", "2027-02-27", "1200.00")]] * 2
    shop.today("2026-12-01")
    transition(shop, leaving, "terminate", date="2026-12-01", with_credit=True)
    [credit] = shop.run("2026-12-01")
    # [31 Aug 2026, 28 Feb 2027) has 1 + 30 + 31 + 30 + 31 + 31 + 27 = 181 days; [1 Dec, 28 Feb)
    # = 31 + 31 + 27 = 89 unused: −1200 × 89/181 = −590.0552… → −590.06
    assert (credit["customer_id"], periods(credit)) == (
        ended,
        [("2026-12-01", "2027-02-27", "-590.06")],
    )
    assert shop.run("2027-02-27") == []
    [second] = shop.run("2027-02-28")
    assert (second["customer_id"], periods(second)) == (
        kept,
        [("2027-02-28", "2027-08-30", "1200.00")],
    )


def test_every_ten_days_counts_from_the_start_and_credits_a_termination(shop: Shop) -> None:
    backup = product(shop, "backup", "50.00", "every_10_days")
    # every N days has no calendar boundary: counted from the line's start even on a calendar
    # contract
    contract = shop.contract(
        shop.customer(), "C-1", "2026-01-15", [{"product_id": backup}], billing_alignment="calendar"
    )
    made = [(i["billing_date"], periods(i)) for i in shop.run("2026-02-04")]
    # [15 Jan, 25 Jan), [25 Jan, 4 Feb), [4 Feb, 14 Feb): one invoice per due day, 50.00 each
    assert made == [
        ("2026-01-15", [("2026-01-15", "2026-01-24", "50.00")]),
        ("2026-01-25", [("2026-01-25", "2026-02-03", "50.00")]),
        ("2026-02-04", [("2026-02-04", "2026-02-13", "50.00")]),
    ]
    shop.today("2026-02-10")
    transition(shop, contract, "terminate", date="2026-02-10", with_credit=True)
    [credit] = shop.run("2026-02-10")
    # [10 Feb, 14 Feb) = 4 of the period's 10 days unused: −50 × 4/10 = −20.00, VAT −4.00
    assert periods(credit) == [("2026-02-10", "2026-02-13", "-20.00")]
    assert totals(credit) == ("-20.00", "-4.00", "-24.00")
    assert shop.run("2026-02-14") == []


def test_every_two_weeks_calendar_in_arrears_from_a_thursday_to_an_end(shop: Shop) -> None:
    desk = product(shop, "desk", "140.00", "every_2_weeks", "in_arrears")
    # calendar weeks start on Monday: 12 Jan 2026 is the Monday of Thursday 15 Jan's week, so the
    # grid runs [12 Jan, 26 Jan), [26 Jan, 9 Feb), [9 Feb, 23 Feb)
    contract = shop.contract(
        shop.customer(), "C-1", "2026-01-15", [{"product_id": desk}], billing_alignment="calendar"
    )
    assert shop.run("2026-01-25") == []  # in arrears: due at the period's end
    [first] = shop.run("2026-01-26")
    # [15 Jan, 26 Jan) = 11 of 14 days: 140 × 11/14 = 110.00
    assert periods(first) == [("2026-01-15", "2026-01-25", "110.00")]
    shop.today("2026-02-01")
    # ends on Thursday 5 Feb (first day no longer covered); nothing of it is invoiced yet
    transition(shop, contract, "terminate", date="2026-02-05")
    [last] = shop.run("2026-02-05")
    # due on the line's end: [26 Jan, 5 Feb) = 10 of 14 days: 140 × 10/14 = 100.00, VAT 20.00
    assert (last["billing_date"], periods(last)) == (
        "2026-02-05",
        [("2026-01-26", "2026-02-04", "100.00")],
    )
    assert totals(last) == ("100.00", "20.00", "120.00")
    assert shop.run("2026-02-09") == []


# --- anniversaries across February ----------------------------------------------------------------


def test_anniversary_from_the_29th_30th_and_31st_in_a_common_and_a_leap_year(shop: Shop) -> None:
    plan = product(shop, "plan", "290.00")
    common, leap, last = (
        shop.customer("Commune SAS"),
        shop.customer("Bissextile SAS"),
        shop.customer("Trente-et-un SAS"),
    )
    shop.contract(
        common, "C-2027", "2027-01-29", [{"product_id": plan}], billing_alignment="anniversary"
    )
    seen = []
    for day in ("2027-01-29", "2027-02-28", "2027-03-29"):
        [invoice] = of_customer(shop.run(day), common)
        seen += periods(invoice)
    # 2027 is a common year: anchor 29 Jan → 28 Feb (clamped) → 29 Mar → 29 Apr, whole months
    assert seen == [
        ("2027-01-29", "2027-02-27", "290.00"),
        ("2027-02-28", "2027-03-28", "290.00"),
        ("2027-03-29", "2027-04-28", "290.00"),
    ]
    contract = shop.contract(
        leap, "C-2028", "2028-01-30", [{"product_id": plan}], billing_alignment="anniversary"
    )
    shop.contract(
        last, "C-2028-31", "2028-01-31", [{"product_id": plan}], billing_alignment="anniversary"
    )
    [january] = of_customer(shop.run("2028-01-30"), leap)
    # 2028 is a leap year: anchor 30 Jan → 29 Feb → 30 Mar
    assert periods(january) == [("2028-01-30", "2028-02-28", "290.00")]
    months = [periods(i) for i in of_customer(shop.run("2028-01-31"), last)]
    shop.today("2028-02-15")
    transition(shop, contract, "terminate", date="2028-02-15", with_credit=True)
    [credit] = of_customer(shop.run("2028-02-15"), leap)
    # [30 Jan, 29 Feb) has 30 days; [15 Feb, 29 Feb) = 14 unused: −290 × 14/30 = −135.333… →
    # −135.33; VAT −27.066 → −27.07
    assert periods(credit) == [("2028-02-15", "2028-02-28", "-135.33")]
    assert totals(credit) == ("-135.33", "-27.07", "-162.40")
    made = shop.run("2028-02-29")
    assert of_customer(made, leap) == []
    months += [periods(i) for i in of_customer(made, last)]
    months += [periods(i) for i in of_customer(shop.run("2028-03-31"), last)]
    # anchor 31 Jan 2028 → 29 Feb (clamped, leap year) → 31 Mar → 30 Apr
    assert months == [
        [("2028-01-31", "2028-02-28", "290.00")],
        [("2028-02-29", "2028-03-30", "290.00")],
        [("2028-03-31", "2028-04-29", "290.00")],
    ]


# --- in arrears, changes, suspensions, renewals ---------------------------------------------------


def test_in_arrears_monthly_from_mid_month_to_a_mid_month_end(shop: Shop) -> None:
    support = product(shop, "support", "310.00", timing="in_arrears")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-10",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    assert shop.run("2026-01-31") == []
    [january] = shop.run("2026-02-01")
    # [10 Jan, 1 Feb) = 22 of 31 days: 310 × 22/31 = 220.00, VAT 44.00
    assert periods(january) == [("2026-01-10", "2026-01-31", "220.00")]
    assert totals(january) == ("220.00", "44.00", "264.00")
    [february] = shop.run("2026-03-01")
    assert periods(february) == [("2026-02-01", "2026-02-28", "310.00")]
    shop.today("2026-03-02")
    transition(shop, contract, "terminate", date="2026-03-16")
    assert shop.run("2026-03-15") == []
    [march] = shop.run("2026-03-16")
    # due on the end: [1 Mar, 16 Mar) = 15 of 31 days: 310 × 15/31 = 150.00, VAT 30.00
    assert (march["billing_date"], periods(march)) == (
        "2026-03-16",
        [("2026-03-01", "2026-03-15", "150.00")],
    )
    assert totals(march) == ("150.00", "30.00", "180.00")
    assert shop.run("2026-04-01") == []


def test_downgrade_of_price_and_quantity_together_mid_period(shop: Shop) -> None:
    seats = product(shop, "seats", "100.00")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-04-01",
        [{"product_id": seats, "quantity": "5"}],
        billing_alignment="calendar",
    )
    [april] = shop.run("2026-04-01")
    assert totals(april) == ("500.00", "100.00", "600.00")  # 5 × 100.00
    amend(
        shop,
        contract,
        "2026-04-21",
        {"type": "change_quantity", "line_key": "seats", "quantity": "3"},
        {"type": "change_price", "line_key": "seats", "unit_price": "80.00"},
    )
    [change] = shop.run("2026-04-21")
    # April has 30 days, [21 Apr, 1 May) = 10: credit −5 × 100 × 10/30 = −166.666… → −166.67;
    # charge 3 × 80 × 10/30 = 80.00; net −86.67, VAT −17.334 → −17.33, gross −104.00
    assert sorted(nets(change)) == ["-166.67", "80.00"]
    assert totals(change) == ("-86.67", "-17.33", "-104.00")
    [may] = shop.run("2026-05-01")
    # 3 × 80.00 = 240.00
    assert totals(may) == ("240.00", "48.00", "288.00")


def test_plan_change_between_two_pricelist_products_on_an_anniversary_contract(
    shop: Shop,
) -> None:
    starter = product(shop, "starter", "155.00")
    pro = product(shop, "pro", "465.00")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-20",
        [{"product_id": starter}],
        billing_alignment="anniversary",
    )
    [first] = shop.run("2026-02-20")
    assert periods(first) == [("2026-02-20", "2026-03-19", "155.00")]
    amend(
        shop,
        contract,
        "2026-03-06",
        {"type": "remove_line", "line_key": "starter"},
        {"type": "add_line", "line": {"product_id": pro}},
    )
    [change] = shop.run("2026-03-06")
    # starter: [20 Feb, 20 Mar) has 28 days, [6 Mar, 20 Mar) = 14 unused: −155 × 14/28 = −77.50;
    # pro starts on 6 Mar and, anniversary, its periods start on its own start: [6 Mar, 6 Apr)
    # whole, at the pricelist's 465.00
    assert sorted(periods(change)) == [
        ("2026-03-06", "2026-03-19", "-77.50"),
        ("2026-03-06", "2026-04-05", "465.00"),
    ]
    assert totals(change) == ("387.50", "77.50", "465.00")
    explained = ok(shop.api.get(f"/v1/invoices/{change['id']}/explain"))["lines"]
    # unit prices (up to 6 decimals) read without trailing zeros; amounts keep the minor unit
    assert sorted((x["line_key"], x["price_source"], x["unit_price"]) for x in explained) == [
        ("pro", "pricelist", "465"),
        ("starter", "pricelist", "155"),
    ]
    assert shop.run("2026-03-20") == []  # starter is gone: nothing on its old anniversary
    [april] = shop.run("2026-04-06")
    assert periods(april) == [("2026-04-06", "2026-05-05", "465.00")]


def test_suspension_then_resumption_inside_one_quarter_billed_in_advance(shop: Shop) -> None:
    support = product(shop, "support", "900.00", "quarterly")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    [q1] = shop.run("2026-01-01")
    assert nets(q1) == ["900.00"]
    shop.today("2026-02-01")
    transition(shop, contract, "suspend", date="2026-02-01")
    [suspended] = shop.run("2026-02-01")
    # Q1 has 90 days; suspended from 1 Feb with no end known: [1 Feb, 1 Apr) = 28 + 31 = 59 days
    # credited, −900 × 59/90 = −590.00
    assert periods(suspended) == [("2026-02-01", "2026-03-31", "-590.00")]
    shop.today("2026-02-15")
    transition(shop, contract, "resume", date="2026-02-15")
    [resumed] = shop.run("2026-02-15")
    # resumed on 15 Feb: [15 Feb, 1 Apr) = 14 + 31 = 45 days billed again, 900 × 45/90 = 450.00;
    # Q1 then bills 900 − 590 + 450 = 760.00 = 900 × 76/90, the 76 days not suspended
    assert periods(resumed) == [("2026-02-15", "2026-03-31", "450.00")]
    [q2] = shop.run("2026-04-01")
    assert periods(q2) == [("2026-04-01", "2026-06-30", "900.00")]


def test_renewal_at_the_end_of_the_committed_term_and_a_fixed_term_that_ends(
    shop: Shop,
) -> None:
    licence = product(shop, "licence", "1200.00", "annual")
    renewing, fixed = shop.customer("Renouvelle SAS"), shop.customer("Fixe SAS")
    renews = shop.contract(
        renewing,
        "C-RENEW",
        "2026-03-01",
        [{"product_id": licence}],
        initial_term_months=12,
        renewal_months=12,
        notice_months=1,
    )
    ends = shop.contract(
        fixed, "C-FIXED", "2026-03-01", [{"product_id": licence}], end_date="2027-02-28"
    )
    first = {i["customer_id"]: i for i in shop.run("2026-03-01")}
    # anniversary (the default): [1 Mar 2026, 1 Mar 2027) whole, 1200.00 each
    assert {c: periods(i) for c, i in first.items()} == {
        renewing: [("2026-03-01", "2027-02-28", "1200.00")],
        fixed: [("2026-03-01", "2027-02-28", "1200.00")],
    }
    shop.today("2027-03-01")
    second = shop.run("2027-03-01")
    # the renewing contract starts its second term on 1 Mar 2027 (to 29 Feb 2028, a leap year)
    # and bills it; the fixed term ended on 28 Feb 2027: nothing
    assert [(i["customer_id"], periods(i)) for i in second] == [
        (renewing, [("2027-03-01", "2028-02-29", "1200.00")])
    ]
    read = ok(shop.api.get(f"/v1/contracts/{renews}"))
    assert (read["renewal_count"], read["last_renewed_on"]) == (1, "2027-03-01")
    assert read["current_term"] == {"start": "2027-03-01", "end": "2028-02-29", "renewals": 1}
    assert ok(shop.api.get(f"/v1/contracts/{ends}"))["status"] == "terminated"
    # notice given in time (one month before 1 Mar 2028): it ends at the term end, no renewal
    shop.today("2027-12-01")
    transition(shop, renews, "terminate", mode="at_term_end")
    [ending] = ok(shop.api.get(f"/v1/contracts/{renews}/amendments"))["data"]
    # the termination is an amendment effective on the first day no longer covered
    assert (ending["effective_date"], ending["status"], ending["diff"]) == (
        "2028-03-01",
        "scheduled",
        ["end date evergreen → 2028-02-29", "renewal auto-renew 12 months → no renewal"],
    )
    shop.today("2028-03-01")
    assert shop.run("2028-03-01") == []  # the second term was billed whole: nothing to credit
    assert ok(shop.api.get(f"/v1/contracts/{renews}"))["status"] == "terminated"


# --- coupons and discounts ------------------------------------------------------------------------


def test_coupons_once_forever_a_limit_reached_and_an_expired_code(shop: Shop) -> None:
    coupons = [
        {
            "code": "ONCE50",
            "kind": "fixed",
            "value": "50.00",
            "currency": "EUR",
            "duration": "once",
            "max_redemptions": 1,
        },
        {"code": "LOYAL10", "kind": "percentage", "value": "10", "duration": "forever"},
        {
            "code": "NOEL15",
            "kind": "percentage",
            "value": "15",
            "duration": "once",
            "redeemable_until": "2026-01-10",
        },
    ]
    for coupon in coupons:
        ok(shop.api.post("/v1/coupons", json=coupon), 201)
    product_id = hosting(shop)
    first, second = shop.customer("Premier SAS"), shop.customer("Second SAS")
    a = shop.contract(first, "C-A", "2026-02-01", [{"product_id": product_id}])
    b = shop.contract(second, "C-B", "2026-02-01", [{"product_id": product_id}])
    ok(shop.api.post(f"/v1/contracts/{a}/coupons", json={"code": "once50"}), 201)
    # the only redemption allowed is taken: a conflict that says so
    full = problem(shop.api.post(f"/v1/contracts/{b}/coupons", json={"code": "ONCE50"}), 409)
    assert "ONCE50" in full["detail"] and "limit of 1" in full["detail"]
    # redeemable until 10 Jan, today is 15 Jan: refused on `code`, naming the window
    expired = problem(shop.api.post(f"/v1/contracts/{b}/coupons", json={"code": "NOEL15"}), 422)
    [error] = expired["errors"]
    assert error["field"] == "code" and "2026-01-10" in error["detail"], error
    ok(shop.api.post(f"/v1/contracts/{b}/coupons", json={"code": "LOYAL10"}), 201)
    figures = []
    for day in ("2026-02-01", "2026-03-01"):
        made = shop.run(day)
        figures.append(
            [(nets(i), totals(i)) for c in (first, second) for i in of_customer(made, c)]
        )
    # A, once 50.00 on its first invoice: 399.00 − 50.00 = 349.00, VAT 69.80, 418.80;
    # then 399.00 alone. B, 10 % forever: 399.00 − 39.90 = 359.10, VAT 71.82, 430.92 each month
    assert figures == [
        [
            (["399.00", "-50.00"], ("349.00", "69.80", "418.80")),
            (["399.00", "-39.90"], ("359.10", "71.82", "430.92")),
        ],
        [
            (["399.00"], ("399.00", "79.80", "478.80")),
            (["399.00", "-39.90"], ("359.10", "71.82", "430.92")),
        ],
    ]
    [used] = ok(shop.api.get(f"/v1/contracts/{a}/coupons"))
    assert used["status"] == "used_up"


def test_invoice_percentage_discount_over_two_vat_rates(shop: Shop) -> None:
    books = product(shop, "ebooks", "49.90", vat_category="reduced")
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [{"product_id": hosting(shop)}, {"product_id": books}],
    )
    [draft] = shop.run("2026-02-01")
    # 399.00 at 20 % (VAT 79.80) + 49.90 at 5.5 % (VAT 2.7445 → 2.74)
    assert totals(draft) == ("448.90", "82.54", "531.44")
    discounted = ok(
        shop.api.post(
            f"/v1/invoices/{draft['id']}/discounts", json={"kind": "percentage", "value": "15"}
        ),
        201,
    )
    # 15 % of each rate's base: 399 × 0.15 = 59.85 at 20 %; 49.90 × 0.15 = 7.485 → 7.49 at 5.5 %
    lines = sorted(
        (x["vat_rate"], x["net_amount"]) for x in discounted["lines"] if x["source"] == "discount"
    )
    assert lines == [("20", "-59.85"), ("5.5", "-7.49")]
    # bases 339.15 and 42.41; VAT 339.15 × 20 % = 67.83 and 42.41 × 5.5 % = 2.33255 → 2.33;
    # net 381.56, VAT 70.16, gross 451.72
    assert discounted["vat_breakdown"] == [
        {"rate": "20", "base": "339.15", "vat": "67.83"},
        {"rate": "5.5", "base": "42.41", "vat": "2.33"},
    ]
    assert totals(discounted) == ("381.56", "70.16", "451.72")
    shop.today("2026-02-01")
    ok(shop.api.post(f"/v1/invoices/{draft['id']}/finalize"))
    text = pdf_text(shop.api, draft["id"])
    # the printed VAT breakdown, one line per rate with its base
    for printed in (
        "Total HT 381,56 €",
        "TVA 20 % sur 339,15 € 67,83 €",
        "TVA 5,5 % sur 42,41 € 2,33 €",
        "Total TVA 70,16 €",
        "Total TTC 451,72 €",
    ):
        assert printed in text, printed


def test_discounts_never_take_a_line_or_an_invoice_below_zero(shop: Shop) -> None:
    support = product(shop, "support", "100.00")
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [
            {
                "product_id": hosting(shop),
                "discounts": [
                    {"kind": "percentage", "value": "60"},
                    {"kind": "fixed", "value": "200.00"},
                ],
            },
            {"product_id": support},
        ],
    )
    [draft] = shop.run("2026-02-01")
    by_key = {x["line_key"]: x for x in draft["lines"]}
    # 399 × 60 % = 239.40 + 200.00 = 439.40 off 399.00: the line stops at 0.00 (399.00 off)
    assert (by_key["hosting"]["net_amount"], by_key["hosting"]["discount_amount"]) == (
        "0.00",
        "399.00",
    )
    assert totals(draft) == ("100.00", "20.00", "120.00")
    url = f"/v1/invoices/{draft['id']}/discounts"
    capped = ok(shop.api.post(url, json={"kind": "fixed", "value": "150.00"}), 201)
    # 150.00 off an invoice of 100.00 net: capped at 100.00, the invoice nets to 0.00
    assert [x["net_amount"] for x in capped["lines"] if x["source"] == "discount"] == ["-100.00"]
    assert totals(capped) == ("0.00", "0.00", "0.00")
    nothing = problem(shop.api.post(url, json={"kind": "percentage", "value": "5"}), 409)
    assert "nothing left to discount" in nothing["detail"]


# --- currencies and legal mentions ----------------------------------------------------------------


def test_usd_and_gbp_contracts_of_one_customer_are_invoiced_apart(shop: Shop) -> None:
    product_id = ok(
        shop.api.post(
            "/v1/products", json={"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        ),
        201,
    )["id"]
    for code, price in (("USD", "500.00"), ("GBP", "400.00")):
        pricelist = ok(
            shop.api.post(
                "/v1/pricelists",
                json={
                    "name": code,
                    "currency": code,
                    "valid_from": "2026-01-01",
                    "is_default": True,
                },
            ),
            201,
        )["id"]
        entry = {
            "product_id": product_id,
            "unit_price": price,
            "periodicity": "monthly",
            "timing": "in_advance",
        }
        ok(shop.api.post(f"/v1/pricelists/{pricelist}/entries", json=entry), 201)
    customer = shop.customer(
        "Thames Ltd",
        country="GB",
        currency="USD",
        address_line1="1 Fleet Street",
        postal_code="EC4Y 1AA",
        city="London",
    )
    shop.contract(customer, "C-USD", "2026-02-01", [{"product_id": product_id}])
    # the customer's billing currency moves to pounds for its next contract
    ok(shop.api.patch(f"/v1/customers/{customer}", json={"currency": "GBP"}))
    shop.contract(customer, "C-GBP", "2026-02-01", [{"product_id": product_id}])
    shop.today("2026-02-01")
    invoices = {i["currency"]: i for i in shop.run("2026-02-01", finalize=True)}
    # one invoice per currency; the United Kingdom is outside the EU: export, no French VAT
    assert {c: (i["tax_treatment"], totals(i)) for c, i in invoices.items()} == {
        "USD": ("export", ("500.00", "0.00", "500.00")),
        "GBP": ("export", ("400.00", "0.00", "400.00")),
    }
    assert sorted(i["number"] for i in invoices.values()) == ["F-2026-000001", "F-2026-000002"]
    xml = shop.api.get(f"/v1/invoices/{invoices['GBP']['id']}/pdf", params={"format": "xml"})
    assert xml.status_code == 200, xml.text
    assert "<ram:InvoiceCurrencyCode>GBP</ram:InvoiceCurrencyCode>" in xml.text
    assert "259-1" in xml.text


def test_reverse_charge_and_export_mentions_are_printed(shop: Shop) -> None:
    product_id = hosting(shop)
    german = shop.customer(
        "Datenwerk GmbH",
        country="DE",
        vat_number="DE136695976",
        address_line1="Hauptstr. 1",
        postal_code="10115",
        city="Berlin",
    )
    american = shop.customer(
        "Acme Inc.",
        country="US",
        address_line1="1 Main Street",
        postal_code="10001",
        city="New York",
    )
    shop.contract(german, "C-DE", "2026-02-01", [{"product_id": product_id}])
    shop.contract(american, "C-US", "2026-02-01", [{"product_id": product_id}])
    shop.today("2026-02-01")
    invoices = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    reverse, export = (
        pdf_text(shop.api, invoices[german]["id"]),
        pdf_text(shop.api, invoices[american]["id"]),
    )
    reverse_mention = "Autoliquidation : article 196 de la directive 2006/112/CE"
    export_mention = "Exportation : TVA non applicable, article 259-1 du CGI"
    assert reverse_mention in reverse and export_mention not in reverse
    assert export_mention in export and reverse_mention not in export
    # the B2B buyer's VAT number, and the seller's identifiers, on both
    assert "DE136695976" in reverse
    for text in (reverse, export):
        assert "732829320" in text and "FR44732829320" in text
        # 399.00 at 0 %: 399,00 € net and gross; service period shown inclusive
        assert "Période de service : du 01/02/2026 au 28/02/2026" in text
        assert "Indemnité forfaitaire pour frais de recouvrement : 40,00 €" in text
        assert "12,15" in text  # the late-payment penalty rate


# --- credit notes, payments, balance, voids, numbering --------------------------------------------


def test_a_credit_note_takes_the_series_of_its_own_year(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-12-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    shop.today("2026-12-01")
    [december] = shop.run("2026-12-01", finalize=True)
    shop.today("2027-01-05")
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": december["id"], "reason": "outage", "amount": "120.00"},
        ),
        201,
    )
    # issued in 2027, the credit note opens the 2027 series while naming the 2026 invoice;
    # 120.00 at 20 %: net 100.00, VAT 20.00
    assert (december["number"], note["number"], note["corrects_invoice_number"]) == (
        "F-2026-000001",
        "AV-2027-000001",
        "F-2026-000001",
    )
    assert (note["issue_date"], totals(note)) == ("2027-01-05", ("-100.00", "-20.00", "-120.00"))


def test_credit_by_amount_after_a_line_credit_stays_within_each_rate(shop: Shop) -> None:
    books = product(shop, "ebooks", "100.00", vat_category="reduced")
    shop.contract(
        shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}, {"product_id": books}]
    )
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    # 399.00 + 79.80 = 478.80 at 20 %; 100.00 + 5.50 = 105.50 at 5.5 %; gross 584.30
    assert totals(invoice) == ("499.00", "85.30", "584.30")
    books_position = next(x["position"] for x in invoice["lines"] if x["line_key"] == "ebooks")
    body = {"invoice_id": invoice["id"], "reason": "e-books not delivered"}
    first = ok(
        shop.api.post("/v1/credit-notes", json=body | {"lines": [{"position": books_position}]}),
        201,
    )
    assert totals(first) == ("-100.00", "-5.50", "-105.50")
    # 584.30 − 105.50 = 478.80 left: one cent more is refused, naming `amount`
    refused = problem(shop.api.post("/v1/credit-notes", json=body | {"amount": "478.81"}), 422)
    [error] = refused["errors"]
    assert error["field"] == "amount" and "478.80" in error["detail"], error
    # the e-books line is credited in full already
    again = problem(
        shop.api.post("/v1/credit-notes", json=body | {"lines": [{"position": books_position}]}),
        422,
    )
    assert [e["field"] for e in again["errors"]] == ["lines.0.position"]
    rest = ok(shop.api.post("/v1/credit-notes", json=body | {"amount": "478.80"}), 201)
    # what is left is all at 20 %: 478.80 / 1.2 = 399.00 net, VAT 79.80; nothing more at 5.5 %,
    # whose 105.50 was credited already
    assert totals(rest) == ("-399.00", "-79.80", "-478.80")
    assert [(x["vat_rate"], x["net_amount"]) for x in rest["lines"]] == [("20", "-399.00")]
    after = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_credited"], after["amount_due"]) == (
        "credited",
        "584.30",
        "0.00",
    )


def test_a_line_credited_after_an_amount_credit_stays_within_its_rate(shop: Shop) -> None:
    books = product(shop, "ebooks", "100.00", vat_category="reduced")
    shop.contract(
        shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}, {"product_id": books}]
    )
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    books_position = next(x["position"] for x in invoice["lines"] if x["line_key"] == "ebooks")
    body = {"invoice_id": invoice["id"], "reason": "goodwill"}
    first = ok(shop.api.post("/v1/credit-notes", json=body | {"amount": "100.00"}), 201)
    # 100.00 over 478.80 at 20 % and 105.50 at 5.5 % (584.30): 100 × 478.80/584.30 = 81.944… →
    # 81.94 at 20 % (net 81.94 / 1.2 = 68.283… → 68.28, VAT 13.656 → 13.66); 18.06 at 5.5 %
    # (net 18.06 / 1.055 = 17.118… → 17.12, VAT 0.9416 → 0.94)
    assert first["vat_breakdown"] == [
        {"rate": "20", "base": "-68.28", "vat": "-13.66"},
        {"rate": "5.5", "base": "-17.12", "vat": "-0.94"},
    ]
    # 5.5 % has 105.50 − 18.06 = 87.44 left: the e-books line whole (105.50) would credit part of
    # it twice, giving back VAT at 5.5 % that was never charged
    refused = problem(
        shop.api.post("/v1/credit-notes", json=body | {"lines": [{"position": books_position}]}),
        422,
    )
    [error] = refused["errors"]
    assert error["field"] == "lines" and "87.44" in error["detail"], error
    void = ok(shop.api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "cancel"}), 201)
    # the void credits what each rate has left: 478.80 − 81.94 = 396.86 at 20 % (net 330.72,
    # VAT 66.144 → 66.14) and 87.44 at 5.5 % (net 82.88, VAT 4.5584 → 4.56); with the first note,
    # each rate is cancelled exactly: 68.28 + 330.72 = 399.00 and 17.12 + 82.88 = 100.00
    assert void["vat_breakdown"] == [
        {"rate": "20", "base": "-330.72", "vat": "-66.14"},
        {"rate": "5.5", "base": "-82.88", "vat": "-4.56"},
    ]
    assert totals(void) == ("-413.60", "-70.70", "-484.30")


def test_partial_payments_then_overdue_as_time_passes(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    url = f"/v1/invoices/{invoice['id']}"
    # issued 1 Feb, 30 days: due 3 Mar 2026
    assert (invoice["issue_date"], invoice["due_date"], invoice["gross_total"]) == (
        "2026-02-01",
        "2026-03-03",
        "478.80",
    )
    shop.today("2026-02-10")
    paid = ok(shop.api.post(f"{url}/payments", json={"amount": "200.00"}), 201)
    assert (paid["invoice_status"], paid["paid_on"]) == ("partially_paid", "2026-02-10")
    shop.today("2026-03-03")
    read = ok(shop.api.get(url))
    # 478.80 − 200.00 = 278.80 due; not overdue on its due date itself
    assert (read["status"], read["amount_due"], read["overdue"]) == (
        "partially_paid",
        "278.80",
        False,
    )
    shop.today("2026-03-04")
    read = ok(shop.api.get(url))
    assert (read["status"], read["amount_due"], read["overdue"]) == (
        "partially_paid",
        "278.80",
        True,
    )
    late = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    assert [(i["id"], i["amount_due"]) for i in late] == [(invoice["id"], "278.80")]
    ok(shop.api.post(f"{url}/payments", json={"amount": "150.00"}), 201)
    ok(shop.api.post(f"{url}/payments", json={"amount": "128.80"}), 201)
    # 200.00 + 150.00 + 128.80 = 478.80: paid, no longer overdue
    read = ok(shop.api.get(url))
    assert (read["status"], read["amount_paid"], read["amount_due"], read["overdue"]) == (
        "paid",
        "478.80",
        "0.00",
        False,
    )
    assert ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"] == []
    payments = ok(shop.api.get(f"{url}/payments"))["data"]
    assert [(p["amount"], p["paid_on"]) for p in payments] == [
        ("200.00", "2026-02-10"),
        ("150.00", "2026-03-04"),
        ("128.80", "2026-03-04"),
    ]


def test_an_invoice_owing_nothing_is_never_overdue(shop: Shop) -> None:
    product_id = hosting(shop)
    gifted, leaving = shop.customer("Offert SAS"), shop.customer("Depart SAS")
    free = [{"kind": "percentage", "value": "100"}]
    shop.contract(gifted, "C-A", "2026-02-01", [{"product_id": product_id, "discounts": free}])
    ends = shop.contract(
        leaving, "C-B", "2026-02-01", [{"product_id": product_id}], billing_alignment="calendar"
    )
    shop.today("2026-02-01")
    february = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    # 399.00 − 100 % = 0.00; the other one 478.80, due 3 Mar
    assert (totals(february[gifted]), february[gifted]["amount_due"]) == (
        ("0.00", "0.00", "0.00"),
        "0.00",
    )
    shop.today("2026-02-10")
    transition(shop, ends, "terminate", date="2026-02-10", with_credit=True)
    [credit] = shop.run("2026-02-10", finalize=True)
    # [10 Feb, 1 Mar) = 19 of 28 days: −399 × 19/28 = −270.75, VAT −54.15; an invoice of
    # −324.90 (the contract's credits go on the next invoice), sent to the balance when
    # finalized: nothing to pay on it
    assert (totals(credit), credit["amount_due"]) == (("-270.75", "-54.15", "-324.90"), "0.00")
    shop.today("2026-04-01")
    late = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    # only February's 478.80 is late; 0.00 and −324.90 (credited) owe nothing
    assert [(i["id"], i["amount_due"]) for i in late] == [(february[leaving]["id"], "478.80")]
    for invoice in (february[gifted], credit):
        assert ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))["overdue"] is False


def test_credit_balance_used_up_over_two_invoices(shop: Shop) -> None:
    customer = shop.customer()
    ok(
        shop.api.post(
            f"/v1/customers/{customer}/goodwill-credits",
            json={"amount": "600.00", "currency": "EUR", "reason": "outage in December"},
        ),
        201,
    )
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    # 478.80 paid from the 600.00 balance: 121.20 left
    assert (february["status"], february["amount_paid"], february["amount_due"]) == (
        "paid",
        "478.80",
        "0.00",
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # 121.20 used on March's 478.80: 357.60 still due
    assert (march["status"], march["amount_paid"], march["amount_due"]) == (
        "partially_paid",
        "121.20",
        "357.60",
    )
    for invoice, amount in ((february, "478.80"), (march, "121.20")):
        payments = ok(shop.api.get(f"/v1/invoices/{invoice['id']}/payments"))["data"]
        assert [(p["method"], p["amount"]) for p in payments] == [("credit_balance", amount)]
    balance = ok(shop.api.get(f"/v1/customers/{customer}/balance"))
    # 600.00 − 478.80 − 121.20 = 0.00 left
    assert balance["balances"] == [{"currency": "EUR", "available": "0.00"}]
    # newest first, each entry with the balance right after it
    history = [
        (e["kind"], e["amount"], e["balance_after"], e["invoice_id"])
        for e in balance["history"]["data"]
    ]
    assert history == [
        ("applied", "-121.20", "0.00", march["id"]),
        ("applied", "-478.80", "121.20", february["id"]),
        ("goodwill", "600.00", "600.00", None),
    ]
    shop.today("2026-04-01")
    [april] = shop.run("2026-04-01", finalize=True)
    assert (april["amount_paid"], april["amount_due"]) == ("0.00", "478.80")


def test_void_of_a_part_paid_invoice_credits_every_line(shop: Shop) -> None:
    books = product(shop, "ebooks", "100.00", vat_category="reduced")
    shop.contract(
        shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}, {"product_id": books}]
    )
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    url = f"/v1/invoices/{invoice['id']}"
    ok(shop.api.post(f"{url}/payments", json={"amount": "100.00"}), 201)
    note = ok(
        shop.api.post(f"{url}/void", json={"reason": "signed by mistake", "settlement": "refund"}),
        201,
    )
    # every line whole: −399.00 at 20 % (VAT −79.80) and −100.00 at 5.5 % (VAT −5.50);
    # 584.30 in all: 484.30 cancels what was due, the 100.00 paid is refunded
    assert note["number"] == "AV-2026-000001"
    assert sorted((x["vat_rate"], x["net_amount"]) for x in note["lines"]) == [
        ("20", "-399.00"),
        ("5.5", "-100.00"),
    ]
    assert totals(note) == ("-499.00", "-85.30", "-584.30")
    assert note["settlement"] == {
        "applied_to_invoice": "484.30",
        "refunded": "100.00",
        "to_balance": "0.00",
    }
    assert [(r["amount"], r["reference"]) for r in note["refunds"]] == [
        ("100.00", "AV-2026-000001")
    ]
    explained = ok(shop.api.get(f"/v1/credit-notes/{note['id']}/explain"))["lines"]
    credited = sorted((e["credits"]["line_key"], e["net_amount"]) for e in explained)
    assert credited == [("ebooks", "-100.00"), ("hosting", "-399.00")]
    # printed as an "Avoir" naming the invoice it corrects, every amount positive
    text = pdf_text(shop.api, note["id"])
    for printed in (
        "Avoir",
        "N° AV-2026-000001",
        "Avoir sur la facture n° F-2026-000001",
        "TVA 20 % sur 399,00 € 79,80 €",
        "TVA 5,5 % sur 100,00 € 5,50 €",
        "Total TTC 584,30 €",
        "Motif : signed by mistake",
    ):
        assert printed in text, printed
    after = ok(shop.api.get(url))
    assert (after["status"], after["amount_due"]) == ("voided", "0.00")
    problem(shop.api.post(f"{url}/payments", json={"amount": "1.00"}), 409)
    problem(
        shop.api.post(
            "/v1/credit-notes", json={"invoice_id": invoice["id"], "reason": "x", "amount": "1.00"}
        ),
        409,
    )


def test_numbers_stay_gap_free_across_invoices_credit_notes_and_refusals(shop: Shop) -> None:
    product_id = hosting(shop)
    x, y = shop.customer("Xeno SAS"), shop.customer("Ypsilon SAS")
    cx = shop.contract(
        x,
        "C-X",
        "2026-02-01",
        [{"product_id": product_id}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    shop.contract(
        y, "C-Y", "2026-02-01", [{"product_id": product_id}], billing_alignment="calendar"
    )
    shop.today("2026-02-01")
    february = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    assert sorted(i["number"] for i in february.values()) == ["F-2026-000001", "F-2026-000002"]
    credit = {"invoice_id": february[x]["id"], "reason": "goodwill"}
    assert (
        ok(shop.api.post("/v1/credit-notes", json=credit | {"amount": "100.00"}), 201)["number"]
        == "AV-2026-000001"
    )
    # refusals draw no number: too much credited, finalizing twice
    problem(shop.api.post("/v1/credit-notes", json=credit | {"amount": "378.81"}), 422)
    problem(shop.api.post(f"/v1/invoices/{february[x]['id']}/finalize"), 409)
    shop.today("2026-03-01")
    march = {i["customer_id"]: i for i in shop.run("2026-03-01")}
    # a deleted draft draws no number either; the next run bills its month again
    assert shop.api.delete(f"/v1/invoices/{march[y]['id']}").status_code == 204
    assert ok(shop.api.post(f"/v1/invoices/{march[x]['id']}/finalize"))["number"] == "F-2026-000003"
    [again] = shop.run("2026-03-01")
    assert (again["customer_id"], nets(again)) == (y, ["399.00"])
    assert ok(shop.api.post(f"/v1/invoices/{again['id']}/finalize"))["number"] == "F-2026-000004"
    void = ok(shop.api.post(f"/v1/invoices/{february[y]['id']}/void", json={"reason": "dup"}), 201)
    assert void["number"] == "AV-2026-000002"
    amend(
        shop, cx, "2026-03-15", {"type": "change_quantity", "line_key": "hosting", "quantity": "2"}
    )
    shop.today("2026-03-15")
    made = shop.run("2026-03-15")
    [note] = [i for i in made if i["kind"] == "credit_note"]
    [charge] = [i for i in made if i["kind"] == "invoice"]
    # [15 Mar, 1 Apr) = 17 of 31 days: the credit −399 × 17/31 = −218.806… → −218.81 corrects
    # March (F-2026-000003); the new charge 2 × 399 × 17/31 = 437.612… → 437.61
    assert (note["corrects_invoice_id"], nets(note)) == (march[x]["id"], ["-218.81"])
    assert nets(charge) == ["437.61"]
    assert ok(shop.api.post(f"/v1/invoices/{note['id']}/finalize"))["number"] == "AV-2026-000003"
    assert ok(shop.api.post(f"/v1/invoices/{charge['id']}/finalize"))["number"] == "F-2026-000005"
    invoices = ok(shop.api.get("/v1/invoices", params={"limit": 100}))["data"]
    notes = ok(shop.api.get("/v1/credit-notes", params={"limit": 100}))["data"]
    assert sorted(i["number"] for i in invoices) == [f"F-2026-00000{n}" for n in range(1, 6)]
    assert sorted(n["number"] for n in notes) == [f"AV-2026-00000{n}" for n in range(1, 4)]


# --- drafts and explanations ----------------------------------------------------------------------


def test_draft_edits_before_finalization_and_refusals_after(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [draft] = shop.run("2026-02-01")
    url = f"/v1/invoices/{draft['id']}"
    ok(
        shop.api.post(
            f"{url}/lines",
            json={
                "description": "Formation sur site",
                "quantity": "2",
                "unit_price": "450.00",
                "vat_category": "standard",
                "period_start": "2026-02-12",
                "period_last_day": "2026-02-13",
            },
        ),
        201,
    )
    manual = ok(
        shop.api.post(
            f"{url}/lines",
            json={
                "description": "Manuel imprimé",
                "quantity": "3",
                "unit_price": "12.35",
                "vat_category": "reduced",
            },
        ),
        201,
    )
    assert (manual["position"], manual["net_amount"], manual["vat_rate"]) == (3, "37.05", "5.5")
    edited = ok(shop.api.get(url))
    # 399.00 + 2 × 450.00 = 1299.00 at 20 % (VAT 259.80); 3 × 12.35 = 37.05 at 5.5 %
    # (VAT 2.03775 → 2.04); net 1336.05, VAT 261.84, gross 1597.89
    assert nets(edited) == ["399.00", "900.00", "37.05"]
    assert [x["source"] for x in edited["lines"]] == ["contract", "manual", "manual"]
    assert totals(edited) == ("1336.05", "261.84", "1597.89")
    # a contract line is not removed by hand
    problem(shop.api.delete(f"{url}/lines/1"), 409)
    ok(
        shop.api.patch(
            url, json={"notes": "Formation des 12 et 13 février", "purchase_order": "PO-4521"}
        )
    )
    issued = ok(shop.api.post(f"{url}/finalize"))
    assert (issued["number"], issued["notes"], issued["purchase_order"]) == (
        "F-2026-000001",
        "Formation des 12 et 13 février",
        "PO-4521",
    )
    assert totals(issued) == ("1336.05", "261.84", "1597.89")
    text = pdf_text(shop.api, draft["id"])
    assert "Formation des 12 et 13 février" in text and "PO-4521" in text
    assert "1 597,89 €" in text
    # once finalized, nothing changes: each edit is a 409 that says to issue a credit note
    refusals = [
        shop.api.post(f"{url}/lines", json={"quantity": "1", "unit_price": "10.00"}),
        shop.api.delete(f"{url}/lines/3"),
        shop.api.patch(url, json={"notes": "changed"}),
        shop.api.post(f"{url}/discounts", json={"kind": "percentage", "value": "5"}),
        shop.api.post(f"{url}/regenerate"),
        shop.api.delete(url),
    ]
    for refused in refusals:
        detail = problem(refused, 409)["detail"]
        assert "F-2026-000001" in detail and "credit note" in detail, detail
    after = ok(shop.api.get(url))
    assert (after["content_hash"], totals(after)) == (issued["content_hash"], totals(issued))


def test_a_regenerated_draft_prices_its_typed_discounts_again(shop: Shop) -> None:
    contract = shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [draft] = shop.run("2026-02-01")
    url = f"/v1/invoices/{draft['id']}"
    ok(shop.api.post(f"{url}/discounts", json={"kind": "percentage", "value": "10"}), 201)
    typed = ok(shop.api.post(f"{url}/discounts", json={"kind": "fixed", "value": "300.00"}), 201)
    # 399.00 − 39.90 (10 %) − 300.00 = 59.10, VAT 11.82
    assert totals(typed) == ("59.10", "11.82", "70.92")
    # the price agreed for February is 199.00, fixed on the contract after the draft was made
    amend(
        shop,
        contract,
        "2026-02-01",
        {"type": "change_price", "line_key": "hosting", "unit_price": "199.00"},
    )
    again = ok(shop.api.post(f"{url}/regenerate"))["invoice"]
    # each discount is priced again over the new line: 10 % of 199.00 = 19.90; the 300.00 is
    # capped at what is left, 199.00 − 19.90 = 179.10: the draft nets to 0.00, not to
    # 199.00 − 39.90 − 300.00 = −140.90
    assert [(x["source"], x["description"], x["net_amount"]) for x in again["lines"]] == [
        ("discount", "Discount (-10 %)", "-19.90"),
        ("discount", "Discount (-300.00 EUR)", "-179.10"),
        ("contract", "hosting", "199.00"),
    ]
    assert totals(again) == ("0.00", "0.00", "0.00")


def test_explain_names_the_amendment_behind_an_amended_line(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    shop.run("2026-01-01")
    amendment = amend(
        shop,
        contract,
        "2026-01-20",
        {"type": "change_quantity", "line_key": "hosting", "quantity": "2"},
        {"type": "change_price", "line_key": "hosting", "unit_price": "379.00"},
    )
    [change] = shop.run("2026-01-20")
    explained = {
        x["exact_net"][0] == "-": x
        for x in ok(shop.api.get(f"/v1/invoices/{change['id']}/explain"))["lines"]
    }
    credit, charge = explained[True], explained[False]
    # [20 Jan, 1 Feb) = 12 of 31 days. Credit of version 1 (pricelist 399.00 × 1):
    # −399 × 12/31 = −154.4516129… → −154.45
    assert (credit["contract_version"], credit["adjustment"], credit["price_source"]) == (
        1,
        True,
        "pricelist",
    )
    assert (credit["quantity"], credit["unit_price"], credit["net_amount"]) == (
        "1",
        "399",
        "-154.45",
    )
    assert credit["exact_net"].startswith("-154.4516129")
    # charge of version 2, made by the amendment (override 379.00 × 2):
    # 2 × 379 × 12/31 = 9096/31 = 293.4193548… → 293.42
    assert (charge["contract_version"], charge["amendment_id"], charge["price_source"]) == (
        2,
        amendment["id"],
        "override",
    )
    assert (charge["quantity"], charge["unit_price"], charge["net_amount"]) == (
        "2",
        "379",
        "293.42",
    )
    assert charge["exact_net"].startswith("293.4193548")
    # the credit names the version it cancels (the original: no amendment); the charge names
    # the version and the amendment that replaced it
    assert credit["amendment_id"] is None
    for line in (credit, charge):
        assert (line["contract_id"], line["line_key"]) == (contract, "hosting")
        assert (line["period_start"], line["period_end"]) == ("2026-01-20", "2026-01-31")
        assert (line["full_period_start"], line["full_period_end"]) == ("2026-01-01", "2026-01-31")
    # net −154.45 + 293.42 = 138.97, VAT 27.794 → 27.79
    assert totals(change) == ("138.97", "27.79", "166.76")


# --- the command line -----------------------------------------------------------------------------


def test_the_command_line_gives_the_api_figures(
    shop: Shop, tenant: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tarif.cli.main import app

    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    # the command line reads the same clock as the API, so both see the same "today"
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: shop.clock)
    runner = CliRunner()

    def tarif(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, [*args, "--org", tenant.id])
        assert result.exit_code == code, result.output
        return result

    def tarif_json(*args: str) -> Any:
        return json.loads(tarif(*args, "--json").stdout)

    [made] = tarif_json("bill", "run", "--as-of", "2026-01-15")["invoices"]
    # 399 × 17/31 = 218.81 + VAT 43.76 = 262.57
    assert (made["net_total"], made["vat_total"], made["gross_total"]) == (
        "218.81",
        "43.76",
        "262.57",
    )
    invoice_id = made["id"]
    assert "F-2026-000001" in tarif("invoices", "finalize", invoice_id).stdout
    shop.today("2026-01-20")  # the money arrives five days later
    assert (
        "partially_paid"
        in tarif("invoices", "pay", invoice_id, "--amount", "62.57", "--date", "2026-01-20").stdout
    )
    note = tarif_json(
        "credit-notes", "create", "--invoice", invoice_id, "--reason", "outage", "--amount", "50.00"
    )
    # 50.00 at 20 %: net 50 / 1.2 = 41.666… → 41.67, VAT 8.334 → 8.33
    assert (note["number"], note["net_total"], note["vat_total"], note["gross_total"]) == (
        "AV-2026-000001",
        "-41.67",
        "-8.33",
        "-50.00",
    )
    # 262.57 − 50.00 = 212.57 may still be credited: one cent more fails, naming `amount`
    refused = tarif(
        "credit-notes",
        "create",
        "--invoice",
        invoice_id,
        "--reason",
        "x",
        "--amount",
        "212.58",
        code=1,
    )
    assert "amount" in refused.output and "212.57" in refused.output
    shown = tarif_json("invoices", "show", invoice_id)
    read = ok(shop.api.get(f"/v1/invoices/{invoice_id}"))
    # 262.57 − 62.57 paid − 50.00 credited = 150.00 due
    keys = (
        "number",
        "status",
        "net_total",
        "vat_total",
        "gross_total",
        "amount_paid",
        "amount_credited",
        "amount_due",
    )
    assert (
        {k: shown[k] for k in keys}
        == {k: read[k] for k in keys}
        == {
            "number": "F-2026-000001",
            "status": "partially_paid",
            "net_total": "218.81",
            "vat_total": "43.76",
            "gross_total": "262.57",
            "amount_paid": "62.57",
            "amount_credited": "50.00",
            "amount_due": "150.00",
        }
    )
    [listed_note] = tarif_json("credit-notes", "list", "--invoice", invoice_id)
    assert listed_note == ok(shop.api.get(f"/v1/credit-notes/{note['id']}"))
    # issued 15 Jan, due 14 Feb: overdue from 15 Feb, for the command line as for the API
    shop.today("2026-02-15")
    [late] = tarif_json("invoices", "list", "--overdue")
    [api_late] = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))["data"]
    assert (late["id"], late["amount_due"], late["overdue"]) == (invoice_id, "150.00", True)
    assert (api_late["id"], api_late["amount_due"]) == (invoice_id, "150.00")
    [february] = tarif_json("bill", "run", "--as-of", "2026-02-01")["invoices"]
    assert (february["net_total"], february["gross_total"]) == ("399.00", "478.80")
    assert ok(shop.api.get(f"/v1/invoices/{february['id']}"))["gross_total"] == "478.80"


def test_a_termination_credit_gives_back_the_coupon_share_of_its_days(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "WELCOME20",
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
        "2026-01-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    # redeemed today, 15 Jan: January (billed on 1 Jan) is full price, then 3 months off
    ok(shop.api.post(f"/v1/contracts/{contract}/coupons", json={"code": "WELCOME20"}), 201)
    [january] = shop.run("2026-01-01")
    assert nets(january) == ["310.00"]
    for month in ("2026-02-01", "2026-03-01"):
        [invoice] = shop.run(month)
        # 310.00 − 20 % (62.00) = 248.00 a month
        assert nets(invoice) == ["310.00", "-62.00"]
    shop.today("2026-03-21")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-03-21", "with_credit": True},
        ),
        201,
    )
    [credit] = shop.run("2026-03-21")
    # [21 Mar, 1 Apr) = 11 of 31 days: −310 × 11/31 = −110.00, and March's coupon share of them
    # back, 110.00 × 62.00/310.00 = +22.00: −88.00 returned for the 248.00 × 11/31 = 88.00
    # paid; VAT −17.60, gross −105.60
    assert nets(credit) == ["-110.00", "22.00"]
    assert totals(credit) == ("-88.00", "-17.60", "-105.60")


def test_the_next_invoice_lists_every_invoice_of_its_day(
    shop: Shop, tenant: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer, product = shop.customer(), hosting(shop)
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": product}])
    apart = shop.contract(
        customer, "C-2", "2026-02-01", [{"product_id": product}], invoice_grouping="contract"
    )
    url = f"/v1/customers/{customer}/upcoming-invoice"
    upcoming = ok(shop.api.get(url))
    # 1 Feb makes two invoices: C-1 with the customer's others, C-2 apart; 399.00 + 20 % =
    # 478.80 each. Sorted by currency then contract: the customer's invoice first.
    assert (upcoming["billing_date"], upcoming["contract_id"], upcoming["gross_total"]) == (
        "2026-02-01",
        None,
        "478.80",
    )
    assert upcoming["also_due"] == [
        {
            "currency": "EUR",
            "contract_id": apart,
            "billing_date": "2026-02-01",
            "gross_total": "478.80",
        }
    ]
    assert ok(shop.api.get(url, params={"currency": "eur"}))["currency"] == "EUR"
    refused = shop.api.get(url, params={"currency": "USD"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "currency"
    assert "no invoice in USD on 2026-02-01: EUR only" in refused.json()["detail"]

    from typer.testing import CliRunner

    from tarif.cli.main import app
    from tarif.clock import FixedClock
    from tests.conftest import START

    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    result = CliRunner().invoke(
        app, ["invoices", "upcoming", customer, "--json", "--org", tenant.id]
    )
    assert result.exit_code == 0, result.output
    assert [(i["contract_id"], i["gross_total"]) for i in json.loads(result.stdout)] == [
        (None, "478.80"),
        (apart, "478.80"),
    ]
    assert shop.run("2026-01-31") == []  # the previews wrote nothing
