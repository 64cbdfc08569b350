"""Helpers of the customers tests: valid customer values and a signed-in back-office client."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.customers import service
from tarif.customers.models import Customer
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tarif.tenancy.service import create_user

# Valid identifiers (python-stdnum checks them in the rules tests):
# the French VAT key of SIREN 732829320 is (12 + 3 × (732829320 mod 97)) mod 97 = (12 + 3 × 43)
# mod 97 = 44.
SIREN = "732829320"
SIRET = "73282932000074"
FR_VAT = "FR44732829320"
DE_VAT = "DE136695976"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def company(**overrides: Any) -> dict[str, Any]:
    """A valid French company; anything can be overridden."""
    values: dict[str, Any] = {
        "external_id": f"EXT-{uuid.uuid4().hex[:8]}",
        "legal_name": "Nuage SAS",
        "country": "FR",
        "vat_number": FR_VAT,
        "siren": SIREN,
        "invoice_emails": ["factures@nuage.example"],
    }
    values.update(overrides)
    return values


@pytest.fixture
def make_customer(ctx: Ctx) -> Callable[..., Customer]:
    def make(**overrides: Any) -> Customer:
        return service.create_customer(ctx, company(**overrides))

    return make


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def log_in(
    client: TestClient,
    engine: Engine,
    clock: FixedClock,
    organization_id: str,
    role: Role = Role.ADMIN,
) -> None:
    """Creates a user of the organization and signs in through the login form."""
    email = f"{role.value}-{uuid.uuid4().hex[:10]}@example.com"
    with session_factory(engine)() as session:
        ctx = Ctx(session, organization_id, Actor.system("test"), clock)
        create_user(ctx, email=email, name="Léa Martin", password=PASSWORD, role=role)
        session.commit()
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
