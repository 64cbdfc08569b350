"""Readable differences between versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tarif.contracts.changes import (
    AddLine,
    ChangeDiscount,
    ChangePrice,
    ChangeQuantity,
    ChangeTerm,
    RemoveLine,
    apply_changes,
)
from tarif.contracts.diff import diff
from tarif.contracts.model import (
    Discount,
    DiscountKind,
    LinePriceSource,
    RenewalPolicy,
    metadata_of,
)
from tests.contracts.factories import api_calls, contract, hosting, licence, setup_fee

OVERRIDE = LinePriceSource.OVERRIDE

MAR_1 = date(2026, 3, 1)


def test_identical_terms_have_no_diff() -> None:
    assert diff(contract(), contract()) == []


def test_a_quantity_change_reads_naturally() -> None:
    before = contract()
    after = apply_changes(before, [ChangeQuantity("hosting", Decimal(3))], MAR_1)
    assert diff(before, after) == ["line hosting: quantity 1 → 3"]


def test_end_dates_are_shown_as_last_days() -> None:
    # Ends 1 Jan 2027 and 1 Jul 2027 (exclusive) are the last days 31 Dec 2026 and 30 Jun 2027.
    before = contract(end_date=date(2027, 1, 1))
    after = apply_changes(before, [ChangeTerm(end_date=date(2027, 7, 1))], MAR_1)
    assert diff(before, after) == ["end date 2026-12-31 → 2027-06-30"]


def test_lines_added_removed_and_discounted() -> None:
    before = contract(lines=(hosting(), licence()))
    after = apply_changes(
        before,
        [
            RemoveLine("licence"),
            AddLine(setup_fee()),
            ChangeDiscount("hosting", (Discount(DiscountKind.PERCENTAGE, Decimal(10), periods=3),)),
        ],
        MAR_1,
    )
    codes = {"prd_setup": "setup", "prd_hosting": "hosting"}
    assert diff(before, after, product_codes=codes) == [
        "line hosting: discounts none → 10% for 3 periods from 2026-03-01",
        "line licence: end date contract end → 2026-02-28",
        "line added: setup (one_off) 1 × 500.00 from 2026-03-01",
    ]
    dropped = replace(before, lines=(hosting(),))
    assert diff(before, dropped) == ["line licence: removed"]


def test_an_added_line_is_named_by_its_product_code() -> None:
    before = contract()
    usage = api_calls(line_key="calls")
    fee = setup_fee(line_key="fee", unit_price=Decimal("450.00"), price_source=OVERRIDE)
    after = apply_changes(before, [AddLine(usage), AddLine(fee)], MAR_1)
    codes = {"prd_api_calls": "API-CALLS", "prd_setup": "SETUP-FEE"}
    # Keys differ from the codes, so both are named; the usage line has no unit price and is
    # billed in arrears; the fee's 450.00 was typed on the contract.
    assert diff(before, after, product_codes=codes) == [
        "line added: API-CALLS as line calls (monthly) 1, priced by usage, billed in arrears "
        "from 2026-03-01",
        "line added: SETUP-FEE as line fee (one_off) 1 × 450.00 (override) from 2026-03-01",
    ]
    # Without a code for it, a product shows by its id.
    assert diff(before, after)[1].startswith("line added: prd_setup as line fee (one_off)")


def test_prices_show_the_currency_minor_unit_whatever_form_they_were_stored_in() -> None:
    # The catalog gives back prices without trailing zeros (399, 120); EUR has 2 decimals.
    before = contract(lines=(hosting(unit_price=Decimal(399)), licence(unit_price=Decimal(120))))
    after = apply_changes(
        before,
        [
            ChangePrice("hosting", Decimal("379.00"), OVERRIDE),
            ChangePrice("licence", Decimal("0.0025"), OVERRIDE),
        ],
        MAR_1,
    )
    assert diff(before, after) == [
        "line hosting: unit price 399.00 (pricelist) → 379.00 (override)",
        "line licence: unit price 120.00 (override) → 0.0025 (override)",
    ]
    # 399 and 399.00 are the same price: no change to report.
    assert diff(before, replace(before, lines=(hosting(), licence()))) == []
    # JPY has no minor unit: 1000 stays 1000, and 1000.5 keeps its decimal.
    yen = contract(currency="JPY", lines=(hosting(unit_price=Decimal(1000)),))
    repriced = apply_changes(yen, [ChangePrice("hosting", Decimal("1000.5"))], MAR_1)
    assert diff(yen, repriced) == ["line hosting: unit price 1000 (pricelist) → 1000.5 (override)"]


def test_contract_fields_and_metadata() -> None:
    before = contract(metadata=metadata_of({"crm": "42"}))
    after = replace(
        before,
        initial_term_months=12,
        renewal=RenewalPolicy.auto(12),
        purchase_order="PO-7",
        metadata=metadata_of({"crm": "43", "region": "EU"}),
    )
    assert diff(before, after) == [
        "initial term none → 12 months",
        "renewal no renewal → auto-renew 12 months",
        "purchase order none → PO-7",
        "metadata crm: 42 → 43",
        "metadata region: none → EU",
    ]


def test_a_price_override_shows_its_source() -> None:
    before = contract()
    after = replace(
        before,
        lines=(hosting(unit_price=Decimal("349.00"), price_source=LinePriceSource.OVERRIDE),),
    )
    assert diff(before, after) == [
        "line hosting: unit price 399.00 (pricelist) → 349.00 (override)"
    ]


def test_the_termination_credit_setting_reads_as_yes_or_no() -> None:
    before = contract()
    after = replace(before, credit_on_termination=False)
    assert diff(before, after) == ["credit on termination yes → no"]
