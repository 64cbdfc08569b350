"""`tarif products …` and `tarif pricelists …` through Typer's CliRunner on the test database."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.catalog import service
from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tests.conftest import Tenant


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    """Runs `tarif …` for the test's organization."""
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    runner = CliRunner()

    def invoke(*args: str, org: str | None = None) -> Result:
        return runner.invoke(app, [*args, "--org", org or tenant.id])

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


def create_hosting(run) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return as_json(  # type: ignore[no-any-return]
        run(
            "products", "create", "--code", "hosting", "--kind", "recurring",
            "--name-en", "Hosting", "--unit-label", "month", "--json",
        )
    )  # fmt: skip


def test_create_list_show_update_products(run) -> None:  # type: ignore[no-untyped-def]
    created = create_hosting(run)
    assert (created["code"], created["kind"], created["active"]) == ("hosting", "recurring", True)

    listed = as_json(run("products", "list", "--json"))
    assert [p["code"] for p in listed] == ["hosting"]
    assert as_json(run("products", "list", "--kind", "usage", "--json")) == []

    shown = as_json(run("products", "show", "hosting", "--json"))
    assert shown["id"] == created["id"] and shown["prices"] == []

    updated = as_json(run("products", "update", "hosting", "--name-fr", "Hébergement", "--json"))
    assert updated["name_fr"] == "Hébergement"
    ok(run("products", "update", "hosting", "--unit-label", ""))  # "" clears the field
    assert as_json(run("products", "show", created["id"], "--json"))["unit_label"] is None


def test_archive_restore_and_delete(run) -> None:  # type: ignore[no-untyped-def]
    create_hosting(run)
    assert "product hosting archived" in ok(run("products", "archive", "hosting")).stdout
    assert as_json(run("products", "list", "--archived", "--json"))[0]["code"] == "hosting"
    ok(run("products", "archive", "hosting", "--undo"))
    assert as_json(run("products", "list", "--active", "--json"))[0]["active"] is True
    ok(run("products", "delete", "hosting", "--yes"))
    assert one_error_line(run("products", "show", "hosting")) == (
        "error: product 'hosting' not found"
    )


def test_bad_input_is_one_line_on_stderr_and_a_non_zero_exit(run) -> None:  # type: ignore[no-untyped-def]
    line = one_error_line(run("products", "create", "--code", "x", "--kind", "weekly"))
    assert "kind: must be one of recurring, one_off, usage" in line
    assert "name_en: give the product a name" in line
    create_hosting(run)
    line = one_error_line(
        run("products", "create", "--code", "HOSTING", "--kind", "usage", "--name-en", "Again")
    )
    assert line == "error: a product with code 'HOSTING' already exists"
    line = one_error_line(
        run("pricelists", "create", "--name", "X", "--currency", "EUR", "--valid-from", "1/1/26")
    )
    # named as the option, like `bill run --as-of`
    assert line == "error: --valid-from: expected a date YYYY-MM-DD, got '1/1/26'"


def test_pricelists_and_entries(run) -> None:  # type: ignore[no-untyped-def]
    create_hosting(run)
    pricelist = as_json(
        run(
            "pricelists", "create", "--name", "Standard 2026", "--currency", "eur",
            "--valid-from", "2026-01-01", "--default", "--json",
        )
    )  # fmt: skip
    assert (pricelist["currency"], pricelist["is_default"]) == ("EUR", True)

    entry = as_json(
        run(
            "pricelists", "add-entry", pricelist["id"], "--product", "hosting",
            "--price", "399.00", "--periodicity", "monthly", "--timing", "in_advance", "--json",
        )
    )  # fmt: skip
    assert (entry["unit_price"], entry["periodicity"]) == ("399.00", "monthly")

    shown = as_json(run("pricelists", "show", pricelist["id"], "--json"))
    assert [(e["product_code"], e["unit_price"]) for e in shown["entries"]] == [
        ("hosting", "399.00")
    ]
    prices = as_json(run("products", "show", "hosting", "--json"))["prices"]
    assert [(p["pricelist_name"], p["unit_price"]) for p in prices] == [("Standard 2026", "399.00")]

    updated = as_json(
        run("pricelists", "update", pricelist["id"], "--valid-to", "2026-12-31", "--json")
    )
    assert updated["valid_to"] == "2026-12-31"
    listed = as_json(run("pricelists", "list", "--currency", "EUR", "--default", "--json"))
    assert [p["id"] for p in listed] == [pricelist["id"]]

    line = one_error_line(run("products", "delete", "hosting", "--yes"))
    assert line == "error: product 'hosting' is in use (pricelist entries: 1); archive it instead"
    ok(run("pricelists", "remove-entry", pricelist["id"], "--product", "hosting"))
    ok(run("pricelists", "delete", pricelist["id"], "--yes"))
    assert as_json(run("pricelists", "list", "--json")) == []


def test_entries_priced_without_json_say_so(run) -> None:  # type: ignore[no-untyped-def]
    # The plain-text answer is printed after the command's transaction has ended.
    create_hosting(run)
    pricelist = as_json(run("pricelists", "create", "--name", "P", "--currency", "EUR", "--json"))
    added = ok(
        run(
            "pricelists", "add-entry", pricelist["id"], "--product", "hosting",
            "--price", "399.00", "--periodicity", "monthly", "--timing", "in_advance",
        )
    )  # fmt: skip
    [entry] = as_json(run("pricelists", "show", pricelist["id"], "--json"))["entries"]
    assert added.stdout.strip() == f"hosting priced 399.00 EUR ({entry['id']})"
    changed = ok(
        run("pricelists", "update-entry", pricelist["id"], "--product", "hosting", "--price", "379")
    )
    assert changed.stdout.strip() == f"hosting priced 379.00 EUR ({entry['id']})"


def test_an_entry_breaking_the_kind_rules_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    create_hosting(run)
    pricelist = as_json(run("pricelists", "create", "--name", "P", "--currency", "EUR", "--json"))
    line = one_error_line(
        run("pricelists", "add-entry", pricelist["id"], "--product", "hosting", "--price", "1")
    )
    assert "periodicity: is required for a recurring product" in line


def test_import_products_saves_good_rows_and_reports_bad_ones(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    source = tmp_path / "products.csv"
    source.write_text(
        "code,name_en,kind\nhosting,Hosting,recurring\nbad code,Bad,usage\nsetup,Set-up,one_off\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    result = run("products", "import", str(source), "--report", str(report))
    assert result.exit_code == 1
    assert "line 3 (bad code): code: use 1 to 60 letters" in result.stdout
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert result.stderr.strip() == "error: 1 of 3 rows were not imported"
    rows = list(csv.reader(report.read_text(encoding="utf-8").splitlines()))
    assert rows[:3] == [
        ["line", "key", "status", "errors"],
        ["2", "hosting", "created", ""],
        [
            "3",
            "bad code",
            "rejected",
            "code: use 1 to 60 letters, digits, '.', '_' or '-', starting with a letter or a digit",
        ],
    ]
    codes = [p["code"] for p in as_json(run("products", "list", "--json"))]
    assert codes == ["hosting", "setup"]


def test_a_dry_run_saves_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "products.csv"
    source.write_text("code,name_en,kind\nhosting,Hosting,recurring\n", encoding="utf-8")
    result = ok(run("products", "import", str(source), "--dry-run"))
    assert "1 created" in result.stdout and "dry run: nothing saved" in result.stdout
    assert as_json(run("products", "list", "--json")) == []


def test_import_entries_into_a_pricelist(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    create_hosting(run)
    pricelist = as_json(run("pricelists", "create", "--name", "P", "--currency", "EUR", "--json"))
    source = tmp_path / "prices.csv"
    source.write_text(
        "product_code;unit_price;periodicity;timing\nhosting;399,00;monthly;in_advance\n",
        encoding="utf-8",
    )
    result = ok(run("pricelists", "import-entries", str(source), "--pricelist", pricelist["id"]))
    assert "1 rows: 1 created" in result.stdout
    entries = as_json(run("pricelists", "show", pricelist["id"], "--json"))["entries"]
    assert [(e["product_code"], e["unit_price"]) for e in entries] == [("hosting", "399.00")]


def test_an_unreadable_or_malformed_file_is_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "products.csv"
    source.write_text("code,colour\nx,red\n", encoding="utf-8")
    line = one_error_line(run("products", "import", str(source)))
    assert line.startswith("error: file: unknown column(s) colour")
    source.write_bytes(b"code\n\xff\xfe\n")
    assert one_error_line(run("products", "import", str(source))).endswith("is not UTF-8 text")


def test_another_organizations_products_are_not_found(  # type: ignore[no-untyped-def]
    run, make_tenant
) -> None:
    other = make_tenant("Other SAS")
    create_hosting(run)
    line = one_error_line(run("products", "show", "hosting", org=other.id))
    assert line == "error: product 'hosting' not found"


def test_lookup_a_customers_price(run) -> None:  # type: ignore[no-untyped-def]
    create_hosting(run)
    pricelist = as_json(
        run(
            "pricelists", "create", "--name", "Standard 2026", "--currency", "EUR",
            "--valid-from", "2026-01-01", "--default", "--json",
        )
    )  # fmt: skip
    ok(
        run(
            "pricelists", "add-entry", pricelist["id"], "--product", "hosting",
            "--price", "399.00", "--periodicity", "monthly", "--timing", "in_advance",
        )
    )  # fmt: skip
    ok(run("customers", "create", "--legal-name", "Nuage SAS", "--country", "FR",
           "--external-id", "N-1", "--currency", "EUR"))  # fmt: skip
    quote = as_json(
        run("pricelists", "lookup", "--customer", "N-1", "--product", "hosting",
            "--date", "2026-03-01", "--json")
    )  # fmt: skip
    assert (quote["unit_price"], quote["pricelist_name"], quote["date"]) == (
        "399.00",
        "Standard 2026",
        "2026-03-01",
    )
    text = ok(
        run("pricelists", "lookup", "--customer", "N-1", "--product", "hosting",
            "--date", "2026-03-01")
    ).stdout  # fmt: skip
    assert "Standard 2026" in text and "399.00" in text
    # before the pricelist's first day: no price, one line
    assert "hosting" in one_error_line(
        run("pricelists", "lookup", "--customer", "N-1", "--product", "hosting",
            "--date", "2025-12-31")
    )  # fmt: skip
    assert one_error_line(
        run("pricelists", "lookup", "--customer", "N-1", "--product", "hosting",
            "--date", "2026-02-30")
    ) == "error: --date: expected a date YYYY-MM-DD, got '2026-02-30'"  # fmt: skip


def test_lists_take_the_apis_updated_since(run, ctx: Ctx, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    # The hosting product and the 2026 pricelist at 09:30 UTC; the set-up fee and the 2027
    # pricelist an hour later.
    service.create_product(ctx, {"code": "hosting", "kind": "recurring", "name_en": "Hosting"})
    first = service.create_pricelist(
        ctx, {"name": "Standard 2026", "currency": "EUR", "valid_from": "2026-01-01"}
    )
    clock.advance(timedelta(hours=1))
    service.create_product(ctx, {"code": "setup", "kind": "one_off", "name_en": "Set-up"})
    service.create_pricelist(
        ctx, {"name": "Standard 2027", "currency": "EUR", "valid_from": "2027-01-01"}
    )
    ctx.session.commit()
    since = "2026-01-15T10:00:00Z"
    products = as_json(run("products", "list", "--updated-since", since, "--json"))
    assert [p["code"] for p in products] == ["setup"]
    pricelists = as_json(run("pricelists", "list", "--updated-since", since, "--json"))
    assert [p["name"] for p in pricelists] == ["Standard 2027"]
    everything = as_json(run("pricelists", "list", "--updated-since", "2026-01-15", "--json"))
    assert [p["id"] for p in everything] == [first.id, *(p["id"] for p in pricelists)]
    assert one_error_line(run("products", "list", "--updated-since", "15/01/2026")) == (
        "error: --updated-since: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), "
        "got '15/01/2026'"
    )


def test_a_pricelists_entries_page_by_page(run) -> None:  # type: ignore[no-untyped-def]
    prices = (("hosting", "399.00"), ("support", "300.00"), ("storage", "0.10"))
    pricelist = as_json(run("pricelists", "create", "--name", "P", "--currency", "EUR", "--json"))
    added = []
    for code, price in prices:
        create = ("products", "create", "--code", code, "--kind", "recurring", "--name-en", code)
        ok(run(*create))
        entry = run(
            "pricelists", "add-entry", pricelist["id"], "--product", code, "--price", price,
            "--periodicity", "monthly", "--timing", "in_advance", "--json",
        )  # fmt: skip
        added.append(as_json(entry))
    # Two a page, in id order (the order they were added), as GET /v1/pricelists/{id}/entries.
    first = run("pricelists", "entries", pricelist["id"], "--limit", "2", "--json")
    assert [e["id"] for e in as_json(first)] == [added[0]["id"], added[1]["id"]]
    after = ("--starting-after", added[1]["id"])
    rest = as_json(run("pricelists", "entries", pricelist["id"], "--limit", "2", *after, "--json"))
    assert [(e["product_code"], e["unit_price"]) for e in rest] == [("storage", "0.10")]
    searched = as_json(run("pricelists", "entries", pricelist["id"], "--q", "supp", "--json"))
    assert [e["product_code"] for e in searched] == ["support"]
    table = ok(run("pricelists", "entries", pricelist["id"], "--limit", "2")).stdout
    assert table.rstrip().endswith(f"more: --starting-after {added[1]['id']}")
    line = one_error_line(run("pricelists", "entries", "prl_missing"))
    assert "not found" in line
