"""Finalizing a run over HTTP and from the CLI (today: 15 Jan 2026; hosting 399.00 a month)."""

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
from tests.invoicing.conftest import hosting_contract


@pytest.fixture
def shop(ctx: Ctx) -> World:
    """A running 399.00 contract from 15 Jan 2026, committed so the API and the CLI see it."""
    world = build_world(ctx)
    hosting_contract(world)
    ctx.session.commit()
    return world


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_run_asked_to_finalize_numbers_its_invoices(api: TestClient, shop: World) -> None:
    body = {"as_of": "2026-02-01", "finalize": True}
    result = ok(api.post("/v1/billing-runs", json=body), 201)
    # 15 Jan (399 × 17/31 = 218.81 net) then 1 Feb (399.00 net), numbered in that order
    assert result["finalized"] == 2
    numbers = [ok(api.get(f"/v1/invoices/{i['id']}"))["number"] for i in result["invoices"]]
    assert numbers == ["F-2026-000001", "F-2026-000002"]


def test_finalizing_a_run_afterwards(api: TestClient, shop: World) -> None:
    run = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)
    assert run["finalized"] == 0
    done = ok(api.post(f"/v1/billing-runs/{run['id']}/finalize"))
    assert (done["finalized"], done["first_number"], done["last_number"]) == (
        2,
        "F-2026-000001",
        "F-2026-000002",
    )
    again = ok(api.post(f"/v1/billing-runs/{run['id']}/finalize"))
    assert (again["finalized"], again["first_number"]) == (0, None)


def test_finalizing_an_unknown_run_is_a_404(api: TestClient, shop: World) -> None:
    response = api.post("/v1/billing-runs/run_nothing/finalize")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_bill_run_with_finalize_from_the_cli(cli, shop: World) -> None:  # type: ignore[no-untyped-def]
    made = cli("bill", "run", "--as-of", "2026-02-01", "--finalize", "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["finalized"] == 2
    listed = json.loads(cli("invoices", "list", "--status", "finalized", "--json").stdout)
    assert sorted(i["number"] for i in listed) == ["F-2026-000001", "F-2026-000002"]


def test_bill_finalize_a_run_from_the_cli(cli, shop: World) -> None:  # type: ignore[no-untyped-def]
    made = cli("bill", "run", "--as-of", "2026-02-01", "--json")
    run_id = json.loads(made.stdout)["run"]["id"]
    done = cli("bill", "finalize", run_id)
    assert done.exit_code == 0, done.output
    assert "finalized 2 invoice(s): F-2026-000001 to F-2026-000002" in done.stdout
    again = cli("bill", "finalize", run_id)
    assert "no draft to finalize in this run" in again.stdout
