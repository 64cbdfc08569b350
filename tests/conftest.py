"""Test wiring: one database per test process (SQLite file or PostgreSQL database), one
organization per test. Tenancy isolates tests from each other without truncating tables.

TARIF_TEST_DB=sqlite (default) or postgresql; TARIF_TEST_PG_URL points at a server where the
suite may create and drop its own databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tarif.api.app import create_app, tune_garbage_collector
from tarif.clock import FixedClock
from tarif.config import Settings
from tarif.context import Actor, Ctx
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.tenancy.models import Organization
from tarif.tenancy.service import create_organization

# Properties, not timings: a busy CI machine must not fail an example for being slow (speed is
# measured by the benchmarks under bench/).
settings.register_profile("tarif", deadline=None)
settings.load_profile("tarif")

BACKEND = os.environ.get("TARIF_TEST_DB", "sqlite")
# The fixtures through which a test meets the database under test.
DATABASE_FIXTURES = frozenset({"database_url", "fresh_url"})
PG_URL = os.environ.get("TARIF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def _create_pg_database() -> tuple[str, str]:
    """A database of our own on the server, so two runs never collide."""
    name = f"tarif_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "postgresql":
        url, name = _create_pg_database()
        yield url
        _drop_pg_database(name)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "tarif.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=8000,
        secret_key="test-secret-key",
        secure_cookies=False,
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(settings, clock=clock, engine=engine)


@dataclass
class Tenant:
    """An organization made for one test, with its first admin API key."""

    org: Organization
    api_key: str

    @property
    def id(self) -> str:
        return self.org.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
def make_tenant(engine: Engine, clock: FixedClock):  # type: ignore[no-untyped-def]
    factory = session_factory(engine)

    def make(name: str = "Acme SAS", **fields: object) -> Tenant:
        with factory() as session:
            org, issued = create_organization(session, clock, name, **fields)
            session.commit()
        return Tenant(org, issued.secret)

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:  # type: ignore[no-untyped-def]
    return make_tenant()  # type: ignore[no-any-return]


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def api(client: TestClient, tenant: Tenant) -> TestClient:
    """An HTTP client authenticated as the test's organization."""
    client.headers.update(tenant.headers)
    return client


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s
        s.rollback()


@pytest.fixture
def ctx(session: Session, tenant: Tenant, clock: FixedClock) -> Ctx:
    """A service-level unit of work for the test's organization, acting as an admin."""
    return Ctx(session, tenant.id, Actor.system("test"), clock)


@pytest.fixture
def make_key(engine: Engine, clock: FixedClock, tenant: Tenant):  # type: ignore[no-untyped-def]
    """`make_key(Role.SALES)`: the secret of a new API key of that role in the test's
    organization, for calling the API as someone other than an admin."""
    from tarif.tenancy.rules import Role
    from tarif.tenancy.service import create_api_key

    def make(role: Role, name: str | None = None) -> str:
        with session_factory(engine)() as session:
            ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
            issued = create_api_key(ctx, name=name or f"{role.value} key", role=role)
            session.commit()
        return issued.secret

    return make


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2 with its cheapest parameters, for tests about something else than the hash
    strength (tests/tenancy/test_passwords.py checks the real parameters)."""
    from argon2 import PasswordHasher, profiles

    from tarif.tenancy import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Schemathesis makes one item per OpenAPI operation, all under the test function's node
    id (its own renaming sets an attribute this pytest no longer reads). pytest-xdist schedules
    items by node id, so with `--dist loadgroup`, as `make test` runs, only one operation of
    about 150 was run: each item gets its operation in its id."""
    from _pytest.nodeid import coerce_node_id

    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            item._id = coerce_node_id(f"{item.nodeid}[{label}]")
    if BACKEND == "postgresql":
        # The PostgreSQL half runs what meets a database; the pure core's tests (money,
        # periods, pricing, properties…) meet none and already ran in the SQLite half.
        no_database = pytest.mark.skip(reason="no database: run once, in the SQLite half")
        for item in items:
            if not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
                item.add_marker(no_database)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collector tuned as a serving process tunes it (`tarif.api.app`): what collection
    loaded is frozen out of its walks, young collections run after 10,000 new objects. Each test
    builds an app, a database session and many short-lived objects: a tenth less CPU (the
    contracts and billing tests: 104.5 → 93.8 s). `TARIF_TEST_TUNE_GC=0` keeps Python's own."""
    if os.environ.get("TARIF_TEST_TUNE_GC", "1") != "0":
        tune_garbage_collector()
