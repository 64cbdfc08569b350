"""`tarif contracts|amendments|templates …` through Typer's CliRunner on the test database.

The command's clock is pinned to the tests' 15 Jan 2026 (09:30 UTC).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts.schemas import AmendmentCreate, TemplateCreate, parse
from tests.conftest import START, Tenant
from tests.contracts.conftest import World, build_world


@pytest.fixture
def shop(ctx: Ctx) -> World:
    world = build_world(ctx)
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


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def create(run: Any, shop: World, *extra: str) -> dict[str, Any]:
    return as_json(  # type: ignore[no-any-return]
        run(
            "contracts", "create", "--customer", shop.customer.external_id,
            "--reference", "C-CLI-1", "--start", "2026-01-01", "--line", "hosting",
            *extra, "--json",
        )
    )  # fmt: skip


def test_create_show_edit_and_run_a_contract(run: Any, shop: World) -> None:
    created = create(run, shop, "--term-months", "12", "--renew-months", "12")
    assert (created["status"], created["terms"]["initial_term_months"]) == ("draft", 12)
    out = ok(run("contracts", "add-line", "C-CLI-1", "--product", "licence", "--quantity", "10"))
    # 10 licences at the pricelist's 120.00, shown with the euro's two decimals.
    assert out.stdout.strip() == "line licence added: 10 × 120.00"
    listed = as_json(run("contracts", "list", "--status", "draft", "--json"))
    assert [c["reference"] for c in listed] == ["C-CLI-1"]
    assert "C-CLI-1" in ok(run("contracts", "show", "C-CLI-1")).stdout
    submitted = ok(run("contracts", "submit", "C-CLI-1", "--date", "2026-01-05"))
    assert submitted.stdout.strip() == "contract C-CLI-1 is pending"
    ok(run("contracts", "activate", created["id"], "--date", "2026-01-10"))
    ok(run("contracts", "suspend", "C-CLI-1", "--reason", "unpaid"))
    ok(run("contracts", "resume", "C-CLI-1"))
    steps = as_json(run("contracts", "transitions", "C-CLI-1", "--json"))
    assert [(s["action"], s["effective_date"]) for s in steps] == [
        ("submit", "2026-01-05"),
        ("activate", "2026-01-10"),
        ("suspend", "2026-01-15"),
        ("resume", "2026-01-15"),
    ]


def test_bad_input_is_one_line_on_stderr(run: Any, shop: World) -> None:
    line = one_error_line(
        run(
            "contracts", "create", "--customer", shop.customer.id, "--reference", "C-X",
            "--start", "2026-02-01", "--end", "2026-01-31", "--currency", "USD",
        )
    )  # fmt: skip
    assert "currency: the customer is billed in EUR, not USD" in line
    assert "end_date: the contract would end (last day 2026-01-31)" in line
    create(run, shop)
    line = one_error_line(run("contracts", "activate", "C-CLI-1"))
    assert line == ("error: cannot activate a contract that is draft; allowed from draft: submit")
    assert (
        one_error_line(run("contracts", "show", "C-NOPE")) == "error: contract 'C-NOPE' not found"
    )
    line = one_error_line(run("contracts", "show", "C-CLI-1", "--as-of", "15/01/2026"))
    assert line == "error: --as-of: expected a date YYYY-MM-DD, got '15/01/2026'"


def test_create_from_a_json_file_and_activation_on_signature(
    run: Any, shop: World, tmp_path: Path
) -> None:
    file = tmp_path / "contract.json"
    file.write_text(
        json.dumps(
            {
                "customer_id": shop.customer.id,
                "reference": "C-FILE",
                "start_date": "2026-01-01",
                "activation": {"condition": "on_signature"},
                "lines": [{"product_id": shop.hosting.id, "quantity": "2"}],
            }
        )
    )
    ok(run("contracts", "create", "--file", str(file)))
    ok(run("contracts", "submit", "C-FILE"))
    out = ok(run("contracts", "sign", "C-FILE", "--date", "2026-01-15")).stdout
    assert out.strip() == "contract C-FILE signed on 2026-01-15; it is active"
    line = one_error_line(run("contracts", "record-payment", "C-FILE", "--date", "2026-02-01"))
    assert "paid_on: 2026-02-01 is after today (2026-01-15)" in line


def test_amendments_versions_and_apply_due(run: Any, shop: World) -> None:
    contract = create(run, shop)
    ok(run("contracts", "submit", "C-CLI-1"))
    ok(run("contracts", "activate", "C-CLI-1"))
    created = as_json(
        run(
            "amendments", "create", "C-CLI-1", "--effective", "2026-03-01",
            "--reason", "upgrade", "--set-quantity", "hosting=3", "--json",
        )
    )  # fmt: skip
    assert (created["status"], created["diff"]) == ("draft", ["line hosting: quantity 1 → 3"])
    out = ok(run("amendments", "schedule", created["id"])).stdout
    assert out.strip() == f"amendment {created['id']} scheduled, effective 2026-03-01"
    line = one_error_line(
        run(
            "amendments", "create", "C-CLI-1", "--effective", "2026-03-01",
            "--reason", "again", "--set-quantity", "hosting=4",
        )
    )  # fmt: skip
    assert line.startswith(f"error: amendments {created['id']} and amd_")
    assert line.endswith("both set the quantity of line hosting on 2026-03-01")
    versions = ok(run("contracts", "versions", "C-CLI-1")).stdout
    assert "version 2 from 2026-03-01" in versions
    assert "line hosting: quantity 1 → 3" in versions
    listed = as_json(run("amendments", "list", "--contract", contract["id"], "--json"))
    assert [a["id"] for a in listed] == [created["id"]]
    shown = as_json(run("contracts", "show", "C-CLI-1", "--as-of", "2026-03-01", "--json"))
    assert shown["terms"]["lines"][0]["quantity"] == "3"
    summary = ok(run("amendments", "apply-due", "--as-of", "2026-03-01")).stdout
    assert f"applied: C-CLI-1: {created['id']}" in summary
    assert summary.strip().endswith(
        "as of 2026-03-01: 1 amendment(s) applied, 0 renewal(s), 0 activated, 0 terminated"
    )
    assert one_error_line(run("amendments", "cancel", created["id"])).startswith(
        f"error: amendment {created['id']} (applied"
    )


def test_cancel_and_terminate(run: Any, shop: World) -> None:
    create(run, shop)
    ok(run("contracts", "submit", "C-CLI-1"))
    ok(run("contracts", "activate", "C-CLI-1"))
    draft = as_json(
        run(
            "amendments", "create", "C-CLI-1", "--effective", "2026-06-01",
            "--reason", "drop", "--remove-line", "hosting", "--schedule", "--json",
        )
    )  # fmt: skip
    assert draft["status"] == "scheduled"
    ok(run("amendments", "cancel", draft["id"]))
    listed = as_json(run("amendments", "list", "--status", "cancelled", "--json"))
    assert [a["id"] for a in listed] == [draft["id"]]
    out = ok(run("contracts", "terminate", "C-CLI-1", "--mode", "immediately")).stdout
    assert out.strip() == "contract C-CLI-1 is terminated"


def test_templates(run: Any, shop: World, tmp_path: Path) -> None:
    file = tmp_path / "template.json"
    file.write_text(
        json.dumps(
            {
                "name": "Starter",
                "parameters": [{"name": "start_date", "type": "date"}],
                "lines": [{"line_key": "hosting", "product": "hosting", "kind": "recurring"}],
            }
        )
    )
    out = ok(run("templates", "create", "--file", str(file))).stdout
    template_id = out.split()[1]
    assert out.strip() == f"template {template_id} created: Starter (version 1)"
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"name": "Starter 2026"}))
    assert ok(run("templates", "update", template_id, "--file", str(change))).stdout.strip() == (
        f"template {template_id} is now at version 2"
    )
    shown = as_json(run("templates", "show", template_id, "--version", "1", "--json"))
    assert (shown["name"], shown["versions"]) == ("Starter", [1, 2])
    assert [t["name"] for t in as_json(run("templates", "list", "--json"))] == ["Starter 2026"]
    made = as_json(
        run(
            "templates", "instantiate", template_id, "--customer", shop.customer.id,
            "--reference", "C-TPL", "--param", "start_date=2026-03-01", "--json",
        )
    )  # fmt: skip
    assert made["terms"]["template"] == {"template_id": template_id, "version": 2}
    assert made["terms"]["start_date"] == "2026-03-01"
    line = one_error_line(
        run(
            "templates", "instantiate", template_id, "--customer", shop.customer.id,
            "--reference", "C-TPL-2", "--param", "start_date",
        )
    )  # fmt: skip
    assert line == "error: --param: expected NAME=VALUE, got 'start_date'"


def test_create_takes_the_termination_credit_setting(run: Any, shop: World) -> None:
    kept = create(run, shop, "--no-termination-credit")
    assert kept["terms"]["credit_on_termination"] is False
    credited = as_json(
        run(
            "contracts", "create", "--customer", shop.customer.external_id,
            "--reference", "C-CLI-2", "--start", "2026-01-01", "--termination-credit", "--json",
        )
    )  # fmt: skip
    plain = as_json(
        run(
            "contracts", "create", "--customer", shop.customer.external_id,
            "--reference", "C-CLI-3", "--start", "2026-01-01", "--json",
        )
    )  # fmt: skip
    assert [c["terms"]["credit_on_termination"] for c in (credited, plain)] == [True, True]
    shown = as_json(run("contracts", "show", "C-CLI-1", "--json"))
    assert shown["terms"]["credit_on_termination"] is False


def test_create_takes_the_billing_alignment(run: Any, shop: World) -> None:
    calendar = create(run, shop, "--alignment", "calendar")
    assert calendar["terms"]["billing_alignment"] == "calendar"
    plain = as_json(
        run(
            "contracts", "create", "--customer", shop.customer.external_id,
            "--reference", "C-CLI-2", "--start", "2026-01-01", "--json",
        )
    )  # fmt: skip
    assert plain["terms"]["billing_alignment"] == "anniversary"
    refused = run(
        "contracts", "create", "--customer", shop.customer.external_id,
        "--reference", "C-CLI-3", "--start", "2026-01-01", "--alignment", "weekly",
    )  # fmt: skip
    assert refused.exit_code != 0 and "--alignment" in refused.output


def test_show_an_amendment(run: Any, shop: World) -> None:
    create(run, shop)
    ok(run("contracts", "submit", "C-CLI-1"))
    ok(run("contracts", "activate", "C-CLI-1"))
    created = as_json(
        run(
            "amendments", "create", "C-CLI-1", "--effective", "2026-03-01",
            "--reason", "upgrade", "--set-quantity", "hosting=3", "--json",
        )
    )  # fmt: skip
    shown = as_json(run("amendments", "show", created["id"], "--json"))
    assert shown == created
    text = ok(run("amendments", "show", created["id"])).stdout
    assert "upgrade" in text and "line hosting: quantity 1 → 3" in text
    assert "not found" in one_error_line(run("amendments", "show", "amd_nope"))


def test_edit_and_delete_a_draft(run: Any, shop: World) -> None:
    create(run, shop)
    ok(run("contracts", "add-line", "C-CLI-1", "--product", "licence", "--quantity", "10"))
    updated = as_json(
        run(
            "contracts", "update", "C-CLI-1", "--reference", "C-CLI-2", "--end", "2026-12-31",
            "--purchase-order", "PO-7", "--json",
        )
    )  # fmt: skip
    assert (updated["reference"], updated["terms"]["end_date"]) == ("C-CLI-2", "2026-12-31")
    assert updated["terms"]["purchase_order"] == "PO-7"
    evergreen = as_json(run("contracts", "update", "C-CLI-2", "--end", "", "--json"))
    assert evergreen["terms"]["end_date"] is None
    # 4 licences at 99.00 instead of the pricelist's 120.00
    out = ok(
        run("contracts", "update-line", "C-CLI-2", "licence", "--quantity", "4",
            "--unit-price", "99.00")
    )  # fmt: skip
    assert out.stdout.strip() == "line licence updated: 4 × 99.00"
    back = as_json(
        run("contracts", "update-line", "C-CLI-2", "licence", "--unit-price", "", "--json")
    )
    [licence] = [x for x in back["terms"]["lines"] if x["line_key"] == "licence"]
    assert (licence["quantity"], licence["unit_price"]) == ("4", "120")
    out = ok(run("contracts", "remove-line", "C-CLI-2", "licence"))
    assert out.stdout.strip() == "line licence removed from C-CLI-2"
    shown = as_json(run("contracts", "show", "C-CLI-2", "--json"))
    assert [x["line_key"] for x in shown["terms"]["lines"]] == ["hosting"]
    assert "--end: expected a date" in one_error_line(
        run("contracts", "update", "C-CLI-2", "--end", "2026-02-30")
    )
    assert "nothing to change" in one_error_line(run("contracts", "update", "C-CLI-2"))
    assert "licence" in one_error_line(
        run("contracts", "update-line", "C-CLI-2", "licence", "--quantity", "2")
    )
    assert ok(run("contracts", "delete", "C-CLI-2", "--yes")).stdout.strip() == (
        "contract C-CLI-2 deleted"
    )
    assert "not found" in one_error_line(run("contracts", "show", "C-CLI-2"))


def test_a_submitted_contract_is_not_edited(run: Any, shop: World) -> None:
    create(run, shop)
    ok(run("contracts", "submit", "C-CLI-1"))
    for args in (
        ("update", "C-CLI-1", "--reference", "X"),
        ("update-line", "C-CLI-1", "hosting", "--quantity", "2"),
        ("remove-line", "C-CLI-1", "hosting"),
        ("delete", "C-CLI-1", "--yes"),
    ):
        result = run("contracts", *args)
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_lists_take_the_apis_updated_since_and_search(
    run: Any, shop: World, ctx: Ctx, clock: FixedClock
) -> None:
    # At 09:30 UTC: C-OLD running with two draft amendments, and the "Growth" template;
    # an hour later: the C-NEW draft and the "SaaS" template.
    old = shop.running(reference="C-OLD")
    for reason, change in (
        ("Upgrade to three servers", {"type": "change_quantity", "quantity": "3"}),
        ("Negotiated price", {"type": "change_price", "unit_price": "379.00"}),
    ):
        amendment = {
            "effective_date": "2026-03-01",
            "reason": reason,
            "changes": [change | {"line_key": "hosting"}],
        }
        service.create_amendment(ctx, old.id, data=parse(AmendmentCreate, amendment))
    template = {"terms": {"start_date": "2026-02-01"}}
    service.create_template(ctx, data=parse(TemplateCreate, template | {"name": "Growth"}))
    clock.advance(timedelta(hours=1))
    shop.contract(reference="C-NEW")
    service.create_template(ctx, data=parse(TemplateCreate, template | {"name": "SaaS"}))
    ctx.session.commit()

    since = "2026-01-15T10:00:00Z"
    contracts = as_json(run("contracts", "list", "--updated-since", since, "--json"))
    assert [c["reference"] for c in contracts] == ["C-NEW"]
    templates = as_json(run("templates", "list", "--updated-since", since, "--json"))
    assert [t["name"] for t in templates] == ["SaaS"]
    found = as_json(run("amendments", "list", "--contract", "C-OLD", "--q", "price", "--json"))
    assert [a["reason"] for a in found] == ["Negotiated price"]
    assert as_json(run("amendments", "list", "--updated-since", since, "--json")) == []
    assert one_error_line(run("contracts", "list", "--updated-since", "soon")) == (
        "error: --updated-since: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), "
        "got 'soon'"
    )
