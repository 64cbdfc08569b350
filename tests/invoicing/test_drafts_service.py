"""Editing draft invoices: one-off lines, notes, regenerate, delete (services, both databases).

Today is 15 Jan 2026. `world.running()` is hosting 399.00 a month in advance from 1 Feb 2026, so a
run as of 1 Feb makes one draft with one contract line of 399.00 at 20 %.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete

from tarif.catalog import service as catalog
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import AmendmentCreate, parse
from tarif.coupons import service as coupons
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.invoicing import service
from tarif.invoicing.models import Invoice, InvoiceLine
from tests.contracts.conftest import World, other_ctx
from tests.invoicing.conftest import FEB_1, german_company

__all__ = ["other_ctx"]  # fixture shared with tests/contracts

TRAINING = {"description": "Training day", "quantity": "2", "unit_price": "75.50"}


def february_draft(ctx: Ctx, world: World, **fields: Any) -> Invoice:
    """The 1 Feb 2026 draft of a 399.00 hosting contract (one contract line)."""
    world.running(**fields)
    [draft] = service.run_billing(ctx, FEB_1).invoices
    return service.get_invoice(ctx, draft.invoice_id or "")


def totals(invoice: Invoice) -> tuple[Decimal, Decimal, Decimal]:
    return invoice.net_total, invoice.vat_total, invoice.gross_total


def field_of(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e.field for e in exc.value.errors]


def test_a_manual_line_is_priced_with_the_contract_lines(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    assert totals(invoice) == (Decimal("399.00"), Decimal("79.80"), Decimal("478.80"))
    line = service.add_line(ctx, invoice.id, TRAINING | {"vat_category": "standard"})
    assert (line.source, line.position, line.contract_id, line.vat_rate) == (
        "manual",
        2,
        None,
        Decimal(20),
    )
    # net 399.00 + 2 × 75.50 = 399.00 + 151.00 = 550.00; VAT 550.00 × 20 % = 110.00; gross 660.00
    assert totals(invoice) == (Decimal("550.00"), Decimal("110.00"), Decimal("660.00"))
    assert invoice.vat_breakdown == [{"rate": "20", "base": "550.00", "vat": "110.00"}]
    assert line.net_amount == Decimal("151.00")


def test_a_reduced_rate_line_adds_a_second_rate_to_the_breakdown(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    service.add_line(
        ctx,
        invoice.id,
        {"description": "Books", "quantity": "1", "unit_price": "99.99", "vat_category": "reduced"},
    )
    # 20 %: base 399.00, VAT 79.80; 5.5 %: base 99.99, VAT 99.99 × 0.055 = 5.49945 → 5.50
    assert invoice.vat_breakdown == [
        {"rate": "20", "base": "399.00", "vat": "79.80"},
        {"rate": "5.5", "base": "99.99", "vat": "5.50"},
    ]
    # net 399.00 + 99.99 = 498.99; VAT 79.80 + 5.50 = 85.30; gross 584.29
    assert totals(invoice) == (Decimal("498.99"), Decimal("85.30"), Decimal("584.29"))


def test_a_product_gives_its_vat_category_and_description(ctx: Ctx, world: World) -> None:
    books = catalog.create_product(
        ctx, {"code": "books", "name_en": "Printed manual", "kind": "one_off"}
    )
    catalog.update_product(ctx, books.id, {"vat_category": "super_reduced"})
    invoice = february_draft(ctx, world)
    line = service.add_line(
        ctx, invoice.id, {"product_id": books.id, "quantity": "3", "unit_price": "10"}
    )
    assert (line.description, line.vat_category, line.vat_rate) == (
        "Printed manual",
        "super_reduced",
        Decimal("2.1"),
    )
    # 3 × 10 = 30.00 at 2.1 % = 0.63; net 399.00 + 30.00 = 429.00; VAT 79.80 + 0.63 = 80.43
    assert totals(invoice) == (Decimal("429.00"), Decimal("80.43"), Decimal("509.43"))


def test_a_reverse_charge_customers_manual_line_has_no_vat(ctx: Ctx, world: World) -> None:
    customer = german_company(ctx)
    invoice = february_draft(ctx, world, customer_id=customer.id)
    assert invoice.tax_treatment == "reverse_charge"
    line = service.add_line(ctx, invoice.id, TRAINING | {"vat_category": "standard"})
    assert line.vat_rate == Decimal(0)
    # 399.00 + 151.00 = 550.00, no VAT
    assert totals(invoice) == (Decimal("550.00"), Decimal("0.00"), Decimal("550.00"))
    assert invoice.vat_breakdown == [{"rate": "0", "base": "550.00", "vat": "0.00"}]


def test_removing_a_manual_line_renumbers_and_restores_the_totals(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    service.add_line(ctx, invoice.id, TRAINING | {"vat_category": "standard"})
    service.add_line(
        ctx,
        invoice.id,
        {"description": "Audit", "quantity": "1", "unit_price": "10", "vat_category": "standard"},
    )
    service.remove_line(ctx, invoice.id, 2)
    lines = service.invoice_lines(ctx, invoice.id)
    assert [(line.position, line.description) for line in lines] == [(1, "Hosting"), (2, "Audit")]
    # 399.00 + 10.00 = 409.00; VAT 81.80; gross 490.80
    assert totals(invoice) == (Decimal("409.00"), Decimal("81.80"), Decimal("490.80"))
    service.remove_line(ctx, invoice.id, 2)
    assert totals(invoice) == (Decimal("399.00"), Decimal("79.80"), Decimal("478.80"))


def test_a_contract_line_is_not_removed(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    with pytest.raises(Conflict, match="regenerate or amend the contract"):
        service.remove_line(ctx, invoice.id, 1)
    with pytest.raises(NotFound, match="no line 7"):
        service.remove_line(ctx, invoice.id, 7)


def test_bad_lines_name_every_field(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    with pytest.raises(InvalidInput) as negative:
        service.add_line(ctx, invoice.id, TRAINING | {"quantity": "-1", "vat_category": "standard"})
    assert field_of(negative) == ["quantity"]
    assert "credit note" in negative.value.errors[0].message
    with pytest.raises(InvalidInput) as order:
        service.add_line(
            ctx,
            invoice.id,
            TRAINING
            | {
                "vat_category": "standard",
                "period_start": "2026-02-10",
                "period_last_day": "2026-02-01",
            },
        )
    assert field_of(order) == ["period_last_day"]
    with pytest.raises(InvalidInput) as half:
        service.add_line(
            ctx, invoice.id, TRAINING | {"vat_category": "standard", "period_start": "2026-02-01"}
        )
    assert field_of(half) == ["period_last_day"]
    with pytest.raises(InvalidInput) as everything:
        service.add_line(
            ctx, invoice.id, {"quantity": "1.0000001", "unit_price": "-5", "vat_category": "x"}
        )
    assert sorted(field_of(everything)) == [
        "description",
        "quantity",
        "unit_price",
        "vat_category",
    ]
    # Nothing was written: still the contract line alone.
    assert len(service.invoice_lines(ctx, invoice.id)) == 1


def test_a_line_with_a_period_stores_it_half_open(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    line = service.add_line(
        ctx,
        invoice.id,
        TRAINING
        | {
            "vat_category": "standard",
            "period_start": "2026-02-01",
            "period_last_day": "2026-02-28",
        },
    )
    assert (line.period_start.isoformat(), line.period_end.isoformat()) == (  # type: ignore[union-attr]
        "2026-02-01",
        "2026-03-01",
    )


def test_notes_and_purchase_order(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    service.update_draft(ctx, invoice.id, {"notes": " Thanks! ", "purchase_order": "PO-77"})
    assert (invoice.notes, invoice.purchase_order) == ("Thanks!", "PO-77")
    service.update_draft(ctx, invoice.id, {"purchase_order": ""})
    assert (invoice.notes, invoice.purchase_order) == ("Thanks!", None)
    with pytest.raises(InvalidInput) as long:
        service.update_draft(ctx, invoice.id, {"purchase_order": "x" * 101})
    assert field_of(long) == ["purchase_order"]


def test_a_finalized_invoice_takes_no_edit(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    service.finalize_invoice(ctx, invoice.id)
    edits = [
        lambda: service.add_line(ctx, invoice.id, TRAINING | {"vat_category": "standard"}),
        lambda: service.remove_line(ctx, invoice.id, 1),
        lambda: service.update_draft(ctx, invoice.id, {"notes": "late"}),
        lambda: service.regenerate_draft(ctx, invoice.id),
        lambda: service.delete_draft(ctx, invoice.id),
    ]
    for edit in edits:
        with pytest.raises(
            Conflict, match="invoice F-2026-000001 is finalized: issue a credit note"
        ):
            edit()
    assert totals(invoice) == (Decimal("399.00"), Decimal("79.80"), Decimal("478.80"))


def test_regenerate_after_a_quantity_amendment_keeps_the_manual_lines(
    ctx: Ctx, world: World
) -> None:
    invoice = february_draft(ctx, world)
    service.add_line(ctx, invoice.id, TRAINING | {"vat_category": "standard"})
    contract_id = service.invoice_lines(ctx, invoice.id)[0].contract_id or ""
    body = {
        "effective_date": "2026-02-01",
        "reason": "three servers",
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
    }
    amendment = contracts.create_amendment(ctx, contract_id, data=parse(AmendmentCreate, body))
    contracts.schedule_amendment(ctx, amendment.id)
    contracts.apply_due(ctx, as_of=FEB_1)  # what a run does first; regenerate does not
    done = service.regenerate_draft(ctx, invoice.id)
    assert (done.outcome, done.contract_lines, done.invoice) == ("regenerated", 1, invoice)
    lines = service.invoice_lines(ctx, invoice.id)
    # The manual line first, then February at version 2: 3 × 399.00 = 1197.00
    assert [(ln.position, ln.source, ln.contract_version, ln.net_amount) for ln in lines] == [
        (1, "manual", None, Decimal("151.00")),
        (2, "contract", 2, Decimal("1197.00")),
    ]
    # net 151.00 + 1197.00 = 1348.00; VAT 269.60; gross 1617.60
    assert totals(invoice) == (Decimal("1348.00"), Decimal("269.60"), Decimal("1617.60"))
    # Nothing is billed twice: a run on the same day adds nothing.
    assert service.run_billing(ctx, FEB_1).invoices == []


def _cheaper_from_february(ctx: Ctx, invoice: Invoice, price: str) -> None:
    contract_id = service.invoice_lines(ctx, invoice.id)[0].contract_id or ""
    body = {
        "effective_date": "2026-02-01",
        "reason": "price agreed",
        "changes": [{"type": "change_price", "line_key": "hosting", "unit_price": price}],
    }
    amendment = contracts.create_amendment(ctx, contract_id, data=parse(AmendmentCreate, body))
    contracts.schedule_amendment(ctx, amendment.id)
    contracts.apply_due(ctx, as_of=FEB_1)


def test_regenerate_prices_the_typed_discounts_again(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    coupons.add_invoice_discount(ctx, invoice.id, "percentage", "10")
    coupons.add_invoice_discount(ctx, invoice.id, "fixed", "300.00")
    # 399.00 - 39.90 (10 %) - 300.00 = 59.10
    assert invoice.net_total == Decimal("59.10")
    _cheaper_from_february(ctx, invoice, "199.00")
    service.regenerate_draft(ctx, invoice.id)
    lines = service.invoice_lines(ctx, invoice.id)
    # 10 % of 199.00 = 19.90; the 300.00 is capped at what is left, 199.00 - 19.90 = 179.10:
    # the draft nets to 0.00 rather than 199.00 - 39.90 - 300.00 = -140.90
    assert [(ln.position, ln.source, ln.description, ln.net_amount) for ln in lines] == [
        (1, "discount", "Discount (-10 %)", Decimal("-19.90")),
        (2, "discount", "Discount (-300.00 EUR)", Decimal("-179.10")),
        (3, "contract", "Hosting", Decimal("199.00")),
    ]
    assert totals(invoice) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_discount_typed_before_a_line_does_not_cover_it_after_regenerating(
    ctx: Ctx, world: World
) -> None:
    invoice = february_draft(ctx, world)
    coupons.add_invoice_discount(ctx, invoice.id, "percentage", "10")
    service.add_line(ctx, invoice.id, TRAINING | {"vat_category": "standard"})
    coupons.add_invoice_discount(ctx, invoice.id, "percentage", "50")
    _cheaper_from_february(ctx, invoice, "199.00")
    service.regenerate_draft(ctx, invoice.id)
    nets = [ln.net_amount for ln in service.invoice_lines(ctx, invoice.id)]
    # 10 % of 199.00 = 19.90 (not of the training line, typed after it); the training line
    # 151.00; 50 % of 199.00 - 19.90 + 151.00 = 330.10 → 165.05; then the contract line
    assert nets == [Decimal("-19.90"), Decimal("151.00"), Decimal("-165.05"), Decimal("199.00")]
    # 199.00 - 19.90 + 151.00 - 165.05 = 165.05, VAT 33.01
    assert totals(invoice) == (Decimal("165.05"), Decimal("33.01"), Decimal("198.06"))


def test_regenerate_with_nothing_due_keeps_manual_lines_or_deletes(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    contract_id = service.invoice_lines(ctx, invoice.id)[0].contract_id or ""
    contracts.suspend(ctx, contract_id)  # from today, 15 Jan: February is not owed any more
    service.add_line(ctx, invoice.id, TRAINING | {"vat_category": "standard"})
    done = service.regenerate_draft(ctx, invoice.id)
    assert (done.outcome, done.contract_lines) == ("manual_lines_only", 0)
    # 2 × 75.50 = 151.00; VAT 30.20; gross 181.20
    assert totals(invoice) == (Decimal("151.00"), Decimal("30.20"), Decimal("181.20"))
    service.remove_line(ctx, invoice.id, 1)
    gone = service.regenerate_draft(ctx, invoice.id)
    assert (gone.outcome, gone.invoice) == ("deleted", None)
    with pytest.raises(NotFound):
        service.get_invoice(ctx, invoice.id)


def test_a_deleted_draft_is_billed_again_by_the_next_run(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    service.delete_draft(ctx, invoice.id)
    with pytest.raises(NotFound):
        service.get_invoice(ctx, invoice.id)
    [again] = service.run_billing(ctx, FEB_1).invoices
    assert (again.invoice_id != invoice.id, again.gross_total) == (True, Decimal("478.80"))


def test_another_organization_reaches_neither_draft_nor_product(
    other_ctx: Ctx, ctx: Ctx, world: World
) -> None:
    invoice = february_draft(ctx, world)
    theirs = catalog.create_product(other_ctx, {"code": "x", "name_en": "X", "kind": "one_off"})
    for edit in (
        lambda: service.add_line(other_ctx, invoice.id, TRAINING | {"vat_category": "standard"}),
        lambda: service.remove_line(other_ctx, invoice.id, 1),
        lambda: service.update_draft(other_ctx, invoice.id, {"notes": "x"}),
        lambda: service.regenerate_draft(other_ctx, invoice.id),
        lambda: service.delete_draft(other_ctx, invoice.id),
    ):
        with pytest.raises(NotFound, match=invoice.id):
            edit()
    # another organization's product reads like a missing one: a bad field of the line
    with pytest.raises(InvalidInput, match=theirs.id) as refused:
        service.add_line(ctx, invoice.id, TRAINING | {"product_id": theirs.id})
    assert [e.field for e in refused.value.errors] == ["product_id"]


def test_an_emptied_draft_is_not_finalized_by_finalize_due(ctx: Ctx, world: World) -> None:
    invoice = february_draft(ctx, world)
    ctx.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    world_org(ctx).auto_finalize_after_hours = 0
    done = service.finalize_due(ctx)
    assert (done.finalized, done.skipped_empty) == ([], [invoice.id])


def world_org(ctx: Ctx) -> Any:
    from tarif.tenancy.models import Organization

    return ctx.session.get_one(Organization, ctx.organization_id)
