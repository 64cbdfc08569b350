"""Editing a draft from its invoice page (TestClient): add and remove lines, notes and purchase
order, regenerate and delete with a confirmation step, errors inline, nothing on finalized ones.

Today is 15 Jan 2026; pages speak French. The draft is the 1 Feb 2026 one of hosting at 399.00 a
month: 399,00 € net, 79,80 € VAT, 478,80 € gross.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.invoicing import service
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Role
from tests.contracts.conftest import build_world
from tests.invoicing.test_web import Run, error_of, invoice_ids, post, run, text
from tests.web.conftest import MakeUser, admin, browser, log_in, make_user

__all__ = ["admin", "browser", "make_user", "run"]  # fixtures shared with tests/web
pytestmark = pytest.mark.usefixtures("fast_argon2")

FEB_1 = date(2026, 2, 1)


@pytest.fixture
def draft_id(run: Run[Any]) -> str:
    def make(ctx: Any) -> str:
        build_world(ctx).running()
        [draft] = service.run_billing(ctx, FEB_1).invoices
        return draft.invoice_id or ""

    return run(make)


def test_add_a_line_then_remove_it(admin: TestClient, draft_id: str, run: Run[Any]) -> None:
    url = f"/invoices/{draft_id}"
    page = admin.get(url).text
    assert 'id="add-line-form"' in page and "Ajouter une ligne" in page
    assert 'id="remove-line-1"' not in page  # the contract line cannot be removed
    added = post(
        admin,
        f"{url}/lines",
        page,
        description="Formation",
        quantity="2",
        unit_price="75.50",
        vat_category="standard",
    )
    assert added.status_code == 303
    page = text(admin.get(url).text)
    # 399,00 + 2 × 75,50 = 550,00 € net; VAT 110,00 €; gross 660,00 €
    assert "550,00 €" in page and "110,00 €" in page and "660,00 €" in page
    assert 'id="remove-line-2"' in page
    removed = post(admin, f"{url}/lines/2/delete", page)
    assert removed.status_code == 303
    assert run(lambda ctx: service.get_invoice(ctx, draft_id).gross_total) == Decimal("478.80")


def test_a_plain_line_defaults_to_the_standard_rate(
    admin: TestClient, draft_id: str, run: Run[Any]
) -> None:
    url = f"/invoices/{draft_id}"
    post(admin, f"{url}/lines", admin.get(url).text, description="Audit", unit_price="10")
    # The page pre-fills the quantity; a post without one is refused and writes nothing.
    lines = run(lambda ctx: service.invoice_lines(ctx, draft_id))
    assert len(lines) == 1
    post(
        admin,
        f"{url}/lines",
        admin.get(url).text,
        description="Audit",
        quantity="1",
        unit_price="10",
    )
    lines = run(lambda ctx: service.invoice_lines(ctx, draft_id))
    assert [(ln.description, ln.vat_rate) for ln in lines][1:] == [("Audit", Decimal(20))]


def test_bad_fields_come_back_inline(admin: TestClient, draft_id: str) -> None:
    url = f"/invoices/{draft_id}"
    refused = post(
        admin,
        f"{url}/lines",
        admin.get(url).text,
        description="Remise",
        quantity="-1",
        unit_price="10",
        period_start="2026-02-10",
        period_last_day="2026-02-01",
    )
    assert refused.status_code == 422
    assert "credit note" in (error_of(refused.text, "quantity") or "")
    assert error_of(refused.text, "period_last_day") == "must not be before period_start"
    assert 'value="Remise"' in refused.text  # what was typed stays
    too_long = post(admin, f"{url}/details", admin.get(url).text, purchase_order="x" * 101)
    assert too_long.status_code == 422
    assert error_of(too_long.text, "purchase_order") == "at most 100 characters"


def test_notes_and_purchase_order_show_on_the_page(admin: TestClient, draft_id: str) -> None:
    url = f"/invoices/{draft_id}"
    saved = post(
        admin, f"{url}/details", admin.get(url).text, notes="Merci !", purchase_order="PO-42"
    )
    assert saved.status_code == 303
    page = text(admin.get(url).text)
    assert 'id="purchase-order">PO-42<' in page and 'id="notes">Merci !<' in page
    assert "Bon de commande" in page


def test_regenerate_and_delete_ask_first(admin: TestClient, draft_id: str, run: Run[Any]) -> None:
    url = f"/invoices/{draft_id}"
    asked = post(admin, f"{url}/regenerate", admin.get(url).text)
    assert asked.status_code == 200 and "Régénérer ce brouillon ?" in asked.text
    done = post(admin, f"{url}/regenerate", asked.text, confirmed="yes")
    assert done.status_code == 303 and "regenerated=regenerated" in done.headers["location"]
    assert "Les lignes de contrat ont été recalculées" in admin.get(done.headers["location"]).text
    asked = post(admin, f"{url}/delete", admin.get(url).text)
    assert asked.status_code == 200 and "Supprimer ce brouillon ?" in asked.text
    assert invoice_ids(run) == [draft_id]  # asking deleted nothing
    deleted = post(admin, f"{url}/delete", asked.text, confirmed="yes")
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/invoices?status=draft")
    assert invoice_ids(run) == []
    assert admin.get(url).status_code == 404


def test_a_finalized_invoice_shows_no_edit_and_refuses_posts(
    admin: TestClient, draft_id: str, run: Run[Any]
) -> None:
    url = f"/invoices/{draft_id}"
    run(lambda ctx: service.finalize_invoice(ctx, draft_id))
    page = admin.get(url).text
    for marker in ('id="add-line-form"', 'id="draft-details"', 'id="regenerate"', "remove-line"):
        assert marker not in page
    for path, data in (
        (f"{url}/lines", {"description": "x", "quantity": "1", "unit_price": "1"}),
        (f"{url}/details", {"notes": "x"}),
        (f"{url}/regenerate", {}),
        (f"{url}/delete", {"confirmed": "yes"}),
        (f"{url}/lines/1/delete", {}),
    ):
        refused = post(admin, path, page, **data)
        assert refused.status_code == 409, path
        assert "F-2026-000001 is finalized: issue a credit note" in refused.text


def test_a_read_only_user_sees_no_draft_form(
    browser: TestClient, make_user: MakeUser, draft_id: str
) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    page = browser.get(f"/invoices/{draft_id}").text
    assert 'id="add-line-form"' not in page and 'id="delete-draft"' not in page
    assert post(browser, f"/invoices/{draft_id}/delete", page).status_code == 403


def test_the_settings_page_sets_auto_finalization(admin: TestClient, run: Run[Any]) -> None:
    page = admin.get("/settings").text
    assert "Émettre les brouillons automatiquement après (heures)" in page
    values = {
        "legal_name": "Acme SAS",
        "country": "FR",
        "default_currency": "EUR",
        "timezone": "Europe/Paris",
        "invoice_number_format": "F-{year}-{seq:06d}",
        "credit_note_number_format": "AV-{year}-{seq:06d}",
        "locale": "fr",
        "rounding_mode": "HALF_UP",
    }
    bad = post(admin, "/settings", page, **values, auto_finalize_after_hours="-3")
    assert bad.status_code == 422
    assert error_of(bad.text, "auto_finalize_after_hours") == "must be between 0 and 8760 hours"
    saved = post(admin, "/settings", page, **values, auto_finalize_after_hours="48")
    assert saved.status_code == 200
    assert 'value="48"' in saved.text


def test_finalize_due_drafts_from_the_list(admin: TestClient, draft_id: str, run: Run[Any]) -> None:
    page = admin.get("/invoices").text
    assert 'id="finalize-due"' in page
    off = post(admin, "/invoices/finalize-due", page)
    assert off.headers["location"] == "/invoices?finalized_due=off"
    assert "L'émission automatique est désactivée" in text(admin.get(off.headers["location"]).text)

    def zero_hours(ctx: Any) -> None:
        ctx.session.get_one(Organization, ctx.organization_id).auto_finalize_after_hours = 0

    run(zero_hours)
    done = post(admin, "/invoices/finalize-due", page)
    assert done.headers["location"] == "/invoices?status=finalized&finalized_due=1"
    assert "Brouillons émis : 1" in text(admin.get(done.headers["location"]).text)
    assert run(lambda ctx: service.get_invoice(ctx, draft_id).number) == "F-2026-000001"
