from datetime import date
from decimal import Decimal

import pytest

from tarif.catalog import service
from tarif.catalog.models import Product
from tarif.catalog.pricing import PriceSource
from tarif.context import Ctx
from tarif.errors import Conflict, NotFound
from tests.catalog.conftest import MONTHLY_IN_ADVANCE, add_price, make_customer, make_pricelist


@pytest.fixture
def catalog(ctx: Ctx, hosting: Product, api_calls: Product) -> dict[str, str]:
    """Standard 2026 (default, EUR): hosting 399.00, api-calls 0.0025.
    Key accounts (EUR, from 1 March 2026): hosting 349.00 only."""
    standard = make_pricelist(ctx, "Standard 2026", valid_to="2026-12-31", is_default=True)
    add_price(ctx, standard.id, hosting.id, "399.00", **MONTHLY_IN_ADVANCE)
    add_price(ctx, standard.id, api_calls.id, "0.0025")
    key = make_pricelist(ctx, "Key accounts", valid_from="2026-03-01")
    add_price(ctx, key.id, hosting.id, "349.00", **MONTHLY_IN_ADVANCE)
    return {"standard": standard.id, "key": key.id}


def test_the_customer_pricelist_then_the_default(
    ctx: Ctx, catalog: dict[str, str], hosting: Product, api_calls: Product
) -> None:
    customer = make_customer(ctx, pricelist_id=catalog["key"])

    quote = service.resolve_price(ctx, customer.id, hosting.id, date(2026, 3, 1))
    assert (quote.unit_price, quote.pricelist_id) == (Decimal("349.00"), catalog["key"])
    assert quote.source is PriceSource.CUSTOMER_PRICELIST

    quote = service.resolve_price(ctx, customer.id, hosting.id, date(2026, 2, 28))
    assert (quote.unit_price, quote.pricelist_id) == (Decimal("399.00"), catalog["standard"])
    assert quote.source is PriceSource.DEFAULT_CUSTOMER_PRICELIST_NOT_VALID

    quote = service.resolve_price(ctx, customer.id, api_calls.id, date(2026, 6, 1))
    assert (quote.unit_price, quote.pricelist_id) == (Decimal("0.0025"), catalog["standard"])
    assert quote.source is PriceSource.DEFAULT_PRODUCT_NOT_IN_CUSTOMER_PRICELIST


def test_a_customer_without_pricelist_gets_the_default_of_their_currency(
    ctx: Ctx, catalog: dict[str, str], hosting: Product
) -> None:
    customer = make_customer(ctx)
    quote = service.resolve_price(ctx, customer.id, hosting.id, date(2026, 7, 14))
    assert (quote.unit_price, quote.source) == (Decimal("399.00"), PriceSource.DEFAULT_PRICELIST)

    dollar_customer = make_customer(ctx, currency="USD", name="Globex Inc")
    with pytest.raises(NotFound) as caught:
        service.resolve_price(ctx, dollar_customer.id, hosting.id, date(2026, 7, 14))
    assert str(caught.value) == (
        f"no price for product 'hosting' for customer 'Globex Inc' ({dollar_customer.id}) on "
        "2026-07-14 in USD: the customer has no pricelist of their own, and no default USD "
        "pricelist is valid that day"
    )


def test_after_the_default_ends_there_is_no_price(
    ctx: Ctx, catalog: dict[str, str], api_calls: Product
) -> None:
    customer = make_customer(ctx, pricelist_id=catalog["key"])
    with pytest.raises(NotFound, match="on 2027-01-01 in EUR: the customer's pricelist"):
        service.resolve_price(ctx, customer.id, api_calls.id, date(2027, 1, 1))


def test_a_customer_pricelist_in_another_currency_is_a_conflict(
    ctx: Ctx, catalog: dict[str, str], hosting: Product
) -> None:
    customer = make_customer(ctx, currency="USD", pricelist_id=catalog["key"])
    with pytest.raises(Conflict, match="billed in USD but their pricelist 'Key accounts'"):
        service.resolve_price(ctx, customer.id, hosting.id, date(2026, 6, 1))


def test_another_organizations_customer_or_product_is_not_found(
    other_ctx: Ctx, ctx: Ctx, catalog: dict[str, str], hosting: Product
) -> None:
    customer = make_customer(ctx)
    with pytest.raises(NotFound, match="customer"):
        service.resolve_price(other_ctx, customer.id, hosting.id, date(2026, 6, 1))
    theirs = make_customer(other_ctx)
    with pytest.raises(NotFound, match="product"):
        service.resolve_price(other_ctx, theirs.id, hosting.id, date(2026, 6, 1))
