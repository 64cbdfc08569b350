"""`tarif alerts …` through Typer's CliRunner (clock: 15 Jan 2026).

`seed_contract` (`C-2026-001`) runs from 1 Jan 2026 with `hosting` and the usage line
`api-calls`, charged 2 % of the metric `turnover` plus 0.25 per transaction.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.triggers import alerts_service
from tarif.triggers.alerts_models import UsageAlert
from tests.contracts.conftest import World, build_world
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


def test_update_an_alert(run, ctx: Ctx, world: World, contract_id: str) -> None:  # type: ignore[no-untyped-def]
    alert = alerts_service.create_alert(
        ctx, contract_id, {"metric_code": "turnover", "limit": "1000"}
    )
    sales(world, "2026-01-08", 100, "400.00")  # 2 % × 40,000.00 + 100 × 0.25 = 825.00
    ctx.session.commit()
    said = run("alerts", "update", alert.id, "--limit", "800", "--levels", "50,100")
    assert (said.exit_code, said.stdout.strip()) == (
        0,
        f"alert {alert.id} on turnover amount 800 (50 %, 100 %)",
    )
    # checked at once: 825.00 reaches 400 (50 % of 800) and 800 (100 %)
    history = json.loads(run("alerts", "history", "C-2026-001", "--json").stdout)
    assert sorted((h["level"], h["value"]) for h in history) == [(50, "825"), (100, "825")]
    edited = run(
        "alerts", "update", alert.id, "--level", "50", "--level", "80", "--level", "100",
        "--line", "api-calls", "--json",
    )  # fmt: skip
    assert edited.exit_code == 0, edited.output
    read = json.loads(edited.stdout)
    assert (read["limit"], read["levels"], read["thresholds"], read["line_key"]) == (
        "800",
        [50, 80, 100],
        ["400", "640", "800"],  # 800 × 50 / 100, 800 × 80 / 100, 800 × 100 / 100
        "api-calls",
    )
    # 80 % (640) fires now; 50 % and 100 % fired already this period
    history = json.loads(run("alerts", "history", "C-2026-001", "--json").stdout)
    assert sorted(h["level"] for h in history) == [50, 80, 100]
    every = run("alerts", "update", alert.id, "--every-line")
    assert every.stdout.strip() == f"alert {alert.id} on turnover amount 800 (50 %, 80 %, 100 %)"
    refused = run("alerts", "update", alert.id, "--levels", "100,80")
    assert (refused.exit_code, refused.stderr.strip()) == (
        1,
        "error: The alert has invalid fields: levels.1: levels must increase",
    )
    both = run("alerts", "update", alert.id, "--line", "api-calls", "--every-line")
    assert (both.exit_code, both.stderr.strip()) == (
        1,
        "error: --line and --every-line exclude each other",
    )
    missing = run("alerts", "update", "ual_missing", "--limit", "5")
    assert (missing.exit_code, missing.stderr.strip()) == (
        1,
        "error: usage alert 'ual_missing' not found",
    )


def test_another_organizations_alert_is_not_found(run, make_tenant, engine, clock) -> None:  # type: ignore[no-untyped-def]
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        theirs_ctx = Ctx(session, other.id, Actor.system("t"), clock)
        theirs = seed_contract(build_world(theirs_ctx))
        alert = alerts_service.create_alert(
            theirs_ctx, theirs, {"metric_code": "turnover", "limit": "10"}
        )
        session.commit()
    refused = run("alerts", "update", alert.id, "--limit", "5")
    assert (refused.exit_code, refused.stderr.strip()) == (
        1,
        f"error: usage alert '{alert.id}' not found",
    )
    with session_factory(engine)() as session:
        kept = session.get(UsageAlert, alert.id)
        assert kept is not None and str(kept.limit) == "10"
