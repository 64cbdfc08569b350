"""The CSV format and the import use case: good rows in, bad rows reported, one transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tarif.audit.service import events_for_object
from tarif.context import Ctx
from tarif.customers import service
from tarif.customers.csv_io import EXTRA_CELLS, parse_csv, report_csv, row_values
from tarif.customers.models import Customer
from tarif.customers.service import RowStatus
from tarif.errors import InvalidInput
from tests.customers.conftest import DE_VAT, FR_VAT

MIXED = """external_id,legal_name,country,vat_number,invoice_emails,payment_terms_days,metadata.crm
FR-1,Nuage SAS,FR,FR44732829320,factures@nuage.example,45,A1
DE-1,Datenwerk GmbH,DE,DE136695975,,,
,Sans Identifiant,FR,,,,

US-1,Acme Inc.,US,,ap@acme.example; billing@acme.example,,B2
FR-1,Nuage bis,FR,,,,
"""


def test_parse_csv_keeps_row_positions_and_reads_semicolons_and_bom() -> None:
    rows = parse_csv('\ufeffexternal_id;legal_name;country\nA;Alpha;FR\n\nB;Beta;"D\nE"\n')
    # Row 2 is A, row 3 the blank line, row 4 B (whose quoted cell spans two lines).
    assert rows == [
        {"external_id": "A", "legal_name": "Alpha", "country": "FR"},
        {},
        {"external_id": "B", "legal_name": "Beta", "country": "D\nE"},
    ]


def test_parse_csv_refuses_unknown_and_repeated_columns() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_csv("external_id,legal_nam,country,country,metadata.\nA,B,FR,FR,x\n")
    assert {e.field for e in caught.value.errors} == {"legal_nam", "country", "metadata."}
    with pytest.raises(InvalidInput):
        parse_csv("  \n")


def test_extra_cells_are_kept_for_the_report() -> None:
    assert parse_csv("external_id,legal_name\nA,Alpha,oops\n") == [
        {"external_id": "A", "legal_name": "Alpha", EXTRA_CELLS: "oops"}
    ]


def test_row_values_drop_blank_cells_and_gather_metadata() -> None:
    values = row_values(
        {"external_id": " A ", "city": "", "metadata.crm": "42", "metadata.team": " "}
    )
    assert values == {"external_id": "A", "metadata": {"crm": "42"}}


def test_a_mixed_file_imports_the_good_rows_and_reports_the_others(ctx: Ctx) -> None:
    report = service.import_customers(ctx, parse_csv(MIXED))
    summary = [(r.row, r.external_id, r.status) for r in report.rows]
    # The blank line (row 5) is skipped; every other record is reported with its file row.
    assert summary == [
        (2, "FR-1", RowStatus.IMPORTED),
        (3, "DE-1", RowStatus.ERROR),
        (4, None, RowStatus.ERROR),
        (6, "US-1", RowStatus.IMPORTED),
        (7, "FR-1", RowStatus.ERROR),
    ]
    errors = {r.row: r.messages for r in report.rows if r.status == RowStatus.ERROR}
    assert errors[3][0].startswith("vat_number: invalid VAT number 'DE136695975'")
    assert errors[4] == ["external_id: is required to import a row"]
    assert errors[7] == ["external_id: also on row 2 of this file"]
    assert (report.count(RowStatus.IMPORTED), report.failed) == (2, 3)

    nuage = service.get_by_external_id(ctx, "FR-1")
    assert (nuage.legal_name, nuage.vat_number, nuage.payment_terms_days) == (
        "Nuage SAS",
        FR_VAT,
        45,
    )
    assert nuage.custom_metadata == {"crm": "A1"}
    acme = service.get_by_external_id(ctx, "US-1")
    assert acme.invoice_emails == ["ap@acme.example", "billing@acme.example"]
    assert acme.payment_terms_days == 30  # blank cell: the default
    assert service.find_by_external_id(ctx, "DE-1") is None
    assert [e.action for e in events_for_object(ctx, nuage.id)] == ["create"]


def test_an_existing_external_id_is_an_error_by_default(
    ctx: Ctx, make_customer: Callable[..., Customer]
) -> None:
    existing = make_customer(external_id="FR-1", legal_name="Old name")
    report = service.import_customers(
        ctx, [{"external_id": "FR-1", "legal_name": "New name", "country": "FR"}]
    )
    [row] = report.rows
    assert row.status == RowStatus.ERROR
    assert row.messages == [
        f"external_id: customer {existing.id} already has it "
        "(import with update_existing to update it)"
    ]
    assert existing.legal_name == "Old name"


def test_update_existing_upserts_by_external_id(
    ctx: Ctx, make_customer: Callable[..., Customer]
) -> None:
    existing = make_customer(
        external_id="FR-1", legal_name="Old name", notes="keep me", metadata={"crm": "A1"}
    )
    rows = [
        {"external_id": "FR-1", "legal_name": "New name", "notes": "", "metadata.tier": "gold"},
        {
            "external_id": "DE-1",
            "legal_name": "Datenwerk GmbH",
            "country": "DE",
            "vat_number": DE_VAT,
        },
        {"external_id": "FR-1", "legal_name": "Twice"},
    ]
    report = service.import_customers(ctx, rows, update_existing=True)
    assert [(r.row, r.status, r.customer_id is not None) for r in report.rows] == [
        (2, RowStatus.UPDATED, True),
        (3, RowStatus.IMPORTED, True),
        (4, RowStatus.ERROR, False),
    ]
    # Blank cells leave fields alone; metadata columns are merged key by key.
    assert (existing.legal_name, existing.notes) == ("New name", "keep me")
    assert existing.custom_metadata == {"crm": "A1", "tier": "gold"}

    again = service.import_customers(ctx, rows[:1], update_existing=True)
    assert [r.status for r in again.rows] == [RowStatus.UNCHANGED]


def test_an_update_with_bad_values_is_reported_and_leaves_the_customer(
    ctx: Ctx, make_customer: Callable[..., Customer]
) -> None:
    existing = make_customer(external_id="FR-1")
    report = service.import_customers(
        ctx,
        [{"external_id": "FR-1", "country": "DE", "payment_terms_days": "400"}],
        update_existing=True,
    )
    [row] = report.rows
    assert row.status == RowStatus.ERROR
    # Moving a company with a SIREN abroad and 400 days of terms: two problems, both named.
    assert sorted(m.split(":")[0] for m in row.messages) == ["payment_terms_days", "siren"]
    assert existing.country == "FR"


def test_a_row_with_extra_cells_is_refused(ctx: Ctx) -> None:
    report = service.import_customers(ctx, parse_csv("external_id,legal_name,country\nA,B,FR,x\n"))
    assert report.rows[0].status == RowStatus.ERROR
    assert "more cells than the header" in report.rows[0].messages[0]


def test_the_report_as_csv(ctx: Ctx) -> None:
    report = service.import_customers(ctx, parse_csv(MIXED))
    lines = report_csv(r.as_dict() for r in report.rows).splitlines()
    assert lines[0] == "row,external_id,status,customer_id,messages"
    assert lines[1].startswith("2,FR-1,imported,cus_")
    assert lines[3] == "4,,error,,external_id: is required to import a row"
    assert len(lines) == 1 + 5  # header + one line per reported row


def test_the_documented_example_gives_the_documented_report(ctx: Ctx) -> None:
    """docs/customers.md shows a file and its report: they must stay true."""
    doc = (Path(__file__).parents[2] / "docs" / "customers.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(.*?)```", doc, flags=re.DOTALL)
    example = next(b for b in blocks if b.startswith("external_id;"))
    documented = next(b for b in blocks if b.startswith("row,external_id"))
    report = service.import_customers(ctx, parse_csv(example))
    actual = report_csv(r.as_dict() for r in report.rows)
    # Customer ids are random: compare everything but them.
    assert re.sub(r"cus_\w+", "cus_01…", actual) == documented
