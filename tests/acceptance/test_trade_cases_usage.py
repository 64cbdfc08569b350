"""Usage (pay-as-you-go) billing cases from the trade, end to end through the public REST API
(and the `tarif` command line where a finance user would use it).

They complement tests/acceptance/test_trade_cases.py, whose `Shop` they reuse: each figure is
computed by hand from the billing rules (docs/billing-rules.md, docs/usage.md, docs/charges.md,
docs/statements.md) in the comment next to it. The organization is a French seller in
Europe/Paris (UTC+1 in winter, UTC+2 from 29 March 2026): an event belongs to the period of its
Paris day. The test clock reads 15 Jan 2026 09:30 UTC; an event may not be dated more than five
minutes ahead of it, so a case moves "today" past the days it sends usage for.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest

from tests.acceptance.test_trade_cases import Shop, nets, ok, totals

# --- helpers ------------------------------------------------------------------------------------


def metric(shop: Shop, code: str, aggregation: str, **fields: Any) -> dict[str, Any]:
    body = {"code": code, "name": fields.pop("name", code), "aggregation": aggregation} | fields
    return ok(shop.api.post("/v1/metrics", json=body), 201)  # type: ignore[no-any-return]


def usage_product(
    shop: Shop,
    code: str,
    charge: dict[str, Any],
    name: str | None = None,
) -> str:
    """A usage product whose default pricelist entry carries `charge`; its name labels the
    invoice lines."""
    body = {"code": code, "name_en": name or code, "kind": "usage"}
    product = ok(shop.api.post("/v1/products", json=body), 201)
    entry = {"product_id": product["id"], "unit_price": "0", "charge": charge}
    ok(shop.api.post(f"/v1/pricelists/{shop.pricelist_id}/entries", json=entry), 201)
    return str(product["id"])


def event(
    tx: str, metric_code: str, at: str, contract: str = "C-1", **props: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "transaction_id": tx,
        "contract": contract,
        "metric": metric_code,
        "timestamp": at,
    }
    if props:
        found["properties"] = props
    return found


def send(shop: Shop, events: list[dict[str, Any]], accepted: int | None = None) -> Any:
    answer = ok(shop.api.post("/v1/events/batch", json={"events": events}))
    expected = len(events) if accepted is None else accepted
    assert answer["accepted"] == expected, answer
    return answer


def calendar_contract(
    shop: Shop,
    products: list[str],
    reference: str = "C-1",
    start: str = "2026-01-01",
    customer: str | None = None,
) -> str:
    return shop.contract(
        customer or shop.customer(),
        reference,
        start,
        [{"product_id": p} for p in products],
        billing_alignment="calendar",
    )


def usage_lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in invoice["lines"] if line["source"] == "usage"]


def by_description(invoice: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each usage line's (quantity, net) by its description."""
    return {x["description"]: (x["quantity"], x["net_amount"]) for x in usage_lines(invoice)}


def adjustments(invoice: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The invoice's late-usage adjustment lines: (period start, quantity, net), by period."""
    return sorted(
        (x["period_start"], x["quantity"], x["net_amount"])
        for x in invoice["lines"]
        if x["adjustment"]
    )


def explained(shop: Shop, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    lines = ok(shop.api.get(f"/v1/invoices/{invoice['id']}/explain"))["lines"]
    return [x for x in lines if x.get("usage")]


def on(invoices: list[dict[str, Any]], day: str) -> dict[str, Any]:
    return next(i for i in invoices if i["billing_date"] == day)


# --- aggregations -------------------------------------------------------------------------------


def test_filters_eq_in_not_in_and_prices_per_region(shop: Shop) -> None:
    # Production API calls by GET or POST, health checks left out, priced per region.
    calls = metric(
        shop,
        "api_calls",
        "count",
        name="API calls",
        filters=[
            {"property": "env", "op": "eq", "value": "prod"},
            {"property": "method", "op": "in", "value": ["GET", "POST"]},
            {"property": "client", "op": "not_in", "value": ["healthcheck"]},
        ],
        group_by=["region"],
    )
    product = usage_product(
        shop,
        "api",
        {
            "metric": "api_calls",
            "model": "per_unit",
            "unit_price": "0.50",
            "group_prices": [{"group": {"region": "us"}, "unit_price": "0.80"}],
        },
    )
    customer = shop.customer()
    calendar_contract(shop, [product], customer=customer)
    shop.today("2026-02-02")
    at = "2026-01-10T12:00:00Z"
    events = [
        event("e1", "api_calls", at, env="prod", method="GET", region="eu", client="web"),
        event("e2", "api_calls", at, env="prod", method="POST", region="eu"),  # no client: kept
        event("e3", "api_calls", at, env="prod", method="GET", region="us", client="app"),
        event("e4", "api_calls", at, env="prod", method="POST", region="us", client="app"),
        event("e5", "api_calls", at, env="prod", method="DELETE", region="eu"),  # method
        event("e6", "api_calls", at, env="staging", method="GET", region="eu"),  # env
        event("e7", "api_calls", at, env="prod", method="GET", region="eu", client="healthcheck"),
        event("e8", "api_calls", at, env="prod", method="GET", region="us", client="healthcheck"),
        event("e9", "api_calls", at, env="prod", method="GET", client="web"),  # no region
        event("e10", "api_calls", at, env="prod", method="GET", region="eu", client="web"),
        event("e11", "api_calls", at, method="GET", region="eu"),  # no env: not "prod"
        event("e12", "api_calls", at, env="prod", method="GET", region="us"),
    ]
    send(shop, events)
    aggregate = ok(
        shop.api.get(
            f"/v1/metrics/{calls['id']}/aggregate",
            params={"customer_id": customer, "from": "2026-01-01", "to": "2026-02-01"},
        )
    )
    # kept: eu e1, e2, e10 = 3; us e3, e4, e12 = 3; no region e9 = 1
    assert {g["groups"]["region"]: g["quantity"] for g in aggregate["groups"]} == {
        None: "1",
        "eu": "3",
        "us": "3",
    }
    [january] = shop.run("2026-02-01")
    # eu 3 × 0.50 = 1.50; us 3 × 0.80 (its group price) = 2.40; no region 1 × 0.50 = 0.50
    # = 4.40 net, VAT 20 % 0.88, gross 5.28
    assert sorted((x["quantity"], x["net_amount"]) for x in usage_lines(january)) == [
        ("1", "0.50"),
        ("3", "1.50"),
        ("3", "2.40"),
    ]
    assert totals(january) == ("4.40", "0.88", "5.28")
    us = next(x for x in explained(shop, january) if x["usage"]["group"] == {"region": "us"})
    assert (us["net_amount"], us["usage"]["filters"][1]["op"]) == ("2.40", "in")


def test_numeric_filters_keep_numbers_and_decimal_strings(shop: Shop) -> None:
    # Transfers between 10 GB (included) and 100 GB (excluded) are billed at 0.20 a GB;
    # calls slower than 500 ms, up to 2 s included, at 1.00 each.
    metric(
        shop,
        "transfer_gb",
        "sum",
        field="gb",
        name="Transfers",
        filters=[
            {"property": "gb", "op": "gte", "value": "10"},
            {"property": "gb", "op": "lt", "value": "100"},
        ],
    )
    metric(
        shop,
        "slow_calls",
        "count",
        name="Slow calls",
        filters=[
            {"property": "latency_ms", "op": "gt", "value": "500"},
            {"property": "latency_ms", "op": "lte", "value": "2000"},
        ],
    )
    transfers = usage_product(
        shop,
        "transfers",
        {"metric": "transfer_gb", "model": "per_unit", "unit_price": "0.20"},
        "Transfers",
    )
    slow = usage_product(
        shop,
        "slow",
        {"metric": "slow_calls", "model": "per_unit", "unit_price": "1.00"},
        "Slow calls",
    )
    calendar_contract(shop, [transfers, slow])
    shop.today("2026-02-02")
    at = "2026-01-12T12:00:00Z"
    gb = ["9.999999", 10, "42.5", "99.999999", 100, 250]
    latencies: list[Any] = [500, 501, "2000", 2000.5, "n/a"]
    send(
        shop,
        [event(f"t{n}", "transfer_gb", at, gb=v) for n, v in enumerate(gb)]
        + [event(f"s{n}", "slow_calls", at, latency_ms=v) for n, v in enumerate(latencies)]
        + [event("s-none", "slow_calls", at)],
    )
    [january] = shop.run("2026-02-01")
    # transfers kept: 10 (gte) + "42.5" (a decimal string) + 99.999999 = 152.499999 GB
    # (9.999999 below, 100 not below 100, 250 above); 152.499999 × 0.20 = 30.4999998 → 30.50
    # (rounded once, on the line); slow calls kept: 501 and "2000" (lte) = 2 × 1.00 = 2.00
    # (500 not above 500, 2000.5 above 2000, "n/a" and a missing latency are no numbers)
    assert by_description(january) == {
        "Transfers": ("152.499999", "30.50"),
        "Slow calls": ("2", "2.00"),
    }
    # 32.50 net, VAT 6.50, gross 39.00
    assert totals(january) == ("32.50", "6.50", "39.00")


def test_max_on_volume_tiers_exactly_on_a_bound(shop: Shop) -> None:
    # Peak concurrent users of the month, volume tiers: up to 40 at 3.00, up to 100 at 2.50,
    # then 2.00: the tier containing the peak prices every user.
    metric(shop, "peak_users", "max", field="users", name="Peak users")
    tiers = [
        {"up_to": "40", "unit_price": "3.00"},
        {"up_to": "100", "unit_price": "2.50"},
        {"up_to": None, "unit_price": "2.00"},
    ]
    product = usage_product(
        shop, "seats", {"metric": "peak_users", "model": "volume", "tiers": tiers}, "Peak users"
    )
    calendar_contract(shop, [product])
    shop.today("2026-04-02")
    days = {
        "2026-01-05": 12,
        "2026-01-14": 40,
        "2026-01-20": "38.5",
        "2026-02-03": 41,
        "2026-02-20": 7,
        "2026-03-09": 100,
        "2026-03-10": "99.999999",
    }
    send(shop, [event(d, "peak_users", f"{d}T12:00:00Z", users=v) for d, v in days.items()])
    # January's peak is 40, exactly the first bound (bounds are inclusive): 40 × 3.00 = 120.00
    [january] = shop.run("2026-02-01")
    assert by_description(january) == {"Peak users — tier 1": ("40", "120.00")}
    # February's 41 falls in tier 2, which prices all of them: 41 × 2.50 = 102.50 (less than
    # January for one more user: that is the volume model)
    [february] = shop.run("2026-03-01")
    assert by_description(february) == {"Peak users — tier 2": ("41", "102.50")}
    # March's peak 100 is exactly tier 2's bound: 100 × 2.50 = 250.00
    [march] = shop.run("2026-04-01")
    assert by_description(march) == {"Peak users — tier 2": ("100", "250.00")}
    assert totals(march) == ("250.00", "50.00", "300.00")


def test_unique_count_on_graduated_tiers_with_free_units(shop: Shop) -> None:
    # Monthly active users: 2 free, then the first 3 billed at 10.00 and the next at 8.00.
    metric(shop, "mau", "unique_count", field="user", name="Active users")
    tiers = [{"up_to": "3", "unit_price": "10.00"}, {"up_to": None, "unit_price": "8.00"}]
    product = usage_product(
        shop,
        "mau",
        {"metric": "mau", "model": "graduated", "tiers": tiers, "free_units": "2"},
        "Active users",
    )
    calendar_contract(shop, [product])
    shop.today("2026-03-02")
    january: list[Any] = ["u1", "u2", "u1", "u3", "u4", "u2", "u5", "u6", "u7", "u7", 42, "42"]
    send(
        shop,
        [
            event(f"j{n}", "mau", f"2026-01-{1 + n:02d}T12:00:00Z", user=u)
            for n, u in enumerate(january)
        ]
        + [
            event(f"f{n}", "mau", f"2026-02-{1 + n:02d}T12:00:00Z", user=u)
            for n, u in enumerate(["u1", "u2", "u3", "u1"])
        ],
    )
    invoices = shop.run("2026-03-01")
    # January: u1…u7 and user 42 (the number 42 and the text "42" are one user) = 8 distinct
    # in 12 events; 2 free first, then the 6 billed priced from the first tier:
    # 3 × 10.00 + 3 × 8.00 = 30.00 + 24.00 = 54.00
    assert by_description(on(invoices, "2026-02-01")) == {
        "Active users — tier 1": ("3", "30.00"),
        "Active users — tier 2": ("3", "24.00"),
    }
    usage = explained(shop, on(invoices, "2026-02-01"))[0]["usage"]
    assert (usage["units"], usage["free_units_used"], usage["billed_units"]) == ("8", "2", "6")
    assert usage["event_count"] == 12
    # February: u1, u2, u3 = 3 users, the 2 free units are the month's again: 1 × 10.00
    assert by_description(on(invoices, "2026-03-01")) == {"Active users — tier 1": ("1", "10.00")}


def test_recurring_latest_and_sum_carry_over(shop: Shop) -> None:
    # Seats billed at 15.00 on the last count reported (a meter reading, carried over when a
    # month has none), and licences at 20.00 on the running total of additions and removals.
    metric(shop, "seats", "latest", field="seats", name="Seats", recurring=True)
    metric(shop, "licences", "sum", field="delta", name="Licences", recurring=True)
    seats = usage_product(
        shop, "seats", {"metric": "seats", "model": "per_unit", "unit_price": "15.00"}, "Seats"
    )
    licences = usage_product(
        shop,
        "licences",
        {"metric": "licences", "model": "per_unit", "unit_price": "20.00"},
        "Licences",
    )
    calendar_contract(shop, [seats, licences])
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("s1", "seats", "2026-01-05T12:00:00Z", seats=10),
            event("s2", "seats", "2026-01-20T12:00:00Z", seats=12),
            event("s3", "seats", "2026-03-03T10:00:00Z", seats=9),
            event("l1", "licences", "2026-01-05T12:00:00Z", delta=10),
            event("l2", "licences", "2026-01-25T12:00:00Z", delta=5),
            event("l3", "licences", "2026-02-10T12:00:00Z", delta=-3),  # three removed
        ],
    )
    # a second reading at the same instant, stored later: the later stored wins
    send(shop, [event("s4", "seats", "2026-03-03T10:00:00Z", seats=8)])
    invoices = shop.run("2026-04-01")
    # January: last reading 12 × 15.00 = 180.00; licences 10 + 5 = 15 × 20.00 = 300.00
    assert by_description(on(invoices, "2026-02-01")) == {
        "Seats": ("12", "180.00"),
        "Licences": ("15", "300.00"),
    }
    # February: no reading, 12 carried: 180.00; licences 15 − 3 = 12 × 20.00 = 240.00
    assert by_description(on(invoices, "2026-03-01")) == {
        "Seats": ("12", "180.00"),
        "Licences": ("12", "240.00"),
    }
    # March: 8 (stored after 9 at the same instant) × 15.00 = 120.00; licences still 12: 240.00
    march = on(invoices, "2026-04-01")
    assert by_description(march) == {"Seats": ("8", "120.00"), "Licences": ("12", "240.00")}
    assert totals(march) == ("360.00", "72.00", "432.00")


def test_weighted_sum_over_paris_months_and_the_dst_change(shop: Shop) -> None:
    # Storage billed per GB-month at 0.10: the average level held over the month, events are
    # increments, carried over from month to month; months run from Paris midnight to Paris
    # midnight, to the second.
    storage = metric(
        shop, "storage_gb", "weighted_sum", field="gb", name="Storage", unit="GB", recurring=True
    )
    product = usage_product(
        shop,
        "storage",
        {"metric": "storage_gb", "model": "per_unit", "unit_price": "0.10"},
        "Storage",
    )
    customer = shop.customer()
    calendar_contract(shop, [product], customer=customer)
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("g1", "storage_gb", "2025-12-31T23:00:00Z", gb=300),  # 1 Jan 00:00 Paris
            event("g2", "storage_gb", "2026-01-15T23:00:00Z", gb=310),  # 16 Jan 00:00 Paris
            event("g3", "storage_gb", "2026-02-14T23:00:00Z", gb=-210),  # 15 Feb 00:00 Paris
            event("g4", "storage_gb", "2026-03-15T23:00:00Z", gb=743),  # 16 Mar 00:00 Paris
        ],
    )
    aggregate = ok(
        shop.api.get(
            f"/v1/metrics/{storage['id']}/aggregate",
            params={"customer_id": customer, "from": "2026-01-01", "to": "2026-02-01"},
        )
    )
    # January: 300 GB for 15 days, 610 GB for 16: (300 × 15 + 610 × 16) / 31 = 14260 / 31 = 460
    assert [g["quantity"] for g in aggregate["groups"]] == ["460"]
    invoices = shop.run("2026-04-01")
    # 460 × 0.10 = 46.00
    assert by_description(on(invoices, "2026-02-01")) == {"Storage": ("460", "46.00")}
    # February starts at the 610 GB January left: 610 × 14 days, then 400 × 14 days:
    # (8540 + 5600) / 28 = 505 → 50.50
    assert by_description(on(invoices, "2026-03-01")) == {"Storage": ("505", "50.50")}
    # March runs from 1 Mar 00:00 CET (28 Feb 23:00 UTC) to 1 Apr 00:00 CEST (31 Mar 22:00
    # UTC): 743 hours, the clocks going forward on 29 Mar. 400 GB all along, + 743 GB from
    # 16 Mar 00:00 CET (15 Mar 23:00 UTC), held 383 hours: (400 × 743 + 743 × 383) / 743
    # = 400 + 383 = 783 → 78.30 (a 744-hour month would give 782.485…)
    assert by_description(on(invoices, "2026-04-01")) == {"Storage": ("783", "78.30")}


def test_weighted_sum_over_part_of_a_month_counts_for_its_share(shop: Shop) -> None:
    # 100 GB stored all along at 0.10 a GB-month, on a contract starting on 15 Jan, whose
    # price goes to 0.12 on 15 Feb and which ends on 16 Apr: each part of a month is billed for
    # the days it covers, as a fixed price is prorated, never for a whole month.
    metric(shop, "storage_gb", "weighted_sum", field="gb", name="Storage", recurring=True)
    charge = {"metric": "storage_gb", "model": "per_unit", "unit_price": "0.10"}
    contract = calendar_contract(
        shop, [usage_product(shop, "storage", charge, "Storage")], start="2026-01-15"
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-02-15",
                "reason": "new storage price",
                "schedule": True,
                "changes": [
                    {
                        "type": "change_charge",
                        "line_key": "storage",
                        "charge": charge | {"unit_price": "0.12"},
                    }
                ],
            },
        ),
        201,
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-04-16", "reason": "moving out"},
        ),
        201,
    )
    shop.today("2026-04-17")
    send(shop, [event("g1", "storage_gb", "2026-01-14T23:00:00Z", gb=100)])  # 15 Jan 00:00 Paris
    # as of 20 Feb, [15 Feb, 21 Feb) so far: 100 GB for 6 of February's 28 days
    # = 21.428571 GB-months × 0.12 = 2.571428… → 2.57 so far
    so_far = ok(shop.api.get(f"/v1/contracts/{contract}/usage", params={"as_of": "2026-02-20"}))
    assert [(g["quantity"], so_far["total"]) for g in so_far["lines"][0]["groups"]] == [
        ("21.428571", "2.57")
    ]
    invoices = shop.run("2026-04-16")
    # January [15 Jan, 1 Feb): 17 of 31 days, 100 × 17/31 = 54.838709… → 54.838710 GB-months
    # × 0.10 = 5.483871 → 5.48 (not 100 GB-months for 17 days)
    assert by_description(on(invoices, "2026-02-01")) == {"Storage": ("54.83871", "5.48")}
    # February, cut by the new price: 14 of 28 days each, 50 GB-months × 0.10 = 5.00 and
    # 50 × 0.12 = 6.00: 11.00 for the month (not 10.00 + 12.00)
    february = on(invoices, "2026-03-01")
    assert sorted(
        (x["period_start"], x["quantity"], x["net_amount"]) for x in february["lines"]
    ) == [
        ("2026-02-01", "50", "5.00"),
        ("2026-02-15", "50", "6.00"),
    ]
    assert totals(february) == ("11.00", "2.20", "13.20")
    # March whole: 100 × 0.12 = 12.00
    assert by_description(on(invoices, "2026-04-01")) == {"Storage": ("100", "12.00")}
    # April up to the end: [1 Apr, 16 Apr) is 15 of 30 days, 50 GB-months × 0.12 = 6.00
    assert by_description(on(invoices, "2026-04-16")) == {"Storage": ("50", "6.00")}


def test_minimum_spend_of_part_of_a_month_is_prorated(shop: Shop) -> None:
    # API calls at 1.00 with a minimum spend of 31.00 a month, from 25 Jan; 2.00 a call (same
    # minimum) from 15 Mar: a part of a month owes its share of the minimum, by days.
    metric(shop, "calls", "count", name="Calls")
    charge = {
        "metric": "calls",
        "model": "per_unit",
        "unit_price": "1.00",
        "minimum_spend": "31.00",
    }
    contract = calendar_contract(
        shop, [usage_product(shop, "calls", charge, "Calls")], start="2026-01-25"
    )
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/amendments",
            json={
                "effective_date": "2026-03-15",
                "reason": "new price",
                "schedule": True,
                "changes": [
                    {
                        "type": "change_charge",
                        "line_key": "calls",
                        "charge": charge | {"unit_price": "2.00"},
                    }
                ],
            },
        ),
        201,
    )
    shop.today("2026-04-02")
    days = ["2026-01-26", "2026-01-27", "2026-03-02", "2026-03-20", "2026-03-21", "2026-03-22"]
    send(shop, [event(f"c{n}", "calls", f"{d}T10:00:00Z") for n, d in enumerate(days)])
    last_day = ok(shop.api.get(f"/v1/contracts/{contract}/usage", params={"as_of": "2026-01-31"}))
    invoices = shop.run("2026-04-01")
    # January [25 Jan, 1 Feb) is 7 of 31 days: minimum 31.00 × 7/31 = 7.00; 2 calls × 1.00 =
    # 2.00, topped up by 5.00 (not by 29.00)
    january = on(invoices, "2026-02-01")
    assert by_description(january) == {
        "Calls": ("2", "2.00"),
        "Calls — minimum spend top-up (minimum 7.00)": ("1", "5.00"),
    }
    assert last_day["total"] == january["net_total"] == "7.00"
    # February whole, no call: the whole minimum, 31.00
    assert on(invoices, "2026-03-01")["net_total"] == "31.00"
    # March cut on 15 Mar: [1 Mar, 15 Mar) 14 days owes 31 × 14/31 = 14.00, 1 call = 1.00,
    # top-up 13.00; [15 Mar, 1 Apr) 17 days owes 17.00, 3 calls × 2.00 = 6.00, top-up 11.00;
    # 1.00 + 13.00 + 6.00 + 11.00 = 31.00, the month's minimum once (not 62.00)
    march = on(invoices, "2026-04-01")
    assert sorted(
        (x["period_start"], x["description"], x["net_amount"]) for x in march["lines"]
    ) == [
        ("2026-03-01", "Calls", "1.00"),
        ("2026-03-01", "Calls — minimum spend top-up (minimum 14.00)", "13.00"),
        ("2026-03-15", "Calls", "6.00"),
        ("2026-03-15", "Calls — minimum spend top-up (minimum 17.00)", "11.00"),
    ]
    assert totals(march) == ("31.00", "6.20", "37.20")


# --- charge models --------------------------------------------------------------------------


def test_package_with_free_units_on_package_bounds(shop: Shop) -> None:
    metric(shop, "sms", "sum", field="n", name="SMS")
    charge = {
        "metric": "sms",
        "model": "package",
        "package_size": "1000",
        "package_price": "15.00",
        "free_units": "1000",
    }
    calendar_contract(shop, [usage_product(shop, "sms", charge, "SMS")])
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("jan", "sms", "2026-01-10T12:00:00Z", n=3000),
            event("feb", "sms", "2026-02-10T12:00:00Z", n=3001),
            event("mar", "sms", "2026-03-10T12:00:00Z", n=900),
        ],
    )
    invoices = shop.run("2026-04-01")
    # January: 3,000 − 1,000 free = 2,000 = exactly 2 packages × 15.00 = 30.00
    assert by_description(on(invoices, "2026-02-01")) == {
        "SMS — 2 × package of 1000": ("2", "30.00")
    }
    # February: 3,001 − 1,000 = 2,001: a started package is due, ceil(2.001) = 3 × 15.00 = 45.00
    assert by_description(on(invoices, "2026-03-01")) == {
        "SMS — 3 × package of 1000": ("3", "45.00")
    }
    # March: 900 are all free: 0 packages, 0.00 (the line records the period was rated)
    assert by_description(on(invoices, "2026-04-01")) == {
        "SMS — 0 × package of 1000": ("0", "0.00")
    }


def test_percentage_with_a_free_amount_and_free_transactions(shop: Shop) -> None:
    # Card payments: 1.4 % + 0.25 per transaction; the first 5,000.00 of the month and the fixed
    # fee of its first 100 transactions are free.
    metric(shop, "card_sales", "sum", field="amount", name="Card sales")
    charge = {
        "metric": "card_sales",
        "model": "percentage",
        "rate": "1.4",
        "fixed_fee": "0.25",
        "free_amount": "5000",
        "free_units": "100",
    }
    calendar_contract(shop, [usage_product(shop, "cards", charge)])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event(f"j{n}", "card_sales", f"2026-01-{1 + n % 28:02d}T12:00:00Z", amount="80.00")
            for n in range(150)
        ],
    )
    send(
        shop,
        [
            event(f"f{n}", "card_sales", f"2026-02-{1 + n % 28:02d}T12:00:00Z", amount="100.00")
            for n in range(30)
        ],
    )
    invoices = shop.run("2026-03-01")
    # January: 150 × 80.00 = 12,000.00; 1.4 % of (12,000.00 − 5,000.00 free) = 98.00;
    # (150 − 100 free) × 0.25 = 12.50; 110.50 net, VAT 22.10, gross 132.60
    january = on(invoices, "2026-02-01")
    assert sorted(nets(january)) == ["12.50", "98.00"]
    assert [x["quantity"] for x in usage_lines(january)] == ["7000", "50"]
    assert totals(january) == ("110.50", "22.10", "132.60")
    usage = explained(shop, january)[0]["usage"]
    assert (usage["free_amount_used"], usage["free_units_used"]) == ("5000", "100")
    # February: 30 × 100.00 = 3,000.00, all within the free amount, 30 transactions within
    # the 100 free: 0.00 and 0.00
    assert sorted(nets(on(invoices, "2026-03-01"))) == ["0.00", "0.00"]


def test_bounded_percentage_in_a_month_without_sales(shop: Shop) -> None:
    metric(shop, "sales", "sum", field="amount")
    charge = {
        "metric": "sales",
        "model": "percentage",
        "rate": "2",
        "min_fee": "0.50",
        "max_fee": "5.00",
    }
    calendar_contract(shop, [usage_product(shop, "pay", charge, "Payments")])
    shop.today("2026-02-01")
    # no sale in January: the period still gets its lines, at 0.00 (2 % of 0.00), and the
    # run bills the other contracts as usual
    [january] = shop.run("2026-02-01")
    assert [(x["description"], x["net_amount"]) for x in usage_lines(january)] == [
        ("Payments — 2 % of 0", "0.00")
    ]
    assert totals(january) == ("0.00", "0.00", "0.00")


def test_a_statement_shares_bounded_fees_by_what_each_row_counted(shop: Shop) -> None:
    metric(shop, "sales", "sum", field="amount")
    charge = {
        "metric": "sales",
        "model": "percentage",
        "rate": "2",
        "min_fee": "0.50",
        "max_fee": "5.00",
    }
    calendar_contract(shop, [usage_product(shop, "pay", charge, "Payments")])
    shop.today("2026-01-31")
    sales = (("A", "10.00"), ("A", "100.00"), ("B", "1000.00"), ("B", "50.00"))
    send(
        shop,
        [
            event(f"s{n}", "sales", f"2026-01-1{n}T10:00:00Z", amount=amount, site=site)
            for n, (site, amount) in enumerate(sales)
        ],
    )
    [january] = shop.run("2026-02-01")
    # 10 → 0.20 raised to 0.50; 100 → 2.00; 1,000 → 20.00 lowered to 5.00; 50 → 1.00:
    # lines "2 % of 150" 3.00, 1 × 0.50 at the minimum, 1 × 5.00 at the maximum = 8.50
    assert january["net_total"] == "8.50"
    url = f"/v1/invoices/{january['id']}/statement"
    statement = ok(shop.api.get(url, params={"group_by": "site"}))
    rows = {
        (line["rated_kind"], row["keys"]["site"]): (row["quantity"], row["amount"])
        for line in statement["metrics"][0]["lines"]
        for row in line["rows"]
    }
    # each row counts what the line counted of it: the rate on A's 100 (2.00) and B's 50
    # (1.00); A's 10 at the minimum; B's 1,000 at the maximum
    assert rows == {
        ("percentage", "A"): ("100", "2.00"),
        ("percentage", "B"): ("50", "1.00"),
        ("minimum_fee", "A"): ("1", "0.50"),
        ("minimum_fee", "B"): ("0", "0.00"),
        ("maximum_fee", "A"): ("0", "0.00"),
        ("maximum_fee", "B"): ("1", "5.00"),
    }
    # A: 0.50 + 2.00 = 2.50; B: 5.00 + 1.00 = 6.00; together the invoice's 8.50
    shared = {line["rated_kind"]: line["shared_by"] for line in statement["metrics"][0]["lines"]}
    assert shared == {"percentage": "bands", "minimum_fee": "bands", "maximum_fee": "bands"}


def test_group_prices_of_bounded_fees_must_bound_at_the_same_amounts(shop: Shop) -> None:
    """The store splits a period's transactions by fee bound once for every group: a group price
    bounding fees at other amounts (another rate), or not at all, is refused at its field."""
    metric(shop, "sales", "sum", field="amount", group_by=["region"])
    product = ok(
        shop.api.post("/v1/products", json={"code": "fees", "name_en": "Fees", "kind": "usage"}),
        201,
    )
    url = f"/v1/pricelists/{shop.pricelist_id}/entries"
    own = {"rate": "1.5", "fixed_fee": "0.10", "min_fee": "0.50", "max_fee": "5.00"}
    us = {"group": {"region": "us"}, "rate": "3", "fixed_fee": "0.10"}
    for group, field in (
        # 3 % + 0.10 reaches 0.50 at 13.33 and 5.00 at 163.33, not 26.67 and 326.67
        (us | {"min_fee": "0.50", "max_fee": "5.00"}, "charge.group_prices.0.min_fee"),
        (us, "charge.group_prices.0.rate"),  # unbounded under bounded own prices
    ):
        charge = {"metric": "sales", "model": "percentage", **own, "group_prices": [group]}
        entry = {"product_id": product["id"], "unit_price": "0", "charge": charge}
        refused = shop.api.post(url, json=entry)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert ok(shop.api.get(url))["data"] == []  # nothing written


@pytest.mark.parametrize("catch_up", [False, True], ids=["monthly-runs", "one-catch-up-run"])
def test_free_units_then_a_prepaid_block_drawn_down(shop: Shop, catch_up: bool) -> None:
    # 100 messages free each month, then a prepaid block of 1,000 drawn down month after
    # month, then 0.05 each; the same whether each month is billed on its day or a late run
    # bills the three at once.
    metric(shop, "messages", "sum", field="n", name="Messages")
    charge = {
        "metric": "messages",
        "model": "per_unit",
        "unit_price": "0.05",
        "free_units": "100",
        "prepaid_units": "1000",
    }
    calendar_contract(shop, [usage_product(shop, "messages", charge)])
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("jan", "messages", "2026-01-10T12:00:00Z", n=600),
            event("feb", "messages", "2026-02-10T12:00:00Z", n=900),
            event("mar", "messages", "2026-03-10T12:00:00Z", n=200),
        ],
    )
    if catch_up:
        made = shop.run("2026-04-01")
        invoices = [on(made, f"2026-0{m}-01") for m in (2, 3, 4)]
    else:
        invoices = [on(shop.run(f"2026-0{m}-01"), f"2026-0{m}-01") for m in (2, 3, 4)]
    used = [explained(shop, i)[0]["usage"] for i in invoices]
    # January: 600 = 100 free + 500 prepaid (500 of the block left), 0 billed: 0.00
    # February: 900 = 100 free + 500 prepaid (the block is used up) + 300 × 0.05 = 15.00
    # March: 200 = 100 free + 100 × 0.05 = 5.00
    assert [i["net_total"] for i in invoices] == ["0.00", "15.00", "5.00"]
    assert [(u["free_units_used"], u["prepaid_units_used"], u["billed_units"]) for u in used] == [
        ("100", "500", "0"),
        ("100", "500", "300"),
        ("100", "0", "100"),
    ]


def test_minimum_spend_over_groups_tops_up_once(shop: Shop) -> None:
    metric(shop, "gpu_hours", "sum", field="hours", name="GPU hours", group_by=["zone"])
    charge = {
        "metric": "gpu_hours",
        "model": "per_unit",
        "unit_price": "0.50",
        "group_prices": [{"group": {"zone": "us"}, "unit_price": "0.80"}],
        "minimum_spend": "25.00",
    }
    calendar_contract(shop, [usage_product(shop, "gpu", charge, "GPU hours")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("j-eu", "gpu_hours", "2026-01-10T12:00:00Z", hours=10, zone="eu"),
            event("j-us", "gpu_hours", "2026-01-11T12:00:00Z", hours=10, zone="us"),
            event("f-eu", "gpu_hours", "2026-02-10T12:00:00Z", hours=30, zone="eu"),
            event("f-us", "gpu_hours", "2026-02-11T12:00:00Z", hours=20, zone="us"),
        ],
    )
    invoices = shop.run("2026-03-01")
    # January: eu 10 × 0.50 = 5.00, us 10 × 0.80 = 8.00: 13.00 < 25.00, one top-up of the
    # period (not one per zone) of 25.00 − 13.00 = 12.00; 25.00 net, VAT 5.00, gross 30.00
    january = on(invoices, "2026-02-01")
    assert by_description(january) == {
        "GPU hours [zone=eu]": ("10", "5.00"),
        "GPU hours [zone=us]": ("10", "8.00"),
        "GPU hours — minimum spend top-up (minimum 25.00)": ("1", "12.00"),
    }
    assert totals(january) == ("25.00", "5.00", "30.00")
    # February: eu 30 × 0.50 = 15.00 + us 20 × 0.80 = 16.00 = 31.00 ≥ 25.00: no top-up
    assert sorted(nets(on(invoices, "2026-03-01"))) == ["15.00", "16.00"]


# --- invoices, statements, current usage ------------------------------------------------------


def test_statement_adds_up_to_the_usage_line_beside_the_fixed_line(shop: Shop) -> None:
    metric(shop, "minutes", "sum", field="min", name="Minutes")
    minutes = usage_product(
        shop, "minutes", {"metric": "minutes", "model": "per_unit", "unit_price": "0.07"}
    )
    hosting = shop.product(
        "hosting", unit_price="49.00", periodicity="monthly", timing="in_advance"
    )
    calendar_contract(shop, [hosting, minutes])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("m1", "minutes", "2026-01-05T10:00:00Z", min="13.3", site="lyon"),
            event("m2", "minutes", "2026-01-06T10:00:00Z", min="7.1", site="paris"),
            event("m3", "minutes", "2026-01-07T10:00:00Z", min="0.35", site="lyon"),
        ],
    )
    february = on(shop.run("2026-02-01"), "2026-02-01")
    # February's hosting in advance 49.00 and January's minutes in arrears on one invoice:
    # 13.3 + 7.1 + 0.35 = 20.75 min × 0.07 = 1.4525 → 1.45; 50.45 net, VAT 10.09, gross 60.54
    assert sorted(nets(february)) == ["1.45", "49.00"]
    assert totals(february) == ("50.45", "10.09", "60.54")
    assert february["statement_url"] == f"/v1/invoices/{february['id']}/statement"
    statement = ok(
        shop.api.get(f"/v1/invoices/{february['id']}/statement", params={"group_by": "metric,day"})
    )
    [line] = statement["metrics"][0]["lines"]
    # 145 cents shared by quantity, largest remainder: 5 Jan 145 × 13.3/20.75 = 92.94,
    # 6 Jan × 7.1/20.75 = 49.61, 7 Jan × 0.35/20.75 = 2.45 → 92 + 49 + 2 = 143, the 2 cents
    # left go to the largest remainders (.94, .61): 0.93, 0.50, 0.02 = 1.45
    assert [(r["keys"]["day"], r["quantity"], r["amount"]) for r in line["rows"]] == [
        ("2026-01-05", "13.3", "0.93"),
        ("2026-01-06", "7.1", "0.50"),
        ("2026-01-07", "0.35", "0.02"),
    ]
    assert (line["amount"], statement["amount"]) == ("1.45", "1.45")  # the fixed line is not usage
    by_site = shop.api.get(
        f"/v1/invoices/{february['id']}/statement", params={"group_by": "site", "format": "csv"}
    )
    assert by_site.status_code == 200, by_site.text
    rows = list(csv.DictReader(io.StringIO(by_site.text)))
    # lyon 13.65 and paris 7.1: 145 × 13.65/20.75 = 95.39, 145 × 7.1/20.75 = 49.61 → 95 + 49,
    # the cent left to paris (.61 > .39): 0.95 + 0.50 = 1.45
    assert [(r["site"], r["quantity"], r["amount"]) for r in rows] == [
        ("lyon", "13.65", "0.95"),
        ("paris", "7.1", "0.50"),
    ]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("1.45")


def test_statement_of_tiers_and_fees_adds_up_line_by_line(shop: Shop) -> None:
    # Payments at 2.9 % + 0.30, and API calls on graduated tiers, on one invoice.
    metric(shop, "payments", "sum", field="amount", name="Payments")
    metric(shop, "calls", "count", name="Calls")
    tiers = [{"up_to": "100", "unit_price": "0.10"}, {"up_to": None, "unit_price": "0.05"}]
    payments = usage_product(
        shop,
        "payments",
        {"metric": "payments", "model": "percentage", "rate": "2.9", "fixed_fee": "0.30"},
        "Payments",
    )
    calls = usage_product(
        shop, "calls", {"metric": "calls", "model": "graduated", "tiers": tiers}, "Calls"
    )
    calendar_contract(shop, [payments, calls])
    shop.today("2026-02-02")
    days = {"2026-01-05": 70, "2026-01-06": 60, "2026-01-07": 20}
    send(
        shop,
        [
            event(f"c{d}-{n}", "calls", f"{d}T10:00:00Z")
            for d, count in days.items()
            for n in range(count)
        ]
        + [
            event("p1", "payments", "2026-01-05T10:00:00Z", amount="19.99"),
            event("p2", "payments", "2026-01-05T11:00:00Z", amount="5.01"),
            event("p3", "payments", "2026-01-06T10:00:00Z", amount="33.33"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # calls: 150 → 100 × 0.10 = 10.00 and 50 × 0.05 = 2.50; payments: 19.99 + 5.01 + 33.33
    # = 58.33 × 2.9 % = 1.69157 → 1.69 and 3 × 0.30 = 0.90; 15.09 net
    assert sorted(nets(january)) == ["0.90", "1.69", "10.00", "2.50"]
    assert january["net_total"] == "15.09"
    statement = ok(
        shop.api.get(f"/v1/invoices/{january['id']}/statement", params={"group_by": "day"})
    )
    shares = {
        line["description"]: [r["amount"] for r in line["rows"]]
        for m in statement["metrics"]
        for line in m["lines"]
    }
    # calls by quantity, tier 1 (1,000 cents): × 70/150 = 466.67, × 60/150 = 400, × 20/150
    # = 133.33 → 466 + 400 + 133 = 999, the cent left to 5 Jan (.67): 4.67, 4.00, 1.33;
    # tier 2 (250 cents): 116.67, 100, 33.33 → 116 + 100 + 33, the cent to 5 Jan: 1.17, 1.00, 0.33
    assert shares["Calls — tier 1"] == ["4.67", "4.00", "1.33"]
    assert shares["Calls — tier 2"] == ["1.17", "1.00", "0.33"]
    # payments' rate by amount: 169 cents × 25.00/58.33 = 72.43, × 33.33/58.33 = 96.57 →
    # 72 + 96 = 168, the cent to 6 Jan (.57 > .43): 0.72, 0.97; the fee by transactions:
    # 90 × 2/3 = 60, × 1/3 = 30: 0.60, 0.30
    assert shares["Payments — 2.9 % of 58.33"] == ["0.72", "0.97"]
    assert shares["Payments — 0.30 per transaction"] == ["0.60", "0.30"]
    assert statement["amount"] == "15.09"
    as_csv = shop.api.get(
        f"/v1/invoices/{january['id']}/statement", params={"group_by": "day", "format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    per_line: dict[str, Decimal] = {}
    for row in rows:
        per_line[row["line_position"]] = per_line.get(row["line_position"], Decimal(0)) + Decimal(
            row["amount"]
        )
    # every line's rows add up to its net, to the cent
    assert {str(x["position"]): Decimal(x["net_amount"]) for x in january["lines"]} == per_line


def test_current_usage_mid_period_then_the_invoice(
    shop: Shop,
    tenant: Any,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from tarif.cli.main import app

    metric(shop, "calls", "sum", field="n", name="Calls")
    tiers = [{"up_to": "100", "unit_price": "0.10"}, {"up_to": None, "unit_price": "0.05"}]
    customer = shop.customer()
    contract = calendar_contract(
        shop,
        [usage_product(shop, "calls", {"metric": "calls", "model": "graduated", "tiers": tiers})],
        customer=customer,
    )
    send(
        shop,
        [
            event("a", "calls", "2026-01-05T10:00:00Z", n=70),
            event("b", "calls", "2026-01-10T22:30:00Z", n=60),  # 10 Jan 23:30 in Paris
            event("c", "calls", "2026-01-10T23:30:00Z", n=20),  # 11 Jan 00:30 in Paris
            event("d", "calls", "2026-01-14T10:00:00Z", n=5),
        ],
    )
    mid = ok(shop.api.get(f"/v1/contracts/{contract}/usage", params={"as_of": "2026-01-10"}))
    [line] = mid["lines"]
    # as of 10 Jan, the 10th included: [1 Jan, 11 Jan) holds 70 + 60 = 130 in 2 events;
    # 100 × 0.10 = 10.00 + 30 × 0.05 = 1.50 = 11.50 so far, due with the period on 1 Feb
    assert (line["period"], line["measured"]) == (
        {"start": "2026-01-01", "end": "2026-02-01"},
        {"start": "2026-01-01", "end": "2026-01-11"},
    )
    assert (line["complete"], line["due_on"], line["event_count"]) == (False, "2026-02-01", 2)
    assert [(x["quantity"], x["amount"]) for x in line["lines"]] == [
        ("100", "10.00"),
        ("30", "1.50"),
    ]
    assert (line["total"], mid["total"], mid["timezone"]) == ("11.50", "11.50", "Europe/Paris")
    # the same from the command line, as of today (15 Jan): 70 + 60 + 20 + 5 = 155 in 4 events,
    # 10.00 + 55 × 0.05 = 2.75 → 12.75
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: shop.clock)
    result = CliRunner().invoke(app, ["contracts", "usage", "C-1", "--json", "--org", tenant.id])
    assert result.exit_code == 0, result.output
    today = json.loads(result.stdout)
    assert (today["as_of"], today["lines"][0]["event_count"], today["total"]) == (
        "2026-01-15",
        4,
        "12.75",
    )
    # the upcoming invoice (1 Feb) shows the same usage so far: 12.75, VAT 2.55, gross 15.30
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    assert (upcoming["billing_date"], upcoming["net_total"], upcoming["gross_total"]) == (
        "2026-02-01",
        "12.75",
        "15.30",
    )
    bad_day = shop.api.get(f"/v1/contracts/{contract}/usage", params={"as_of": "2026-01-32"})
    assert bad_day.status_code == 422, bad_day.text
    assert [e["field"] for e in bad_day.json()["errors"]] == ["as_of"]
    last_day = ok(shop.api.get(f"/v1/contracts/{contract}/usage", params={"as_of": "2026-01-31"}))
    assert (last_day["lines"][0]["complete"], last_day["total"]) == (True, "12.75")
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # the invoice bills what the last day's view showed: 10.00 + 2.75 = 12.75
    assert sorted(nets(january)) == ["10.00", "2.75"]
    assert january["net_total"] == last_day["total"]


# --- SmartCodes -------------------------------------------------------------------------------

BILLABLE_MINUTES = '''\
"""Billable minutes of a call: every started minute counts (61 s -> 2 min)."""
import math


def value(event):
    return math.ceil(event.properties["duration"] / 60)
'''

BILLABLE_SECONDS_BY_SIX = '''\
"""Billed by 6-second steps after the first minute (61 s -> 1.1 min)."""
import math
from decimal import Decimal


def value(event):
    seconds = event.properties["duration"]
    if seconds <= 60:
        return 1
    steps = math.ceil((seconds - 60) / 6)
    return 1 + Decimal(steps) / 10
'''


def test_valuation_smartcode_bills_started_minutes(shop: Shop) -> None:
    smartcode = ok(
        shop.api.post(
            "/v1/smartcodes",
            json={"code": "billable_minutes", "kind": "valuation", "source": BILLABLE_MINUTES},
        ),
        201,
    )
    minutes = metric(
        shop,
        "call_minutes",
        "sum",
        field="duration",
        name="Call minutes",
        valuation_smartcode_id=smartcode["id"],
    )
    assert minutes["valuation_smartcode_id"] == smartcode["id"]
    product = usage_product(
        shop,
        "calls",
        {"metric": "call_minutes", "model": "per_unit", "unit_price": "0.02"},
        "Call minutes",
    )
    calendar_contract(shop, [product])
    shop.today("2026-02-02")
    durations = [61, 120, 5, 3600, 3601]
    answer = send(
        shop,
        [
            event(f"call{n}", "call_minutes", "2026-01-10T10:00:00Z", duration=d)
            for n, d in enumerate(durations)
        ]
        + [event("broken", "call_minutes", "2026-01-10T10:00:00Z", seconds=30)],
        accepted=5,
    )
    # a call without a duration: the SmartCode fails on it, the event is refused with why
    [refused] = [r for r in answer["results"] if r["status"] == "rejected"]
    assert refused["index"] == 5
    assert "valuation SmartCode failed" in refused["errors"][0]["detail"]
    listed = ok(shop.api.get("/v1/events", params={"metric": "call_minutes"}))["data"]
    # 61 s → 2, 120 s → 2, 5 s → 1, 3600 s → 60, 3601 s → 61 started minutes
    assert [e["value"] for e in listed] == ["2", "2", "1", "60", "61"]
    [january] = shop.run("2026-02-01")
    # 2 + 2 + 1 + 60 + 61 = 126 min × 0.02 = 2.52
    assert by_description(january) == {"Call minutes": ("126", "2.52")}
    [line] = explained(shop, january)
    version_1 = smartcode["version"]["id"]
    # the line names the SmartCode version that valued its events
    assert line["usage"]["valuation_versions"] == {smartcode["id"]: [version_1]}
    # a new version bills by 6-second steps after the first minute from now on; January's
    # line keeps the version that valued its events
    ok(
        shop.api.post(
            f"/v1/smartcodes/{smartcode['id']}/versions", json={"source": BILLABLE_SECONDS_BY_SIX}
        ),
        201,
    )
    version_2 = ok(shop.api.get(f"/v1/smartcodes/{smartcode['id']}/versions/2"))["id"]
    shop.today("2026-03-02")
    send(
        shop,
        [
            event(f"feb{n}", "call_minutes", "2026-02-10T10:00:00Z", duration=d)
            for n, d in enumerate([61, 30, 125])
        ],
    )
    [february] = shop.run("2026-03-01")
    # 61 s → 1 + ceil(1/6)/10 = 1.1; 30 s → 1; 125 s → 1 + ceil(65/6)/10 = 1 + 11/10 = 2.1:
    # 4.2 min × 0.02 = 0.084 → 0.08
    assert by_description(february) == {"Call minutes": ("4.2", "0.08")}
    assert explained(shop, february)[0]["usage"]["valuation_versions"] == {
        smartcode["id"]: [version_2]
    }
    assert explained(shop, january)[0]["usage"]["valuation_versions"] == {
        smartcode["id"]: [version_1]
    }


CALLS_BY_COUNTRY = '''\
"""Minutes priced by destination country."""
from decimal import Decimal

RATES = {"FR": Decimal("0.02"), "US": Decimal("0.09")}


def price(usage, contract):
    return [
        {
            "description": f"Calls to {country}",
            "quantity": usage.groups[country],
            "unit_price": RATES.get(country, Decimal("0.25")),
        }
        for country in sorted(usage.groups)
    ]
'''


def test_pricing_smartcode_records_its_version_on_the_line(shop: Shop) -> None:
    smartcode = ok(
        shop.api.post(
            "/v1/smartcodes",
            json={"code": "calls_by_country", "kind": "pricing", "source": CALLS_BY_COUNTRY},
        ),
        201,
    )
    metric(shop, "minutes", "sum", field="min", name="Minutes", group_by=["country"])
    charge = {
        "metric": "minutes",
        "model": "per_unit",
        "unit_price": "0",
        "smartcode_id": smartcode["id"],
        "minimum_spend": "10.00",
    }
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Minutes")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("fr1", "minutes", "2026-01-10T10:00:00Z", min=60, country="FR"),
            event("fr2", "minutes", "2026-01-11T10:00:00Z", min=40, country="FR"),
            event("us1", "minutes", "2026-01-12T10:00:00Z", min="30.5", country="US"),
            event("jp1", "minutes", "2026-01-13T10:00:00Z", min=10, country="JP"),
        ],
    )
    [january] = shop.run("2026-02-01")
    # FR 100 × 0.02 = 2.00; JP 10 at the default 0.25 = 2.50; US 30.5 × 0.09 = 2.745 → 2.75;
    # 7.25 < the minimum spend 10.00: top-up 2.75; 10.00 net, VAT 2.00, gross 12.00
    assert by_description(january) == {
        "Calls to FR": ("100", "2.00"),
        "Calls to JP": ("10", "2.50"),
        "Calls to US": ("30.5", "2.75"),
        "Minutes — minimum spend top-up (minimum 10.00)": ("1", "2.75"),
    }
    assert totals(january) == ("10.00", "2.00", "12.00")
    # a dry run of the SmartCode on the contract's January calls it as the billing run did:
    # the same lines, before rounding (30.5 × 0.09 = 2.745) and before the minimum spend
    dry = ok(
        shop.api.post(
            f"/v1/smartcodes/{smartcode['id']}/test",
            json={"contract_id": "C-1", "as_of": "2026-01-15"},
        )
    )
    assert [(x["description"], x["amount"]) for x in dry["lines"]] == [
        ("Calls to FR", "2.00"),
        ("Calls to JP", "2.50"),
        ("Calls to US", "2.745"),
    ]
    # every line of the period, the top-up included, names the version that priced it
    version_1 = smartcode["version"]["id"]
    lines = explained(shop, january)
    assert [x["usage"]["smartcode_versions"] for x in lines] == [{smartcode["id"]: version_1}] * 4
    # a new version prices February; January's lines keep version 1
    source = CALLS_BY_COUNTRY.replace('"US": Decimal("0.09")', '"US": Decimal("0.08")')
    version_2 = ok(
        shop.api.post(f"/v1/smartcodes/{smartcode['id']}/versions", json={"source": source}), 201
    )["id"]
    shop.today("2026-03-02")
    send(shop, [event("us2", "minutes", "2026-02-10T10:00:00Z", min=200, country="US")])
    [february] = shop.run("2026-03-01")
    # US 200 × 0.08 = 16.00 ≥ 10.00: no top-up
    assert by_description(february) == {"Calls to US": ("200", "16.00")}
    assert [x["usage"]["smartcode_versions"] for x in explained(shop, february)] == [
        {smartcode["id"]: version_2}
    ]
    assert explained(shop, january) == lines


# --- late, duplicate and out-of-zone events ---------------------------------------------------


def test_late_usage_is_billed_as_an_adjustment_then_refused_by_policy(shop: Shop) -> None:
    metric(shop, "mau", "unique_count", field="user", name="Active users")
    customer = shop.customer()
    calendar_contract(
        shop,
        [usage_product(shop, "mau", {"metric": "mau", "model": "per_unit", "unit_price": "5.00"})],
        customer=customer,
    )
    send(shop, [event(f"j-{u}", "mau", "2026-01-10T10:00:00Z", user=u) for u in ("u1", "u2", "u3")])
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01", finalize=True)
    # January: 3 users × 5.00 = 15.00
    assert january["net_total"] == "15.00"
    # received after January was invoiced: u4 is new, u1 was already counted
    late = send(
        shop,
        [
            event("late-u4", "mau", "2026-01-20T10:00:00Z", user="u4"),
            event("late-u1", "mau", "2026-01-21T10:00:00Z", user="u1"),
        ],
    )
    assert late["accepted"] == 2
    flagged = ok(shop.api.get("/v1/events", params={"metric": "mau", "late": "true"}))["data"]
    assert sorted(e["transaction_id"] for e in flagged) == ["late-u1", "late-u4"]
    shop.today("2026-03-02")
    send(shop, [event(f"f-{u}", "mau", "2026-02-10T10:00:00Z", user=u) for u in ("u1", "u5")])
    [march] = shop.run("2026-03-01")
    # February: u1, u5 = 2 × 5.00 = 10.00; January rated again: u1…u4 = 4 × 5.00 = 20.00,
    # 15.00 already billed: an adjustment of 5.00 for 1 user on this next invoice; 15.00 net
    adjustment = next(x for x in march["lines"] if x["adjustment"])
    assert adjustment["description"].startswith("Late usage 2026-01-01 – 2026-02-01")
    assert (adjustment["quantity"], adjustment["net_amount"]) == ("1", "5.00")
    assert (adjustment["period_start"], adjustment["period_last_day"]) == (
        "2026-01-01",
        "2026-01-31",
    )
    assert totals(march) == ("15.00", "3.00", "18.00")
    [late_line] = [x["usage"] for x in explained(shop, march) if x["adjustment"]]
    assert (late_line["revision"], late_line["late_adjustment"]) == (2, True)
    statement = ok(shop.api.get(f"/v1/invoices/{march['id']}/statement"))
    rows = [r for m in statement["metrics"] for x in m["lines"] for r in x["rows"]]
    assert sorted((r["late_adjustment"], r["amount"]) for r in rows) == [
        (False, "10.00"),
        (True, "5.00"),
    ]
    # the customer's statement of January gathers both invoices: 15.00 billed on 1 Feb and
    # the 5.00 adjustment billed on 1 Mar = 20.00, the 4 users of January × 5.00
    january_usage = ok(
        shop.api.get(
            f"/v1/customers/{customer}/statement", params={"from": "2026-01-01", "to": "2026-02-01"}
        )
    )
    assert january_usage["amount"] == "20.00"
    assert sorted(x["amount"] for m in january_usage["metrics"] for x in m["lines"]) == [
        "15.00",
        "5.00",
    ]
    # the organization now refuses late usage: February is invoiced
    ok(shop.api.patch("/v1/organization", json={"late_usage_policy": "reject"}))
    refused = send(shop, [event("late-u6", "mau", "2026-02-20T10:00:00Z", user="u6")], accepted=0)
    [result] = refused["results"]
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "timestamp"
    assert "already invoiced" in result["errors"][0]["detail"]
    # a late event resent after it was stored is still a duplicate, not a refusal
    again = send(shop, [event("late-u4", "mau", "2026-01-20T10:00:00Z", user="u4")], accepted=0)
    assert again["results"][0]["status"] == "duplicate"


def test_a_late_meter_reading_lowers_a_billed_month(shop: Shop) -> None:
    # Licences billed at 15.00 on the month's last reading: a reading dated after the one
    # billed, received after the invoice, lowers the month by a negative adjustment.
    metric(shop, "seats", "latest", field="seats", name="Seats")
    calendar_contract(
        shop,
        [
            usage_product(
                shop,
                "seats",
                {"metric": "seats", "model": "per_unit", "unit_price": "15.00"},
                "Seats",
            )
        ],
    )
    shop.today("2026-01-21")
    send(
        shop,
        [
            event("r1", "seats", "2026-01-05T10:00:00Z", seats=10),
            event("r2", "seats", "2026-01-20T10:00:00Z", seats=12),
        ],
    )
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01", finalize=True)
    # January's last reading 12 × 15.00 = 180.00
    assert by_description(january) == {"Seats": ("12", "180.00")}
    send(shop, [event("r3", "seats", "2026-01-28T10:00:00Z", seats=9)])  # late, and the latest
    shop.today("2026-03-02")
    send(shop, [event("r4", "seats", "2026-02-10T10:00:00Z", seats=11)])
    [march] = shop.run("2026-03-01")
    # February 11 × 15.00 = 165.00; January rated again: 9 × 15.00 = 135.00, 180.00 billed:
    # −3 seats, −45.00; 165.00 − 45.00 = 120.00 net, VAT 24.00, gross 144.00
    late = [(x["quantity"], x["net_amount"]) for x in march["lines"] if x["adjustment"]]
    assert late == [("-3", "-45.00")]
    assert totals(march) == ("120.00", "24.00", "144.00")


def test_a_late_event_of_a_carried_over_metric_adjusts_every_month_since(shop: Shop) -> None:
    # Licences at 20.00 a month on the running total of additions: five added on 20 Jan are
    # reported only after January and February were invoiced.
    metric(shop, "licences", "sum", field="delta", name="Licences", recurring=True)
    charge = {"metric": "licences", "model": "per_unit", "unit_price": "20.00"}
    calendar_contract(shop, [usage_product(shop, "licences", charge, "Licences")])
    send(shop, [event("l1", "licences", "2026-01-05T10:00:00Z", delta=10)])
    shop.today("2026-03-02")
    january, february = shop.run("2026-03-01", finalize=True)
    # 10 licences in January and, carried over, in February: 200.00 each
    assert [i["net_total"] for i in (january, february)] == ["200.00", "200.00"]
    send(shop, [event("l2", "licences", "2026-01-20T10:00:00Z", delta=5)])
    shop.today("2026-04-02")
    [march] = shop.run("2026-04-01")
    # January should have had 15, and so February, which carried January's total over:
    # +5 × 20.00 = 100.00 for each month, then March 15 × 20.00 = 300.00; 500.00 net
    assert adjustments(march) == [("2026-01-01", "5", "100.00"), ("2026-02-01", "5", "100.00")]
    assert by_description(march)["Licences"] == ("15", "300.00")
    assert totals(march) == ("500.00", "100.00", "600.00")
    assert shop.run("2026-04-01") == []  # billed once


def test_late_usage_drawing_on_a_prepaid_block_re_bills_the_months_after_it(shop: Shop) -> None:
    # A block of 1,000 text messages paid in advance, then 0.10 each: 300 January messages
    # reported after February was invoiced take the block's last 300 units from February.
    metric(shop, "texts", "sum", field="n", name="Texts")
    charge = {"metric": "texts", "model": "per_unit", "unit_price": "0.10", "prepaid_units": "1000"}
    calendar_contract(shop, [usage_product(shop, "texts", charge, "Texts")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("t1", "texts", "2026-01-10T10:00:00Z", n=700),
            event("t2", "texts", "2026-02-10T10:00:00Z", n=400),
        ],
    )
    january, february = shop.run("2026-03-01", finalize=True)
    # January: 700 from the block (300 left): 0.00; February: 300 from the block + 100 × 0.10
    # = 10.00
    assert [i["net_total"] for i in (january, february)] == ["0.00", "10.00"]
    shop.today("2026-04-02")
    send(
        shop,
        [
            event("t3", "texts", "2026-01-25T10:00:00Z", n=300),  # late
            event("t4", "texts", "2026-03-10T10:00:00Z", n=50),
        ],
    )
    [april] = shop.run("2026-04-01")
    # January again: 1,000 from the block, the whole of it: still 0.00 (a 0.00 line says so);
    # February again: nothing left of the block, 400 × 0.10 = 40.00, 10.00 billed: +30.00 for
    # 300 more units billed; March 50 × 0.10 = 5.00. 35.00 net, VAT 20 % 7.00, 42.00.
    assert adjustments(april) == [("2026-01-01", "0", "0.00"), ("2026-02-01", "300", "30.00")]
    assert by_description(april)["Texts"] == ("50", "5.00")
    assert totals(april) == ("35.00", "7.00", "42.00")
    # 1,450 texts, 1,000 prepaid: 450 × 0.10 = 45.00 over the three invoices, 0 + 10 + 35
    used = sorted(
        (u["period"]["from"], u["revision"], u["prepaid_units_used"], u["billed_units"])
        for u in (x["usage"] for x in explained(shop, april))
    )
    assert used == [
        ("2026-01-01", 2, "1000", "0"),
        ("2026-02-01", 2, "0", "400"),
        ("2026-03-01", 1, "0", "50"),
    ]
    assert shop.run("2026-04-01") == []  # billed once
    # April draws on what the months before it draw now: nothing left, 20 × 0.10 = 2.00
    shop.today("2026-05-02")
    send(shop, [event("t5", "texts", "2026-04-10T10:00:00Z", n=20)])
    [may] = shop.run("2026-05-01")
    assert [(x["quantity"], x["net_amount"]) for x in usage_lines(may)] == [("20", "2.00")]


def test_duplicates_within_a_batch_first_one_stands(shop: Shop) -> None:
    metric(shop, "gb", "sum", field="gb", name="Data")
    calendar_contract(
        shop,
        [
            usage_product(
                shop, "data", {"metric": "gb", "model": "per_unit", "unit_price": "1.00"}, "Data"
            )
        ],
    )
    batch = [
        event("a", "gb", "2026-01-10T10:00:00Z", gb=10),
        event("b", "gb", "2026-01-10T11:00:00Z", gb=5),
        event("a", "gb", "2026-01-10T12:00:00Z", gb=99),  # same id, other content: a duplicate
        event("c", "gb", "2026-01-10T13:00:00Z", gb=1),
        event("b", "gb", "2026-01-10T11:00:00Z", gb=5),
    ]
    answer = send(shop, batch, accepted=3)
    assert (answer["duplicates"], answer["rejected"]) == (2, 0)
    assert [r["status"] for r in answer["results"]] == [
        "accepted",
        "accepted",
        "duplicate",
        "accepted",
        "duplicate",
    ]
    again = send(shop, batch, accepted=0)  # the whole batch sent again: stored once
    assert again["duplicates"] == 5
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # the first "a" stands: 10 + 5 + 1 = 16 × 1.00 = 16.00 (not 10 + 5 + 99 + 1)
    assert by_description(january) == {"Data": ("16", "16.00")}


def test_events_with_other_offsets_belong_to_their_paris_day(shop: Shop) -> None:
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
    shop.today("2026-03-02")
    stamps = {
        "ny-evening": "2026-01-31T17:59:59-05:00",  # 22:59:59 UTC = 31 Jan 23:59:59 Paris
        "ny-late": "2026-01-31T18:30:00-05:00",  # 23:30 UTC = 1 Feb 00:30 Paris
        "paris-midnight": "2026-02-01T00:00:00+01:00",  # exactly February's first instant
        "tokyo-morning": "2026-02-01T07:59:59+09:00",  # 22:59:59 UTC 31 Jan = 31 Jan Paris
        "new-year": "2026-01-01T00:30:00+01:00",  # 31 Dec 23:30 UTC = 1 Jan Paris
        "old-year": "2025-12-31T23:59:59+01:00",  # 31 Dec Paris: before the contract
    }
    send(shop, [event(tx, "calls", at) for tx, at in stamps.items()])
    listed = ok(shop.api.get("/v1/events", params={"metric": "calls"}))["data"]
    assert {e["transaction_id"]: e["local_date"] for e in listed} == {
        "ny-evening": "2026-01-31",
        "ny-late": "2026-02-01",
        "paris-midnight": "2026-02-01",
        "tokyo-morning": "2026-01-31",
        "new-year": "2026-01-01",
        "old-year": "2025-12-31",
    }
    invoices = shop.run("2026-03-01")
    # January: ny-evening, tokyo-morning, new-year = 3 × 1.00; February: ny-late,
    # paris-midnight = 2 × 1.00 (the periods are half-open)
    assert by_description(on(invoices, "2026-02-01")) == {"Calls": ("3", "3.00")}
    assert by_description(on(invoices, "2026-03-01")) == {"Calls": ("2", "2.00")}


# --- bad input ----------------------------------------------------------------------------------


def test_each_bad_event_is_refused_with_its_reason(shop: Shop) -> None:
    metric(shop, "gb", "sum", field="gb", name="Data")
    calendar_contract(
        shop,
        [
            usage_product(
                shop, "data", {"metric": "gb", "model": "per_unit", "unit_price": "1.00"}, "Data"
            )
        ],
    )
    # the clock reads 15 Jan 09:30 UTC; the organization tolerates 300 s in the future
    batch = [
        event("ok-1", "gb", "2026-01-10T10:00:00Z", gb="12.5"),
        event("comma", "gb", "2026-01-10T10:00:00Z", gb="12,5"),  # a French decimal comma
        event("text", "gb", "2026-01-10T10:00:00Z", gb="twelve"),
        event("fine", "gb", "2026-01-10T10:00:00Z", gb="0.0000001"),  # 7 decimals
        event("missing", "gb", "2026-01-10T10:00:00Z", size=3),
        event("unknown", "gigabytes", "2026-01-10T10:00:00Z", gb=1),
        event("future", "gb", "2026-01-15T09:35:01Z", gb=1),  # 301 s ahead
        event("soon", "gb", "2026-01-15T09:35:00Z", gb=1),  # 300 s ahead: tolerated
        event("no-zone", "gb", "2026-01-10T10:00:00", gb=1),
        {
            "transaction_id": "nobody",
            "customer": "NOBODY",
            "metric": "gb",
            "timestamp": "2026-01-10T10:00:00Z",
            "properties": {"gb": 1},
        },
        event("refund", "gb", "2026-01-11T10:00:00Z", gb="-2.5"),
    ]
    answer = send(shop, batch, accepted=3)
    refused = {
        batch[r["index"]]["transaction_id"]: r["errors"][0]["field"]
        for r in answer["results"]
        if r["status"] == "rejected"
    }
    assert refused == {
        "comma": "properties.gb",
        "text": "properties.gb",
        "fine": "properties.gb",
        "missing": "properties.gb",
        "unknown": "metric",
        "future": "timestamp",
        "no-zone": "timestamp",
        "nobody": "customer",
    }
    reasons = {
        batch[r["index"]]["transaction_id"]: r["errors"][0]["detail"]
        for r in answer["results"]
        if r["status"] == "rejected"
    }
    assert "300 seconds in the future" in reasons["future"]
    assert "unknown metric 'gigabytes'" in reasons["unknown"]
    assert "6 decimals" in reasons["fine"]
    # a negative value is a correction a sum metric takes (docs/usage.md: seats +3, −1):
    # 12.5 + 1 − 2.5 = 11 GB × 1.00 = 11.00
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    assert by_description(january) == {"Data": ("11", "11.00")}


def test_a_charge_in_another_currency_is_refused_naming_the_field(shop: Shop) -> None:
    metric(shop, "calls", "count", name="Calls")
    product = usage_product(
        shop, "calls", {"metric": "calls", "model": "per_unit", "unit_price": "0.01"}
    )
    # a charge is priced in its contract's currency: one written for dollars is refused
    response = shop.api.post(
        "/v1/contracts",
        json={
            "customer_id": shop.customer(),
            "reference": "C-1",
            "start_date": "2026-02-01",
            "lines": [
                {
                    "product_id": product,
                    "charge": {
                        "metric": "calls",
                        "model": "per_unit",
                        "unit_price": "0.01",
                        "currency": "USD",
                    },
                }
            ],
        },
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["lines.0.charge.currency"]
    # the same on a pricelist's entry
    other = ok(
        shop.api.post(
            "/v1/products", json={"code": "calls-usd", "name_en": "calls", "kind": "usage"}
        ),
        201,
    )
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "0.01", "currency": "USD"}
    entry = shop.api.post(
        f"/v1/pricelists/{shop.pricelist_id}/entries",
        json={"product_id": other["id"], "unit_price": "0", "charge": charge},
    )
    assert entry.status_code == 422, entry.text
    assert entry.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in entry.json()["errors"]] == ["charge.currency"]
    # usage is billed in arrears, once measured: a usage line billed in advance is refused
    in_advance = shop.api.post(
        "/v1/contracts",
        json={
            "customer_id": shop.customer("Avance SAS"),
            "reference": "C-2",
            "start_date": "2026-02-01",
            "lines": [{"product_id": product, "timing": "in_advance"}],
        },
    )
    assert in_advance.status_code == 422, in_advance.text
    assert [e["field"] for e in in_advance.json()["errors"]] == ["lines.0.timing"]
