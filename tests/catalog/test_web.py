"""Back-office pages of the catalog through the TestClient: forms, inline errors, isolation."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.catalog import service
from tarif.catalog import web as catalog_web
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.tenancy import passwords
from tarif.tenancy.rules import Role
from tarif.tenancy.service import create_user
from tests.conftest import Tenant

PASSWORD = "correct horse battery"
HTML = {"accept": "text/html"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def error_of(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error"[^>]*data-field="{field}">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def text_of(page: str) -> str:
    """The page's text: inline tags vanish, others become spaces; no-break spaces are kept."""
    inline_gone = re.sub(r"</?(code|a|span|strong)\b[^>]*>", "", page)
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", inline_gone)))


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2 with its cheapest parameters: signing in stays a real check, just fast."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture
def seeded(engine: Engine, clock: FixedClock, tenant: Tenant) -> Iterator[Ctx]:
    """A unit of work of the test's organization; what it writes is committed for the pages."""
    with session_factory(engine)() as session:
        yield Ctx(session, tenant.id, Actor.system("test"), clock)


def sign_in(
    client: TestClient, engine: Engine, clock: FixedClock, tenant: Tenant, role: Role, locale: str
) -> TestClient:
    email = f"{role.value}-{uuid.uuid4().hex[:10]}@example.com"
    with session_factory(engine)() as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        create_user(
            ctx, email=email, name="Léa Martin", password=PASSWORD, role=role, locale=locale
        )
        session.commit()
    client.headers.update(HTML)
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def browser(client: TestClient, engine: Engine, clock: FixedClock, tenant: Tenant) -> TestClient:
    """Signed in as an admin who reads English."""
    return sign_in(client, engine, clock, tenant, Role.ADMIN, "en")


def post_form(browser: TestClient, page_url: str, action: str, **fields: str) -> Any:
    """Fills the form of `page_url` as a browser would: its CSRF token plus the fields."""
    token = csrf_token(browser.get(page_url).text)
    return browser.post(action, data={"csrf_token": token, **fields}, follow_redirects=False)


def seed_product(ctx: Ctx, code: str, kind: str = "recurring", **values: str) -> str:
    product = service.create_product(
        ctx, {"code": code, "name_en": code.title(), "kind": kind, **values}
    )
    ctx.session.commit()
    return product.id


# --- products ----------------------------------------------------------------------------------


def test_create_a_product_through_the_form(browser: TestClient) -> None:
    response = post_form(
        browser,
        "/products/new",
        "/products/new",
        code="hosting",
        kind="recurring",
        name_en="Hosting",
        name_fr="Hébergement",
        unit_label="month",
        vat_category="standard",
        description_en="",
    )
    assert response.status_code == 303
    detail = browser.get(response.headers["location"])
    assert detail.status_code == 200
    page = text_of(detail.text)
    assert "Saved." in page
    assert "Hosting" in page and "Recurring" in page and "Standard rate" in page
    assert 'id="archive-product"' in detail.text
    # The audit panel tells who created it.
    assert "Audit log" in page and "create" in page


def test_bad_fields_are_shown_inline_and_typed_values_kept(browser: TestClient) -> None:
    response = post_form(
        browser, "/products/new", "/products/new", code="bad code", kind="usage", unit_label="call"
    )
    assert response.status_code == 422
    assert error_of(response.text, "code") == (
        "use 1 to 60 letters, digits, '.', '_' or '-', starting with a letter or a digit"
    )
    assert error_of(response.text, "name_en") == (
        "give the product a name in English or in French (or both)"
    )
    assert 'value="call"' in response.text  # what was typed is still there


def test_edit_then_read_the_change_in_the_audit_panel(
    browser: TestClient, seeded: Ctx, clock: FixedClock
) -> None:
    product_id = seed_product(seeded, "hosting")
    edit = browser.get(f"/products/{product_id}/edit")
    assert 'value="hosting"' in edit.text
    response = post_form(
        browser,
        f"/products/{product_id}/edit",
        f"/products/{product_id}/edit",
        code="hosting",
        kind="recurring",
        name_en="Hosting",
        name_fr="Hébergement",
        vat_category="reduced",
    )
    assert response.status_code == 303
    page = text_of(browser.get(f"/products/{product_id}").text)
    assert "Reduced rate" in page
    assert re.search(r"name_fr: (None )?→ Hébergement", page)
    assert "vat_category: standard → reduced" in page


def test_edit_errors_are_inline(browser: TestClient, seeded: Ctx) -> None:
    product_id = seed_product(seeded, "hosting")
    seed_product(seeded, "setup", kind="one_off")
    response = post_form(
        browser,
        f"/products/{product_id}/edit",
        f"/products/{product_id}/edit",
        code="SETUP",
        kind="recurring",
        name_en="Hosting",
        vat_category="standard",
    )
    assert response.status_code == 422
    assert error_of(response.text, "code") == "is already used by another product"


def test_archive_restore_and_the_delete_refusal(browser: TestClient, seeded: Ctx) -> None:
    product_id = seed_product(seeded, "hosting")
    pricelist = service.create_pricelist(seeded, {"name": "Std", "currency": "EUR"})
    service.add_entry(
        seeded,
        pricelist.id,
        {
            "product_id": product_id,
            "unit_price": "399",
            "periodicity": "monthly",
            "timing": "in_advance",
        },
    )
    seeded.session.commit()
    page_url = f"/products/{product_id}"
    assert post_form(browser, page_url, f"{page_url}/archive").status_code == 303
    assert "This product is archived" in text_of(browser.get(page_url).text)
    assert post_form(browser, page_url, f"{page_url}/unarchive").status_code == 303
    assert "This product is archived" not in text_of(browser.get(page_url).text)

    response = post_form(browser, page_url, f"{page_url}/delete")
    assert response.status_code == 409
    page = text_of(response.text)
    assert "Products priced or sold cannot be deleted: archive them." in page
    assert "in use (pricelist entries: 1)" in page
    # The product page lists the price too.
    assert "€399.00" in page


def test_list_search_kind_filter_and_pages(
    browser: TestClient, seeded: Ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_web, "PAGE_SIZE", 2)
    for code, kind in [("hosting", "recurring"), ("api-calls", "usage"), ("setup", "one_off")]:
        seed_product(seeded, code, kind)
    first = browser.get("/products")
    assert re.findall(r"<code>([^<]+)</code></a>", first.text) == ["hosting", "api-calls"]
    next_link = re.search(r'<a href="([^"]+)" id="next-page"', first.text)
    assert next_link is not None
    href = html.unescape(next_link.group(1))
    assert href.startswith("/products?starting_after=")
    second = browser.get(href)
    assert re.findall(r"<code>([^<]+)</code></a>", second.text) == ["setup"]
    assert 'id="next-page"' not in second.text
    searched = browser.get("/products", params={"q": "CALL"})
    assert re.findall(r"<code>([^<]+)</code></a>", searched.text) == ["api-calls"]
    filtered = browser.get("/products", params={"kind": "one_off"})
    assert re.findall(r"<code>([^<]+)</code></a>", filtered.text) == ["setup"]


def test_another_organizations_product_is_not_found(
    browser: TestClient, engine: Engine, clock: FixedClock, make_tenant
) -> None:  # type: ignore[no-untyped-def]
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        theirs = seed_product(Ctx(session, other.id, Actor.system("test"), clock), "secret")
    assert browser.get(f"/products/{theirs}").status_code == 404
    assert "secret" not in browser.get("/products").text


def test_read_only_users_see_no_write_buttons_and_cannot_post(
    client: TestClient, engine: Engine, clock: FixedClock, tenant: Tenant, seeded: Ctx
) -> None:
    product_id = seed_product(seeded, "hosting")
    reader = sign_in(client, engine, clock, tenant, Role.READ_ONLY, "en")
    page = reader.get(f"/products/{product_id}").text
    assert (
        'id="archive-product"' not in page
        and 'id="new-product"' not in reader.get("/products").text
    )
    token = csrf_token(page)
    response = reader.post(f"/products/{product_id}/archive", data={"csrf_token": token})
    assert response.status_code == 403


def test_a_form_without_its_csrf_token_is_refused(browser: TestClient, seeded: Ctx) -> None:
    product_id = seed_product(seeded, "hosting")
    response = browser.post(f"/products/{product_id}/archive", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert service.get_product(seeded, product_id).active is True


# --- pricelists --------------------------------------------------------------------------------


def test_create_a_pricelist_and_refuse_an_overlapping_default(browser: TestClient) -> None:
    response = post_form(
        browser,
        "/pricelists/new",
        "/pricelists/new",
        name="Standard 2026",
        currency="EUR",
        valid_from="2026-01-01",
        valid_to="",
        is_default="on",
    )
    assert response.status_code == 303
    detail = text_of(browser.get(response.headers["location"]).text)
    assert "Standard 2026" in detail and "Default" in detail and "open-ended" in detail

    response = post_form(
        browser,
        "/pricelists/new",
        "/pricelists/new",
        name="Late 2026",
        currency="EUR",
        valid_from="2026-06-01",
        is_default="on",
    )
    assert response.status_code == 422
    assert "overlaps the default EUR pricelist 'Standard 2026'" in (
        error_of(response.text, "valid_from") or ""
    )
    assert "checked" in response.text.split('id="f-is_default"')[1].split(">")[0]


def test_price_products_in_a_pricelist_through_its_page(browser: TestClient, seeded: Ctx) -> None:
    hosting = seed_product(seeded, "hosting")
    calls = seed_product(seeded, "api-calls", kind="usage")
    legacy = seed_product(seeded, "legacy", kind="one_off")
    service.archive_product(seeded, legacy)
    pricelist = service.create_pricelist(seeded, {"name": "Std", "currency": "EUR"})
    seeded.session.commit()
    page_url = f"/pricelists/{pricelist.id}"
    # Archived products can still be priced (customers may still be billed for them).
    assert (
        f'<option value="{legacy}" >legacy · Legacy (Archived)</option>'
        in browser.get(page_url).text
    )

    response = post_form(
        browser,
        page_url,
        f"{page_url}/entries",
        product_id=hosting,
        unit_price="399",
        periodicity="",
        timing="",
    )
    assert response.status_code == 422
    assert error_of(response.text, "periodicity") == "is required for a recurring product"
    assert error_of(response.text, "timing") == (
        "is required for a recurring product (in_advance or in_arrears)"
    )

    for fields in (
        {
            "product_id": hosting,
            "unit_price": "399",
            "periodicity": "monthly",
            "timing": "in_advance",
        },
        {"product_id": calls, "unit_price": "0.0025", "periodicity": "", "timing": ""},
    ):
        assert post_form(browser, page_url, f"{page_url}/entries", **fields).status_code == 303
    page = browser.get(page_url).text
    prices = re.findall(r'data-price="([^"]+)">([^<]+)<', page)
    # Every decimal of a unit price is shown, none rounded to the cent.
    assert [(html.unescape(shown)) for _, shown in prices] == ["€0.0025", "€399.00"]
    assert "Every product is priced." not in text_of(page)  # legacy is not

    entry = service.find_entry_for_product(seeded, pricelist.id, hosting)
    assert entry is not None
    edit_url = f"{page_url}/entries/{entry.id}/edit"
    response = post_form(
        browser, edit_url, edit_url, unit_price="-5", periodicity="monthly", timing="in_advance"
    )
    assert response.status_code == 422
    assert error_of(response.text, "unit_price") == "must be zero or more"
    response = post_form(
        browser, edit_url, edit_url, unit_price="420", periodicity="quarterly", timing="in_advance"
    )
    assert response.status_code == 303
    history = text_of(browser.get(page_url).text)
    assert "Price history" in history
    assert "unit_price: 399 → 420" in history  # stored 399 is read back without trailing zeros
    assert "€420.00" in history and "quarterly" in history

    response = post_form(browser, page_url, f"{page_url}/entries/{entry.id}/delete")
    assert response.status_code == 303
    assert "€420.00" not in text_of(browser.get(page_url).text).split("Price history")[0]


def test_pages_speak_french(
    client: TestClient, engine: Engine, clock: FixedClock, tenant: Tenant, seeded: Ctx
) -> None:
    seed_product(seeded, "api-calls", kind="usage")
    pricelist = service.create_pricelist(seeded, {"name": "Standard", "currency": "EUR"})
    seeded.session.commit()
    french = sign_in(client, engine, clock, tenant, Role.ADMIN, "fr")
    products = text_of(french.get("/products").text)
    assert "Produits" in products and "Nouveau produit" in products and "À l'usage" in products
    response = post_form(french, "/products/new", "/products/new", code="", kind="usage")
    assert error_of(response.text, "code") == "obligatoire"
    page_url = f"/pricelists/{pricelist.id}"
    calls = service.get_product_by_code(seeded, "api-calls").id
    post_form(french, page_url, f"{page_url}/entries", product_id=calls, unit_price="0.0025")
    page = text_of(french.get(page_url).text)
    assert "Listes de prix" in page and "Historique des prix" in page
    assert "0,0025\u00a0€" in page  # French decimal comma, the euro sign after


def test_a_pricelist_used_by_customers_cannot_be_deleted_from_its_page(
    browser: TestClient, seeded: Ctx
) -> None:
    from tests.catalog.conftest import make_customer

    pricelist = service.create_pricelist(seeded, {"name": "Key accounts", "currency": "EUR"})
    make_customer(seeded, pricelist_id=pricelist.id)
    seeded.session.commit()
    page_url = f"/pricelists/{pricelist.id}"
    response = post_form(browser, page_url, f"{page_url}/delete")
    assert response.status_code == 409
    assert "A pricelist assigned to customers cannot be deleted." in text_of(response.text)
    other = service.create_pricelist(seeded, {"name": "Unused", "currency": "EUR"})
    seeded.session.commit()
    response = post_form(browser, f"/pricelists/{other.id}", f"/pricelists/{other.id}/delete")
    assert (response.status_code, response.headers["location"]) == (303, "/pricelists")


def test_the_product_page_looks_up_a_customers_price(browser: TestClient, seeded: Ctx) -> None:
    from tests.catalog.conftest import make_customer

    product_id = seed_product(seeded, "hosting")
    pricelist = service.create_pricelist(
        seeded,
        {
            "name": "Standard 2026",
            "currency": "EUR",
            "valid_from": "2026-01-01",
            "is_default": True,
        },
    )
    service.add_entry(
        seeded,
        pricelist.id,
        {"product_id": product_id, "unit_price": "399.00", "periodicity": "monthly",
         "timing": "in_advance"},
    )  # fmt: skip
    customer = make_customer(seeded, name="Nuage SAS")
    seeded.session.commit()
    page = browser.get(f"/products/{product_id}").text
    assert 'id="price-lookup-form"' in page and 'id="price-quote"' not in page
    found = browser.get(
        f"/products/{product_id}", params={"customer": customer.external_id, "date": "2026-03-01"}
    )
    assert found.status_code == 200
    quote = text_of(found.text.split('id="price-quote"')[1].split("</dl>")[0])
    assert "Nuage SAS" in quote and "399.00 EUR" in quote and "Standard 2026" in quote
    # before the pricelist's first day: nothing prices it, said in the box
    before = browser.get(
        f"/products/{product_id}", params={"customer": customer.id, "date": "2025-12-31"}
    )
    assert before.status_code == 200 and 'id="price-lookup-problem"' in before.text
    assert "no price for product 'hosting'" in text_of(before.text)
    unknown = browser.get(
        f"/products/{product_id}", params={"customer": "NOPE", "date": "2026-03-01"}
    )
    assert "customer 'NOPE' not found" in text_of(unknown.text)
    bad_day = browser.get(
        f"/products/{product_id}", params={"customer": customer.id, "date": "2026-02-30"}
    )
    assert "A date is required (YYYY-MM-DD)." in text_of(bad_day.text)
