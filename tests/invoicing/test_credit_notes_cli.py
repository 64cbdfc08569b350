"""`tarif credit-notes …` and `tarif invoices void` through Typer's CliRunner (15 Jan 2026)."""

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
from tests.invoicing.credit_notes import both_invoices


@pytest.fixture
def invoices(ctx: Ctx) -> tuple[str, str]:
    """January F-2026-000001 (262.57) and February F-2026-000002 (478.80), finalized."""
    world: World = build_world(ctx)
    january, february = both_invoices(ctx, world)
    ctx.session.commit()
    return january.id, february.id


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_create_by_line_and_amount_then_list_show_and_void(run, invoices) -> None:  # type: ignore[no-untyped-def]
    january, february = invoices
    by_line = run(
        "credit-notes", "create", "--invoice", january, "--reason", "Unused days",
        "--line", "1:0.25", "--refund", "--json",
    )  # fmt: skip
    assert by_line.exit_code == 0, by_line.output
    note = json.loads(by_line.stdout)
    # 218.81 × 0.25 = 54.7025 → 54.70 net; VAT 10.94; gross 65.64
    assert (note["number"], note["gross_total"]) == ("AV-2026-000001", "-65.64")
    by_amount = run(
        "credit-notes", "create", "--invoice", february, "--reason", "Goodwill",
        "--amount", "100.00",
    )  # fmt: skip
    assert by_amount.exit_code == 0, by_amount.output
    assert "AV-2026-000002" in by_amount.stdout
    listed = run("credit-notes", "list", "--invoice", february, "--json")
    assert [n["gross_total"] for n in json.loads(listed.stdout)] == ["-100.00"]
    shown = run("credit-notes", "show", note["id"])
    assert shown.exit_code == 0 and "AV-2026-000001" in shown.stdout
    explained = run("credit-notes", "explain", note["id"], "--json")
    assert json.loads(explained.stdout)[0]["credits"]["invoice_number"] == "F-2026-000001"
    voided = run("invoices", "void", february, "--reason", "Cancelled", "--json")
    assert voided.exit_code == 0, voided.output
    # 478.80 - 100.00 = 378.80 left
    assert json.loads(voided.stdout)["gross_total"] == "-378.80"
    again = run("invoices", "void", february, "--reason", "Again")
    assert again.exit_code != 0 and "voided" in again.output


def test_bad_input_is_one_line(run, invoices) -> None:  # type: ignore[no-untyped-def]
    january, _ = invoices
    both = run(
        "credit-notes", "create", "--invoice", january, "--reason", "x",
        "--amount", "1.00", "--line", "1",
    )  # fmt: skip
    assert both.exit_code != 0 and "amount" in both.output
    bad_line = run("credit-notes", "create", "--invoice", january, "--reason", "x", "--line", "a")
    assert bad_line.exit_code != 0 and "lines.0.position" in bad_line.output
    # 262.57 is all January can take
    over = run("credit-notes", "create", "--invoice", january, "--reason", "x", "--amount", "300")
    assert over.exit_code != 0 and "262.57" in over.output
    missing = run("credit-notes", "show", "cn_missing")
    assert missing.exit_code != 0 and "not found" in missing.output


@pytest.fixture
def customer_id(ctx: Ctx) -> str:
    world: World = build_world(ctx)
    ctx.session.commit()
    return world.customer.id


def test_contracts_create_takes_the_corrections_setting(run, customer_id: str) -> None:  # type: ignore[no-untyped-def]
    made = run(
        "contracts", "create", "--customer", customer_id, "--reference", "C-CN",
        "--start", "2026-01-15", "--corrections", "credit_note", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["terms"]["corrections"] == "credit_note"
    bad = run(
        "contracts", "create", "--customer", customer_id, "--reference", "C-CN-2",
        "--start", "2026-01-15", "--corrections", "soon",
    )  # fmt: skip
    assert bad.exit_code != 0 and "corrections" in bad.output


def test_list_takes_the_apis_search_and_updated_since(run, invoices) -> None:  # type: ignore[no-untyped-def]
    january, february = invoices
    for invoice in (january, february):
        made = run(
            "credit-notes", "create", "--invoice", invoice, "--reason", "Goodwill",
            "--amount", "10.00",
        )  # fmt: skip
        assert made.exit_code == 0, made.output
    found = run("credit-notes", "list", "--q", "av-2026-000002", "--json")
    assert [(n["number"], n["corrects_invoice_number"]) for n in json.loads(found.stdout)] == [
        ("AV-2026-000002", "F-2026-000002")
    ]
    # Both were issued at the command's 09:30 UTC.
    later = run("credit-notes", "list", "--updated-since", "2026-01-15T09:31:00Z", "--json")
    assert json.loads(later.stdout) == []
    since = run("credit-notes", "list", "--updated-since", "2026-01-15T09:30:00Z", "--json")
    assert len(json.loads(since.stdout)) == 2
