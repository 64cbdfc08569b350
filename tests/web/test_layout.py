"""The layout: every room of the product is reachable, in French or English."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant

NAV_ROOMS = [
    ("/customers", "Clients"),
    ("/products", "Produits"),
    ("/pricelists", "Listes de prix"),
    ("/contracts", "Contrats"),
    ("/usage", "Consommation"),
    ("/metrics", "Métriques"),
    ("/events", "Événements"),
    ("/smartcodes", "SmartCodes"),
    ("/invoices", "Factures"),
    ("/revenue", "Revenus"),
    ("/crm", "CRM"),
    ("/payments", "Paiements"),
    ("/webhooks", "Webhooks"),
    ("/jobs", "Tâches"),
    ("/settings", "Paramètres"),
]


def test_navigation_lists_every_room_of_the_product(admin: TestClient) -> None:
    nav = re.search(r'<nav class="mainnav".*?</nav>', admin.get("/").text, re.S)
    assert nav
    assert re.findall(r'href="([^"]+)"', nav.group(0)) == [href for href, _ in NAV_ROOMS]


@pytest.mark.parametrize(("path", "title"), NAV_ROOMS)
def test_every_room_renders_for_a_signed_in_user(admin: TestClient, path: str, title: str) -> None:
    response = admin.get(path)
    assert response.status_code == 200, response.text
    assert "text/html" in response.headers["content-type"]
    assert f'href="{path}" aria-current="page">{title}</a>' in response.text


@pytest.mark.parametrize("path", ["/audit", "/settings/api-keys"])
def test_settings_side_rooms_render(admin: TestClient, path: str) -> None:
    assert admin.get(path).status_code == 200


def test_dashboard_names_the_organization(admin: TestClient, tenant: Tenant) -> None:
    assert f"<h1>{tenant.org.legal_name}</h1>" in admin.get("/").text


def test_switching_to_english_changes_the_interface_text(admin: TestClient) -> None:
    assert ">Paramètres</a>" in admin.get("/settings").text
    response = admin.get("/lang/en?next=/settings", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    page = admin.get("/settings").text
    assert ">Settings</a>" in page
    assert "Paramètres" not in page
    assert '<html lang="en">' in page


def test_an_unknown_language_changes_nothing(admin: TestClient) -> None:
    admin.get("/lang/de")
    assert ">Paramètres</a>" in admin.get("/settings").text


def test_language_switch_never_redirects_elsewhere(admin: TestClient) -> None:
    response = admin.get("/lang/en?next=//evil.example", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_an_unknown_page_answers_an_html_404(admin: TestClient) -> None:
    response = admin.get("/no-such-room")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Introuvable" in response.text


def test_the_api_still_answers_problems_in_json(admin: TestClient) -> None:
    response = admin.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
