"""`tarif smartcodes …` through Typer's CliRunner (clock: 15 Jan 2026)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.smartcodes import service
from tarif.smartcodes.demo import BILLABLE_MINUTES, CALLS_BY_COUNTRY
from tests.conftest import START, Tenant


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_push_creates_then_adds_versions_and_skips_unchanged(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    macro = tmp_path / "billable_minutes.py"
    macro.write_text(BILLABLE_MINUTES, encoding="utf-8")
    first = run("smartcodes", "push", str(macro))
    assert first.exit_code == 0, first.output
    assert "billable_minutes: version 1 saved" in first.stdout
    same = run("smartcodes", "push", str(macro))
    assert same.exit_code == 0 and "unchanged (version 1)" in same.stdout
    macro.write_text(BILLABLE_MINUTES.replace("/ 60", "/ 30"), encoding="utf-8")
    second = run("smartcodes", "push", str(macro), "--json")
    assert json.loads(second.stdout)["number"] == 2
    versions = json.loads(run("smartcodes", "versions", "billable_minutes", "--json").stdout)
    assert [v["number"] for v in versions] == [2, 1]
    shown = json.loads(
        run("smartcodes", "show", "billable_minutes", "--version", "1", "--json").stdout
    )
    assert shown["version"]["source"] == BILLABLE_MINUTES and shown["latest_version"] == 2
    listed = json.loads(run("smartcodes", "list", "--json").stdout)
    assert [s["code"] for s in listed] == ["billable_minutes"]


def test_push_refuses_a_bad_source_with_one_line_naming_line_and_column(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    macro = tmp_path / "bad.py"
    macro.write_text("import os\n\ndef value(event):\n    return 1\n", encoding="utf-8")
    result = run("smartcodes", "push", str(macro), "--code", "bad")
    assert result.exit_code == 1
    assert "line 1, column 1: import of 'os' is not allowed" in result.stderr
    checked = CliRunner().invoke(app, ["smartcodes", "check", str(macro)])  # no organization
    assert checked.exit_code == 1 and f"{macro}:1:1: import of 'os'" in checked.stdout


def test_test_on_events_and_on_usage(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    minutes = tmp_path / "billable_minutes.py"
    minutes.write_text(BILLABLE_MINUTES, encoding="utf-8")
    pricing = tmp_path / "calls.py"
    pricing.write_text(CALLS_BY_COUNTRY, encoding="utf-8")
    assert run("smartcodes", "push", str(minutes)).exit_code == 0
    assert run("smartcodes", "push", str(pricing), "--kind", "pricing").exit_code == 0
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"timestamp": "2026-01-15T09:30:00Z", "properties": {"duration": 61}}\n'
        '{"timestamp": "2026-01-15T09:31:00Z", "properties": {"duration": 0.5}}\n'
        '{"timestamp": "2026-01-15T09:32:00Z", "properties": {}}\n',
        encoding="utf-8",
    )
    valued = run("smartcodes", "test", "billable_minutes", "--events", str(events), "--json")
    assert valued.exit_code == 0, valued.output
    out = json.loads(valued.stdout)
    # ceil(61/60) = 2, ceil(0.5/60) = 1, the third has no duration (KeyError on line 6)
    assert [r["value"] for r in out["results"]] == ["2", "1", None]
    assert out["results"][2]["error"].startswith("event 2, line 6: KeyError")
    assert out["total"] == "3"
    usage = tmp_path / "usage.json"
    usage.write_text(
        json.dumps(
            {
                "usage": {
                    "quantity": "60",
                    "groups": {"US": "60"},
                    "period": {"start": "2026-01-01", "end": "2026-02-01"},
                }
            }
        ),
        encoding="utf-8",
    )
    priced = run("smartcodes", "test", "calls", "--usage", str(usage), "--json")
    assert priced.exit_code == 0, priced.output
    assert json.loads(priced.stdout)["total"] == "5.40"  # 60 × 0.09
    wrong = run("smartcodes", "test", "calls", "--events", str(events))
    assert wrong.exit_code == 1 and "give --usage" in wrong.stderr


def test_unknown_smartcode_is_one_line_not_found(run) -> None:  # type: ignore[no-untyped-def]
    result = run("smartcodes", "show", "nothing")
    assert result.exit_code == 1 and "smartcode 'nothing' not found" in result.stderr


def test_list_takes_the_apis_updated_since(run, ctx: Ctx, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    # billable_minutes at 09:30 UTC, calls_by_country an hour later.
    source = {"kind": "valuation", "source": BILLABLE_MINUTES}
    service.create_smartcode(ctx, source | {"code": "billable_minutes"})
    clock.advance(timedelta(hours=1))
    service.create_smartcode(ctx, source | {"code": "calls_by_country"})
    ctx.session.commit()
    later = run("smartcodes", "list", "--updated-since", "2026-01-15T10:00:00Z", "--json")
    assert later.exit_code == 0, later.output
    assert [s["code"] for s in json.loads(later.stdout)] == ["calls_by_country"]
    bad = run("smartcodes", "list", "--updated-since", "10:00")
    assert bad.exit_code == 1 and "--updated-since: expected a timestamp" in bad.stderr
