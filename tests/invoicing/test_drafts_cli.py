"""`tarif invoices add-line|remove-line|update|regenerate|delete|finalize-due` (clock: 15 Jan 2026).

The draft is the 1 Feb 2026 one of hosting at 399.00 a month: 399.00 net, 478.80 gross.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tarif.context import Ctx
from tarif.tenancy.models import Organization
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_invoice_cli import run

__all__ = ["run"]  # the CliRunner fixture of test_invoice_cli


@pytest.fixture
def shop(ctx: Ctx) -> World:
    world = build_world(ctx)
    world.running()
    ctx.session.commit()
    return world


@pytest.fixture
def draft(run: Any, shop: World) -> str:
    made = run("bill", "run", "--as-of", "2026-02-01", "--json")
    assert made.exit_code == 0, made.output
    [invoice] = json.loads(made.stdout)["invoices"]
    return str(invoice["id"])


def shown(run: Any, invoice_id: str) -> dict[str, Any]:
    result = run("invoices", "show", invoice_id, "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_add_and_remove_a_line(run: Any, draft: str, shop: World) -> None:
    added = run(
        "invoices",
        "add-line",
        draft,
        "--description",
        "Training day",
        "--quantity",
        "2",
        "--unit-price",
        "75.50",
        "--vat-category",
        "standard",
        "--json",
    )
    assert added.exit_code == 0, added.output
    assert (json.loads(added.stdout)["position"], json.loads(added.stdout)["net_amount"]) == (
        2,
        "151.00",
    )
    # 399.00 + 151.00 = 550.00; VAT 110.00; gross 660.00
    assert shown(run, draft)["gross_total"] == "660.00"
    by_code = run("invoices", "add-line", draft, "--product", "setup", "--unit-price", "500")
    assert by_code.exit_code == 0, by_code.output
    assert "added line 3" in by_code.stdout
    # 550.00 + 500.00 = 1050.00; VAT 210.00; gross 1260.00
    assert shown(run, draft)["gross_total"] == "1260.00"
    assert shown(run, draft)["lines"][2]["description"] == "Setup"
    removed = run("invoices", "remove-line", draft, "2")
    assert removed.exit_code == 0, removed.output
    # 399.00 + 500.00 = 899.00; VAT 179.80; gross 1078.80
    assert shown(run, draft)["gross_total"] == "1078.80"
    refused = run("invoices", "remove-line", draft, "1")
    assert refused.exit_code != 0 and "regenerate or amend the contract" in refused.stderr


def test_errors_are_one_line(run: Any, draft: str) -> None:
    negative = run("invoices", "add-line", draft, "--quantity", "-1", "--unit-price", "5")
    assert negative.exit_code != 0
    assert len(negative.stderr.strip().splitlines()) == 1 and "quantity" in negative.stderr
    missing = run("invoices", "add-line", "inv_missing", "--unit-price", "5")
    assert missing.exit_code != 0 and "not found" in missing.stderr


def test_update_regenerate_delete(run: Any, draft: str) -> None:
    updated = run("invoices", "update", draft, "--purchase-order", "PO-9", "--notes", "Merci")
    assert updated.exit_code == 0, updated.output
    assert (shown(run, draft)["purchase_order"], shown(run, draft)["notes"]) == ("PO-9", "Merci")
    regenerated = run("invoices", "regenerate", draft, "--json")
    assert regenerated.exit_code == 0, regenerated.output
    answer = json.loads(regenerated.stdout)
    assert (answer["outcome"], answer["invoice"]["gross_total"]) == ("regenerated", "478.80")
    kept = run("invoices", "delete", draft)  # the prompt is answered "no"
    assert kept.exit_code != 0 and shown(run, draft)["status"] == "draft"
    deleted = run("invoices", "delete", draft, "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert run("invoices", "show", draft).exit_code != 0


def test_finalize_due(run: Any, draft: str, ctx: Ctx) -> None:
    off = run("invoices", "finalize-due")
    assert off.exit_code == 0 and "auto-finalization is off" in off.stdout
    ctx.session.get_one(Organization, ctx.organization_id).auto_finalize_after_hours = 0
    ctx.session.commit()
    done = run("invoices", "finalize-due", "--json")
    assert done.exit_code == 0, done.output
    assert [(i["id"], i["number"]) for i in json.loads(done.stdout)["finalized"]] == [
        (draft, "F-2026-000001")
    ]
    refused = run("invoices", "add-line", draft, "--description", "x", "--unit-price", "1")
    assert "F-2026-000001 is finalized: issue a credit note" in refused.stderr
