"""`tarif bill run` and `tarif invoices …` through Typer's CliRunner (clock: 15 Jan 2026)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.invoicing import service
from tests.conftest import START, Tenant
from tests.contracts.conftest import World, build_world
from tests.invoicing.conftest import FEB_1, JAN_15, hosting_contract


@pytest.fixture
def shop(ctx: Ctx) -> World:
    world = build_world(ctx)
    hosting_contract(world)
    ctx.session.commit()
    return world


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_bill_run_then_finalize_explain_and_pay(run, shop: World) -> None:  # type: ignore[no-untyped-def]
    dry = run("bill", "run", "--as-of", "2026-01-15", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    # 399 × 17/31 = 218.81 + 20 % VAT 43.76 = 262.57
    assert [i["gross_total"] for i in json.loads(dry.stdout)["invoices"]] == ["262.57"]
    made = run("bill", "run", "--as-of", "2026-01-15", "--json")
    assert made.exit_code == 0, made.output
    [invoice] = json.loads(made.stdout)["invoices"]
    again = run("bill", "run", "--as-of", "2026-01-15", "--json")
    assert json.loads(again.stdout)["invoices"] == []
    listed = run("invoices", "list", "--status", "draft", "--json")
    assert [i["id"] for i in json.loads(listed.stdout)] == [invoice["id"]]
    finalized = run("invoices", "finalize", invoice["id"])
    assert "F-2026-000001" in finalized.stdout
    explained = json.loads(run("invoices", "explain", invoice["id"], "--json").stdout)
    assert explained[0]["exact_net"].startswith("218.8064")  # 399 × 17 / 31 = 218.80645…
    paid = run("invoices", "pay", invoice["id"], "--amount", "262.57")
    assert "now paid" in paid.stdout
    shown = json.loads(run("invoices", "show", invoice["id"], "--json").stdout)
    assert (shown["status"], shown["amount_paid"]) == ("paid", "262.57")


def test_a_dry_run_names_the_open_draft_a_group_would_join(  # type: ignore[no-untyped-def]
    run, shop: World, ctx: Ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tarif.cli import common

    monkeypatch.setattr(common.console, "width", 200)  # wide enough for every column
    made = run("bill", "run", "--as-of", "2026-01-15", "--json")
    [draft] = json.loads(made.stdout)["invoices"]
    hosting_contract(shop, shop.customer, reference="C-SECOND")
    ctx.session.commit()
    dry = run("bill", "run", "--as-of", "2026-01-15", "--dry-run")
    assert dry.exit_code == 0, dry.output
    # the second contract's 15 → 31 Jan, 262.57 gross, goes on the draft: its column says so
    assert "joins_draft_id" in dry.stdout and draft["id"] in dry.stdout
    assert "262.57" in dry.stdout


def test_errors_are_one_line(run, shop: World) -> None:  # type: ignore[no-untyped-def]
    result = run("invoices", "finalize", "inv_missing")
    assert result.exit_code != 0
    assert "not found" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    bad = run("bill", "run", "--as-of", "15/01/2026")
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.stderr


def test_a_customer_is_named_by_id_or_external_id(run, shop: World) -> None:  # type: ignore[no-untyped-def]
    customer = shop.customer
    for name in (customer.id, customer.external_id):
        upcoming = run("invoices", "upcoming", name, "--json")
        assert upcoming.exit_code == 0, upcoming.output
        # 399 × 17/31 = 218.81 + 20 % VAT 43.76 = 262.57
        assert [i["gross_total"] for i in json.loads(upcoming.stdout)] == ["262.57"]
    made = json.loads(run("bill", "run", "--as-of", "2026-01-15", "--json").stdout)
    for name in (customer.id, customer.external_id):
        listed = run("invoices", "list", "--customer", name, "--json")
        assert [i["id"] for i in json.loads(listed.stdout)] == [made["invoices"][0]["id"]]
        notes = run("credit-notes", "list", "--customer", name, "--json")
        assert notes.exit_code == 0 and json.loads(notes.stdout) == []
    unknown = run("invoices", "upcoming", "NOPE")
    assert unknown.exit_code != 0 and unknown.stderr.strip() == "error: customer 'NOPE' not found"


def test_lists_take_the_apis_updated_since_and_search(  # type: ignore[no-untyped-def]
    run, shop: World, ctx: Ctx, clock: FixedClock
) -> None:
    # January's run at 09:30 UTC, February's an hour later: one draft each.
    january = service.run_billing(ctx, JAN_15).invoices[0].invoice_id
    clock.advance(timedelta(hours=1))
    february_run = service.run_billing(ctx, FEB_1)
    assert february_run.run is not None
    february = february_run.invoices[0].invoice_id
    ctx.session.commit()
    since = "2026-01-15T10:00:00Z"
    runs = json.loads(run("bill", "list", "--updated-since", since, "--json").stdout)
    assert [r["id"] for r in runs] == [february_run.run.id]
    # both runs were started by the test's actor ("test"); nobody else ran one
    by_actor = json.loads(run("bill", "list", "--q", "TES", "--json").stdout)
    assert len(by_actor) == 2
    assert json.loads(run("bill", "list", "--q", "demo@", "--json").stdout) == []
    drafts = json.loads(run("invoices", "list", "--updated-since", since, "--json").stdout)
    assert [i["id"] for i in drafts] == [february]

    # Numbered F-2026-000001 and F-2026-000002 in billing order; January paid in two parts.
    service.finalize_invoice(ctx, january)
    service.finalize_invoice(ctx, february)
    service.record_payment(ctx, january, amount="100.00", reference="VIR-2026-17")
    service.record_payment(ctx, january, amount="50.00", reference="CHQ-0042")
    ctx.session.commit()
    numbered = json.loads(run("invoices", "list", "--q", "000002", "--json").stdout)
    assert [i["number"] for i in numbered] == ["F-2026-000002"]
    cheque = json.loads(run("invoices", "payments", january, "--q", "chq", "--json").stdout)
    assert [p["amount"] for p in cheque] == ["50.00"]
    bad = run("bill", "list", "--updated-since", "2026-13-01")
    assert bad.exit_code == 1 and bad.stderr.strip() == (
        "error: --updated-since: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), "
        "got '2026-13-01'"
    )
