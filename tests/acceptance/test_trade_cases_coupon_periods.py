"""Worked cases of coupons across a billing period billed on several invoices, through the API.

A coupon discounts billing periods of a contract, not invoices (docs/discounts.md, "Coupons
discount periods, not invoices"): an amendment inside a period bills its prorated credit and
charge on an extra invoice, and that invoice belongs to the period already billed. A fixed
amount is taken once per period; a percentage applies to every charge of a discounted period;
"once" and "repeating" count the periods the coupon discounts, never the extra invoices.

Every contract bills hosting monthly in advance, calendar-aligned, from 1 March 2026 (31 days):
a change on 15 March affects [15 Mar, 1 Apr), 17 of 31 days.
"""

from __future__ import annotations

from typing import Any

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals

FIXED_50 = {"kind": "fixed", "value": "50.00", "currency": "EUR"}
PERCENT_20 = {"kind": "percentage", "value": "20"}


def coupon(shop: Shop, code: str, **body: Any) -> None:
    ok(shop.api.post("/v1/coupons", json={"code": code} | body), 201)


def hosting_from_march(shop: Shop, price: str = "310.00") -> str:
    return shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": price}],
        billing_alignment="calendar",
    )


def redeem(shop: Shop, contract: str, code: str) -> dict[str, Any]:
    return dict(ok(shop.api.post(f"/v1/contracts/{contract}/coupons", json={"code": code}), 201))


def amend(shop: Shop, contract: str, day: str, *changes: dict[str, Any]) -> None:
    body = {"effective_date": day, "reason": "change", "schedule": True, "changes": list(changes)}
    ok(shop.api.post(f"/v1/contracts/{contract}/amendments", json=body), 201)


def new_price(price: str) -> dict[str, Any]:
    return {"type": "change_price", "line_key": "hosting", "unit_price": price}


def test_a_fixed_coupon_takes_its_amount_once_in_a_month_billed_on_two_invoices(
    shop: Shop,
) -> None:
    coupon(shop, "SAVE50", duration="forever", **FIXED_50)
    contract = hosting_from_march(shop)
    redeem(shop, contract, "SAVE50")
    [march] = shop.run("2026-03-01")
    # 310.00 − 50.00 = 260.00, VAT 52.00, gross 312.00
    assert nets(march) == ["310.00", "-50.00"]
    assert totals(march) == ("260.00", "52.00", "312.00")
    amend(shop, contract, "2026-03-15", new_price("620.00"))
    [change] = shop.run("2026-03-15")
    # credit −310 × 17/31 = −170.00, and March's coupon share of those days back:
    # 170.00 × 50.00/310.00 = 27.419… → +27.42; charge 620 × 17/31 = 340.00. March's 50.00
    # now takes 50.00 − 27.42 = 22.58 off the days kept, so 27.42 is left for the new charge:
    # −27.42, not another −50.00. Net −170.00 + 27.42 + 340.00 − 27.42 = 170.00, VAT 34.00
    assert nets(change) == ["-170.00", "27.42", "340.00", "-27.42"]
    assert totals(change) == ("170.00", "34.00", "204.00")
    # March in all: 310 × 14/31 + 340.00 = 140.00 + 340.00 = 480.00 billed, 50.00 off:
    # 260.00 + 170.00 = 430.00 = 480.00 − 50.00
    [april] = shop.run("2026-04-01")
    # a new period, a new 50.00: 620.00 − 50.00 = 570.00, VAT 114.00, gross 684.00
    assert nets(april) == ["620.00", "-50.00"]
    assert totals(april) == ("570.00", "114.00", "684.00")


def test_a_line_added_mid_month_gets_no_second_amount(shop: Shop) -> None:
    coupon(shop, "SAVE50", duration="forever", **FIXED_50)
    support = shop.product(
        "support", unit_price="100.00", periodicity="monthly", timing="in_advance"
    )
    contract = hosting_from_march(shop)
    redeem(shop, contract, "SAVE50")
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["310.00", "-50.00"]
    amend(shop, contract, "2026-03-15", {"type": "add_line", "line": {"product_id": support}})
    [added] = shop.run("2026-03-15")
    # support for [15 Mar, 1 Apr): 100 × 17/31 = 54.838… → 54.84. March already had its
    # 50.00 off (hosting 310.00 is larger): no coupon line. VAT 10.968 → 10.97
    assert nets(added) == ["54.84"]
    assert totals(added) == ("54.84", "10.97", "65.81")
    [april] = shop.run("2026-04-01")
    # one period, one amount over both lines: 310.00 + 100.00 − 50.00 = 360.00, VAT 72.00
    assert nets(april) == ["310.00", "100.00", "-50.00"]
    assert totals(april) == ("360.00", "72.00", "432.00")


def test_a_repeating_fixed_coupon_counts_months_not_invoices(shop: Shop) -> None:
    coupon(shop, "TWO50", duration="repeating", duration_months=2, **FIXED_50)
    contract = hosting_from_march(shop)
    shop.today("2026-03-01")
    redemption = redeem(shop, contract, "TWO50")
    # redeemed 1 Mar, for the periods billed before 1 May: March and April
    assert (redemption["redeemed_on"], redemption["ends_on"]) == ("2026-03-01", "2026-05-01")
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["310.00", "-50.00"]
    amend(shop, contract, "2026-03-15", new_price("620.00"))
    [change] = shop.run("2026-03-15")
    # March's amount completed as above (27.42 given back, 27.42 taken), not a third amount
    assert nets(change) == ["-170.00", "27.42", "340.00", "-27.42"]
    [april] = shop.run("2026-04-01")
    # April is the second period: 620.00 − 50.00 = 570.00
    assert nets(april) == ["620.00", "-50.00"]
    [may] = shop.run("2026-05-01")
    # May is billed on the redemption's (exclusive) end: full price, 620.00 + 124.00 = 744.00
    assert nets(may) == ["620.00"]
    assert totals(may) == ("620.00", "124.00", "744.00")


def test_a_once_fixed_coupon_covers_the_whole_of_its_month(shop: Shop) -> None:
    coupon(shop, "HELLO50", duration="once", **FIXED_50)
    contract = hosting_from_march(shop)
    redeem(shop, contract, "HELLO50")
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["310.00", "-50.00"]
    amend(shop, contract, "2026-03-15", new_price("620.00"))
    [change] = shop.run("2026-03-15")
    # the once coupon is March's: the upgrade's days of March keep their share of it,
    # 27.42 given back on the credit and 27.42 taken off the new charge, as above
    assert nets(change) == ["-170.00", "27.42", "340.00", "-27.42"]
    assert totals(change) == ("170.00", "34.00", "204.00")
    [april] = shop.run("2026-04-01")
    assert nets(april) == ["620.00"]  # used: April is full price


def test_a_once_coupon_redeemed_after_the_month_was_billed_waits_for_the_next_month(
    shop: Shop,
) -> None:
    coupon(shop, "WELCOME20", duration="once", **PERCENT_20)
    contract = hosting_from_march(shop)
    [march] = shop.run("2026-03-01")
    assert nets(march) == ["310.00"]
    shop.today("2026-03-10")
    redeem(shop, contract, "WELCOME20")
    amend(shop, contract, "2026-03-15", new_price("620.00"))
    [change] = shop.run("2026-03-15")
    # March was billed before the redemption: its days come back whole (−170.00) and the
    # new charge for them (340.00) is not discounted either. The extra invoice is not a period
    # of its own, so it does not use the once coupon. 170.00, VAT 34.00, gross 204.00
    assert nets(change) == ["-170.00", "340.00"]
    assert totals(change) == ("170.00", "34.00", "204.00")
    [april] = shop.run("2026-04-01")
    # the first period billed after the redemption: 620 × 20 % = 124.00 off, 496.00, VAT 99.20
    assert nets(april) == ["620.00", "-124.00"]
    assert totals(april) == ("496.00", "99.20", "595.20")
    [may] = shop.run("2026-05-01")
    assert nets(may) == ["620.00"]


def test_a_percentage_coupon_discounts_an_upgrades_charge_in_its_month(shop: Shop) -> None:
    coupon(shop, "WELCOME20", duration="repeating", duration_months=1, **PERCENT_20)
    contract = hosting_from_march(shop)
    shop.today("2026-03-01")
    redeem(shop, contract, "WELCOME20")  # March only: billed before 1 Apr
    [march] = shop.run("2026-03-01")
    # 310 × 20 % = 62.00 off: 248.00
    assert nets(march) == ["310.00", "-62.00"]
    amend(shop, contract, "2026-03-15", new_price("620.00"))
    [change] = shop.run("2026-03-15")
    # credit −170.00 with its 20 % back (+34.00); charge 340.00 with 20 % off (−68.00):
    # net 136.00, VAT 27.20, gross 163.20. March in all: 248.00 + 136.00 = 384.00 =
    # 480.00 × 80 %
    assert nets(change) == ["-170.00", "34.00", "340.00", "-68.00"]
    assert totals(change) == ("136.00", "27.20", "163.20")
    [april] = shop.run("2026-04-01")
    assert nets(april) == ["620.00"]  # one month: April is full price


def test_a_fixed_coupon_never_takes_a_downgrades_charge_below_zero(shop: Shop) -> None:
    coupon(shop, "SAVE50", duration="forever", **FIXED_50)
    contract = hosting_from_march(shop)
    redeem(shop, contract, "SAVE50")
    shop.run("2026-03-01")  # 310.00 − 50.00
    amend(shop, contract, "2026-03-15", new_price("31.00"))
    [change] = shop.run("2026-03-15")
    # credit −170.00, +27.42 of the coupon back; charge 31 × 17/31 = 17.00. 27.42 of March's
    # amount is left but the charge is 17.00: −17.00, the charge nets to 0.00.
    # Net −170.00 + 27.42 + 17.00 − 17.00 = −142.58, VAT −28.516 → −28.52, gross −171.10
    assert nets(change) == ["-170.00", "27.42", "17.00", "-17.00"]
    assert totals(change) == ("-142.58", "-28.52", "-171.10")
    [april] = shop.run("2026-04-01")
    # 50.00 off 31.00 is capped at 31.00: the invoice nets to 0.00
    assert nets(april) == ["31.00", "-31.00"]
    assert totals(april) == ("0.00", "0.00", "0.00")
