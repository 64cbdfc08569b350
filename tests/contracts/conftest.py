"""Shell test helpers: a customer, products and a default pricelist built through the services.

The test clock reads 15 Jan 2026 (09:30 UTC, 10:30 in Paris), so "today" is 2026-01-15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tarif.catalog import service as catalog
from tarif.catalog.models import Pricelist, Product
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.contracts import service
from tarif.contracts.models import Contract
from tarif.contracts.schemas import ContractCreate, parse
from tarif.customers import service as customers
from tarif.customers.models import Customer
from tarif.tenancy.rules import Role

TODAY = date(2026, 1, 15)


@dataclass
class World:
    """What a contract needs: a customer billed in EUR and a priced catalog.

    Standard 2026 (default EUR pricelist from 1 Jan 2026): hosting 399.00 monthly in advance,
    licence 120.00 annual in advance, setup 500.00 one-off, api-calls 0.0025 per call.
    """

    ctx: Ctx
    customer: Customer
    pricelist: Pricelist
    hosting: Product
    licence: Product
    setup: Product
    api_calls: Product

    def contract(self, **fields: Any) -> Contract:
        """A draft: hosting from 1 Feb 2026, evergreen, unless `fields` say otherwise."""
        values: dict[str, Any] = {
            "customer_id": self.customer.id,
            "reference": "C-2026-001",
            "start_date": "2026-02-01",
            "lines": [{"product_id": self.hosting.id}],
        }
        return service.create_contract(self.ctx, data=parse(ContractCreate, values | fields))

    def running(self, **fields: Any) -> Contract:
        """Submitted and activated on 15 Jan 2026 (today)."""
        contract = self.contract(**fields)
        service.submit(self.ctx, contract.id)
        return service.activate(self.ctx, contract.id)


def make_product(ctx: Ctx, code: str, kind: str = "recurring") -> Product:
    return catalog.create_product(ctx, {"code": code, "name_en": code.title(), "kind": kind})


def price(ctx: Ctx, pricelist: Pricelist, product: Product, amount: str, **terms: str) -> None:
    catalog.add_entry(ctx, pricelist.id, {"product_id": product.id, "unit_price": amount, **terms})


def build_world(ctx: Ctx) -> World:
    customer = customers.create_customer(ctx, {"legal_name": "Acme SAS", "country": "FR"})
    pricelist = catalog.create_pricelist(
        ctx,
        {
            "name": "Standard 2026",
            "currency": "EUR",
            "valid_from": "2026-01-01",
            "is_default": True,
        },
    )
    hosting = make_product(ctx, "hosting")
    licence = make_product(ctx, "licence")
    setup = make_product(ctx, "setup", "one_off")
    api_calls = make_product(ctx, "api-calls", "usage")
    price(ctx, pricelist, hosting, "399.00", periodicity="monthly", timing="in_advance")
    price(ctx, pricelist, licence, "120.00", periodicity="annual", timing="in_advance")
    price(ctx, pricelist, setup, "500.00")
    price(ctx, pricelist, api_calls, "0.0025")
    ctx.session.flush()
    return World(ctx, customer, pricelist, hosting, licence, setup, api_calls)


@pytest.fixture
def other_ctx(session: Session, make_tenant, clock: FixedClock) -> Ctx:  # type: ignore[no-untyped-def]
    """Another organization. Request it before fixtures that write: SQLite has one writer, and
    the organization is committed by a session of its own."""
    return Ctx(session, make_tenant("Other SAS").id, Actor.system("test"), clock)


@pytest.fixture
def world(ctx: Ctx) -> World:
    return build_world(ctx)


def as_role(ctx: Ctx, role: Role) -> Ctx:
    return Ctx(
        ctx.session, ctx.organization_id, Actor("user", None, f"{role.value}-user", role), ctx.clock
    )
