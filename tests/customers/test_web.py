"""Back-office pages of customers through the TestClient: forms, inline errors, isolation."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.customers import service
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.customers.conftest import DE_VAT, FR_VAT, company, csrf_token, log_in

HTML = {"accept": "text/html"}
Seed = Callable[..., str]


@pytest.fixture
def seed(engine: Engine, clock: FixedClock, tenant: Tenant) -> Seed:
    """Creates customers in their own committed transaction; returns the last id."""

    def make(count: int = 1, organization_id: str | None = None, **overrides: Any) -> str:
        with session_factory(engine)() as session:
            ctx = Ctx(session, organization_id or tenant.id, Actor.system("test"), clock)
            ids = [service.create_customer(ctx, company(**overrides)).id for _ in range(count)]
            session.commit()
        return ids[-1]

    return make


@pytest.fixture
def browser(client: TestClient, engine: Engine, clock: FixedClock, tenant: Tenant) -> TestClient:
    """Signed in as an admin of the test's organization, asking for HTML like a browser."""
    client.headers.update(HTML)
    log_in(client, engine, clock, tenant.id)
    return client


def form_of(page: str, *filled: dict[str, str], **fields: str) -> dict[str, str]:
    """What the browser would post: the CSRF token plus the fields filled in (later wins)."""
    out = {"csrf_token": csrf_token(page)}
    for values in (*filled, fields):
        out.update(values)
    return out


def error_of(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error"[^>]*data-field="{field}">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def input_value(page: str, field: str) -> str | None:
    match = re.search(rf'id="f-{field}" name="{field}" type="[a-z]+" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


NEW_CUSTOMER = {
    "legal_name": "Nuage SAS",
    "kind": "company",
    "external_id": "NUAGE-1",
    "address_line1": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
    "currency": "EUR",
    "language": "fr",
    "timezone": "Europe/Paris",
    "payment_terms_days": "30",
    "tax_status": "standard",
    "invoice_emails": "factures@nuage.example",
    "metadata": "crm=42",
}


def test_the_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/customers", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_bad_vat_number_is_shown_inline_then_fixed(browser: TestClient) -> None:
    page = browser.get("/customers/new").text
    assert input_value(page, "currency") == "EUR"  # the organization's default, prefilled
    bad = browser.post(
        "/customers/new", data=form_of(page, NEW_CUSTOMER, vat_number="FR45732829320")
    )
    assert bad.status_code == 422
    # The page is French (the organization's language) and keeps what was typed.
    assert error_of(bad.text, "vat_number") == (
        "numéro de TVA « FR45732829320 » invalide (format ou clé de contrôle)"
    )
    assert input_value(bad.text, "vat_number") == "FR45732829320"
    assert input_value(bad.text, "legal_name") == "Nuage SAS"
    assert "crm=42" in bad.text
    assert error_of(bad.text, "legal_name") is None

    fixed = browser.post(
        "/customers/new",
        data=form_of(bad.text, NEW_CUSTOMER, vat_number=FR_VAT),
        follow_redirects=False,
    )
    assert fixed.status_code == 303
    detail = browser.get(fixed.headers["location"]).text
    assert "Enregistré." in detail
    assert FR_VAT in detail
    assert 'data-treatment="standard"' in detail
    listing = browser.get("/customers").text
    assert "Nuage SAS" in listing
    assert "NUAGE-1" in listing


def test_the_pages_speak_english_too(browser: TestClient) -> None:
    browser.get("/lang/en")
    page = browser.get("/customers/new").text
    assert "New customer" in page
    bad = browser.post("/customers/new", data=form_of(page, NEW_CUSTOMER, legal_name=""))
    assert error_of(bad.text, "legal_name") == "is required"


def test_detail_shows_the_tax_treatment_contacts_and_history(
    browser: TestClient, seed: Seed
) -> None:
    customer_id = seed(country="DE", vat_number=DE_VAT, siren=None, legal_name="Datenwerk GmbH")
    page = browser.get(f"/customers/{customer_id}").text
    assert 'data-treatment="reverse_charge"' in page
    assert "Autoliquidation (0 %)" in page
    assert "article 196" in page
    bad = browser.post(
        f"/customers/{customer_id}/contacts",
        data=form_of(page, name="Jeanne Roux", email="pas-un-email"),
    )
    assert bad.status_code == 422
    assert error_of(bad.text, "email") == "« pas-un-email » n'est pas une adresse e-mail"
    added = browser.post(
        f"/customers/{customer_id}/contacts",
        data=form_of(page, name="Jeanne Roux", email="jeanne@datenwerk.example"),
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = browser.get(f"/customers/{customer_id}").text
    assert "jeanne@datenwerk.example" in page
    # The history: the creation, then the contact.
    assert "contact.create" in page
    assert "Journal d'audit" in html.unescape(page)


def test_edit_keeps_typed_values_on_error_and_saves(browser: TestClient, seed: Seed) -> None:
    customer_id = seed(legal_name="Nuage SAS", invoice_emails=["a@nuage.example"])
    page = browser.get(f"/customers/{customer_id}/edit").text
    assert input_value(page, "legal_name") == "Nuage SAS"
    assert input_value(page, "invoice_emails") == "a@nuage.example"
    values = {**NEW_CUSTOMER, "external_id": "N-9", "legal_name": "Nuage Group"}
    bad = browser.post(
        f"/customers/{customer_id}/edit", data=form_of(page, values, payment_terms_days="400")
    )
    assert bad.status_code == 422
    assert error_of(bad.text, "payment_terms_days") == "doit être compris entre 0 et 365 jours"
    assert input_value(bad.text, "legal_name") == "Nuage Group"
    saved = browser.post(
        f"/customers/{customer_id}/edit",
        data=form_of(page, values, payment_terms_end_of_month="on"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    detail = browser.get(f"/customers/{customer_id}").text
    assert "Nuage Group" in detail
    assert "fin de mois" in detail
    # The audit panel shows the update as a diff.
    assert "<code>legal_name</code>: Nuage SAS → Nuage Group" in detail


def test_search_live_results_and_pages(browser: TestClient, seed: Seed) -> None:
    seed(count=26, legal_name="Client Ordinaire")
    seed(legal_name="Zèbre Rare SAS", external_id="ZEBRE")
    first = browser.get("/customers").text
    # 27 customers, 25 a page: a next page with the last 2.
    assert first.count("data-customer-id=") == 25
    next_url = re.search(r'id="next-page" rel="next"|href="([^"]+)" id="next-page"', first)
    assert next_url and next_url.group(1)
    second = browser.get(next_url.group(1).replace("&amp;", "&")).text
    assert second.count("data-customer-id=") == 2
    assert 'id="next-page"' not in second

    live = browser.get(
        "/customers",
        params={"q": "zèbre"},
        headers={"hx-request": "true", "hx-target": "customer-results"},
    )
    assert live.text.lstrip().startswith('<div id="customer-results">')
    assert "<html" not in live.text
    assert live.text.count("data-customer-id=") == 1
    assert "Zèbre Rare SAS" in live.text


def test_archive_restore_and_delete(browser: TestClient, seed: Seed) -> None:
    customer_id = seed(legal_name="Éphémère SARL")
    page = browser.get(f"/customers/{customer_id}").text
    browser.post(f"/customers/{customer_id}/archive", data=form_of(page))
    assert "Éphémère SARL" not in browser.get("/customers").text
    assert "Éphémère SARL" in browser.get("/customers", params={"archived": "1"}).text
    browser.post(f"/customers/{customer_id}/unarchive", data=form_of(page))
    assert "Éphémère SARL" in browser.get("/customers").text
    deleted = browser.post(
        f"/customers/{customer_id}/delete", data=form_of(page), follow_redirects=False
    )
    assert deleted.status_code == 303
    assert browser.get(f"/customers/{customer_id}").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(browser: TestClient, seed: Seed) -> None:
    customer_id = seed()
    response = browser.post(f"/customers/{customer_id}/archive", data={})
    assert response.status_code == 403


def test_another_tenants_customer_is_a_404(
    browser: TestClient, seed: Seed, make_tenant: Callable[..., Tenant]
) -> None:
    other = make_tenant("Globex SARL")
    theirs = seed(organization_id=other.id, legal_name="Pas à vous SAS")
    token = csrf_token(browser.get("/customers").text)
    responses = [
        browser.get(f"/customers/{theirs}"),
        browser.get(f"/customers/{theirs}/edit"),
        browser.post(f"/customers/{theirs}/edit", data={"csrf_token": token, **NEW_CUSTOMER}),
        browser.post(f"/customers/{theirs}/archive", data={"csrf_token": token}),
        browser.post(f"/customers/{theirs}/delete", data={"csrf_token": token}),
        browser.post(f"/customers/{theirs}/contacts", data={"csrf_token": token, "name": "X"}),
    ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert "Pas à vous SAS" not in browser.get("/customers").text


def test_a_read_only_user_reads_but_does_not_write(
    client: TestClient, engine: Engine, clock: FixedClock, tenant: Tenant, seed: Seed
) -> None:
    customer_id = seed(legal_name="Nuage SAS")
    client.headers.update(HTML)
    log_in(client, engine, clock, tenant.id, Role.READ_ONLY)
    listing = client.get("/customers").text
    assert "Nuage SAS" in listing
    assert 'id="new-customer"' not in listing
    detail = client.get(f"/customers/{customer_id}").text
    assert 'id="edit-customer"' not in detail
    assert 'id="contact-form"' not in detail
    assert client.get("/customers/new").status_code == 403
    assert client.get(f"/customers/{customer_id}/edit").status_code == 403
    refused = client.post("/customers/new", data=form_of(listing, NEW_CUSTOMER))
    assert refused.status_code == 403
    assert "NUAGE-1" not in client.get("/customers").text


def test_a_contact_is_edited_on_its_own_page(browser: TestClient, seed: Seed) -> None:
    customer_id = seed(legal_name="Nuage SAS")
    page = browser.get(f"/customers/{customer_id}").text
    browser.post(
        f"/customers/{customer_id}/contacts",
        data=form_of(page, name="Jeanne", phone="0102030405"),
        follow_redirects=False,
    )
    page = browser.get(f"/customers/{customer_id}").text
    [contact_id] = re.findall(r'data-contact-id="([^"]+)"', page)
    edit = f"/customers/{customer_id}/contacts/{contact_id}/edit"
    assert f'href="{edit}"' in page
    form = browser.get(edit).text
    assert input_value(form, "name") == "Jeanne" and input_value(form, "phone") == "0102030405"
    bad = browser.post(edit, data=form_of(form, name="Jeanne", email="pas-un-email"))
    assert bad.status_code == 422
    assert error_of(bad.text, "email") == "« pas-un-email » n'est pas une adresse e-mail"
    assert input_value(bad.text, "email") == "pas-un-email"  # what was typed is kept
    # the emptied phone is cleared
    saved = browser.post(
        edit,
        data=form_of(form, name="Jeanne Roux", role="", email="jeanne@nuage.example", phone=""),
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/customers/{customer_id}#contacts",
    )
    page = browser.get(f"/customers/{customer_id}").text
    assert "Jeanne Roux" in page and "jeanne@nuage.example" in page and "0102030405" not in page
    assert "contact.update" in page
    assert browser.get(f"/customers/{customer_id}/contacts/con_nope/edit").status_code == 404
