"""More worked billing cases from the trade, done end to end on the command line.

Same operator, same French seller and same clock as `test_trade_cases_cli.py` (15 Jan 2026,
09:30 UTC, moved forward as time passes); these cases cover quarterly and annual lines, lines in
arrears, suspensions, amendments, coupons, customer pricelists, credit notes and refunds, overdue
invoices, billing runs that finalize, usage imports, SmartCodes and consumption statements. Every
figure is worked out by hand from docs/billing-rules.md in the comment beside it.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal

from tests.acceptance import test_trade_cases_cli as cases
from tests.acceptance.test_trade_cases_cli import Operator, nets, totals

# the same operator and seller's pricelist as the first worked cases
op = cases.op
pricelist = cases.pricelist


def product(op: Operator, code: str, price: str, periodicity: str, timing: str = "in_advance",
            pricelist_id: str | None = None, vat_category: str | None = None) -> None:  # fmt: skip
    """A recurring product priced on the default pricelist (or `pricelist_id`)."""
    extra = ["--vat-category", vat_category] if vat_category else []
    op.ok("products", "create", "--code", code, "--kind", "recurring", "--name-en", code.title(),
          *extra)  # fmt: skip
    target = pricelist_id or op.json("pricelists", "list", "--default")[0]["id"]
    op.ok("pricelists", "add-entry", target, "--product", code, "--price", price,
          "--periodicity", periodicity, "--timing", timing)  # fmt: skip


# --- quarterly and annual periodicities ----------------------------------------------------------


def test_quarterly_line_from_mid_quarter_then_a_whole_quarter(op: Operator, pricelist: str) -> None:
    product(op, "support", "1200.00", "quarterly")
    op.customer("NUAGE")
    op.today("2026-02-15")
    op.contract("NUAGE", "Q-1", "2026-02-15", "support")
    [first] = op.run_billing("2026-02-15")
    # Q1 = [1 Jan, 1 Apr) has 90 days, [15 Feb, 1 Apr) uses 45: 1200 × 45/90 = 600.00;
    # VAT 120.00, gross 720.00; shown 15/02 → 31/03
    assert totals(first) == ("600.00", "120.00", "720.00")
    [line] = first["lines"]
    assert (line["period_start"], line["period_last_day"]) == ("2026-02-15", "2026-03-31")
    op.today("2026-03-01")
    assert op.run_billing("2026-03-01") == []  # nothing due inside the quarter
    op.today("2026-04-01")
    [second] = op.run_billing("2026-04-01")
    # Q2 whole: 1200.00, VAT 240.00, 1440.00; shown 01/04 → 30/06
    assert totals(second) == ("1200.00", "240.00", "1440.00")
    assert second["lines"][0]["period_last_day"] == "2026-06-30"
    op.ok("contracts", "terminate", "Q-1", "--mode", "on_date", "--date", "2026-05-16",
          "--with-credit", "--reason", "closing")  # fmt: skip
    op.today("2026-05-16")
    [credit] = op.run_billing("2026-05-16")
    # Q2 has 30 + 31 + 30 = 91 days; [16 May, 1 Jul) = 16 + 30 = 46 unused:
    # −1200 × 46/91 = −606.593… → −606.59; VAT −121.318 → −121.32, gross −727.91
    assert totals(credit) == ("-606.59", "-121.32", "-727.91")


def test_annual_line_from_march_is_prorated_on_the_year(op: Operator, pricelist: str) -> None:
    product(op, "licence", "3650.00", "annual")
    op.customer("NUAGE")
    op.today("2026-03-01")
    op.contract("NUAGE", "A-1", "2026-03-01", "licence")
    [first] = op.run_billing("2026-03-01")
    # 2026 has 365 days; [1 Mar 2026, 1 Jan 2027) uses 365 − 59 = 306: 3650 × 306/365 = 3060.00;
    # VAT 612.00, gross 3672.00
    assert totals(first) == ("3060.00", "612.00", "3672.00")
    [line] = first["lines"]
    assert (line["period_start"], line["period_last_day"]) == ("2026-03-01", "2026-12-31")
    [upcoming] = op.json("invoices", "upcoming", "NUAGE")
    # the next one is the whole of 2027 on 1 Jan 2027: 3650.00 + 730.00 = 4380.00
    assert (upcoming["billing_date"], totals(upcoming)) == (
        "2027-01-01",
        ("3650.00", "730.00", "4380.00"),
    )


# --- in arrears ----------------------------------------------------------------------------------


def test_in_arrears_line_is_billed_at_the_period_end(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.ok("contracts", "create", "--customer", "NUAGE", "--reference", "AR-1",
          "--start", "2026-01-10", "--alignment", "calendar")  # fmt: skip
    said = op.ok("contracts", "add-line", "AR-1", "--product", "hosting", "--unit-price", "310.00",
                 "--timing", "in_arrears")  # fmt: skip
    assert said == "line hosting added: 1 × 310.00\n"
    op.ok("contracts", "submit", "AR-1", "--date", "2026-01-10")
    op.ok("contracts", "activate", "AR-1", "--date", "2026-01-10")
    assert op.run_billing("2026-01-15") == []  # nothing before the period ends
    op.today("2026-01-31")
    assert op.json("bill", "run", "--as-of", "2026-01-31", "--dry-run")["invoices"] == []
    op.today("2026-02-01")
    [january] = op.run_billing("2026-02-01")
    # [10 Jan, 1 Feb) = 22 of January's 31 days, due on 1 Feb: 310 × 22/31 = 220.00;
    # VAT 44.00, gross 264.00
    assert totals(january) == ("220.00", "44.00", "264.00")
    [line] = january["lines"]
    assert (line["period_start"], line["period_last_day"]) == ("2026-01-10", "2026-01-31")
    op.today("2026-03-01")
    [february] = op.run_billing("2026-03-01")
    assert nets(february) == ["310.00"]  # February, whole, billed on 1 Mar


# --- suspensions ---------------------------------------------------------------------------------


def test_suspension_and_resumption_credit_the_days_suspended(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.ok("contracts", "create", "--customer", "NUAGE", "--reference", "S-1",
          "--start", "2026-03-01", "--alignment", "calendar")  # fmt: skip
    op.ok("contracts", "add-line", "S-1", "--product", "hosting", "--unit-price", "310.00")
    op.ok("contracts", "submit", "S-1", "--date", "2026-01-15")
    op.ok("contracts", "activate", "S-1", "--date", "2026-01-15")
    op.today("2026-03-01")
    [march] = op.run_billing("2026-03-01")
    assert nets(march) == ["310.00"]
    op.today("2026-03-11")
    assert op.ok("contracts", "suspend", "S-1", "--date", "2026-03-11", "--reason", "unpaid") == (
        "contract S-1 is suspended\n"
    )
    op.today("2026-03-21")
    assert op.ok("contracts", "resume", "S-1", "--date", "2026-03-21", "--reason", "paid") == (
        "contract S-1 is active\n"
    )
    [credit] = op.run_billing("2026-03-21")
    # suspended [11 Mar, 21 Mar): 10 of March's 31 days credited: −310 × 10/31 = −100.00;
    # VAT −20.00, gross −120.00
    assert totals(credit) == ("-100.00", "-20.00", "-120.00")
    [line] = credit["lines"]
    assert (line["kind"], line["period_start"], line["period_last_day"]) == (
        "credit",
        "2026-03-11",
        "2026-03-20",
    )
    op.today("2026-04-01")
    [april] = op.run_billing("2026-04-01")
    assert nets(april) == ["310.00"]  # April whole: the suspension is over


def test_suspension_across_a_period_start(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.ok("contracts", "create", "--customer", "NUAGE", "--reference", "S-2",
          "--start", "2026-03-01", "--alignment", "calendar")  # fmt: skip
    op.ok("contracts", "add-line", "S-2", "--product", "hosting", "--unit-price", "310.00")
    op.ok("contracts", "submit", "S-2", "--date", "2026-01-15")
    op.ok("contracts", "activate", "S-2", "--date", "2026-01-15")
    op.today("2026-03-01")
    op.run_billing("2026-03-01")
    op.today("2026-03-15")
    op.ok("contracts", "suspend", "S-2", "--date", "2026-03-15")
    [credit] = op.run_billing("2026-03-15")
    # [15 Mar, 1 Apr) suspended so far: −310 × 17/31 = −170.00
    assert nets(credit) == ["-170.00"]
    op.today("2026-04-01")
    assert op.run_billing("2026-04-01") == []  # April is not billed while suspended
    op.today("2026-04-15")
    op.ok("contracts", "resume", "S-2", "--date", "2026-04-15")
    [april] = op.run_billing("2026-04-15")
    # April (30 days) resumes on 15 Apr: 310 × 16/30 = 165.333… → 165.33; VAT 33.066 → 33.07
    assert totals(april) == ("165.33", "33.07", "198.40")
    [line] = april["lines"]
    assert (line["period_start"], line["period_last_day"]) == ("2026-04-15", "2026-04-30")


# --- amendments ----------------------------------------------------------------------------------


def test_amendment_adds_a_product_and_removes_a_line(op: Operator, pricelist: str) -> None:
    product(op, "backup", "62.00", "monthly")
    product(op, "support", "93.00", "monthly")
    op.customer("NUAGE")
    op.today("2026-03-01")
    op.contract("NUAGE", "C-1", "2026-03-01", "hosting", "backup")
    [march] = op.run_billing("2026-03-01")
    assert sorted(nets(march), key=Decimal) == ["62.00", "399.00"]
    said = op.ok(
        "amendments", "create", "C-1", "--effective", "2026-03-22", "--reason", "support only",
        "--add-product", "support", "--remove-line", "backup", "--schedule",
    )  # fmt: skip
    assert "effective 2026-03-22\n" in said
    op.today("2026-03-22")
    [change] = op.run_billing("2026-03-22")
    # [22 Mar, 1 Apr) = 10 of March's 31 days: backup credited −62 × 10/31 = −20.00,
    # support charged 93 × 10/31 = 30.00; net 10.00, VAT 2.00, gross 12.00
    assert sorted(nets(change), key=Decimal) == ["-20.00", "30.00"]
    assert totals(change) == ("10.00", "2.00", "12.00")
    op.today("2026-04-01")
    [april] = op.run_billing("2026-04-01")
    # hosting and support, whole: 399.00 + 93.00 = 492.00, VAT 98.40, gross 590.40
    assert totals(april) == ("492.00", "98.40", "590.40")
    shown = op.json("contracts", "show", "C-1")
    # the removed line stays in the terms, ended on the day before the amendment
    assert [(x["line_key"], x["end_date"]) for x in shown["terms"]["lines"]] == [
        ("hosting", None),
        ("backup", "2026-03-21"),
        ("support", None),
    ]


def test_early_termination_fee_on_the_remaining_months(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.ok(
        "contracts", "create", "--customer", "NUAGE", "--reference", "T-1", "--start", "2026-01-01",
        "--alignment", "calendar", "--term-months", "12", "--early-termination-fee", "remaining",
        "--line", "hosting",
    )  # fmt: skip
    op.ok("contracts", "submit", "T-1", "--date", "2026-01-01")
    op.ok("contracts", "activate", "T-1", "--date", "2026-01-01")
    [january] = op.run_billing("2026-01-15")
    assert nets(january) == ["399.00"]
    op.ok("contracts", "terminate", "T-1", "--mode", "on_date", "--date", "2026-06-01",
          "--reason", "closing")  # fmt: skip
    op.today("2026-06-01")
    made = op.run_billing("2026-06-01")
    # one invoice per day something fell due: February to May in advance, 399.00 each, then
    # on 1 Jun the fee for June to December, the term being committed to 31 Dec:
    # 7 × 399.00 = 2,793.00, VAT 558.60, gross 3,351.60, its period the last day covered
    assert [(i["billing_date"], nets(i)) for i in made] == [
        ("2026-02-01", ["399.00"]),
        ("2026-03-01", ["399.00"]),
        ("2026-04-01", ["399.00"]),
        ("2026-05-01", ["399.00"]),
        ("2026-06-01", ["2793.00"]),
    ]
    [fee] = made[-1]["lines"]
    assert (fee["kind"], fee["period_start"], fee["period_last_day"]) == (
        "fee",
        "2026-05-31",
        "2026-05-31",
    )
    assert fee["description"] == (
        "Early termination on 2026-06-01, committed term to 2026-12-31: remaining charges "
        "7 × 399.00 = 2,793.00"
    )
    assert totals(made[-1]) == ("2793.00", "558.60", "3351.60")
    op.today("2026-07-01")
    assert op.run_billing("2026-07-01") == []  # the fee is billed once, nothing after the end


# --- coupons and pricelists ----------------------------------------------------------------------


def test_repeating_percentage_coupon_redeemed_from_the_cli(op: Operator, pricelist: str) -> None:
    made = op.json("coupons", "create", "welcome20", "--percent", "20", "--duration", "repeating",
                   "--months", "3", "--name", "Bienvenue")  # fmt: skip
    assert (made["code"], made["kind"], made["value"]) == ("WELCOME20", "percentage", "20")
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    redeemed = op.json("coupons", "redeem", "C-1", "Welcome20")  # any case
    # redeemed on 15 Jan for 3 months: invoices billed before 15 Apr
    assert (redeemed["redeemed_on"], redeemed["ends_on"]) == ("2026-01-15", "2026-04-15")
    [january] = op.run_billing("2026-01-15")
    # 399 × 17/31 = 218.81, coupon −218.81 × 20 % = −43.762 → −43.76: net 175.05,
    # VAT 35.01, gross 210.06
    assert nets(january) == ["218.81", "-43.76"]
    assert totals(january) == ("175.05", "35.01", "210.06")
    for day in ("2026-02-01", "2026-03-01", "2026-04-01"):
        op.today(day)
        [invoice] = op.run_billing(day)
        # 399.00 − 79.80 = 319.20, VAT 63.84, gross 383.04
        assert totals(invoice) == ("319.20", "63.84", "383.04"), day
    op.today("2026-05-01")
    [may] = op.run_billing("2026-05-01")
    assert nets(may) == ["399.00"]  # billed after 15 Apr: no coupon
    line = op.refused("coupons", "redeem", "C-1", "WELCOME20")  # once per contract
    assert "WELCOME20" in line or "already" in line


def test_fixed_coupon_forever_and_a_customer_pricelist(op: Operator, pricelist: str) -> None:
    partners = op.json("pricelists", "create", "--name", "Partenaires", "--currency", "EUR",
                       "--valid-from", "2026-01-01")  # fmt: skip
    op.ok("pricelists", "add-entry", partners["id"], "--product", "hosting", "--price", "349.00",
          "--periodicity", "monthly", "--timing", "in_advance")  # fmt: skip
    op.customer("NUAGE")
    op.ok("customers", "update", "NUAGE", "--pricelist-id", partners["id"])
    op.ok("coupons", "create", "FIFTY", "--amount", "50.00", "--currency", "EUR",
          "--duration", "forever")  # fmt: skip
    op.today("2026-02-01")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting")
    said = op.ok("coupons", "redeem", "C-1", "FIFTY")
    assert said.startswith("coupon FIFTY redeemed on C-1 (")
    [february] = op.run_billing("2026-02-01")
    # the partners' price 349.00, less 50.00: 299.00 net, VAT 59.80, gross 358.80
    assert nets(february) == ["349.00", "-50.00"]
    assert totals(february) == ("299.00", "59.80", "358.80")
    [explained, _] = op.json("invoices", "explain", february["id"])
    assert (explained["unit_price"], explained["price_source"]) == ("349", "pricelist")
    op.today("2026-03-01")
    [march] = op.run_billing("2026-03-01")
    assert totals(march) == ("299.00", "59.80", "358.80")  # forever


# --- credit notes, refunds, the credit balance ---------------------------------------------------


def test_credit_notes_by_amount_refund_versus_balance(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.today("2026-02-01")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting")
    [february] = op.run_billing("2026-02-01")
    op.ok("invoices", "finalize", february["id"])
    first = op.json("credit-notes", "create", "--invoice", february["id"], "--amount", "120.00",
                    "--reason", "Outage")  # fmt: skip
    # 120.00 gross at 20 %: net 100.00, VAT 20.00; all of it cancels what is due
    assert totals(first) == ("-100.00", "-20.00", "-120.00")
    assert first["settlement"] == {
        "applied_to_invoice": "120.00",
        "refunded": "0.00",
        "to_balance": "0.00",
    }
    # 478.80 − 120.00 = 358.80 still due
    assert op.json("invoices", "show", february["id"])["amount_due"] == "358.80"
    op.ok("invoices", "pay", february["id"], "--amount", "358.80")
    refund = op.json("credit-notes", "create", "--invoice", february["id"], "--amount", "60.00",
                     "--reason", "SLA", "--refund")  # fmt: skip
    # paid in full: the 60.00 (net 50.00, VAT 10.00) goes back to the customer
    assert totals(refund) == ("-50.00", "-10.00", "-60.00")
    assert refund["settlement"]["refunded"] == "60.00"
    assert op.ok("balance", "show", "NUAGE") == "no credit balance\n"
    kept = op.json("credit-notes", "create", "--invoice", february["id"], "--amount", "24.00",
                   "--reason", "SLA")  # fmt: skip
    # by default to the balance: 24.00 (net 20.00, VAT 4.00)
    assert kept["settlement"]["to_balance"] == "24.00"
    line = op.refused("credit-notes", "create", "--invoice", february["id"], "--amount",
                      "274.81", "--reason", "too much")  # fmt: skip
    # 478.80 − 120.00 − 60.00 − 24.00 = 274.80 still creditable
    assert "274.80" in line and "amount" in line
    op.ok("balance", "refund", "NUAGE", "--amount", "10.00", "--currency", "EUR",
          "--reference", "VIR-1")  # fmt: skip
    balance = op.json("balance", "show", "NUAGE")
    assert balance["balances"] == [{"currency": "EUR", "available": "14.00"}]  # 24.00 − 10.00
    line = op.refused("balance", "refund", "NUAGE", "--amount", "14.01", "--currency", "EUR",
                      "--reference", "VIR-2")  # fmt: skip
    assert "amount" in line
    op.today("2026-03-01")
    [march] = op.run_billing("2026-03-01")
    op.ok("invoices", "finalize", march["id"])
    shown = op.json("invoices", "show", march["id"])
    # the 14.00 left pays part of March's 478.80 at finalization: 464.80 due
    assert (shown["status"], shown["amount_paid"], shown["amount_due"]) == (
        "partially_paid",
        "14.00",
        "464.80",
    )
    assert op.json("balance", "show", "NUAGE")["balances"] == [
        {"currency": "EUR", "available": "0.00"}
    ]
    paid = op.json("invoices", "payments", march["id"])
    assert [(p["amount"], p["method"], p["paid_on"]) for p in paid] == [
        ("14.00", "credit_balance", "2026-03-01")
    ]


def test_credit_note_by_line_quantity_and_goodwill(op: Operator, pricelist: str) -> None:
    product(op, "books", "100.00", "monthly", vat_category="reduced")
    op.customer("NUAGE")
    op.today("2026-02-01")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting", "books")
    [february] = op.run_billing("2026-02-01")
    # 399.00 at 20 % (VAT 79.80) and 100.00 at 5.5 % (VAT 5.50): net 499.00, VAT 85.30, 584.30
    assert totals(february) == ("499.00", "85.30", "584.30")
    op.ok("balance", "goodwill", "NUAGE", "--amount", "84.30", "--currency", "EUR",
          "--reason", "Late delivery")  # fmt: skip
    op.ok("invoices", "finalize", february["id"])
    shown = op.json("invoices", "show", february["id"])
    # the goodwill pays 84.30 of 584.30 at finalization: 500.00 still due
    assert (shown["amount_paid"], shown["amount_due"]) == ("84.30", "500.00")
    position = next(x["position"] for x in february["lines"] if x["net_amount"] == "100.00")
    note = op.json("credit-notes", "create", "--invoice", february["id"], "--line",
                   f"{position}:0.25", "--reason", "One week")  # fmt: skip
    # a quarter of the books line: −100.00 × 0.25 = −25.00 at 5.5 %: VAT −1.375 → −1.38,
    # gross −26.38, taken off the 500.00 due
    assert totals(note) == ("-25.00", "-1.38", "-26.38")
    assert note["settlement"]["applied_to_invoice"] == "26.38"
    assert op.json("invoices", "show", february["id"])["amount_due"] == "473.62"  # 500 − 26.38


# --- billing runs, numbering, payments and overdue invoices --------------------------------------


def test_run_with_finalize_numbers_in_billing_order(op: Operator, pricelist: str) -> None:
    op.customer("ALPHA", "Alpha SARL")
    op.customer("BETA", "Beta SAS")
    op.today("2026-02-01")
    op.contract("ALPHA", "C-A", "2026-02-01", "hosting")
    op.contract("BETA", "C-B", "2026-02-01", "hosting")
    table = op.ok("bill", "run", "--as-of", "2026-02-01", "--dry-run")
    assert "2 invoice(s) would be made\n" in table and "478.80" in table
    assert op.json("invoices", "list") == []  # the dry run wrote nothing
    made = op.json("bill", "run", "--as-of", "2026-02-01", "--finalize")
    # two whole months, 399.00 + 79.80 = 478.80 each, numbered F-2026-000001 and -000002
    assert (made["dry_run"], made["finalized"], len(made["invoices"])) == (False, 2, 2)
    listed = op.json("invoices", "list")
    assert sorted((i["number"], i["status"], i["gross_total"]) for i in listed) == [
        ("F-2026-000001", "finalized", "478.80"),
        ("F-2026-000002", "finalized", "478.80"),
    ]
    said = op.ok("bill", "finalize", made["run"]["id"])
    assert said.endswith("no draft to finalize in this run\n")  # all finalized by the run
    op.today("2026-03-01")
    march_run = op.json("bill", "run", "--as-of", "2026-03-01")["run"]
    said = op.ok("bill", "finalize", march_run["id"])
    assert said.endswith("finalized 2 invoice(s): F-2026-000003 to F-2026-000004\n")
    runs = op.json("bill", "list")
    assert [(r["as_of"], r["invoices_created"]) for r in runs] == [
        ("2026-02-01", 2),
        ("2026-03-01", 2),
    ]
    shown = op.json("bill", "show", march_run["id"])
    assert (shown["id"], shown["as_of"], shown["status"]) == (
        march_run["id"],
        "2026-03-01",
        march_run["status"],
    )
    assert op.refused("bill", "show", "run_nope") == "error: billing run 'run_nope' not found"
    result = op.run("bill", "finalize", "run_nope")
    assert (result.exit_code, result.stdout) == (1, "")  # refused before any progress bar
    assert result.stderr == "error: billing run 'run_nope' not found\n"
    march = op.json("invoices", "list", "--from", "2026-03-01", "--to", "2026-03-01")
    # the series goes on without a gap
    assert sorted(i["number"] for i in march) == ["F-2026-000003", "F-2026-000004"]
    alpha = op.json("invoices", "list", "--customer", "ALPHA")
    assert [i["billing_date"] for i in alpha] == ["2026-02-01", "2026-03-01"]


def test_payment_terms_and_overdue_as_the_clock_moves(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.customer("FDM", "Fin de Mois SAS")
    op.ok("customers", "update", "FDM", "--payment-terms-days", "30", "--end-of-month")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    op.contract("FDM", "C-2", "2026-01-15", "hosting")
    drafts = op.run_billing("2026-01-15")
    for invoice in drafts:
        op.ok("invoices", "finalize", invoice["id"])
    by_customer = {i["customer_id"]: op.json("invoices", "show", i["id"]) for i in drafts}
    nuage = by_customer[op.json("customers", "show", "NUAGE")["id"]]
    fdm = by_customer[op.json("customers", "show", "FDM")["id"]]
    # issued 15 Jan: 30 days → 14 Feb; 30 days end of month → 14 Feb → 28 Feb
    assert (nuage["issue_date"], nuage["due_date"]) == ("2026-01-15", "2026-02-14")
    assert fdm["due_date"] == "2026-02-28"
    op.today("2026-02-14")
    assert op.json("invoices", "list", "--overdue") == []  # due today is not late
    op.today("2026-02-15")
    [late] = op.json("invoices", "list", "--overdue")
    assert (late["id"], late["overdue"]) == (nuage["id"], True)
    assert [i["id"] for i in op.json("invoices", "list", "--not-overdue")] == [fdm["id"]]
    op.ok("invoices", "pay", nuage["id"], "--amount", "262.57", "--date", "2026-02-15")
    assert op.json("invoices", "list", "--overdue") == []  # paid: no longer overdue
    op.today("2026-03-01")
    [late] = op.json("invoices", "list", "--overdue", "--customer", "FDM")
    # 262.57 still due on the end-of-month invoice, now past 28 Feb
    assert (late["id"], late["amount_due"]) == (fdm["id"], "262.57")
    op.ok("invoices", "pay", fdm["id"], "--amount", "62.57", "--date", "2026-03-01")
    [still] = op.json("invoices", "list", "--overdue")
    # partially paid and still late: 262.57 − 62.57 = 200.00
    assert (still["status"], still["amount_due"]) == ("partially_paid", "200.00")


def test_manual_lines_discount_and_vat_per_rate_on_a_draft(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.today("2026-02-01")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting")
    [draft] = op.run_billing("2026-02-01")
    op.ok("invoices", "add-line", draft["id"], "--description", "Formation", "--quantity", "3",
          "--unit-price", "0.05", "--vat-category", "intermediate")  # fmt: skip
    op.ok("invoices", "add-line", draft["id"], "--description", "Livre", "--quantity", "2",
          "--unit-price", "12.345", "--vat-category", "reduced")  # fmt: skip
    op.ok("invoices", "add-discount", draft["id"], "--percent", "10", "--description", "Remise")
    shown = op.json("invoices", "show", draft["id"])
    # lines: 399.00 at 20 %, 3 × 0.05 = 0.15 at 10 %, 2 × 12.345 = 24.69 at 5.5 %;
    # 10 % off per rate: −39.90, −0.015 → −0.02, −2.469 → −2.47
    assert sorted(nets(shown), key=Decimal) == [
        "-39.90", "-2.47", "-0.02", "0.15", "24.69", "399.00",
    ]  # fmt: skip
    # bases: 20 % 359.10 → VAT 71.82; 10 % 0.13 → 0.013 → 0.01; 5.5 % 22.22 → 1.2221 → 1.22
    # net 381.45, VAT 73.05, gross 454.50
    assert totals(shown) == ("381.45", "73.05", "454.50")
    op.ok("invoices", "finalize", draft["id"])
    line = op.refused("invoices", "add-line", draft["id"], "--description", "Late", "--quantity",
                      "1", "--unit-price", "1")  # fmt: skip
    assert draft["id"] in line or "finalized" in line or "draft" in line
    assert op.json("invoices", "show", draft["id"])["net_total"] == "381.45"


# --- usage: metrics, events, statements, SmartCodes ----------------------------------------------

TIERS = {
    "metric": "calls",
    "model": "graduated",
    "tiers": [
        {"up_to": "100", "unit_price": "1.00"},
        {"up_to": "500", "unit_price": "0.80"},
        {"up_to": None, "unit_price": "0.50"},
    ],
}


def test_graduated_calls_imported_as_json_lines(op: Operator, pricelist: str) -> None:
    op.ok("metrics", "create", "calls", "--aggregation", "count", "--name", "API calls")
    op.ok("products", "create", "--code", "api", "--kind", "usage", "--name-en", "API")
    op.ok("pricelists", "add-entry", pricelist, "--product", "api", "--price", "1.00",
          "--charge", json.dumps(TIERS))  # fmt: skip
    op.customer("NUAGE")
    op.today("2026-02-01")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting", "api")
    op.run_billing("2026-02-01")
    events = op.tmp / "calls.jsonl"
    day = "2026-02-{:02d}T08:00:00Z"
    call = {"customer": "NUAGE", "metric": "calls"}
    rows = [json.dumps(call | {"transaction_id": f"c{n}", "timestamp": day.format(1 + n % 28)})
            for n in range(650)]  # fmt: skip
    rows.insert(10, json.dumps({"transaction_id": "x1", "customer": "NUAGE", "metric": "nope",
                                "timestamp": "2026-02-03T08:00:00Z"}))  # fmt: skip
    rows.insert(20, "{not json")
    events.write_text("\n".join(rows) + "\n")
    rejected = op.tmp / "rejected.csv"
    op.today("2026-02-28")
    report = op.json("events", "import", str(events), "--rejected", str(rejected))
    # 652 lines: 650 calls accepted, the unknown metric (line 11) and the broken line (21) refused
    assert (report["read"], report["accepted"], report["rejected"]) == (652, 650, 2)
    refused = list(csv.DictReader(rejected.open()))
    assert [(r["line"], r["field"], r["reason"]) for r in refused] == [
        ("11", "metric", "unknown metric 'nope': not found in this organization"),
        ("21", "", "is not valid JSON"),
    ]
    usage = op.json("contracts", "usage", "C-1", "--as-of", "2026-02-28")
    # 650 calls, graduated: 100 × 1.00 + 400 × 0.80 + 150 × 0.50 = 100 + 320 + 75 = 495.00
    assert usage["total"] == "495.00"
    op.today("2026-03-01")
    [march] = op.run_billing("2026-03-01")
    # March's hosting 399.00 and February's calls, one line per tier: 100.00, 320.00, 75.00;
    # 399.00 + 495.00 = 894.00, VAT 178.80, gross 1,072.80
    assert sorted(nets(march), key=Decimal) == ["75.00", "100.00", "320.00", "399.00"]
    assert totals(march) == ("894.00", "178.80", "1072.80")
    statement = op.json("statements", "customer", "NUAGE", "--from", "2026-02-01",
                        "--to", "2026-03-01")  # fmt: skip
    assert statement["amount"] == "495.00"


def test_smartcode_valued_minutes_push_test_versions(op: Operator, pricelist: str) -> None:
    v1 = op.tmp / "billable_minutes.py"
    v1.write_text(
        '"""Every started minute counts."""\n'
        "import math\n\n\n"
        "def value(event):\n"
        '    return math.ceil(event.properties["duration"] / 60)\n'
    )
    said = op.ok("smartcodes", "push", str(v1))
    assert said.startswith("billable_minutes: version 1 saved (")
    assert op.ok("smartcodes", "push", str(v1)) == "billable_minutes: unchanged (version 1)\n"
    sample = op.tmp / "sample.jsonl"
    at = '"timestamp": "2026-01-15T09:00:00Z"'
    sample.write_text(
        "".join(f'{{{at}, "properties": {{{p}}}}}\n'
                for p in ('"duration": 61', '"duration": 120', '"duration": 1', ""))
    )  # fmt: skip
    tested = op.json("smartcodes", "test", "billable_minutes", "--events", str(sample))
    # ceil(61/60) = 2, ceil(120/60) = 2, ceil(1/60) = 1; the fourth has no duration: failed
    assert [r["value"] for r in tested["results"]] == ["2", "2", "1", None]
    assert tested["total"] == "5"
    v2 = op.tmp / "v2.py"
    v2.write_text(
        '"""Every started minute counts, the first one free."""\n'
        "import math\n\n\n"
        "def value(event):\n"
        '    return max(math.ceil(event.properties["duration"] / 60) - 1, 0)\n'
    )
    said = op.ok("smartcodes", "push", str(v2), "--code", "billable_minutes")
    assert said.startswith("billable_minutes: version 2 saved (")
    assert [v["number"] for v in op.json("smartcodes", "versions", "billable_minutes")] == [2, 1]
    old = op.json("smartcodes", "test", "billable_minutes", "--events", str(sample),
                  "--version", "1")  # fmt: skip
    new = op.json("smartcodes", "test", "billable_minutes", "--events", str(sample))
    # version 2: 2 − 1, 2 − 1, 1 − 1 = 1, 1, 0: total 2
    assert (old["total"], new["total"]) == ("5", "2")
    op.ok("metrics", "create", "minutes", "--aggregation", "sum", "--field", "value",
          "--valuation-smartcode", "billable_minutes")  # fmt: skip
    op.ok("products", "create", "--code", "calls", "--kind", "usage", "--name-en", "Calls")
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0.15"}
    op.ok("pricelists", "add-entry", pricelist, "--product", "calls", "--price", "0.15",
          "--charge", json.dumps(charge))  # fmt: skip
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "calls")
    op.today("2026-01-21")
    for n, seconds in enumerate((61, 125, 3600)):  # the duration as a JSON number, not text
        op.ok("events", "send", "--transaction-id", f"t{n}", "--customer", "NUAGE", "--metric",
              "minutes", "--timestamp", "2026-01-20T10:00:00Z",
              "--properties", json.dumps({"duration": seconds}))  # fmt: skip
    op.today("2026-02-01")
    [january] = op.run_billing("2026-02-01")
    # valued by version 2: (2 − 1) + (3 − 1) + (60 − 1) = 62 minutes × 0.15 = 9.30;
    # VAT 1.86, gross 11.16
    assert totals(january) == ("9.30", "1.86", "11.16")
    [explained] = op.json("invoices", "explain", january["id"])
    assert explained["quantity"] == "62"


# --- refused commands: one clear line, a non-zero exit, nothing written ---------------------------


def test_refused_commands_name_the_bad_option_and_write_nothing(
    op: Operator, pricelist: str
) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    [draft] = op.run_billing("2026-01-15")
    # a mistyped status is refused (exit 2, a usage error), not answered with an empty list
    result = op.run("invoices", "list", "--status", "paied")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--status'")
    assert "'paied' is not one of" in result.stderr and len(result.stderr.splitlines()) == 1
    assert [i["status"] for i in op.json("invoices", "list", "--status", "draft")] == ["draft"]
    # an amendment without its day or its reason names the option
    assert (
        op.refused("amendments", "create", "C-1", "--reason", "more", "--set-quantity", "hosting=2")
        == "error: --effective: required, the first day of the new terms (YYYY-MM-DD)"
    )
    assert (
        op.refused(
            "amendments",
            "create",
            "C-1",
            "--effective",
            "2026-02-01",
            "--set-quantity",
            "hosting=2",
        )
        == "error: --reason: required, why the terms change"
    )
    assert op.refused(
        "amendments", "create", "C-1", "--effective", "2026-02-01", "--reason", "x",
        "--set-price", "hosting",
    ) == "error: --set-price: expected NAME=VALUE, got 'hosting'"  # fmt: skip
    assert op.json("amendments", "list", "--contract", "C-1") == []
    # no notice period: ending before today is refused in plain words, the contract unchanged
    line = op.refused("contracts", "terminate", "C-1", "--mode", "on_date", "--date",
                      "2026-01-10", "--reason", "x")  # fmt: skip
    assert line == (
        "error: date: notice given on 2026-01-15 allows ending on 2026-01-15 at the earliest "
        "(last day 2026-01-14); only an admin may force an earlier date"
    )
    assert op.json("contracts", "show", "C-1")["terms"]["end_date"] is None
    # a draft takes no payment and no credit note
    assert op.refused("invoices", "pay", draft["id"], "--amount", "10.00") == (
        f"error: invoice '{draft['id']}' is draft: it cannot take a payment"
    )
    assert op.refused(
        "credit-notes", "create", "--invoice", draft["id"], "--amount", "10", "--reason", "x"
    ).endswith("is a draft: edit or delete the draft instead of crediting it")
    result = op.run("bill", "run", "--as-of", "2026-01-15", "--dry-run", "--finalize")
    assert (result.exit_code, result.stdout) == (1, "")  # not even a progress bar
    assert result.stderr == (
        "error: --finalize: a dry run writes nothing, so nothing can be finalized: drop one\n"
    )
    # coupons: each bad field named
    assert op.refused("coupons", "create", "X2", "--percent", "10", "--duration", "repeating") == (
        "error: The coupon has invalid fields: duration_months: a repeating coupon needs its "
        "number of months"
    )
    assert (
        op.refused(
            "coupons",
            "create",
            "X4",
            "--amount",
            "10.001",
            "--currency",
            "EUR",
            "--duration",
            "once",
        )
        == "error: The coupon has invalid fields: value: EUR amounts have at most 2 decimals"
    )
    assert op.refused("coupons", "redeem", "C-1", "NOPE") == "error: coupon 'NOPE' not found"
    assert op.json("coupons", "list") == []
    # the balance: no goodwill below zero, no refund above what is available
    assert (
        op.refused(
            "balance", "goodwill", "NUAGE", "--amount", "-5", "--currency", "EUR", "--reason", "x"
        )
        == "error: The request has invalid fields: amount: must be more than zero"
    )
    assert (
        op.refused(
            "balance", "refund", "NUAGE", "--amount", "5", "--currency", "EUR", "--reference", "r"
        )
        == "error: amount: more than the 0.00 EUR available"
    )
    assert op.ok("balance", "show", "NUAGE") == "no credit balance\n"
    # usage: unknown metric, a file that is not there, a format Tarif does not read
    assert (
        op.refused(
            "events", "send", "--transaction-id", "t1", "--metric", "nope", "--customer", "NUAGE"
        )
        == "error: refused: metric: unknown metric 'nope': not found in this organization"
    )
    assert op.refused("events", "import", str(op.tmp / "none.csv")) == (
        f"error: no such file: {op.tmp / 'none.csv'}"
    )
    assert op.refused("metrics", "create", "m1", "--aggregation", "average") == (
        "error: The metric has invalid fields: aggregation: unknown aggregation 'average': one "
        "of count, sum, max, unique_count, latest, weighted_sum"
    )
    assert op.json("events", "list") == [] and op.json("metrics", "list") == []
    # the draft is as the run made it
    assert totals(op.json("invoices", "show", draft["id"])) == ("218.81", "43.76", "262.57")


# --- more periods, rounding, commitments ---------------------------------------------------------


def test_weekly_line_then_terminated_immediately(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.ok("contracts", "create", "--customer", "NUAGE", "--reference", "W-1",
          "--start", "2026-01-14", "--alignment", "calendar")  # fmt: skip
    op.ok("contracts", "add-line", "W-1", "--product", "hosting", "--unit-price", "70.00",
          "--periodicity", "weekly")  # fmt: skip
    op.ok("contracts", "submit", "W-1", "--date", "2026-01-14")
    op.ok("contracts", "activate", "W-1", "--date", "2026-01-14")
    [first] = op.run_billing("2026-01-15")
    # the ISO week starts Monday 12 Jan; from Wednesday 14 Jan, 5 of its 7 days: 70 × 5/7 = 50.00
    assert (first["billing_date"], nets(first)) == ("2026-01-14", ["50.00"])
    assert first["lines"][0]["period_last_day"] == "2026-01-18"
    said = op.ok("contracts", "terminate", "W-1", "--mode", "immediately", "--with-credit",
                 "--reason", "fraud")  # fmt: skip
    assert said == "contract W-1 is terminated\n"
    assert op.json("contracts", "show", "W-1")["terms"]["end_date"] == "2026-01-14"
    [credit] = op.run_billing("2026-01-15")
    # ended today, 15 Jan: 15 to 18 Jan unused, 4 of 7 days: −70 × 4/7 = −40.00,
    # VAT −8.00, gross −48.00
    assert (credit["billing_date"], totals(credit)) == ("2026-01-15", ("-40.00", "-8.00", "-48.00"))
    op.today("2026-01-19")
    assert op.run_billing("2026-01-19") == []


def test_half_even_rounding_and_a_monthly_minimum(op: Operator, pricelist: str) -> None:
    assert op.json("orgs", "update", "--set", "rounding_mode=HALF_EVEN")["rounding_mode"] == (
        "HALF_EVEN"
    )
    op.customer("NUAGE")
    op.ok("contracts", "create", "--customer", "NUAGE", "--reference", "M-1",
          "--start", "2026-01-15", "--alignment", "calendar")  # fmt: skip
    op.ok("contracts", "add-line", "M-1", "--product", "hosting", "--unit-price", "100.00",
          "--minimum", "310.00", "--minimum-periodicity", "monthly")  # fmt: skip
    op.ok("contracts", "add-line", "M-1", "--product", "hosting", "--key", "half",
          "--unit-price", "2.25", "--quantity", "0.5")  # fmt: skip
    op.ok("contracts", "submit", "M-1", "--date", "2026-01-15")
    op.ok("contracts", "activate", "M-1", "--date", "2026-01-15")
    [january] = op.run_billing("2026-01-15")
    # 100 × 17/31 = 54.838… → 54.84; 0.5 × 2.25 × 17/31 = 0.6169… → 0.62;
    # net 55.46, VAT 11.092 → 11.09 (VAT is always HALF_UP), gross 66.55
    assert sorted(nets(january), key=Decimal) == ["0.62", "54.84"]
    assert totals(january) == ("55.46", "11.09", "66.55")
    op.today("2026-02-01")
    [february] = op.run_billing("2026-02-01")
    # half: 0.5 × 2.25 = 1.125 → 1.12 (HALF_EVEN: the 2 is even); hosting 100.00;
    # January's minimum, in arrears: 310 × 17/31 − 100 × 17/31 = 170.00 − 54.838… = 115.161…
    # → 115.16; net 216.28, VAT 43.256 → 43.26, gross 259.54
    by_kind = sorted((x["kind"], x["net_amount"], x["period_start"]) for x in february["lines"])
    assert by_kind == [
        ("charge", "1.12", "2026-02-01"),
        ("charge", "100.00", "2026-02-01"),
        ("minimum", "115.16", "2026-01-15"),
    ]
    assert totals(february) == ("216.28", "43.26", "259.54")


def test_void_with_a_refund_after_a_partial_credit(op: Operator, pricelist: str) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-01", "hosting")
    [january] = op.run_billing("2026-01-15")
    assert totals(january) == ("399.00", "79.80", "478.80")  # January whole, due on 1 Jan
    op.ok("invoices", "finalize", january["id"])
    op.ok("invoices", "pay", january["id"], "--amount", "478.80")
    note = op.json("credit-notes", "create", "--invoice", january["id"], "--line", "1:0.5",
                   "--reason", "half")  # fmt: skip
    # −399.00 × 0.5 = −199.50, VAT −39.90, −239.40: paid, so it goes to the balance
    assert totals(note) == ("-199.50", "-39.90", "-239.40")
    assert note["settlement"]["to_balance"] == "239.40"
    void = op.json("invoices", "void", january["id"], "--reason", "cancelled", "--refund")
    # what is still creditable, 478.80 − 239.40 = 239.40, paid back to the customer
    assert (void["number"], totals(void)) == ("AV-2026-000002", ("-199.50", "-39.90", "-239.40"))
    assert void["settlement"] == {
        "applied_to_invoice": "0.00",
        "refunded": "239.40",
        "to_balance": "0.00",
    }
    shown = op.json("invoices", "show", january["id"])
    assert (shown["status"], shown["amount_due"]) == ("voided", "0.00")
    assert op.json("balance", "show", "NUAGE")["balances"] == [
        {"currency": "EUR", "available": "239.40"}
    ]


def test_scheduled_amendment_seen_ahead_and_applied_by_apply_due(
    op: Operator, pricelist: str
) -> None:
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting")
    op.ok("amendments", "create", "C-1", "--effective", "2026-03-01", "--reason", "two servers",
          "--set-quantity", "hosting=2", "--schedule")  # fmt: skip
    ahead = op.json("contracts", "show", "C-1", "--as-of", "2026-03-05")
    assert (ahead["version"], ahead["terms"]["lines"][0]["quantity"]) == (2, "2")
    assert op.json("contracts", "show", "C-1")["terms"]["lines"][0]["quantity"] == "1"
    op.today("2026-03-01")
    applied = op.json("amendments", "apply-due", "--as-of", "2026-03-01")
    assert (applied["as_of"], len(applied["amendments_applied"])) == ("2026-03-01", 1)
    made = op.run_billing("2026-03-01")
    # 399 × 17/31 = 218.81 on 15 Jan; February 399.00; March at 2 × 399.00 = 798.00
    assert [(i["billing_date"], nets(i)) for i in made] == [
        ("2026-01-15", ["218.81"]),
        ("2026-02-01", ["399.00"]),
        ("2026-03-01", ["798.00"]),
    ]
    assert [i["billing_date"] for i in op.json("invoices", "list", "--from", "2026-02-01",
                                               "--to", "2026-02-28")] == ["2026-02-01"]  # fmt: skip


def test_coupon_share_given_back_with_a_termination_credit(op: Operator, pricelist: str) -> None:
    op.ok("coupons", "create", "WELCOME20", "--percent", "20", "--duration", "repeating",
          "--months", "3")  # fmt: skip
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting")
    op.ok("coupons", "redeem", "C-1", "WELCOME20")  # on 15 Jan, until 15 Apr
    op.today("2026-03-01")
    made = op.run_billing("2026-03-01")
    # February and March: 399.00 − 79.80 = 319.20 each
    assert [totals(i)[0] for i in made] == ["319.20", "319.20"]
    op.today("2026-03-10")
    op.ok("contracts", "terminate", "C-1", "--mode", "on_date", "--date", "2026-03-21",
          "--with-credit", "--reason", "closing")  # fmt: skip
    op.today("2026-03-21")
    [credit] = op.run_billing("2026-03-21")
    # [21 Mar, 1 Apr) = 11 of 31 days: −399 × 11/31 = −141.58; March's coupon took 79.80 of
    # 399.00: +141.58 × 0.20 = 28.316 → +28.32; net −113.26, VAT −22.652 → −22.65, −135.91
    assert sorted(nets(credit), key=Decimal) == ["-141.58", "28.32"]
    assert totals(credit) == ("-113.26", "-22.65", "-135.91")


def test_late_events_are_billed_as_an_adjustment(op: Operator, pricelist: str) -> None:
    op.ok("metrics", "create", "calls", "--aggregation", "count")
    op.ok("products", "create", "--code", "api", "--kind", "usage", "--name-en", "API")
    charge = {"metric": "calls", "model": "per_unit", "unit_price": "0.10"}
    op.ok("pricelists", "add-entry", pricelist, "--product", "api", "--price", "0.10",
          "--charge", json.dumps(charge))  # fmt: skip
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "api")
    op.today("2026-01-20")
    for n in range(10):
        op.ok("events", "send", "--transaction-id", f"e{n}", "--customer", "NUAGE",
              "--metric", "calls", "--timestamp", "2026-01-20T08:00:00Z")  # fmt: skip
    op.today("2026-02-01")
    [january] = op.run_billing("2026-02-01")
    # 10 calls × 0.10 = 1.00, VAT 0.20, gross 1.20
    assert totals(january) == ("1.00", "0.20", "1.20")
    op.today("2026-02-05")
    for n in range(3):  # 20:00 UTC on 31 Jan is 21:00 in Paris: still January
        sent = op.json("events", "send", "--transaction-id", f"late{n}", "--customer", "NUAGE",
                       "--metric", "calls", "--timestamp", "2026-01-31T20:00:00Z")  # fmt: skip
        assert (sent["status"], sent["local_date"]) == ("accepted", "2026-01-31")
    assert len(op.json("events", "list", "--late")) == 3
    op.today("2026-03-01")
    [march] = op.run_billing("2026-03-01")
    # January's 3 late calls: an adjustment of 3 × 0.10 = 0.30; February had none: 0.00
    lines = sorted((x["period_start"], x["adjustment"], x["quantity"], x["net_amount"])
                   for x in march["lines"])  # fmt: skip
    assert lines == [("2026-01-15", True, "3", "0.30"), ("2026-02-01", False, "0", "0.00")]
    assert totals(march) == ("0.30", "0.06", "0.36")
    statement = op.json("statements", "customer", "NUAGE", "--from", "2026-01-01",
                        "--to", "2026-02-01")  # fmt: skip
    assert statement["amount"] == "1.30"  # January's usage: 1.00 billed on time + 0.30 late


def test_yen_customer_outside_the_eu(op: Operator, pricelist: str) -> None:
    yen = op.json("pricelists", "create", "--name", "Yen", "--currency", "JPY",
                  "--valid-from", "2026-01-01")  # fmt: skip
    op.ok("pricelists", "add-entry", yen["id"], "--product", "hosting", "--price", "10000",
          "--periodicity", "monthly", "--timing", "in_advance")  # fmt: skip
    said = op.ok(
        "customers", "create", "--legal-name", "Tokyo KK", "--country", "JP", "--external-id",
        "TOKYO", "--currency", "JPY", "--pricelist-id", yen["id"], "--address-line1", "1-1",
        "--postal-code", "100-0001", "--city", "Tokyo",
    )  # fmt: skip
    assert said.endswith("created: Tokyo KK (export)\n")
    op.contract("TOKYO", "J-1", "2026-01-15", "hosting")
    [january] = op.run_billing("2026-01-15")
    # ¥10000 × 17/31 = 5483.87… → 5484 (no decimals); export: no French VAT
    assert (january["currency"], january["tax_treatment"]) == ("JPY", "export")
    assert totals(january) == ("5484", "0", "5484")


def test_contract_from_a_template_with_parameters(op: Operator, pricelist: str) -> None:
    op.ok("products", "create", "--code", "seat", "--kind", "recurring", "--name-en", "Seat")
    body = {
        "name": "Growth",
        "parameters": [
            {"name": "start_date", "type": "date"},
            {"name": "seats", "type": "int", "default": 3},
            {"name": "seat_price", "type": "decimal", "default": "25.00"},
        ],
        "terms": {"start_date": {"param": "start_date"}, "billing_alignment": "calendar"},
        "lines": [
            {"line_key": "hosting", "product": "hosting", "kind": "recurring"},
            {"line_key": "seats", "product": "seat", "kind": "recurring",
             "quantity": {"param": "seats"}, "unit_price": {"param": "seat_price"},
             "periodicity": "monthly"},
        ],
    }  # fmt: skip
    file = op.tmp / "growth.json"
    file.write_text(json.dumps(body))
    said = op.ok("templates", "create", "--file", str(file))
    template = said.split()[1]
    assert said == f"template {template} created: Growth (version 1)\n"
    op.customer("NUAGE")
    line = op.refused("templates", "instantiate", template, "--customer", "NUAGE",
                      "--reference", "G-1", "--param", "start_date=2026-02-15",
                      "--param", "seats=five")  # fmt: skip
    assert "parameters.seats" in line and "five" in line
    assert op.json("contracts", "list") == []
    made = op.json("templates", "instantiate", template, "--customer", "NUAGE", "--reference",
                   "G-1", "--param", "start_date=2026-02-15", "--param", "seats=5",
                   "--param", "seat_price=20.00")  # fmt: skip
    assert (made["status"], made["terms"]["template"]) == (
        "draft",
        {"template_id": template, "version": 1},
    )
    op.ok("contracts", "submit", "G-1", "--date", "2026-01-15")
    op.ok("contracts", "activate", "G-1", "--date", "2026-01-15")
    op.today("2026-02-15")
    [february] = op.run_billing("2026-02-15")
    # [15 Feb, 1 Mar) = 14 of February's 28 days: hosting 399 × 14/28 = 199.50,
    # seats 5 × 20.00 × 14/28 = 50.00; net 249.50, VAT 49.90, gross 299.40
    assert sorted(nets(february), key=Decimal) == ["50.00", "199.50"]
    assert totals(february) == ("249.50", "49.90", "299.40")


def test_in_arrears_suspension_price_change_and_end(op: Operator, pricelist: str) -> None:
    def in_arrears(customer: str, reference: str) -> None:
        op.ok("contracts", "create", "--customer", customer, "--reference", reference,
              "--start", "2026-03-01", "--alignment", "calendar")  # fmt: skip
        op.ok("contracts", "add-line", reference, "--product", "hosting", "--unit-price",
              "310.00", "--timing", "in_arrears")  # fmt: skip
        op.ok("contracts", "submit", reference, "--date", "2026-01-15")
        op.ok("contracts", "activate", reference, "--date", "2026-01-15")

    op.customer("PAUSE", "Pause SARL")
    op.customer("CHANGE", "Change SAS")
    in_arrears("PAUSE", "A-1")
    in_arrears("CHANGE", "A-2")
    op.ok("amendments", "create", "A-2", "--effective", "2026-03-11", "--reason", "bigger",
          "--set-price", "hosting=620.00", "--schedule")  # fmt: skip
    op.today("2026-03-10")
    said = op.ok("contracts", "terminate", "A-2", "--mode", "on_date", "--date", "2026-04-15",
                 "--reason", "closing")  # fmt: skip
    assert said.endswith(" effective 2026-04-15\n")
    op.today("2026-03-11")
    op.ok("contracts", "suspend", "A-1", "--date", "2026-03-11")
    op.today("2026-03-21")
    op.ok("contracts", "resume", "A-1", "--date", "2026-03-21")
    [upcoming] = op.json("invoices", "upcoming", "PAUSE")
    # not billed while suspended: [1, 11 Mar) 310 × 10/31 = 100.00 and [21 Mar, 1 Apr)
    # 310 × 11/31 = 110.00, both due at the period's end; 210.00 + 42.00 = 252.00
    assert (upcoming["billing_date"], totals(upcoming)) == (
        "2026-04-01",
        ("210.00", "42.00", "252.00"),
    )
    op.today("2026-04-01")
    by_customer = {i["customer_id"]: i for i in op.run_billing("2026-04-01")}
    pause = by_customer[op.json("customers", "show", "PAUSE")["id"]]
    change = by_customer[op.json("customers", "show", "CHANGE")["id"]]
    assert nets(pause) == ["100.00", "110.00"]
    # each version for the days it was in force: 310 × 10/31 = 100.00, 620 × 21/31 = 420.00
    assert [(x["net_amount"], x["period_last_day"]) for x in change["lines"]] == [
        ("100.00", "2026-03-10"),
        ("420.00", "2026-03-31"),
    ]
    op.today("2026-04-15")
    [last] = op.run_billing("2026-04-15")
    # ended on 15 Apr, due that day: [1, 15 Apr) = 14 of 30 days: 620 × 14/30 = 289.333…
    # → 289.33; VAT 57.866 → 57.87, gross 347.20
    assert (last["customer_id"], totals(last)) == (
        change["customer_id"],
        ("289.33", "57.87", "347.20"),
    )


def test_group_prices_a_once_coupon_and_the_customer_statement(
    op: Operator, pricelist: str
) -> None:
    op.ok("metrics", "create", "gb", "--aggregation", "sum", "--field", "gb",
          "--group-by", "region")  # fmt: skip
    op.ok("products", "create", "--code", "storage", "--kind", "usage", "--name-en", "Storage")
    us = {"group": {"region": "us"}, "unit_price": "0.70"}
    charge = {"metric": "gb", "model": "per_unit", "unit_price": "0.50", "group_prices": [us]}
    op.ok("pricelists", "add-entry", pricelist, "--product", "storage", "--price", "0.50",
          "--charge", json.dumps(charge))  # fmt: skip
    op.ok("coupons", "create", "ONCE10", "--percent", "10", "--duration", "once")
    op.customer("NUAGE")
    op.contract("NUAGE", "C-1", "2026-01-15", "hosting", "storage")
    op.ok("coupons", "redeem", "C-1", "ONCE10")
    [january] = op.run_billing("2026-01-15")
    # 399 × 17/31 = 218.81, the once coupon −21.881 → −21.88: net 196.93, VAT 39.386 → 39.39,
    # gross 236.32
    assert nets(january) == ["218.81", "-21.88"]
    assert totals(january) == ("196.93", "39.39", "236.32")
    op.today("2026-01-21")
    for n, (region, gb) in enumerate((("eu", "10.5"), ("us", "3.25"), ("eu", "1.5"))):
        op.ok("events", "send", "--transaction-id", f"g{n}", "--customer", "NUAGE", "--metric",
              "gb", "--timestamp", f"2026-01-{18 + n}T08:00:00Z", "--prop", f"gb={gb}",
              "--prop", f"region={region}")  # fmt: skip
    op.today("2026-02-01")
    [february] = op.run_billing("2026-02-01")
    # hosting 399.00; eu 10.5 + 1.5 = 12 GB × 0.50 = 6.00; us 3.25 GB × 0.70 = 2.275 → 2.28.
    # The once coupon discounts January, the first period: February's hosting is full price,
    # and January's storage, billed now, takes its 10 %: 8.28 × 0.10 = 0.828 → −0.83.
    # Net 407.28 − 0.83 = 406.45, VAT 81.29, gross 487.74
    assert sorted((x["description"], x["net_amount"]) for x in february["lines"]) == [
        ("Coupon ONCE10 (-10 %)", "-0.83"),
        ("Hosting", "399.00"),
        ("Storage [region=eu]", "6.00"),
        ("Storage [region=us]", "2.28"),
    ]
    assert totals(february) == ("406.45", "81.29", "487.74")
    out = op.tmp / "january.csv"
    said = op.ok("statements", "customer-export", "NUAGE", "--from", "2026-01-01", "--to",
                 "2026-02-01", "--format", "csv", "-o", str(out))  # fmt: skip
    assert said.startswith(f"wrote {out} (")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    # January's usage, by region, adds up to the usage lines: 6.00 + 2.28 = 8.28
    assert [(r["description"], r["quantity"], r["amount"]) for r in rows] == [
        ("Storage [region=eu]", "12", "6.00"),
        ("Storage [region=us]", "3.25", "2.28"),
    ]
    assert op.json("statements", "show", february["id"])["amount"] == "8.28"


def test_credit_by_amount_over_two_vat_rates_then_void(op: Operator, pricelist: str) -> None:
    product(op, "books", "100.00", "monthly", vat_category="reduced")
    op.customer("NUAGE")
    op.today("2026-02-01")
    op.contract("NUAGE", "C-1", "2026-02-01", "hosting", "books")
    made = op.json("bill", "run", "--as-of", "2026-02-01", "--finalize")
    [february] = [op.json("invoices", "show", i["id"]) for i in made["invoices"]]
    # 399.00 + 79.80 = 478.80 at 20 %, 100.00 + 5.50 = 105.50 at 5.5 %: 584.30 in all
    assert (february["number"], february["gross_total"]) == ("F-2026-000001", "584.30")
    note = op.json("credit-notes", "create", "--invoice", february["id"], "--amount", "100.00",
                   "--reason", "Gesture")  # fmt: skip
    # split by gross: 20 % 100 × 478.80/584.30 = 81.944… → 81.94, 5.5 % the rest 18.06;
    # nets 81.94/1.2 = 68.283… → 68.28 (VAT 13.656 → 13.66) and 18.06/1.055 = 17.118… → 17.12
    # (VAT 0.9416 → 0.94): net −85.40, VAT −14.60, gross −100.00
    assert sorted(nets(note), key=Decimal) == ["-68.28", "-17.12"]
    assert totals(note) == ("-85.40", "-14.60", "-100.00")
    void = op.json("invoices", "void", february["id"], "--reason", "Cancelled")
    # what is left per rate: 478.80 − 81.94 = 396.86 and 105.50 − 18.06 = 87.44;
    # 396.86/1.2 = 330.716… → 330.72 (VAT 66.144 → 66.14), 87.44/1.055 = 82.881… → 82.88
    # (VAT 4.5584 → 4.56): net −413.60, VAT −70.70, gross −484.30
    assert totals(void) == ("-413.60", "-70.70", "-484.30")
    shown = op.json("invoices", "show", february["id"])
    # unpaid: both credit notes cancel what was due, 100.00 + 484.30 = 584.30
    assert (shown["status"], shown["amount_credited"], shown["amount_due"]) == (
        "voided",
        "584.30",
        "0.00",
    )
