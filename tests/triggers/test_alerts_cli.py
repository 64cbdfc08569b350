"""`tarif alerts …` through Typer's CliRunner (clock: 15 Jan 2026).

`seed_contract` (`C-2026-001`) runs from 1 Jan 2026 with `hosting` and the usage line
`api-calls`, charged 2 % of the metric `turnover` plus 0.25 per transaction.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tarif.context import Ctx
from tarif.triggers import alerts_service
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import seed_contract
from tests.triggers.test_billing import sales
from tests.triggers.test_cli import run

__all__ = ["run"]  # fixture


@pytest.fixture
def contract_id(ctx: Ctx, world: World) -> str:
    found = seed_contract(world)
    ctx.session.commit()
    return found


def test_create_list_history_delete(run, ctx: Ctx, world: World, contract_id: str) -> None:  # type: ignore[no-untyped-def]
    made = run(
        "alerts", "create", "C-2026-001", "--metric", "turnover", "--measure", "amount",
        "--limit", "1000", "--level", "80", "--level", "100", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    alert = json.loads(made.stdout)
    assert (alert["limit"], alert["levels"], alert["thresholds"]) == (
        "1000",
        [80, 100],
        ["800", "1000"],  # 1,000 × 80 / 100, 1,000 × 100 / 100
    )
    said = run("alerts", "create", "C-2026-001", "--metric", "turnover", "--limit", "50")
    assert said.exit_code == 0, said.output
    assert said.stdout.strip().endswith("on turnover amount 50 (80 %, 100 %)")
    listed = json.loads(run("alerts", "list", contract_id, "--json").stdout)
    assert [(a["id"], a["limit"]) for a in listed] == [
        (alert["id"], "1000"),
        (listed[1]["id"], "50"),
    ]
    table = run("alerts", "list", "C-2026-001")
    assert table.exit_code == 0, table.output
    assert f"│ {alert['id']} │ turnover │ all  │ amount  │ 1000  │ 80/100 │" in table.stdout
    sales(world, "2026-01-08", 100, "400.00")  # 800.00 + 25.00 = 825.00
    fired = alerts_service.check_alerts(ctx, [contract_id], date(2026, 1, 8))
    ctx.session.commit()
    # limit 1,000: 80 % (800); limit 50: 80 % (40) and 100 % (50)
    assert sorted((f.alert.limit, f.firing.level) for f in fired) == [
        (50, 80),
        (50, 100),
        (1000, 80),
    ]
    history = json.loads(run("alerts", "history", "C-2026-001", "--json").stdout)
    assert sorted((h["level"], h["value"]) for h in history) == [
        (80, "825"),
        (80, "825"),
        (100, "825"),
    ]
    # without a contract: the organization's whole history
    everything = json.loads(run("alerts", "history", "--json").stdout)
    assert [h["contract_id"] for h in everything] == [contract_id] * 3
    gone = run("alerts", "delete", alert["id"])
    assert (gone.exit_code, gone.stdout.strip()) == (0, f"alert {alert['id']} removed")
    assert len(json.loads(run("alerts", "list", contract_id, "--json").stdout)) == 1


def test_refusals_are_one_line_naming_the_field(run, contract_id: str) -> None:  # type: ignore[no-untyped-def]
    decreasing = run(
        "alerts", "create", "C-2026-001", "--metric", "turnover", "--limit", "1000",
        "--level", "100", "--level", "80",
    )  # fmt: skip
    assert (decreasing.exit_code, decreasing.stderr.strip()) == (
        1,
        "error: The alert has invalid fields: levels.1: levels must increase",
    )
    unmeasured = run("alerts", "create", "C-2026-001", "--metric", "api_calls", "--limit", "5")
    assert unmeasured.stderr.strip() == (
        "error: The alert has invalid fields: metric_code: "
        "no usage line of the contract measures 'api_calls'"
    )
    missing = run("alerts", "list", "C-404")
    assert (missing.exit_code, missing.stderr.strip()) == (1, "error: contract 'C-404' not found")
