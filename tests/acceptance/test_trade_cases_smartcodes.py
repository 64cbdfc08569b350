"""Usage billing with SmartCodes, metric groups and consumption statements: worked cases from the
trade, end to end through the public REST API (and `tarif events import` where an operator would
use it).

They add to tests/acceptance/test_trade_cases_usage.py and test_trade_cases_usage_more.py (whose
helpers they reuse) the cases those files leave out. Each figure is worked by hand from the rules
(../shared/domain.md, docs/billing-rules.md, docs/usage.md, docs/charges.md, docs/smartcodes.md,
docs/statements.md) in the comment beside it. The seller is in Europe/Paris (UTC+1 in winter);
the test clock reads 15 Jan 2026 09:30 UTC and events may not be dated more than 300 s after it,
so a case moves "today" past the days it sends usage for.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

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


def smartcode(shop: Shop, code: str, kind: str, source: str) -> dict[str, Any]:
    body = {"code": code, "kind": kind, "source": source}
    return ok(shop.api.post("/v1/smartcodes", json=body), 201)  # type: ignore[no-any-return]


def push(shop: Shop, smartcode_id: str, source: str) -> dict[str, Any]:
    """Saves `source` as the SmartCode's next version."""
    url = f"/v1/smartcodes/{smartcode_id}/versions"
    return ok(shop.api.post(url, json={"source": source}), 201)  # type: ignore[no-any-return]


def dry_run(shop: Shop, smartcode_id: str, **body: Any) -> Any:
    return ok(shop.api.post(f"/v1/smartcodes/{smartcode_id}/test", json=body))


def counts(shop: Shop) -> tuple[int, int, int]:
    """What a run writes: (invoices, billing runs, stored events)."""
    invoices = ok(shop.api.get("/v1/invoices", params={"limit": 100}))["data"]
    runs = ok(shop.api.get("/v1/billing-runs", params={"limit": 100}))["data"]
    events = ok(shop.api.get("/v1/events", params={"limit": 100}))["data"]
    return len(invoices), len(runs), len(events)


def usage_sum(invoice: dict[str, Any]) -> Decimal:
    return sum((Decimal(x["net_amount"]) for x in usage_lines(invoice)), Decimal(0))


# --- valuation SmartCodes -----------------------------------------------------------------------

CALL_PRICE = '''\
"""A call's price: every started minute at its destination's rate."""
import math
from decimal import Decimal

RATES = {"FR": Decimal("0.02"), "BE": Decimal("0.05"), "US": Decimal("0.09")}


def value(event):
    minutes = math.ceil(Decimal(event.properties["seconds"]) / 60)
    return minutes * RATES.get(event.properties["to"], Decimal("0.25"))
'''


def test_valuation_prices_each_call_by_destination_country(shop: Shop) -> None:
    # Each call is valued in euros by the macro; the charge bills the sum of the values at 1.00.
    code = smartcode(shop, "call_price", "valuation", CALL_PRICE)
    metric(
        shop, "call_eur", "sum", field="seconds", name="Calls", unit="EUR",
        valuation_smartcode_id="call_price",
    )  # fmt: skip
    product = usage_product(
        shop, "calls", {"metric": "call_eur", "model": "per_unit", "unit_price": "1"}, "Calls"
    )
    calendar_contract(shop, [product])
    shop.today("2026-02-02")
    at = "2026-01-10T10:00:00Z"
    send(
        shop,
        [
            event("c1", "call_eur", at, seconds=61, to="FR"),  # 2 min × 0.02 = 0.04
            event("c2", "call_eur", at, seconds=125, to="US"),  # 3 min × 0.09 = 0.27
            event("c3", "call_eur", at, seconds=30, to="JP"),  # 1 min × 0.25 (default) = 0.25
            event("c4", "call_eur", at, seconds=3600, to="BE"),  # 60 min × 0.05 = 3.00
            event("c5", "call_eur", at, seconds="59.5", to="FR"),  # 1 min × 0.02 = 0.02
        ],
    )
    listed = ok(shop.api.get("/v1/events", params={"metric": "call_eur"}))["data"]
    assert [Decimal(e["value"]) for e in listed] == [
        Decimal("0.04"), Decimal("0.27"), Decimal("0.25"), Decimal("3.00"), Decimal("0.02"),
    ]  # fmt: skip
    [january] = shop.run("2026-02-01")
    # 0.04 + 0.27 + 0.25 + 3.00 + 0.02 = 3.58 × 1 = 3.58; VAT 20 % 0.716 → 0.72; 4.30
    assert by_description(january) == {"Calls": ("3.58", "3.58")}
    assert totals(january) == ("3.58", "0.72", "4.30")
    [line] = explained(shop, january)
    assert line["usage"]["valuation_versions"] == {code["id"]: [code["version"]["id"]]}


ROUNDED_MINUTES = '''\
"""Billable minutes to the hundredth, half up, with the seconds kept beside the value."""
from decimal import Decimal, ROUND_HALF_UP


def value(event):
    seconds = Decimal(event.properties["seconds"])
    minutes = (seconds / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"value": minutes, "seconds": str(seconds), "short": seconds < 60}
'''


def test_valuation_dict_result_rounds_minutes_half_up(shop: Shop) -> None:
    code = smartcode(shop, "rounded_minutes", "valuation", ROUNDED_MINUTES)
    metric(
        shop, "minutes", "sum", field="seconds", name="Minutes", unit="min",
        valuation_smartcode_id=code["id"],
    )  # fmt: skip
    product = usage_product(
        shop, "calls", {"metric": "minutes", "model": "per_unit", "unit_price": "0.10"}, "Minutes"
    )
    calendar_contract(shop, [product])
    # the dry run shows each value with the dict's other fields; nothing is stored
    sample = dry_run(
        shop,
        code["id"],
        events=[
            {"timestamp": "2026-01-10T10:00:00Z", "properties": {"seconds": 61}},
            {"timestamp": "2026-01-10T10:00:00Z", "properties": {"seconds": 32}},
        ],
    )
    # 61 / 60 = 1.01666… → 1.02; 32 / 60 = 0.5333… → 0.53
    assert [(r["value"], r["fields"]) for r in sample["results"]] == [
        ("1.02", {"seconds": "61", "short": False}),
        ("0.53", {"seconds": "32", "short": True}),
    ]
    shop.today("2026-02-02")
    at = "2026-01-12T10:00:00Z"
    send(
        shop,
        [
            event("a", "minutes", at, seconds=61),  # 1.02
            event("b", "minutes", at, seconds=32),  # 0.53
            event("c", "minutes", at, seconds=3),  # 0.05 exactly
            event("d", "minutes", at, seconds="0.3"),  # 0.005 → 0.01 (half up)
            event("e", "minutes", at, seconds=89),  # 1.48333… → 1.48
        ],
    )
    [january] = shop.run("2026-02-01")
    # 1.02 + 0.53 + 0.05 + 0.01 + 1.48 = 3.09 min × 0.10 = 0.309 → 0.31
    assert by_description(january) == {"Minutes": ("3.09", "0.31")}


def test_an_event_the_macro_cannot_value_is_refused_then_billed_once(shop: Shop) -> None:
    code = smartcode(shop, "call_price", "valuation", CALL_PRICE)
    metric(
        shop, "call_eur", "sum", field="seconds", name="Calls",
        valuation_smartcode_id=code["id"],
    )  # fmt: skip
    product = usage_product(
        shop, "calls", {"metric": "call_eur", "model": "per_unit", "unit_price": "1"}, "Calls"
    )
    calendar_contract(shop, [product])
    shop.today("2026-02-02")
    at = "2026-01-10T10:00:00Z"
    batch = [
        event("c1", "call_eur", at, seconds=61, to="FR"),  # 0.04
        event("c2", "call_eur", at, to="US"),  # no duration: KeyError on line 9
        event("c3", "call_eur", at, seconds=120, to="BE"),  # 2 × 0.05 = 0.10
        event("c4", "call_eur", at, seconds="abc", to="FR"),  # not a number: InvalidOperation
    ]
    answer = send(shop, batch, accepted=2)
    refused = {r["index"]: r["errors"][0] for r in answer["results"] if r["status"] == "rejected"}
    assert sorted(refused) == [1, 3]
    assert refused[1]["field"] == "metric"
    assert "valuation SmartCode failed" in refused[1]["detail"]
    assert "seconds" in refused[1]["detail"] and "line 9" in refused[1]["detail"]
    assert "InvalidOperation" in refused[3]["detail"], refused[3]
    # the fixed macro gets version 2; the whole batch sent again: c1 and c3 are duplicates
    # (valued once, by version 1), c2 is valued by version 2
    fixed = CALL_PRICE.replace('event.properties["seconds"]', 'event.properties.get("seconds", 0)')
    push(shop, code["id"], fixed)
    again = send(shop, batch[:3], accepted=1)
    assert [r["status"] for r in again["results"]] == ["duplicate", "accepted", "duplicate"]
    [january] = shop.run("2026-02-01")
    # 0.04 + 0 (0 seconds → 0 minutes) + 0.10 = 0.14, each event counted once
    assert by_description(january) == {"Calls": ("0.14", "0.14")}
    version_1, version_2 = (
        code["version"]["id"],
        ok(shop.api.get(f"/v1/smartcodes/{code['id']}/versions/2"))["id"],
    )
    # the line names both versions that valued its events, in number order
    assert explained(shop, january)[0]["usage"]["valuation_versions"] == {
        code["id"]: [version_1, version_2]
    }


# --- pricing SmartCodes ---------------------------------------------------------------------------

BUNDLE = '''\
"""Storage: a platform fee, the first 100 GB at 0.10, the rest at 0.035, and a support line."""
from decimal import Decimal


def price(usage, contract):
    included = min(usage.quantity, Decimal(100))
    lines = [
        {"description": "Platform fee", "quantity": 1, "unit_price": "15.00"},
        {"description": f"Storage up to 100 GB ({contract.reference})",
         "quantity": included, "unit_price": Decimal("0.10")},
    ]
    if usage.quantity > 100:
        lines.append({"description": "Storage beyond 100 GB",
                      "quantity": usage.quantity - 100, "unit_price": Decimal("0.035")})
    lines.append({"description": f"Support for {usage.event_count} uploads",
                  "quantity": usage.event_count, "unit_price": "0.333", "amount": "2.005"})
    return lines
'''


def test_pricing_smartcode_returns_several_lines_each_rounded_once(shop: Shop) -> None:
    code = smartcode(shop, "storage_bundle", "pricing", BUNDLE)
    metric(shop, "storage_gb", "sum", field="gb", name="Storage", unit="GB")
    charge = {"metric": "storage_gb", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    calendar_contract(shop, [usage_product(shop, "storage", charge, "Storage")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("u1", "storage_gb", "2026-01-05T10:00:00Z", gb="120.5"),
            event("u2", "storage_gb", "2026-01-06T10:00:00Z", gb="30.25"),
            event("u3", "storage_gb", "2026-01-07T10:00:00Z", gb=7),
        ],
    )
    [january] = shop.run("2026-02-01")
    # 120.5 + 30.25 + 7 = 157.75 GB, 3 uploads:
    # fee 1 × 15.00 = 15.00; 100 × 0.10 = 10.00; 57.75 × 0.035 = 2.02125 → 2.02;
    # support: its own amount 2.005 → 2.01 (half up), not 3 × 0.333 = 0.999
    # = 29.03 net, VAT 5.806 → 5.81, gross 34.84
    assert [
        (x["description"], x["quantity"], x["unit_price"], x["net_amount"])
        for x in usage_lines(january)
    ] == [
        ("Platform fee", "1", "15", "15.00"),  # unit prices are stored canonical
        ("Storage up to 100 GB (C-1)", "100", "0.1", "10.00"),
        ("Storage beyond 100 GB", "57.75", "0.035", "2.02"),
        ("Support for 3 uploads", "3", "0.333", "2.01"),
    ]
    assert totals(january) == ("29.03", "5.81", "34.84")
    # every line names the version that priced it
    version_1 = code["version"]["id"]
    assert [x["usage"]["smartcode_versions"] for x in explained(shop, january)] == [
        {code["id"]: version_1}
    ] * 4


SIMPLE_RATE = '''\
"""Minutes at one rate."""
from decimal import Decimal


def price(usage, contract):
    return [{"description": "Minutes", "quantity": usage.quantity, "unit_price": "0.10"}]
'''


def test_a_version_pushed_mid_period_prices_the_whole_period(shop: Shop) -> None:
    # The rule (docs/smartcodes.md, "Which version bills a period"): a period is priced by the
    # version that is the latest when the billing run rates it, for the whole period; a late
    # re-rating of that period keeps the version that priced it first.
    code = smartcode(shop, "minutes_rate", "pricing", SIMPLE_RATE)
    metric(shop, "minutes", "sum", field="min", name="Minutes")
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Minutes")])
    shop.today("2026-01-21")
    send(shop, [event("a", "minutes", "2026-01-10T10:00:00Z", min=100)])
    version_2 = push(shop, code["id"], SIMPLE_RATE.replace('"0.10"', '"0.08"'))  # on 21 Jan
    shop.today("2026-02-02")
    send(shop, [event("b", "minutes", "2026-01-25T10:00:00Z", min=50)])
    # the dry run of version 1 on January, then of the latest (2): nothing billed
    as_v1 = dry_run(shop, code["id"], version=1, contract_id="C-1", as_of="2026-01-31")
    as_v2 = dry_run(shop, code["id"], contract_id="C-1", as_of="2026-01-31")
    # 150 min × 0.10 = 15.00 with version 1; × 0.08 = 12.00 with version 2
    assert [x["amount"] for x in as_v1["lines"]] == ["15.00"]
    assert [x["amount"] for x in as_v2["lines"]] == ["12.00"]
    [january] = shop.run("2026-02-01")
    # version 2 is the latest on 1 Feb: the whole of January at 0.08: 150 × 0.08 = 12.00
    assert by_description(january) == {"Minutes": ("150", "12.00")}
    [line] = explained(shop, january)
    assert line["usage"]["smartcode_versions"] == {code["id"]: version_2["id"]}
    # version 3 (0.05) comes on 3 Feb, then 10 late January minutes
    push(shop, code["id"], SIMPLE_RATE.replace('"0.10"', '"0.05"'))
    shop.today("2026-02-04")
    send(shop, [event("late", "minutes", "2026-01-28T10:00:00Z", min=10)])
    shop.today("2026-03-02")
    send(shop, [event("c", "minutes", "2026-02-10T10:00:00Z", min=20)])
    march = on(shop.run("2026-03-01"), "2026-03-01")
    # January again with version 2, which priced it: 160 × 0.08 = 12.80, 12.00 billed → +0.80
    # (not 160 × 0.05 − 12.00 = −4.00, a price change for minutes already invoiced);
    # February with version 3: 20 × 0.05 = 1.00
    assert sorted(nets(march)) == ["0.80", "1.00"]
    versions = {
        x["usage"]["period"]["from"]: x["usage"]["smartcode_versions"]
        for x in explained(shop, march)
    }
    version_3 = ok(shop.api.get(f"/v1/smartcodes/{code['id']}/versions/3"))["id"]
    assert versions == {
        "2026-01-01": {code["id"]: version_2["id"]},
        "2026-02-01": {code["id"]: version_3},
    }


# --- dry runs -----------------------------------------------------------------------------------


def test_dry_runs_give_the_invoices_lines_and_write_nothing(shop: Shop) -> None:
    code = smartcode(shop, "storage_bundle", "pricing", BUNDLE)
    metric(shop, "storage_gb", "sum", field="gb", name="Storage", unit="GB")
    charge = {"metric": "storage_gb", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    calendar_contract(shop, [usage_product(shop, "storage", charge, "Storage")])
    # on a sample: 250 GB in 4 uploads → 15.00; 100 × 0.10 = 10.00; 150 × 0.035 = 5.25;
    # support 2.005 as returned (lines before rounding)
    sample = dry_run(
        shop,
        code["id"],
        usage={"quantity": "250", "event_count": 4,
               "period": {"start": "2026-01-01", "end": "2026-02-01"}},
        contract={"reference": "SAMPLE", "currency": "EUR"},
    )  # fmt: skip
    assert [(x["description"], x["amount"]) for x in sample["lines"]] == [  # as returned
        ("Platform fee", "15.00"),
        ("Storage up to 100 GB (SAMPLE)", "10.00"),
        ("Storage beyond 100 GB", "5.250"),  # 150 × 0.035 at full precision
        ("Support for 4 uploads", "2.005"),
    ]
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("u1", "storage_gb", "2026-01-05T10:00:00Z", gb=60),
            event("u2", "storage_gb", "2026-01-31T22:30:00Z", gb=20),  # 31 Jan 23:30 in Paris
            event("u3", "storage_gb", "2026-01-31T23:30:00Z", gb=500),  # 1 Feb in Paris
        ],
    )
    before = counts(shop)
    on_contract = dry_run(
        shop, code["id"], contract_id="C-1", period_start="2026-01-01", period_end="2026-02-01"
    )
    # January's Paris days: 60 + 20 = 80 GB in 2 uploads → 15.00, 80 × 0.10 = 8.00, no
    # "beyond" line, support 2.005
    assert on_contract["contract"]["usages"] == [{"group": {}, "quantity": "80", "event_count": 2}]
    dry_lines = [(x["description"], x["quantity"], x["amount"]) for x in on_contract["lines"]]
    assert dry_lines == [
        ("Platform fee", "1", "15.00"),
        ("Storage up to 100 GB (C-1)", "80", "8.00"),
        ("Support for 2 uploads", "2", "2.005"),
    ]
    # nothing written: no invoice, no run, the same events; the watermark has not moved (an
    # event for January sent now is not late)
    assert counts(shop) == before == (0, 0, 3)
    late = send(shop, [event("u4", "storage_gb", "2026-01-20T10:00:00Z", gb=0)])
    assert late["results"][0]["status"] == "accepted"
    assert ok(shop.api.get("/v1/events", params={"q": "u4"}))["data"][0]["late"] is False
    [january] = shop.run("2026-02-01")
    # the invoice has the dry run's lines (u4 adds an upload: 3), each rounded once:
    # 15.00 + 8.00 + 2.005 → 2.01 = 25.01
    assert [(x["description"], x["quantity"], x["net_amount"]) for x in usage_lines(january)] == [
        ("Platform fee", "1", "15.00"),
        ("Storage up to 100 GB (C-1)", "80", "8.00"),
        ("Support for 3 uploads", "3", "2.01"),
    ]


def test_valuation_dry_run_on_a_contract_shows_stored_and_new_values(shop: Shop) -> None:
    code = smartcode(shop, "call_price", "valuation", CALL_PRICE)
    metric(
        shop, "call_eur", "sum", field="seconds", name="Calls",
        valuation_smartcode_id=code["id"],
    )  # fmt: skip
    product = usage_product(
        shop, "calls", {"metric": "call_eur", "model": "per_unit", "unit_price": "1"}, "Calls"
    )
    calendar_contract(shop, [product])
    shop.today("2026-02-02")
    at = "2026-01-10T10:00:00Z"
    send(
        shop,
        [
            event("c1", "call_eur", at, seconds=61, to="FR"),  # 2 × 0.02 = 0.04
            event("c2", "call_eur", at, seconds=125, to="US"),  # 3 × 0.09 = 0.27
        ],
    )
    # version 2 doubles the US rate; the dry run shows what it would make of January
    push(shop, code["id"], CALL_PRICE.replace('"US": Decimal("0.09")', '"US": Decimal("0.18")'))
    before = counts(shop)
    run = dry_run(shop, code["id"], contract_id="C-1", as_of="2026-01-31")["contract"]
    assert [(e["stored_value"], e["value"]) for e in run["events"]] == [
        ("0.04", "0.04"),
        ("0.27", "0.54"),  # 3 × 0.18
    ]
    # totals: stored 0.31, new 0.58; the metric's sum of the new values 0.58
    assert (run["event_count"], run["failed"], run["stored_total"], run["quantity"]) == (
        2, 0, "0.31", "0.58",
    )  # fmt: skip
    assert counts(shop) == before
    [january] = shop.run("2026-02-01")
    # the invoice bills the stored values (version 1): 0.31, never revalued
    assert by_description(january) == {"Calls": ("0.31", "0.31")}


# --- a pricing SmartCode failing in a billing run ---------------------------------------------


def seeded_pricing(shop: Shop, source: str) -> dict[str, Any]:
    """A hosting line at 49.00 in advance and minutes priced by a SmartCode, on C-1 from 1 Jan,
    with 100 January minutes; today is 2 Feb."""
    code = smartcode(shop, "minutes_rate", "pricing", SIMPLE_RATE)
    metric(shop, "minutes", "sum", field="min", name="Minutes")
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    hosting = shop.product("hosting", unit_price="49.00", periodicity="monthly",
                           timing="in_advance")  # fmt: skip
    calendar_contract(shop, [hosting, usage_product(shop, "calls", charge, "Minutes")])
    push(shop, code["id"], source)
    shop.today("2026-02-02")
    send(shop, [event("a", "minutes", "2026-01-10T10:00:00Z", min=100)])
    return code


FAILING = '''\
"""Breaks on purpose."""


def price(usage, contract):
    rates = {"FR": 1}
    return [{"description": "x", "quantity": usage.quantity, "unit_price": rates["US"]}]
'''

FLOAT_PRICE = '''\
"""A float price."""


def price(usage, contract):
    return [{"description": "Minutes", "quantity": usage.quantity, "unit_price": 0.1}]
'''

ENDLESS = '''\
"""Never returns."""


def price(usage, contract):
    n = 0
    while True:
        n = n + 1
'''

GREEDY = '''\
"""Allocates far more than the sandbox allows."""


def price(usage, contract):
    blocks = [[0] * 9_000_000 for _ in range(200)]
    return [{"description": "x", "quantity": len(blocks), "unit_price": 1}]
'''


def assert_run_refused(shop: Shop, code: dict[str, Any], *words: str) -> dict[str, Any]:
    """The run is refused as a whole, naming the SmartCode, the contract and the failure; it
    writes nothing: no invoice, no run, and January's watermark has not moved."""
    before = counts(shop)
    answer = shop.api.post("/v1/billing-runs", json={"as_of": "2026-02-01"})
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    text = json.dumps(problem)
    for word in ("minutes_rate", "C-1", *words):
        assert word in text, text
    assert counts(shop) == before
    again = send(shop, [event("after", "minutes", "2026-01-20T10:00:00Z", min=0)])
    assert again["results"][0]["status"] == "accepted"
    assert ok(shop.api.get("/v1/events", params={"q": "after"}))["data"][0]["late"] is False
    return problem  # type: ignore[no-any-return]


def test_a_pricing_smartcode_that_raises_refuses_the_run_clearly(shop: Shop) -> None:
    code = seeded_pricing(shop, FAILING)
    problem = assert_run_refused(shop, code, "KeyError", "line 6")
    assert problem["errors"][0]["field"] == "smartcode"
    # a dry run of the billing run is refused the same way
    preview = shop.api.post("/v1/billing-runs", json={"as_of": "2026-02-01", "dry_run": True})
    assert preview.status_code == 422, preview.text
    assert preview.json()["errors"] == problem["errors"]
    # the fix, as version 3, and the same run bills: 49.00 (Feb) + 100 × 0.10 = 10.00
    push(shop, code["id"], SIMPLE_RATE + "\n")
    invoices = shop.run("2026-02-01")
    assert sorted(nets(on(invoices, "2026-02-01"))) == ["10.00", "49.00"]


def test_a_pricing_smartcode_returning_a_float_refuses_the_run(shop: Shop) -> None:
    code = seeded_pricing(shop, FLOAT_PRICE)
    assert_run_refused(shop, code, "unit_price", "float")


def test_a_pricing_smartcode_using_too_much_memory_refuses_the_run(shop: Shop) -> None:
    # 200 lists of 9,000,000 references (72 MB each) pass the repeat limit one by one, but
    # not the worker's 1 GiB of address space
    code = seeded_pricing(shop, GREEDY)
    assert_run_refused(shop, code, "limit")
    # the next calls get a new worker: the upcoming invoice is refused the same way, and the
    # contract's current usage lists the line with its problem
    upcoming = shop.api.get(f"/v1/customers/{first_customer(shop)}/upcoming-invoice")
    assert upcoming.status_code == 422, upcoming.text
    assert "memory limit exceeded" in upcoming.json()["errors"][0]["detail"]
    contract = ok(shop.api.get("/v1/contracts"))["data"][0]["id"]
    now = ok(shop.api.get(f"/v1/contracts/{contract}/usage", params={"as_of": "2026-02-01"}))
    [line] = now["lines"]
    assert "memory limit exceeded" in line["problem"]


def test_a_pricing_smartcode_taking_too_long_refuses_the_run(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tarif.smartcodes import runner

    quick = runner.MacroRunner(runner.Limits(cpu_seconds=2, wall_seconds=2.0))
    monkeypatch.setattr(runner, "_default", quick)
    try:
        code = seeded_pricing(shop, ENDLESS)
        assert_run_refused(shop, code, "time limit")
        # the next version runs in a fresh worker and the run bills
        push(shop, code["id"], SIMPLE_RATE + "\n")
        invoices = shop.run("2026-02-01")
        assert sorted(nets(on(invoices, "2026-02-01"))) == ["10.00", "49.00"]
    finally:
        quick.close()


def first_customer(shop: Shop) -> str:
    return str(ok(shop.api.get("/v1/customers"))["data"][0]["id"])


# --- groups and consumption statements ----------------------------------------------------------


def grouped_compute(shop: Shop, language: str = "fr") -> dict[str, Any]:
    """CPU hours grouped by region, 0.40 in `eu` and 0.33 elsewhere; January's usage billed on
    1 Feb: eu (p1 5 Jan 10 h, 6 Jan 15 h; p2 5 Jan 5 h), us (p1 6 Jan 6.5 h, 7 Jan 3.5 h) and
    an event without a region (p2 7 Jan 4 h)."""
    metric(shop, "cpu_hours", "sum", field="h", name="CPU hours", unit="h",
           group_by=["region"])  # fmt: skip
    charge = {
        "metric": "cpu_hours",
        "model": "per_unit",
        "unit_price": "0.33",
        "group_prices": [{"group": {"region": "eu"}, "unit_price": "0.40"}],
    }
    customer = shop.customer(language=language)
    calendar_contract(shop, [usage_product(shop, "compute", charge, "Compute")], customer=customer)
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("e1", "cpu_hours", "2026-01-05T10:00:00Z", h=10, region="eu", project="p1"),
            event("e2", "cpu_hours", "2026-01-06T10:00:00Z", h=15, region="eu", project="p1"),
            event("e3", "cpu_hours", "2026-01-05T11:00:00Z", h=5, region="eu", project="p2"),
            event("u1", "cpu_hours", "2026-01-06T12:00:00Z", h="6.5", region="us", project="p1"),
            event("u2", "cpu_hours", "2026-01-07T12:00:00Z", h="3.5", region="us", project="p1"),
            event("n1", "cpu_hours", "2026-01-07T13:00:00Z", h=4, project="p2"),
        ],
    )
    [january] = shop.run("2026-02-01")
    return january


def region_of(shop: Shop, invoice: dict[str, Any]) -> dict[int, str | None]:
    """Each usage line's position → the region its group priced."""
    return {x["position"]: x["usage"]["group"]["region"] for x in explained(shop, invoice)}


def test_group_prices_by_region_with_a_default_price(shop: Shop) -> None:
    january = grouped_compute(shop)
    regions = region_of(shop, january)
    by_region = {regions[x["position"]]: (x["quantity"], x["net_amount"])
                 for x in usage_lines(january)}  # fmt: skip
    # eu 10 + 15 + 5 = 30 h × 0.40 (its own price) = 12.00; us 6.5 + 3.5 = 10 h × 0.33 = 3.30;
    # no region 4 h × 0.33 (the default) = 1.32; 16.62 net, VAT 3.324 → 3.32, gross 19.94
    assert by_region == {"eu": ("30", "12.00"), "us": ("10", "3.30"), None: ("4", "1.32")}
    assert totals(january) == ("16.62", "3.32", "19.94")


def statement_rows(statement: dict[str, Any], key: str) -> dict[int, list[tuple[Any, str]]]:
    return {
        line["position"]: [(r["keys"][key], r["amount"]) for r in line["rows"]]
        for m in statement["metrics"]
        for line in m["lines"]
    }


def test_statements_by_project_and_by_day_add_up_to_the_usage_lines(shop: Shop) -> None:
    january = grouped_compute(shop)
    regions = region_of(shop, january)
    eu, us, none = (next(p for p, r in regions.items() if r == x) for x in ("eu", "us", None))
    url = f"/v1/invoices/{january['id']}/statement"
    by_project = ok(shop.api.get(url, params={"group_by": "project"}))
    # per line, each project's quantity × the line's price (whole cents: exact shares):
    # eu p1 25 × 0.40 = 10.00, p2 5 × 0.40 = 2.00; us p1 10 × 0.33 = 3.30; none p2 4 × 0.33
    assert statement_rows(by_project, "project") == {
        eu: [("p1", "10.00"), ("p2", "2.00")],
        us: [("p1", "3.30")],
        none: [("p2", "1.32")],
    }
    by_day = ok(shop.api.get(url, params={"group_by": "metric,day"}))
    # eu: 5 Jan 15 h → 6.00, 6 Jan 15 h → 6.00; us: 330 cents × 6.5/10 = 214.5 and × 3.5/10 =
    # 115.5 → 214 + 115 = 329, the cent left to the earlier row on the tie: 2.15, 1.15
    assert statement_rows(by_day, "day") == {
        eu: [("2026-01-05", "6.00"), ("2026-01-06", "6.00")],
        us: [("2026-01-06", "2.15"), ("2026-01-07", "1.15")],
        none: [("2026-01-07", "1.32")],
    }
    # both add up to the invoice's usage lines: 12.00 + 3.30 + 1.32 = 16.62
    assert by_project["amount"] == by_day["amount"] == str(usage_sum(january)) == "16.62"
    as_csv = shop.api.get(url, params={"group_by": "day,project", "format": "csv"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    # eu: (5 Jan, p1) 10 h 4.00, (5 Jan, p2) 5 h 2.00, (6 Jan, p1) 15 h 6.00; us as by day;
    # none: (7 Jan, p2) 1.32 — six rows
    assert sorted(
        (r["line_position"], r["day"], r["project"], r["amount"]) for r in rows
    ) == sorted(
        [
            (str(eu), "2026-01-05", "p1", "4.00"),
            (str(eu), "2026-01-05", "p2", "2.00"),
            (str(eu), "2026-01-06", "p1", "6.00"),
            (str(us), "2026-01-06", "p1", "2.15"),
            (str(us), "2026-01-07", "p1", "1.15"),
            (str(none), "2026-01-07", "p2", "1.32"),
        ]
    )
    per_line: dict[str, Decimal] = {}
    for row in rows:
        per_line[row["line_position"]] = per_line.get(row["line_position"], Decimal(0)) + Decimal(
            row["amount"]
        )
    assert per_line == {str(x["position"]): Decimal(x["net_amount"]) for x in usage_lines(january)}


def pdf_words(content: bytes) -> str:
    """The statement PDF's text as a reader sees it, spaces collapsed."""
    if shutil.which("pdftotext"):
        read = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
            input=content,
            capture_output=True,
            check=True,
        )
        text = read.stdout.decode()
    else:
        pypdf = pytest.importorskip("pypdf")
        text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "fr",
            ["Relevé de consommation", "05/01/2026", "06/01/2026", "07/01/2026", "6,00 €",
             "2,15 €", "1,15 €", "1,32 €", "Total de la consommation HT", "16,62 €"],
        ),
        (
            "en",
            ["Consumption statement", "5 January 2026", "7 January 2026", "€6.00", "€2.15",
             "€1.15", "€1.32", "Total usage (net)", "€16.62"],
        ),
    ],
)  # fmt: skip
def test_statement_pdf_in_the_customers_language(
    shop: Shop, language: str, words: list[str]
) -> None:
    january = grouped_compute(shop, language)
    answer = shop.api.get(
        f"/v1/invoices/{january['id']}/statement", params={"group_by": "day", "format": "pdf"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/pdf")
    text = pdf_words(answer.content)
    for word in words:
        assert word in text, (word, text)


# --- CloudEvents and bulk import ----------------------------------------------------------------


def turnover_contract(shop: Shop, external_id: str = "NUAGE") -> str:
    """`turnover` (sum of `amount`) at 2 % + 0.25 per transaction on C-1, calendar, from 1 Jan."""
    metric(shop, "turnover", "sum", field="amount", name="Turnover", unit="EUR")
    charge = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
    customer = shop.customer(external_id=external_id)
    calendar_contract(shop, [usage_product(shop, "payments", charge, "Payments")],
                      customer=customer)  # fmt: skip
    return customer


def cloud(ident: str, source: str = "//shop/eu", **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": ident,
        "source": source,
        "type": "turnover",
        "subject": "NUAGE",
        "time": "2026-01-10T10:00:00+01:00",
        "datacontenttype": "application/json",
        "data": data,
    }


def test_cloudevents_structured_and_batch_beside_native_events(shop: Shop) -> None:
    turnover_contract(shop)
    single = {"Content-Type": "application/cloudevents+json"}
    batch = {"Content-Type": "application/cloudevents-batch+json"}
    first = shop.api.post("/v1/events", content=json.dumps(cloud("s-1", amount="100.00")),
                          headers=single)  # fmt: skip
    assert first.status_code == 201, first.text
    assert (first.json()["source"], first.json()["transaction_id"]) == ("//shop/eu", "s-1")
    # the same source and id again, even with other data: a duplicate, the first one stands
    again = shop.api.post("/v1/events", content=json.dumps(cloud("s-1", amount="999.00")),
                          headers=single)  # fmt: skip
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["value"]) == ("duplicate", "100")
    answer = ok(
        shop.api.post(
            "/v1/events/batch",
            content=json.dumps(
                [
                    cloud("s-1", amount="50.00"),  # duplicate of the single one
                    cloud("s-1", "//shop/us", amount="50.00"),  # another source: new
                    cloud("s-2", amount="25.50") | {"tarifcontract": "C-1"},
                    cloud("s-3", amount="10") | {"data_base64": "e30="},  # refused
                    cloud("s-4", amount="10") | {"datacontenttype": "text/plain"},  # refused
                    cloud("s-5", amount="1.1234567"),  # 7 decimals: refused
                ]
            ),
            headers=batch,
        )
    )
    assert [r["status"] for r in answer["results"]] == [
        "duplicate", "accepted", "accepted", "rejected", "rejected", "rejected",
    ]  # fmt: skip
    fields = [r["errors"][0]["field"] for r in answer["results"][3:]]
    assert fields[2] == "data.amount"
    assert all(f.startswith("data") for f in fields), fields
    # a native event with the id s-1 has source "": a third event
    native = send(shop, [event("s-1", "turnover", "2026-01-11T10:00:00Z", amount="200.00")])
    assert native["results"][0]["status"] == "accepted"
    shop.today("2026-02-02")
    [january] = shop.run("2026-02-01")
    # 100.00 + 50.00 + 25.50 + 200.00 = 375.50 in 4 transactions:
    # 2 % = 7.51; 4 × 0.25 = 1.00; 8.51 net, VAT 1.702 → 1.70, gross 10.21
    assert sorted(nets(january)) == ["1.00", "7.51"]
    assert totals(january) == ("8.51", "1.70", "10.21")


@pytest.fixture
def tarif_cli(shop: Shop, monkeypatch: pytest.MonkeyPatch, database_url: str, tenant: Any) -> Any:
    """Runs a `tarif` command for the shop's organization, at the shop's clock."""
    from typer.testing import CliRunner

    from tarif.cli.main import app

    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: shop.clock)

    def run(*args: str) -> Any:
        result = CliRunner().invoke(app, [*args, "--org", tenant.id])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def rejected_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["line"], row["field"]) for row in csv.DictReader(handle)]


def test_import_json_lines_with_bad_rows_into_a_rejected_file(
    shop: Shop, tarif_cli: Any, tmp_path: Path
) -> None:
    turnover_contract(shop)
    shop.today("2026-02-02")
    rows: list[Any] = [
        {"transaction_id": "j1", "customer": "NUAGE", "metric": "turnover",
         "timestamp": "2026-01-05T10:00:00Z", "properties": {"amount": "1000.00"}},
        {"transaction_id": "j2", "contract": "C-1", "metric": "turnover",
         "timestamp": "2026-01-06T10:00:00+01:00", "properties": {"amount": 250.5}},
        {"transaction_id": "j3", "customer": "NOBODY", "metric": "turnover",
         "timestamp": "2026-01-06T10:00:00Z", "properties": {"amount": "1"}},
        {"transaction_id": "j4", "customer": "NUAGE", "metric": "turnover",
         "timestamp": "2026-01-06T10:00:00", "properties": {"amount": "1"}},
        {"transaction_id": "j5", "customer": "NUAGE", "metric": "turnover",
         "timestamp": "2026-01-07T10:00:00Z", "properties": {"amount": "abc"}},
        {"transaction_id": "j1", "customer": "NUAGE", "metric": "turnover",
         "timestamp": "2026-01-08T10:00:00Z", "properties": {"amount": "5000.00"}},
    ]  # fmt: skip
    source = tmp_path / "january.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines.insert(3, "{not json")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = tmp_path / "refused.csv"
    report = tarif_cli("events", "import", str(source), "--rejected", str(refused), "--json")
    # 7 lines read: j1, j2 stored; j3 (unknown customer), line 4 (not JSON), j4 (no offset),
    # j5 (not a number) refused; the second j1 a duplicate, the first one stands
    assert (report["read"], report["accepted"], report["duplicates"], report["rejected"]) == (
        7, 2, 1, 4,
    )  # fmt: skip
    assert rejected_rows(refused) == [
        ("3", "customer"),
        ("4", ""),  # the whole line: "is not valid JSON"
        ("5", "timestamp"),
        ("6", "properties.amount"),
    ]
    # the same file again stores nothing new
    again = tarif_cli("events", "import", str(source), "--rejected", str(refused), "--json")
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 3, 4)
    [january] = shop.run("2026-02-01")
    # 1000.00 + 250.50 = 1,250.50: 2 % = 25.01; 2 × 0.25 = 0.50
    assert sorted(nets(january)) == ["0.50", "25.01"]


def test_import_parquet_with_bad_rows_into_a_rejected_file(
    shop: Shop, tarif_cli: Any, tmp_path: Path
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from datetime import UTC, datetime

    turnover_contract(shop)
    shop.today("2026-02-02")
    table = pa.table(
        {
            "transaction_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "customer": ["NUAGE", "NUAGE", "NUAGE", "NUAGE", "GHOST", "NUAGE"],
            "metric": ["turnover", "turnover", "turnover", "nope", "turnover", "turnover"],
            "timestamp": [
                datetime(2026, 1, 5, 10, tzinfo=UTC),
                datetime(2026, 1, 31, 22, 30, tzinfo=UTC),  # 31 Jan 23:30 in Paris
                datetime(2026, 1, 31, 23, 30, tzinfo=UTC),  # 1 Feb in Paris: February's
                datetime(2026, 1, 6, 10, tzinfo=UTC),
                datetime(2026, 1, 6, 10, tzinfo=UTC),
                datetime(2026, 1, 7, 10, tzinfo=UTC),
            ],
            "amount": ["400.00", "99.99", "1000.00", "1", "1", "12.3456789"],
            "region": ["eu", "eu", None, "us", None, "eu"],
        }
    )
    source = tmp_path / "january.parquet"
    pq.write_table(table, source)
    report = tarif_cli("events", "import", str(source), "--json")
    # p1, p2, p3 stored; p4 (unknown metric), p5 (unknown customer), p6 (7 decimals) refused
    assert (report["read"], report["accepted"], report["rejected"]) == (6, 3, 3)
    default_file = tmp_path / "january.parquet.rejected.csv"
    assert Path(report["rejected_file"]) == default_file
    assert [field for _, field in rejected_rows(default_file)] == [
        "metric", "customer", "properties.amount",
    ]  # fmt: skip
    [january] = shop.run("2026-02-01")
    # January in Paris: 400.00 + 99.99 = 499.99: 2 % = 9.9998 → 10.00; 2 × 0.25 = 0.50
    assert sorted(nets(january)) == ["0.50", "10.00"]


# --- the seed's case on an anniversary contract -------------------------------------------------


@pytest.mark.parametrize("discounted", [False, True])
def test_seed_case_anniversary_from_mid_month(shop: Shop, discounted: bool) -> None:
    metric(shop, "turnover", "sum", field="amount", name="Turnover", unit="EUR")
    hosting = shop.product("hosting", unit_price="399.00", periodicity="monthly",
                           timing="in_advance")  # fmt: skip
    charge = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
    fixed: dict[str, Any] = {"product_id": hosting}
    if discounted:  # 10 % off the fixed line only
        fixed["discounts"] = [{"kind": "percentage", "value": "10"}]
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-15",
        [fixed, {"product_id": usage_product(shop, "payments", charge, "Payments")}],
        billing_alignment="anniversary",
    )
    [first] = shop.run("2026-01-15")
    # anniversary: [15 Jan, 15 Feb) is a whole period, 399.00 (359.10 with 10 % off), no usage
    assert nets(first) == (["359.10"] if discounted else ["399.00"])
    shop.today("2026-02-16")
    at = "2026-{}T{}Z".format
    send(
        shop,
        [
            event("t0", "turnover", at("01-14", "22:30:00"), amount="9999.00"),  # 14 Jan Paris
            event("t1", "turnover", at("01-14", "23:30:00"), amount="1000.00"),  # 15 Jan 00:30
            event("t2", "turnover", at("01-20", "10:00:00"), amount="2500.00"),
            event("t3", "turnover", at("02-01", "10:00:00"), amount="1234.56"),
            event("t4", "turnover", at("02-14", "22:30:00"), amount="765.43"),  # 14 Feb 23:30
            event("t5", "turnover", at("02-14", "23:30:00"), amount="300.00"),  # 15 Feb: next
        ],
    )
    [second] = shop.run("2026-02-15")
    # usage of [15 Jan, 15 Feb) in Paris days: t1 + t2 + t3 + t4 = 1000.00 + 2500.00 +
    # 1234.56 + 765.43 = 5,499.99 in 4 transactions (t0 is before the start, t5 is 15 Feb):
    # 2 % = 109.9998 → 110.00; 4 × 0.25 = 1.00
    usage = sorted((x["period_start"], x["period_last_day"], x["net_amount"])
                   for x in usage_lines(second))  # fmt: skip
    assert usage == [("2026-01-15", "2026-02-14", "1.00"), ("2026-01-15", "2026-02-14", "110.00")]
    if discounted:
        # 399 × 0.9 = 359.10 for [15 Feb, 15 Mar), the usage lines undiscounted:
        # 359.10 + 110.00 + 1.00 = 470.10; VAT 94.02; 564.12
        assert totals(second) == ("470.10", "94.02", "564.12")
    else:
        # 399.00 + 110.00 + 1.00 = 510.00; VAT 102.00; 612.00
        assert totals(second) == ("510.00", "102.00", "612.00")


# --- a pricing SmartCode over groups, and its statement -------------------------------------------

BY_COUNTRY = '''\
"""Minutes by destination country, an unknown destination at 0.25."""
from decimal import Decimal

RATES = {"FR": Decimal("0.02"), "US": Decimal("0.09")}


def price(usage, contract):
    return [
        {
            "description": f"Calls to {country or 'unknown'}",
            "quantity": usage.groups[country],
            "unit_price": RATES.get(country, Decimal("0.25")),
        }
        for country in sorted(usage.groups)
    ]
'''


def test_pricing_smartcode_over_groups_and_its_statement_by_day(shop: Shop) -> None:
    code = smartcode(shop, "calls_by_country", "pricing", BY_COUNTRY)
    metric(shop, "minutes", "sum", field="min", name="Minutes", group_by=["country"])
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Minutes")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("f1", "minutes", "2026-01-05T10:00:00Z", min=60, country="FR"),
            event("f2", "minutes", "2026-01-06T10:00:00Z", min=40, country="FR"),
            event("u1", "minutes", "2026-01-06T11:00:00Z", min="30.5", country="US"),
            event("x1", "minutes", "2026-01-07T10:00:00Z", min=10),  # no country
        ],
    )
    # the dry run on the contract calls the macro once with every group, as the run does
    dry = dry_run(shop, code["id"], contract_id="C-1", as_of="2026-01-31")
    assert [(u["group"]["country"], u["quantity"]) for u in dry["contract"]["usages"]] == [
        (None, "10"), ("FR", "100"), ("US", "30.5"),
    ]  # fmt: skip
    [january] = shop.run("2026-02-01")
    # unknown 10 × 0.25 = 2.50; FR 100 × 0.02 = 2.00; US 30.5 × 0.09 = 2.745 → 2.75
    assert by_description(january) == {
        "Calls to unknown": ("10", "2.50"),
        "Calls to FR": ("100", "2.00"),
        "Calls to US": ("30.5", "2.75"),
    }
    statement = ok(
        shop.api.get(f"/v1/invoices/{january['id']}/statement", params={"group_by": "day"})
    )
    rows = {
        line["description"]: [(r["keys"]["day"], r["amount"]) for r in line["rows"]]
        for m in statement["metrics"]
        for line in m["lines"]
    }
    # A SmartCode's lines name no group: each is shared over the period's rows by quantity
    # (docs/statements.md): 5 Jan 60, 6 Jan 40 + 30.5 = 70.5, 7 Jan 10; 140.5 in all.
    # FR 200 cents: 85.41, 100.36, 14.23 → 85 + 100 + 14 = 199, the cent to 5 Jan (.41)
    # US 275 cents: 117.44, 137.99, 19.57 → 273, two cents to 6 Jan (.99) and 7 Jan (.57)
    # unknown 250 cents: 106.76, 125.44, 17.79 → 248, two cents to 7 Jan (.79), 5 Jan (.76)
    assert rows == {
        "Calls to unknown": [("2026-01-05", "1.07"), ("2026-01-06", "1.25"),
                             ("2026-01-07", "0.18")],
        "Calls to FR": [("2026-01-05", "0.86"), ("2026-01-06", "1.00"), ("2026-01-07", "0.14")],
        "Calls to US": [("2026-01-05", "1.17"), ("2026-01-06", "1.38"), ("2026-01-07", "0.20")],
    }  # fmt: skip
    # 2.50 + 2.00 + 2.75 = 7.25, the usage lines' sum, line by line
    assert statement["amount"] == str(usage_sum(january)) == "7.25"
    for line in usage_lines(january):
        assert sum(Decimal(a) for _, a in rows[line["description"]]) == Decimal(line["net_amount"])


# --- valuation in the sandbox ---------------------------------------------------------------------

SLOW_ON_ZERO = '''\
"""Minutes; a call of 0 seconds never ends (a bug)."""
import math
from decimal import Decimal


def value(event):
    seconds = Decimal(event.properties["seconds"])
    while seconds == 0:
        seconds = seconds * 1
    return math.ceil(seconds / 60)
'''


def test_a_valuation_dry_run_answers_each_event_with_its_value_or_error(shop: Shop) -> None:
    code = smartcode(shop, "call_price", "valuation", CALL_PRICE)
    sample = dry_run(
        shop,
        code["id"],
        events=[
            {"timestamp": "2026-01-10T10:00:00Z", "properties": {"seconds": 61, "to": "US"}},
            {"timestamp": "2026-01-10T10:00:00Z", "properties": {"to": "FR"}},
            {"timestamp": "2026-01-10T10:00:00Z", "properties": {"seconds": "90", "to": "XX"}},
        ],
    )
    # 61 s → 2 min × 0.09 = 0.18; no seconds: KeyError at line 9, alone; 90 s → 2 × 0.25
    values = [(r["index"], r["value"], (r["error"] or {}).get("line")) for r in sample["results"]]
    assert values == [(0, "0.18", None), (1, None, 9), (2, "0.50", None)]
    assert sample["results"][1]["error"]["type"] == "macro_failed"
    assert "seconds" in sample["results"][1]["error"]["message"]
    assert counts(shop) == (0, 0, 0)


def test_a_valuation_too_slow_refuses_the_batchs_events_of_that_metric_only(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tarif.smartcodes import runner

    quick = runner.MacroRunner(runner.Limits(cpu_seconds=2, wall_seconds=2.0))
    monkeypatch.setattr(runner, "_default", quick)
    try:
        code = smartcode(shop, "minutes", "valuation", SLOW_ON_ZERO)
        metric(shop, "call_min", "sum", field="seconds", name="Minutes",
               valuation_smartcode_id=code["id"])  # fmt: skip
        metric(shop, "sms", "count", name="SMS")
        minutes = usage_product(
            shop, "calls", {"metric": "call_min", "model": "per_unit", "unit_price": "0.10"}
        )
        sms = usage_product(shop, "sms", {"metric": "sms", "model": "per_unit",
                                          "unit_price": "0.05"})  # fmt: skip
        calendar_contract(shop, [minutes, sms])
        shop.today("2026-02-02")
        at = "2026-01-10T10:00:00Z"
        batch = [
            event("m1", "call_min", at, seconds=61),
            event("m2", "call_min", at, seconds=0),  # loops until the time limit
            event("s1", "sms", at),
            event("m3", "call_min", at, seconds=120),
        ]
        answer = send(shop, batch, accepted=1)
        # the worker is stopped: the metric's events of the batch are all refused, with why;
        # the SMS is stored; nothing half-valued is kept
        assert [r["status"] for r in answer["results"]] == [
            "rejected", "rejected", "accepted", "rejected",
        ]  # fmt: skip
        assert "time limit exceeded" in answer["results"][1]["errors"][0]["detail"]
        # a fixed version, and the same batch again: m1 and m3 stored, s1 a duplicate, m2 zero
        push(shop, code["id"], SLOW_ON_ZERO.replace("while seconds == 0", "while seconds < 0"))
        again = send(shop, batch, accepted=3)
        assert again["duplicates"] == 1
        [january] = shop.run("2026-02-01")
        # 61 s → 2, 0 s → 0, 120 s → 2: 4 min × 0.10 = 0.40; 1 SMS × 0.05 = 0.05
        assert sorted(nets(january)) == ["0.05", "0.40"]
    finally:
        quick.close()


BY_COUNTRY_GROUPED = BY_COUNTRY.replace(
    '"quantity": usage.groups[country],', '"quantity": usage.groups[country], "group": country,'
)


def test_pricing_smartcode_lines_naming_their_group_have_their_own_statement_rows(
    shop: Shop,
) -> None:
    code = smartcode(shop, "calls_by_country", "pricing", BY_COUNTRY_GROUPED)
    metric(shop, "minutes", "sum", field="min", name="Minutes", group_by=["country"])
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Minutes")])
    shop.today("2026-02-02")
    send(
        shop,
        [
            event("f1", "minutes", "2026-01-05T10:00:00Z", min=60, country="FR"),
            event("f2", "minutes", "2026-01-06T10:00:00Z", min=40, country="FR"),
            event("u1", "minutes", "2026-01-06T11:00:00Z", min="30.5", country="US"),
            event("x1", "minutes", "2026-01-07T10:00:00Z", min=10),  # no country: group ""
        ],
    )
    dry = dry_run(shop, code["id"], contract_id="C-1", as_of="2026-01-31")
    assert [(x["description"], x["group"]) for x in dry["lines"]] == [
        ("Calls to unknown", ""), ("Calls to FR", "FR"), ("Calls to US", "US"),
    ]  # fmt: skip
    [january] = shop.run("2026-02-01")
    # the same amounts as without groups: 2.50, 2.00, 2.75 = 7.25
    assert by_description(january) == {
        "Calls to unknown": ("10", "2.50"),
        "Calls to FR": ("100", "2.00"),
        "Calls to US": ("30.5", "2.75"),
    }
    groups = {x["description"]: x["usage"]["group"] for x in explained(shop, january)}
    assert groups == {
        "Calls to unknown": {"country": None},
        "Calls to FR": {"country": "FR"},
        "Calls to US": {"country": "US"},
    }
    by_day = ok(shop.api.get(f"/v1/invoices/{january['id']}/statement", params={"group_by": "day"}))
    rows = {
        line["description"]: [(r["keys"]["day"], r["amount"]) for r in line["rows"]]
        for m in by_day["metrics"]
        for line in m["lines"]
    }
    # each line over its own country's days only: FR 200 cents × 60/100 = 1.20 (5 Jan),
    # × 40/100 = 0.80 (6 Jan); US 2.75 on 6 Jan; unknown 2.50 on 7 Jan
    assert rows == {
        "Calls to unknown": [("2026-01-07", "2.50")],
        "Calls to FR": [("2026-01-05", "1.20"), ("2026-01-06", "0.80")],
        "Calls to US": [("2026-01-06", "2.75")],
    }
    assert by_day["amount"] == "7.25"


def test_a_pricing_line_naming_an_unknown_group_refuses_the_run(shop: Shop) -> None:
    source = SIMPLE_RATE.replace('"unit_price": "0.10"}', '"unit_price": "0.10", "group": "XX"}')
    code = seeded_pricing(shop, source)
    assert_run_refused(shop, code, "lines[0].group", "'XX' is not one of the usage's groups")
