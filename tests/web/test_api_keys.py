"""The API keys page: a new key's secret is shown once, lists show prefixes, revoking works."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tarif.db.session import session_factory
from tarif.tenancy.models import ApiKey
from tarif.tenancy.rules import VISIBLE_PREFIX_LENGTH
from tests.conftest import Tenant
from tests.web.conftest import csrf_token

SECRET = re.compile(r'data-testid="new-key">(tk_[^<]+)</code>')


def _create(client: TestClient, name: str, role: str = "finance"):
    token = csrf_token(client.get("/settings/api-keys").text)
    return client.post("/settings/api-keys", data={"name": name, "role": role, "csrf_token": token})


def _key_count(engine: Engine, org_id: str) -> int:
    with session_factory(engine)() as session:
        return session.scalar(
            select(func.count()).select_from(ApiKey).where(ApiKey.organization_id == org_id)
        )


def test_new_key_secret_is_shown_once_and_then_only_its_prefix(admin: TestClient) -> None:
    response = _create(admin, "Accounting export")
    assert response.status_code == 201
    match = SECRET.search(response.text)
    assert match
    secret = match.group(1)
    listing = admin.get("/settings/api-keys").text
    assert secret not in listing
    assert 'data-testid="new-key"' not in listing
    assert f"<code>{secret[:VISIBLE_PREFIX_LENGTH]}…</code>" in listing
    assert "Accounting export" in listing


def test_the_new_key_works_on_the_api_with_its_role(admin: TestClient) -> None:
    secret = SECRET.search(_create(admin, "Reporting", role="read_only").text).group(1)
    auth = {"Authorization": f"Bearer {secret}", "accept": "application/json"}
    assert admin.get("/v1/organization", headers=auth).status_code == 200
    refused = admin.patch("/v1/organization", json={"city": "Lyon"}, headers=auth)
    assert refused.status_code == 403


def test_a_key_without_a_name_is_an_inline_error(
    admin: TestClient, tenant: Tenant, engine: Engine
) -> None:
    before = _key_count(engine, tenant.id)
    response = _create(admin, "  ")
    assert response.status_code == 422
    assert 'data-field="name">is required</p>' in response.text
    assert _key_count(engine, tenant.id) == before


def test_creating_a_key_without_or_with_a_wrong_csrf_token_is_refused(
    admin: TestClient, tenant: Tenant, engine: Engine
) -> None:
    before = _key_count(engine, tenant.id)
    for data in ({"name": "Sneaky"}, {"name": "Sneaky", "csrf_token": "forged"}):
        assert admin.post("/settings/api-keys", data=data).status_code == 403
    assert _key_count(engine, tenant.id) == before
    assert "Sneaky" not in admin.get("/settings/api-keys").text


def test_revoking_a_key_stops_it_on_the_api(admin: TestClient) -> None:
    secret = SECRET.search(_create(admin, "Old integration").text).group(1)
    listing = admin.get("/settings/api-keys").text
    key_id = re.search(r'<tr data-key-id="(key_\w+)">\s*<td>Old integration</td>', listing).group(1)
    token = csrf_token(listing)
    response = admin.post(
        f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert re.search(
        rf'<tr data-key-id="{key_id}" class="revoked">',
        admin.get(response.headers["location"]).text,
    )
    api = admin.get("/v1/organization", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_revoking_without_csrf_token_leaves_the_key_alone(admin: TestClient) -> None:
    secret = SECRET.search(_create(admin, "Kept").text).group(1)
    listing = admin.get("/settings/api-keys").text
    key_id = re.search(r'<tr data-key-id="(key_\w+)">\s*<td>Kept</td>', listing).group(1)
    assert admin.post(f"/settings/api-keys/{key_id}/revoke").status_code == 403
    api = admin.get("/v1/organization", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


def test_another_organizations_key_cannot_be_revoked(
    admin: TestClient, make_tenant: Callable[..., Tenant]
) -> None:
    other = make_tenant("Globex SARL")
    other_key = admin.get("/v1/api-keys", headers=other.headers).json()["data"][0]["id"]
    token = csrf_token(admin.get("/settings/api-keys").text)
    response = admin.post(f"/settings/api-keys/{other_key}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert admin.get("/v1/organization", headers=other.headers).status_code == 200
