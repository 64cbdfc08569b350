"""Invoicing fixtures: the contracts world (catalog, customer) and the €399 contract.

The test clock reads 15 Jan 2026, so a contract activated "today" starts running that day.
"""

from __future__ import annotations

from datetime import date

import pytest

from tarif.context import Ctx
from tarif.contracts.models import Contract
from tarif.customers import service as customers
from tarif.customers.models import Customer
from tests.contracts.conftest import World, build_world

JAN_15 = date(2026, 1, 15)
FEB_1 = date(2026, 2, 1)
DE_VAT = "DE136695976"


@pytest.fixture
def world(ctx: Ctx) -> World:
    return build_world(ctx)


def hosting_contract(world: World, customer: Customer | None = None, **fields: object) -> Contract:
    """Hosting at 399.00 a month in advance, calendar-aligned, from 15 Jan 2026, running."""
    values: dict[str, object] = {"start_date": "2026-01-15", "billing_alignment": "calendar"}
    if customer is not None:
        values["customer_id"] = customer.id
    return world.running(**(values | fields))


def german_company(ctx: Ctx) -> Customer:
    return customers.create_customer(
        ctx,
        {"legal_name": "Datenwerk GmbH", "country": "DE", "kind": "company", "vat_number": DE_VAT},
    )
