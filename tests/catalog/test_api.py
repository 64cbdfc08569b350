from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.clock import FixedClock
from tarif.context import Ctx
from tests.catalog.conftest import make_customer
from tests.conftest import START

HOSTING = {"code": "hosting", "name_en": "Hosting", "name_fr": "Hébergement", "kind": "recurring"}


def create(api: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def pointers(response: Any) -> dict[str, str]:
    assert response.headers["content-type"] == "application/problem+json"
    return {e["pointer"]: e["detail"] for e in response.json()["errors"]}


@pytest.fixture
def outsider(make_tenant, client: TestClient) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Headers of another organization's API key."""
    return make_tenant("Other SAS").headers  # type: ignore[no-any-return]


# --- products ----------------------------------------------------------------------------------


def test_create_read_update_a_product(api: TestClient, clock: FixedClock) -> None:
    product = create(api, "/v1/products", {**HOSTING, "revenue_account": "706000"})
    assert product["id"].startswith("prd_")
    assert (product["vat_category"], product["active"]) == ("standard", True)
    assert product["created_at"] == "2026-01-15T09:30:00Z"
    assert api.get(f"/v1/products/{product['id']}").json() == product

    clock.advance(timedelta(minutes=5))
    response = api.patch(f"/v1/products/{product['id']}", json={"unit_label": "month"})
    assert response.status_code == 200
    assert response.json()["unit_label"] == "month"
    assert response.json()["updated_at"] == "2026-01-15T09:35:00Z"

    trail = api.get("/v1/audit-events", params={"object_id": product["id"]}).json()["data"]
    assert [e["action"] for e in trail] == ["create", "update"]
    assert (trail[1]["before"], trail[1]["after"]) == (
        {"unit_label": None},
        {"unit_label": "month"},
    )


def test_unknown_fields_are_rejected_by_name(api: TestClient) -> None:
    response = api.post("/v1/products", json={**HOSTING, "colour": "red"})
    assert response.status_code == 422
    assert pointers(response) == {"/colour": "unknown field"}
    product = create(api, "/v1/products", HOSTING)
    response = api.patch(f"/v1/products/{product['id']}", json={"price": "1"})
    assert pointers(response) == {"/price": "unknown field"}


def test_business_rule_errors_name_their_fields(api: TestClient) -> None:
    response = api.post(
        "/v1/products", json={"code": "x", "kind": "usage", "revenue_account": "70 6"}
    )
    assert response.status_code == 422
    assert set(pointers(response)) == {"/name_en", "/name_fr", "/revenue_account"}
    response = api.post("/v1/products", json={**HOSTING, "kind": "monthly"})
    assert response.status_code == 422
    assert "/kind" in pointers(response)


def test_a_duplicate_code_is_a_conflict_naming_the_code(api: TestClient) -> None:
    create(api, "/v1/products", HOSTING)
    response = api.post("/v1/products", json={**HOSTING, "code": "Hosting"})
    assert response.status_code == 409
    assert pointers(response) == {"/code": "is already used by another product"}


def test_archive_unarchive_and_delete(api: TestClient) -> None:
    product = create(api, "/v1/products", HOSTING)
    assert api.post(f"/v1/products/{product['id']}/archive").json()["active"] is False
    assert api.post(f"/v1/products/{product['id']}/unarchive").json()["active"] is True
    assert api.delete(f"/v1/products/{product['id']}").status_code == 204
    assert api.get(f"/v1/products/{product['id']}").status_code == 404


def test_a_priced_product_cannot_be_deleted(api: TestClient) -> None:
    product = create(api, "/v1/products", HOSTING)
    pricelist = create(api, "/v1/pricelists", {"name": "Std", "currency": "EUR"})
    create(
        api,
        f"/v1/pricelists/{pricelist['id']}/entries",
        {
            "product_id": product["id"],
            "unit_price": "399.00",
            "periodicity": "monthly",
            "timing": "in_advance",
        },
    )
    response = api.delete(f"/v1/products/{product['id']}")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "product 'hosting' is in use (pricelist entries: 1); archive it instead"
    )


def test_another_organizations_objects_are_404(api: TestClient, outsider: dict[str, str]) -> None:
    product = create(api, "/v1/products", HOSTING)
    pricelist = create(api, "/v1/pricelists", {"name": "Std", "currency": "EUR"})
    paths = [
        ("get", f"/v1/products/{product['id']}"),
        ("patch", f"/v1/products/{product['id']}"),
        ("delete", f"/v1/products/{product['id']}"),
        ("post", f"/v1/products/{product['id']}/archive"),
        ("get", f"/v1/pricelists/{pricelist['id']}"),
        ("patch", f"/v1/pricelists/{pricelist['id']}"),
        ("delete", f"/v1/pricelists/{pricelist['id']}"),
        ("get", f"/v1/pricelists/{pricelist['id']}/entries"),
    ]
    for method, path in paths:
        kwargs: dict[str, Any] = {"headers": outsider}
        if method == "patch":
            kwargs["json"] = {}
        response = getattr(api, method)(path, **kwargs)
        assert response.status_code == 404, (method, path)
    assert api.get("/v1/products", headers=outsider).json()["data"] == []


def test_three_pages_with_starting_after(api: TestClient) -> None:
    codes = [f"p{n}" for n in range(5)]
    for code in codes:
        create(api, "/v1/products", {"code": code, "name_en": code, "kind": "usage"})
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["starting_after"] = cursor
        body = api.get("/v1/products", params=params).json()
        pages += 1
        seen += [p["code"] for p in body["data"]]
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]
    assert pages == 3  # 2 + 2 + 1
    assert seen == codes  # stable creation order, nothing twice, nothing lost


def test_filters_updated_since_q_kind_and_active(api: TestClient, clock: FixedClock) -> None:
    hosting = create(api, "/v1/products", HOSTING)
    create(api, "/v1/products", {"code": "api-calls", "name_en": "API calls", "kind": "usage"})
    create(api, "/v1/products", {"code": "setup", "name_fr": "Mise en service", "kind": "one_off"})
    clock.advance(timedelta(hours=1))
    api.patch(f"/v1/products/{hosting['id']}", json={"unit_label": "month"})

    def codes(**params: Any) -> list[str]:
        response = api.get("/v1/products", params=params)
        assert response.status_code == 200
        return [p["code"] for p in response.json()["data"]]

    since = (START + timedelta(minutes=30)).isoformat()
    assert codes(updated_since=since) == ["hosting"]
    assert codes(q="SERVICE") == ["setup"]  # the French name, any case
    assert codes(kind="usage") == ["api-calls"]
    api.post(f"/v1/products/{hosting['id']}/archive")
    assert codes(active="false") == ["hosting"]
    response = api.get("/v1/products", params={"kind": "weekly"})
    assert response.status_code == 422


# --- pricelists and entries --------------------------------------------------------------------


def test_pricelist_with_entries_amounts_as_strings(api: TestClient) -> None:
    hosting = create(api, "/v1/products", HOSTING)
    calls = create(api, "/v1/products", {"code": "api-calls", "name_en": "Calls", "kind": "usage"})
    pricelist = create(
        api,
        "/v1/pricelists",
        {
            "name": "Standard 2026",
            "currency": "EUR",
            "valid_from": "2026-01-01",
            "is_default": True,
        },
    )
    entries = f"/v1/pricelists/{pricelist['id']}/entries"
    entry = create(
        api,
        entries,
        {
            "product_id": hosting["id"],
            "unit_price": "399.00",
            "periodicity": "monthly",
            "timing": "in_advance",
        },
    )
    assert (entry["unit_price"], entry["periodicity"], entry["timing"]) == (
        "399.00",
        "monthly",
        "in_advance",
    )
    create(api, entries, {"product_id": calls["id"], "unit_price": "0.0025"})

    detail = api.get(f"/v1/pricelists/{pricelist['id']}").json()
    assert [(e["product_code"], e["unit_price"]) for e in detail["entries"]] == [
        ("api-calls", "0.0025"),
        ("hosting", "399.00"),  # the same text on SQLite and PostgreSQL
    ]

    response = api.patch(
        f"{entries}/{entry['id']}", json={"unit_price": "420", "periodicity": "quarterly"}
    )
    assert response.status_code == 200
    assert (response.json()["unit_price"], response.json()["periodicity"]) == (
        "420.00",
        "quarterly",
    )
    assert api.delete(f"{entries}/{entry['id']}").status_code == 204
    assert api.get(f"{entries}/{entry['id']}").status_code == 404
    assert [e["product_code"] for e in api.get(entries).json()["data"]] == ["api-calls"]


def test_amounts_must_be_strings_with_six_decimals_at_most(api: TestClient) -> None:
    product = create(api, "/v1/products", {"code": "calls", "name_en": "Calls", "kind": "usage"})
    pricelist = create(api, "/v1/pricelists", {"name": "Std", "currency": "EUR"})
    entries = f"/v1/pricelists/{pricelist['id']}/entries"
    response = api.post(entries, json={"product_id": product["id"], "unit_price": 0.0025})
    assert response.status_code == 422
    assert list(pointers(response)) == ["/unit_price"]
    response = api.post(entries, json={"product_id": product["id"], "unit_price": "0.0000001"})
    assert list(pointers(response)) == ["/unit_price"]
    response = api.post(entries, json={"product_id": product["id"], "unit_price": "-1"})
    assert pointers(response) == {"/unit_price": "must be zero or more"}


def test_overlapping_defaults_are_refused_naming_the_dates(api: TestClient) -> None:
    create(api, "/v1/pricelists", {"name": "A", "currency": "EUR", "is_default": True})
    response = api.post(
        "/v1/pricelists",
        json={"name": "B", "currency": "EUR", "valid_from": "2030-01-01", "is_default": True},
    )
    assert response.status_code == 422
    assert set(pointers(response)) == {"/valid_from", "/valid_to"}
    response = api.post("/v1/pricelists", json={"name": "C", "currency": "EUX"})
    assert pointers(response) == {"/currency": "unknown ISO 4217 currency 'EUX'"}


def test_entry_rules_follow_the_product_kind(api: TestClient) -> None:
    hosting = create(api, "/v1/products", HOSTING)
    pricelist = create(api, "/v1/pricelists", {"name": "Std", "currency": "EUR"})
    response = api.post(
        f"/v1/pricelists/{pricelist['id']}/entries",
        json={"product_id": hosting["id"], "unit_price": "399.00"},
    )
    assert response.status_code == 422
    assert set(pointers(response)) == {"/periodicity", "/timing"}


def test_pricelists_list_pages_and_filters(api: TestClient) -> None:
    for name, currency in [("Euro A", "EUR"), ("Dollar", "USD"), ("Euro B", "EUR")]:
        create(api, "/v1/pricelists", {"name": name, "currency": currency})
    page = api.get("/v1/pricelists", params={"currency": "EUR", "limit": 1}).json()
    assert [p["name"] for p in page["data"]] == ["Euro A"]
    rest = api.get(
        "/v1/pricelists", params={"currency": "EUR", "starting_after": page["next_cursor"]}
    ).json()
    assert [p["name"] for p in rest["data"]] == ["Euro B"]
    assert [p["name"] for p in api.get("/v1/pricelists", params={"q": "doll"}).json()["data"]] == [
        "Dollar"
    ]


# --- lookup ------------------------------------------------------------------------------------


def test_price_lookup_says_where_the_price_came_from(api: TestClient, ctx: Ctx) -> None:
    hosting = create(api, "/v1/products", HOSTING)
    pricelist = create(
        api, "/v1/pricelists", {"name": "Standard", "currency": "EUR", "is_default": True}
    )
    create(
        api,
        f"/v1/pricelists/{pricelist['id']}/entries",
        {
            "product_id": hosting["id"],
            "unit_price": "399",
            "periodicity": "monthly",
            "timing": "in_advance",
        },
    )
    customer = make_customer(ctx)
    ctx.session.commit()
    params = {"customer_id": customer.id, "product_id": hosting["id"], "date": "2026-02-01"}
    response = api.get("/v1/prices/lookup", params=params)
    assert response.status_code == 200
    body = response.json()
    assert (body["unit_price"], body["currency"], body["pricelist_id"]) == (
        "399.00",
        "EUR",
        pricelist["id"],
    )
    assert (body["source"], body["periodicity"], body["date"]) == (
        "default_pricelist",
        "monthly",
        "2026-02-01",
    )


def test_price_lookup_errors(api: TestClient, ctx: Ctx, outsider: dict[str, str]) -> None:
    calls = create(api, "/v1/products", {"code": "calls", "name_en": "Calls", "kind": "usage"})
    customer = make_customer(ctx)
    ctx.session.commit()
    params = {"customer_id": customer.id, "product_id": calls["id"], "date": "2026-02-01"}
    response = api.get("/v1/prices/lookup", params=params)
    assert response.status_code == 404
    assert "no default EUR pricelist is valid that day" in response.json()["detail"]
    assert api.get("/v1/prices/lookup", params=params, headers=outsider).status_code == 404
    response = api.get("/v1/prices/lookup", params={**params, "date": "tomorrow"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "date"
