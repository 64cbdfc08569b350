"""Catalog test helpers: products, pricelists and customers built through the services."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tarif.catalog import service
from tarif.catalog.models import Pricelist, Product
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.customers.models import Customer
from tarif.ids import new_id


def make_product(ctx: Ctx, code: str, kind: str = "recurring", **values: Any) -> Product:
    return service.create_product(
        ctx, {"code": code, "name_en": code.title(), "kind": kind, **values}
    )


def make_pricelist(ctx: Ctx, name: str = "Standard 2026", **values: Any) -> Pricelist:
    return service.create_pricelist(
        ctx, {"name": name, "currency": "EUR", "valid_from": "2026-01-01", **values}
    )


MONTHLY_IN_ADVANCE = {"periodicity": "monthly", "timing": "in_advance"}


def add_price(ctx: Ctx, pricelist_id: str, product_id: str, unit_price: str, **terms: str) -> Any:
    """Prices a product; recurring terms are given as keywords (`**MONTHLY_IN_ADVANCE`)."""
    values = {"product_id": product_id, "unit_price": unit_price, **terms}
    return service.add_entry(ctx, pricelist_id, values)


def make_customer(
    ctx: Ctx, currency: str = "EUR", pricelist_id: str | None = None, name: str = "Acme SA"
) -> Customer:
    """A bare customer row: the lookup needs only its currency and pricelist."""
    now = ctx.clock.now()
    customer = Customer(
        id=new_id("cus"),
        organization_id=ctx.organization_id,
        external_id=new_id("ext"),
        legal_name=name,
        kind="company",
        country="FR",
        currency=currency,
        language="fr",
        timezone="Europe/Paris",
        invoice_emails=[],
        payment_terms_days=30,
        payment_terms_end_of_month=False,
        tax_status="standard",
        pricelist_id=pricelist_id,
        custom_metadata={},
        archived=False,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(customer)
    ctx.session.flush()
    return customer


@pytest.fixture
def other_ctx(session: Session, make_tenant, clock: FixedClock) -> Ctx:  # type: ignore[no-untyped-def]
    """Another organization. Request it before fixtures that write: SQLite has one writer, and
    the organization is committed by a session of its own."""
    return Ctx(session, make_tenant("Other SAS").id, Actor.system("test"), clock)


@pytest.fixture
def hosting(ctx: Ctx) -> Product:
    return make_product(ctx, "hosting", unit_label="month", revenue_account="706000")


@pytest.fixture
def api_calls(ctx: Ctx) -> Product:
    return make_product(ctx, "api-calls", kind="usage", unit_label="call")
