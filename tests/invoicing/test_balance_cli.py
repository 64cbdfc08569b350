"""`tarif balance …` through Typer's CliRunner (clock: 15 Jan 2026)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tests.conftest import START, Tenant
from tests.contracts.conftest import World, build_world
from tests.invoicing.balance_world import february_draft


@pytest.fixture
def shop(ctx: Ctx) -> tuple[World, str]:
    """The customer (external id set below) and its February draft of 478.80, committed."""
    world = build_world(ctx)
    world.customer.external_id = "ACME-1"
    draft = february_draft(world)
    ctx.session.commit()
    return world, draft


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_goodwill_finalize_show_and_refund(run, shop: tuple[World, str]) -> None:  # type: ignore[no-untyped-def]
    world, draft = shop
    granted = run(
        "balance", "goodwill", "ACME-1", "--amount", "600.00", "--currency", "EUR",
        "--reason", "Outage on 12 January",
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    assert "600.00 EUR, now 600.00 EUR available" in granted.stdout
    assert run("invoices", "finalize", draft).exit_code == 0
    shown = json.loads(run("invoices", "show", draft, "--json").stdout)
    assert (shown["status"], shown["amount_paid"]) == ("paid", "478.80")
    balance = run("balance", "show", world.customer.id, "--json")
    assert balance.exit_code == 0, balance.output
    read = json.loads(balance.stdout)
    # 600.00 − 478.80 = 121.20
    assert read["balances"] == [{"currency": "EUR", "available": "121.20"}]
    assert [(e["kind"], e["amount"]) for e in read["history"]["data"]] == [
        ("applied", "-478.80"),
        ("goodwill", "600.00"),
    ]
    table = run("balance", "show", "ACME-1")
    assert "available: 121.20 EUR" in table.stdout and "applied" in table.stdout
    refused = run(
        "balance", "refund", "ACME-1", "--amount", "121.21", "--currency", "EUR",
        "--reference", "VIR-9",
    )  # fmt: skip
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "error: amount: more than the 121.20 EUR available"
    refunded = run(
        "balance", "refund", "ACME-1", "--amount", "121.20", "--currency", "EUR",
        "--reference", "VIR-9", "--json",
    )  # fmt: skip
    assert refunded.exit_code == 0, refunded.output
    assert json.loads(refunded.stdout)["balance_after"] == "0.00"


def test_bad_input_is_one_line(run, shop: tuple[World, str]) -> None:  # type: ignore[no-untyped-def]
    world, _ = shop
    bad = run(
        "balance", "goodwill", world.customer.id, "--amount", "1.001", "--currency", "EUR",
        "--reason", "x",
    )  # fmt: skip
    assert bad.exit_code == 1
    assert bad.stderr.strip().startswith("error: The request has invalid fields: amount: at most")
    missing = run("balance", "show", "nobody")
    assert missing.exit_code == 1 and "not found" in missing.stderr
    empty = run("balance", "show", world.customer.id)
    assert empty.exit_code == 0 and "no credit balance" in empty.stdout
