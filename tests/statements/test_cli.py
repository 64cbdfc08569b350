"""`tarif statements show|export` on the seed case billed on 1 Feb 2026."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tests.conftest import START, Tenant
from tests.contracts.conftest import World
from tests.invoicing.rendering.conftest import pdf_text
from tests.statements.conftest import seed_invoice


@pytest.fixture
def seeded(ctx: Ctx, world: World) -> tuple[World, str]:
    invoice = seed_invoice(world)
    ctx.session.commit()
    return world, invoice.id


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_show_and_export(run, seeded: tuple[World, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    world, invoice_id = seeded
    shown = run("statements", "show", invoice_id, "--group-by", "metric,month", "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    # 1,000.00 + 300.00
    assert (body["amount"], body["group_by"]) == ("1300.00", "metric,month")
    table = run("statements", "show", invoice_id, "--group-by", "day")
    assert table.exit_code == 0, table.output
    assert "total 1300.00 EUR" in table.stdout
    target = tmp_path / "january.csv"
    exported = run(
        "statements",
        "customer-export",
        world.customer.id,
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-01",
        "--group-by",
        "month",
        "--format",
        "csv",
        "--output",
        str(target),
    )
    assert exported.exit_code == 0, exported.output
    lines = target.read_text().splitlines()
    assert len(lines) == 3  # the header and one row per usage line
    assert lines[2].endswith(",2026-01,1200,1200,0.25,300.00")
    pdf = tmp_path / "january.pdf"
    made = run("statements", "export", invoice_id, "--format", "pdf", "-o", str(pdf))
    assert made.exit_code == 0, made.output
    assert "Total de la consommation HT 1 300,00 €" in pdf_text(pdf.read_bytes())


def test_bad_input_is_one_line(run, seeded: tuple[World, str]) -> None:  # type: ignore[no-untyped-def]
    _, invoice_id = seeded
    bad = run("statements", "show", invoice_id, "--group-by", "day,month")
    assert bad.exit_code != 0
    assert "group_by: day and month cannot both be asked: choose one" in bad.output
    neither = run("statements", "show")
    assert neither.exit_code != 0
    assert "Missing argument" in neither.output
    half = run("statements", "customer", seeded[0].customer.id, "--from", "2026-01-01")
    assert half.exit_code != 0
    assert "to:" in half.output


def test_a_customer_by_its_external_id(run, seeded: tuple[World, str], ctx: Ctx) -> None:  # type: ignore[no-untyped-def]
    world, _ = seeded
    world.customer.external_id = "ACME-42"
    ctx.session.commit()
    shown = run(
        "statements", "customer", "ACME-42", "--from", "2026-01-01", "--to", "2026-02-01", "--json"
    )
    assert shown.exit_code == 0, shown.output
    # January's usage: 1,000.00 (2 % of 50,000.00) + 300.00 (1,200 × 0.25)
    assert json.loads(shown.stdout)["amount"] == "1300.00"
    unknown = run("statements", "customer", "NOPE", "--from", "2026-01-01", "--to", "2026-02-01")
    assert unknown.exit_code != 0 and "not found" in unknown.output
