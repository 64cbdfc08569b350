"""Finalized invoices for the credit-note tests; every total is worked out by hand beside it."""

from __future__ import annotations

from decimal import Decimal

from tarif.billing.totals import TaxedLine, invoice_totals
from tarif.context import Ctx
from tarif.customers.models import Customer
from tarif.ids import new_id
from tarif.invoicing import service
from tarif.invoicing.models import Invoice, InvoiceLine
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, JAN_15, hosting_contract

D = Decimal


def february_invoice(ctx: Ctx, world: World) -> Invoice:
    """The 399.00 contract's February invoice, finalized: 399.00 + 79.80 VAT (20 %) = 478.80.

    January (218.81 + 43.76 = 262.57) stays a draft, so February is F-2026-000001."""
    hosting_contract(world)
    _, february = service.run_billing(ctx, FEB_1).invoices
    return service.finalize_invoice(ctx, february.invoice_id or "")


def both_invoices(ctx: Ctx, world: World) -> tuple[Invoice, Invoice]:
    """January (262.57 gross: 399 × 17/31 = 218.806… → 218.81 + 43.76) and February (478.80)."""
    hosting_contract(world)
    january, february = service.run_billing(ctx, FEB_1).invoices
    return (
        service.finalize_invoice(ctx, january.invoice_id or ""),
        service.finalize_invoice(ctx, february.invoice_id or ""),
    )


def manual_invoice(ctx: Ctx, customer: Customer, lines: list[tuple[str, str, str, str]]) -> Invoice:
    """A finalized invoice of manual lines `(description, quantity, net, VAT rate)`."""
    now = ctx.clock.now()
    taxed = [TaxedLine(D(net), D(rate)) for _, _, net, rate in lines]
    totals = invoice_totals(taxed, "EUR")
    invoice = Invoice(
        id=new_id("inv"),
        organization_id=ctx.organization_id,
        customer_id=customer.id,
        currency="EUR",
        billing_date=JAN_15,
        status="draft",
        series="invoice",
        tax_treatment="standard",
        net_total=totals.net,
        vat_total=totals.vat,
        gross_total=totals.gross,
        vat_breakdown=[
            {"rate": str(b.rate), "base": str(b.base), "vat": str(b.vat)}
            for b in totals.vat_by_rate
        ],
        amount_paid=D(0),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(invoice)
    ctx.session.flush()
    for position, (description, quantity, net, rate) in enumerate(lines, 1):
        ctx.session.add(
            InvoiceLine(
                id=new_id("inl"),
                organization_id=ctx.organization_id,
                invoice_id=invoice.id,
                position=position,
                source="manual",
                kind="charge",
                quantity=D(quantity),
                unit_price=D(net) / D(quantity),
                exact_net=net,
                discount_amount=D(0),
                net_amount=D(net),
                vat_rate=D(rate),
                vat_category="standard" if D(rate) == 20 else "reduced",
                price_source="manual",
                discounts=[],
                description=description,
            )
        )
    ctx.session.flush()
    return service.finalize_invoice(ctx, invoice.id)
