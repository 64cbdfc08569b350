"""The events list filtered by contract, through the API, the CLI and the events page: with a
metric, the events the contract counts (the billing run's rule: the customer's first contract
measuring the metric also counts the events naming no contract); without one, those naming it.
Clock: 15 Jan 2026."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tests.conftest import START, Tenant
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_run_usage import TURNOVER, seed_contract
from tests.usage.factories import add_event
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def two_contracts(ctx: Ctx) -> dict[str, str]:
    """Two contracts of one customer measuring turnover: 100.00 and 250.00 naming no contract
    (the first counts them), 20.00 naming the second; 7.00 of another metric naming none."""
    world: World = build_world(ctx)
    first = seed_contract(world, reference="C-2026-001")
    second = world.running(
        reference="C-2026-002",
        start_date="2026-01-01",
        billing_alignment="calendar",
        lines=[{"product_id": world.api_calls.id, "charge": TURNOVER}],
    ).id
    assert first < second  # the first by id counts the events naming none
    customer = world.customer.id
    for when, amount, contract_id in (
        ("2026-01-03 12:00", "100.00", None),
        ("2026-01-05 12:00", "20.00", second),
        ("2026-01-10 12:00", "250.00", None),
    ):
        add_event(
            ctx.session,
            ctx.organization_id,
            "turnover",
            customer,
            when,
            amount,
            properties={"amount": amount},
            contract_id=contract_id,
        )
    add_event(ctx.session, ctx.organization_id, "calls", customer, "2026-01-04 12:00", "7")
    ctx.session.commit()
    return {"first": first, "second": second, "customer": customer}


def values(rows: list[dict[str, Any]]) -> list[str]:
    return [str(r["value"]) for r in rows]


def test_api_filters_by_contract(api: TestClient, two_contracts: dict[str, str]) -> None:
    def listed(**params: str) -> list[str]:
        response = api.get("/v1/events", params=params)
        assert response.status_code == 200, response.text
        return values(response.json()["data"])

    first, second = two_contracts["first"], two_contracts["second"]
    assert listed(contract_id=first, metric="turnover") == ["100", "250"]
    assert listed(contract_id=second, metric="turnover") == ["20"]
    # without a metric: the events naming the contract
    assert listed(contract_id=second) == ["20"]
    assert listed(contract_id=first) == []
    assert api.get("/v1/events", params={"contract_id": "ctr_nope"}).status_code == 404
    # an unknown query parameter is still refused
    assert api.get("/v1/events", params={"contract": first}).status_code == 422


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_cli_filters_by_contract_id_or_reference(run, two_contracts: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    def listed(*args: str) -> list[str]:
        result = run("events", "list", *args, "--json")
        assert result.exit_code == 0, result.output
        return values(json.loads(result.stdout))

    assert listed("--contract", "C-2026-001", "--metric", "turnover") == ["100", "250"]
    assert listed("--contract", two_contracts["second"], "--metric", "turnover") == ["20"]
    assert listed("--contract", "C-2026-002") == ["20"]
    missing = run("events", "list", "--contract", "NOPE")
    assert missing.exit_code == 1 and "contract 'NOPE' not found" in missing.stderr


def test_cli_bad_timestamps_name_their_option(run) -> None:  # type: ignore[no-untyped-def]
    for option in ("--from", "--to"):
        bad = run("events", "list", option, "2026-13-01")
        assert bad.exit_code == 1
        assert bad.stderr.strip() == (
            f"error: {option}: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z),"
            " got '2026-13-01'"
        )
    good = run("events", "list", "--from", "2026-01-01T00:00:00Z", "--to", "2026-02-01", "--json")
    assert good.exit_code == 0, good.output


def test_the_events_page_filters_by_contract(
    two_contracts: dict[str, str], admin: TestClient
) -> None:
    def amounts(**params: str) -> str:
        response = admin.get("/events", params=params)
        assert response.status_code == 200
        return response.text

    by_id = amounts(contract=two_contracts["first"], metric="turnover")
    assert ">100<" in by_id and ">250<" in by_id and ">20<" not in by_id
    by_reference = amounts(contract="C-2026-002", metric="turnover")
    assert ">20<" in by_reference and ">100<" not in by_reference
    unknown = amounts(contract="NOPE")
    assert "Contrat inconnu" in unknown and ">100<" not in unknown
