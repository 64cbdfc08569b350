"""Roles: what each may do, enforced by the services and answered as 403 problems."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tarif.tenancy.rules import Permission, Role, can
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("fast_argon2")

MakeKey = Callable[[Role], str]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# The matrix of docs/security.md, row by row.
EXPECTED = {
    Role.ADMIN: set(Permission),
    Role.FINANCE: {
        Permission.READ,
        Permission.WRITE_CUSTOMERS,
        Permission.WRITE_CATALOG,
        Permission.WRITE_BILLING,
    },
    Role.SALES: {Permission.READ, Permission.WRITE_CUSTOMERS},
    Role.READ_ONLY: {Permission.READ},
}


@pytest.mark.parametrize("role", list(Role))
def test_grants_per_role(role: Role) -> None:
    assert {p for p in Permission if can(role, p)} == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_read_the_organization(
    client: TestClient, tenant: Tenant, make_key: MakeKey, role: Role
) -> None:
    response = client.get("/v1/organization", headers=bearer(make_key(role)))
    assert response.status_code == 200
    assert response.json()["id"] == tenant.id


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/api-keys", {"name": "sneaky"}),
        ("POST", "/v1/users", {"email": "x@example.com", "name": "X", "password": "long enough"}),
        ("PATCH", "/v1/organization", {"city": "Lyon"}),
    ],
)
def test_read_only_cannot_write(
    client: TestClient, tenant: Tenant, make_key: MakeKey, method: str, path: str, body: dict
) -> None:
    response = client.request(method, path, json=body, headers=bearer(make_key(Role.READ_ONLY)))
    assert response.status_code == 403
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "/problems/forbidden"
    assert problem["status"] == 403
    assert problem["detail"].startswith("role 'read_only' may not")


@pytest.mark.parametrize("role", [Role.SALES, Role.FINANCE, Role.READ_ONLY])
def test_only_admins_change_organization_settings(
    client: TestClient, api: TestClient, tenant: Tenant, make_key: MakeKey, role: Role
) -> None:
    response = client.patch(
        "/v1/organization", json={"legal_name": "Hijacked SAS"}, headers=bearer(make_key(role))
    )
    assert response.status_code == 403
    assert response.json()["detail"] == f"role '{role.value}' may not manage settings"
    assert api.get("/v1/organization").json()["legal_name"] == "Acme SAS"
    assert api.patch("/v1/organization", json={"legal_name": "Acme Group"}).status_code == 200


@pytest.mark.parametrize("role", [Role.SALES, Role.FINANCE])
def test_only_admins_manage_keys_and_users(
    client: TestClient, tenant: Tenant, make_key: MakeKey, role: Role
) -> None:
    headers = bearer(make_key(role))
    assert client.post("/v1/api-keys", json={"name": "k"}, headers=headers).status_code == 403
    user = {"email": "y@example.com", "name": "Y", "password": "long enough"}
    assert client.post("/v1/users", json=user, headers=headers).status_code == 403


def test_a_refused_action_leaves_no_audit_event(
    client: TestClient, api: TestClient, tenant: Tenant, make_key: MakeKey
) -> None:
    before = len(api.get("/v1/audit-events", params={"limit": 100}).json()["data"])
    client.patch("/v1/organization", json={"city": "Lyon"}, headers=bearer(make_key(Role.SALES)))
    # make_key itself recorded one event (the key's creation), the refused PATCH none.
    after = api.get("/v1/audit-events", params={"limit": 100}).json()["data"]
    assert len(after) == before + 1
    assert [e["action"] for e in after if e["object_type"] == "organization"] == ["create"]
