"""Finalizing (gap-free numbers, content hash) and payments, through the service."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput
from tarif.ids import new_id
from tarif.invoicing import service
from tarif.invoicing.models import Invoice
from tarif.invoicing.service_invoices import amount_due
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, JAN_15, hosting_contract
from tests.invoicing.credit_notes import manual_invoice


def two_drafts(ctx: Ctx, world: World) -> tuple[str, str]:
    """January (262.57 gross) and February (478.80 gross) of the 399.00 contract."""
    hosting_contract(world)
    january, february = service.run_billing(ctx, FEB_1).invoices
    return january.invoice_id or "", february.invoice_id or ""


def test_finalize_numbers_in_order(ctx: Ctx, world: World) -> None:
    january, february = two_drafts(ctx, world)
    first = service.finalize_invoice(ctx, january)
    second = service.finalize_invoice(ctx, february)
    assert (first.number, second.number) == ("F-2026-000001", "F-2026-000002")
    assert first.status == "finalized" and first.issue_date == JAN_15
    # the customer's 30 days of payment terms: 15 Jan + 30 days = 14 Feb
    assert first.due_date == date(2026, 2, 14)
    assert first.content_hash == service.content_hash(first, service.invoice_lines(ctx, january))
    assert len(first.content_hash or "") == 64


def test_a_rolled_back_finalize_does_not_burn_a_number(ctx: Ctx, world: World) -> None:
    january, february = two_drafts(ctx, world)
    ctx.session.commit()
    service.finalize_invoice(ctx, january)
    ctx.session.rollback()  # the request failed after finalizing: nothing of it stays
    assert service.get_invoice(ctx, january).number is None
    assert service.finalize_invoice(ctx, february).number == "F-2026-000001"
    assert service.finalize_invoice(ctx, january).number == "F-2026-000002"


def test_finalizing_twice_is_refused(ctx: Ctx, world: World) -> None:
    january, _ = two_drafts(ctx, world)
    service.finalize_invoice(ctx, january)
    with pytest.raises(Conflict, match="already finalized"):
        service.finalize_invoice(ctx, january)


def test_an_empty_invoice_is_not_finalized(ctx: Ctx, world: World) -> None:
    now = ctx.clock.now()
    empty = Invoice(
        id=new_id("inv"),
        organization_id=ctx.organization_id,
        customer_id=world.customer.id,
        currency="EUR",
        billing_date=JAN_15,
        status="draft",
        series="invoice",
        tax_treatment="standard",
        net_total=Decimal(0),
        vat_total=Decimal(0),
        gross_total=Decimal(0),
        vat_breakdown=[],
        amount_paid=Decimal(0),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(empty)
    ctx.session.flush()
    with pytest.raises(Conflict, match="no lines"):
        service.finalize_invoice(ctx, empty.id)


def test_payments_move_to_partially_paid_then_paid(ctx: Ctx, world: World) -> None:
    january, _ = two_drafts(ctx, world)
    service.finalize_invoice(ctx, january)
    service.record_payment(ctx, january, amount="100.00")
    assert service.get_invoice(ctx, january).status == "partially_paid"
    # 262.57 - 100.00 = 162.57 still due
    with pytest.raises(InvalidInput, match=r"162\.57"):
        service.record_payment(ctx, january, amount="200.00")
    service.record_payment(ctx, january, amount="162.57")
    invoice = service.get_invoice(ctx, january)
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("262.57"))
    assert len(service.invoice_payments(ctx, january)) == 2


def test_a_draft_takes_no_payment(ctx: Ctx, world: World) -> None:
    january, _ = two_drafts(ctx, world)
    with pytest.raises(Conflict, match="draft"):
        service.record_payment(ctx, january, amount="10.00")


def test_an_unpaid_invoice_past_its_due_date_is_overdue(ctx: Ctx, world: World) -> None:
    january, _ = two_drafts(ctx, world)
    invoice = service.finalize_invoice(ctx, january)
    assert not service.is_overdue(ctx, invoice)
    ctx.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    # due 14 Feb; the clock now reads 15 Feb
    assert service.is_overdue(ctx, invoice)


def test_an_invoice_owing_nothing_is_never_overdue(ctx: Ctx, world: World) -> None:
    january, _ = two_drafts(ctx, world)
    owing = service.finalize_invoice(ctx, january)
    # Issued 15 Jan, due 14 Feb: a gesture of 0.00 and a credit-only invoice of -12.00
    # (-10.00 + VAT -2.00), whose -12.00 went to the balance when finalized, owe nothing,
    # whatever the date.
    zero = manual_invoice(ctx, world.customer, [("Gesture", "1", "0.00", "20")])
    negative = manual_invoice(ctx, world.customer, [("Days back", "1", "-10.00", "20")])
    assert (amount_due(zero), amount_due(negative)) == (Decimal("0.00"), Decimal("0.00"))
    ctx.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    assert [service.is_overdue(ctx, i) for i in (owing, zero, negative)] == [True, False, False]
    late = service.list_invoices(ctx, PageRequest(limit=10), overdue=True).items
    assert [i.id for i in late] == [owing.id]
    on_time = service.list_invoices(ctx, PageRequest(limit=10), overdue=False).items
    assert {zero.id, negative.id} <= {i.id for i in on_time}
