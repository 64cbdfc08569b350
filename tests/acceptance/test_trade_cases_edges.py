"""Worked cases of recurring billing at the edges: anniversaries from the 30th and 31st,
semi-annual lines, suspensions across period ends, renewals with price increases and coupons,
minimum commitments and early-termination fees, plan changes across VAT rates, custom number
formats, billing as of past days and dry runs. Through the REST API only; every figure is
computed by hand from the billing rules in the comment beside it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.acceptance.test_trade_cases import Shop, nets, ok, totals
from tests.acceptance.test_trade_cases_documents import amend, periods, product


def spans(invoice: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(periods(invoice))


# A: anniversary from 31 Jan, upgrade inside the February period
def test_anniversary_31st_upgrade_inside_february(shop: Shop) -> None:
    hosting = product(shop, "hosting", "280.00")
    c = shop.contract(
        shop.customer(),
        "C-A",
        "2026-01-31",
        [{"product_id": hosting}],
        billing_alignment="anniversary",
    )
    [first] = shop.run("2026-01-31")
    # [31 Jan, 28 Feb) whole period: 280.00
    assert spans(first) == [("2026-01-31", "2026-02-27", "280.00")]
    amend(
        shop,
        c,
        "2026-02-10",
        {"type": "change_price", "line_key": "hosting", "unit_price": "560.00"},
    )
    [up] = shop.run("2026-02-10")
    # period [31 Jan, 28 Feb) = 28 days; [10 Feb, 28 Feb) = 18 unused
    # credit −280 × 18/28 = −180.00; charge 560 × 18/28 = 360.00; net 180.00, VAT 36.00
    assert sorted(nets(up)) == ["-180.00", "360.00"]
    assert totals(up) == ("180.00", "36.00", "216.00")
    [feb] = shop.run("2026-02-28")
    # [28 Feb, 31 Mar) anchor 31 Jan + 2 months = 31 Mar, whole: 560.00
    assert spans(feb) == [("2026-02-28", "2026-03-30", "560.00")]
    assert shop.run("2026-03-28") == []  # not chained from 28 Feb
    [mar] = shop.run("2026-03-31")
    assert spans(mar) == [("2026-03-31", "2026-04-29", "560.00")]


# B: semi-annual in advance, quantity decrease mid-period
def test_semi_annual_quantity_decrease(shop: Shop) -> None:
    seats = product(shop, "seats", "60.00", "semi_annual")
    c = shop.contract(
        shop.customer(),
        "C-B",
        "2026-01-01",
        [{"product_id": seats, "quantity": "10"}],
        billing_alignment="calendar",
    )
    [h1] = shop.run("2026-01-01")
    # 10 × 60 = 600.00 for [1 Jan, 1 Jul)
    assert totals(h1) == ("600.00", "120.00", "720.00")
    amend(shop, c, "2026-04-01", {"type": "change_quantity", "line_key": "seats", "quantity": "4"})
    [chg] = shop.run("2026-04-01")
    # H1 = 31+28+31+30+31+30 = 181 days; [1 Apr, 1 Jul) = 91 days
    # credit −600 × 91/181 = −301.657 → −301.66; charge 240 × 91/181 = 120.663 → 120.66
    # net −181.00, VAT −36.20, gross −217.20
    assert sorted(nets(chg)) == ["-301.66", "120.66"]
    assert totals(chg) == ("-181.00", "-36.20", "-217.20")
    assert shop.run("2026-06-30") == []
    [h2] = shop.run("2026-07-01")
    assert totals(h2) == ("240.00", "48.00", "288.00")


# C: suspension spanning a period boundary, in arrears
def test_suspension_across_month_end_in_arrears(shop: Shop) -> None:
    support = product(shop, "support", "310.00", timing="in_arrears")
    c = shop.contract(
        shop.customer(),
        "C-C",
        "2026-03-01",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    url = f"/v1/contracts/{c}/transitions"
    shop.today("2026-03-20")
    ok(
        shop.api.post(url, json={"action": "suspend", "date": "2026-03-20", "reason": "unpaid"}),
        201,
    )
    shop.today("2026-04-01")
    [mar] = shop.run("2026-04-01")
    # [1 Mar, 20 Mar) = 19 of 31 days: 310 × 19/31 = 190.00
    assert nets(mar) == ["190.00"]
    assert totals(mar) == ("190.00", "38.00", "228.00")
    shop.today("2026-04-10")
    ok(shop.api.post(url, json={"action": "resume", "date": "2026-04-10", "reason": "paid"}), 201)
    shop.today("2026-05-01")
    [apr] = shop.run("2026-05-01")
    # [10 Apr, 1 May) = 21 of 30 days: 310 × 21/30 = 217.00
    assert nets(apr) == ["217.00"]
    assert totals(apr) == ("217.00", "43.40", "260.40")
    [may] = shop.run("2026-06-01")
    assert nets(may) == ["310.00"]


# D: renewing contract with a scheduled price increase and a coupon repeating 3 months
def test_price_increase_with_repeating_coupon_across_renewal(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "p20",
                "kind": "percentage",
                "value": "20",
                "duration": "repeating",
                "duration_months": 3,
            },
        ),
        201,
    )
    hosting = product(shop, "hosting", "310.00")
    c = shop.contract(
        shop.customer(),
        "C-D",
        "2026-01-15",
        [{"product_id": hosting}],
        billing_alignment="calendar",
        initial_term_months=2,
        renewal_months=1,
    )
    red = ok(shop.api.post(f"/v1/contracts/{c}/coupons", json={"code": "P20"}), 201)
    assert red["ends_on"] == "2026-04-15"
    amend(
        shop,
        c,
        "2026-03-01",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    got = []
    for day in ("2026-01-15", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"):
        [inv] = shop.run(day)
        got.append((nets(inv), inv["gross_total"]))
    # Jan 310×17/31 = 170.00, −34.00 → 136.00, VAT 27.20, 163.20
    # Feb 310 −62 = 248 → 297.60; Mar 620 −124 = 496 → 595.20; Apr (billed before 15 Apr) same;
    # May 620 → 744.00
    assert got == [
        (["170.00", "-34.00"], "163.20"),
        (["310.00", "-62.00"], "297.60"),
        (["620.00", "-124.00"], "595.20"),
        (["620.00", "-124.00"], "595.20"),
        (["620.00"], "744.00"),
    ]


# E: minimum commitment and early-termination fee together
def test_minimum_commitment_and_early_termination_fee(shop: Shop) -> None:
    hosting = product(shop, "hosting", "100.00")
    c = shop.contract(
        shop.customer(),
        "C-E",
        "2026-01-01",
        [
            {
                "product_id": hosting,
                "minimum_commitment": {"amount": "150.00", "periodicity": "monthly"},
            }
        ],
        billing_alignment="calendar",
        initial_term_months=12,
        early_termination_fee={"kind": "remaining"},
    )
    [jan] = shop.run("2026-01-01")
    assert nets(jan) == ["100.00"]
    [feb] = shop.run("2026-02-01")
    # Feb 100.00 + January top-up 150 − 100 = 50.00
    assert sorted(nets(feb)) == ["100.00", "50.00"]
    [mar] = shop.run("2026-03-01")
    assert sorted(nets(mar)) == ["100.00", "50.00"]
    shop.today("2026-03-16")
    ok(
        shop.api.post(
            f"/v1/contracts/{c}/transitions",
            json={
                "action": "terminate",
                "date": "2026-03-16",
                "with_credit": True,
                "reason": "leaving",
            },
        ),
        201,
    )
    [end] = shop.run("2026-03-16")
    # credit [16 Mar, 1 Apr) 16/31: −100 × 16/31 = −51.61
    # top-up: 150 × 15/31 − 100 × 15/31 = 50 × 15/31 = 24.19
    # fee remaining: 100 × 16/31 + 9 × 100 (Apr..Dec) = 951.6129 → 951.61
    # net −51.61 + 24.19 + 951.61 = 924.19; VAT 184.838 → 184.84; gross 1109.03
    assert sorted(nets(end)) == ["-51.61", "24.19", "951.61"]
    assert totals(end) == ("924.19", "184.84", "1109.03")
    assert shop.run("2026-04-01") == []


# F: plan change between products of different VAT categories mid-period
def test_plan_change_between_vat_rates(shop: Shop) -> None:
    hosting = product(shop, "hosting", "310.00")
    books = product(shop, "ebooks", "155.00", vat_category="reduced")
    c = shop.contract(
        shop.customer(),
        "C-F",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    amend(
        shop,
        c,
        "2026-03-15",
        {"type": "remove_line", "line_key": "hosting"},
        {"type": "add_line", "line": {"product_id": books}},
    )
    [chg] = shop.run("2026-03-15")
    # hosting credit −310 × 17/31 = −170.00 at 20 % → VAT −34.00
    # ebooks 155 × 17/31 = 85.00 at 5.5 % → VAT 4.675 → 4.68
    # net −85.00, VAT −29.32, gross −114.32
    rates = sorted((x["net_amount"], x["vat_rate"]) for x in chg["lines"])
    from decimal import Decimal

    assert [(n, Decimal(str(r))) for n, r in rates] == [
        ("-170.00", Decimal(20)),
        ("85.00", Decimal("5.5")),
    ]
    assert totals(chg) == ("-85.00", "-29.32", "-114.32")
    [apr] = shop.run("2026-04-01")
    assert totals(apr) == ("155.00", "8.53", "163.53")  # 155 × 5.5 % = 8.525 → 8.53


# G: custom number formats, gap-free across a void and a credit note
def test_custom_formats_gap_free_across_void_and_credit_note(shop: Shop) -> None:
    ok(
        shop.api.patch(
            "/v1/organization",
            json={
                "invoice_number_format": "FAC/{year}/{seq:05d}",
                "credit_note_number_format": "AVO/{year}/{seq:03d}",
            },
        )
    )
    hosting = product(shop, "hosting", "100.00")
    a = shop.customer("A SAS")
    b = shop.customer("B SAS")
    shop.contract(a, "C-G1", "2026-02-01", [{"product_id": hosting}], billing_alignment="calendar")
    shop.contract(b, "C-G2", "2026-02-01", [{"product_id": hosting}], billing_alignment="calendar")
    shop.today("2026-02-01")
    invs = shop.run("2026-02-01", finalize=True)
    assert sorted(i["number"] for i in invs) == ["FAC/2026/00001", "FAC/2026/00002"]
    ok(shop.api.post(f"/v1/invoices/{invs[0]['id']}/void", json={"reason": "x"}), 201)
    note = ok(
        shop.api.post(
            "/v1/credit-notes", json={"invoice_id": invs[1]["id"], "reason": "y", "amount": "12.00"}
        ),
        201,
    )
    numbers = sorted(n["number"] for n in ok(shop.api.get("/v1/credit-notes"))["data"])
    assert numbers == ["AVO/2026/001", "AVO/2026/002"]
    assert note["number"] == "AVO/2026/002"
    shop.today("2026-03-01")
    nxt = shop.run("2026-03-01", finalize=True)
    # the voided contract still bills March; two invoices 3 and 4
    assert sorted(i["number"] for i in nxt) == ["FAC/2026/00003", "FAC/2026/00004"]
    # the void does not make February billed again: March only, 100.00 each
    assert sorted(n for i in nxt for n in nets(i)) == ["100.00", "100.00"]


# H: billing as of a past date ignores an amendment effective later
def test_time_travel_run_as_of_a_past_day(shop: Shop) -> None:
    hosting = product(shop, "hosting", "310.00")
    c = shop.contract(
        shop.customer(),
        "C-H",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-20")
    amend(
        shop,
        c,
        "2026-03-15",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    dry = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-03-01", "dry_run": True}), 201)
    [mar] = shop.run("2026-03-01")
    # as of 1 Mar the 15 Mar price is not known: 310.00, VAT 62.00
    assert totals(mar) == ("310.00", "62.00", "372.00")
    [d] = dry["invoices"]
    assert (d["net_total"], d["gross_total"]) == ("310.00", "372.00")
    [chg] = shop.run("2026-03-15")
    assert sorted(nets(chg)) == ["-170.00", "340.00"]


# I: per-term minimum commitment, terminated mid-term on a period start
def test_per_term_minimum_cut_by_a_termination(shop: Shop) -> None:
    hosting = product(shop, "hosting", "399.00")
    c = shop.contract(
        shop.customer(),
        "C-I",
        "2026-01-01",
        [{"product_id": hosting, "minimum_commitment": {"amount": "6000.00"}}],
        billing_alignment="calendar",
        initial_term_months=12,
    )
    for day in ("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"):
        [inv] = shop.run(day)
        assert nets(inv) == ["399.00"], day
    shop.today("2026-06-10")
    ok(
        shop.api.post(
            f"/v1/contracts/{c}/transitions",
            json={"action": "terminate", "date": "2026-07-01", "reason": "leaving"},
        ),
        201,
    )
    [end] = shop.run("2026-07-01")
    # term [1 Jan 2027) cut at 1 Jul: 181 of 365 days: 6000 × 181/365 = 2975.3425;
    # billed 6 × 399 = 2394.00; top-up 581.3425 → 581.34, VAT 116.268 → 116.27
    assert nets(end) == ["581.34"]
    assert totals(end) == ("581.34", "116.27", "697.61")


# J: suspension in advance across a boundary of an anniversary-31st line
def test_suspension_across_an_anniversary_31st_boundary(shop: Shop) -> None:
    hosting = product(shop, "hosting", "280.00")
    c = shop.contract(
        shop.customer(),
        "C-J",
        "2026-01-31",
        [{"product_id": hosting}],
        billing_alignment="anniversary",
    )
    shop.run("2026-01-31")
    url = f"/v1/contracts/{c}/transitions"
    shop.today("2026-02-20")
    ok(
        shop.api.post(url, json={"action": "suspend", "date": "2026-02-20", "reason": "unpaid"}),
        201,
    )
    [cr] = shop.run("2026-02-20")
    # [31 Jan, 28 Feb) = 28 days, [20 Feb, 28 Feb) = 8 suspended: −280 × 8/28 = −80.00
    assert nets(cr) == ["-80.00"]
    assert shop.run("2026-02-28") == []
    shop.today("2026-03-05")
    ok(shop.api.post(url, json={"action": "resume", "date": "2026-03-05", "reason": "paid"}), 201)
    [res] = shop.run("2026-03-05")
    # [28 Feb, 31 Mar) = 31 days, [5 Mar, 31 Mar) = 26: 280 × 26/31 = 234.838 → 234.84
    assert spans(res) == [("2026-03-05", "2026-03-30", "234.84")]
    [nxt] = shop.run("2026-03-31")
    assert spans(nxt) == [("2026-03-31", "2026-04-29", "280.00")]


# K: two quantity changes in one month, in advance
def test_two_quantity_changes_in_one_month(shop: Shop) -> None:
    seats = product(shop, "seats", "31.00")
    c = shop.contract(
        shop.customer(),
        "C-K",
        "2026-03-01",
        [{"product_id": seats, "quantity": "10"}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    amend(shop, c, "2026-03-11", {"type": "change_quantity", "line_key": "seats", "quantity": "15"})
    amend(shop, c, "2026-03-21", {"type": "change_quantity", "line_key": "seats", "quantity": "12"})
    [a] = shop.run("2026-03-11")
    # [11 Mar, 1 Apr) = 21 days: −310 × 21/31 = −210.00; 465 × 21/31 = 315.00
    assert sorted(nets(a)) == ["-210.00", "315.00"]
    [b] = shop.run("2026-03-21")
    # [21 Mar, 1 Apr) = 11 days: −465 × 11/31 = −165.00; 372 × 11/31 = 132.00
    assert sorted(nets(b)) == ["-165.00", "132.00"]
    assert totals(b) == ("-33.00", "-6.60", "-39.60")
    [apr] = shop.run("2026-04-01")
    assert nets(apr) == ["372.00"]


# L: in arrears, anniversary from the 31st, ended inside the March period
def test_in_arrears_anniversary_31st_ended_mid_period(shop: Shop) -> None:
    support = product(shop, "support", "310.00", timing="in_arrears")
    c = shop.contract(
        shop.customer(),
        "C-L",
        "2026-01-31",
        [{"product_id": support}],
        billing_alignment="anniversary",
    )
    [feb] = shop.run("2026-02-28")
    assert spans(feb) == [("2026-01-31", "2026-02-27", "310.00")]
    shop.today("2026-03-01")
    ok(
        shop.api.post(
            f"/v1/contracts/{c}/transitions",
            json={"action": "terminate", "date": "2026-03-15", "reason": "end"},
        ),
        201,
    )
    assert shop.run("2026-03-14") == []
    [end] = shop.run("2026-03-15")
    # [28 Feb, 31 Mar) = 31 days; [28 Feb, 15 Mar) = 15 used: 310 × 15/31 = 150.00
    assert spans(end) == [("2026-02-28", "2026-03-14", "150.00")]


# M: plan change across VAT rates, in arrears
def test_plan_change_between_vat_rates_in_arrears(shop: Shop) -> None:
    hosting = product(shop, "hosting", "310.00", timing="in_arrears")
    books = product(shop, "ebooks", "155.00", timing="in_arrears", vat_category="reduced")
    c = shop.contract(
        shop.customer(),
        "C-M",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    amend(
        shop,
        c,
        "2026-03-15",
        {"type": "remove_line", "line_key": "hosting"},
        {"type": "add_line", "line": {"product_id": books}},
    )
    # a removed in-arrears line is due on its end (billing-rules: "or on the line's end")
    [cut] = shop.run("2026-03-15")
    # hosting [1 Mar, 15 Mar) = 14/31: 310 × 14/31 = 140.00 at 20 % → 28.00
    assert spans(cut) == [("2026-03-01", "2026-03-14", "140.00")]
    assert totals(cut) == ("140.00", "28.00", "168.00")
    [mar] = shop.run("2026-04-01")
    # ebooks [15 Mar, 1 Apr) = 17/31: 155 × 17/31 = 85.00 at 5.5 % → 4.675 → 4.68
    assert spans(mar) == [("2026-03-15", "2026-03-31", "85.00")]
    assert totals(mar) == ("85.00", "4.68", "89.68")


# N: termination known before a past-dated first run
def test_past_runs_with_a_termination_recorded_before(shop: Shop) -> None:
    hosting = product(shop, "hosting", "310.00")
    c = shop.contract(
        shop.customer(),
        "C-N",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-10")
    ok(
        shop.api.post(
            f"/v1/contracts/{c}/transitions",
            json={"action": "terminate", "date": "2026-03-21", "reason": "end"},
        ),
        201,
    )
    shop.today("2026-03-25")
    [mar] = shop.run("2026-03-01")
    # as of 1 Mar, is the end (in the latest version, recorded 10 Mar) known? the contract's
    # line end is 21 Mar: [1 Mar, 21 Mar) = 20/31 × 310 = 200.00, or 310.00 then −110.00
    first = nets(mar)
    later = shop.run("2026-03-21")
    total = sum(map(Decimal, first)) + sum(Decimal(n) for i in later for n in nets(i))
    assert total == Decimal("200.00"), (first, [nets(i) for i in later])


# O: plan change across VAT rates inside a coupon month
def test_plan_change_between_vat_rates_with_a_percentage_coupon(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "p20",
                "kind": "percentage",
                "value": "20",
                "duration": "repeating",
                "duration_months": 3,
            },
        ),
        201,
    )
    hosting = product(shop, "hosting", "310.00")
    books = product(shop, "ebooks", "155.00", vat_category="reduced")
    c = shop.contract(
        shop.customer(),
        "C-O",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-01")
    ok(shop.api.post(f"/v1/contracts/{c}/coupons", json={"code": "P20"}), 201)
    [mar] = shop.run("2026-03-01")
    assert nets(mar) == ["310.00", "-62.00"]
    amend(
        shop,
        c,
        "2026-03-15",
        {"type": "remove_line", "line_key": "hosting"},
        {"type": "add_line", "line": {"product_id": books}},
    )
    [chg] = shop.run("2026-03-15")
    # 20 %: −170.00 credit, +34.00 coupon share back (170 × 62/310)
    # 5.5 %: 85.00 charge, −17.00 coupon (March is a picked period)
    # net −68.00; VAT −136 × 20 % = −27.20, 68 × 5.5 % = 3.74 → −23.46; gross −91.46
    assert sorted(nets(chg)) == sorted(["-170.00", "34.00", "85.00", "-17.00"])
    assert totals(chg) == ("-68.00", "-23.46", "-91.46")
    [apr] = shop.run("2026-04-01")
    # 155 − 31 = 124.00, VAT 6.82
    assert totals(apr) == ("124.00", "6.82", "130.82")


# P: percentage-of-remaining fee on an anniversary-31st contract
def test_fee_percentage_of_remaining_anniversary_31st(shop: Shop) -> None:
    hosting = product(shop, "hosting", "280.00")
    c = shop.contract(
        shop.customer(),
        "C-P",
        "2026-01-31",
        [{"product_id": hosting}],
        billing_alignment="anniversary",
        initial_term_months=12,
        early_termination_fee={"kind": "percentage_of_remaining", "percentage": "50"},
    )
    shop.run("2026-01-31")
    shop.today("2026-02-10")
    ok(
        shop.api.post(
            f"/v1/contracts/{c}/transitions",
            json={
                "action": "terminate",
                "date": "2026-02-10",
                "with_credit": True,
                "reason": "leaving",
            },
        ),
        201,
    )
    [end] = shop.run("2026-02-10")
    # credit [10 Feb, 28 Feb) of 28 days: −280 × 18/28 = −180.00
    # remaining to 31 Jan 2027: 180.00 + 11 whole anchored months × 280 = 3260.00; 50 % = 1630.00
    # net 1450.00, VAT 290.00, gross 1740.00
    assert sorted(nets(end)) == ["-180.00", "1630.00"]
    assert totals(end) == ("1450.00", "290.00", "1740.00")


# Q: a run as of a past day does not take a coupon redeemed later
def test_past_run_ignores_a_coupon_redeemed_later(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={"code": "once20", "kind": "percentage", "value": "20", "duration": "once"},
        ),
        201,
    )
    hosting = product(shop, "hosting", "310.00")
    c = shop.contract(
        shop.customer(),
        "C-Q",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-20")
    ok(shop.api.post(f"/v1/contracts/{c}/coupons", json={"code": "ONCE20"}), 201)
    [mar] = shop.run("2026-03-01")
    # "once": the first period billed on or after the redemption day (20 Mar): not March
    assert nets(mar) == ["310.00"]
    shop.today("2026-04-01")
    [apr] = shop.run("2026-04-01")
    assert nets(apr) == ["310.00", "-62.00"]


# U: quarterly minimum on an anniversary-31st line
def test_quarterly_minimum_on_anniversary_31st(shop: Shop) -> None:
    hosting = product(shop, "hosting", "100.00")
    shop.contract(
        shop.customer(),
        "C-U",
        "2026-01-31",
        [
            {
                "product_id": hosting,
                "minimum_commitment": {"amount": "400.00", "periodicity": "quarterly"},
            }
        ],
        billing_alignment="anniversary",
    )
    for day in ("2026-01-31", "2026-02-28", "2026-03-31"):
        [inv] = shop.run(day)
        assert nets(inv) == ["100.00"], day
    [apr] = shop.run("2026-04-30")
    # commitment period [31 Jan, 30 Apr): billed 300.00, top-up 100.00 due on 30 Apr
    assert sorted(nets(apr)) == ["100.00", "100.00"]
    mins = [x for x in apr["lines"] if x["period_start"] == "2026-01-31"]
    assert len(mins) == 1 and mins[0]["period_last_day"] == "2026-04-29"


# R: renewal into a new year's pricelist (scheduled repricing) with a coupon repeating 3 months
def test_renewal_repriced_from_next_years_pricelist_with_a_coupon(shop: Shop) -> None:
    hosting = product(shop, "hosting", "399.00")
    ok(shop.api.patch(f"/v1/pricelists/{shop.pricelist_id}", json={"valid_to": "2026-12-31"}))
    pl27 = ok(
        shop.api.post(
            "/v1/pricelists",
            json={
                "name": "Standard 2027",
                "currency": "EUR",
                "valid_from": "2027-01-01",
                "is_default": True,
            },
        ),
        201,
    )
    ok(
        shop.api.post(
            f"/v1/pricelists/{pl27['id']}/entries",
            json={
                "product_id": hosting,
                "unit_price": "450.00",
                "periodicity": "monthly",
                "timing": "in_advance",
            },
        ),
        201,
    )
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "r20",
                "kind": "percentage",
                "value": "20",
                "duration": "repeating",
                "duration_months": 3,
            },
        ),
        201,
    )
    c = shop.contract(
        shop.customer(),
        "C-R",
        "2026-11-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
        initial_term_months=2,
        renewal_months=12,
    )
    shop.today("2026-11-01")
    [nov] = shop.run("2026-11-01")
    assert nets(nov) == ["399.00"]
    shop.today("2026-11-20")
    red = ok(shop.api.post(f"/v1/contracts/{c}/coupons", json={"code": "R20"}), 201)
    assert red["ends_on"] == "2027-02-20"
    amend(shop, c, "2027-01-01", {"type": "change_price", "line_key": "hosting"})
    got = []
    for day in ("2026-12-01", "2027-01-01", "2027-02-01", "2027-03-01"):
        shop.today(day)
        [inv] = shop.run(day)
        got.append(nets(inv))
    # Dec 399 − 79.80; Jan 2027 priced from Standard 2027 on 1 Jan: 450 − 90; Feb (billed 1 Feb,
    # before 20 Feb) 450 − 90; Mar 450
    assert got == [["399.00", "-79.80"], ["450.00", "-90.00"], ["450.00", "-90.00"], ["450.00"]]


# AB: a dry run of a multi-invoice catch-up equals the real run
def test_dry_run_equals_real_catch_up_with_grouping_coupon_and_amendment(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "f50",
                "kind": "fixed",
                "value": "50.00",
                "currency": "EUR",
                "duration": "forever",
            },
        ),
        201,
    )
    hosting = product(shop, "hosting", "310.00")
    books = product(shop, "ebooks", "100.00", vat_category="reduced")
    cust = shop.customer()
    c1 = shop.contract(
        cust, "C-AB1", "2026-02-10", [{"product_id": hosting}], billing_alignment="calendar"
    )
    shop.contract(
        cust,
        "C-AB2",
        "2026-02-10",
        [{"product_id": books}],
        billing_alignment="anniversary",
        invoice_grouping="contract",
    )
    ok(shop.api.post(f"/v1/contracts/{c1}/coupons", json={"code": "F50"}), 201)
    amend(
        shop,
        c1,
        "2026-03-15",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    shop.today("2026-04-12")
    dry = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-04-12", "dry_run": True}), 201)
    real = shop.run("2026-04-12")

    def key(inv: dict[str, Any]) -> tuple:
        return (
            str(inv.get("billing_date")),
            str(inv.get("contract_id")),
            inv["net_total"],
            inv["vat_total"],
            inv["gross_total"],
            tuple(
                sorted(
                    (x["period_start"], x["period_last_day"], x["net_amount"]) for x in inv["lines"]
                )
            ),
        )

    assert sorted(map(key, dry["invoices"])) == sorted(map(key, real))
    # and figures: hosting Feb [10 Feb, 1 Mar) 310 × 19/28 = 210.357 → 210.36
    all_nets = sorted(n for i in real for n in nets(i))
    assert "210.36" in all_nets


# AC: a monthly minimum on a line whose quantity drops mid-month
def test_minimum_after_a_quantity_decrease(shop: Shop) -> None:
    seats = product(shop, "seats", "31.00")
    c = shop.contract(
        shop.customer(),
        "C-AC",
        "2026-03-01",
        [
            {
                "product_id": seats,
                "quantity": "10",
                "minimum_commitment": {"amount": "400.00", "periodicity": "monthly"},
            }
        ],
        billing_alignment="calendar",
    )
    [mar] = shop.run("2026-03-01")
    assert nets(mar) == ["310.00"]
    amend(shop, c, "2026-03-11", {"type": "change_quantity", "line_key": "seats", "quantity": "5"})
    [chg] = shop.run("2026-03-11")
    # [11 Mar, 1 Apr) 21 days: −310 × 21/31 = −210.00; 155 × 21/31 = 105.00
    assert sorted(nets(chg)) == ["-210.00", "105.00"]
    [apr] = shop.run("2026-04-01")
    # March billed 310 − 210 + 105 = 205.00; top-up 400 − 205 = 195.00; April 155.00
    assert sorted(nets(apr)) == ["155.00", "195.00"]
    assert totals(apr) == ("350.00", "70.00", "420.00")


# S: upgrade and termination on the same day
def test_upgrade_and_termination_on_the_same_day(shop: Shop) -> None:
    hosting = product(shop, "hosting", "310.00")
    c = shop.contract(
        shop.customer(),
        "C-S",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    shop.run("2026-03-01")
    shop.today("2026-03-05")
    amend(
        shop,
        c,
        "2026-03-15",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    r = shop.api.post(
        f"/v1/contracts/{c}/transitions",
        json={"action": "terminate", "date": "2026-03-15", "with_credit": True, "reason": "end"},
    )
    # refused as a conflict with the scheduled amendment (409, documented): acceptable
    assert r.status_code == 409, r.text
    invs = shop.run("2026-03-15")
    assert sorted(n for i in invs for n in nets(i)) == ["-170.00", "340.00"]


# T: upgrade during a suspension, in advance: March totals 320.00
def test_upgrade_during_a_suspension(shop: Shop) -> None:
    hosting = product(shop, "hosting", "310.00")
    c = shop.contract(
        shop.customer(),
        "C-T",
        "2026-03-01",
        [{"product_id": hosting}],
        billing_alignment="calendar",
    )
    url = f"/v1/contracts/{c}/transitions"
    shop.run("2026-03-01")
    shop.today("2026-03-11")
    ok(
        shop.api.post(url, json={"action": "suspend", "date": "2026-03-11", "reason": "unpaid"}),
        201,
    )
    shop.run("2026-03-11")
    amend(
        shop,
        c,
        "2026-03-15",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    shop.today("2026-03-15")
    shop.run("2026-03-15")
    shop.today("2026-03-21")
    ok(shop.api.post(url, json={"action": "resume", "date": "2026-03-21", "reason": "paid"}), 201)
    shop.run("2026-03-21")
    invs = ok(shop.api.get("/v1/invoices", params={"limit": 100}))["data"]
    march = Decimal(0)
    for i in invs:
        full = ok(shop.api.get(f"/v1/invoices/{i['id']}"))
        march += sum(
            Decimal(x["net_amount"]) for x in full["lines"] if x["period_start"] < "2026-04-01"
        )
    # billed days: 1–10 Mar at 310 (100.00), 21–31 Mar at 620 (620 × 11/31 = 220.00) = 320.00
    assert march == Decimal("320.00")


# V: semi-annual in arrears, quantity decrease
def test_semi_annual_in_arrears_quantity_decrease(shop: Shop) -> None:
    seats = product(shop, "seats", "60.00", "semi_annual", timing="in_arrears")
    c = shop.contract(
        shop.customer(),
        "C-V",
        "2026-01-01",
        [{"product_id": seats, "quantity": "10"}],
        billing_alignment="calendar",
    )
    amend(shop, c, "2026-04-01", {"type": "change_quantity", "line_key": "seats", "quantity": "4"})
    assert shop.run("2026-06-30") == []
    [h1] = shop.run("2026-07-01")
    # 600 × 90/181 = 298.342 → 298.34; 240 × 91/181 = 120.663 → 120.66; net 419.00, VAT 83.80
    assert sorted(nets(h1)) == ["120.66", "298.34"]
    assert totals(h1) == ("419.00", "83.80", "502.80")


# W: a number format without a sequence cannot give unique numbers
def test_number_format_without_sequence_is_refused(shop: Shop) -> None:
    r = shop.api.patch("/v1/organization", json={"invoice_number_format": "INV-{year}"})
    assert r.status_code == 422, r.text


# X: a UK business (no EU VAT number: docs say vat_number is an EU one) is export
def test_uk_business_is_export(shop: Shop) -> None:
    hosting = product(shop, "hosting", "100.00")
    cid = shop.customer("Brit Ltd", country="GB", kind="company")
    assert ok(shop.api.get(f"/v1/customers/{cid}"))["tax_treatment"] == "export"
    shop.contract(cid, "C-X", "2026-02-01", [{"product_id": hosting}], billing_alignment="calendar")
    [inv] = shop.run("2026-02-01")
    assert totals(inv) == ("100.00", "0.00", "100.00")


# Y: a company in Germany registered with a French VAT number: not reverse charge (rule 4 needs
# a number of a member state other than the seller's) → French VAT
def test_german_address_with_french_vat_number_pays_french_vat(shop: Shop) -> None:
    hosting = product(shop, "hosting", "100.00")
    r = shop.api.post(
        "/v1/customers",
        json={
            "legal_name": "FR branch",
            "country": "DE",
            "kind": "company",
            "vat_number": "FR96552100554",
            "address_line1": "1 Str",
            "postal_code": "10115",
            "city": "Berlin",
        },
    )
    cid = ok(r, 201)["id"]
    assert ok(shop.api.get(f"/v1/customers/{cid}"))["tax_treatment"] == "standard"
    shop.contract(cid, "C-Y", "2026-02-01", [{"product_id": hosting}], billing_alignment="calendar")
    [inv] = shop.run("2026-02-01")
    assert totals(inv) == ("100.00", "20.00", "120.00")


# Z: semi-annual in advance, suspension across the half-year boundary
def test_semi_annual_suspension_across_the_half_year(shop: Shop) -> None:
    lic = product(shop, "licence", "600.00", "semi_annual")
    c = shop.contract(
        shop.customer(), "C-Z", "2026-01-01", [{"product_id": lic}], billing_alignment="calendar"
    )
    shop.run("2026-01-01")
    url = f"/v1/contracts/{c}/transitions"
    shop.today("2026-06-01")
    ok(shop.api.post(url, json={"action": "suspend", "date": "2026-06-01", "reason": "x"}), 201)
    [cr] = shop.run("2026-06-01")
    # H1 181 days, [1 Jun, 1 Jul) = 30: −600 × 30/181 = −99.447 → −99.45
    assert nets(cr) == ["-99.45"]
    shop.today("2026-07-01")
    assert shop.run("2026-07-01") == []
    shop.today("2026-08-01")
    ok(shop.api.post(url, json={"action": "resume", "date": "2026-08-01", "reason": "x"}), 201)
    [res] = shop.run("2026-08-01")
    # H2 = 184 days, [1 Aug, 1 Jan) = 153: 600 × 153/184 = 498.913 → 498.91
    assert spans(res) == [("2026-08-01", "2026-12-31", "498.91")]


# AA: in arrears, suspended across a month end then terminated while suspended
def test_in_arrears_terminated_while_suspended(shop: Shop) -> None:
    support = product(shop, "support", "310.00", timing="in_arrears")
    c = shop.contract(
        shop.customer(),
        "C-AA",
        "2026-03-01",
        [{"product_id": support}],
        billing_alignment="calendar",
    )
    url = f"/v1/contracts/{c}/transitions"
    shop.today("2026-03-20")
    ok(shop.api.post(url, json={"action": "suspend", "date": "2026-03-20", "reason": "x"}), 201)
    shop.today("2026-04-01")
    [mar] = shop.run("2026-04-01")
    assert nets(mar) == ["190.00"]  # 310 × 19/31
    shop.today("2026-04-05")
    r = shop.api.post(url, json={"action": "terminate", "date": "2026-04-10", "reason": "end"})
    assert r.status_code == 201, r.text
    shop.today("2026-04-10")
    # [1 Apr, 10 Apr) all suspended: nothing to bill
    assert [nets(i) for i in shop.run("2026-04-10")] in ([], [["0.00"]])
    assert shop.run("2026-05-01") == []


# AD: anniversary from the 30th, upgrade in the period that starts on 28 Feb
def test_anniversary_30th_upgrade_after_february(shop: Shop) -> None:
    hosting = product(shop, "hosting", "300.00")
    c = shop.contract(
        shop.customer(),
        "C-AD",
        "2026-01-30",
        [{"product_id": hosting}],
        billing_alignment="anniversary",
    )
    shop.run("2026-01-30")
    [feb] = shop.run("2026-02-28")
    assert spans(feb) == [("2026-02-28", "2026-03-29", "300.00")]
    amend(
        shop,
        c,
        "2026-03-10",
        {"type": "change_price", "line_key": "hosting", "unit_price": "600.00"},
    )
    [up] = shop.run("2026-03-10")
    # [28 Feb, 30 Mar) = 30 days; [10 Mar, 30 Mar) = 20:
    # −300 × 20/30 = −200.00; 600 × 20/30 = 400.00
    assert sorted(nets(up)) == ["-200.00", "400.00"]
    [mar] = shop.run("2026-03-30")
    assert spans(mar) == [("2026-03-30", "2026-04-29", "600.00")]
