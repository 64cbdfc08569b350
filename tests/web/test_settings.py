"""Organization settings in the back office: saving, inline errors, roles and CSRF."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.db.session import session_factory
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.web.conftest import MakeUser, csrf_token, log_in

# A valid French VAT number: key = (12 + 3 × (404833048 mod 97)) mod 97 = 83.
GOOD_VAT = "FR83404833048"
BAD_VAT = "FR00404833048"


def _form(client: TestClient, **changes: str) -> dict[str, str]:
    """The settings form as the page fills it, with some fields changed."""
    page = client.get("/settings").text
    fields = dict(re.findall(r'<input id="f-\w+" name="(\w+)" type="text" value="([^"]*)"', page))
    fields["locale"] = "fr"
    fields["rounding_mode"] = "HALF_UP"
    fields["csrf_token"] = csrf_token(page)
    fields.update(changes)
    return fields


def _org(engine: Engine, org_id: str) -> Organization:
    with session_factory(engine)() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        return org


def test_settings_page_shows_the_organization(admin: TestClient) -> None:
    page = admin.get("/settings").text
    assert 'id="f-legal_name" name="legal_name" type="text" value="Acme SAS"' in page
    assert 'name="invoice_number_format" type="text" value="F-{year}-{seq:06d}"' in page


def test_saving_settings_updates_the_organization(
    admin: TestClient, tenant: Tenant, engine: Engine
) -> None:
    response = admin.post("/settings", data=_form(admin, city="Lyon", vat_number=GOOD_VAT))
    assert response.status_code == 200
    assert "Enregistré." in response.text
    org = _org(engine, tenant.id)
    assert (org.city, org.vat_number) == ("Lyon", GOOD_VAT)


def test_a_bad_vat_number_is_shown_inline_and_kept_in_the_field(
    admin: TestClient, tenant: Tenant, engine: Engine
) -> None:
    response = admin.post("/settings", data=_form(admin, city="Lyon", vat_number=BAD_VAT))
    assert response.status_code == 422
    page = response.text
    assert "Veuillez corriger les champs signalés." in page
    assert re.search(r'<p class="error" id="e-vat_number" data-field="vat_number">[^<]*VAT', page)
    assert f'name="vat_number" type="text" value="{BAD_VAT}"' in page
    assert 'name="city" type="text" value="Lyon"' in page  # the other edits are kept too
    org = _org(engine, tenant.id)
    assert (org.city, org.vat_number) == (None, None)  # nothing was saved


def test_clearing_a_required_setting_is_an_inline_error(
    admin: TestClient, tenant: Tenant, engine: Engine
) -> None:
    response = admin.post("/settings", data=_form(admin, country=""))
    assert response.status_code == 422
    assert 'data-field="country">is required</p>' in response.text
    assert _org(engine, tenant.id).country == "FR"


def test_settings_post_without_or_with_a_wrong_csrf_token_is_refused(
    admin: TestClient, tenant: Tenant, engine: Engine
) -> None:
    form = _form(admin, city="Lyon")
    for token in (None, "forged"):
        data = {k: v for k, v in form.items() if k != "csrf_token"}
        if token:
            data["csrf_token"] = token
        response = admin.post("/settings", data=data)
        assert response.status_code == 403
        assert "CSRF" in response.text
    assert _org(engine, tenant.id).city is None


def test_csrf_token_in_the_htmx_header_is_accepted(
    admin: TestClient, tenant: Tenant, engine: Engine
) -> None:
    form = _form(admin, city="Nantes")
    token = form.pop("csrf_token")
    response = admin.post(
        "/settings", data=form, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert response.status_code == 200
    assert _org(engine, tenant.id).city == "Nantes"


def test_read_only_user_gets_a_403_page_when_saving(
    browser: TestClient, make_user: MakeUser, tenant: Tenant, engine: Engine
) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    page = browser.get("/settings").text
    assert "Votre rôle permet de lire ces paramètres" in page
    response = browser.post("/settings", data=_form(browser, city="Lyon"))
    assert response.status_code == 403
    assert "<h1>Accès refusé</h1>" in response.text
    assert 'class="mainnav"' in response.text  # the refusal keeps the layout
    assert _org(engine, tenant.id).city is None
