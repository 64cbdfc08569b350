"""`tarif triggers …` through Typer's CliRunner (clock: 15 Jan 2026).

The contract `C-2026-001` runs from 1 Jan 2026 with `hosting` and the usage line `api-calls`.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.billing.triggers import Measure
from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.triggers import service
from tests.conftest import START, Tenant
from tests.contracts.conftest import build_world
from tests.triggers.conftest import usage_contract


@pytest.fixture
def contract_id(ctx: Ctx) -> str:
    found = usage_contract(build_world(ctx))
    ctx.session.commit()
    return found


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_set_show_clear(run, contract_id: str) -> None:  # type: ignore[no-untyped-def]
    made = run(
        "triggers", "set", "C-2026-001", "api-calls", "--kind", "threshold",
        "--threshold", "500", "--threshold", "1000", "--every", "1000", "--measure", "amount",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == (
        "C-2026-001 api-calls: threshold on amount: 500, 1000, then every 1000"
    )
    [shown] = json.loads(run("triggers", "show", contract_id, "--json").stdout)
    assert (shown["kind"], shown["thresholds"], shown["every"]) == (
        "threshold",
        ["500", "1000"],
        "1000",
    )
    table = run("triggers", "show", "C-2026-001")
    assert table.exit_code == 0 and "api-calls" in table.stdout and "threshold" in table.stdout
    event = run(
        "triggers", "set", "C-2026-001", "api-calls", "--kind", "event", "--cadence", "daily",
        "--json",
    )  # fmt: skip
    assert json.loads(event.stdout)["cadence"] == "daily"
    # the kind follows from the options when --kind is left out
    inferred = run("triggers", "set", "C-2026-001", "api-calls", "--cadence", "weekly")
    assert inferred.stdout.strip() == "C-2026-001 api-calls: on each event, invoiced weekly"
    cleared = run("triggers", "clear", "C-2026-001", "api-calls")
    assert (
        cleared.exit_code == 0 and cleared.stdout.strip() == "C-2026-001 api-calls: at period end"
    )
    [shown] = json.loads(run("triggers", "show", "C-2026-001", "--json").stdout)
    assert shown["kind"] == "period_end"


def test_refusals_are_one_line_naming_the_field(run, contract_id: str) -> None:  # type: ignore[no-untyped-def]
    decreasing = run(
        "triggers", "set", "C-2026-001", "api-calls", "--kind", "threshold",
        "--threshold", "1000", "--threshold", "500",
    )  # fmt: skip
    assert decreasing.exit_code == 1
    assert decreasing.stderr.strip() == (
        "error: The trigger has invalid fields: thresholds.1: must be increasing"
    )
    not_usage = run("triggers", "set", "C-2026-001", "hosting", "--kind", "event")
    assert not_usage.stderr.strip() == (
        "error: The trigger has invalid fields: line_key: line 'hosting' is not a usage line"
    )
    mixed = run("triggers", "set", "C-2026-001", "api-calls", "--kind", "event", "--every", "5")
    assert "every: unknown field for this kind of trigger" in mixed.stderr
    no_kind = run("triggers", "set", "C-2026-001", "api-calls")
    assert no_kind.stderr.strip() == (
        "error: The trigger has invalid fields: kind: one of period_end, threshold, event"
    )
    missing = run("triggers", "show", "C-404")
    assert (missing.exit_code, missing.stderr.strip()) == (
        1,
        "error: contract 'C-404' not found",
    )


def test_history_newest_first(run, ctx: Ctx, contract_id: str) -> None:  # type: ignore[no-untyped-def]
    for level in ("500", "1000"):
        service.record_crossing(
            ctx,
            contract_id=contract_id,
            line_key="api-calls",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 2, 1),
            level=Decimal(level),
            measure=Measure.AMOUNT,
            value=Decimal(level) + Decimal("2.5"),
        )
    ctx.session.commit()
    shown = run("triggers", "history", "C-2026-001", "--json")
    assert shown.exit_code == 0, shown.output
    # 1000 + 2.5 = 1002.5, 500 + 2.5 = 502.5
    assert [(c["level"], c["value"]) for c in json.loads(shown.stdout)] == [
        ("1000", "1002.5"),
        ("500", "502.5"),
    ]
    table = run("triggers", "history", "C-2026-001", "--limit", "1")
    assert table.exit_code == 0, table.output
    assert "1002.5" in table.stdout and "502.5" not in table.stdout
    newest = json.loads(shown.stdout)[0]["id"]
    assert table.stdout.rstrip().endswith(f"more: --starting-after {newest}")
    older = run("triggers", "history", "C-2026-001", "--starting-after", newest, "--json")
    assert [c["level"] for c in json.loads(older.stdout)] == ["500"]
    # without a contract: the organization's whole history
    everything = run("triggers", "history", "--json")
    assert [c["contract_id"] for c in json.loads(everything.stdout)] == [contract_id] * 2
