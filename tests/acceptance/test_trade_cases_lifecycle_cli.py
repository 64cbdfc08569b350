"""Worked cases from the life of a contract, done end to end on the command line.

Same operator, French seller and clock as `test_trade_cases_cli.py` (15 Jan 2026, 09:30 UTC,
moved forward as time passes): renewals and notice, a fixed term ending inside a quarter billed
in arrears, an end dated back and corrected by credit notes, a downgrade whose credit is paid
back, a dry run over a suspension, and billing as of past days. Every figure is worked out by
hand from docs/billing-rules.md in the comment beside it.
"""

from __future__ import annotations

from typing import Any

from tests.acceptance import test_trade_cases_cli as cases
from tests.acceptance.test_trade_cases_cli import Operator, nets, totals
from tests.acceptance.test_trade_cases_cli_more import product

# the same operator and seller's pricelist as the first worked cases
op = cases.op
pricelist = cases.pricelist


def start(op: Operator, reference: str, on: str) -> None:
    """Submitted and activated on `on`."""
    op.ok("contracts", "submit", reference, "--date", on)
    op.ok("contracts", "activate", reference, "--date", on)


def periods(invoice: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(x["period_start"], x["period_last_day"], x["net_amount"]) for x in invoice["lines"]]


def figures(invoice: dict[str, Any]) -> tuple[Any, ...]:
    """What a preview and a written invoice share: billing date, totals and each line."""
    lines = sorted(
        (x["line_key"], x["kind"], x["period_start"], x["period_last_day"], x["net_amount"])
        for x in invoice["lines"]
    )
    return (invoice["billing_date"], totals(invoice), lines)


def test_renewal_with_more_seats_then_notice_for_the_next_term_end(
    op: Operator, pricelist: str
) -> None:
    product(op, "seats", "300.00", "monthly")
    op.customer("NUAGE")
    op.ok(
        "contracts", "create", "--customer", "NUAGE", "--reference", "C-R", "--start",
        "2026-03-01", "--term-months", "3", "--renew-months", "3", "--notice-months", "1",
        "--line", "seats",
    )  # fmt: skip
    start(op, "C-R", "2026-01-15")
    op.ok("amendments", "create", "C-R", "--effective", "2026-06-01", "--reason",
          "renewal: two seats", "--set-quantity", "seats=2", "--schedule")  # fmt: skip
    op.today("2026-05-20")
    made = op.run_billing("2026-05-01")
    # the first term's three months at one seat, 300.00 each
    assert [nets(i) for i in made] == [["300.00"]] * 3
    [upcoming] = op.json("invoices", "upcoming", "NUAGE")
    # the renewed term from 1 Jun at two seats: 2 × 300.00 = 600.00, VAT 120.00, gross 720.00
    assert (upcoming["billing_date"], totals(upcoming)) == (
        "2026-06-01",
        ("600.00", "120.00", "720.00"),
    )
    op.today("2026-06-01")
    [june] = op.run_billing("2026-06-01")
    assert figures(june) == figures(upcoming)
    shown = op.json("contracts", "show", "C-R")
    assert (shown["renewal_count"], shown["current_term"], shown["notice_deadline"]) == (
        1,
        {"start": "2026-06-01", "end": "2026-08-31", "renewals": 1},
        "2026-08-01",
    )
    # notice on 15 Jul, before the 1 Aug deadline: ends at the term end, 1 Sep
    op.today("2026-07-15")
    op.ok("contracts", "terminate", "C-R", "--mode", "at_term_end", "--reason", "not renewing")
    [ending] = op.json("amendments", "list", "--contract", "C-R", "--status", "scheduled")
    assert ending["effective_date"] == "2026-09-01"
    op.today("2026-09-01")
    made = op.run_billing("2026-09-01")
    # July and August at two seats, then nothing: the second term was its last
    assert [(i["billing_date"], nets(i)) for i in made] == [
        ("2026-07-01", ["600.00"]),
        ("2026-08-01", ["600.00"]),
    ]
    shown = op.json("contracts", "show", "C-R")
    assert (shown["status"], shown["renewal_count"]) == ("terminated", 1)


def test_a_fixed_term_ending_inside_a_quarter_billed_in_arrears(
    op: Operator, pricelist: str
) -> None:
    product(op, "support", "1200.00", "quarterly", timing="in_arrears")
    op.customer("NUAGE")
    op.ok(
        "contracts", "create", "--customer", "NUAGE", "--reference", "C-Q", "--start",
        "2026-02-15", "--end", "2027-02-14", "--alignment", "calendar", "--line", "support",
    )  # fmt: skip
    start(op, "C-Q", "2026-01-15")
    op.today("2027-02-14")
    made = op.run_billing("2027-02-14")
    # calendar quarters, each billed on its end: Q1 2026 (90 days) from 15 Feb, 45 days,
    # 1200 × 45/90 = 600.00 on 1 Apr; Q2, Q3, Q4 whole, 1200.00 each
    assert [(i["billing_date"], periods(i)) for i in made] == [
        ("2026-04-01", [("2026-02-15", "2026-03-31", "600.00")]),
        ("2026-07-01", [("2026-04-01", "2026-06-30", "1200.00")]),
        ("2026-10-01", [("2026-07-01", "2026-09-30", "1200.00")]),
        ("2027-01-01", [("2026-10-01", "2026-12-31", "1200.00")]),
    ]
    op.today("2027-02-15")
    [last] = op.run_billing("2027-02-15")
    # the term ends on 15 Feb 2027 (last day 14 Feb), inside Q1 2027 (90 days): [1 Jan, 15 Feb)
    # = 31 + 14 = 45 days, 1200 × 45/90 = 600.00, due on the end; VAT 120.00, gross 720.00
    assert (last["billing_date"], periods(last)) == (
        "2027-02-15",
        [("2027-01-01", "2027-02-14", "600.00")],
    )
    assert totals(last) == ("600.00", "120.00", "720.00")
    assert op.json("contracts", "show", "C-Q")["status"] == "terminated"
    op.today("2027-04-01")
    assert op.run_billing("2027-04-01") == []


def test_an_end_dated_back_corrected_by_a_credit_note_per_invoice(
    op: Operator, pricelist: str
) -> None:
    op.customer("NUAGE")
    op.ok(
        "contracts", "create", "--customer", "NUAGE", "--reference", "C-1", "--start",
        "2026-01-01", "--alignment", "calendar", "--corrections", "credit_note",
        "--line", "hosting",
    )  # fmt: skip
    start(op, "C-1", "2026-01-01")
    op.json("bill", "run", "--as-of", "2026-01-01", "--finalize")
    op.today("2026-02-01")
    op.json("bill", "run", "--as-of", "2026-02-01", "--finalize")
    january, february = sorted(op.json("invoices", "list"), key=lambda i: i["billing_date"])
    assert [(i["number"], i["gross_total"]) for i in (january, february)] == [
        ("F-2026-000001", "478.80"),
        ("F-2026-000002", "478.80"),
    ]
    op.ok("invoices", "pay", january["id"], "--amount", "478.80")
    # on 10 Feb the customer shows it left after 24 Jan: ended on 25 Jan, before today
    op.today("2026-02-10")
    op.ok("contracts", "terminate", "C-1", "--mode", "on_date", "--date", "2026-01-25",
          "--force", "--with-credit", "--reason", "left on 24 Jan")  # fmt: skip
    run = op.json("bill", "run", "--as-of", "2026-02-10")
    notes = [op.json("invoices", "show", i["id"]) for i in run["invoices"]]
    # one credit note per corrected invoice: [25 Jan, 1 Feb) = 7 of 31 days,
    # −399 × 7/31 = −90.096… → −90.10, VAT −18.02, gross −108.12; February whole, −399.00,
    # VAT −79.80, gross −478.80
    assert [(n["kind"], n["corrects_invoice_id"], totals(n)) for n in notes] == [
        ("credit_note", january["id"], ("-90.10", "-18.02", "-108.12")),
        ("credit_note", february["id"], ("-399.00", "-79.80", "-478.80")),
    ]
    said = op.ok("bill", "finalize", run["run"]["id"])
    assert said.endswith("finalized 2 invoice(s): AV-2026-000001 to AV-2026-000002\n")
    listed = op.json("credit-notes", "list", "--customer", "NUAGE")
    settled = {
        n["number"]: (n["settlement"]["applied_to_invoice"], n["settlement"]["to_balance"])
        for n in listed
    }
    # January was paid: its 108.12 goes to the balance; February was not: cancelled in full
    assert settled == {"AV-2026-000001": ("0.00", "108.12"), "AV-2026-000002": ("478.80", "0.00")}
    shown = op.json("invoices", "show", february["id"])
    assert (shown["status"], shown["amount_due"]) == ("credited", "0.00")
    assert op.json("balance", "show", "NUAGE")["balances"] == [
        {"currency": "EUR", "available": "108.12"}
    ]


def test_a_downgrade_credit_kept_on_the_balance_then_paid_back(
    op: Operator, pricelist: str
) -> None:
    op.customer("NUAGE")
    op.today("2026-03-01")
    op.contract("NUAGE", "C-1", "2026-03-01", "hosting")
    [march] = op.run_billing("2026-03-01")
    op.ok("invoices", "finalize", march["id"])
    op.ok("invoices", "pay", march["id"], "--amount", "478.80")
    op.ok("amendments", "create", "C-1", "--effective", "2026-03-17", "--reason", "downgrade",
          "--set-price", "hosting=99.00", "--schedule")  # fmt: skip
    op.today("2026-03-17")
    made = op.json("bill", "run", "--as-of", "2026-03-17", "--finalize")
    [downgrade] = [op.json("invoices", "show", i["id"]) for i in made["invoices"]]
    # [17 Mar, 1 Apr) = 15 of 31 days: credit −399 × 15/31 = −193.064… → −193.06, charge
    # 99 × 15/31 = 47.903… → 47.90; net −145.16, VAT −29.032 → −29.03, gross −174.19
    assert sorted(nets(downgrade)) == ["-193.06", "47.90"]
    assert totals(downgrade) == ("-145.16", "-29.03", "-174.19")
    # owed to the customer: the invoice owes nothing and its amount is on the balance
    assert (downgrade["status"], downgrade["amount_due"]) == ("credited", "0.00")
    assert op.json("balance", "show", "NUAGE")["balances"] == [
        {"currency": "EUR", "available": "174.19"}
    ]
    # the customer leaves at the end of March and asks for the money back
    op.ok("contracts", "terminate", "C-1", "--mode", "on_date", "--date", "2026-04-01")
    op.ok("balance", "refund", "NUAGE", "--amount", "174.19", "--currency", "EUR",
          "--reference", "VIR-2026-0317")  # fmt: skip
    shown = op.json("balance", "show", "NUAGE")
    assert shown["balances"] == [{"currency": "EUR", "available": "0.00"}]
    assert [(e["kind"], e["amount"]) for e in shown["history"]["data"]] == [
        ("refund", "-174.19"),
        ("negative_invoice", "174.19"),
    ]
    op.today("2026-04-01")
    assert op.run_billing("2026-04-01") == []


def test_a_dry_run_over_a_suspension_then_the_same_run(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting")
    op.today("2026-02-10")
    op.ok("contracts", "suspend", "C-1", "--date", "2026-02-10", "--reason", "unpaid")
    op.today("2026-03-20")
    op.ok("contracts", "resume", "C-1", "--date", "2026-03-20", "--reason", "paid")
    op.today("2026-04-01")
    dry = op.json("bill", "run", "--as-of", "2026-04-01", "--dry-run")
    assert op.json("bill", "list") == []  # a dry run is not a run
    made = op.run_billing("2026-04-01")
    assert [figures(i) for i in made] == [figures(i) for i in dry["invoices"]]
    # in service [1 Feb, 10 Feb): 399 × 9/28 = 128.25; from 20 Mar: 399 × 12/31 = 154.451… →
    # 154.45; April whole 399.00; nothing for [10 Feb, 20 Mar)
    assert [(i["billing_date"], periods(i)) for i in made] == [
        ("2026-02-01", [("2026-02-01", "2026-02-09", "128.25")]),
        ("2026-03-20", [("2026-03-20", "2026-03-31", "154.45")]),
        ("2026-04-01", [("2026-04-01", "2026-04-30", "399.00")]),
    ]
    assert [r["as_of"] for r in op.json("bill", "list")] == ["2026-04-01"]


def test_billing_as_of_past_days_from_the_command_line(op: Operator, pricelist: str) -> None:
    op.today("2026-06-10")
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-03-01", "hosting")
    # agreed today, a second server since 15 Apr: applied at once
    said = op.ok("amendments", "create", "C-1", "--effective", "2026-04-15", "--reason",
                 "second server", "--set-quantity", "hosting=2", "--schedule")  # fmt: skip
    assert "applied" in said
    before = op.json("contracts", "show", "C-1", "--as-of", "2026-04-14")
    assert (before["version"], before["terms"]["lines"][0]["quantity"]) == (1, "1")
    first = op.run_billing("2026-04-01")
    # as of 1 Apr the second server was not in force: March and April at one, 399.00 each
    assert [(i["billing_date"], nets(i)) for i in first] == [
        ("2026-03-01", ["399.00"]),
        ("2026-04-01", ["399.00"]),
    ]
    second = op.run_billing("2026-05-01")
    # as of 1 May: [15 Apr, 1 May) = 16 of 30 days, −399 × 16/30 = −212.80 and
    # 2 × 399 × 16/30 = 425.60, on 15 Apr; May at two servers, 798.00
    assert [(i["billing_date"], sorted(nets(i))) for i in second] == [
        ("2026-04-15", ["-212.80", "425.60"]),
        ("2026-05-01", ["798.00"]),
    ]
    line = op.refused("bill", "run", "--as-of", "2026-04-30")
    assert "before the last run's date (2026-05-01)" in line
