"""The demo's year of invoices (clock: 15 Jan 2026, so the Growth and SaaS contracts started on
1 Jan 2025 and were billed on the first of every month from then to 1 Jan 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import scoped
from tarif.demo.records import DEMO_LOADERS
from tarif.invoicing import balance, service
from tarif.invoicing.demo import load_demo_invoices
from tarif.invoicing.models import Invoice, InvoicePayment
from tarif.triggers.demo import load_demo_usage_triggers


def load(ctx: Ctx) -> None:
    for loader in DEMO_LOADERS:
        loader(ctx)


def invoices_of(ctx: Ctx, external_id: str) -> list[Invoice]:
    customer = customers.find_by_external_id(ctx, external_id)
    assert customer is not None
    stmt = scoped(Invoice, ctx.organization_id).where(Invoice.customer_id == customer.id)
    return list(ctx.session.scalars(stmt.order_by(Invoice.billing_date, Invoice.id)))


def test_the_demo_bills_a_year_and_credits_an_outage_to_the_balance(ctx: Ctx) -> None:
    # The invoices come after everything they bill; only the seed case's usage trigger and
    # alert follow, set once its months are billed (they change no invoice).
    assert DEMO_LOADERS[-2:] == [load_demo_invoices, load_demo_usage_triggers]
    load(ctx)
    growth = [i for i in invoices_of(ctx, "DEMO-BOULANGERIE") if i.kind == "invoice"]
    # 1 Jan 2025 to 1 Jan 2026: 13 monthly invoices of 399.00 + 20 % = 478.80, numbered per year.
    assert [i.billing_date for i in growth][:2] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert len(growth) == 13
    assert {i.gross_total for i in growth} == {Decimal("478.80")}
    # Jan to Nov 2025: 2 invoices a month (Growth, SaaS) = 22; on 1 Dec the Growth customer
    # (created first) comes first of four; 1 Jan 2026 starts the 2026 series.
    assert [i.number for i in growth][-2:] == ["F-2025-000023", "F-2026-000001"]

    # The outage of July 2025 (six months back): a 100.00 credit note on July's paid invoice.
    [note] = [i for i in invoices_of(ctx, "DEMO-BOULANGERIE") if i.kind == "credit_note"]
    assert (note.number, note.gross_total, note.issue_date) == (
        "AV-2025-000001",
        Decimal("-100.00"),
        date(2025, 7, 16),
    )
    # August's invoice used the balance first: 100.00 from it, 378.80 (478.80 - 100) by transfer.
    august = next(i for i in growth if i.billing_date == date(2025, 8, 1))
    payments = ctx.session.scalars(
        select(InvoicePayment)
        .where(InvoicePayment.invoice_id == august.id)
        .order_by(InvoicePayment.paid_on)
    )
    assert [(p.method, p.amount) for p in payments] == [
        ("credit_balance", Decimal("100.00")),
        ("manual", Decimal("378.80")),
    ]
    customer = customers.find_by_external_id(ctx, "DEMO-BOULANGERIE")
    assert customer is not None
    assert balance.available(ctx, customer.id, "EUR") == Decimal("0.00")


def test_the_demo_leaves_one_invoice_overdue_and_one_partly_paid(ctx: Ctx) -> None:
    load(ctx)
    # The SaaS customer's invoice of two months back (1 Nov 2025) is unpaid, due 1 Dec 2025.
    unpaid = next(
        i for i in invoices_of(ctx, "DEMO-ATELIER") if i.billing_date == date(2025, 11, 1)
    )
    assert (unpaid.status, service.is_overdue(ctx, unpaid)) == ("finalized", True)
    # Datenwerk (reverse charge, 399.00 a month) paid half of last month's: 199.50.
    [december] = [
        i for i in invoices_of(ctx, "DEMO-DATENWERK") if i.billing_date == date(2025, 12, 1)
    ]
    assert (december.status, december.amount_paid) == ("partially_paid", Decimal("199.50"))


def test_loading_the_demo_twice_adds_no_invoice(ctx: Ctx) -> None:
    load(ctx)
    count = select(func.count()).where(Invoice.organization_id == ctx.organization_id)
    before = ctx.session.scalar(count)
    load(ctx)
    assert ctx.session.scalar(count) == before
