"""Two tenants, A and B, each with one object of every kind; the suite acts as A on B's objects.

The pair is built once per test process (a few dozen requests): every test takes its own
snapshot of B before acting, and nothing a test does as A may change what another test sees
(tests that must write act as a third tenant).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.api.app import create_app
from tarif.clock import FixedClock
from tarif.config import Settings
from tarif.context import Actor
from tarif.db.session import session_factory
from tarif.invoicing.run_progress import TRACKER
from tarif.tenancy import passwords
from tarif.tenancy.service import create_organization
from tests.conftest import START, Tenant
from tests.isolation.world import Side, build_side, pair, snapshot


@dataclass
class World:
    app: FastAPI
    client: TestClient
    doc: Mapping[str, Any]
    a: Side
    b: Side

    def snapshot(self, side: Side) -> dict[str, Any]:
        return snapshot(self.client, self.doc, side)


SELLER_DETAILS = {
    "address_line1": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "siren": "732829320",
    "vat_number": "FR44732829320",
}


def _tenant(engine: Engine, clock: FixedClock, name: str) -> Tenant:
    with session_factory(engine)() as session:
        # A seller complete enough for its invoices' documents (EN 16931 needs the SIREN).
        org, issued = create_organization(session, clock, name, **SELLER_DETAILS)
        session.commit()
    return Tenant(org, issued.secret)


@pytest.fixture(scope="session")
def world(database_url: str, engine: Engine) -> Iterator[World]:
    clock = FixedClock(START)
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=8000,
        secret_key="test-secret-key",
        secure_cookies=False,
    )
    app = create_app(settings, clock=clock, engine=engine)
    doc = app.openapi()
    with TestClient(app) as client:
        # Cheap argon2 (as `fast_argon2`) only while the users are made: the real parameters
        # are checked by tests/tenancy/test_passwords.py in the same session.
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
            a = build_side(client, doc, "A", _tenant(engine, clock, "Alpha SAS"))
            b = build_side(client, doc, "B", _tenant(engine, clock, "Beta SARL"))
        for side in (a, b):
            # A run started from the back office is watched by a token, not a database id.
            watched = TRACKER.start(
                app.state.session_factory,
                side.tenant.id,
                Actor.system("test"),
                clock,
                START.date(),
                wait=True,
            )
            side.ids["token"] = watched.token
        pair(a, b)
        yield World(app, client, doc, a, b)
