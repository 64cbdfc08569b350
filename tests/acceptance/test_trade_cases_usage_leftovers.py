"""Usage billing's loose ends, end to end through the public REST API (and `tarif events send`
where an operator would use it): a period a pricing SmartCode rates to no line, a late
re-rating that changes only what a period draws of a prepaid block, numbers sent with
`--prop`, and the contract's current usage when its pricing SmartCode fails.

Each figure is worked by hand from the rules (docs/usage.md, docs/charges.md,
docs/smartcodes.md) in the comment beside it. The seller is in Europe/Paris; the test clock
reads 15 Jan 2026 09:30 UTC and moves forward with `shop.today`.
"""

from __future__ import annotations

from typing import Any

from tests.acceptance.test_trade_cases import Shop, ok, totals
from tests.acceptance.test_trade_cases_smartcodes import (
    FAILING,
    seeded_pricing,
    smartcode,
    tarif_cli,
)
from tests.acceptance.test_trade_cases_usage import (
    adjustments,
    calendar_contract,
    event,
    explained,
    metric,
    send,
    usage_lines,
    usage_product,
)

__all__ = ["tarif_cli"]  # the fixture, shared with the SmartCode cases


def lines_of(invoice: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Each usage line as (period start, quantity, net, adjustment), by period."""
    return sorted(
        (x["period_start"], x["quantity"], x["net_amount"], x["adjustment"])
        for x in usage_lines(invoice)
    )


def keep_zero_usage_drafts(shop: Shop) -> None:
    """The organization keeps invoices of 0.00 usage lines only as drafts (by default it
    finalizes and numbers them like any other)."""
    changed = ok(shop.api.patch("/v1/organization", json={"finalize_zero_usage_invoices": False}))
    assert changed["finalize_zero_usage_invoices"] is False


def unnumbered_draft(shop: Shop, invoice: dict[str, Any]) -> None:
    """Only 0.00 usage lines, kept: the invoice stays a draft keeping them, with no number,
    and finalizing it by hand is refused."""
    stored = ok(shop.api.get(f"/v1/invoices/{invoice['id']}"))
    assert (stored["status"], stored["number"]) == ("draft", None)
    assert totals(stored) == ("0.00", "0.00", "0.00")
    refused = shop.api.post(f"/v1/invoices/{invoice['id']}/finalize")
    assert refused.status_code == 409, refused.text
    assert "only 0.00 usage lines" in refused.json()["detail"]


# --- a period rated to no line -------------------------------------------------------------

IDLE_NOTHING = '''\
"""Minutes at 0.10; an idle period gives no line at all."""


def price(usage, contract):
    if usage.quantity == 0:
        return []
    return [{"description": "Minutes", "quantity": usage.quantity, "unit_price": "0.10"}]
'''


def test_a_period_priced_to_no_line_is_rated_once_and_a_late_event_adjusts_it(
    shop: Shop,
) -> None:
    keep_zero_usage_drafts(shop)
    code = smartcode(shop, "minutes_rate", "pricing", IDLE_NOTHING)
    metric(shop, "minutes", "sum", field="min", name="Minutes")
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Minutes")])
    shop.today("2026-02-02")
    # No January minutes: the SmartCode returns no line, and a 0.00 line records the rating
    [january] = shop.run("2026-02-01", finalize=True)
    assert lines_of(january) == [("2026-01-01", "0", "0.00", False)]
    [trace] = explained(shop, january)
    version_1 = ok(shop.api.get(f"/v1/smartcodes/{code['id']}/versions/1"))["id"]
    assert (trace["usage"]["revision"], trace["usage"]["smartcode_versions"]) == (
        1,
        {code["id"]: version_1},
    )
    unnumbered_draft(shop, january)
    # rated once: the same run again finds nothing due
    assert shop.run("2026-02-01", finalize=True) == []
    # a January event sent now is late (January's watermark moved with the rating)
    shop.today("2026-02-10")
    send(shop, [event("late", "minutes", "2026-01-20T10:00:00Z", min=30)])
    assert ok(shop.api.get("/v1/events", params={"q": "late"}))["data"][0]["late"] is True
    shop.today("2026-03-02")
    [march] = shop.run("2026-03-01", finalize=True)
    # January again: 30 × 0.10 = 3.00, 0.00 billed → +3.00 as an adjustment (not new usage);
    # February, idle: its 0.00 record. 3.00 net, VAT 20 % 0.60, 3.60; the first number drawn
    assert lines_of(march) == [
        ("2026-01-01", "30", "3.00", True),
        ("2026-02-01", "0", "0.00", False),
    ]
    assert adjustments(march) == [("2026-01-01", "30", "3.00")]
    assert [x["description"] for x in usage_lines(march) if x["adjustment"]] == [
        "Late usage 2026-01-01 – 2026-02-01: Minutes"
    ]
    assert totals(march) == ("3.00", "0.60", "3.60")
    assert (march["status"], march["number"]) == ("finalized", "F-2026-000001")
    # billed once: March, idle, is recorded on a draft of its own; January is not billed again
    shop.today("2026-04-02")
    [april] = shop.run("2026-04-01", finalize=True)
    assert lines_of(april) == [("2026-03-01", "0", "0.00", False)]
    unnumbered_draft(shop, april)


def test_by_default_an_idle_period_gets_a_numbered_invoice_of_zero(shop: Shop) -> None:
    code = smartcode(shop, "minutes_rate", "pricing", IDLE_NOTHING)
    metric(shop, "minutes", "sum", field="min", name="Minutes")
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0",
              "smartcode_id": code["id"]}  # fmt: skip
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Minutes")])
    shop.today("2026-02-02")
    # No January minutes: one 0.00 line records the rating, and the invoice is finalized like
    # any other: 0.00 net, 0.00 VAT, 0.00 due, the first number of the year
    [january] = shop.run("2026-02-01", finalize=True)
    assert lines_of(january) == [("2026-01-01", "0", "0.00", False)]
    assert totals(january) == ("0.00", "0.00", "0.00")
    assert (january["status"], january["number"]) == ("finalized", "F-2026-000001")
    # nothing owed: never overdue, and nothing left to pay
    stored = ok(shop.api.get(f"/v1/invoices/{january['id']}"))
    assert (stored["amount_due"], stored["overdue"]) == ("0.00", False)
    # a late January event is then an adjustment on March's invoice: 12 × 0.10 = +1.20
    shop.today("2026-02-10")
    send(shop, [event("late", "minutes", "2026-01-20T10:00:00Z", min=12)])
    shop.today("2026-03-02")
    [march] = shop.run("2026-03-01", finalize=True)
    assert adjustments(march) == [("2026-01-01", "12", "1.20")]
    # 1.20 net, VAT 20 % 0.24, 1.44; February's 0.00 record rides along; the second number
    assert totals(march) == ("1.20", "0.24", "1.44")
    assert march["number"] == "F-2026-000002"


# --- a late re-rating that changes only a prepaid draw ----------------------------------------


def test_a_draw_only_re_rating_makes_no_invoice_and_later_periods_read_it(shop: Shop) -> None:
    keep_zero_usage_drafts(shop)
    # A block of 1,000 text messages paid in advance, then 0.10 each.
    metric(shop, "texts", "sum", field="n", name="Texts")
    charge = {"metric": "texts", "model": "per_unit", "unit_price": "0.10", "prepaid_units": "1000"}
    calendar_contract(shop, [usage_product(shop, "texts", charge, "Texts")])
    shop.today("2026-03-02")
    send(
        shop,
        [
            event("t1", "texts", "2026-01-10T10:00:00Z", n=300),
            event("t2", "texts", "2026-02-10T10:00:00Z", n=200),
        ],
    )
    january, february = shop.run("2026-03-01", finalize=True)
    # January 300 and February 200, all from the block (500 left): 0 units billed, 0.00
    # each, nothing to invoice, so no number is drawn
    assert lines_of(january) == [("2026-01-01", "0", "0.00", False)]
    assert lines_of(february) == [("2026-02-01", "0", "0.00", False)]
    unnumbered_draft(shop, january)
    unnumbered_draft(shop, february)
    shop.today("2026-04-02")
    send(shop, [event("t3", "texts", "2026-01-25T10:00:00Z", n=100)])  # late
    [april] = shop.run("2026-04-01", finalize=True)
    # January again: 400 from the block, still 0.00: a 0.00 line records the new draw;
    # February still draws its 200 (400 + 200 ≤ 1,000): no line; March, idle: 0.00. Only 0.00
    # usage lines: a draft without a number, not a 0.00 invoice
    assert lines_of(april) == [
        ("2026-01-01", "0", "0.00", True),
        ("2026-03-01", "0", "0.00", False),
    ]
    unnumbered_draft(shop, april)
    drawn = sorted(
        (u["period"]["from"], u["revision"], u["prepaid_units_used"])
        for u in (x["usage"] for x in explained(shop, april))
    )
    assert drawn == [("2026-01-01", 2, "400"), ("2026-03-01", 1, "0")]
    # April reads the draws the drafts keep: 1,000 − (400 + 200 + 0) = 400 left, 700 − 400 =
    # 300 × 0.10 = 30.00 (with January's first draw, 300, it would be 200 × 0.10 = 20.00)
    shop.today("2026-05-02")
    send(shop, [event("t4", "texts", "2026-04-10T10:00:00Z", n=700)])
    [may] = shop.run("2026-05-01", finalize=True)
    assert lines_of(may) == [("2026-04-01", "300", "30.00", False)]
    # 30.00 net, VAT 20 % 6.00, 36.00: the first invoice worth a number
    assert totals(may) == ("30.00", "6.00", "36.00")
    assert (may["status"], may["number"]) == ("finalized", "F-2026-000001")


# --- numbers sent with `tarif events send --prop` ---------------------------------------------

BILLABLE_MINUTES = '''\
"""Billable minutes of a call: every started minute counts (61 s -> 2 min)."""
import math


def value(event):
    return math.ceil(event.properties["duration"] / 60)
'''


def test_prop_numbers_reach_a_valuation_smartcode_as_numbers(shop: Shop, tarif_cli: Any) -> None:
    code = smartcode(shop, "billable_minutes", "valuation", BILLABLE_MINUTES)
    metric(
        shop, "minutes", "sum", field="duration", name="Minutes",
        valuation_smartcode_id=code["id"],
    )  # fmt: skip
    charge = {"metric": "minutes", "model": "per_unit", "unit_price": "0.10"}
    calendar_contract(shop, [usage_product(shop, "calls", charge, "Minutes")])
    shop.today("2026-02-02")
    sent = []
    for tx, seconds in (("a", "61"), ("b", "120.5")):
        args = ["events", "send", "--transaction-id", tx, "--contract", "C-1",
                "--metric", "minutes", "--timestamp", "2026-01-12T10:00:00Z",
                "--prop", f"duration={seconds}", "--prop", "agent=007", "--json"]  # fmt: skip
        sent.append(tarif_cli(*args))
    # ceil(61 / 60) = 2; ceil(120.5 / 60) = ceil(2.008…) = 3: numbers, not the text "61"
    assert [(x["status"], x["value"]) for x in sent] == [("accepted", "2"), ("accepted", "3")]
    stored = ok(shop.api.get(f"/v1/events/{sent[0]['id']}"))["properties"]
    assert stored == {"duration": 61, "agent": "007"}  # a leading zero stays text
    [january] = shop.run("2026-02-01")
    # 2 + 3 = 5 min × 0.10 = 0.50
    assert lines_of(january) == [("2026-01-01", "5", "0.50", False)]


# --- the contract's current usage when its pricing SmartCode fails ----------------------------


def test_current_usage_names_a_failing_pricing_smartcode_once(shop: Shop) -> None:
    seeded_pricing(shop, FAILING)  # version 2 raises KeyError on its line 6
    contract = ok(shop.api.get("/v1/contracts"))["data"][0]["id"]
    now = ok(shop.api.get(f"/v1/contracts/{contract}/usage", params={"as_of": "2026-01-31"}))
    [line] = now["lines"]
    assert line["problem"] == (
        "cannot be priced: the pricing SmartCode 'minutes_rate' (version 2) failed on contract "
        "C-1, period 2026-01-01 – 2026-02-01: line 6: KeyError: 'US'"
    )
