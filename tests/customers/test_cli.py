"""`tarif customers …` through Typer's CliRunner against the test database."""

from __future__ import annotations

import csv
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
from tarif.customers import service
from tests.conftest import Tenant
from tests.customers.conftest import DE_VAT, FR_VAT


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


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def create_json(run, *args: str, org: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = ok(run("customers", "create", *args, "--json", org=org))
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_create_show_and_list_as_json(run) -> None:  # type: ignore[no-untyped-def]
    created = create_json(
        run,
        "--legal-name", "Nuage SAS",
        "--country", "FR",
        "--external-id", "NUAGE-1",
        "--vat-number", FR_VAT,
        "--email", "factures@nuage.example",
        "--email", "compta@nuage.example",
        "--meta", "crm=42",
    )  # fmt: skip
    assert created["invoice_emails"] == ["factures@nuage.example", "compta@nuage.example"]
    assert created["metadata"] == {"crm": "42"}
    shown = json.loads(ok(run("customers", "show", "NUAGE-1", "--json")).stdout)
    assert shown["id"] == created["id"]
    assert shown["tax_treatment"] == "standard"
    assert shown["contacts"] == []
    listed = json.loads(ok(run("customers", "list", "--json")).stdout)
    assert [c["external_id"] for c in listed] == ["NUAGE-1"]
    table = ok(run("customers", "show", created["id"])).stdout
    assert "Nuage SAS" in table


def test_create_and_update_without_json_say_so(run) -> None:  # type: ignore[no-untyped-def]
    # The plain-text answer is printed after the command's transaction has ended.
    created = ok(run("customers", "create", "--legal-name", "Nuage SAS", "--country", "FR"))
    [customer] = json.loads(ok(run("customers", "list", "--json")).stdout)
    assert created.stdout.strip() == f"customer {customer['id']} created: Nuage SAS (standard)"
    updated = ok(run("customers", "update", customer["id"], "--legal-name", "Nuage SA"))
    assert updated.stdout.strip() == f"customer {customer['id']} updated: Nuage SA"


def test_bad_input_is_one_line_on_stderr(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "customers", "create", "--legal-name", "Nuage", "--country", "FR",
        "--vat-number", "FR45732829320",
    )  # fmt: skip
    line = one_error_line(result)
    assert "vat_number" in line
    assert result.stdout == ""
    assert "not found" in one_error_line(run("customers", "show", "NOPE"))
    assert "metadata" in one_error_line(
        run("customers", "create", "--legal-name", "X", "--country", "FR", "--meta", "novalue")
    )


def test_another_organizations_customer_is_not_found(run, make_tenant) -> None:  # type: ignore[no-untyped-def]
    other: Tenant = make_tenant("Globex SARL")
    theirs = create_json(run, "--legal-name", "Theirs", "--country", "FR", org=other.id)
    for args in (
        ("customers", "show", theirs["id"]),
        ("customers", "update", theirs["id"], "--notes", "mine"),
        ("customers", "delete", theirs["id"], "--yes"),
        ("customers", "contacts", "list", theirs["id"]),
    ):
        assert "not found" in one_error_line(run(*args))
    assert json.loads(ok(run("customers", "list", "--json")).stdout) == []


def test_update_archive_and_delete(run) -> None:  # type: ignore[no-untyped-def]
    created = create_json(
        run, "--legal-name", "Nuage SAS", "--country", "FR", "--external-id", "N-1",
        "--vat-number", FR_VAT, "--meta", "crm=42", "--meta", "tier=gold",
    )  # fmt: skip
    updated = json.loads(
        ok(
            run(
                "customers", "update", "N-1", "--vat-number", "", "--payment-terms-days", "45",
                "--end-of-month", "--meta", "tier=", "--meta", "team=eu", "--json",
            )
        ).stdout
    )  # fmt: skip
    assert updated["vat_number"] is None
    assert (updated["payment_terms_days"], updated["payment_terms_end_of_month"]) == (45, True)
    # --meta KEY= removes a key, KEY=VALUE sets one; the others stay.
    assert updated["metadata"] == {"crm": "42", "team": "eu"}
    ok(run("customers", "archive", "N-1"))
    assert json.loads(ok(run("customers", "list", "--active", "--json")).stdout) == []
    assert len(json.loads(ok(run("customers", "list", "--archived", "--json")).stdout)) == 1
    ok(run("customers", "delete", created["id"], "--yes"))
    assert "not found" in one_error_line(run("customers", "show", created["id"]))


def test_contacts(run) -> None:  # type: ignore[no-untyped-def]
    create_json(run, "--legal-name", "Nuage SAS", "--country", "FR", "--external-id", "N-1")
    ok(
        run(
            "customers", "contacts", "add", "N-1", "--name", "Jeanne Roux", "--email", "j@x.example"
        )
    )
    contacts = json.loads(ok(run("customers", "contacts", "list", "N-1", "--json")).stdout)
    assert [(c["name"], c["email"]) for c in contacts] == [("Jeanne Roux", "j@x.example")]
    assert "email" in one_error_line(
        run("customers", "contacts", "add", "N-1", "--name", "X", "--email", "nope")
    )


def test_import_a_mixed_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "customers.csv"
    source.write_text(
        "external_id,legal_name,country,vat_number\n"
        f"FR-1,Nuage SAS,FR,{FR_VAT}\n"
        "DE-1,Datenwerk GmbH,DE,DE136695975\n"
        f"DE-2,Rechenzentrum AG,DE,{DE_VAT}\n"
        ",Sans Identifiant,FR,\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    result = run("customers", "import", str(source), "--report", str(report))
    # Two rows failed: exit code 1 and one line on stderr, yet the good rows are in.
    assert "2 of 4 rows were not imported" in one_error_line(result)
    assert "2 imported" in result.stdout
    listed = json.loads(ok(run("customers", "list", "--json")).stdout)
    assert sorted((c["external_id"], c["tax_treatment"]) for c in listed) == [
        ("DE-2", "reverse_charge"),
        ("FR-1", "standard"),
    ]
    with report.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["row"], r["external_id"], r["status"]) for r in rows] == [
        ("2", "FR-1", "imported"),
        ("3", "DE-1", "error"),
        ("4", "DE-2", "imported"),
        ("5", "", "error"),
    ]
    assert rows[1]["messages"].startswith("vat_number: invalid VAT number 'DE136695975'")

    # Again with --update-existing: the two known rows are unchanged, the failures remain.
    again = run("customers", "import", str(source), "--update-existing")
    assert again.exit_code == 1
    assert "2 unchanged" in again.stdout


def test_import_refuses_a_bad_header_before_writing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "customers.csv"
    source.write_text("external_id,legal_nam,country\nA,B,FR\n", encoding="utf-8")
    assert "legal_nam: unknown column" in one_error_line(run("customers", "import", str(source)))
    assert json.loads(ok(run("customers", "list", "--json")).stdout) == []


def test_contacts_update_and_remove(run) -> None:  # type: ignore[no-untyped-def]
    create_json(run, "--legal-name", "Nuage SAS", "--country", "FR", "--external-id", "N-2")
    ok(run("customers", "contacts", "add", "N-2", "--name", "Jeanne", "--phone", "0102030405"))
    [contact] = json.loads(ok(run("customers", "contacts", "list", "N-2", "--json")).stdout)
    changed = run(
        "customers", "contacts", "update", "N-2", contact["id"], "--name", "Jeanne Roux",
        "--email", "j@x.example", "--phone", "", "--json",
    )  # fmt: skip
    updated = json.loads(ok(changed).stdout)
    assert (updated["name"], updated["email"], updated["phone"]) == (
        "Jeanne Roux",
        "j@x.example",
        None,
    )
    assert "email" in one_error_line(
        run("customers", "contacts", "update", "N-2", contact["id"], "--email", "nope")
    )
    assert "nothing to change" in one_error_line(
        run("customers", "contacts", "update", "N-2", contact["id"])
    )
    assert "removed" in ok(run("customers", "contacts", "remove", "N-2", contact["id"])).stdout
    assert json.loads(ok(run("customers", "contacts", "list", "N-2", "--json")).stdout) == []
    assert "not found" in one_error_line(
        run("customers", "contacts", "remove", "N-2", contact["id"])
    )


def test_lists_take_the_apis_updated_since_and_search(run, ctx: Ctx, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    # Acme and its first contact at 09:30 UTC; Nuage and Acme's second contact an hour later.
    acme = service.create_customer(
        ctx, {"legal_name": "Acme SAS", "country": "FR", "external_id": "ACME"}
    )
    service.add_contact(ctx, acme.id, {"name": "Jeanne Roux", "email": "jeanne@acme.example"})
    clock.advance(timedelta(hours=1))
    service.create_customer(ctx, {"legal_name": "Nuage SAS", "country": "FR"})
    service.add_contact(ctx, acme.id, {"name": "Paul Martin", "email": "paul@acme.example"})
    ctx.session.commit()

    later = json.loads(
        ok(run("customers", "list", "--updated-since", "2026-01-15T10:00:00Z", "--json")).stdout
    )
    assert [c["legal_name"] for c in later] == ["Nuage SAS"]
    # Without an offset, the instant is UTC: 11:00 in Paris is 10:00 UTC.
    paris = run("customers", "list", "--updated-since", "2026-01-15T11:00:00+01:00", "--json")
    assert [c["legal_name"] for c in json.loads(ok(paris).stdout)] == ["Nuage SAS"]
    assert (
        len(
            json.loads(
                ok(run("customers", "list", "--updated-since", "2026-01-15", "--json")).stdout
            )
        )
        == 2
    )

    contacts = run("customers", "contacts", "list", "ACME", "--q", "paul", "--json")
    assert [c["name"] for c in json.loads(ok(contacts).stdout)] == ["Paul Martin"]
    recent = run(
        "customers", "contacts", "list", "ACME", "--updated-since", "2026-01-15T10:00:00", "--json"
    )
    assert [c["name"] for c in json.loads(ok(recent).stdout)] == ["Paul Martin"]
    first = ok(run("customers", "contacts", "list", "ACME", "--limit", "1"))
    assert "Jeanne Roux" in first.stdout and "more: --starting-after" in first.stdout

    assert one_error_line(run("customers", "list", "--updated-since", "yesterday")) == (
        "error: --updated-since: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), "
        "got 'yesterday'"
    )
