"""Worked billing cases from the trade, done end to end by a finance operator on the command line.

Nothing here calls the API or the services: every step is a `tarif …` command run through Typer's
CliRunner for the test's organization, and every figure is computed by hand from the billing
rules (docs/billing-rules.md) in the comment beside it. The commands' clock reads 15 Jan 2026,
09:30 UTC; a case that needs a later "today" moves it forward, as time passes for an operator.

The organization is a French seller (VAT 20 % on standard products); amounts are strings.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tests.acceptance.test_trade_cases import SELLER  # the same French seller as over HTTP
from tests.conftest import START, Tenant


@dataclass
class Operator:
    """Someone at a terminal: `ok(...)` runs a command that must succeed, `json(...)` one that
    prints JSON, `refused(...)` one that must fail with one line on stderr."""

    runner: CliRunner
    tenant: Tenant
    clock: FixedClock
    tmp: Path

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, [*args, "--org", self.tenant.id])

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def refused(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code != 0, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
        return lines[0]

    def today(self, day: str) -> None:
        """Moves the clock to 09:30 UTC on `day` (never backwards)."""
        target = datetime.fromisoformat(day).replace(hour=9, minute=30, tzinfo=UTC)
        self.clock.advance(target - self.clock.now())

    def run_billing(self, as_of: str) -> list[dict[str, Any]]:
        made = self.json("bill", "run", "--as-of", as_of)
        assert made["dry_run"] is False
        return [self.json("invoices", "show", i["id"]) for i in made["invoices"]]

    def customer(self, external_id: str, name: str = "Nuage SAS") -> str:
        said = self.ok(
            "customers", "create", "--legal-name", name, "--country", "FR",
            "--external-id", external_id, "--address-line1", "1 rue Haute",
            "--postal-code", "69001", "--city", "Lyon",
        )  # fmt: skip
        assert said.endswith(f"created: {name} (standard)\n")
        return str(self.json("customers", "show", external_id)["id"])

    def contract(self, customer: str, reference: str, start: str, *products: str) -> None:
        lines = [arg for product in products for arg in ("--line", product)]
        self.ok(
            "contracts", "create", "--customer", customer, "--reference", reference,
            "--start", start, "--alignment", "calendar", *lines,
        )  # fmt: skip
        # signed and started on its first day, or today for a contract starting later
        on = min(start, self.clock.now().date().isoformat())
        assert self.ok("contracts", "submit", reference, "--date", on) == (
            f"contract {reference} is pending\n"
        )
        assert self.ok("contracts", "activate", reference, "--date", on) == (
            f"contract {reference} is active\n"
        )


def totals(invoice: dict[str, Any]) -> tuple[str, str, str]:
    return invoice["net_total"], invoice["vat_total"], invoice["gross_total"]


def nets(invoice: dict[str, Any]) -> list[str]:
    return [line["net_amount"] for line in invoice["lines"]]


@pytest.fixture
def op(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tenant: Tenant, tmp_path: Path
) -> Operator:
    clock = FixedClock(START)
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: clock)
    return Operator(CliRunner(), tenant, clock, tmp_path)


@pytest.fixture
def pricelist(op: Operator) -> str:
    """The seller's settings and its default EUR pricelist with hosting at 399.00 a month."""
    settings = [arg for name, value in SELLER.items() for arg in ("--set", f"{name}={value}")]
    updated = op.json("orgs", "update", *settings)
    assert {name: updated[name] for name in SELLER} == SELLER
    said = op.ok("products", "create", "--code", "hosting", "--kind", "recurring",
                 "--name-en", "Hosting", "--unit-label", "month")  # fmt: skip
    assert said.startswith("product prd_") and said.endswith(" created: hosting\n")
    made = op.json(
        "pricelists", "create", "--name", "Standard 2026", "--currency", "EUR",
        "--valid-from", "2026-01-01", "--default",
    )  # fmt: skip
    said = op.ok(
        "pricelists", "add-entry", made["id"], "--product", "hosting", "--price", "399.00",
        "--periodicity", "monthly", "--timing", "in_advance",
    )  # fmt: skip
    assert said.startswith("hosting priced 399.00 EUR (ple_")
    return str(made["id"])


# --- the seller, the customer, the catalog -------------------------------------------------------


def test_settings_customer_and_catalog_read_back(op: Operator, pricelist: str) -> None:
    shown = op.json("orgs", "show")
    assert (shown["siren"], shown["late_penalty_rate"]) == ("732829320", "12.15")
    assert (shown["invoice_number_format"], shown["rounding_mode"]) == (
        "F-{year}-{seq:06d}",
        "HALF_UP",
    )
    customer = op.customer("NUAGE")
    read = op.json("customers", "show", "NUAGE")
    assert (read["id"], read["currency"], read["tax_treatment"]) == (customer, "EUR", "standard")
    said = op.ok("customers", "update", "NUAGE", "--payment-terms-days", "45")
    assert said == f"customer {customer} updated: Nuage SAS\n"
    assert op.json("customers", "show", customer)["payment_terms_days"] == 45
    entries = op.json("pricelists", "show", pricelist)["entries"]
    assert [
        (e["product_code"], e["unit_price"], e["periodicity"], e["timing"]) for e in entries
    ] == [("hosting", "399.00", "monthly", "in_advance")]
    said = op.ok("pricelists", "update-entry", pricelist, "--product", "hosting", "--price", "449")
    assert said.startswith("hosting priced 449.00 EUR (ple_")  # shown with the euro's 2 decimals
    prices = op.json("products", "show", "hosting")["prices"]
    assert [(p["pricelist_name"], p["unit_price"]) for p in prices] == [("Standard 2026", "449.00")]


# --- periods and proration -----------------------------------------------------------------------


def test_monthly_in_advance_calendar_from_mid_month(op: Operator, pricelist: str) -> None:
    customer = op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    shown = op.json("contracts", "show", "C-1")
    assert (shown["status"], shown["terms"]["billing_alignment"]) == ("active", "calendar")
    dry = op.json("bill", "run", "--as-of", "2026-01-15", "--dry-run")
    # [15 Jan, 1 Feb) uses 17 of January's 31 days: 399 × 17/31 = 218.806… → 218.81;
    # VAT 20 % 43.762 → 43.76; gross 262.57
    assert (dry["run"], dry["dry_run"]) == (None, True)
    [preview] = dry["invoices"]
    assert (preview["id"], totals(preview)) == (None, ("218.81", "43.76", "262.57"))
    assert op.json("invoices", "list") == []  # a dry run writes nothing
    table = op.ok("bill", "run", "--as-of", "2026-01-15", "--dry-run")
    assert "1 invoice(s) would be made" in table
    [january] = op.run_billing("2026-01-15")
    assert (january["customer_id"], january["status"]) == (customer, "draft")
    assert totals(january) == ("218.81", "43.76", "262.57")
    [line] = january["lines"]
    assert (line["period_start"], line["period_last_day"]) == ("2026-01-15", "2026-01-31")
    assert op.run_billing("2026-01-15") == []  # billed once
    op.today("2026-02-01")
    [february] = op.run_billing("2026-02-01")
    # a whole month: 399.00, VAT 79.80, gross 478.80; shown 01/02 → 28/02
    assert totals(february) == ("399.00", "79.80", "478.80")
    assert february["lines"][0]["period_last_day"] == "2026-02-28"
    listed = op.json("invoices", "list", "--customer", "NUAGE", "--status", "draft")
    assert [i["gross_total"] for i in listed] == ["262.57", "478.80"]


def test_show_explain_finalize_and_pay(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    [invoice] = op.run_billing("2026-01-15")
    explained = op.json("invoices", "explain", invoice["id"])
    [line] = explained
    # 399 × 17/31 = 218.80645161…, rounded once on the line: 218.81
    assert line["exact_net"].startswith("218.806451612903")
    assert (line["net_amount"], line["unit_price"], line["quantity"]) == ("218.81", "399", "1")
    assert (line["line_key"], line["contract_version"], line["price_source"]) == (
        "hosting",
        1,
        "pricelist",
    )
    assert (line["full_period_start"], line["full_period_end"]) == ("2026-01-01", "2026-01-31")
    said = op.ok("invoices", "finalize", invoice["id"])
    assert said == f"finalized {invoice['id']} as F-2026-000001\n"
    assert "already finalized" in op.refused("invoices", "finalize", invoice["id"])
    op.today("2026-01-20")  # the money arrives five days later
    said = op.ok("invoices", "pay", invoice["id"], "--amount", "100.00", "--date", "2026-01-20")
    assert said == f"recorded 100.00 on {invoice['id']}: now partially_paid\n"
    shown = op.json("invoices", "show", invoice["id"])
    # 262.57 − 100.00 = 162.57 still due
    assert (shown["number"], shown["amount_paid"], shown["amount_due"]) == (
        "F-2026-000001",
        "100.00",
        "162.57",
    )
    line = op.refused("invoices", "pay", invoice["id"], "--amount", "162.58")
    assert "162.57" in line  # at most what is still due
    said = op.ok("invoices", "pay", invoice["id"], "--amount", "162.57")
    assert said.endswith("now paid\n")
    assert op.json("invoices", "list", "--status", "paid")[0]["id"] == invoice["id"]


# --- amendments and termination ------------------------------------------------------------------


def test_quantity_change_mid_period_credits_then_charges(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    op.run_billing("2026-01-15")
    op.today("2026-02-01")
    op.run_billing("2026-02-01")
    said = op.ok(
        "amendments", "create", "C-1", "--effective", "2026-02-10", "--reason", "three servers",
        "--set-quantity", "hosting=3", "--schedule",
    )  # fmt: skip
    assert said.endswith("scheduled, effective 2026-02-10\n  line hosting: quantity 1 → 3\n")
    [scheduled] = op.json("amendments", "list", "--contract", "C-1", "--status", "scheduled")
    assert scheduled["diff"] == ["line hosting: quantity 1 → 3"]
    op.today("2026-02-10")
    [change] = op.run_billing("2026-02-10")
    # [10 Feb, 1 Mar) = 19 of February's 28 days: credit −399 × 19/28 = −270.75 for the old
    # quantity, charge 3 × 399 × 19/28 = 812.25 for the new; 541.50 net, VAT 108.30, 649.80
    assert sorted(nets(change)) == ["-270.75", "812.25"]
    assert totals(change) == ("541.50", "108.30", "649.80")
    by_kind = {x["kind"]: x for x in op.json("invoices", "explain", change["id"])}
    assert (by_kind["credit"]["contract_version"], by_kind["charge"]["contract_version"]) == (1, 2)
    assert by_kind["charge"]["amendment_id"] == scheduled["id"]
    versions = op.json("contracts", "versions", "C-1")
    assert [(v["number"], v["effective_from"]) for v in versions] == [
        (1, "2026-01-15"),
        (2, "2026-02-10"),
    ]
    op.today("2026-03-01")
    [march] = op.run_billing("2026-03-01")
    assert nets(march) == ["1197.00"]  # 3 × 399.00


def test_price_change_mid_period_credits_then_charges(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting")
    op.today("2026-02-01")
    op.run_billing("2026-02-01")
    op.ok(
        "amendments", "create", "C-1", "--effective", "2026-02-20", "--reason", "new price",
        "--set-price", "hosting=449.00", "--schedule",
    )  # fmt: skip
    op.today("2026-02-20")
    [change] = op.run_billing("2026-02-20")
    # [20 Feb, 1 Mar) = 9 of 28 days: credit −399 × 9/28 = −128.25, charge 449 × 9/28 =
    # 144.321… → 144.32; 16.07 net, VAT 3.214 → 3.21, gross 19.28
    assert sorted(nets(change)) == ["-128.25", "144.32"]
    assert totals(change) == ("16.07", "3.21", "19.28")
    by_kind = {x["kind"]: x for x in op.json("invoices", "explain", change["id"])}
    assert (by_kind["credit"]["unit_price"], by_kind["charge"]["unit_price"]) == ("399", "449")
    assert by_kind["charge"]["price_source"] == "override"


def test_termination_mid_period_with_a_credit(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    op.run_billing("2026-01-15")
    op.today("2026-03-02")
    op.run_billing("2026-03-01")  # February and March, 399.00 each
    line = op.refused(
        "contracts", "terminate", "C-1", "--mode", "on_date", "--date", "2026-03-16",
        "--reason", "closing",
    )  # fmt: skip
    # March is invoiced up to the 31st: the operator is told to credit it or pick a later date
    assert "already invoiced: terminate with a credit" in line
    said = op.ok(
        "contracts", "terminate", "C-1", "--mode", "on_date", "--date", "2026-03-16",
        "--with-credit", "--reason", "closing",
    )  # fmt: skip
    assert said.startswith("contract C-1 is active\nscheduled: amd_")
    assert said.endswith(" effective 2026-03-16\n")
    [upcoming] = op.json("invoices", "upcoming", "NUAGE")
    # [16 Mar, 1 Apr) = 16 of March's 31 days unused: −399 × 16/31 = −205.935… → −205.94;
    # VAT −41.188 → −41.19; gross −247.13
    assert (upcoming["billing_date"], totals(upcoming)) == (
        "2026-03-16",
        ("-205.94", "-41.19", "-247.13"),
    )
    op.today("2026-03-16")
    [credit] = op.run_billing("2026-03-16")
    assert totals(credit) == ("-205.94", "-41.19", "-247.13")
    [line_] = credit["lines"]
    assert (line_["kind"], line_["period_start"], line_["period_last_day"]) == (
        "credit",
        "2026-03-16",
        "2026-03-31",
    )
    shown = op.json("contracts", "show", "C-1")
    assert (shown["status"], shown["terms"]["end_date"]) == ("terminated", "2026-03-15")
    op.today("2026-04-01")
    assert op.run_billing("2026-04-01") == []
    assert op.ok("invoices", "upcoming", "NUAGE") == "nothing to invoice\n"


# --- credit notes, voids, the credit balance -----------------------------------------------------


def test_partial_credit_note_void_and_credit_balance(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    [january] = op.run_billing("2026-01-15")
    op.ok("invoices", "finalize", january["id"])
    op.ok("invoices", "pay", january["id"], "--amount", "100.00")
    note = op.json(
        "credit-notes", "create", "--invoice", january["id"], "--line", "1:0.5",
        "--reason", "Outage",
    )  # fmt: skip
    # half of line 1: −218.81 × 0.5 = −109.405 → −109.41; VAT −21.882 → −21.88; −131.29,
    # all of it taken off the 162.57 still due (262.57 − 100.00): nothing to the balance
    assert (note["number"], note["corrects_invoice_number"]) == ("AV-2026-000001", "F-2026-000001")
    assert totals(note) == ("-109.41", "-21.88", "-131.29")
    assert note["settlement"] == {
        "applied_to_invoice": "131.29",
        "refunded": "0.00",
        "to_balance": "0.00",
    }
    [explained] = op.json("credit-notes", "explain", note["id"])
    assert explained["credits"]["position"] == 1
    # 162.57 − 131.29 = 31.28 left to pay
    assert op.json("invoices", "show", january["id"])["amount_due"] == "31.28"
    assert op.ok("balance", "show", "NUAGE") == "no credit balance\n"

    op.today("2026-02-01")
    [february] = op.run_billing("2026-02-01")
    assert op.ok("invoices", "finalize", february["id"]).endswith("as F-2026-000002\n")
    op.ok("invoices", "pay", february["id"], "--amount", "78.80")
    said = op.ok("invoices", "void", february["id"], "--reason", "Billed twice")
    # everything still creditable: 478.80 gross, of which 478.80 − 78.80 = 400.00 cancels what
    # was due and the 78.80 paid goes to the customer's balance
    assert said == f"voided {february['id']} with AV-2026-000002 (-478.80 EUR)\n"
    voided = op.json("invoices", "show", february["id"])
    assert (voided["status"], voided["amount_credited"], voided["amount_due"]) == (
        "voided",
        "400.00",
        "0.00",
    )
    notes = op.json("credit-notes", "list", "--customer", "NUAGE")
    assert [(n["number"], n["gross_total"]) for n in notes] == [
        ("AV-2026-000001", "-131.29"),
        ("AV-2026-000002", "-478.80"),
    ]
    balance = op.json("balance", "show", "NUAGE")
    assert balance["balances"] == [{"currency": "EUR", "available": "78.80"}]
    [entry] = balance["history"]["data"]
    assert (entry["kind"], entry["amount"], entry["balance_after"]) == (
        "credit_note",
        "78.80",
        "78.80",
    )
    assert op.ok("balance", "show", "NUAGE").startswith("available: 78.80 EUR\n")
    line = op.refused("invoices", "void", february["id"], "--reason", "again")
    assert february["id"] in line or "voided" in line


# --- the upcoming invoice ------------------------------------------------------------------------


def test_upcoming_invoice_by_external_id_writes_nothing(op: Operator, pricelist: str) -> None:
    customer = op.customer("NUAGE")
    assert op.ok("invoices", "upcoming", "NUAGE") == "nothing to invoice\n"
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    [first] = op.json("invoices", "upcoming", "NUAGE")
    # 399 × 17/31 = 218.81, VAT 43.76, gross 262.57, due on the contract's first day
    assert (first["customer_id"], first["billing_date"]) == (customer, "2026-01-15")
    assert totals(first) == ("218.81", "43.76", "262.57")
    assert op.json("invoices", "upcoming", customer) == [first]
    table = op.ok("invoices", "upcoming", "NUAGE")
    assert "262.57" in table and "2026-01-31" in table
    assert op.json("invoices", "list") == []
    op.run_billing("2026-01-15")
    [then] = op.json("invoices", "upcoming", "NUAGE")
    # next: February, a whole month, 399.00 + 79.80 = 478.80
    assert (then["billing_date"], totals(then)) == ("2026-02-01", ("399.00", "79.80", "478.80"))


# --- usage ---------------------------------------------------------------------------------------


def test_turnover_fee_from_events_sent_and_imported(op: Operator, pricelist: str) -> None:
    metric = op.json(
        "metrics", "create", "turnover", "--aggregation", "sum", "--field", "amount",
        "--unit", "EUR", "--name", "Turnover",
    )  # fmt: skip
    assert (metric["code"], metric["aggregation"], metric["field"]) == ("turnover", "sum", "amount")
    op.ok("products", "create", "--code", "turnover-fee", "--kind", "usage",
          "--name-en", "Turnover fee")  # fmt: skip
    charge = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
    entry = op.json(
        "pricelists", "add-entry", pricelist, "--product", "turnover-fee", "--price", "0.02",
        "--charge", json.dumps(charge),
    )  # fmt: skip
    assert entry["charge"]["model"] == "percentage"
    customer = op.customer("MARCHE", "Marché des Créateurs SAS")
    op.contract("MARCHE", "MARKET-001", "2026-01-01", "hosting", "turnover-fee")
    [january] = op.run_billing("2026-01-01")
    assert nets(january) == ["399.00"]  # January's hosting in advance; its usage comes after
    # Two sales typed in by hand, by contract and by customer…
    for tx, by in (("s0", ("--contract", "MARKET-001")), ("s1", ("--customer", "MARCHE"))):
        sent = op.json(
            "events", "send", "--transaction-id", tx, *by, "--metric", "turnover",
            "--timestamp", "2026-01-05T10:00:00Z", "--prop", "amount=40.00",
        )  # fmt: skip
        assert (sent["status"], sent["value"], sent["customer_id"]) == ("accepted", "40", customer)
    # …and the month's other 1,198 from the shop's export, with one row for a stranger
    sales = op.tmp / "sales.csv"
    with sales.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transaction_id", "customer", "metric", "timestamp", "amount"])
        for n in range(2, 1000):
            writer.writerow([f"s{n}", "MARCHE", "turnover", f"2026-01-{1 + n % 28:02d}T12:00:00Z",
                             "40.00"])  # fmt: skip
        for n in range(200):
            writer.writerow([f"b{n}", "MARCHE", "turnover", f"2026-01-{1 + n % 28:02d}T12:00:00Z",
                             "50.00"])  # fmt: skip
        writer.writerow(["x1", "NOPE", "turnover", "2026-01-10T12:00:00Z", "1.00"])
    op.today("2026-02-01")
    rejected = op.tmp / "rejected.csv"
    report = op.json("events", "import", str(sales), "--rejected", str(rejected))
    # 998 + 200 + 1 rows read; the stranger's row (line 1,200 of the file) is refused
    assert (report["read"], report["accepted"], report["rejected"]) == (1199, 1198, 1)
    [refused] = list(csv.DictReader(rejected.open()))
    assert (refused["line"], refused["field"]) == ("1200", "customer")
    again = op.json("events", "import", str(sales), "--rejected", str(rejected))
    assert (again["accepted"], again["duplicates"]) == (0, 1198)  # sent twice, counted once
    [measured] = op.json(
        "metrics", "aggregate", "turnover", "--customer", "MARCHE",
        "--from", "2026-01-01", "--to", "2026-02-01",
    )  # fmt: skip
    # 1,000 sales of 40.00 and 200 of 50.00: 40,000.00 + 10,000.00 = 50,000.00
    assert (measured["quantity"], measured["event_count"]) == ("50000", 1200)
    usage = op.json("contracts", "usage", "MARKET-001", "--as-of", "2026-01-31")
    # 2 % × 50,000.00 = 1,000.00 and 1,200 × 0.25 = 300.00: 1,300.00 so far
    assert (usage["total"], usage["currency"]) == ("1300.00", "EUR")
    [february] = op.run_billing("2026-02-01")
    # February's hosting in advance and January's usage in arrears on one invoice:
    # 399.00 + 1,000.00 + 300.00 = 1,699.00 net, VAT 20 % 339.80, gross 2,038.80
    assert sorted(nets(february), key=Decimal) == ["300.00", "399.00", "1000.00"]
    assert totals(february) == ("1699.00", "339.80", "2038.80")
    assert op.ok("invoices", "finalize", february["id"]) == (
        f"finalized {february['id']} as F-2026-000001\n"  # January's draft is not finalized
    )
    usage_lines = [x for x in op.json("invoices", "explain", february["id"]) if x["usage"]]
    assert sorted(x["quantity"] for x in usage_lines) == ["1200", "50000"]
    statement = op.json("statements", "show", february["id"])
    assert (statement["amount"], statement["currency"]) == ("1300.00", "EUR")  # usage lines only
    out = op.tmp / "statement.csv"
    said = op.ok("statements", "export", february["id"], "--format", "csv", "--group-by",
                 "metric", "-o", str(out))  # fmt: skip
    assert said.startswith(f"wrote {out} (")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    # the statement's rows add up to the usage lines, to the cent: 1,000.00 + 300.00
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("1300.00")
    assert sorted(r["amount"] for r in rows) == ["1000.00", "300.00"]


# --- bad input -----------------------------------------------------------------------------------


def test_bad_input_is_one_clear_line_and_a_non_zero_exit(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    # an unknown option value
    assert op.refused("products", "create", "--code", "x", "--kind", "weird", "--name-en", "X") == (
        "error: The request has invalid fields: kind: must be one of recurring, one_off, usage"
    )
    assert op.refused("bill", "run", "--as-of", "2026-13-01") == (
        "error: --as-of: expected a date YYYY-MM-DD, got '2026-13-01'"
    )
    # a wrong currency
    assert op.refused("pricelists", "create", "--name", "P", "--currency", "EURO") == (
        "error: The request has invalid fields: currency: unknown ISO 4217 currency 'EURO'"
    )
    line = op.refused(
        "contracts", "create", "--customer", "NUAGE", "--reference", "C-USD",
        "--start", "2026-02-01", "--currency", "USD", "--line", "hosting",
    )  # fmt: skip
    assert line.endswith("currency: the customer is billed in EUR, not USD")
    # dates out of order
    line = op.refused(
        "contracts", "create", "--customer", "NUAGE", "--reference", "C-X",
        "--start", "2026-02-01", "--end", "2026-01-31",
    )  # fmt: skip
    assert line == (
        "error: The contract is not valid: end_date: the contract would end (last day "
        "2026-01-31) before it starts on 2026-02-01"
    )
    assert op.refused("invoices", "list", "--from", "2026-03-01", "--to", "2026-01-01") == (
        "error: billed_to: must not be before billed_from"
    )
    op.ok("metrics", "create", "calls", "--aggregation", "count")
    assert op.refused(
        "metrics", "aggregate", "calls", "--from", "2026-02-01", "--to", "2026-01-01"
    ) == ("error: to: must be after from (the period is [from, to))")
    # a negative quantity
    op.ok("contracts", "create", "--customer", "NUAGE", "--reference", "C-1",
          "--start", "2026-01-15")  # fmt: skip
    assert op.refused(
        "contracts", "add-line", "C-1", "--product", "hosting", "--quantity", "-2"
    ) == ("error: The contract is not valid: quantity: must be greater than 0")
    op.ok("contracts", "add-line", "C-1", "--product", "hosting")
    op.ok("contracts", "submit", "C-1")
    op.ok("contracts", "activate", "C-1")
    line = op.refused(
        "amendments", "create", "C-1", "--effective", "2026-02-01", "--reason", "fewer",
        "--set-quantity", "hosting=-1",
    )  # fmt: skip
    assert "quantity" in line and "greater than 0" in line
    [invoice] = op.run_billing("2026-01-15")
    line = op.refused(
        "invoices", "add-line", invoice["id"], "--unit-price", "10", "--quantity", "-1"
    )
    assert "quantity" in line
    op.ok("invoices", "finalize", invoice["id"])
    assert op.refused("invoices", "pay", invoice["id"], "--amount", "-5") == (
        "error: amount: a positive amount in EUR is expected"
    )
    # nothing of the refused commands was written
    assert [c["reference"] for c in op.json("contracts", "list")] == ["C-1"]
    assert op.json("invoices", "show", invoice["id"])["amount_paid"] == "0.00"
