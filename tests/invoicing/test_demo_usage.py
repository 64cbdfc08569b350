"""The seed case in the demo: January 2026's usage on the marketplace's invoice of 1 Feb 2026
(clock: 10 Mar 2026, so the replay billed 1 Jan, 1 Feb and 1 Mar 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import scoped
from tarif.demo.records import DEMO_LOADERS
from tarif.invoicing import service
from tarif.invoicing.demo import load_demo_invoices
from tarif.invoicing.models import Invoice
from tarif.invoicing.usage_demo import load_demo_usage_contract
from tarif.usage.models import UsageEvent


def load(ctx: Ctx, clock: FixedClock, on: datetime) -> None:
    clock.advance(on - clock.now())
    for loader in DEMO_LOADERS:
        loader(ctx)


def marketplace_invoices(ctx: Ctx) -> list[Invoice]:
    customer = customers.find_by_external_id(ctx, "DEMO-MARCHE")
    assert customer is not None
    stmt = scoped(Invoice, ctx.organization_id).where(Invoice.customer_id == customer.id)
    return list(ctx.session.scalars(stmt.order_by(Invoice.billing_date)))


def test_the_demo_shows_the_seed_invoice(ctx: Ctx, clock: FixedClock) -> None:
    # the seed's contract and events come before the replay that bills them
    loaders = DEMO_LOADERS
    assert loaders.index(load_demo_usage_contract) == loaders.index(load_demo_invoices) - 1
    load(ctx, clock, datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    events = ctx.session.execute(
        select(func.count(), func.sum(UsageEvent.value_micros)).where(
            UsageEvent.organization_id == ctx.organization_id,
            UsageEvent.metric_code == "turnover",
        )
    ).one()
    # 1,000 × 40.00 + 200 × 50.00 = 50,000.00, in millionths
    assert tuple(events) == (1200, 50_000_000_000)
    invoices = marketplace_invoices(ctx)
    assert [i.billing_date for i in invoices] == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    february = invoices[1]
    assert february.number is not None and february.status in ("finalized", "paid")
    lines = service.invoice_lines(ctx, february.id)
    # February's hosting in advance 399.00; January: 2 % × 50,000.00 = 1,000.00 and
    # 1,200 transactions × 0.25 = 300.00
    assert [(x.source, x.quantity, x.unit_price, x.net_amount) for x in lines] == [
        ("contract", Decimal("1"), Decimal("399.00"), Decimal("399.00")),
        ("usage", Decimal("50000"), Decimal("0.02"), Decimal("1000.00")),
        ("usage", Decimal("1200"), Decimal("0.25"), Decimal("300.00")),
    ]
    assert [(x.period_start, x.period_end) for x in lines[1:]] == [
        (date(2026, 1, 1), date(2026, 2, 1))
    ] * 2
    # 399.00 + 1,000.00 + 300.00 = 1,699.00; VAT 20 % = 339.80; total 2,038.80
    assert (february.net_total, february.vat_total, february.gross_total) == (
        Decimal("1699.00"),
        Decimal("339.80"),
        Decimal("2038.80"),
    )
    # January in advance only (399.00 + 20 % = 478.80); March: 399.00 and February's usage, none
    assert invoices[0].gross_total == Decimal("478.80")
    assert invoices[2].net_total == Decimal("399.00")


def test_loading_again_adds_nothing(ctx: Ctx, clock: FixedClock) -> None:
    load(ctx, clock, datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    for loader in DEMO_LOADERS:
        loader(ctx)
    count = select(func.count()).where(UsageEvent.organization_id == ctx.organization_id)
    assert ctx.session.scalar(count) == 1200
    assert len(marketplace_invoices(ctx)) == 3


def test_before_january_is_over_the_demo_has_no_seed_case(ctx: Ctx) -> None:
    # the test clock (15 Jan 2026): January's usage is not billable yet
    load_demo_usage_contract(ctx)
    assert customers.find_by_external_id(ctx, "DEMO-MARCHE") is None
