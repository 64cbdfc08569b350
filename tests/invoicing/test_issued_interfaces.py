"""Issued documents over HTTP, the CLI and the back office; the organization's document settings.

The €399/month contract from 15 Jan 2026 (calendar) bills January: 399 × 17/31 = 218.81 net,
VAT 20 % 43.762 → 43.76, gross 262.57; finalized today (15 Jan 2026) as F-2026-000001.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tarif.cli.main import app as cli_app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.invoicing import service
from tarif.invoicing.models import IssuedFile
from tarif.invoicing.rendering import check_cii_xml
from tarif.tenancy import service as tenancy
from tests.conftest import START, Tenant
from tests.contracts.conftest import World, build_world
from tests.invoicing.conftest import JAN_15, hosting_contract
from tests.invoicing.rendering.conftest import pdf_text
from tests.invoicing.test_issued import SELLER
from tests.web.conftest import admin, browser, csrf_token, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures shared with tests/web
pytestmark = pytest.mark.usefixtures("fast_argon2")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="JPEG")
    return out.getvalue()


def _finalized(ctx: Ctx, *, seller: dict[str, Any] | None = SELLER) -> tuple[World, str]:
    if seller is not None:
        tenancy.update_organization(ctx, seller)
    world = build_world(ctx)
    hosting_contract(world)
    [january] = service.run_billing(ctx, JAN_15).invoices
    invoice = service.finalize_invoice(ctx, january.invoice_id or "")
    ctx.session.commit()
    return world, invoice.id


@pytest.fixture
def invoice_id(ctx: Ctx) -> str:
    return _finalized(ctx)[1]


@pytest.fixture
def draft_id(ctx: Ctx) -> str:
    tenancy.update_organization(ctx, SELLER)
    world = build_world(ctx)
    hosting_contract(world)
    [january] = service.run_billing(ctx, JAN_15).invoices
    ctx.session.commit()
    return january.invoice_id or ""


def stored(ctx: Ctx) -> int:
    ctx.session.expire_all()
    stmt = select(func.count()).select_from(IssuedFile)
    return int(ctx.session.scalar(stmt.where(IssuedFile.organization_id == ctx.organization_id)))


# --- API -------------------------------------------------------------------------------------


def test_the_pdf_route_serves_the_stored_document(api: TestClient, ctx: Ctx, invoice_id: str):
    first = api.get(f"/v1/invoices/{invoice_id}/pdf")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    assert first.headers["content-disposition"] == 'inline; filename="F-2026-000001.pdf"'
    assert stored(ctx) == 1
    # The organization moves and changes its penalty rate: the invoice stays as issued.
    changed = api.patch(
        "/v1/organization",
        json={"address_line1": "1 place de la Bourse", "late_penalty_rate": "15"},
    )
    assert changed.status_code == 200, changed.text
    assert api.get(f"/v1/invoices/{invoice_id}/pdf").content == first.content
    text = pdf_text(first.content)
    assert "12 rue de la Paix" in text and "12,15 %" in text
    assert "1 place de la Bourse" not in text


def test_the_xml_route_serves_the_embedded_cii(api: TestClient, invoice_id: str) -> None:
    response = api.get(f"/v1/invoices/{invoice_id}/pdf", params={"format": "xml"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"] == 'inline; filename="F-2026-000001.xml"'
    check_cii_xml(response.content)
    assert b"<ram:GrandTotalAmount>262.57</ram:GrandTotalAmount>" in response.content


def test_a_draft_is_previewed_over_http_and_not_stored(
    api: TestClient, ctx: Ctx, draft_id: str
) -> None:
    response = api.get(f"/v1/invoices/{draft_id}/pdf")
    assert response.status_code == 200, response.text
    assert "BROUILLON / DRAFT" in pdf_text(response.content)
    assert response.headers["content-disposition"] == f'inline; filename="draft-{draft_id}.pdf"'
    assert stored(ctx) == 0


def test_a_missing_siren_is_a_409_naming_it(api: TestClient, ctx: Ctx) -> None:
    _, invoice_id = _finalized(ctx, seller={**SELLER, "siren": None, "vat_number": None})
    response = api.get(f"/v1/invoices/{invoice_id}/pdf")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "SIREN" in response.json()["detail"]
    assert stored(ctx) == 0


def test_another_tenants_invoice_is_a_404(
    client: TestClient, ctx: Ctx, invoice_id: str, make_tenant: Any
) -> None:
    other = make_tenant("Other SAS")
    response = client.get(f"/v1/invoices/{invoice_id}/pdf", headers=other.headers)
    assert response.status_code == 404
    assert invoice_id in response.json()["detail"]
    assert stored(ctx) == 0


def test_a_credit_notes_pdf(api: TestClient, ctx: Ctx, invoice_id: str) -> None:
    made = api.post(
        "/v1/credit-notes",
        json={"invoice_id": invoice_id, "reason": "Service outage", "amount": "120.00"},
    )
    assert made.status_code == 201, made.text
    note = made.json()
    response = api.get(f"/v1/credit-notes/{note['id']}/pdf")
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    # 120.00 gross at 20 %: net 120 / 1.2 = 100.00, VAT 20.00, printed positive
    assert "Avoir" in text and "F-2026-000001" in text and "120,00 €" in text
    assert "Motif : Service outage" in text
    assert "Conditions de paiement : Avoir : aucun paiement n'est dû" in text
    assert "-120,00" not in text
    # The same row through the invoice route: the same stored bytes.
    assert api.get(f"/v1/invoices/{note['id']}/pdf").content == response.content
    assert api.get(f"/v1/credit-notes/{invoice_id}/pdf").status_code == 404


# --- organization settings -------------------------------------------------------------------


def test_document_settings_are_read_and_written(api: TestClient) -> None:
    read = api.get("/v1/organization").json()
    assert read["late_penalty_rate"] == "12.15"  # the default: ECB 2.15 % + 10 points
    assert read["logo_sha256"] is None
    written = api.patch(
        "/v1/organization",
        json={
            "late_penalty_rate": "10.5",
            "legal_form_and_capital": "SAS au capital de 10 000 €",
            "rcs": "RCS Paris 732 829 320",
            "accent_colour": "#AA3300",
            "invoice_footer": "Merci !",
        },
    )
    assert written.status_code == 200, written.text
    body = written.json()
    assert (body["late_penalty_rate"], body["accent_colour"], body["rcs"]) == (
        "10.5",
        "#aa3300",
        "RCS Paris 732 829 320",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"accent_colour": "red"}, "accent_colour"),
        ({"accent_colour": "#12345g"}, "accent_colour"),
        ({"late_penalty_rate": "100.01"}, "late_penalty_rate"),
        ({"late_penalty_rate": "-1"}, "late_penalty_rate"),
        ({"late_penalty_rate": None}, "late_penalty_rate"),
    ],
)
def test_bad_document_settings_are_named(api: TestClient, changes: dict[str, Any], field: str):
    response = api.patch("/v1/organization", json=changes)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}


def test_the_logo_is_uploaded_checked_and_kept(api: TestClient, ctx: Ctx) -> None:
    image = jpeg()
    put = api.put("/v1/organization/logo", content=image, headers={"content-type": "image/jpeg"})
    assert put.status_code == 200, put.text
    assert put.json()["logo_sha256"] is not None
    too_big = b"\x89PNG\r\n\x1a\n" + b"0" * (512 * 1024)
    for bad in (b"GIF89a", too_big, b"\x89PNG\r\n\x1a\nnot really"):
        refused = api.put("/v1/organization/logo", content=bad)
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["logo"]
    removed = api.delete("/v1/organization/logo")
    assert removed.status_code == 200 and removed.json()["logo_sha256"] is None


# --- CLI -------------------------------------------------------------------------------------


def test_the_cli_writes_the_pdf_and_the_xml(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    engine: Engine,
    tenant: Tenant,
    invoice_id: str,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["invoices", "pdf", invoice_id, "--org", tenant.id])
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / "F-2026-000001.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    target = tmp_path / "out.xml"
    args = ["invoices", "pdf", invoice_id, "--xml", "-o", str(target), "--org", tenant.id]
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    check_cii_xml(target.read_bytes())
    # The second request is served from storage: the same bytes.
    again = runner.invoke(
        cli_app, ["invoices", "pdf", invoice_id, "-o", "again.pdf", "--org", tenant.id]
    )
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.pdf").read_bytes() == pdf
    missing = runner.invoke(cli_app, ["invoices", "pdf", "inv_nope", "--org", tenant.id])
    assert missing.exit_code != 0 and "not found" in missing.output


def test_the_cli_writes_a_credit_notes_pdf(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    engine: Engine,
    tenant: Tenant,
    api: TestClient,
    invoice_id: str,
    tmp_path: Path,
) -> None:
    made = api.post(
        "/v1/credit-notes",
        json={"invoice_id": invoice_id, "reason": "Service outage", "amount": "120.00"},
    )
    assert made.status_code == 201, made.text
    note_id = made.json()["id"]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["credit-notes", "pdf", note_id, "--org", tenant.id])
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / "AV-2026-000001.pdf").read_bytes()
    # the stored document, as the API serves it
    assert pdf == api.get(f"/v1/credit-notes/{note_id}/pdf").content
    args = ["credit-notes", "pdf", note_id, "--xml", "-o", "-", "--org", tenant.id]
    xml = runner.invoke(cli_app, args)
    assert xml.exit_code == 0, xml.output
    check_cii_xml(xml.stdout_bytes)
    # an invoice is not a credit note: one line, as the API's 404
    refused = runner.invoke(cli_app, ["credit-notes", "pdf", invoice_id, "--org", tenant.id])
    assert refused.exit_code == 1 and "not found" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


# --- back office -----------------------------------------------------------------------------


def test_the_invoice_page_previews_and_links_the_document(
    admin: TestClient, ctx: Ctx, invoice_id: str
) -> None:
    page = admin.get(f"/invoices/{invoice_id}")
    assert page.status_code == 200
    assert f'data="/invoices/{invoice_id}/pdf"' in page.text
    assert f'href="/invoices/{invoice_id}/pdf?format=xml&amp;download=1"' in page.text
    shown = admin.get(f"/invoices/{invoice_id}/pdf")
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"
    download = admin.get(f"/invoices/{invoice_id}/pdf", params={"download": 1})
    assert download.headers["content-disposition"] == 'attachment; filename="F-2026-000001.pdf"'
    assert download.content == shown.content
    xml = admin.get(f"/invoices/{invoice_id}/pdf", params={"format": "xml"})
    check_cii_xml(xml.content)


def test_the_settings_page_edits_document_settings_and_the_logo(admin: TestClient) -> None:
    page = admin.get("/settings")
    assert 'name="late_penalty_rate"' in page.text and 'value="12.15"' in page.text
    token = csrf_token(page.text)
    refused = admin.post(
        "/settings",
        data={
            "csrf_token": token,
            "legal_name": "Acme SAS",
            "country": "FR",
            "accent_colour": "blue",
            "late_penalty_rate": "12.15",
        },
    )
    assert refused.status_code == 422
    assert 'data-field="accent_colour"' in refused.text
    saved = admin.post(
        "/settings",
        data={
            "csrf_token": token,
            "legal_name": "Acme SAS",
            "country": "FR",
            "accent_colour": "#00aa00",
            "late_penalty_rate": "11",
            "rcs": "RCS Lyon 1",
        },
    )
    assert saved.status_code == 200, saved.text
    assert 'value="#00aa00"' in saved.text and 'value="RCS Lyon 1"' in saved.text
    uploaded = admin.post(
        "/settings/logo",
        data={"csrf_token": token},
        files={"logo": ("logo.jpg", jpeg(), "image/jpeg")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    assert admin.get("/settings/logo").content == jpeg()
    bad = admin.post(
        "/settings/logo",
        data={"csrf_token": token},
        files={"logo": ("logo.gif", b"GIF89a", "image/gif")},
    )
    assert bad.status_code == 422 and 'data-field="logo"' in bad.text


def test_the_credit_note_page_shows_its_document(
    admin: TestClient, api: TestClient, invoice_id: str
) -> None:
    made = api.post(
        "/v1/credit-notes",
        json={"invoice_id": invoice_id, "reason": "Service outage", "amount": "120.00"},
    )
    assert made.status_code == 201, made.text
    note_id = made.json()["id"]
    page = admin.get(f"/credit-notes/{note_id}")
    assert page.status_code == 200, page.text
    assert f'data="/invoices/{note_id}/pdf"' in page.text
    shown = admin.get(f"/invoices/{note_id}/pdf", params={"download": 1})
    assert shown.headers["content-disposition"] == 'attachment; filename="AV-2026-000001.pdf"'
    assert "Avoir" in pdf_text(shown.content)
