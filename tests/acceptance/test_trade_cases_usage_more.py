"""More usage (pay-as-you-go) billing cases from the trade, end to end through the public REST API.

They add to tests/acceptance/test_trade_cases_usage.py (whose helpers they reuse) cases that file
leaves out: each figure is worked by hand from the billing rules (../shared/domain.md,
docs/usage.md, docs/charges.md, docs/statements.md) in the comment next to it, before the run.
The seller is in Europe/Paris (UTC+1 in winter, UTC+2 from 29 March 2026 02:00 local); the test
clock reads 15 Jan 2026 09:30 UTC and the organization tolerates events 300 s in the future.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from tests.acceptance.test_trade_cases import Shop, nets, ok, totals
from tests.acceptance.test_trade_cases_usage import (
    by_description,
    calendar_contract,
    event,
    explained,
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


def post_one(shop: Shop, body: dict[str, Any], status: int = 201) -> Any:
    return ok(shop.api.post("/v1/events", json=body), status)


def refused_field(response: Any) -> str:
    """The one field a 422 problem names."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    return str(error["field"])


def usage_sum(invoice: dict[str, Any]) -> Decimal:
    return sum((Decimal(x["net_amount"]) for x in usage_lines(invoice)), Decimal(0))


# --- charge models through real events ------------------------------------------------------------


def test_domain_tiers_650_units_one_event_at_a_time_graduated_and_volume(shop: Shop) -> None:
    # The domain reference's tiers [up_to 100: 1.00, up_to 500: 0.80, rest: 0.50], sent as
    # single events (POST /v1/events) with decimal quantities; explain names metric, events, tiers.
    metric(shop, "units", "sum", field="qty", name="Units")
    graduated = usage_product(
        shop, "grad", {"metric": "units", "model": "graduated", "tiers": DOMAIN_TIERS}, "Units"
    )
    volume = usage_product(
        shop, "vol", {"metric": "units", "model": "volume", "tiers": DOMAIN_TIERS}, "Units vol"
    )
    calendar_contract(shop, [graduated], "GRAD", customer=shop.customer("Gradué SAS"))
    calendar_contract(shop, [volume], "VOL", customer=shop.customer("Volume SAS"))
    shop.today("2026-03-02")
    january = ["100", "0.5", "99.5", "300", "50", "75.25", "24.75"]  # = 650
    february = ["250", "250"]  # = 500, exactly tier 2's bound
    for reference in ("GRAD", "VOL"):
        for n, qty in enumerate(january):
            answer = post_one(
                shop,
                event(
                    f"{reference}-j{n}",
                    "units",
                    f"2026-01-{n + 2:02d}T10:00:00Z",
                    reference,
                    qty=qty,
                ),
            )
            assert (answer["status"], answer["value"]) == ("accepted", str(Decimal(qty)))
        for n, qty in enumerate(february):
            post_one(
                shop,
                event(
                    f"{reference}-f{n}",
                    "units",
                    f"2026-02-{n + 2:02d}T10:00:00Z",
                    reference,
                    qty=qty,
                ),
            )
    invoices = shop.run("2026-03-01")
    grad = {
        i["billing_date"]: i for i in invoices if i["lines"][0]["description"].startswith("Units —")
    }
    vol = {
        i["billing_date"]: i
        for i in invoices
        if i["lines"][0]["description"].startswith("Units vol")
    }
    # January 650 units, graduated: 100 × 1.00 = 100.00 + 400 × 0.80 = 320.00 + 150 × 0.50
    # = 75.00 → 495.00, VAT 99.00, gross 594.00
    assert by_description(grad["2026-02-01"]) == {
        "Units — tier 1": ("100", "100.00"),
        "Units — tier 2": ("400", "320.00"),
        "Units — tier 3": ("150", "75.00"),
    }
    assert totals(grad["2026-02-01"]) == ("495.00", "99.00", "594.00")
    # volume: 650 is in the open tier, which prices all: 650 × 0.50 = 325.00, VAT 65.00
    assert by_description(vol["2026-02-01"]) == {"Units vol — tier 3": ("650", "325.00")}
    assert totals(vol["2026-02-01"]) == ("325.00", "65.00", "390.00")
    # February 500 units, on tier 2's inclusive bound: graduated 100.00 + 400 × 0.80 = 420.00;
    # volume 500 × 0.80 = 400.00 (not 0.50: 500 is still tier 2)
    assert grad["2026-03-01"]["net_total"] == "420.00"
    assert by_description(vol["2026-03-01"]) == {"Units vol — tier 2": ("500", "400.00")}
    # explain: metric, 7 events, 650 units, each tier reached with its quantity and amount
    lines = explained(shop, grad["2026-02-01"])
    assert len(lines) == 3
    usage = lines[0]["usage"]
    assert (usage["metric"]["code"], usage["event_count"], usage["units"]) == ("units", 7, "650")
    assert [(t["tier"], t["quantity"], t["amount"]) for t in usage["tiers"]] == [
        (1, "100", "100.00"),
        (2, "400", "320.00"),
        (3, "150", "75.00"),
    ]
    [vol_line] = explained(shop, vol["2026-02-01"])
    assert [(t["tier"], t["quantity"], t["amount"]) for t in vol_line["usage"]["tiers"]] == [
        (3, "650", "325.00")
    ]


def test_package_with_free_units_rounds_packages_up_on_decimal_quantities(shop: Shop) -> None:
    # Storage sold by packages of 250 GB at 12.50, the first 100 GB of the month free.
    metric(shop, "gb", "sum", field="gb", name="Storage")
    charge = {
        "metric": "gb",
        "model": "package",
        "package_size": "250",
        "package_price": "12.50",
        "free_units": "100",
    }
    calendar_contract(shop, [usage_product(shop, "storage", charge, "Storage")])
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("j1", "gb", "2026-01-10T12:00:00Z", gb="120.5"),
            event("j2", "gb", "2026-01-20T12:00:00Z", gb="230"),
            event("f1", "gb", "2026-02-10T12:00:00Z", gb="350"),
            event("m1", "gb", "2026-03-10T12:00:00Z", gb="100.000001"),
        ],
    )
    invoices = shop.run("2026-04-01")
    # January 350.5 − 100 free = 250.5 → ceil(250.5 / 250) = ceil(1.002) = 2 × 12.50 = 25.00
    assert by_description(on(invoices, "2026-02-01")) == {
        "Storage — 2 × package of 250": ("2", "25.00")
    }
    # February 350 − 100 = 250 = exactly 1 package: 12.50
    assert by_description(on(invoices, "2026-03-01")) == {
        "Storage — 1 × package of 250": ("1", "12.50")
    }
    # March 100.000001 − 100 = 0.000001: a started package is due, ceil = 1 × 12.50
    assert by_description(on(invoices, "2026-04-01")) == {
        "Storage — 1 × package of 250": ("1", "12.50")
    }
    assert totals(on(invoices, "2026-04-01")) == ("12.50", "2.50", "15.00")


def test_percentage_with_per_transaction_minimum_and_maximum_on_the_thresholds(
    shop: Shop,
) -> None:
    # Card payments at 2 % + 0.30 a transaction, each fee within [0.50, 2.00]: the thresholds
    # are (0.50 − 0.30) / 2 % = 10.00 and (2.00 − 0.30) / 2 % = 85.00.
    metric(shop, "card", "sum", field="amount", name="Cards")
    charge = {
        "metric": "card",
        "model": "percentage",
        "rate": "2",
        "fixed_fee": "0.30",
        "min_fee": "0.50",
        "max_fee": "2.00",
    }
    calendar_contract(shop, [usage_product(shop, "cards", charge, "Cards")])
    shop.today("2026-03-02")
    amounts = ["5.00", "9.99", "10.00", "42.42", "85.00", "85.01", "1000.00"]
    send(
        shop,
        [event(f"j{n}", "card", "2026-01-10T12:00:00Z", amount=a) for n, a in enumerate(amounts)]
        + [
            event("f1", "card", "2026-02-10T12:00:00Z", amount="1.00"),
            event("f2", "card", "2026-02-11T12:00:00Z", amount="2.00"),
        ],
    )
    invoices = shop.run("2026-03-01")
    january = on(invoices, "2026-02-01")
    # fees: 5.00 → 0.40 → 0.50; 9.99 → 0.4998 → 0.50; 10.00 → 0.50 (on the threshold);
    # 42.42 → 1.1484; 85.00 → 2.00 (on the threshold); 85.01 → 2.0002 → 2.00;
    # 1000.00 → 20.30 → 2.00; Σ = 0.50 × 2 + 0.50 + 1.1484 + 2.00 + 2.00 × 2 = 8.6484
    # lines: 2 % of (10.00 + 42.42 + 85.00 = 137.42) = 2.7484 → 2.75; 3 × 0.30 = 0.90;
    # 2 at the minimum 1.00; 2 at the maximum 4.00 → 8.65 net, VAT 1.73, gross 10.38
    assert sorted(nets(january)) == ["0.90", "1.00", "2.75", "4.00"]
    assert totals(january) == ("8.65", "1.73", "10.38")
    bands = explained(shop, january)[0]["usage"]["bands"]
    assert (bands["below_count"], bands["between_count"], bands["above_count"]) == (2, 3, 2)
    assert Decimal(bands["between_sum"]) == Decimal("137.42")
    # February: 1.00 → 0.32 and 2.00 → 0.34, both raised to 0.50: one line 2 × 0.50 = 1.00
    # (no rate or fee line: every transaction hit a bound)
    february = on(invoices, "2026-03-01")
    assert [(x["quantity"], x["net_amount"]) for x in usage_lines(february)] == [("2", "1.00")]
    assert totals(february) == ("1.00", "0.20", "1.20")


def test_minimum_spend_over_graduated_tiers_with_free_units(shop: Shop) -> None:
    # Jobs: 5 free a month, then 2.00 each up to 10 billed and 1.00 beyond; 30.00 a month at
    # least.
    metric(shop, "jobs", "sum", field="n", name="Jobs")
    charge = {
        "metric": "jobs",
        "model": "graduated",
        "tiers": [{"up_to": "10", "unit_price": "2.00"}, {"up_to": None, "unit_price": "1.00"}],
        "free_units": "5",
        "minimum_spend": "30.00",
    }
    calendar_contract(shop, [usage_product(shop, "jobs", charge, "Jobs")])
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("j", "jobs", "2026-01-10T12:00:00Z", n=12),
            event("f", "jobs", "2026-02-10T12:00:00Z", n=40),
        ],
    )
    invoices = shop.run("2026-04-01")
    # January 12 − 5 free = 7 × 2.00 = 14.00 < 30.00: top-up 16.00; 30.00, VAT 6.00
    assert by_description(on(invoices, "2026-02-01")) == {
        "Jobs — tier 1": ("7", "14.00"),
        "Jobs — minimum spend top-up (minimum 30.00)": ("1", "16.00"),
    }
    assert totals(on(invoices, "2026-02-01")) == ("30.00", "6.00", "36.00")
    # February 40 − 5 = 35: 10 × 2.00 = 20.00 + 25 × 1.00 = 25.00 = 45.00 ≥ 30.00, no top-up
    assert by_description(on(invoices, "2026-03-01")) == {
        "Jobs — tier 1": ("10", "20.00"),
        "Jobs — tier 2": ("25", "25.00"),
    }
    # March, no job: a 0.00 line (rated) and the whole minimum as the top-up, 30.00
    march = on(invoices, "2026-04-01")
    assert sorted(nets(march)) == ["0.00", "30.00"]
    assert totals(march) == ("30.00", "6.00", "36.00")


def test_six_decimal_quantity_times_six_decimal_price_rounded_once_half_up(shop: Shop) -> None:
    # 4.004001 + 5.761624 = 9.765625 GB-transfers at 1.234432 each.
    metric(shop, "egress", "sum", field="gb", name="Egress")
    charge = {"metric": "egress", "model": "per_unit", "unit_price": "1.234432"}
    calendar_contract(shop, [usage_product(shop, "egress", charge, "Egress")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("a", "egress", "2026-01-10T12:00:00Z", gb="4.004001"),
            event("b", "egress", "2026-01-11T12:00:00Z", gb="5.761624"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # 9.765625 × 1.234432 = 12.055 exactly (9.765625 = 5^10 / 10^6, 1.234432 = 2^9 × 2411 /
    # 10^6): a tie, HALF_UP → 12.06. Rounding each event first would give 4.942666962432 → 4.94
    # + 7.112333037568 → 7.11 = 12.05, and a float product 12.054999… → 12.05: both wrong.
    # VAT 12.06 × 20 % = 2.412 → 2.41; gross 14.47
    assert by_description(january) == {"Egress": ("9.765625", "12.06")}
    assert totals(january) == ("12.06", "2.41", "14.47")
    [line] = explained(shop, january)
    assert Decimal(line["unit_price"]) == Decimal("1.234432")


def test_yen_usage_with_a_minimum_spend_and_a_half_yen(shop: Shop) -> None:
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
    metric(shop, "tokens", "sum", field="k", name="Tokens")
    product = ok(
        shop.api.post(
            "/v1/products", json={"code": "tokens", "name_en": "Tokens", "kind": "usage"}
        ),
        201,
    )["id"]
    charge = {"metric": "tokens", "model": "per_unit", "unit_price": "0.35", "minimum_spend": "500"}
    entry = {"product_id": product, "unit_price": "0", "charge": charge}
    ok(shop.api.post(f"/v1/pricelists/{yen}/entries", json=entry), 201)
    customer = shop.customer("Nihon KK", currency="JPY")
    calendar_contract(shop, [product], "C-JP", customer=customer)
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("j", "tokens", "2026-01-10T12:00:00Z", "C-JP", k=1001),
            event("f", "tokens", "2026-02-10T12:00:00Z", "C-JP", k=1430),
        ],
    )
    invoices = shop.run("2026-03-01")
    january = on(invoices, "2026-02-01")
    # 1,001 × 0.35 = 350.35 → 350 (no minor unit); minimum 500: top-up 150; VAT 100, 600
    assert january["currency"] == "JPY"
    assert by_description(january) == {
        "Tokens": ("1001", "350"),
        "Tokens — minimum spend top-up (minimum 500)": ("1", "150"),
    }
    assert totals(january) == ("500", "100", "600")
    # February 1,430 × 0.35 = 500.5 → 501 HALF_UP ≥ 500: no top-up; VAT 100.2 → 100; 601
    assert by_description(on(invoices, "2026-03-01")) == {"Tokens": ("1430", "501")}
    assert totals(on(invoices, "2026-03-01")) == ("501", "100", "601")


def test_kuwaiti_dinar_percentage_to_the_fils(shop: Shop) -> None:
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
    metric(shop, "sales", "sum", field="amount", name="Sales")
    product = ok(
        shop.api.post("/v1/products", json={"code": "fees", "name_en": "Fees", "kind": "usage"}),
        201,
    )["id"]
    charge = {"metric": "sales", "model": "percentage", "rate": "1.25", "fixed_fee": "0.050"}
    ok(
        shop.api.post(
            f"/v1/pricelists/{kwd}/entries",
            json={"product_id": product, "unit_price": "0", "charge": charge},
        ),
        201,
    )
    customer = shop.customer("Kuwait Co", currency="KWD", country="KW")
    calendar_contract(shop, [product], "C-KW", customer=customer)
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("a", "sales", "2026-01-10T12:00:00Z", "C-KW", amount="100.123"),
            event("b", "sales", "2026-01-11T12:00:00Z", "C-KW", amount="23.333"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # 1.25 % × (100.123 + 23.333 = 123.456) = 1.5432 → 1.543 (3 decimals); 2 × 0.050 = 0.100;
    # 1.643 net; outside the EU: no French VAT
    assert sorted(nets(january)) == ["0.100", "1.543"]
    assert totals(january) == ("1.643", "0.000", "1.643")


# --- aggregations and periods -------------------------------------------------------------------


def test_unique_count_a_user_on_both_sides_of_a_paris_month_end(shop: Shop) -> None:
    # Active users at 4.00: u1 is seen at 23:00 Paris on 31 Jan and at 00:30 Paris on 1 Feb.
    mau = metric(shop, "mau", "unique_count", field="user", name="Active users")
    customer = shop.customer()
    calendar_contract(
        shop,
        [
            usage_product(
                shop,
                "mau",
                {"metric": "mau", "model": "per_unit", "unit_price": "4.00"},
                "Active users",
            )
        ],
        customer=customer,
    )
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("a", "mau", "2026-01-15T10:00:00Z", user="u2"),
            event("b", "mau", "2026-01-20T10:00:00Z", user="u2"),
            event("c", "mau", "2026-01-31T22:00:00Z", user="u1"),  # 31 Jan 23:00 Paris
            event("d", "mau", "2026-01-31T23:30:00Z", user="u1"),  # 1 Feb 00:30 Paris
            event("e", "mau", "2026-02-27T23:30:00Z", user="u3"),  # 28 Feb 00:30 Paris
            event("f", "mau", "2026-02-28T23:00:00Z", user="u3"),  # 1 Mar 00:00 Paris
        ],
    )
    aggregate = ok(
        shop.api.get(
            f"/v1/metrics/{mau['id']}/aggregate",
            params={"customer_id": customer, "from": "2026-02-01", "to": "2026-03-01"},
        )
    )
    assert [g["quantity"] for g in aggregate["groups"]] == ["2"]
    invoices = shop.run("2026-04-01")
    # January u2, u1 = 2 users in 3 events: 8.00; February u1 (again), u3 = 2 in 2: 8.00;
    # March u3 (again) = 1: 4.00
    assert by_description(on(invoices, "2026-02-01")) == {"Active users": ("2", "8.00")}
    assert by_description(on(invoices, "2026-03-01")) == {"Active users": ("2", "8.00")}
    assert by_description(on(invoices, "2026-04-01")) == {"Active users": ("1", "4.00")}
    assert explained(shop, on(invoices, "2026-02-01"))[0]["usage"]["event_count"] == 3


def test_unique_users_per_region_share_the_free_units_in_group_order(shop: Shop) -> None:
    # Active users at 5.00 per region, 2 free a month for the whole line: a user active in two
    # regions counts in each; the free units go to the groups in the order of their values.
    metric(shop, "users", "unique_count", field="user", name="Users", group_by=["region"])
    charge = {"metric": "users", "model": "per_unit", "unit_price": "5.00", "free_units": "2"}
    calendar_contract(shop, [usage_product(shop, "users", charge, "Users")])
    shop.today("2026-02-02")
    at = "2026-01-10T12:00:00Z"
    pairs = [("us", "u1"), ("us", "u3"), ("eu", "u1"), ("eu", "u2"), ("eu", "u1"), ("us", "u4")]
    send(shop, [event(f"e{n}", "users", at, user=u, region=r) for n, (r, u) in enumerate(pairs)])
    [january] = shop.run("2026-02-01")
    # eu: u1, u2 = 2, both free → 0.00; us: u1, u3, u4 = 3 × 5.00 = 15.00 (u1 counts in both)
    assert by_description(january) == {
        "Users [region=eu]": ("0", "0.00"),
        "Users [region=us]": ("3", "15.00"),
    }
    assert totals(january) == ("15.00", "3.00", "18.00")
    eu = next(x for x in explained(shop, january) if x["usage"]["group"] == {"region": "eu"})
    assert (eu["usage"]["units"], eu["usage"]["free_units_used"]) == ("2", "2")


def test_peak_storage_max_against_the_last_reading_latest(shop: Shop) -> None:
    # Storage read as absolute levels (GB), billed two ways at 0.10 a GB: on the month's peak
    # (max, from zero each month) and on the last reading (latest, carried over).
    metric(shop, "peak_gb", "max", field="gb", name="Peak storage")
    metric(shop, "last_gb", "latest", field="gb", name="Last storage", recurring=True)
    peak = usage_product(
        shop, "peak", {"metric": "peak_gb", "model": "per_unit", "unit_price": "0.10"}, "Peak"
    )
    last = usage_product(
        shop, "last", {"metric": "last_gb", "model": "per_unit", "unit_price": "0.10"}, "Last"
    )
    calendar_contract(shop, [peak, last])
    shop.today("2026-04-02")
    readings = {"2026-01-05": 100, "2026-01-12": 250, "2026-01-20": 80, "2026-03-10": 60}
    send(
        shop,
        [event(f"p{d}", "peak_gb", f"{d}T12:00:00Z", gb=v) for d, v in readings.items()]
        + [event(f"l{d}", "last_gb", f"{d}T12:00:00Z", gb=v) for d, v in readings.items()],
    )
    invoices = shop.run("2026-04-01")
    # January: peak 250 × 0.10 = 25.00; last reading 80 × 0.10 = 8.00
    assert by_description(on(invoices, "2026-02-01")) == {
        "Peak": ("250", "25.00"),
        "Last": ("80", "8.00"),
    }
    # February, no reading: peak 0 → 0.00; last 80 carried → 8.00
    assert by_description(on(invoices, "2026-03-01")) == {
        "Peak": ("0", "0.00"),
        "Last": ("80", "8.00"),
    }
    # March: 60 both ways: 6.00 + 6.00 = 12.00, VAT 2.40
    assert by_description(on(invoices, "2026-04-01")) == {
        "Peak": ("60", "6.00"),
        "Last": ("60", "6.00"),
    }
    assert totals(on(invoices, "2026-04-01")) == ("12.00", "2.40", "14.40")


def test_events_at_paris_month_ends_in_winter_and_in_summer_time(shop: Shop) -> None:
    metric(shop, "calls", "count", name="Calls")
    calendar_contract(
        shop,
        [
            usage_product(
                shop,
                "calls",
                {"metric": "calls", "model": "per_unit", "unit_price": "1.00"},
                "Calls",
            )
        ],
        start="2026-02-01",
    )
    shop.today("2026-05-02")
    stamps = {
        "feb-last": "2026-02-28T22:59:59Z",  # 28 Feb 23:59:59 CET
        "feb-2330": "2026-02-28T23:30:00Z",  # 1 Mar 00:30 CET
        "before-dst": "2026-03-29T00:59:59Z",  # 29 Mar 01:59:59 CET
        "mar-last": "2026-03-31T21:59:59Z",  # 31 Mar 23:59:59 CEST (UTC+2)
        "apr-first": "2026-03-31T22:00:00Z",  # 1 Apr 00:00 CEST
        "mar-2330": "2026-03-31T23:30:00Z",  # 1 Apr 01:30 CEST
        "jan": "2026-01-31T22:59:59Z",  # 31 Jan: before the contract
    }
    send(shop, [event(tx, "calls", at) for tx, at in stamps.items()])
    listed = ok(shop.api.get("/v1/events", params={"metric": "calls"}))["data"]
    assert {e["transaction_id"]: e["local_date"] for e in listed} == {
        "feb-last": "2026-02-28",
        "feb-2330": "2026-03-01",
        "before-dst": "2026-03-29",
        "mar-last": "2026-03-31",
        "apr-first": "2026-04-01",
        "mar-2330": "2026-04-01",
        "jan": "2026-01-31",
    }
    invoices = shop.run("2026-05-01")
    # February 1 call; March feb-2330, before-dst, mar-last = 3; April apr-first, mar-2330 = 2
    assert by_description(on(invoices, "2026-03-01")) == {"Calls": ("1", "1.00")}
    assert by_description(on(invoices, "2026-04-01")) == {"Calls": ("3", "3.00")}
    assert by_description(on(invoices, "2026-05-01")) == {"Calls": ("2", "2.00")}


def test_anniversary_usage_from_the_31st_follows_the_anchor(shop: Shop) -> None:
    # A usage line on a contract starting 31 Jan, anniversary: periods [31 Jan, 28 Feb),
    # [28 Feb, 31 Mar), [31 Mar, 30 Apr) (months added to the anchor, not chained).
    metric(shop, "calls", "count", name="Calls")
    product = usage_product(
        shop, "calls", {"metric": "calls", "model": "per_unit", "unit_price": "2.00"}, "Calls"
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-31",
        [{"product_id": product}],
        billing_alignment="anniversary",
    )
    shop.today("2026-05-02")
    send(
        shop,
        [
            event("p1-a", "calls", "2026-01-31T10:00:00Z"),
            event("p1-b", "calls", "2026-02-27T22:59:59Z"),  # 27 Feb 23:59:59 Paris
            event("p2-a", "calls", "2026-02-27T23:00:00Z"),  # 28 Feb 00:00 Paris
            event("p2-b", "calls", "2026-03-30T21:59:59Z"),  # 30 Mar 23:59:59 CEST
            event("p3-a", "calls", "2026-03-30T22:00:00Z"),  # 31 Mar 00:00 CEST
            event("p3-b", "calls", "2026-04-29T12:00:00Z"),
            event("p4", "calls", "2026-04-29T22:00:00Z"),  # 30 Apr 00:00 CEST: the next one
        ],
    )
    invoices = shop.run("2026-04-30")
    # each period 2 calls × 2.00 = 4.00, due on its end
    got = sorted(
        (i["billing_date"], x["period_start"], x["period_last_day"], x["quantity"], x["net_amount"])
        for i in invoices
        for x in usage_lines(i)
    )
    assert got == [
        ("2026-02-28", "2026-01-31", "2026-02-27", "2", "4.00"),
        ("2026-03-31", "2026-02-28", "2026-03-30", "2", "4.00"),
        ("2026-04-30", "2026-03-31", "2026-04-29", "2", "4.00"),
    ]


def test_quarterly_usage_line_from_mid_february_prorates_its_minimum(shop: Shop) -> None:
    # Calls at 1.00, billed quarterly (calendar) with a minimum spend of 90.00 a quarter, from
    # 15 Feb.
    metric(shop, "calls", "sum", field="n", name="Calls")
    charge = {
        "metric": "calls",
        "model": "per_unit",
        "unit_price": "1.00",
        "minimum_spend": "90.00",
    }
    product = usage_product(shop, "calls", charge, "Calls")
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-02-15",
        [{"product_id": product, "periodicity": "quarterly"}],
        billing_alignment="calendar",
    )
    shop.today("2026-07-02")
    send(
        shop,
        [
            event("early", "calls", "2026-02-14T22:30:00Z", n=50),  # 14 Feb 23:30: before
            event("start", "calls", "2026-02-14T23:30:00Z", n=2),  # 15 Feb 00:30 Paris
            event("feb", "calls", "2026-02-20T12:00:00Z", n=10),
            event("q2-first", "calls", "2026-03-31T22:30:00Z", n=5),  # 1 Apr 00:30 CEST
            event("may", "calls", "2026-05-10T12:00:00Z", n=100),
        ],
    )
    [q1] = shop.run("2026-04-01")
    # Q1 is 31 + 28 + 31 = 90 days; [15 Feb, 1 Apr) is 14 + 31 = 45 of them: the minimum is
    # 90.00 × 45/90 = 45.00; 2 + 10 = 12 calls = 12.00, top-up 33.00
    assert by_description(q1) == {
        "Calls": ("12", "12.00"),
        "Calls — minimum spend top-up (minimum 45.00)": ("1", "33.00"),
    }
    assert usage_lines(q1)[0]["period_start"] == "2026-02-15"
    [q2] = shop.run("2026-07-01")
    # Q2 whole [1 Apr, 1 Jul): 5 + 100 = 105 × 1.00 = 105.00 ≥ 90.00: no top-up
    assert by_description(q2) == {"Calls": ("105", "105.00")}
    assert (usage_lines(q2)[0]["period_start"], usage_lines(q2)[0]["period_last_day"]) == (
        "2026-04-01",
        "2026-06-30",
    )


# --- who counts the events ------------------------------------------------------------------------


def test_two_contracts_of_one_customer_on_one_metric(shop: Shop) -> None:
    # C-A (made first) at 1.00 a call, C-B at 2.00: events name their contract; events naming
    # only the customer count for the customer's first contract measuring the metric, C-A.
    metric(shop, "calls", "count", name="Calls")
    product = usage_product(
        shop, "calls", {"metric": "calls", "model": "per_unit", "unit_price": "1.00"}, "Calls"
    )
    customer = shop.customer(external_id="NUAGE")
    contract_a = calendar_contract(shop, [product], "C-A", customer=customer)
    contract_b = shop.contract(
        customer,
        "C-B",
        "2026-01-01",
        [
            {
                "product_id": product,
                "charge": {"metric": "calls", "model": "per_unit", "unit_price": "2.00"},
            }
        ],
        billing_alignment="calendar",
    )
    at = "2026-01-10T10:00:00Z"
    send(
        shop,
        [event(f"a{n}", "calls", at, "C-A") for n in range(3)]
        + [event(f"b{n}", "calls", at, "C-B") for n in range(2)]
        + [
            {"transaction_id": f"c{n}", "customer": "NUAGE", "metric": "calls", "timestamp": at}
            for n in range(4)
        ]
        + [
            {
                "transaction_id": "both",
                "customer": "NUAGE",
                "contract": "C-B",
                "metric": "calls",
                "timestamp": at,
            }
        ],
    )
    # so far: C-A 3 + 4 = 7 calls = 7.00; C-B 2 + 1 = 3 calls × 2.00 = 6.00
    now_a = ok(shop.api.get(f"/v1/contracts/{contract_a}/usage"))
    now_b = ok(shop.api.get(f"/v1/contracts/{contract_b}/usage"))
    assert (now_a["lines"][0]["event_count"], now_a["total"]) == (7, "7.00")
    assert (now_b["lines"][0]["event_count"], now_b["total"]) == (3, "6.00")
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # one invoice for the customer: 7.00 + 6.00 = 13.00, VAT 2.60, gross 15.60
    assert sorted(
        (x["contract_id"], x["quantity"], x["net_amount"]) for x in usage_lines(january)
    ) == sorted([(contract_a, "7", "7.00"), (contract_b, "3", "6.00")])
    assert totals(january) == ("13.00", "2.60", "15.60")


# --- ingestion ------------------------------------------------------------------------------------


def test_single_events_accepted_duplicate_and_refused_naming_the_field(shop: Shop) -> None:
    metric(shop, "gb", "sum", field="gb", name="Data")
    old = metric(shop, "old_gb", "sum", field="gb", name="Old data")
    calendar_contract(
        shop,
        [
            usage_product(
                shop, "data", {"metric": "gb", "model": "per_unit", "unit_price": "1.00"}, "Data"
            )
        ],
        customer=shop.customer(external_id="NUAGE"),
    )
    shop.customer("Autre SAS", external_id="AUTRE")
    ok(shop.api.post(f"/v1/metrics/{old['id']}/archive"))
    first = post_one(shop, event("one", "gb", "2026-01-10T10:00:00Z", gb="2.5"))
    assert (first["status"], first["value"], first["local_date"]) == (
        "accepted",
        "2.5",
        "2026-01-10",
    )
    # the same transaction id with another value: 200, the event stored first
    again = post_one(shop, event("one", "gb", "2026-01-10T10:00:00Z", gb="99"), 200)
    assert (again["status"], again["value"], again["id"]) == ("duplicate", "2.5", first["id"])
    bad = {
        "properties.gb": event("comma", "gb", "2026-01-10T10:00:00Z", gb="2,5"),
        "timestamp": event("future", "gb", "2026-01-15T09:35:01Z", gb=1),  # 301 s ahead
        "metric": event("archived", "old_gb", "2026-01-10T10:00:00Z", gb=1),
        # C-1 is Nuage's contract: the event naming it and another customer is refused on it
        "contract": event("other", "gb", "2026-01-10T10:00:00Z", gb=1) | {"customer": "AUTRE"},
    }
    for field, body in bad.items():
        assert refused_field(shop.api.post("/v1/events", json=body)) == field, field
    assert (
        refused_field(
            shop.api.post(
                "/v1/events", json=event("extra", "gb", "2026-01-10T10:00:00Z", gb=1) | {"qty": 3}
            )
        )
        == "qty"
    )
    # nothing refused was stored: January bills 2.5 GB × 1.00 = 2.50
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    assert by_description(january) == {"Data": ("2.5", "2.50")}


def test_future_tolerance_is_the_organizations_setting(shop: Shop) -> None:
    metric(shop, "calls", "count", name="Calls")
    calendar_contract(
        shop,
        [
            usage_product(
                shop,
                "calls",
                {"metric": "calls", "model": "per_unit", "unit_price": "1.00"},
                "Calls",
            )
        ],
    )
    ok(shop.api.patch("/v1/organization", json={"future_event_tolerance_seconds": 3600}))
    # the clock reads 15 Jan 09:30:00 UTC: up to 10:30:00 is tolerated
    batch = [
        event("59min", "calls", "2026-01-15T10:29:00Z"),
        event("60min", "calls", "2026-01-15T10:30:00Z"),
        event("60min1s", "calls", "2026-01-15T10:30:01Z"),
        event("paris", "calls", "2026-01-15T11:30:00+01:00"),  # 10:30 UTC: tolerated
    ]
    answer = send(shop, batch, accepted=3)
    [refused] = [r for r in answer["results"] if r["status"] == "rejected"]
    assert (refused["index"], refused["errors"][0]["field"]) == (2, "timestamp")
    assert "3600 seconds in the future" in refused["errors"][0]["detail"]
    ok(shop.api.patch("/v1/organization", json={"future_event_tolerance_seconds": 0}))
    late = send(
        shop,
        [
            event("1s", "calls", "2026-01-15T09:30:01Z"),
            event("now", "calls", "2026-01-15T09:30:00Z"),
        ],
        accepted=1,
    )
    assert [r["status"] for r in late["results"]] == ["rejected", "accepted"]
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # 3 + 1 = 4 calls × 1.00
    assert by_description(january) == {"Calls": ("4", "4.00")}


def test_cloudevents_sources_keep_their_own_ids_apart_from_native_events(shop: Shop) -> None:
    metric(shop, "calls", "count", name="Calls")
    calendar_contract(
        shop,
        [
            usage_product(
                shop,
                "calls",
                {"metric": "calls", "model": "per_unit", "unit_price": "1.00"},
                "Calls",
            )
        ],
        customer=shop.customer(external_id="NUAGE"),
    )

    def cloud(source: str, ident: str) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": ident,
            "source": source,
            "type": "calls",
            "subject": "NUAGE",
            "time": "2026-01-10T10:00:00Z",
        }

    batch = [cloud("//gw/eu", "e-1"), cloud("//gw/us", "e-1"), cloud("//gw/eu", "e-1")]
    headers = {"Content-Type": "application/cloudevents-batch+json"}
    answer = ok(shop.api.post("/v1/events/batch", content=json.dumps(batch), headers=headers))
    # the same id from two sources is two events; the same source and id again a duplicate
    assert [r["status"] for r in answer["results"]] == ["accepted", "accepted", "duplicate"]
    native = send(shop, [event("e-1", "calls", "2026-01-10T10:00:00Z")])  # source "": a third
    assert native["results"][0]["status"] == "accepted"
    again = ok(shop.api.post("/v1/events/batch", content=json.dumps(batch), headers=headers))
    assert (again["accepted"], again["duplicates"]) == (0, 3)
    bad = ok(
        shop.api.post(
            "/v1/events/batch",
            content=json.dumps([cloud("//gw/eu", "e-2") | {"type": "nope"}]),
            headers=headers,
        )
    )
    assert bad["results"][0]["errors"][0]["field"] == "type"
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    assert by_description(january) == {"Calls": ("3", "3.00")}


# --- late usage -----------------------------------------------------------------------------------


def adjusted(invoice: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The adjustment lines: (description, quantity, unit price to the cent, net)."""
    return sorted(
        (
            x["description"],
            x["quantity"],
            f"{Decimal(x['unit_price']):.2f}",
            x["net_amount"],
        )
        for x in invoice["lines"]
        if x["adjustment"]
    )


def assert_lines_multiply_out(invoice: dict[str, Any]) -> None:
    """Every usage line's net is its quantity × unit price, rounded once to the cent."""
    for x in usage_lines(invoice):
        product = Decimal(x["quantity"]) * Decimal(x["unit_price"])
        assert product.quantize(Decimal("0.01")) == Decimal(x["net_amount"]), x


def test_a_late_lower_reading_leaves_a_tier_and_calls_the_minimum_spend(shop: Shop) -> None:
    # Seats on the month's last reading: 2.00 each up to 10, 1.00 beyond, 20.00 a month at
    # least. January's reading of 15 is billed; a later January reading of 4 arrives late.
    metric(shop, "seats", "latest", field="seats", name="Seats")
    charge = {
        "metric": "seats",
        "model": "graduated",
        "tiers": [{"up_to": "10", "unit_price": "2.00"}, {"up_to": None, "unit_price": "1.00"}],
        "minimum_spend": "20.00",
    }
    calendar_contract(shop, [usage_product(shop, "seats", charge, "Seats")])
    send(shop, [event("r1", "seats", "2026-01-05T10:00:00Z", seats=15)])
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01", finalize=True)
    # 10 × 2.00 = 20.00 + 5 × 1.00 = 5.00 = 25.00 ≥ 20.00: no top-up
    assert by_description(january) == {
        "Seats — tier 1": ("10", "20.00"),
        "Seats — tier 2": ("5", "5.00"),
    }
    send(shop, [event("r2", "seats", "2026-01-28T10:00:00Z", seats=4)])  # late, the latest
    shop.today("2026-03-02")
    send(shop, [event("r3", "seats", "2026-02-10T10:00:00Z", seats=12)])
    [march] = shop.run("2026-03-01")
    # January again: 4 × 2.00 = 8.00 < 20.00, top-up 12.00; against what was billed: tier 1
    # −6 × 2.00 = −12.00, tier 2 no longer reached −5 × 1.00 = −5.00, a top-up 1 × 12.00:
    # −5.00 in all (20.00 − 25.00)
    assert adjusted(march) == [
        (
            "Late usage 2026-01-01 – 2026-02-01: Seats — minimum spend top-up (minimum 20.00)",
            "1",
            "12.00",
            "12.00",
        ),
        ("Late usage 2026-01-01 – 2026-02-01: Seats — tier 1", "-6", "2.00", "-12.00"),
        ("Late usage 2026-01-01 – 2026-02-01: Seats — tier 2", "-5", "1.00", "-5.00"),
    ]
    assert_lines_multiply_out(march)
    # February 12: 10 × 2.00 + 2 × 1.00 = 22.00; 22.00 − 5.00 = 17.00 net, VAT 3.40
    assert totals(march) == ("17.00", "3.40", "20.40")


def test_a_late_event_moving_volume_usage_to_a_cheaper_tier(shop: Shop) -> None:
    # Volume tiers: up to 40 at 3.00, up to 100 at 2.50, then 2.00. January billed 40 units
    # (tier 1, 120.00); 10 more January units arrive after it was finalized.
    metric(shop, "seats", "sum", field="n", name="Seats")
    tiers = [
        {"up_to": "40", "unit_price": "3.00"},
        {"up_to": "100", "unit_price": "2.50"},
        {"up_to": None, "unit_price": "2.00"},
    ]
    calendar_contract(
        shop,
        [
            usage_product(
                shop, "seats", {"metric": "seats", "model": "volume", "tiers": tiers}, "Seats"
            )
        ],
    )
    send(shop, [event("j1", "seats", "2026-01-10T10:00:00Z", n=40)])
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01", finalize=True)
    assert by_description(january) == {"Seats — tier 1": ("40", "120.00")}
    send(shop, [event("j2", "seats", "2026-01-20T10:00:00Z", n=10)])  # late
    shop.today("2026-03-02")
    send(shop, [event("f1", "seats", "2026-02-10T10:00:00Z", n=5)])
    [march] = shop.run("2026-03-01")
    # January again: 50 units in tier 2, all at 2.50 = 125.00; 120.00 billed: +5.00 in all
    # (tier 1's 120.00 taken back, tier 2's 125.00 billed); February 5 × 3.00 = 15.00;
    # 20.00 net, VAT 4.00, gross 24.00
    # each adjustment line reads as quantity × unit price = net, in the tier it is about
    assert adjusted(march) == [
        ("Late usage 2026-01-01 – 2026-02-01: Seats — tier 1", "-40", "3.00", "-120.00"),
        ("Late usage 2026-01-01 – 2026-02-01: Seats — tier 2", "50", "2.50", "125.00"),
    ]
    assert_lines_multiply_out(march)
    assert [(x["quantity"], x["net_amount"]) for x in march["lines"] if not x["adjustment"]] == [
        ("5", "15.00")
    ]
    assert totals(march) == ("20.00", "4.00", "24.00")
    assert shop.run("2026-03-01") == []


# --- statements -----------------------------------------------------------------------------------


def test_statement_json_and_csv_add_up_to_the_usage_lines_with_a_top_up(shop: Shop) -> None:
    # Active users at 3.00, 20.00 a month at least; shared by events (unique users do not add
    # up across days).
    metric(shop, "mau", "unique_count", field="user", name="Active users")
    charge = {"metric": "mau", "model": "per_unit", "unit_price": "3.00", "minimum_spend": "20.00"}
    customer = shop.customer()
    hosting = shop.product(
        "hosting", unit_price="49.00", periodicity="monthly", timing="in_advance"
    )
    calendar_contract(
        shop, [hosting, usage_product(shop, "mau", charge, "Active users")], customer=customer
    )
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("a", "mau", "2026-01-05T10:00:00Z", user="u1"),
            event("b", "mau", "2026-01-05T11:00:00Z", user="u2"),
            event("c", "mau", "2026-01-06T10:00:00Z", user="u1"),
            event("d", "mau", "2026-01-06T11:00:00Z", user="u3"),
            event("e", "mau", "2026-01-07T10:00:00Z", user="u2"),
        ],
    )
    february = on(shop.run("2026-02-01"), "2026-02-01")
    # u1, u2, u3 = 3 × 3.00 = 9.00, top-up 11.00; with February's hosting 49.00: 69.00 net
    assert by_description(february) == {
        "Active users": ("3", "9.00"),
        "Active users — minimum spend top-up (minimum 20.00)": ("1", "11.00"),
    }
    assert totals(february) == ("69.00", "13.80", "82.80")
    statement = ok(
        shop.api.get(f"/v1/invoices/{february['id']}/statement", params={"group_by": "day"})
    )
    rows = {
        line["description"]: [(r["keys"]["day"], r["amount"]) for r in line["rows"]]
        for m in statement["metrics"]
        for line in m["lines"]
    }
    # by events, 2/5, 2/5, 1/5: 900 cents → 360, 360, 180; 1,100 → 440, 440, 220
    assert rows == {
        "Active users": [("2026-01-05", "3.60"), ("2026-01-06", "3.60"), ("2026-01-07", "1.80")],
        "Active users — minimum spend top-up (minimum 20.00)": [
            ("2026-01-05", "4.40"),
            ("2026-01-06", "4.40"),
            ("2026-01-07", "2.20"),
        ],
    }
    # the statement's amount is the usage lines' 20.00, not the 69.00 invoice
    assert statement["amount"] == str(usage_sum(february)) == "20.00"
    as_csv = shop.api.get(
        f"/v1/invoices/{february['id']}/statement", params={"group_by": "day", "format": "csv"}
    )
    assert as_csv.status_code == 200, as_csv.text
    csv_rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(csv_rows) == 6
    per_line: dict[str, Decimal] = {}
    for row in csv_rows:
        per_line[row["line_position"]] = per_line.get(row["line_position"], Decimal(0)) + Decimal(
            row["amount"]
        )
    assert per_line == {str(x["position"]): Decimal(x["net_amount"]) for x in usage_lines(february)}
    # the customer's statement of January: the same 20.00
    january_usage = ok(
        shop.api.get(
            f"/v1/customers/{customer}/statement",
            params={"from": "2026-01-01", "to": "2026-02-01", "format": "json"},
        )
    )
    assert january_usage["amount"] == "20.00"
