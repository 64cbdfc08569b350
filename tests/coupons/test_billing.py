"""Coupons in billing runs, with hand-worked amounts.

The contracts run from 1 Jan 2026, billed monthly in advance, calendar-aligned: each month is
a whole period (no proration), so the arithmetic stays the coupon's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tarif.catalog import service as catalog
from tarif.context import Ctx
from tarif.coupons import service as coupons
from tarif.coupons.models import CouponRedemption
from tarif.invoicing import service
from tarif.invoicing.models import Invoice, InvoiceLine
from tests.contracts.conftest import World, price
from tests.coupons.conftest import make_coupon

JAN_1, FEB_1, MAR_1, APR_1 = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)


def from_january(world: World, **fields: Any) -> Any:
    """Hosting at 399.00 a month from 1 Jan 2026 (calendar), running."""
    values: dict[str, Any] = {"start_date": "2026-01-01", "billing_alignment": "calendar"}
    return world.running(**(values | fields))


def lines_of(ctx: Ctx, invoice_id: str | None) -> list[InvoiceLine]:
    return service.invoice_lines(ctx, invoice_id or "")


def coupon_lines(ctx: Ctx) -> list[InvoiceLine]:
    stmt = select(InvoiceLine).where(
        InvoiceLine.organization_id == ctx.organization_id, InvoiceLine.source == "coupon"
    )
    return list(ctx.session.scalars(stmt.order_by(InvoiceLine.due_on, InvoiceLine.position)))


def bill(ctx: Ctx, day: date) -> list[Invoice]:
    outcome = service.run_billing(ctx, day)
    return [service.get_invoice(ctx, d.invoice_id or "") for d in outcome.invoices]


def test_repeating_20_percent_for_three_months(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx, duration="repeating", duration_months=3)
    redemption = coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    assert redemption.ends_on == APR_1  # 1 Jan + 3 months, exclusive
    for day in (JAN_1, FEB_1, MAR_1):
        [invoice] = bill(ctx, day)
        hosting, discount = lines_of(ctx, invoice.id)
        # 399.00 × 20 % = 79.80 off; net 399.00 − 79.80 = 319.20; VAT 319.20 × 20 % = 63.84;
        # gross 319.20 + 63.84 = 383.04
        assert (hosting.net_amount, discount.net_amount) == (Decimal("399"), Decimal("-79.8"))
        assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
            Decimal("319.2"),
            Decimal("63.84"),
            Decimal("383.04"),
        )
        assert (discount.source, discount.kind, discount.contract_id) == (
            "coupon",
            "discount",
            contract.id,
        )
        assert discount.line_key == f"coupon:{redemption.id}:20"
        assert discount.description == "Coupon WELCOME20 (-20 %)"
        assert (discount.period_start, discount.period_end) == (
            hosting.period_start,
            hosting.period_end,
        )
        assert discount.vat_rate == Decimal(20) and discount.position == 2
    [april] = bill(ctx, APR_1)
    # 1 Apr is the redemption's (exclusive) end: April is billed in full, 399.00
    assert [line.source for line in lines_of(ctx, april.id)] == ["contract"]
    assert april.net_total == Decimal("399")
    assert redemption.status == "used_up"


def test_fixed_once_over_two_vat_rates(ctx: Ctx, world: World) -> None:
    books = catalog.create_product(
        ctx,
        {"code": "ebooks", "name_en": "E-books", "kind": "recurring", "vat_category": "reduced"},
    )
    price(ctx, world.pricelist, books, "100.00", periodicity="monthly", timing="in_advance")
    contract = from_january(
        world,
        lines=[
            {"product_id": world.hosting.id, "unit_price": "300.00"},
            {"product_id": books.id},
        ],
    )
    make_coupon(ctx, "FIFTY", kind="fixed", value="50", currency="EUR")
    redemption = coupons.redeem(ctx, contract.id, "FIFTY", on=JAN_1)
    [january] = bill(ctx, JAN_1)
    # 50 split in proportion of the bases 300 (20 %) and 100 (5.5 %): 50 × 300/400 = 37.50 and
    # 50 × 100/400 = 12.50
    assert [(c.vat_rate, c.net_amount, c.line_key) for c in coupon_lines(ctx)] == [
        (Decimal(20), Decimal("-37.5"), f"coupon:{redemption.id}:20"),
        (Decimal("5.5"), Decimal("-12.5"), f"coupon:{redemption.id}:5.5"),
    ]
    assert all(c.description == "Coupon FIFTY (-50.00 EUR)" for c in coupon_lines(ctx))
    # net 400 − 50 = 350.00; VAT (300 − 37.50) × 20 % = 52.50 and (100 − 12.50) × 5.5 % =
    # 4.8125 → 4.81; gross 350 + 52.50 + 4.81 = 407.31
    assert (january.net_total, january.vat_total, january.gross_total) == (
        Decimal("350"),
        Decimal("57.31"),
        Decimal("407.31"),
    )
    # once: the next invoice has no discount, and the redemption is used up
    [february] = bill(ctx, FEB_1)
    assert february.net_total == Decimal("400")
    assert (redemption.status, redemption.ends_on) == ("used_up", date(2026, 1, 2))
    assert len(coupon_lines(ctx)) == 2


def test_a_discount_never_takes_the_invoice_below_zero(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx, "BIG", kind="fixed", value="500", currency="EUR", duration="forever")
    coupons.redeem(ctx, contract.id, "BIG", on=JAN_1)
    [invoice] = bill(ctx, JAN_1)
    # 500 off a 399.00 base: capped at 399.00, the invoice nets to 0.00
    [discount] = coupon_lines(ctx)
    assert discount.net_amount == Decimal("-399")
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (0, 0, 0)


def test_the_same_run_twice_adds_no_second_coupon_line(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx, duration="forever")
    coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    bill(ctx, FEB_1)  # January and February: two invoices, one coupon line each
    assert bill(ctx, FEB_1) == []
    assert len(coupon_lines(ctx)) == 2


def test_the_unique_key_refuses_the_same_coupon_line_twice(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx, duration="forever")
    coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    bill(ctx, JAN_1)
    [stored] = coupon_lines(ctx)
    columns = {c.key: getattr(stored, c.key) for c in InvoiceLine.__table__.columns}
    with pytest.raises(IntegrityError), ctx.session.begin_nested():
        ctx.session.add(InvoiceLine(**(columns | {"id": "inl_copy", "position": 9})))
        ctx.session.flush()


def test_forever_until_removed(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx, duration="forever")
    redemption = coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    bill(ctx, FEB_1)
    coupons.remove_redemption(ctx, contract.id, redemption.id)
    [march] = bill(ctx, MAR_1)
    assert march.net_total == Decimal("399")
    # January's and February's discounts stay: 2 × −79.80
    assert [c.net_amount for c in coupon_lines(ctx)] == [Decimal("-79.8")] * 2


def test_a_dry_run_shows_the_discount_and_uses_nothing(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx)  # once
    redemption = coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    [preview] = service.run_billing(ctx, JAN_1, dry_run=True).invoices
    # 399.00 − 79.80 = 319.20
    assert preview.net_total == Decimal("319.2")
    assert [line.charge.net for line in preview.lines] == [Decimal(399), Decimal("-79.80")]
    ctx.session.expire_all()
    assert ctx.session.get_one(CouponRedemption, redemption.id).status == "active"
    [invoice] = bill(ctx, JAN_1)
    assert invoice.net_total == Decimal("319.2")


def test_only_the_redeeming_contracts_lines_are_discounted(ctx: Ctx, world: World) -> None:
    with_coupon = from_january(world)
    from_january(world, reference="C-2026-002")  # same customer: the same invoice
    make_coupon(ctx, duration="forever")
    coupons.redeem(ctx, with_coupon.id, "WELCOME20", on=JAN_1)
    [invoice] = bill(ctx, JAN_1)
    # two hosting lines (399.00 each), one discount of 399 × 20 % = 79.80 on the first:
    # net 798.00 − 79.80 = 718.20
    assert invoice.net_total == Decimal("718.2")
    [discount] = coupon_lines(ctx)
    assert discount.contract_id == with_coupon.id


def test_a_redemption_after_the_billing_date_waits(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx)  # once, redeemed today: 15 Jan
    coupons.redeem(ctx, contract.id, "WELCOME20")
    [january] = bill(ctx, JAN_1)
    assert january.net_total == Decimal("399")
    [february] = bill(ctx, FEB_1)
    # once, on the first invoice billed on or after 15 Jan: February, 399 − 79.80 = 319.20
    assert february.net_total == Decimal("319.2")


def test_regenerating_a_draft_keeps_one_coupon_line(ctx: Ctx, world: World) -> None:
    from tarif.invoicing.service_drafts import regenerate_draft

    contract = from_january(world)
    make_coupon(ctx, duration="forever")
    coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    [invoice] = bill(ctx, JAN_1)
    regenerate_draft(ctx, invoice.id)
    # the coupon line stays once: 399.00 − 79.80 = 319.20
    assert [c.net_amount for c in coupon_lines(ctx)] == [Decimal("-79.8")]
    assert service.get_invoice(ctx, invoice.id).net_total == Decimal("319.2")


def terminate_on(ctx: Ctx, contract_id: str, day: date) -> None:
    from tarif.contracts import service_lifecycle
    from tarif.contracts.term import TerminationMode

    service_lifecycle.terminate(
        ctx, contract_id, mode=TerminationMode.ON_DATE, on=day, with_credit=True
    )


MAR_21 = date(2026, 3, 21)


def test_a_credit_gives_back_the_coupon_share_its_days_received(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx, duration="repeating", duration_months=3)
    redemption = coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    for day in (JAN_1, FEB_1, MAR_1):
        bill(ctx, day)  # 399.00 − 79.80 each month
    terminate_on(ctx, contract.id, MAR_21)
    [credit] = bill(ctx, MAR_21)
    hosting, given_back = lines_of(ctx, credit.id)
    # [21 Mar, 1 Apr): 11 of 31 days, −399 × 11/31 = −141.5806… → −141.58; March's coupon
    # took 79.80 of 399.00 (20 %): 141.58 × 79.80 / 399.00 = 28.316 → +28.32
    assert (hosting.kind, hosting.net_amount) == ("credit", Decimal("-141.58"))
    assert (given_back.source, given_back.net_amount) == ("coupon", Decimal("28.32"))
    assert given_back.line_key == f"coupon:{redemption.id}:20:credited"
    assert given_back.description == "Coupon WELCOME20 (-20 %), on the days credited"
    assert (given_back.period_start, given_back.period_end) == (MAR_21, APR_1)
    # net −141.58 + 28.32 = −113.26 (319.20 paid × 11/31 = 113.2645…); VAT −22.652 → −22.65;
    # gross −135.91
    assert (credit.net_total, credit.vat_total, credit.gross_total) == (
        Decimal("-113.26"),
        Decimal("-22.65"),
        Decimal("-135.91"),
    )
    assert bill(ctx, MAR_21) == []  # run again: nothing new, the line is not given twice


def test_a_used_up_fixed_coupon_is_still_given_back_in_proportion(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    make_coupon(ctx, "HELLO50", kind="fixed", value="50.00", currency="EUR")  # once
    coupons.redeem(ctx, contract.id, "HELLO50", on=MAR_1)
    bill(ctx, MAR_1)  # 399.00 − 50.00 = 349.00; the once coupon is used up
    terminate_on(ctx, contract.id, MAR_21)
    [credit] = bill(ctx, MAR_21)
    # −141.58 credited (as above); the coupon took 50.00 of 399.00:
    # 141.58 × 50 / 399 = 17.7418… → +17.74; net −123.84, VAT −24.768 → −24.77, gross −148.61
    assert [line.net_amount for line in lines_of(ctx, credit.id)] == [
        Decimal("-141.58"),
        Decimal("17.74"),
    ]
    assert (credit.net_total, credit.vat_total, credit.gross_total) == (
        Decimal("-123.84"),
        Decimal("-24.77"),
        Decimal("-148.61"),
    )


def test_days_billed_before_the_coupon_are_credited_whole(ctx: Ctx, world: World) -> None:
    contract = from_january(world)
    bill(ctx, MAR_1)  # January to March at 399.00, no coupon yet
    make_coupon(ctx, duration="forever")
    coupons.redeem(ctx, contract.id, "WELCOME20", on=date(2026, 3, 10))
    terminate_on(ctx, contract.id, MAR_21)
    [credit] = bill(ctx, MAR_21)
    # March was paid in full: the 11 days come back whole, −141.58, and the coupon (for
    # what is billed from now on) takes nothing off a credit
    assert [line.net_amount for line in lines_of(ctx, credit.id)] == [Decimal("-141.58")]


def test_a_credit_note_gives_back_the_coupon_share_too(ctx: Ctx, world: World) -> None:
    contract = from_january(world, corrections="credit_note")
    make_coupon(ctx, duration="forever")
    coupons.redeem(ctx, contract.id, "WELCOME20", on=JAN_1)
    [january] = bill(ctx, JAN_1)  # 399.00 − 79.80 = 319.20
    service.finalize_invoice(ctx, january.id)
    terminate_on(ctx, contract.id, date(2026, 1, 21))
    [note] = bill(ctx, date(2026, 1, 21))
    # A credit note correcting January: [21 Jan, 1 Feb) is 11 of 31 days, −141.58, and
    # January's coupon share of them comes back, +28.32 (as above): net −113.26
    assert (note.kind, note.corrects_invoice_id) == ("credit_note", january.id)
    assert [(line.source, line.net_amount) for line in lines_of(ctx, note.id)] == [
        ("contract", Decimal("-141.58")),
        ("coupon", Decimal("28.32")),
    ]
    assert note.net_total == Decimal("-113.26")


def change_price(ctx: Ctx, contract_id: str, day: date, price: str) -> None:
    from tarif.contracts import service as contracts
    from tarif.contracts.schemas import AmendmentCreate, parse

    body = {
        "effective_date": day.isoformat(),
        "reason": "price",
        "changes": [{"type": "change_price", "line_key": "hosting", "unit_price": price}],
    }
    amendment = contracts.create_amendment(ctx, contract_id, data=parse(AmendmentCreate, body))
    contracts.schedule_amendment(ctx, amendment.id)


def test_two_upgrades_in_a_month_keep_its_fixed_amount_at_50(ctx: Ctx, world: World) -> None:
    contract = from_january(world, lines=[{"product_id": world.hosting.id, "unit_price": "310"}])
    make_coupon(ctx, "SAVE50", kind="fixed", value="50", currency="EUR", duration="forever")
    coupons.redeem(ctx, contract.id, "SAVE50", on=MAR_1)
    bill(ctx, MAR_1)  # January and February full price (before the redemption), March 260.00
    change_price(ctx, contract.id, date(2026, 3, 10), "620")
    [first] = bill(ctx, date(2026, 3, 10))
    # [10 Mar, 1 Apr) = 22 of 31 days: credit −220.00, 220.00 × 50/310 = 35.48 back; charge
    # 440.00 and the 35.48 left of March's 50.00: net 220.00
    assert [line.net_amount for line in lines_of(ctx, first.id)] == [
        Decimal("-220"),
        Decimal("35.48"),
        Decimal("440"),
        Decimal("-35.48"),
    ]
    assert first.net_total == Decimal("220")
    change_price(ctx, contract.id, date(2026, 3, 20), "930")
    [second] = bill(ctx, date(2026, 3, 20))
    # [20 Mar, 1 Apr) = 12 days: credit −620 × 12/31 = −240.00, charge 930 × 12/31 = 360.00;
    # whatever share of the coupon the credit gives back, the charge gets the same back from
    # March's 50.00: net 120.00. March in all: 260.00 + 220.00 + 120.00 = 600.00 =
    # 310 × 9/31 + 620 × 10/31 + 360.00 − 50.00 = 90.00 + 200.00 + 360.00 − 50.00
    coupon_nets = [line.net_amount for line in lines_of(ctx, second.id) if line.source == "coupon"]
    assert len(coupon_nets) == 2 and sum(coupon_nets) == 0 and coupon_nets[0] > 0
    assert second.net_total == Decimal("120")


def test_a_credit_note_draft_frees_the_amount_the_same_run_gives_the_new_charge(
    ctx: Ctx, world: World
) -> None:
    contract = from_january(
        world,
        lines=[{"product_id": world.hosting.id, "unit_price": "310"}],
        corrections="credit_note",
    )
    make_coupon(ctx, "SAVE50", kind="fixed", value="50", currency="EUR", duration="forever")
    coupons.redeem(ctx, contract.id, "SAVE50", on=MAR_1)
    march = bill(ctx, MAR_1)[-1]  # 310.00 − 50.00
    service.finalize_invoice(ctx, march.id)
    change_price(ctx, contract.id, date(2026, 3, 15), "620")
    made = {i.kind: i for i in bill(ctx, date(2026, 3, 15))}
    note, invoice = made["credit_note"], made["invoice"]
    # the credit note of March: −170.00 and 170.00 × 50/310 = 27.42 of the coupon back
    assert [line.net_amount for line in lines_of(ctx, note.id)] == [
        Decimal("-170"),
        Decimal("27.42"),
    ]
    # the new charge 340.00 gets the 27.42 left of March's 50.00: net 312.58, VAT 62.516 →
    # 62.52, gross 375.10
    assert [line.net_amount for line in lines_of(ctx, invoice.id)] == [
        Decimal("340"),
        Decimal("-27.42"),
    ]
    assert (invoice.net_total, invoice.gross_total) == (Decimal("312.58"), Decimal("375.10"))
