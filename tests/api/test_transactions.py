"""One request, one transaction: a failure half-way leaves nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tarif.audit.models import AuditEvent
from tarif.db.session import session_factory
from tarif.tenancy import service as tenancy_service
from tarif.tenancy.models import ApiKey, User
from tests.api.conftest import Probe
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("fast_argon2")


def count(engine: Engine, model: Any, organization_id: str) -> int:
    with session_factory(engine)() as session:
        stmt = select(func.count()).select_from(model)
        return int(session.scalar(stmt.where(model.organization_id == organization_id)) or 0)


@pytest.fixture
def quiet_client(app: FastAPI, probe: Probe, tenant: Tenant) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(tenant.headers)
        yield c


def test_a_failure_after_the_first_insert_writes_nothing(
    quiet_client: TestClient, engine: Engine, tenant: Tenant
) -> None:
    keys, events = count(engine, ApiKey, tenant.id), count(engine, AuditEvent, tenant.id)
    response = quiet_client.post("/v1/test/half-written")
    assert response.status_code == 500
    # The key row and its audit event had been flushed; both were rolled back.
    assert count(engine, ApiKey, tenant.id) == keys
    assert count(engine, AuditEvent, tenant.id) == events


def test_a_failing_service_leaves_no_user_behind(
    quiet_client: TestClient, engine: Engine, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def record_then_fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit log is unavailable")

    # create_user inserts and flushes the user, then records the event: make that step fail.
    monkeypatch.setattr(tenancy_service, "record", record_then_fail)
    body = {"email": "rollback@example.com", "name": "R", "password": "long enough"}
    response = quiet_client.post("/v1/users", json=body)
    assert response.status_code == 500
    assert count(engine, User, tenant.id) == 0
    with session_factory(engine)() as session:
        assert session.scalars(select(User).where(User.email == body["email"])).first() is None


def test_a_route_that_does_not_commit_writes_nothing(
    api: TestClient, probe: Probe, engine: Engine, tenant: Tenant
) -> None:
    keys = count(engine, ApiKey, tenant.id)
    response = api.post("/v1/test/forgot-commit")
    assert response.status_code == 201
    with session_factory(engine)() as session:
        assert session.get(ApiKey, response.json()["id"]) is None
    assert count(engine, ApiKey, tenant.id) == keys


def test_a_successful_request_commits_everything_once(
    api: TestClient, engine: Engine, tenant: Tenant
) -> None:
    keys, events = count(engine, ApiKey, tenant.id), count(engine, AuditEvent, tenant.id)
    assert api.post("/v1/api-keys", json={"name": "kept"}).status_code == 201
    # One key and its one audit event.
    assert count(engine, ApiKey, tenant.id) == keys + 1
    assert count(engine, AuditEvent, tenant.id) == events + 1
