"""`tarif webhooks …`, `tarif jobs …` and `tarif worker --once` through Typer's CliRunner."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.webhooks import service
from tests.conftest import START, Tenant
from tests.webhooks.conftest import Receiver


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_endpoints_deliveries_worker_and_jobs(
    run, receiver: Receiver, engine: Engine, tenant: Tenant, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    made = run(
        "webhooks", "endpoints", "create", receiver.url, "--type", "invoice.finalized", "--json"
    )
    assert made.exit_code == 0, made.output
    endpoint = json.loads(made.stdout)
    assert endpoint["event_types"] == ["invoice.finalized"]
    listed = json.loads(run("webhooks", "endpoints", "list", "--json").stdout)
    assert [e["id"] for e in listed] == [endpoint["id"]]

    bad = run("webhooks", "endpoints", "create", "ftp://x", "--type", "invoice.paid")
    assert bad.exit_code == 1
    assert bad.stderr.strip() == (
        "error: The request has invalid fields: url: must start with https:// (or http://);"
        " event_types.0: unknown event type 'invoice.paid'"
    )

    ping = run("webhooks", "endpoints", "ping", endpoint["id"])
    assert ping.exit_code == 0 and ping.stdout.strip() == "ping delivered: 200"

    with session_factory(engine)() as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        (delivery,) = service.emit(ctx, "invoice.finalized", {"id": "inv_1"})
        session.commit()
    receiver.codes = [500]
    worked = run("worker", "--once")
    assert worked.exit_code == 0, worked.output
    assert worked.stdout.strip() == "1 jobs run"  # failed once: queued again 30 s later
    shown = json.loads(run("webhooks", "deliveries", "show", delivery.id, "--json").stdout)
    assert (shown["status"], shown["last_status_code"]) == ("retrying", 500)

    replayed = run("webhooks", "replay", delivery.id)
    assert replayed.exit_code == 0 and f"delivery {delivery.id} queued again" in replayed.stdout
    assert run("worker", "--once", "--concurrency", "2").stdout.strip() == "1 jobs run"
    shown = json.loads(run("webhooks", "deliveries", "show", delivery.id, "--json").stdout)
    assert (shown["status"], shown["attempt_count"]) == ("delivered", 2)
    listed = json.loads(run("webhooks", "deliveries", "list", "--json").stdout)
    assert [d["event_type"] for d in listed] == ["ping", "invoice.finalized"]

    jobs = json.loads(run("jobs", "list", "--json", "--status", "done").stdout)
    assert [j["id"] for j in jobs] == [shown["job_id"]]
    assert json.loads(run("jobs", "show", shown["job_id"], "--json").stdout)["attempts"] == 1
    refused = run("jobs", "retry", shown["job_id"])
    assert refused.exit_code == 1
    assert f"job '{shown['job_id']}' is done: only a dead job is retried" in refused.stderr

    assert run("webhooks", "endpoints", "update", endpoint["id"], "--disabled").exit_code == 0
    assert (
        json.loads(run("webhooks", "endpoints", "show", endpoint["id"], "--json").stdout)["enabled"]
        is False
    )
    assert run("webhooks", "endpoints", "delete", endpoint["id"]).exit_code == 0
    assert run("webhooks", "endpoints", "show", endpoint["id"]).exit_code == 1


def test_lists_take_the_apis_search_and_updated_since(run, ctx: Ctx, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    # The ERP endpoint and its delivery at 09:30 UTC; the CRM endpoint and a second delivery to
    # both an hour later. No worker runs: the deliveries stay pending.
    types = ["invoice.finalized"]
    erp = service.create_endpoint(
        ctx, {"url": "https://erp.example/hooks", "event_types": types, "description": "ERP"}
    )
    service.emit(ctx, "invoice.finalized", {"id": "inv_1"})
    clock.advance(timedelta(hours=1))
    crm = service.create_endpoint(
        ctx, {"url": "https://crm.example/in", "event_types": types, "description": "CRM sync"}
    )
    later = service.emit(ctx, "invoice.finalized", {"id": "inv_2"})
    ctx.session.commit()
    found = run("webhooks", "endpoints", "list", "--q", "crm", "--json")
    assert [e["id"] for e in json.loads(found.stdout)] == [crm.id]
    assert [
        e["id"]
        for e in json.loads(
            run("webhooks", "endpoints", "list", "--q", "erp.example", "--json").stdout
        )
    ] == [erp.id]
    since = "2026-01-15T10:00:00Z"
    recent = run("webhooks", "endpoints", "list", "--updated-since", since, "--json")
    assert [e["id"] for e in json.loads(recent.stdout)] == [crm.id]
    deliveries = run("webhooks", "deliveries", "list", "--updated-since", since, "--json")
    assert sorted(d["id"] for d in json.loads(deliveries.stdout)) == sorted(d.id for d in later)
    # the second event's id names its deliveries (one per endpoint); no event type holds "paid"
    event_id = later[0].event_id
    by_event = run("webhooks", "deliveries", "list", "--q", event_id, "--json")
    assert sorted(d["id"] for d in json.loads(by_event.stdout)) == sorted(d.id for d in later)
    by_type = run("webhooks", "deliveries", "list", "--q", "FINALIZED", "--json")
    assert len(json.loads(by_type.stdout)) == 3  # the ERP's two and the CRM's one
    assert json.loads(run("webhooks", "deliveries", "list", "--q", "paid", "--json").stdout) == []
    bad = run("webhooks", "deliveries", "list", "--updated-since", "noon")
    assert bad.exit_code == 1 and "--updated-since: expected a timestamp" in bad.stderr
