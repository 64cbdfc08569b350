"""Worked cases across the charge models, aggregations, discounts, VAT treatments and credit
notes, through the public REST API only.

Each figure is computed by hand from the billing rules (docs/billing-rules.md, docs/charges.md,
docs/usage.md, docs/invoices.md, docs/discounts.md) in the comment beside it.
The organization is a French seller in Europe/Paris; the test clock reads 15 Jan 2026 09:30 UTC.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals
from tests.acceptance.test_trade_cases_documents import amend
from tests.acceptance.test_trade_cases_usage import (
    calendar_contract,
    event,
    metric,
    on,
    send,
    usage_lines,
    usage_product,
)

DOMAIN_TIERS = [
    {"up_to": "100", "unit_price": "1.00"},
    {"up_to": "500", "unit_price": "0.80"},
    {"up_to": None, "unit_price": "0.50"},
]


def usage_total(invoice: dict[str, Any]) -> str:
    return f"{sum((Decimal(x['net_amount']) for x in usage_lines(invoice)), Decimal(0)):.2f}"


# --- usage charge models -----------------------------------------------------------------------


def test_graduated_flat_fees_across_two_boundaries_after_free_units(shop: Shop) -> None:
    metric(shop, "units", "sum", field="qty")
    tiers = [
        {"up_to": "100", "unit_price": "1.00", "flat_fee": "10.00"},
        {"up_to": "500", "unit_price": "0.80", "flat_fee": "20.00"},
        {"up_to": None, "unit_price": "0.50", "flat_fee": "30.00"},
    ]
    charge = {"metric": "units", "model": "graduated", "tiers": tiers, "free_units": "50"}
    calendar_contract(shop, [usage_product(shop, "grad", charge, "Units")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("u1", "units", "2026-01-10T10:00:00Z", qty="400"),
            event("u2", "units", "2026-01-20T10:00:00Z", qty="300"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # 700 units − 50 free = 650 billed, from tier 1:
    # 100 × 1.00 = 100.00 + 10.00 fee; 400 × 0.80 = 320.00 + 20.00; 150 × 0.50 = 75.00 + 30.00
    # = 555.00, VAT 111.00, gross 666.00
    assert sorted(nets(january), key=Decimal) == [
        "10.00",
        "20.00",
        "30.00",
        "75.00",
        "100.00",
        "320.00",
    ]
    assert totals(january) == ("555.00", "111.00", "666.00")


def test_volume_tier_exactly_on_a_bound_after_free_units(shop: Shop) -> None:
    metric(shop, "units", "sum", field="qty")
    charge = {"metric": "units", "model": "volume", "tiers": DOMAIN_TIERS, "free_units": "100"}
    calendar_contract(shop, [usage_product(shop, "vol", charge, "Units")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("j", "units", "2026-01-10T10:00:00Z", qty="600"),
            event("f", "units", "2026-02-10T10:00:00Z", qty="600.000001"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January 600 − 100 free = 500 billed: tier 2 (bound inclusive) prices all: 500 × 0.80 = 400.00
    assert on(invoices, "2026-02-01")["net_total"] == "400.00"
    # February 500.000001 billed: the open tier prices all: × 0.50 = 250.0000005 → 250.00
    assert on(invoices, "2026-03-01")["net_total"] == "250.00"


def test_package_partial_packages_with_a_prepaid_block(shop: Shop) -> None:
    metric(shop, "sms", "sum", field="n")
    charge = {
        "metric": "sms",
        "model": "package",
        "package_size": "500",
        "package_price": "20.00",
        "prepaid_units": "300",
    }
    calendar_contract(shop, [usage_product(shop, "sms", charge, "SMS")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("j", "sms", "2026-01-10T10:00:00Z", n="1050"),
            event("f", "sms", "2026-02-10T10:00:00Z", n="100"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January: 1,050 − 300 prepaid = 750 → ceil(750/500) = 2 packages × 20.00 = 40.00
    assert on(invoices, "2026-02-01")["net_total"] == "40.00"
    # February: block used up, 100 → ceil(0.2) = 1 package = 20.00
    assert on(invoices, "2026-03-01")["net_total"] == "20.00"


def test_graduated_with_a_prepaid_block_restarts_at_tier_one_each_month(shop: Shop) -> None:
    metric(shop, "units", "sum", field="qty")
    charge = {
        "metric": "units",
        "model": "graduated",
        "tiers": DOMAIN_TIERS,
        "prepaid_units": "150",
    }
    calendar_contract(shop, [usage_product(shop, "grad", charge, "Units")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("j", "units", "2026-01-10T10:00:00Z", qty="100"),
            event("f", "units", "2026-02-10T10:00:00Z", qty="650"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January: 100 from the block (50 left) → 0.00
    assert on(invoices, "2026-02-01")["net_total"] == "0.00"
    # February: 650 − 50 prepaid = 600 billed from tier 1:
    # 100 × 1.00 + 400 × 0.80 + 100 × 0.50 = 100 + 320 + 50 = 470.00
    assert on(invoices, "2026-03-01")["net_total"] == "470.00"


def test_percentage_with_fixed_fee_min_and_max_on_the_thresholds(shop: Shop) -> None:
    metric(shop, "sales", "sum", field="amount")
    charge = {
        "metric": "sales",
        "model": "percentage",
        "rate": "2",
        "fixed_fee": "0.30",
        "min_fee": "0.50",
        "max_fee": "3.00",
    }
    calendar_contract(shop, [usage_product(shop, "pay", charge, "Payments")])
    shop.today("2026-02-02")
    amounts = ("5.00", "10.00", "100.00", "135.00", "200.00", "9.999999")
    send(
        shop,
        [event(f"t{n}", "sales", "2026-01-10T10:00:00Z", amount=a) for n, a in enumerate(amounts)],
    )
    [january] = shop.run("2026-02-01")
    # fee = 2 % × amount + 0.30 within [0.50, 3.00]:
    # 5 → 0.40 → 0.50; 10 → 0.50; 100 → 2.30; 135 → 3.00; 200 → 4.30 → 3.00;
    # 9.999999 → 0.49999998 → 0.50; sum 0.50 + 0.50 + 2.30 + 3.00 + 3.00 + 0.50 = 9.80
    assert january["net_total"] == "9.80"


# --- aggregations ---------------------------------------------------------------------------------


def test_max_per_region_with_a_numeric_filter_and_group_prices(shop: Shop) -> None:
    metric(
        shop,
        "peak_gb",
        "max",
        field="gb",
        group_by=["region"],
        filters=[{"property": "gb", "op": "lte", "value": "1000"}],
    )
    charge = {
        "metric": "peak_gb",
        "model": "per_unit",
        "unit_price": "0.10",
        "group_prices": [{"group": {"region": "us"}, "unit_price": "0.20"}],
    }
    calendar_contract(shop, [usage_product(shop, "peak", charge, "Peak")])
    shop.today("2026-02-02")
    rows = [
        ("eu", "120"),
        ("eu", "300.5"),
        ("eu", "80"),
        ("us", "50"),
        ("us", "2000"),
        ("us", "75"),
        ("us", "1000"),
    ]
    send(
        shop,
        [
            event(f"p{n}", "peak_gb", f"2026-01-{n + 2:02d}T10:00:00Z", region=r, gb=g)
            for n, (r, g) in enumerate(rows)
        ],
    )
    [january] = shop.run("2026-02-01")
    # gb lte 1000 drops 2000 only (1000 kept, inclusive). eu max 300.5 × 0.10 = 30.05;
    # us max 1000 × 0.20 = 200.00; total 230.05
    assert sorted(nets(january), key=Decimal) == ["30.05", "200.00"]


def test_unique_count_per_region_with_not_in_and_free_units(shop: Shop) -> None:
    metric(
        shop,
        "users",
        "unique_count",
        field="user",
        group_by=["region"],
        filters=[{"property": "role", "op": "not_in", "value": ["bot"]}],
    )
    charge = {"metric": "users", "model": "per_unit", "unit_price": "5.00", "free_units": "1"}
    calendar_contract(shop, [usage_product(shop, "seats", charge, "Users")])
    shop.today("2026-02-02")
    rows = [
        ("eu", "u1", "human"),
        ("eu", "u2", None),
        ("eu", "u1", "human"),
        ("eu", "u9", "bot"),
        ("us", "u1", "human"),
        ("us", "u3", "human"),
    ]
    events = []
    for n, (region, user, role) in enumerate(rows):
        props = {"region": region, "user": user} | ({"role": role} if role else {})
        events.append(event(f"a{n}", "users", "2026-01-10T10:00:00Z", **props))
    send(shop, events)
    [january] = shop.run("2026-02-01")
    # bot left out; eu {u1, u2} = 2 (u2 without role is kept by not_in), us {u1, u3} = 2.
    # 1 free unit goes to eu first (group order): eu 1 × 5.00 = 5.00, us 2 × 5.00 = 10.00
    assert sorted(nets(january), key=Decimal) == ["5.00", "10.00"]
    assert january["net_total"] == "15.00"


def test_weighted_sum_back_to_zero_then_up_and_carried_over(shop: Shop) -> None:
    metric(shop, "gb", "weighted_sum", field="gb", recurring=True)
    charge = {"metric": "gb", "model": "per_unit", "unit_price": "0.10"}
    calendar_contract(shop, [usage_product(shop, "storage", charge, "Storage")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("g1", "gb", "2026-01-01T00:00:00+01:00", gb=100),
            event("g2", "gb", "2026-01-11T00:00:00+01:00", gb=-100),
            event("g3", "gb", "2026-01-21T00:00:00+01:00", gb=62),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January (Paris days): 100 × 10 days + 0 × 10 + 62 × 11 = 1682 / 31 = 54.258064… →
    # 54.258065 GB-months × 0.10 = 5.4258065 → 5.43
    jan = usage_lines(on(invoices, "2026-02-01"))
    assert [(x["quantity"], x["net_amount"]) for x in jan] == [("54.258065", "5.43")]
    # February, carried over: 62 all month → 6.20
    feb = usage_lines(on(invoices, "2026-03-01"))
    assert [(x["quantity"], x["net_amount"]) for x in feb] == [("62", "6.20")]


def test_latest_not_recurring_idle_month_is_topped_up_to_the_minimum(shop: Shop) -> None:
    metric(shop, "meter", "latest", field="v")
    charge = {
        "metric": "meter",
        "model": "per_unit",
        "unit_price": "1.00",
        "minimum_spend": "10.00",
    }
    calendar_contract(shop, [usage_product(shop, "meter", charge, "Meter")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("m1", "meter", "2026-01-05T10:00:00Z", v="40"),
            event("m2", "meter", "2026-01-25T10:00:00Z", v="25"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January: latest 25 → 25.00 (over the minimum)
    assert on(invoices, "2026-02-01")["net_total"] == "25.00"
    # February: no reading, not recurring → 0, topped up to 10.00
    assert on(invoices, "2026-03-01")["net_total"] == "10.00"


def test_vat_per_rate_on_the_sum_of_usage_group_lines(shop: Shop) -> None:
    metric(shop, "calls", "count", group_by=["region"])
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "0.05"}
    body = {"code": "calls", "name_en": "Calls", "kind": "usage", "vat_category": "intermediate"}
    pid = ok(shop.api.post("/v1/products", json=body), 201)["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{shop.pricelist_id}/entries",
            json={"product_id": pid, "unit_price": "0", "charge": charge},
        ),
        201,
    )
    calendar_contract(shop, [pid])
    shop.today("2026-02-02")
    send(shop, [event(f"c{r}", "calls", "2026-01-10T10:00:00Z", region=r) for r in "abc"])
    [january] = shop.run("2026-02-01")
    # three lines of 0.05 at 10 %: VAT 0.15 × 10 % = 0.015 → 0.02 (not 3 × 0.01 = 0.03 or 0.00)
    assert nets(january) == ["0.05", "0.05", "0.05"]
    assert totals(january) == ("0.15", "0.02", "0.17")


# --- recurring ------------------------------------------------------------------------------------


def test_quarterly_in_advance_mid_quarter_with_a_two_period_discount(shop: Shop) -> None:
    support = shop.product(
        "support", unit_price="1200.00", periodicity="quarterly", timing="in_advance"
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-15",
        [
            {
                "product_id": support,
                "discounts": [{"kind": "percentage", "value": "20", "periods": 2}],
            }
        ],
        billing_alignment="calendar",
    )
    # Q1 partial counts as period 1: [15 Feb, 1 Apr) = 45 of 90 days: 1200 × 45/90 × 0.8 = 480.00
    [q1] = shop.run("2026-02-15")
    assert nets(q1) == ["480.00"]
    assert shop.run("2026-03-01") == []
    # Q2: period 2, 1200 × 0.8 = 960.00; Q3 full 1200.00
    [q2] = shop.run("2026-04-01")
    assert nets(q2) == ["960.00"]
    [q3] = shop.run("2026-07-01")
    assert nets(q3) == ["1200.00"]


def test_annual_in_arrears_calendar_then_ended(shop: Shop) -> None:
    licence = shop.product(
        "licence", unit_price="3650.00", periodicity="annual", timing="in_arrears"
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-07-01",
        [{"product_id": licence}],
        billing_alignment="calendar",
    )
    assert shop.run("2026-12-31") == []
    [first] = shop.run("2027-01-01")
    # [1 Jul 2026, 1 Jan 2027) = 184 of 2026's 365 days: 3650 × 184/365 = 1840.00
    assert nets(first) == ["1840.00"]
    assert (first["lines"][0]["period_start"], first["lines"][0]["period_last_day"]) == (
        "2026-07-01",
        "2026-12-31",
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2027-04-01", "reason": "closing"},
        ),
        201,
    )
    [last] = shop.run("2027-04-01")
    # [1 Jan 2027, 1 Apr 2027) = 90 of 365 days: 3650 × 90/365 = 900.00, due on the end
    assert nets(last) == ["900.00"]
    assert shop.run("2028-01-01") == []


def test_two_percentage_discounts_and_a_fixed_one_add_up(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [
            {
                "product_id": hosting(shop),
                "discounts": [
                    {"kind": "percentage", "value": "10"},
                    {"kind": "percentage", "value": "20"},
                    {"kind": "fixed", "value": "50.00"},
                ],
            }
        ],
        billing_alignment="calendar",
    )
    [february] = shop.run("2026-02-01")
    # "Several discounts add up": 399 − 39.90 − 79.80 − 50.00 = 229.30 (not compounded)
    assert nets(february) == ["229.30"]
    assert totals(february) == ("229.30", "45.86", "275.16")


def test_fixed_discount_above_the_price_then_terminated_credits_nothing(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "discounts": [{"kind": "fixed", "value": "500.00"}]}],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    # €500 off €399 floors at zero
    assert nets(march) == ["0.00"]
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={
                "action": "terminate",
                "date": "2026-03-21",
                "with_credit": True,
                "reason": "closing",
            },
        ),
        201,
    )
    credits = shop.run("2026-03-21")
    # the credit is "prorated exactly like the charge it cancels (same discounts)": 0.00 paid
    # for [21 Mar, 1 Apr) → nothing to give back
    given = sum((Decimal(n) for i in credits for n in nets(i)), Decimal(0))
    assert given == 0


def test_fixed_discount_on_a_partial_month_then_a_downgrade(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "620.00",
                "discounts": [{"kind": "fixed", "value": "31.00", "periods": 2}],
            }
        ],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["589.00"]  # 620 − 31
    [april] = shop.run("2026-04-01")
    assert nets(april) == ["589.00"]
    amend(
        shop,
        contract,
        "2026-04-16",
        {"type": "change_price", "line_key": "hosting", "unit_price": "310.00"},
    )
    [change] = shop.run("2026-04-16")
    # [16 Apr, 1 May) = 15 of 30 days, April is period 2 (discounted):
    # credit −(620 − 31) × 15/30 = −294.50; charge (310 − 31) × 15/30 = 139.50
    assert sorted(nets(change), key=Decimal) == ["-294.50", "139.50"]
    [may] = shop.run("2026-05-01")
    assert nets(may) == ["310.00"]  # discount over after 2 periods


def test_seats_prorated_rounded_once_then_credited_by_quantity_and_paid(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop), "quantity": "3"}],
        billing_alignment="calendar",
    )
    [january] = shop.run("2026-01-15", finalize=True)
    # 3 × 399 × 17/31 = 20349/31 = 656.419… → 656.42 (not 3 × 218.81 = 656.43);
    # VAT 131.284 → 131.28; gross 787.70
    assert totals(january) == ("656.42", "131.28", "787.70")
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": january["id"],
                "reason": "one seat less",
                "lines": [{"position": 1, "quantity": "1"}],
            },
        ),
        201,
    )
    # 656.42 × 1/3 = 218.8066… → 218.81, VAT 43.762 → 43.76, gross 262.57
    assert (note["net_total"], note["vat_total"], note["gross_total"]) == (
        "-218.81",
        "-43.76",
        "-262.57",
    )
    assert note["number"] == "AV-2026-000001"
    after = ok(shop.api.get(f"/v1/invoices/{january['id']}"))
    assert after["amount_due"] == "525.13"  # 787.70 − 262.57
    too_much = shop.api.post(
        f"/v1/invoices/{january['id']}/payments", json={"amount": "525.14", "date": "2026-01-15"}
    )
    assert too_much.status_code == 422, too_much.text
    ok(
        shop.api.post(
            f"/v1/invoices/{january['id']}/payments",
            json={"amount": "525.13", "date": "2026-01-15"},
        ),
        201,
    )
    paid = ok(shop.api.get(f"/v1/invoices/{january['id']}"))
    assert (paid["status"], paid["amount_due"]) == ("paid", "0.00")
    rest = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": january["id"],
                "reason": "the rest",
                "lines": [{"position": 1}],
                "settlement": "balance",
            },
        ),
        201,
    )
    # the rest of the line: 656.42 − 218.81 = 437.61, VAT 87.522 → 87.52, gross 525.13
    assert (rest["net_total"], rest["vat_total"], rest["gross_total"]) == (
        "-437.61",
        "-87.52",
        "-525.13",
    )


def test_credit_note_by_line_on_two_rates_then_void_and_numbering(shop: Shop) -> None:
    ebooks = ok(
        shop.api.post(
            "/v1/products",
            json={
                "code": "ebooks",
                "name_en": "Ebooks",
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
                "product_id": ebooks,
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
        "2026-01-01",
        [{"product_id": hosting(shop)}, {"product_id": ebooks}],
        billing_alignment="calendar",
    )
    [invoice] = shop.run("2026-01-01", finalize=True)
    # 399.00 at 20 % (79.80) + 100.00 at 5.5 % (5.50): 499.00 / 85.30 / 584.30
    assert totals(invoice) == ("499.00", "85.30", "584.30")
    assert invoice["number"] == "F-2026-000001"
    pos = next(x["position"] for x in invoice["lines"] if x["net_amount"] == "100.00")
    first = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "no ebooks", "lines": [{"position": pos}]},
        ),
        201,
    )
    assert (first["number"], first["gross_total"]) == ("AV-2026-000001", "-105.50")
    ok(shop.api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "cancelled"}), 201)
    notes = ok(shop.api.get("/v1/credit-notes"))["data"]
    void = next(n for n in notes if n["number"] == "AV-2026-000002")
    # what is left: the hosting line at 20 %: −399.00 / −79.80 / −478.80
    assert (void["net_total"], void["vat_total"], void["gross_total"]) == (
        "-399.00",
        "-79.80",
        "-478.80",
    )
    after = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert (after["status"], after["amount_due"]) == ("voided", "0.00")
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    assert february["number"] == "F-2026-000002"


def test_reverse_charge_and_export_usage_invoices(shop: Shop) -> None:
    metric(shop, "calls", "count")
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "0.10"}
    product = usage_product(shop, "calls", charge, "Calls")
    german = shop.customer("Datenwerk GmbH", country="DE", kind="company", vat_number="DE136695976")
    american = shop.customer("Acme Inc", country="US", kind="company")
    calendar_contract(shop, [product], "C-DE", customer=german)
    calendar_contract(shop, [product], "C-US", customer=american)
    shop.today("2026-02-02")
    send(
        shop,
        [event(f"d{n}", "calls", "2026-01-10T10:00:00Z", "C-DE") for n in range(25)]
        + [event(f"u{n}", "calls", "2026-01-10T10:00:00Z", "C-US") for n in range(25)],
    )
    by_customer = {i["customer_id"]: i for i in shop.run("2026-02-01", finalize=True)}
    # 25 × 0.10 = 2.50, VAT 0 for both
    assert totals(by_customer[german]) == ("2.50", "0.00", "2.50")
    assert totals(by_customer[american]) == ("2.50", "0.00", "2.50")
    de_xml = shop.api.get(
        f"/v1/invoices/{by_customer[german]['id']}/pdf", params={"format": "xml"}
    ).text
    us_xml = shop.api.get(
        f"/v1/invoices/{by_customer[american]['id']}/pdf", params={"format": "xml"}
    ).text
    assert "196" in de_xml and "Autoliquidation" in de_xml
    assert "259" in us_xml


# --- round 2 -----------------------------------------------------------------------------------


def test_graduated_group_prices_with_their_own_tiers(shop: Shop) -> None:
    metric(shop, "units", "sum", field="qty", group_by=["region"])
    charge = {
        "metric": "units",
        "model": "graduated",
        "tiers": DOMAIN_TIERS,
        "free_units": "50",
        "group_prices": [
            {
                "group": {"region": "us"},
                "tiers": [
                    {"up_to": "200", "unit_price": "2.00"},
                    {"up_to": None, "unit_price": "1.50"},
                ],
            }
        ],
    }
    calendar_contract(shop, [usage_product(shop, "grad", charge, "Units")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("e", "units", "2026-01-10T10:00:00Z", region="eu", qty="30"),
            event("u", "units", "2026-01-10T10:00:00Z", region="us", qty="300"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # groups in order of values: eu takes 30 free (20 left), us 20 free → 280 billed on its tiers:
    # 200 × 2.00 + 80 × 1.50 = 400.00 + 120.00 = 520.00
    assert usage_total(january) == "520.00"


def test_recurring_latest_per_region_carried_over(shop: Shop) -> None:
    metric(shop, "seats", "latest", field="n", group_by=["region"], recurring=True)
    charge = {"metric": "seats", "model": "per_unit", "unit_price": "10.00"}
    calendar_contract(shop, [usage_product(shop, "seats", charge, "Seats")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("e1", "seats", "2026-01-05T10:00:00Z", region="eu", n="4"),
            event("u1", "seats", "2026-01-06T10:00:00Z", region="us", n="2"),
            event("u2", "seats", "2026-02-06T10:00:00Z", region="us", n="5"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January eu 4, us 2 → 60.00; February eu carried 4, us 5 → 90.00
    assert usage_total(on(invoices, "2026-02-01")) == "60.00"
    assert usage_total(on(invoices, "2026-03-01")) == "90.00"


def test_recurring_sum_per_region_carried_over(shop: Shop) -> None:
    metric(shop, "licences", "sum", field="n", group_by=["region"], recurring=True)
    charge = {"metric": "licences", "model": "per_unit", "unit_price": "10.00"}
    calendar_contract(shop, [usage_product(shop, "lic", charge, "Licences")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("e1", "licences", "2026-01-05T10:00:00Z", region="eu", n="3"),
            event("u1", "licences", "2026-01-06T10:00:00Z", region="us", n="2"),
            event("e2", "licences", "2026-02-06T10:00:00Z", region="eu", n="-1"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January eu 3, us 2 → 50.00; February eu 3 − 1 = 2, us carried 2 → 40.00
    assert usage_total(on(invoices, "2026-02-01")) == "50.00"
    assert usage_total(on(invoices, "2026-03-01")) == "40.00"


def test_weighted_sum_per_region(shop: Shop) -> None:
    metric(shop, "gb", "weighted_sum", field="gb", group_by=["region"])
    charge = {
        "metric": "gb",
        "model": "per_unit",
        "unit_price": "0.10",
        "group_prices": [{"group": {"region": "us"}, "unit_price": "0.20"}],
    }
    calendar_contract(shop, [usage_product(shop, "storage", charge, "Storage")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("e1", "gb", "2026-01-01T00:00:00+01:00", region="eu", gb=310),
            event("u1", "gb", "2026-01-17T00:00:00+01:00", region="us", gb=31),
        ],
    )
    [january] = shop.run("2026-02-01")
    # eu 310 all month → 310 × 0.10 = 31.00; us 31 for 15 of 31 days → 15 × 0.20 = 3.00
    assert sorted(nets(january), key=Decimal) == ["3.00", "31.00"]


def test_percentage_free_amount_and_free_transactions_across_groups(shop: Shop) -> None:
    metric(shop, "sales", "sum", field="amount", group_by=["region"])
    charge = {
        "metric": "sales",
        "model": "percentage",
        "rate": "2",
        "fixed_fee": "0.25",
        "free_amount": "1000",
        "free_units": "3",
    }
    calendar_contract(shop, [usage_product(shop, "pay", charge, "Payments")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("e1", "sales", "2026-01-10T10:00:00Z", region="eu", amount="600"),
            event("e2", "sales", "2026-01-10T11:00:00Z", region="eu", amount="100"),
            event("u1", "sales", "2026-01-10T10:00:00Z", region="us", amount="900"),
            event("u2", "sales", "2026-01-10T11:00:00Z", region="us", amount="500"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # eu first: 700 of the free amount (300 left), 2 free transactions (1 left): 0.00 + 0.00
    # us: 1400 − 300 = 1100 × 2 % = 22.00; 2 − 1 = 1 × 0.25 = 0.25 → 22.25
    assert usage_total(january) == "22.25"


def test_usage_minimum_spend_and_free_units_on_a_line_ending_mid_month(shop: Shop) -> None:
    metric(shop, "calls", "count")
    charge = {
        "metric": "calls",
        "model": "per_unit",
        "unit_price": "1.00",
        "free_units": "10",
        "minimum_spend": "30.00",
    }
    contract = calendar_contract(
        shop, [usage_product(shop, "calls", charge, "Calls")], start="2026-03-01"
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-03-11", "reason": "closing"},
        ),
        201,
    )
    shop.today("2026-03-12")
    send(shop, [event(f"c{n}", "calls", "2026-03-05T10:00:00Z") for n in range(15)])
    invoices = shop.run("2026-03-11")
    # [1 Mar, 11 Mar) = 10 of 31 days: minimum 30 × 10/31 = 9.677… → 9.68;
    # 15 − 10 free (not prorated) = 5 × 1.00 = 5.00 → top-up 4.68 → 9.68
    assert usage_total(on(invoices, "2026-03-11")) == "9.68"


def test_quarterly_termination_in_an_undiscounted_period_credits_full_price(shop: Shop) -> None:
    support = shop.product(
        "support", unit_price="900.00", periodicity="quarterly", timing="in_advance"
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [
            {
                "product_id": support,
                "discounts": [{"kind": "percentage", "value": "50", "periods": 1}],
            }
        ],
        billing_alignment="calendar",
    )
    [q1] = shop.run("2026-01-01")
    assert nets(q1) == ["450.00"]
    [q2] = shop.run("2026-04-01")
    assert nets(q2) == ["900.00"]
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={
                "action": "terminate",
                "date": "2026-05-16",
                "with_credit": True,
                "reason": "closing",
            },
        ),
        201,
    )
    [end] = shop.run("2026-05-16")
    # Q2 = 91 days; [16 May, 1 Jul) = 16 + 30 = 46 days: −900 × 46/91 = −454.945… → −454.95
    assert nets(end) == ["-454.95"]


def test_credit_note_by_amount_on_a_reverse_charge_invoice(shop: Shop) -> None:
    german = shop.customer("Datenwerk GmbH", country="DE", kind="company", vat_number="DE136695976")
    shop.contract(
        german, "C-1", "2026-01-01", [{"product_id": hosting(shop)}], billing_alignment="calendar"
    )
    [invoice] = shop.run("2026-01-01", finalize=True)
    assert totals(invoice) == ("399.00", "0.00", "399.00")
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": invoice["id"], "reason": "goodwill", "amount": "100.00"},
        ),
        201,
    )
    # 0 % rate: the whole 100.00 is net
    assert (note["net_total"], note["vat_total"], note["gross_total"]) == (
        "-100.00",
        "0.00",
        "-100.00",
    )
    after = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert after["amount_due"] == "299.00"


def test_half_even_graduated_tier_and_half_up_vat(shop: Shop) -> None:
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    metric(shop, "units", "sum", field="qty")
    tiers = [{"up_to": "10", "unit_price": "0.0125"}, {"up_to": None, "unit_price": "0.0135"}]
    charge = {"metric": "units", "model": "graduated", "tiers": tiers}
    calendar_contract(shop, [usage_product(shop, "grad", charge, "Units")])
    shop.today("2026-02-02")
    send(shop, [event("e", "units", "2026-01-10T10:00:00Z", qty="20")])
    [january] = shop.run("2026-02-01")
    # tier 1: 10 × 0.0125 = 0.125 → 0.12 (half even); tier 2: 10 × 0.0135 = 0.135 → 0.14
    # net 0.26, VAT 20 % 0.052 → 0.05
    assert nets(january) == ["0.12", "0.14"]
    assert totals(january) == ("0.26", "0.05", "0.31")


def test_numeric_filters_gt_and_eq_on_numbers(shop: Shop) -> None:
    metric(
        shop,
        "big",
        "count",
        filters=[
            {"property": "amount", "op": "gt", "value": "99.99"},
            {"property": "tier", "op": "eq", "value": "5"},
        ],
    )
    charge = {"metric": "big", "model": "per_unit", "unit_price": "1.00"}
    calendar_contract(shop, [usage_product(shop, "big", charge, "Big")])
    shop.today("2026-02-02")
    rows = [("100", 5), ("99.99", 5), ("150.5", "5"), ("abc", 5), ("200", 4), (1e2, 5)]
    send(
        shop,
        [
            event(f"b{n}", "big", "2026-01-10T10:00:00Z", amount=a, tier=t)
            for n, (a, t) in enumerate(rows[:5])
        ],
    )
    [january] = shop.run("2026-02-01")
    # kept: 100 (gt 99.99, tier 5 as number eq "5"), 150.5 (string "5"); 99.99 not gt;
    # "abc" no number; tier 4 out → 2 × 1.00
    assert january["net_total"] == "2.00"


def test_percentage_coupon_on_hosting_and_usage_of_its_month(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={"code": "TEN", "kind": "percentage", "value": "10", "duration": "once"},
        ),
        201,
    )
    metric(shop, "calls", "count")
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "1.00"}
    calls = usage_product(shop, "calls", charge, "Calls")
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [{"product_id": hosting(shop)}, {"product_id": calls}],
        billing_alignment="calendar",
    )
    ok(shop.api.post(f"/v1/contracts/{contract}/coupons", json={"code": "TEN"}), 201)
    [jan] = shop.run("2026-01-15")
    # 218.81 − 10 % (21.881 → 21.88)
    assert nets(jan) == ["218.81", "-21.88"]
    shop.today("2026-02-02")
    send(shop, [event(f"c{n}", "calls", "2026-01-20T10:00:00Z") for n in range(50)])
    [feb] = shop.run("2026-02-01")
    # February hosting 399.00 full price; January's 50 calls = 50.00 belong to January's
    # period (the coupon's): −5.00
    assert sorted(nets(feb), key=Decimal) == ["-5.00", "50.00", "399.00"]


# --- round 3 -----------------------------------------------------------------------------------


def test_prepaid_block_drawn_by_two_regions_over_two_months(shop: Shop) -> None:
    metric(shop, "msgs", "sum", field="n", group_by=["region"])
    charge = {"metric": "msgs", "model": "per_unit", "unit_price": "0.10", "prepaid_units": "1000"}
    calendar_contract(shop, [usage_product(shop, "msgs", charge, "Messages")])
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("e1", "msgs", "2026-01-10T10:00:00Z", region="eu", n="300"),
            event("u1", "msgs", "2026-01-10T10:00:00Z", region="us", n="400"),
            event("e2", "msgs", "2026-02-10T10:00:00Z", region="eu", n="200"),
            event("u2", "msgs", "2026-02-10T10:00:00Z", region="us", n="200"),
            event("e3", "msgs", "2026-03-10T10:00:00Z", region="eu", n="10"),
        ],
    )
    invoices = shop.run("2026-04-01")
    # January draws 700 (300 left): 0.00
    assert usage_total(on(invoices, "2026-02-01")) == "0.00"
    # February: eu 200 from the block (100 left), us 100 from the block + 100 × 0.10 = 10.00
    assert usage_total(on(invoices, "2026-03-01")) == "10.00"
    # March: block used up: 10 × 0.10 = 1.00
    assert usage_total(on(invoices, "2026-04-01")) == "1.00"


def test_prepaid_block_by_region_month_by_month(shop: Shop) -> None:
    metric(shop, "msgs", "sum", field="n", group_by=["region"])
    charge = {"metric": "msgs", "model": "per_unit", "unit_price": "0.10", "prepaid_units": "1000"}
    calendar_contract(shop, [usage_product(shop, "msgs", charge, "Messages")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("e1", "msgs", "2026-01-10T10:00:00Z", region="eu", n="300"),
            event("u1", "msgs", "2026-01-10T10:00:00Z", region="us", n="400"),
        ],
    )
    [jan] = shop.run("2026-02-01")
    assert usage_total(jan) == "0.00"
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("e2", "msgs", "2026-02-10T10:00:00Z", region="eu", n="200"),
            event("u2", "msgs", "2026-02-10T10:00:00Z", region="us", n="200"),
        ],
    )
    [feb] = shop.run("2026-03-01")
    # 1000 − 700 = 300 left: eu 200, us 100 → 100 × 0.10 = 10.00
    assert usage_total(feb) == "10.00"


def test_recurring_weighted_sum_per_region_carried_over(shop: Shop) -> None:
    metric(shop, "gb", "weighted_sum", field="gb", group_by=["region"], recurring=True)
    charge = {"metric": "gb", "model": "per_unit", "unit_price": "0.10"}
    calendar_contract(shop, [usage_product(shop, "storage", charge, "Storage")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("e1", "gb", "2026-01-01T00:00:00+01:00", region="eu", gb=100),
            event("u1", "gb", "2026-01-01T00:00:00+01:00", region="us", gb=50),
            event("u2", "gb", "2026-02-15T00:00:00+01:00", region="us", gb=-50),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January: eu 100 → 10.00, us 50 → 5.00
    assert sorted(nets(on(invoices, "2026-02-01")), key=Decimal) == ["5.00", "10.00"]
    # February: eu carried 100 → 10.00; us 50 for 14 of 28 days = 25 → 2.50
    assert sorted(nets(on(invoices, "2026-03-01")), key=Decimal) == ["2.50", "10.00"]


def test_package_group_prices(shop: Shop) -> None:
    metric(shop, "sms", "sum", field="n", group_by=["country"])
    charge = {
        "metric": "sms",
        "model": "package",
        "package_size": "100",
        "package_price": "5.00",
        "group_prices": [
            {"group": {"country": "US"}, "package_size": "50", "package_price": "4.00"}
        ],
    }
    calendar_contract(shop, [usage_product(shop, "sms", charge, "SMS")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("f", "sms", "2026-01-10T10:00:00Z", country="FR", n="101"),
            event("u", "sms", "2026-01-10T10:00:00Z", country="US", n="101"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # FR ceil(101/100) = 2 × 5.00 = 10.00; US ceil(101/50) = 3 × 4.00 = 12.00
    assert sorted(nets(january), key=Decimal) == ["10.00", "12.00"]


def test_volume_flat_fee_on_the_bound(shop: Shop) -> None:
    metric(shop, "units", "sum", field="qty")
    tiers = [
        {"up_to": "100", "unit_price": "1.00", "flat_fee": "10.00"},
        {"up_to": None, "unit_price": "0.50", "flat_fee": "30.00"},
    ]
    charge = {"metric": "units", "model": "volume", "tiers": tiers}
    calendar_contract(shop, [usage_product(shop, "vol", charge, "Units")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("j", "units", "2026-01-10T10:00:00Z", qty="100"),
            event("f", "units", "2026-02-10T10:00:00Z", qty="100.5"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January 100: tier 1 (inclusive) prices all + its fee: 100.00 + 10.00
    assert on(invoices, "2026-02-01")["net_total"] == "110.00"
    # February 100.5: tier 2: 50.25 + 30.00 = 80.25
    assert on(invoices, "2026-03-01")["net_total"] == "80.25"


def test_graduated_decimal_bounds(shop: Shop) -> None:
    metric(shop, "gb", "max", field="gb")
    tiers = [
        {"up_to": "1.5", "unit_price": "0"},
        {"up_to": "10.25", "unit_price": "2.00"},
        {"up_to": None, "unit_price": "1.00"},
    ]
    charge = {"metric": "gb", "model": "graduated", "tiers": tiers}
    calendar_contract(shop, [usage_product(shop, "gb", charge, "GB")])
    shop.today("2026-02-02")
    send(shop, [event("a", "gb", "2026-01-10T10:00:00Z", gb="12.333333")])
    [january] = shop.run("2026-02-01")
    # 1.5 free-priced, (10.25 − 1.5) × 2.00 = 17.50, (12.333333 − 10.25) = 2.083333 × 1 = 2.08
    # → 0.00 + 17.50 + 2.08 = 19.58
    assert january["net_total"] == "19.58"


def test_group_price_first_match_and_events_without_the_property(shop: Shop) -> None:
    metric(shop, "calls", "count", group_by=["region", "plan"])
    charge = {
        "metric": "calls",
        "model": "per_unit",
        "unit_price": "1.00",
        "group_prices": [
            {"group": {"region": "us"}, "unit_price": "2.00"},
            {"group": {"region": "us", "plan": "pro"}, "unit_price": "3.00"},
        ],
    }
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Calls")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("a", "calls", "2026-01-10T10:00:00Z", region="us", plan="pro"),
            event("b", "calls", "2026-01-10T10:00:00Z", region="us"),
            event("c", "calls", "2026-01-10T10:00:00Z", plan="pro"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # us/pro: first match {region us} → 2.00; us/(none) → 2.00; (none)/pro → default 1.00
    assert usage_total(january) == "5.00"


def test_minimum_commitment_counts_the_line_after_its_discount(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "200.00",
                "discounts": [{"kind": "percentage", "value": "50"}],
                "minimum_commitment": {"amount": "150.00", "periodicity": "monthly"},
            }
        ],
        billing_alignment="calendar",
    )
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["100.00"]  # 200 × 50 %
    [april] = shop.run("2026-04-01")
    # "what counts as billed: the line's charges and credits (after discounts)": 150 − 100 = 50
    assert sorted(nets(april), key=Decimal) == ["50.00", "100.00"]


def test_discount_starting_mid_month_for_two_periods(shop: Shop) -> None:
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "310.00",
                "discounts": [
                    {"kind": "percentage", "value": "20", "periods": 2, "start": "2026-02-15"}
                ],
            }
        ],
        billing_alignment="calendar",
    )
    shop.run("2026-01-01")
    [feb] = shop.run("2026-02-01")
    # February (28 days) cut on 15 Feb: [1, 15) 310 × 14/28 = 155.00; [15, 1 Mar) 155 × 0.8 = 124.00
    assert sorted(nets(feb), key=Decimal) == ["124.00", "155.00"]
    [mar] = shop.run("2026-03-01")
    assert nets(mar) == ["248.00"]  # period 2 of the discount
    [apr] = shop.run("2026-04-01")
    assert nets(apr) == ["310.00"]


def test_coupon_redemption_limit(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "ONLY1",
                "kind": "fixed",
                "value": "50.00",
                "currency": "EUR",
                "duration": "forever",
                "max_redemptions": 1,
            },
        ),
        201,
    )
    product = hosting(shop)
    c1 = shop.contract(shop.customer("A"), "C-1", "2026-02-01", [{"product_id": product}])
    c2 = shop.contract(shop.customer("B"), "C-2", "2026-02-01", [{"product_id": product}])
    ok(shop.api.post(f"/v1/contracts/{c1}/coupons", json={"code": "only1"}), 201)
    refused = shop.api.post(f"/v1/contracts/{c2}/coupons", json={"code": "ONLY1"})
    assert refused.status_code == 409, refused.text
    # C-1: 399.00 − 50.00 = 349.00; C-2 without the coupon: 399.00
    by_total = sorted(i["net_total"] for i in shop.run("2026-02-01"))
    assert by_total == ["349.00", "399.00"]


def test_void_of_an_invoice_with_a_coupon_line(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/coupons",
            json={"code": "W20", "kind": "percentage", "value": "20", "duration": "forever"},
        ),
        201,
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    ok(shop.api.post(f"/v1/contracts/{contract}/coupons", json={"code": "W20"}), 201)
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    # 399.00 − 79.80 = 319.20, VAT 63.84, gross 383.04
    assert totals(invoice) == ("319.20", "63.84", "383.04")
    bad = shop.api.post(
        "/v1/credit-notes",
        json={"invoice_id": invoice["id"], "reason": "x", "lines": [{"position": 2}]},
    )
    assert bad.status_code == 422, bad.text  # a negative line is not credited alone
    ok(shop.api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "cancelled"}), 201)
    [note] = ok(shop.api.get("/v1/credit-notes"))["data"]
    assert (note["net_total"], note["vat_total"], note["gross_total"]) == (
        "-319.20",
        "-63.84",
        "-383.04",
    )


def test_credit_note_by_quantity_on_a_usage_tier_line(shop: Shop) -> None:
    metric(shop, "units", "sum", field="qty")
    charge = {"metric": "units", "model": "graduated", "tiers": DOMAIN_TIERS}
    calendar_contract(shop, [usage_product(shop, "grad", charge, "Units")])
    shop.today("2026-02-02")
    send(shop, [event("u", "units", "2026-01-10T10:00:00Z", qty="650")])
    [january] = shop.run("2026-02-01", finalize=True)
    assert totals(january) == ("495.00", "99.00", "594.00")
    tier2 = next(x for x in january["lines"] if x["net_amount"] == "320.00")
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": january["id"],
                "reason": "disputed calls",
                "lines": [{"position": tier2["position"], "quantity": "100"}],
            },
        ),
        201,
    )
    # 320.00 × 100/400 = 80.00, VAT 16.00
    assert (note["net_total"], note["vat_total"], note["gross_total"]) == (
        "-80.00",
        "-16.00",
        "-96.00",
    )


# --- round 5 -----------------------------------------------------------------------------------


def test_anniversary_from_the_31st_two_period_discount_then_terminated(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-31",
        [
            {
                "product_id": hosting(shop),
                "unit_price": "280.00",
                "discounts": [{"kind": "percentage", "value": "25", "periods": 2}],
            }
        ],
        billing_alignment="anniversary",
    )
    # periods from the anchor: [31 Jan, 28 Feb), [28 Feb, 31 Mar), [31 Mar, 30 Apr)
    [p1] = shop.run("2026-01-31")
    assert nets(p1) == ["210.00"]  # 280 × 0.75
    [p2] = shop.run("2026-02-28")
    assert nets(p2) == ["210.00"]
    assert (p2["lines"][0]["period_start"], p2["lines"][0]["period_last_day"]) == (
        "2026-02-28",
        "2026-03-30",
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={
                "action": "terminate",
                "date": "2026-03-21",
                "with_credit": True,
                "reason": "closing",
            },
        ),
        201,
    )
    [end] = shop.run("2026-03-21")
    # [28 Feb, 31 Mar) has 31 days; [21 Mar, 31 Mar) = 10 unused: −280 × 10/31 × 0.75
    # = −67.741… → −67.74
    assert nets(end) == ["-67.74"]


def test_quarterly_in_arrears_price_change_with_a_discount(shop: Shop) -> None:
    support = shop.product(
        "support", unit_price="900.00", periodicity="quarterly", timing="in_arrears"
    )
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": support, "discounts": [{"kind": "percentage", "value": "10"}]}],
        billing_alignment="calendar",
    )
    amend(
        shop,
        contract,
        "2026-02-15",
        {"type": "change_price", "line_key": "support", "unit_price": "1800.00"},
    )
    [q1] = shop.run("2026-04-01")
    # Q1 = 90 days. [1 Jan, 15 Feb) = 45 days: 900 × 45/90 × 0.9 = 405.00;
    # [15 Feb, 1 Apr) = 45 days: 1800 × 45/90 × 0.9 = 810.00
    assert sorted(nets(q1), key=Decimal) == ["405.00", "810.00"]
