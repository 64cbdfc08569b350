"""Credit-note pages through the TestClient: the form from an invoice's page, the credit note's
page, the list, voiding, inline errors, French words.

The test clock reads 15 Jan 2026; pages speak French (`83,33 €`, dates DD/MM/YYYY).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.invoicing import service
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.contracts.conftest import build_world
from tests.invoicing.credit_notes import february_invoice
from tests.web.conftest import MakeUser, admin, browser, csrf_token, log_in, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures shared with tests/web
pytestmark = pytest.mark.usefixtures("fast_argon2")

T = TypeVar("T")
Run = Callable[[Callable[[Ctx], T]], T]


@pytest.fixture
def run(engine: Engine, clock: FixedClock, tenant: Tenant) -> Run[Any]:
    def do(fn: Callable[[Ctx], T]) -> T:
        with session_factory(engine)() as session:
            result = fn(Ctx(session, tenant.id, Actor.system("test"), clock))
            session.commit()
            return result

    return do


@pytest.fixture
def invoice_id(run: Run[str]) -> str:
    """February of the 399.00 contract, finalized F-2026-000001: 399.00 + 79.80 = 478.80."""
    return run(lambda ctx: february_invoice(ctx, build_world(ctx)).id)


def text(fragment: str) -> str:
    return html.unescape(fragment).replace("\u202f", " ").replace("\xa0", " ")


def error_of(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error"[^>]*data-field="{re.escape(field)}">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def post(client: TestClient, path: str, page: str, **data: str) -> Any:
    return client.post(path, data=data | {"csrf_token": csrf_token(page)}, follow_redirects=False)


def test_a_credit_note_by_amount_from_the_invoice_page(
    admin: TestClient, invoice_id: str, run: Run[Any]
) -> None:
    detail = admin.get(f"/invoices/{invoice_id}").text
    assert 'id="new-credit-note"' in detail and 'id="void-form"' in detail
    form = admin.get(f"/invoices/{invoice_id}/credit-notes/new")
    assert form.status_code == 200
    assert "Émettre un avoir" in text(form.text) and "478,80 €" in text(form.text)
    made = post(
        admin,
        f"/invoices/{invoice_id}/credit-notes",
        form.text,
        amount="100.00",
        reason="Panne de service",
        settlement="refund",
    )
    assert made.status_code == 303, made.text
    page = text(admin.get(made.headers["location"]).text)
    # 100.00 / 1.2 = 83.33 net, 16.67 VAT, shown negative as stored
    assert "AV-2026-000001" in page and "F-2026-000001" in page
    assert "-83,33 €" in page and "-16,67 €" in page and "-100,00 €" in page
    assert "Panne de service" in page and "Imputé sur la facture" in page
    invoice_page = text(admin.get(f"/invoices/{invoice_id}").text)
    # 478.80 - 100.00 = 378.80 still due
    assert "378,80 €" in invoice_page
    listing = text(admin.get("/credit-notes").text)
    assert "AV-2026-000001" in listing and "Avoirs" in listing


def test_a_credit_note_by_line_part_and_inline_errors(
    admin: TestClient, invoice_id: str, run: Run[Any]
) -> None:
    form = admin.get(f"/invoices/{invoice_id}/credit-notes/new").text
    refused = post(
        admin,
        f"/invoices/{invoice_id}/credit-notes",
        form,
        line_1="on",
        quantity_1="2",
        reason="x",
    )
    assert refused.status_code == 422
    assert error_of(refused.text, "lines") == "a quantity above 0 and at most 1"
    nothing = post(admin, f"/invoices/{invoice_id}/credit-notes", form, reason="")
    assert nothing.status_code == 422
    assert error_of(nothing.text, "reason") == "a reason is required"
    made = post(
        admin,
        f"/invoices/{invoice_id}/credit-notes",
        form,
        line_1="on",
        quantity_1="0.5",
        reason="Demi-mois",
    )
    assert made.status_code == 303, made.text
    page = text(admin.get(made.headers["location"]).text)
    # 399.00 × 0.5 = 199.50 net; the line names the invoice line it credits
    assert "-199,50 €" in page and "F-2026-000001 #1" in page


def test_void_from_the_invoice_page(admin: TestClient, invoice_id: str, run: Run[Any]) -> None:
    detail = admin.get(f"/invoices/{invoice_id}").text
    voided = post(admin, f"/invoices/{invoice_id}/void", detail, reason="Erreur de client")
    assert voided.status_code == 303, voided.text
    page = text(admin.get(voided.headers["location"]).text)
    assert "-478,80 €" in page and "Erreur de client" in page
    invoice_page = text(admin.get(f"/invoices/{invoice_id}").text)
    assert "Annulée" in invoice_page and 'id="void-form"' not in invoice_page
    assert run(lambda ctx: service.get_invoice(ctx, invoice_id).status) == "voided"
    again = post(admin, f"/invoices/{invoice_id}/void", detail, reason="Encore")
    assert again.status_code == 409 and "voided" in text(again.text)


def test_a_read_only_user_sees_no_form(
    browser: TestClient, make_user: MakeUser, invoice_id: str
) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    assert 'id="void-form"' not in browser.get(f"/invoices/{invoice_id}").text
    assert (
        'id="credit-note-form"' not in browser.get(f"/invoices/{invoice_id}/credit-notes/new").text
    )


def test_the_contract_form_and_page_show_the_corrections_setting(
    admin: TestClient, run: Run[Any]
) -> None:
    from tests.invoicing.conftest import hosting_contract

    form = text(admin.get("/contracts/new").text)
    assert 'name="corrections"' in form
    assert "Crédits sur factures émises" in form and "Sur un avoir" in form
    contract_id = run(lambda ctx: hosting_contract(build_world(ctx), corrections="credit_note").id)
    page = text(admin.get(f"/contracts/{contract_id}").text)
    assert re.search(r'data-field-value="corrections">Sur un avoir<', page)


def test_the_form_shows_what_drafted_credit_notes_reserve(admin: TestClient, run: Run[Any]) -> None:
    from tests.invoicing.test_credit_notes_runs import upgrade_after_finalizing

    january, _ = run(lambda ctx: upgrade_after_finalizing(ctx, build_world(ctx), "credit_note"))
    form = text(admin.get(f"/invoices/{january}/credit-notes/new").text)
    # January 262.57; the run's drafted credit note reserves 185.34: 77.23 still creditable
    assert "Réservé par des avoirs en brouillon" in form
    assert "185,34 €" in form and "77,23 €" in form
