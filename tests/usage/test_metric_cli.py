"""`tarif metrics …` through Typer's CliRunner (clock: 15 Jan 2026)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.session import session_factory
from tarif.usage import metric_service as metrics
from tests.conftest import START, Tenant
from tests.usage import factories
from tests.usage.factories import add_event


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


@pytest.fixture
def customer(ctx: Ctx) -> str:
    made = customers.create_customer(
        ctx, {"legal_name": "Acme SAS", "country": "FR", "external_id": "ACME"}
    )
    ctx.session.commit()
    return made.id


def test_create_show_update_archive(run) -> None:  # type: ignore[no-untyped-def]
    made = run(
        "metrics", "create", "storage_gb", "--aggregation", "weighted_sum", "--field", "gb",
        "--unit", "GB", "--recurring", "--group-by", "region",
        "--filter", "tier in hot,warm", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    metric = json.loads(made.stdout)
    assert (metric["aggregation"], metric["recurring"], metric["group_by"]) == (
        "weighted_sum",
        True,
        ["region"],
    )
    assert metric["filters"] == [{"property": "tier", "op": "in", "value": ["hot", "warm"]}]
    shown = json.loads(run("metrics", "show", "storage_gb", "--json").stdout)
    assert shown["id"] == metric["id"]
    updated = run("metrics", "update", "storage_gb", "--name", "Stockage", "--clear-filters")
    assert updated.exit_code == 0, updated.output
    listed = json.loads(run("metrics", "list", "--json").stdout)
    assert [(m["name"], m["filters"]) for m in listed] == [("Stockage", [])]
    assert run("metrics", "archive", "storage_gb").exit_code == 0
    assert json.loads(run("metrics", "list", "--archived", "--json").stdout)[0]["archived"]


def test_bad_input_is_one_line_on_stderr(run) -> None:  # type: ignore[no-untyped-def]
    refused = run("metrics", "create", "turnover", "--aggregation", "sum")
    assert refused.exit_code != 0
    assert "field: 'sum' reads a property: name it in field" in refused.output
    refused = run("metrics", "create", "m", "--aggregation", "count", "--filter", "region eu")
    assert refused.exit_code != 0 and "line 1: write 'property op value'" in refused.output
    assert run("metrics", "show", "nope").exit_code != 0


def test_aggregate_one_customer_or_all(run, customer: str, engine: Engine, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    assert (
        run("metrics", "create", "turnover", "--aggregation", "sum", "--field", "amount").exit_code
        == 0
    )
    with session_factory(engine)() as session:
        add_event(session, tenant.id, "turnover", customer, "2026-01-05 10:00", "12.25")
        add_event(session, tenant.id, "turnover", customer, "2026-01-06 10:00", "7.75")
        add_event(session, tenant.id, "turnover", "cus_other", "2026-01-06 10:00", "1")
        session.commit()
    one = run(
        "metrics", "aggregate", "turnover", "--customer", "ACME", "--from", "2026-01-01",
        "--to", "2026-02-01", "--json",
    )  # fmt: skip
    assert one.exit_code == 0, one.output
    assert [(g["quantity"], g["event_count"]) for g in json.loads(one.stdout)] == [
        ("20", 2)
    ]  # 12.25 + 7.75
    every = run(
        "metrics", "aggregate", "turnover", "--from", "2026-01-01", "--to", "2026-02-01", "--json"
    )
    assert {c: rows[0]["quantity"] for c, rows in json.loads(every.stdout).items()} == {
        customer: "20",
        "cus_other": "1",
    }
    table = run("metrics", "aggregate", "turnover", "--from", "2026-01-01", "--to", "2026-02-01")
    assert table.exit_code == 0 and "20" in table.stdout
    events = run(
        "metrics", "events", "turnover", "--customer", customer, "--from", "2026-01-01",
        "--to", "2026-02-01", "--json",
    )  # fmt: skip
    assert [e["value"] for e in json.loads(events.stdout)] == ["12.25", "7.75"]
    bad = run("metrics", "aggregate", "turnover", "--from", "2026-01-01", "--to", "2026-13-01")
    assert bad.exit_code != 0


def test_a_valuation_smartcode_by_code(run, ctx: Ctx) -> None:  # type: ignore[no-untyped-def]
    from tarif.smartcodes import service as smartcodes

    source = (
        "import math\n\n\ndef value(event):\n    return math.ceil(event.properties['s'] / 60)\n"
    )
    minutes, _ = smartcodes.create_smartcode(
        ctx, {"code": "minutes", "kind": "valuation", "source": source}
    )
    ctx.session.commit()
    made = run(
        "metrics", "create", "call_minutes", "--aggregation", "sum", "--field", "s",
        "--valuation-smartcode", "minutes", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["valuation_smartcode_id"] == minutes.id
    # no event yet: it may be taken off again ('' for none)
    cleared = run("metrics", "update", "call_minutes", "--valuation-smartcode", "", "--json")
    assert json.loads(cleared.stdout)["valuation_smartcode_id"] is None
    refused = run("metrics", "update", "call_minutes", "--valuation-smartcode", "nope")
    assert refused.exit_code != 0
    assert "valuation_smartcode_id: unknown SmartCode 'nope'" in refused.output


def test_late_events_received_after(run, customer: str, engine: Engine, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    made = run("metrics", "create", "turnover", "--aggregation", "sum", "--field", "amount")
    assert made.exit_code == 0, made.output
    with session_factory(engine)() as session:
        add_event(session, tenant.id, "turnover", customer, "2026-01-05 10:00", "12.25")
        for received, amount in (("2026-01-10 08:00", "3"), ("2026-01-12 08:00", "4")):
            add_event(
                session, tenant.id, "turnover", customer, "2026-01-05 11:00", amount,
                late=True, received_at=factories.at(received),
            )  # fmt: skip
        session.commit()
    period = ("--customer", "ACME", "--from", "2026-01-01", "--to", "2026-02-01", "--json")
    after = ("--late", "only", "--received-after", "2026-01-11T00:00:00Z")
    # the late event received on 12 Jan only: 4
    one = run("metrics", "aggregate", "turnover", *period, *after)
    assert one.exit_code == 0, one.output
    assert [(g["quantity"], g["event_count"]) for g in json.loads(one.stdout)] == [("4", 1)]
    events = run("metrics", "events", "turnover", *period, *after)
    assert events.exit_code == 0, events.output
    assert [e["value"] for e in json.loads(events.stdout)] == ["4"]
    # without a zone: UTC, the same instant
    naive = run("metrics", "events", "turnover", *period, "--late", "only",
                "--received-after", "2026-01-11T00:00:00")  # fmt: skip
    assert [e["value"] for e in json.loads(naive.stdout)] == ["4"]
    bad = run("metrics", "aggregate", "turnover", *period, "--late", "only",
              "--received-after", "yesterday")  # fmt: skip
    assert bad.exit_code == 1 and bad.stderr.strip().startswith("error: --received-after:")
    alone = run("metrics", "aggregate", "turnover", *period, "--received-after", "2026-01-11")
    assert alone.exit_code == 1
    assert alone.stderr.strip() == (
        "error: --received-after selects late events: use it with --late only"
    )


def test_list_takes_the_apis_updated_since(run, ctx: Ctx, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    # api_calls at 09:30 UTC, storage_gb an hour later.
    metrics.create_metric(ctx, {"code": "api_calls", "aggregation": "count"})
    clock.advance(timedelta(hours=1))
    metrics.create_metric(ctx, {"code": "storage_gb", "aggregation": "max", "field": "gb"})
    ctx.session.commit()
    later = run("metrics", "list", "--updated-since", "2026-01-15T10:00:00Z", "--json")
    assert [m["code"] for m in json.loads(later.stdout)] == ["storage_gb"]
    both = run("metrics", "list", "--updated-since", "2026-01-15T09:30:00", "--json")
    assert [m["code"] for m in json.loads(both.stdout)] == ["api_calls", "storage_gb"]
