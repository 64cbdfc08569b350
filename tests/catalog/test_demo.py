from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tarif.audit.models import AuditEvent
from tarif.catalog import service
from tarif.catalog.demo import load_demo_catalog
from tarif.catalog.pricing import PriceSource
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.demo.records import DEMO_LOADERS
from tests.catalog.conftest import make_customer


def audit_count(ctx: Ctx) -> int:
    stmt = select(func.count()).where(AuditEvent.organization_id == ctx.organization_id)
    return ctx.session.scalar(stmt) or 0


def test_the_demo_catalog_loads_once_and_prices_its_products(ctx: Ctx) -> None:
    assert load_demo_catalog in DEMO_LOADERS
    load_demo_catalog(ctx)
    events = audit_count(ctx)
    load_demo_catalog(ctx)  # a second run changes nothing
    assert audit_count(ctx) == events

    codes = [p.code for p in service.list_products(ctx, PageRequest()).items]
    assert codes == ["hosting", "licence", "setup", "api-calls", "turnover-fee"]
    [pricelist] = service.list_pricelists(ctx, PageRequest()).items
    assert (pricelist.currency, pricelist.is_default, pricelist.valid_from) == (
        "EUR",
        True,
        date(2025, 1, 1),
    )

    customer = make_customer(ctx)

    def price(code: str) -> tuple[Decimal, str | None, str | None]:
        product = service.get_product_by_code(ctx, code)
        quote = service.resolve_price(ctx, customer.id, product.id, date(2026, 2, 1))
        assert quote.source is PriceSource.DEFAULT_PRICELIST
        periodicity = str(quote.periodicity) if quote.periodicity else None
        return quote.unit_price, periodicity, quote.timing.value if quote.timing else None

    assert price("hosting") == (Decimal("399.00"), "monthly", "in_advance")
    assert price("licence") == (Decimal("4800.00"), "annual", "in_advance")
    assert price("setup") == (Decimal("1500.00"), None, None)
    assert price("api-calls") == (Decimal("0.0025"), None, None)
    assert price("turnover-fee") == (Decimal("0.02"), None, None)  # 2 % of turnover
