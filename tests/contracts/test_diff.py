"""Readable differences between versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tarif.contracts.changes import (
    AddLine,
    ChangeDiscount,
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
from tests.contracts.factories import contract, hosting, licence, setup_fee

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
    assert diff(before, after) == [
        "line hosting: discounts none → 10% for 3 periods from 2026-03-01",
        "line licence: end date contract end → 2026-02-28",
        "line setup: added (1 × product prd_setup at 500.00 (pricelist), one_off in_advance, "
        "from 2026-03-01)",
    ]
    dropped = replace(before, lines=(hosting(),))
    assert diff(before, dropped) == ["line licence: removed"]


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
