"""Worked cases through the CLI and the REST API together: imports with rejected rows, runs,
statements, SmartCode versions, late events, currencies of 0 and 3 decimals, payments and the
credit balance. Every figure is computed by hand in the comment beside it."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tarif.clock import FixedClock
from tests.acceptance.test_trade_cases import Shop, nets, ok, totals
from tests.acceptance.test_trade_cases_cli import Operator
from tests.acceptance.test_trade_cases_usage import (
    calendar_contract,
    event,
    explained,
    metric,
    on,
    send,
    usage_lines,
    usage_product,
)
from tests.conftest import Tenant


@pytest.fixture
def both(
    shop: Shop,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tenant: Tenant,
    tmp_path: Path,
    clock: FixedClock,
) -> Operator:
    """An operator on the same organization and the same clock as `shop`."""
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: clock)
    return Operator(CliRunner(), tenant, clock, tmp_path)


# --- 1. the seed case through the CLI: CSV + JSONL import, bill run --finalize, --json = API ----


def test_seed_case_cli_end_to_end_agrees_with_api(shop: Shop, both: Operator) -> None:
    op = both
    hosting = shop.product(
        "hosting", unit_price="399.00", periodicity="monthly", timing="in_advance"
    )
    op.ok(
        "metrics",
        "create",
        "turnover",
        "--aggregation",
        "sum",
        "--field",
        "amount",
        "--unit",
        "EUR",
        "--name",
        "Turnover",
    )
    op.ok(
        "products",
        "create",
        "--code",
        "turnover-fee",
        "--kind",
        "usage",
        "--name-en",
        "Turnover fee",
    )
    charge = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
    op.ok(
        "pricelists",
        "add-entry",
        shop.pricelist_id,
        "--product",
        "turnover-fee",
        "--price",
        "0",
        "--charge",
        json.dumps(charge),
    )
    op.customer("SEED")
    assert hosting
    op.contract("SEED", "SEED-1", "2026-01-01", "hosting", "turnover-fee")
    # 1,000 sales of 40.00 (CSV) and 200 of 50.00 (JSON Lines), one bad row in each
    sales = op.tmp / "sales.csv"
    with sales.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["transaction_id", "customer", "metric", "timestamp", "amount"])
        for n in range(1000):
            w.writerow(
                [f"a{n}", "SEED", "turnover", f"2026-01-{1 + n % 31:02d}T12:00:00Z", "40.00"]
            )
        w.writerow(["bad1", "SEED", "turnover", "2026-01-40T12:00:00Z", "1.00"])
    jl = op.tmp / "sales.jsonl"
    rows = [
        json.dumps(
            {
                "transaction_id": f"b{n}",
                "customer": "SEED",
                "metric": "turnover",
                "timestamp": f"2026-01-{1 + n % 31:02d}T13:00:00Z",
                "properties": {"amount": "50.00"},
            }
        )
        for n in range(200)
    ]
    rows.append(
        json.dumps(
            {
                "transaction_id": "bad2",
                "customer": "SEED",
                "metric": "turnover",
                "timestamp": "2026-01-05T13:00:00Z",
                "properties": {"amount": "abc"},
            }
        )
    )
    jl.write_text("\n".join(rows) + "\n")
    op.today("2026-02-01")
    rej1, rej2 = op.tmp / "r1.csv", op.tmp / "r2.csv"
    r1 = op.json("events", "import", str(sales), "--rejected", str(rej1))
    assert (r1["read"], r1["accepted"], r1["rejected"]) == (1001, 1000, 1)
    assert [r["line"] for r in csv.DictReader(rej1.open())] == ["1002"]  # header is line 1
    r2 = op.json("events", "import", str(jl), "--rejected", str(rej2))
    assert (r2["read"], r2["accepted"], r2["rejected"]) == (201, 200, 1)
    [bad] = list(csv.DictReader(rej2.open()))
    assert bad["line"] == "201"
    made = op.json("bill", "run", "--as-of", "2026-02-01", "--finalize")
    invoices = [op.json("invoices", "show", i["id"]) for i in made["invoices"]]
    jan, feb = sorted(invoices, key=lambda i: i["billing_date"])
    assert totals(jan) == ("399.00", "79.80", "478.80")
    # 399.00 + 2 % × 50,000.00 = 1,000.00 + 1,200 × 0.25 = 300.00 → 1,699.00; VAT 339.80; 2,038.80
    assert sorted(nets(feb), key=Decimal) == ["300.00", "399.00", "1000.00"]
    assert totals(feb) == ("1699.00", "339.80", "2038.80")
    assert (jan["number"], feb["number"]) == ("F-2026-000001", "F-2026-000002")
    api_feb = ok(shop.api.get(f"/v1/invoices/{feb['id']}"))
    for key in (
        "number",
        "status",
        "net_total",
        "vat_total",
        "gross_total",
        "amount_due",
        "due_date",
        "issue_date",
    ):
        assert feb[key] == api_feb[key], key
    cli_explain = op.json("invoices", "explain", feb["id"])
    api_explain = ok(shop.api.get(f"/v1/invoices/{feb['id']}/explain"))["lines"]
    assert [x["net_amount"] for x in cli_explain] == [x["net_amount"] for x in api_explain]
    # statement by day: sums to 1,300.00; days 1–22 have 33 or 32 sales of 40 …
    st = ok(shop.api.get(f"/v1/invoices/{feb['id']}/statement", params={"group_by": "metric,day"}))
    assert st["amount"] == "1300.00"
    [m] = st["metrics"]
    for line in m["lines"]:
        assert sum(Decimal(r["amount"]) for r in line["rows"]) == Decimal(line["amount"])
    # a 40.00 sale n on day 1 + n mod 31: days 1–8 have 33 (n ≡ 0..7 mod 31 below 1000: 33),
    # others 32; 50.00 sales: days 1–14 have 7 (200 = 6×31 + 14), others 6.
    # day 1: 33 × 40 + 7 × 50 = 1,670.00 → 2 % = 33.40; 40 transactions × 0.25 = 10.00
    pct = next(x for x in m["lines"] if x["rated_kind"] == "percentage")
    fee = next(x for x in m["lines"] if x["rated_kind"] == "transaction_fee")
    day1 = {r["keys"]["day"]: r for r in pct["rows"]}["2026-01-01"]
    assert (day1["quantity"], day1["amount"]) == ("1670", "33.40")
    day31 = {r["keys"]["day"]: r for r in fee["rows"]}["2026-01-31"]
    # day 31: 32 + 6 = 38 transactions × 0.25 = 9.50
    assert (day31["quantity"], day31["amount"]) == ("38", "9.50")
    # a credit note via the CLI: half of the hosting line (399.00 × 0.5 = 199.50, VAT 39.90)
    pos = next(x["position"] for x in feb["lines"] if x["net_amount"] == "399.00")
    note = op.json(
        "credit-notes",
        "create",
        "--invoice",
        feb["id"],
        "--line",
        f"{pos}:0.5",
        "--reason",
        "outage",
    )
    assert (note["number"], note["net_total"], note["gross_total"]) == (
        "AV-2026-000001",
        "-199.50",
        "-239.40",
    )
    # 2,038.80 − 239.40 = 1,799.40 still due
    assert ok(shop.api.get(f"/v1/invoices/{feb['id']}"))["amount_due"] == "1799.40"


# --- 2. KWD: 3-decimal graduated usage + recurring, statement by day to the fils ----------------


def test_kwd_graduated_usage_and_statement_to_the_fils(shop: Shop) -> None:
    kwd = ok(
        shop.api.post(
            "/v1/pricelists", json={"name": "Kuwait", "currency": "KWD", "valid_from": "2026-01-01"}
        ),
        201,
    )["id"]
    metric(shop, "calls", "count")
    host = ok(
        shop.api.post(
            "/v1/products", json={"code": "host", "name_en": "Host", "kind": "recurring"}
        ),
        201,
    )["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{kwd}/entries",
            json={
                "product_id": host,
                "unit_price": "7.5005",
                "periodicity": "monthly",
                "timing": "in_advance",
            },
        ),
        201,
    )
    api = ok(
        shop.api.post("/v1/products", json={"code": "api", "name_en": "API", "kind": "usage"}), 201
    )["id"]
    tiers = {
        "metric": "calls",
        "model": "graduated",
        "tiers": [{"up_to": "10", "unit_price": "0.1235"}, {"up_to": None, "unit_price": "0.0575"}],
    }
    ok(
        shop.api.post(
            f"/v1/pricelists/{kwd}/entries",
            json={"product_id": api, "unit_price": "0", "charge": tiers},
        ),
        201,
    )
    customer = shop.customer("Kuwait Co", currency="KWD", country="KW", pricelist_id=kwd)
    shop.contract(
        customer,
        "C-1",
        "2026-01-01",
        [{"product_id": host}, {"product_id": api}],
        billing_alignment="calendar",
    )
    shop.today("2026-01-31")
    evs = []
    for day, n in (("05", 7), ("06", 10), ("07", 8)):
        evs += [event(f"{day}-{i}", "calls", f"2026-01-{day}T10:{i:02d}:00Z") for i in range(n)]
    send(shop, evs)
    invoices = shop.run("2026-02-01")
    feb = on(invoices, "2026-02-01")
    assert feb["currency"] == "KWD"
    # host 7.5005 → 7.501 (HALF_UP, 3 decimals); tier 1 10 × 0.1235 = 1.235;
    # tier 2 15 × 0.0575 = 0.8625 → 0.863; net 7.501 + 1.235 + 0.863 = 9.599; export: VAT 0
    assert sorted(nets(feb), key=Decimal) == ["0.863", "1.235", "7.501"]
    assert totals(feb) == ("9.599", "0.000", "9.599")
    st = ok(shop.api.get(f"/v1/invoices/{feb['id']}/statement", params={"group_by": "day"}))
    assert st["amount"] == "2.098"
    [m] = st["metrics"]
    got = {(x["amount"], r["keys"]["day"]): r["amount"] for x in m["lines"] for r in x["rows"]}
    # tier 1: 1235 fils × 7/25 = 345.8, × 10/25 = 494, × 8/25 = 395.2 → 345+494+395 = 1234,
    # the fils left to 5 Jan (0.8) → 0.346, 0.494, 0.395
    # tier 2: 863 × 7/25 = 241.64, 345.2, 276.16 → 862, the fils to 5 Jan → 0.242, 0.345, 0.276
    assert got == {
        ("1.235", "2026-01-05"): "0.346",
        ("1.235", "2026-01-06"): "0.494",
        ("1.235", "2026-01-07"): "0.395",
        ("0.863", "2026-01-05"): "0.242",
        ("0.863", "2026-01-06"): "0.345",
        ("0.863", "2026-01-07"): "0.276",
    }
    csv_text = shop.api.get(
        f"/v1/invoices/{feb['id']}/statement", params={"group_by": "day", "format": "csv"}
    ).text
    rows = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("2.098")
    assert {r["amount"] for r in rows} == set(got.values())


# --- 3. JPY: a pricing SmartCode, rounded once per line, versions kept by old invoices ----------

PRICE_V1 = """
from decimal import Decimal


def price(usage, contract):
    return [{"description": "Minutes", "quantity": usage.quantity,
             "unit_price": Decimal("2.5")}]
"""
PRICE_V2 = PRICE_V1.replace('"2.5"', '"3.5"')
MINUTES = """
import math


def value(event):
    return math.ceil(event.properties["duration"] / 60)
"""


def test_jpy_smartcodes_valuation_and_pricing_versions(shop: Shop) -> None:
    yen = ok(
        shop.api.post(
            "/v1/pricelists", json={"name": "Japan", "currency": "JPY", "valid_from": "2026-01-01"}
        ),
        201,
    )["id"]
    val = ok(
        shop.api.post(
            "/v1/smartcodes",
            json={"code": "billable_minutes", "kind": "valuation", "source": MINUTES},
        ),
        201,
    )
    pr = ok(
        shop.api.post(
            "/v1/smartcodes", json={"code": "minute_rate", "kind": "pricing", "source": PRICE_V1}
        ),
        201,
    )
    # dry run of the valuation on sample events: 61 s → 2, 120 s → 2, 5 s → 1
    sample = [
        {"timestamp": "2026-01-05T10:00:00Z", "properties": {"duration": d}} for d in (61, 120, 5)
    ]
    dry = ok(shop.api.post(f"/v1/smartcodes/{val['id']}/test", json={"events": sample}))
    assert [str(r["value"]) for r in dry["results"]] == ["2", "2", "1"]
    metric(shop, "minutes", "sum", field="duration", valuation_smartcode_id=val["id"])
    prod = ok(
        shop.api.post("/v1/products", json={"code": "voice", "name_en": "Voice", "kind": "usage"}),
        201,
    )["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{yen}/entries",
            json={
                "product_id": prod,
                "unit_price": "0",
                "charge": {
                    "metric": "minutes",
                    "model": "per_unit",
                    "unit_price": "0",
                    "smartcode_id": pr["id"],
                },
            },
        ),
        201,
    )
    customer = shop.customer("Nihon KK", currency="JPY", country="JP", pricelist_id=yen)
    shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": prod}], billing_alignment="calendar"
    )
    shop.today("2026-01-31")
    # calls of 61, 119, 3, 60 s → 2 + 2 + 1 + 1 = 6 billable minutes... and one of 3601 s → 61
    durations = (61, 119, 3, 60, 3601)
    send(
        shop,
        [
            event(f"c{i}", "minutes", f"2026-01-10T10:{i:02d}:00Z", duration=d)
            for i, d in enumerate(durations)
        ],
    )
    [jan_usage] = shop.run("2026-02-01")
    # 67 minutes × 2.5 = 167.5 → 168 yen (rounded once, HALF_UP); export outside the EU
    [line] = usage_lines(jan_usage)
    assert (line["quantity"], line["net_amount"]) == ("67", "168")
    assert totals(jan_usage) == ("168", "0", "168")
    [ex] = explained(shop, jan_usage)
    v1 = ok(shop.api.get(f"/v1/smartcodes/{pr['id']}/versions/1"))["id"]
    assert ex["usage"]["smartcode_versions"] == {pr["id"]: v1}
    # a new pricing version: February is priced by it; January's invoice keeps version 1
    ok(shop.api.post(f"/v1/smartcodes/{pr['id']}/versions", json={"source": PRICE_V2}), 201)
    assert (
        shop.api.post(f"/v1/smartcodes/{pr['id']}/versions", json={"source": PRICE_V2}).status_code
        == 409
    )
    shop.today("2026-02-28")
    send(shop, [event("f1", "minutes", "2026-02-10T10:00:00Z", duration=3)])  # 1 minute
    [feb_usage] = shop.run("2026-03-01")
    # 1 × 3.5 = 3.5 → 4 yen
    assert [x["net_amount"] for x in usage_lines(feb_usage)] == ["4"]
    v2 = ok(shop.api.get(f"/v1/smartcodes/{pr['id']}/versions/2"))["id"]
    [ex2] = explained(shop, feb_usage)
    assert ex2["usage"]["smartcode_versions"] == {pr["id"]: v2}
    [ex_again] = explained(shop, ok(shop.api.get(f"/v1/invoices/{jan_usage['id']}")))
    assert ex_again["usage"]["smartcode_versions"] == {pr["id"]: v1}


# --- 4. late events: adjustment through the CLI import, then refused by policy ----------------


def test_late_events_imported_then_refused_by_policy(shop: Shop, both: Operator) -> None:
    op = both
    metric(shop, "calls", "count")
    api = usage_product(
        shop,
        "api",
        {
            "metric": "calls",
            "model": "volume",
            "tiers": [{"up_to": "10", "unit_price": "1.00"}, {"up_to": None, "unit_price": "0.50"}],
        },
        name="API calls",
    )
    calendar_contract(shop, [api])
    shop.today("2026-01-31")
    send(shop, [event(f"j{i}", "calls", f"2026-01-20T10:{i:02d}:00Z") for i in range(8)])
    [jan] = shop.run("2026-02-01")
    # volume: 8 calls in tier 1 at 1.00 → 8.00
    assert totals(jan) == ("8.00", "1.60", "9.60")
    # 4 late January calls and 3 February calls, imported as CSV
    late = op.tmp / "late.csv"
    with late.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["transaction_id", "contract", "metric", "timestamp"])
        for i in range(4):
            w.writerow([f"late{i}", "C-1", "calls", f"2026-01-25T10:{i:02d}:00Z"])
        for i in range(3):
            w.writerow([f"feb{i}", "C-1", "calls", f"2026-02-03T10:{i:02d}:00Z"])
    shop.today("2026-02-28")
    report = op.json("events", "import", str(late), "--rejected", str(op.tmp / "rej.csv"))
    assert report["accepted"] == 7
    [mar] = shop.run("2026-03-01")
    # January re-rated: 12 calls now in tier 2 at 0.50 = 6.00; the adjustment takes back
    # −8 × 1.00 = −8.00 and bills +12 × 0.50 = +6.00; February: 3 × 1.00 = 3.00
    # net −8.00 + 6.00 + 3.00 = 1.00, VAT 0.20, gross 1.20
    adj = sorted(x["net_amount"] for x in mar["lines"] if x["adjustment"])
    assert adj == ["-8.00", "6.00"]
    assert totals(mar) == ("1.00", "0.20", "1.20")
    # now the organization refuses late usage: a late February call is rejected at import
    op.ok("orgs", "update", "--set", "late_usage_policy=reject")
    late2 = op.tmp / "late2.csv"
    late2.write_text(
        "transaction_id,contract,metric,timestamp\n"
        "late9,C-1,calls,2026-02-10T10:00:00Z\n"
        "mar1,C-1,calls,2026-03-01T10:00:00Z\n"
    )
    rej = op.tmp / "rej2.csv"
    shop.today("2026-03-02")
    report = op.json("events", "import", str(late2), "--rejected", str(rej))
    assert (report["accepted"], report["rejected"]) == (1, 1)
    [refused] = list(csv.DictReader(rej.open()))
    assert refused["line"] == "2"


# --- 5. payments: partial, overpayment, overdue, credit balance used by the next invoice --------


def test_payments_overdue_and_credit_balance_on_next_invoice(shop: Shop) -> None:
    hosting = shop.product(
        "hosting", unit_price="399.00", periodicity="monthly", timing="in_advance"
    )
    customer = shop.customer()
    shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": hosting}], billing_alignment="calendar"
    )
    [jan] = shop.run("2026-01-01", finalize=True)
    assert jan["status"] == "finalized" or jan["number"]
    url = f"/v1/invoices/{jan['id']}"
    # 478.80: pay 300.00 → partially paid, 178.80 due
    paid = ok(shop.api.post(f"{url}/payments", json={"amount": "300.00"}), 201)
    assert paid["invoice_status"] == "partially_paid"
    over = shop.api.post(f"{url}/payments", json={"amount": "178.81"})
    assert over.status_code == 422, over.text
    read = ok(shop.api.get(url))
    assert read["amount_due"] == "178.80"
    due = read["due_date"]
    # later than the due date: overdue
    shop.today("2026-03-01")
    assert due < "2026-03-01"
    read = ok(shop.api.get(url))
    assert read["overdue"] is True
    # a credit note of 250.00 on it: cancels 178.80 due, 71.20 to the balance
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": jan["id"], "reason": "outage", "amount": "250.00"},
        ),
        201,
    )
    assert (note["settlement"]["applied_to_invoice"], note["settlement"]["to_balance"]) == (
        "178.80",
        "71.20",
    )
    read = ok(shop.api.get(url))
    assert (read["amount_due"], read["overdue"]) == ("0.00", False)
    bal = ok(shop.api.get(f"/v1/customers/{customer}/balance"))
    # the run as of 1 Mar finalizes Feb and Mar; Feb (478.80) takes the 71.20 first
    invoices = shop.run("2026-03-01", finalize=True)
    feb = on(invoices, "2026-02-01")
    mar = on(invoices, "2026-03-01")
    # 478.80 − 71.20 = 407.60 due on February, March untouched
    assert (feb["amount_paid"], feb["amount_due"], feb["status"]) == (
        "71.20",
        "407.60",
        "partially_paid",
    )
    assert (mar["amount_paid"], mar["amount_due"]) == ("0.00", "478.80")
    assert bal is not None


# --- 6. statement by property: graduated tiers + minimum spend top-up, JSON, CSV, customer ------


def test_statement_by_site_with_tiers_and_a_top_up(shop: Shop) -> None:
    metric(shop, "calls", "count")
    charge = {
        "metric": "calls",
        "model": "graduated",
        "minimum_spend": "20.00",
        "tiers": [{"up_to": "100", "unit_price": "0.10"}, {"up_to": None, "unit_price": "0.05"}],
    }
    api = usage_product(shop, "api", charge, name="API calls")
    customer = shop.customer()
    calendar_contract(shop, [api], customer=customer)
    shop.today("2026-01-31")
    evs = []
    for site, day, n in (("A", "05", 70), ("B", "06", 60), ("C", "07", 20)):
        evs += [
            event(f"{site}{i}", "calls", f"2026-01-{day}T08:00:{i % 60:02d}Z", site=site)
            for i in range(n)
        ]
    send(shop, evs)
    [jan] = shop.run("2026-02-01")
    # 150 calls: 100 × 0.10 = 10.00, 50 × 0.05 = 2.50 → 12.50; top-up 20.00 − 12.50 = 7.50
    assert sorted(nets(jan), key=Decimal) == ["2.50", "7.50", "10.00"]
    assert totals(jan) == ("20.00", "4.00", "24.00")
    st = ok(shop.api.get(f"/v1/invoices/{jan['id']}/statement", params={"group_by": "site"}))
    assert st["amount"] == "20.00"
    per_site: dict[str, Decimal] = {}
    by_line: dict[str, dict[str, str]] = {}
    for line in st["metrics"][0]["lines"]:
        by_line[line["amount"]] = {r["keys"]["site"]: r["amount"] for r in line["rows"]}
        for r in line["rows"]:
            per_site[r["keys"]["site"]] = per_site.get(r["keys"]["site"], 0) + Decimal(r["amount"])
    # tier 1: 1,000 cents × 70/150 = 466.67, 400, 133.33 → 4.67, 4.00, 1.33
    # tier 2: 250 × 70/150 = 116.67, 100, 33.33 → 1.17, 1.00, 0.33
    # top-up: 750 × 70/150 = 350, 300, 100 → 3.50, 3.00, 1.00
    assert by_line == {
        "10.00": {"A": "4.67", "B": "4.00", "C": "1.33"},
        "2.50": {"A": "1.17", "B": "1.00", "C": "0.33"},
        "7.50": {"A": "3.50", "B": "3.00", "C": "1.00"},
    }
    # per site 9.34 + 8.00 + 2.66 = 20.00
    assert per_site == {"A": Decimal("9.34"), "B": Decimal("8.00"), "C": Decimal("2.66")}
    text = shop.api.get(
        f"/v1/invoices/{jan['id']}/statement", params={"group_by": "site,day", "format": "csv"}
    ).text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("20.00")
    assert {(r["site"], r["day"]) for r in rows} == {
        ("A", "2026-01-05"),
        ("B", "2026-01-06"),
        ("C", "2026-01-07"),
    }
    cust = ok(
        shop.api.get(
            f"/v1/customers/{customer}/statement",
            params={"from": "2026-01-01", "to": "2026-02-01", "group_by": "site"},
        )
    )
    assert cust["amount"] == "20.00"


# --- 7. credit balance in JPY and KWD: amounts to the minor unit, used automatically -----------


def test_goodwill_in_yen_pays_the_next_invoice(shop: Shop) -> None:
    yen = ok(
        shop.api.post(
            "/v1/pricelists", json={"name": "Japan", "currency": "JPY", "valid_from": "2026-01-01"}
        ),
        201,
    )["id"]
    prod = ok(
        shop.api.post(
            "/v1/products", json={"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        ),
        201,
    )["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{yen}/entries",
            json={
                "product_id": prod,
                "unit_price": "10000",
                "periodicity": "monthly",
                "timing": "in_advance",
            },
        ),
        201,
    )
    customer = shop.customer("Nihon KK", currency="JPY", pricelist_id=yen)
    url = f"/v1/customers/{customer}/goodwill-credits"
    bad = shop.api.post(url, json={"amount": "1500.5", "currency": "JPY", "reason": "x"})
    assert bad.status_code == 422, bad.text
    ok(shop.api.post(url, json={"amount": "1500", "currency": "JPY", "reason": "sorry"}), 201)
    shop.contract(
        customer, "C-JP", "2026-01-15", [{"product_id": prod}], billing_alignment="calendar"
    )
    [jan] = shop.run("2026-01-15", finalize=True)
    # 10000 × 17/31 = 5483.87 → 5484; VAT 20 % 1096.8 → 1097; 6581; 1500 from the balance → 5081
    assert totals(jan) == ("5484", "1097", "6581")
    assert (jan["amount_paid"], jan["amount_due"], jan["status"]) == (
        "1500",
        "5081",
        "partially_paid",
    )
    over = shop.api.post(f"/v1/invoices/{jan['id']}/payments", json={"amount": "5082"})
    assert over.status_code == 422
    paid = ok(shop.api.post(f"/v1/invoices/{jan['id']}/payments", json={"amount": "5081"}), 201)
    assert paid["invoice_status"] == "paid"


# --- 8. a late event valued by a newer valuation version ---------------------------------------

MINUTES_V2 = """
import math
from decimal import Decimal


def value(event):
    return Decimal(math.ceil(event.properties["duration"] / 30)) / 2
"""


def test_late_event_valued_by_a_newer_valuation_version(shop: Shop) -> None:
    val = ok(
        shop.api.post(
            "/v1/smartcodes",
            json={"code": "billable_minutes", "kind": "valuation", "source": MINUTES},
        ),
        201,
    )
    metric(shop, "minutes", "sum", field="duration", valuation_smartcode_id=val["id"])
    voice = usage_product(
        shop,
        "voice",
        {"metric": "minutes", "model": "per_unit", "unit_price": "0.10"},
        name="Minutes",
    )
    calendar_contract(shop, [voice])
    shop.today("2026-01-31")
    # 61 s → 2, 100 s → 2 (v1: every started minute)
    send(
        shop,
        [
            event("a", "minutes", "2026-01-10T10:00:00Z", duration=61),
            event("b", "minutes", "2026-01-11T10:00:00Z", duration=100),
        ],
    )
    [jan] = shop.run("2026-02-01")
    # 4 minutes × 0.10 = 0.40
    assert [x["net_amount"] for x in usage_lines(jan)] == ["0.40"]
    ok(shop.api.post(f"/v1/smartcodes/{val['id']}/versions", json={"source": MINUTES_V2}), 201)
    shop.today("2026-02-27")
    # a late January call of 61 s, valued by v2 (half-minutes): ceil(61/30) = 3 → 1.5 minutes
    send(shop, [event("c", "minutes", "2026-01-20T10:00:00Z", duration=61)])
    [feb] = shop.run("2026-03-01")
    # January re-rated: 2 + 2 + 1.5 = 5.5 × 0.10 = 0.55; adjustment +0.15; February: 0 → 0.00
    adj = [x for x in feb["lines"] if x["adjustment"]]
    assert [(x["quantity"], x["net_amount"]) for x in adj] == [("1.5", "0.15")]
    assert feb["net_total"] == "0.15"
    ex = [x for x in explained(shop, feb) if x["usage"]["late_adjustment"]]
    v1 = ok(shop.api.get(f"/v1/smartcodes/{val['id']}/versions/1"))["id"]
    v2 = ok(shop.api.get(f"/v1/smartcodes/{val['id']}/versions/2"))["id"]
    assert ex[0]["usage"]["valuation_versions"] == {val["id"]: [v1, v2]}


# --- 9. credit notes by amount in KWD and JPY (French customers, 20 %) -----------------------


@pytest.mark.parametrize(
    ("currency", "price", "asked", "expected"),
    [
        # 10.000 KWD at 20 %: net 10 / 1.2 = 8.3333 → 8.333; VAT 8.333 × 0.2 = 1.6666 → 1.667;
        # 8.333 + 1.667 = 10.000
        ("KWD", "12.000", "10.000", ("-8.333", "-1.667", "-10.000")),
        # 1000 JPY: net 833.33 → 833; VAT 166.6 → 167; 1000
        ("JPY", "12000", "1000", ("-833", "-167", "-1000")),
    ],
)
def test_credit_note_by_amount_in_other_minor_units(
    shop: Shop, currency: str, price: str, asked: str, expected: tuple[str, str, str]
) -> None:
    pl = ok(
        shop.api.post(
            "/v1/pricelists",
            json={"name": currency, "currency": currency, "valid_from": "2026-01-01"},
        ),
        201,
    )["id"]
    prod = ok(
        shop.api.post(
            "/v1/products", json={"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        ),
        201,
    )["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{pl}/entries",
            json={
                "product_id": prod,
                "unit_price": price,
                "periodicity": "monthly",
                "timing": "in_advance",
            },
        ),
        201,
    )
    customer = shop.customer("Client FR", currency=currency, pricelist_id=pl)
    shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": prod}], billing_alignment="calendar"
    )
    [jan] = shop.run("2026-01-01", finalize=True)
    note = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": jan["id"], "reason": "goodwill", "amount": asked},
        ),
        201,
    )
    assert totals(note) == expected
    # 12.000 × 1.2 = 14.400 − 10.000 = 4.400 due; 12000 × 1.2 = 14400 − 1000 = 13400
    due = Decimal(price) * Decimal("1.2") - Decimal(asked)
    assert ok(shop.api.get(f"/v1/invoices/{jan['id']}"))["amount_due"] == (
        "4.400" if currency == "KWD" else "13400"
    )
    assert due in (Decimal("4.4"), Decimal("13400"))


# --- 10. CLI: credit note to the balance, next run --finalize uses it; overdue list -------------


def test_cli_credit_to_balance_then_next_run_uses_it(shop: Shop, both: Operator) -> None:
    op = both
    shop.product("hosting", unit_price="399.00", periodicity="monthly", timing="in_advance")
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-01", "hosting")
    made = op.json("bill", "run", "--as-of", "2026-01-15", "--finalize")
    [jan] = [op.json("invoices", "show", i["id"]) for i in made["invoices"]]
    assert (jan["number"], jan["gross_total"]) == ("F-2026-000001", "478.80")
    op.ok("invoices", "pay", jan["id"], "--amount", "478.80")
    # paid in full: a credit of 120.00 goes to the balance (nothing owed on the invoice)
    note = op.json(
        "credit-notes",
        "create",
        "--invoice",
        jan["id"],
        "--amount",
        "120.00",
        "--reason",
        "outage",
        "--to-balance",
    )
    assert note["settlement"]["to_balance"] == "120.00"
    # 120.00 at 20 %: net 100.00, VAT 20.00
    assert totals(note) == ("-100.00", "-20.00", "-120.00")
    op.today("2026-02-01")
    made = op.json("bill", "run", "--as-of", "2026-02-01", "--finalize")
    [feb] = [op.json("invoices", "show", i["id"]) for i in made["invoices"]]
    # 478.80 − 120.00 from the balance = 358.80 due
    assert (feb["number"], feb["amount_paid"], feb["amount_due"], feb["status"]) == (
        "F-2026-000002",
        "120.00",
        "358.80",
        "partially_paid",
    )
    payments = op.json("invoices", "payments", feb["id"])
    assert [(p["method"], p["amount"]) for p in payments] == [("credit_balance", "120.00")]
    # due date: 1 Feb + 30 days = 3 Mar; on 4 Mar it is overdue
    assert feb["due_date"] == "2026-03-03"
    op.today("2026-03-04")
    late = op.json("invoices", "list", "--overdue")
    assert [i["id"] for i in late] == [feb["id"]]
    api_late = ok(shop.api.get("/v1/invoices", params={"overdue": "true"}))
    assert [i["id"] for i in api_late["data"]] == [feb["id"]]


# --- 11. late adjustment in the customer statement --------------------------------------------


def test_customer_statement_includes_the_late_adjustment_row(shop: Shop) -> None:
    metric(shop, "calls", "count")
    api = usage_product(
        shop,
        "api",
        {"metric": "calls", "model": "per_unit", "unit_price": "0.30"},
        name="API calls",
    )
    customer = shop.customer()
    calendar_contract(shop, [api], customer=customer)
    shop.today("2026-01-31")
    send(shop, [event(f"j{i}", "calls", "2026-01-20T10:00:00Z") for i in range(10)])
    [jan] = shop.run("2026-02-01")
    assert jan["net_total"] == "3.00"  # 10 × 0.30
    shop.today("2026-02-10")
    send(shop, [event(f"late{i}", "calls", "2026-01-21T10:00:00Z") for i in range(5)])
    shop.today("2026-02-28")
    [feb] = shop.run("2026-03-01")
    # 5 late × 0.30 = 1.50 adjustment; February 0 → 0.00
    assert [x["net_amount"] for x in feb["lines"] if x["adjustment"]] == ["1.50"]
    st = ok(
        shop.api.get(
            f"/v1/customers/{customer}/statement",
            params={"from": "2026-01-01", "to": "2026-02-01", "group_by": "day"},
        )
    )
    # January's line 3.00 (10 calls on 20 Jan) + its adjustment 1.50 = 4.50
    assert st["amount"] == "4.50"
    rows = [r for m in st["metrics"] for x in m["lines"] for r in x["rows"]]
    assert sorted((r["late_adjustment"], r["amount"]) for r in rows) == [
        (False, "3.00"),
        (True, "1.50"),
    ]
    # the regular row counts only what was rated: 10 events on 20 Jan
    [regular] = [r for r in rows if not r["late_adjustment"]]
    assert (regular["keys"]["day"], regular["quantity"]) == ("2026-01-20", "10")


# --- 12. a carried-over (recurring) quantity in a month without events: the statement adds up --


def test_statement_of_a_carried_over_month_without_events_adds_up(shop: Shop) -> None:
    metric(shop, "seats", "sum", field="delta", recurring=True)
    lic = usage_product(
        shop, "lic", {"metric": "seats", "model": "per_unit", "unit_price": "10.00"}, name="Seats"
    )
    customer = shop.customer()
    calendar_contract(shop, [lic], customer=customer)
    send(shop, [event("s1", "seats", "2026-01-05T10:00:00Z", delta=3)])
    shop.today("2026-02-28")
    invoices = shop.run("2026-03-01")
    jan, feb = on(invoices, "2026-02-01"), on(invoices, "2026-03-01")
    # January 3 seats × 10.00 = 30.00; February carries the 3 seats: 30.00 again
    assert (jan["net_total"], feb["net_total"]) == ("30.00", "30.00")
    for invoice in (jan, feb):
        st = ok(shop.api.get(f"/v1/invoices/{invoice['id']}/statement", params={"group_by": "day"}))
        assert st["amount"] == "30.00"
        rows = [r for m in st["metrics"] for x in m["lines"] for r in x["rows"]]
        assert sum(Decimal(r["amount"]) for r in rows) == Decimal("30.00")


# --- 13. the metric's filters apply in the statement ------------------------------------------


def test_statement_keeps_the_metrics_filters(shop: Shop) -> None:
    metric(shop, "calls", "count", filters=[{"property": "region", "op": "eq", "value": "eu"}])
    api = usage_product(
        shop, "api", {"metric": "calls", "model": "per_unit", "unit_price": "0.10"}, name="EU calls"
    )
    calendar_contract(shop, [api])
    shop.today("2026-01-31")
    send(
        shop,
        [event(f"e{i}", "calls", "2026-01-10T10:00:00Z", region="eu") for i in range(7)]
        + [event(f"u{i}", "calls", "2026-01-10T11:00:00Z", region="us") for i in range(5)],
    )
    [jan] = shop.run("2026-02-01")
    # 7 eu calls × 0.10 = 0.70
    assert jan["net_total"] == "0.70"
    st = ok(shop.api.get(f"/v1/invoices/{jan['id']}/statement", params={"group_by": "region"}))
    rows = [
        (r["keys"]["region"], r["quantity"], r["amount"])
        for m in st["metrics"]
        for x in m["lines"]
        for r in x["rows"]
    ]
    assert rows == [("eu", "7", "0.70")]


# --- 14. HALF_EVEN lines in yen, VAT still HALF_UP --------------------------------------------


def test_half_even_yen_usage_lines_and_half_up_vat(shop: Shop) -> None:
    ok(shop.api.patch("/v1/organization", json={"rounding_mode": "HALF_EVEN"}))
    yen = ok(
        shop.api.post(
            "/v1/pricelists", json={"name": "Japan", "currency": "JPY", "valid_from": "2026-01-01"}
        ),
        201,
    )["id"]
    metric(shop, "calls", "count")
    metric(shop, "mins", "count")
    a = ok(shop.api.post("/v1/products", json={"code": "a", "name_en": "A", "kind": "usage"}), 201)[
        "id"
    ]
    b = ok(shop.api.post("/v1/products", json={"code": "b", "name_en": "B", "kind": "usage"}), 201)[
        "id"
    ]
    ok(
        shop.api.post(
            f"/v1/pricelists/{yen}/entries",
            json={
                "product_id": a,
                "unit_price": "0",
                "charge": {"metric": "calls", "model": "per_unit", "unit_price": "0.5"},
            },
        ),
        201,
    )
    ok(
        shop.api.post(
            f"/v1/pricelists/{yen}/entries",
            json={
                "product_id": b,
                "unit_price": "0",
                "charge": {"metric": "mins", "model": "per_unit", "unit_price": "1.5"},
            },
        ),
        201,
    )
    customer = shop.customer("Client FR", currency="JPY", pricelist_id=yen)
    shop.contract(
        customer,
        "C-1",
        "2026-01-01",
        [{"product_id": a}, {"product_id": b}],
        billing_alignment="calendar",
    )
    shop.today("2026-01-31")
    send(
        shop,
        [event(f"c{i}", "calls", "2026-01-10T10:00:00Z") for i in range(5)]
        + [event(f"m{i}", "mins", "2026-01-10T10:00:00Z") for i in range(5)],
    )
    [jan] = shop.run("2026-02-01")
    # 5 × 0.5 = 2.5 → 2 (HALF_EVEN); 5 × 1.5 = 7.5 → 8 (HALF_EVEN); net 10; VAT 20 % = 2
    assert sorted(nets(jan), key=Decimal) == ["2", "8"]
    assert totals(jan) == ("10", "2", "12")


# --- 15. payments dated before the issue date, payments on drafts and credit notes ------------


def test_payment_dates_and_documents_that_take_no_payment(shop: Shop) -> None:
    hosting = shop.product(
        "hosting", unit_price="399.00", periodicity="monthly", timing="in_advance"
    )
    customer = shop.customer()
    shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": hosting}], billing_alignment="calendar"
    )
    [jan] = shop.run("2026-01-15", finalize=True)
    url = f"/v1/invoices/{jan['id']}/payments"
    early = shop.api.post(url, json={"amount": "10.00", "date": "2026-01-14"})
    assert early.status_code == 422 and "date" in early.text, early.text
    ok(shop.api.post(url, json={"amount": "10.00", "date": "2026-01-15"}), 201)
    note = ok(
        shop.api.post(
            "/v1/credit-notes", json={"invoice_id": jan["id"], "reason": "x", "amount": "20.00"}
        ),
        201,
    )
    on_note = shop.api.post(f"/v1/invoices/{note['id']}/payments", json={"amount": "1.00"})
    assert on_note.status_code in (409, 422), on_note.text
    read = ok(shop.api.get(f"/v1/invoices/{jan['id']}"))
    # 478.80 − 10.00 paid − 20.00 credited = 448.80
    assert (read["amount_paid"], read["amount_credited"], read["amount_due"]) == (
        "10.00",
        "20.00",
        "448.80",
    )


# --- 16. a late event after the contract ended is still billed, once ----------------------------


def test_late_event_after_the_contract_ended(shop: Shop) -> None:
    metric(shop, "calls", "count")
    api = usage_product(
        shop,
        "api",
        {"metric": "calls", "model": "per_unit", "unit_price": "0.25"},
        name="API calls",
    )
    shop.contract(
        shop.customer(),
        "C-1",
        "2026-01-01",
        [{"product_id": api}],
        billing_alignment="calendar",
        end_date="2026-01-31",
    )
    shop.today("2026-01-31")
    send(shop, [event(f"j{i}", "calls", "2026-01-20T10:00:00Z") for i in range(4)])
    shop.today("2026-02-01")
    [jan] = shop.run("2026-02-01")
    assert jan["net_total"] == "1.00"  # 4 × 0.25
    shop.today("2026-02-10")
    send(shop, [event(f"late{i}", "calls", "2026-01-21T10:00:00Z") for i in range(2)])
    shop.today("2026-03-01")
    invoices = shop.run("2026-03-01")
    # the line has ended: its late events are billed: 2 × 0.25 = +0.50
    adj = [x["net_amount"] for i in invoices for x in i["lines"] if x["adjustment"]]
    assert adj == ["0.50"]
    assert shop.run("2026-04-01") == []  # never twice


# --- 17. KWD percentage + fixed fee, to the fils; statement by day ------------------------------


def test_kwd_percentage_and_fixed_fee_rounded_once(shop: Shop) -> None:
    kwd = ok(
        shop.api.post(
            "/v1/pricelists", json={"name": "Kuwait", "currency": "KWD", "valid_from": "2026-01-01"}
        ),
        201,
    )["id"]
    metric(shop, "sales", "sum", field="amount")
    prod = ok(
        shop.api.post("/v1/products", json={"code": "pay", "name_en": "Payments", "kind": "usage"}),
        201,
    )["id"]
    ok(
        shop.api.post(
            f"/v1/pricelists/{kwd}/entries",
            json={
                "product_id": prod,
                "unit_price": "0",
                "charge": {
                    "metric": "sales",
                    "model": "percentage",
                    "rate": "1.5",
                    "fixed_fee": "0.0125",
                },
            },
        ),
        201,
    )
    customer = shop.customer("Kuwait Co", currency="KWD", country="KW", pricelist_id=kwd)
    shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": prod}], billing_alignment="calendar"
    )
    shop.today("2026-01-31")
    send(
        shop,
        [
            event(f"s{n}", "sales", f"2026-01-1{n}T10:00:00Z", amount=a)
            for n, a in enumerate(("10.001", "20.002", "30.003"))
        ],
    )
    [jan] = shop.run("2026-02-01")
    # 1.5 % × 60.006 = 0.90009 → 0.900; 3 × 0.0125 = 0.0375 → 0.038; total 0.938
    assert sorted(nets(jan), key=Decimal) == ["0.038", "0.900"]
    assert totals(jan) == ("0.938", "0.000", "0.938")
    st = ok(shop.api.get(f"/v1/invoices/{jan['id']}/statement", params={"group_by": "day"}))
    got = {
        (x["rated_kind"], r["keys"]["day"]): r["amount"]
        for m in st["metrics"]
        for x in m["lines"]
        for r in x["rows"]
    }
    # percentage 900 fils × 10.001/60.006 = 149.985, × 20.002/60.006 = 299.97, 450.045
    # → 149 + 299 + 450 = 898; 2 left: .985 (10 Jan) and .97 (11 Jan) → 0.150, 0.300, 0.450
    # fee 38 fils × 1/3 = 12.67 each → 12 × 3 = 36, 2 left to the first two → 0.013, 0.013, 0.012
    assert got == {
        ("percentage", "2026-01-10"): "0.150",
        ("percentage", "2026-01-11"): "0.300",
        ("percentage", "2026-01-12"): "0.450",
        ("transaction_fee", "2026-01-10"): "0.013",
        ("transaction_fee", "2026-01-11"): "0.013",
        ("transaction_fee", "2026-01-12"): "0.012",
    }


# --- 18. CLI statements --json agree with the API ------------------------------------------------


def test_cli_statement_json_agrees_with_api(shop: Shop, both: Operator) -> None:
    metric(shop, "calls", "count")
    api = usage_product(
        shop,
        "api",
        {"metric": "calls", "model": "per_unit", "unit_price": "0.07"},
        name="API calls",
    )
    customer = shop.customer(external_id="NUAGE")
    calendar_contract(shop, [api], customer=customer)
    shop.today("2026-01-31")
    send(
        shop,
        [
            event(f"c{i}", "calls", f"2026-01-{1 + i % 3:02d}T10:00:00Z", project=f"p{i % 2}")
            for i in range(11)
        ],
    )
    [jan] = shop.run("2026-02-01")
    assert jan["net_total"] == "0.77"  # 11 × 0.07
    cli = both.json("statements", "show", jan["id"], "--group-by", "metric,day,project")
    web = ok(
        shop.api.get(
            f"/v1/invoices/{jan['id']}/statement", params={"group_by": "metric,day,project"}
        )
    )
    assert cli == web
    rows = [r for m in web["metrics"] for x in m["lines"] for r in x["rows"]]
    # each row's quantity × 0.07 is whole cents, so it is exactly its amount
    for r in rows:
        assert Decimal(r["amount"]) == Decimal(r["quantity"]) * Decimal("0.07")
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("0.77")
    cust = both.json(
        "statements", "customer", "NUAGE", "--from", "2026-01-01", "--to", "2026-02-01"
    )
    assert cust["amount"] == "0.77"


# --- 19. statement of a SmartCode-valued metric counts the valued minutes, not seconds ----------


def test_statement_of_valued_minutes_uses_the_values(shop: Shop) -> None:
    val = ok(
        shop.api.post(
            "/v1/smartcodes",
            json={"code": "billable_minutes", "kind": "valuation", "source": MINUTES},
        ),
        201,
    )
    metric(shop, "minutes", "sum", field="duration", valuation_smartcode_id=val["id"])
    voice = usage_product(
        shop,
        "voice",
        {"metric": "minutes", "model": "per_unit", "unit_price": "0.10"},
        name="Minutes",
    )
    calendar_contract(shop, [voice])
    shop.today("2026-01-31")
    # 61 s → 2 min (5 Jan); 119 s → 2 min and 1 s → 1 min (6 Jan): 5 minutes
    send(
        shop,
        [
            event("a", "minutes", "2026-01-05T10:00:00Z", duration=61),
            event("b", "minutes", "2026-01-06T10:00:00Z", duration=119),
            event("c", "minutes", "2026-01-06T11:00:00Z", duration=1),
        ],
    )
    [jan] = shop.run("2026-02-01")
    assert jan["net_total"] == "0.50"  # 5 × 0.10
    st = ok(shop.api.get(f"/v1/invoices/{jan['id']}/statement", params={"group_by": "day"}))
    rows = [
        (r["keys"]["day"], r["quantity"], r["amount"])
        for m in st["metrics"]
        for x in m["lines"]
        for r in x["rows"]
    ]
    # 5 Jan: 2 min × 0.10 = 0.20; 6 Jan: 3 min = 0.30
    assert rows == [("2026-01-05", "2", "0.20"), ("2026-01-06", "3", "0.30")]


# --- 20. unique users by day: rows shared by events, adding up --------------------------------


def test_unique_count_statement_by_day_shared_by_events(shop: Shop) -> None:
    metric(shop, "mau", "unique_count", field="user")
    app = usage_product(
        shop,
        "app",
        {"metric": "mau", "model": "per_unit", "unit_price": "1.00"},
        name="Active users",
    )
    calendar_contract(shop, [app])
    shop.today("2026-01-31")
    # u1 on 5 and 6 Jan, u2 on 5 Jan, u3 on 7 Jan: 3 users → 3.00; events 2, 1, 1
    send(
        shop,
        [
            event("e1", "mau", "2026-01-05T10:00:00Z", user="u1"),
            event("e2", "mau", "2026-01-05T11:00:00Z", user="u2"),
            event("e3", "mau", "2026-01-06T10:00:00Z", user="u1"),
            event("e4", "mau", "2026-01-07T10:00:00Z", user="u3"),
        ],
    )
    [jan] = shop.run("2026-02-01")
    assert jan["net_total"] == "3.00"
    st = ok(shop.api.get(f"/v1/invoices/{jan['id']}/statement", params={"group_by": "day"}))
    rows = [
        (r["keys"]["day"], r["event_count"], r["amount"])
        for m in st["metrics"]
        for x in m["lines"]
        for r in x["rows"]
    ]
    # shared by events: 300 cents × 2/4 = 150, × 1/4 = 75, 75
    assert rows == [("2026-01-05", 2, "1.50"), ("2026-01-06", 1, "0.75"), ("2026-01-07", 1, "0.75")]


# --- 21. credit note by quantity on a KWD tier line, in parts, cancels to the fils -------------


def test_kwd_tier_line_credited_in_parts(shop: Shop) -> None:
    kwd = ok(
        shop.api.post(
            "/v1/pricelists", json={"name": "Kuwait", "currency": "KWD", "valid_from": "2026-01-01"}
        ),
        201,
    )["id"]
    metric(shop, "calls", "count")
    prod = ok(
        shop.api.post("/v1/products", json={"code": "api", "name_en": "API", "kind": "usage"}), 201
    )["id"]
    tiers = {
        "metric": "calls",
        "model": "graduated",
        "tiers": [{"up_to": "10", "unit_price": "0.1235"}, {"up_to": None, "unit_price": "0.0575"}],
    }
    ok(
        shop.api.post(
            f"/v1/pricelists/{kwd}/entries",
            json={"product_id": prod, "unit_price": "0", "charge": tiers},
        ),
        201,
    )
    customer = shop.customer("Kuwait Co", currency="KWD", country="KW", pricelist_id=kwd)
    shop.contract(
        customer, "C-1", "2026-01-01", [{"product_id": prod}], billing_alignment="calendar"
    )
    shop.today("2026-01-31")
    send(shop, [event(f"c{i}", "calls", "2026-01-05T10:00:00Z") for i in range(25)])
    [jan] = shop.run("2026-02-01", finalize=True)
    tier2 = next(x for x in jan["lines"] if x["net_amount"] == "0.863")
    pos = tier2["position"]
    # 5 of 15 units: 0.863 × 5/15 = 0.28766… → 0.288; the rest 0.863 − 0.288 = 0.575
    first = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": jan["id"],
                "reason": "x",
                "lines": [{"position": pos, "quantity": "5"}],
            },
        ),
        201,
    )
    assert first["net_total"] == "-0.288"
    rest = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": jan["id"], "reason": "x", "lines": [{"position": pos}]},
        ),
        201,
    )
    assert rest["net_total"] == "-0.575"
    # 1.235 + 0.863 = 2.098 − 0.863 = 1.235 due
    assert ok(shop.api.get(f"/v1/invoices/{jan['id']}"))["amount_due"] == "1.235"


# --- 22. a late transaction above the maximum fee -----------------------------------------------


def test_late_transaction_above_the_maximum_fee(shop: Shop) -> None:
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
    send(shop, [event("s1", "sales", "2026-01-10T10:00:00Z", amount="100.00")])
    [jan] = shop.run("2026-02-01")
    assert jan["net_total"] == "2.00"  # 2 % × 100
    shop.today("2026-02-10")
    send(
        shop,
        [
            event("s2", "sales", "2026-01-11T10:00:00Z", amount="1000.00"),
            event("s3", "sales", "2026-02-09T10:00:00Z", amount="10.00"),
        ],
    )
    shop.today("2026-02-28")
    [mar] = shop.run("2026-03-01")
    # January again: 2.00 + max fee 5.00 (20.00 capped) = 7.00; adjustment +5.00
    adj = [(x["quantity"], x["net_amount"]) for x in mar["lines"] if x["adjustment"]]
    assert sum(Decimal(n) for _, n in adj) == Decimal("5.00")
    # February: 10.00 → 0.20 → the minimum 0.50; 5.00 + 0.50 = 5.50
    assert mar["net_total"] == "5.50"
