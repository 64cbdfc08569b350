"""`tarif jobs list` through Typer's CliRunner: the filters `GET /v1/jobs` takes (15 Jan 2026)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.jobs import service
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


def test_list_takes_the_apis_search_and_updated_since(run, ctx: Ctx, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    # A count job at 09:30 UTC, a flaky one an hour later (queued only: no worker runs them).
    counted = service.enqueue(ctx, "test.count", {})
    clock.advance(timedelta(hours=1))
    flaky = service.enqueue(ctx, "test.flaky", {})
    ctx.session.commit()
    found = run("jobs", "list", "--q", "FLAKY", "--json")
    assert found.exit_code == 0, found.output
    assert [j["id"] for j in json.loads(found.stdout)] == [flaky.id]
    later = run("jobs", "list", "--updated-since", "2026-01-15T10:00:00Z", "--json")
    assert [j["id"] for j in json.loads(later.stdout)] == [flaky.id]
    both = run("jobs", "list", "--updated-since", "2026-01-15", "--limit", "1")
    assert counted.id in both.stdout and f"more: --starting-after {counted.id}" in both.stdout
    bad = run("jobs", "list", "--updated-since", "2026-01-15 25:00")
    assert bad.exit_code == 1 and bad.stderr.strip() == (
        "error: --updated-since: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), "
        "got '2026-01-15 25:00'"
    )
