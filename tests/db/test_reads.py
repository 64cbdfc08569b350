"""`rows`: Core rows in the session's transaction, seeing what the session holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tarif.context import Ctx
from tarif.customers.models import Customer
from tarif.db.reads import rows


@pytest.fixture
def customer(ctx: Ctx) -> Customer:
    from tarif.customers import service as customers

    return customers.create_customer(ctx, {"legal_name": "Acme SAS", "country": "FR"})


def test_rows_see_what_the_session_holds_unflushed(ctx: Ctx, customer: Customer) -> None:
    customer.legal_name = "Renamed SAS"  # not flushed yet
    found = rows(
        ctx.session, select(Customer.id, Customer.legal_name).where(Customer.id == customer.id)
    )
    assert [tuple(row) for row in found] == [(customer.id, "Renamed SAS")]


def test_inside_no_autoflush_nothing_is_flushed(ctx: Ctx, customer: Customer) -> None:
    ctx.session.flush()
    before = customer.legal_name
    with ctx.session.no_autoflush:
        customer.legal_name = "Half-built SAS"
        found = rows(ctx.session, select(Customer.legal_name).where(Customer.id == customer.id))
        assert list(found.scalars()) == [before]
    assert ctx.session.dirty  # flushed later, with the rest
