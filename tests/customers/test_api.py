"""`/v1/customers` over HTTP: status codes, problem+json, pagination, tenant isolation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.clock import FixedClock
from tests.conftest import Tenant
from tests.customers.conftest import DE_VAT, FR_VAT, company

PROBLEM = "application/problem+json"


def create(api: TestClient, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/customers", json=company(**overrides))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def pointers(response: Any) -> list[str]:
    return [e["pointer"] for e in response.json()["errors"]]


def test_create_then_read(api: TestClient) -> None:
    body = create(api, external_id="NUAGE-1", metadata={"crm_id": "42"})
    assert body["id"].startswith("cus_")
    assert (body["external_id"], body["country"], body["vat_number"]) == ("NUAGE-1", "FR", FR_VAT)
    assert (body["currency"], body["language"], body["timezone"]) == ("EUR", "fr", "Europe/Paris")
    assert body["metadata"] == {"crm_id": "42"}
    assert body["tax_treatment"] == "standard"
    assert body["created_at"] == "2026-01-15T09:30:00Z"
    read = api.get(f"/v1/customers/{body['id']}")
    assert read.status_code == 200
    assert read.json() == body
    by_external = api.get("/v1/customers/by-external-id/NUAGE-1")
    assert by_external.json()["id"] == body["id"]


def test_tax_treatment_is_computed_and_read_only(api: TestClient) -> None:
    german = create(api, country="DE", vat_number=DE_VAT, siren=None)
    american = create(api, country="US", vat_number=None, siren=None, currency="USD")
    assert german["tax_treatment"] == "reverse_charge"
    assert american["tax_treatment"] == "export"
    refused = api.patch(f"/v1/customers/{german['id']}", json={"tax_treatment": "standard"})
    assert refused.status_code == 422
    assert pointers(refused) == ["/tax_treatment"]
    exempt = api.patch(f"/v1/customers/{german['id']}", json={"tax_status": "exempt"})
    assert exempt.json()["tax_treatment"] == "exempt"


def test_external_ids_with_slashes_are_found(api: TestClient) -> None:
    body = create(api, external_id="crm/eu/42")
    assert api.get("/v1/customers/by-external-id/crm/eu/42").json()["id"] == body["id"]


def test_a_bad_vat_number_is_a_problem_pointing_at_the_field(api: TestClient) -> None:
    response = api.post("/v1/customers", json=company(vat_number="FR45732829320"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["type"] == "/problems/validation-error"
    assert pointers(response) == ["/vat_number"]
    assert "FR45732829320" in problem["errors"][0]["detail"]


def test_unknown_fields_are_refused(api: TestClient) -> None:
    response = api.post("/v1/customers", json=company(vat="FR"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"detail": "unknown field", "pointer": "/vat", "field": "vat"}
    ]


def test_a_duplicate_external_id_is_409(api: TestClient) -> None:
    first = create(api, external_id="DUP")
    response = api.post("/v1/customers", json=company(external_id="DUP"))
    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM)
    assert pointers(response) == ["/external_id"]
    assert first["id"] in response.json()["detail"]


def test_patch_is_partial(api: TestClient) -> None:
    body = create(api, notes="keep")
    response = api.patch(
        f"/v1/customers/{body['id']}",
        json={"legal_name": "Nuage Group", "vat_number": None, "invoice_emails": ["a@b.example"]},
    )
    assert response.status_code == 200
    updated = response.json()
    assert (updated["legal_name"], updated["vat_number"], updated["notes"]) == (
        "Nuage Group",
        None,
        "keep",
    )
    assert updated["invoice_emails"] == ["a@b.example"]
    cleared = api.patch(f"/v1/customers/{body['id']}", json={"external_id": None})
    assert cleared.status_code == 422
    assert pointers(cleared) == ["/external_id"]


def test_pagination_across_three_pages(api: TestClient) -> None:
    made = [create(api)["id"] for _ in range(5)]
    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = api.get("/v1/customers", params=params).json()
        pages += 1
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        params["starting_after"] = page["next_cursor"]
    # 5 customers by 2: 2 + 2 + 1 on three pages, in a stable (id) order, none twice.
    assert pages == 3
    assert seen == sorted(made)


def test_updated_since_and_q(api: TestClient, clock: FixedClock) -> None:
    old = create(api, legal_name="Ancienne SARL")
    changed = create(api, legal_name="Nuage SAS")
    clock.advance(timedelta(hours=2))
    api.patch(f"/v1/customers/{changed['id']}", json={"notes": "renewed"})
    since = (clock.now() - timedelta(minutes=1)).isoformat()
    recent = api.get("/v1/customers", params={"updated_since": since}).json()["data"]
    assert [c["id"] for c in recent] == [changed["id"]]
    found = api.get("/v1/customers", params={"q": "ancienne"}).json()["data"]
    assert [c["id"] for c in found] == [old["id"]]
    by_country = api.get("/v1/customers", params={"country": "DE"}).json()["data"]
    assert by_country == []


def test_archive_and_delete(api: TestClient) -> None:
    body = create(api)
    archived = api.post(f"/v1/customers/{body['id']}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    listed = api.get("/v1/customers", params={"archived": "false"}).json()["data"]
    assert body["id"] not in [c["id"] for c in listed]
    assert api.post(f"/v1/customers/{body['id']}/unarchive").json()["archived"] is False
    assert api.delete(f"/v1/customers/{body['id']}").status_code == 204
    assert api.get(f"/v1/customers/{body['id']}").status_code == 404


def test_contacts(api: TestClient) -> None:
    customer = create(api)
    base = f"/v1/customers/{customer['id']}/contacts"
    added = api.post(
        base, json={"name": "Jeanne Roux", "role": "Comptable", "email": "j@x.example"}
    )
    assert added.status_code == 201
    contact = added.json()
    assert contact["customer_id"] == customer["id"]
    patched = api.patch(f"{base}/{contact['id']}", json={"phone": "+33 1 23 45 67 89"})
    assert patched.json()["phone"] == "+33 1 23 45 67 89"
    listed = api.get(base).json()
    assert [c["id"] for c in listed["data"]] == [contact["id"]]
    assert listed["has_more"] is False
    bad = api.post(base, json={"name": "X", "email": "nope"})
    assert (bad.status_code, pointers(bad)) == (422, ["/email"])
    assert api.delete(f"{base}/{contact['id']}").status_code == 204
    assert api.delete(f"{base}/{contact['id']}").status_code == 404


def test_audit_of_a_customer_is_readable(api: TestClient) -> None:
    customer = create(api, legal_name="Nuage SAS")
    api.patch(f"/v1/customers/{customer['id']}", json={"legal_name": "Nuage Group"})
    events = api.get("/v1/audit-events", params={"object_id": customer["id"]}).json()["data"]
    assert [e["action"] for e in events] == ["create", "update"]
    assert events[1]["before"] == {"legal_name": "Nuage SAS"}
    assert events[1]["after"] == {"legal_name": "Nuage Group"}


@pytest.fixture
def foreign_customer(make_tenant: Callable[..., Tenant], client: TestClient) -> dict[str, Any]:
    """A customer with a contact in another organization, made through that one's API key."""
    other = make_tenant("Globex SARL")
    body = company(external_id="THEIRS")
    created = client.post("/v1/customers", json=body, headers=other.headers).json()
    contact = client.post(
        f"/v1/customers/{created['id']}/contacts", json={"name": "Eve"}, headers=other.headers
    ).json()
    created["contact_id"] = contact["id"]
    return created


def test_another_tenants_customer_is_404_everywhere(
    foreign_customer: dict[str, Any], api: TestClient
) -> None:
    cid = foreign_customer["id"]
    contacts = f"/v1/customers/{cid}/contacts"
    attempts = [
        api.get(f"/v1/customers/{cid}"),
        api.patch(f"/v1/customers/{cid}", json={"legal_name": "Mine now"}),
        api.delete(f"/v1/customers/{cid}"),
        api.post(f"/v1/customers/{cid}/archive"),
        api.get("/v1/customers/by-external-id/THEIRS"),
        api.get(contacts),
        api.post(contacts, json={"name": "Mallory"}),
        api.patch(f"{contacts}/{foreign_customer['contact_id']}", json={"name": "Mallory"}),
        api.delete(f"{contacts}/{foreign_customer['contact_id']}"),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert all(r.headers["content-type"].startswith(PROBLEM) for r in attempts)
    assert api.get("/v1/customers").json()["data"] == []


# --- import ----------------------------------------------------------------------------------

CSV = (
    "external_id;legal_name;country;vat_number\n"
    "FR-1;Nuage SAS;FR;FR44732829320\n"
    "DE-1;Datenwerk GmbH;DE;DE136695975\n"
)


def test_import_reports_each_row(api: TestClient) -> None:
    response = api.post(
        "/v1/customers/import", content=CSV.encode(), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["imported"], report["updated"], report["failed"]) == (1, 0, 1)
    assert [(r["row"], r["external_id"], r["status"]) for r in report["rows"]] == [
        (2, "FR-1", "imported"),
        (3, "DE-1", "error"),
    ]
    assert report["rows"][1]["messages"][0].startswith("vat_number:")
    assert api.get("/v1/customers/by-external-id/FR-1").status_code == 200
    assert api.get("/v1/customers/by-external-id/DE-1").status_code == 404

    fixed = CSV.replace("DE136695975", "DE136695976").replace("Nuage SAS", "Nuage Group")
    again = api.post(
        "/v1/customers/import",
        params={"update_existing": "true"},
        content=fixed.encode(),
        headers={"content-type": "text/csv; charset=utf-8"},
    ).json()
    assert [r["status"] for r in again["rows"]] == ["updated", "imported"]
    assert again["failed"] == 0


def test_import_refuses_what_is_not_csv(api: TestClient) -> None:
    as_json = api.post("/v1/customers/import", json={"external_id": "A"})
    assert as_json.status_code == 415
    bad_header = api.post(
        "/v1/customers/import",
        content=b"external_id,legal_nam\nA,B\n",
        headers={"content-type": "text/csv"},
    )
    assert bad_header.status_code == 422
    assert pointers(bad_header) == ["/legal_nam"]


def test_the_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/customers",
        "/v1/customers/{customer_id}",
        "/v1/customers/by-external-id/{external_id}",
        "/v1/customers/{customer_id}/contacts/{contact_id}",
        "/v1/customers/import",
    ):
        assert path in paths
    assert "text/csv" in paths["/v1/customers/import"]["post"]["requestBody"]["content"]


def test_nul_characters_never_reach_the_database(api: TestClient) -> None:
    """PostgreSQL text cannot hold NUL: such input is a 404 or a 422, never a server error."""
    for url in (
        "/v1/customers?q=a%00b",
        "/v1/customers?starting_after=a%00b",
        "/v1/customers/cus_%00x",
        "/v1/customers/by-external-id/a%00b",
    ):
        assert api.get(url).status_code in {404, 422}, url
    for body in (
        {"metadata": {"k": "a\x00b"}},
        {"invoice_emails": ["a\x00@b.example"]},
        {"pricelist_id": "pl\x00"},
        {"legal_name": "Nuage\x00"},
    ):
        response = api.post("/v1/customers", json=company(**body))
        assert response.status_code == 422, body
