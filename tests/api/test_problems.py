"""Every error is an RFC 9457 problem: type, title, status, detail, instance, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tarif.api.problems import PROBLEM_TYPES
from tarif.tenancy.rules import Role
from tests.api.conftest import Probe
from tests.conftest import Tenant


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"/problems/{slug}"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["instance"] == response.request.url.path
    assert slug in PROBLEM_TYPES  # every type is documented at /problems/<slug>
    return problem


def test_401_without_credentials(client: TestClient) -> None:
    problem = assert_problem(client.get("/v1/organization"), 401, "unauthorized")
    assert "Bearer" in problem["detail"]
    assert client.get("/v1/organization").headers["www-authenticate"] == "Bearer"


def test_403_for_a_role_that_may_not(client: TestClient, tenant: Tenant, make_key: Any) -> None:
    headers = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    response = client.post("/v1/api-keys", json={"name": "x"}, headers=headers)
    problem = assert_problem(response, 403, "forbidden")
    assert problem["detail"] == "role 'read_only' may not manage api keys"


def test_404_for_an_unknown_route_and_an_unknown_object(api: TestClient) -> None:
    assert_problem(api.get("/v1/no-such-thing"), 404, "not-found")
    problem = assert_problem(api.post("/v1/api-keys/key_missing/revoke"), 404, "not-found")
    assert "key_missing" in problem["detail"]


def test_405_for_an_unsupported_method(api: TestClient) -> None:
    response = api.delete("/v1/organization")
    assert_problem(response, 405, "method-not-allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}


def test_422_names_each_bad_field_with_a_json_pointer(api: TestClient) -> None:
    response = api.patch("/v1/organization", json={"bogus": 1, "legal_name": ""})
    problem = assert_problem(response, 422, "validation-error")
    errors = {e["pointer"]: e for e in problem["errors"]}
    assert set(errors) == {"/bogus", "/legal_name"}
    assert errors["/bogus"]["detail"] == "unknown field"
    assert errors["/bogus"]["field"] == "bogus"


def test_422_for_a_body_that_is_not_json(api: TestClient) -> None:
    response = api.patch(
        "/v1/organization", content=b"{not json", headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 422, "validation-error")
    # The body is named, not the character offset the JSON decoder stopped at.
    assert problem["errors"] == [
        {
            "detail": "is not valid JSON: Expecting property name enclosed in double quotes",
            "pointer": "/",
            "field": "body",
        }
    ]


def test_422_for_a_bad_query_parameter_names_the_parameter(api: TestClient) -> None:
    response = api.get("/v1/audit-events", params={"limit": 0})
    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["parameter"] == "limit"
    assert problem["errors"][0]["in"] == "query"


def test_422_for_an_unknown_query_parameter_names_it(api: TestClient) -> None:
    # A misspelt filter would otherwise be dropped silently and list every invoice.
    response = api.get("/v1/invoices", params={"stauts": "draft", "limit": 5, "zz": "1"})
    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"] == [
        {"detail": "unknown query parameter", "parameter": name, "in": "query", "field": name}
        for name in ("stauts", "zz")
    ]
    # The same list with the parameters it takes: its own filter and the shared paging ones.
    page = api.get("/v1/invoices", params={"status": "draft", "limit": 5, "starting_after": "x"})
    assert page.status_code == 200
    assert page.json()["data"] == []


@pytest.fixture
def quiet_client(app: FastAPI, probe: Probe) -> Iterator[TestClient]:
    """A client that receives the 500 response instead of re-raising the server's exception."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_500_for_an_unexpected_error_tells_nothing_internal(
    quiet_client: TestClient, tenant: Tenant
) -> None:
    response = quiet_client.get("/v1/test/boom", headers=tenant.headers)
    problem = assert_problem(response, 500, "internal-error")
    assert "unexpected failure" not in response.text  # the exception's text stays in the log
    assert problem["detail"] == "An unexpected error occurred; the request was rolled back."


def test_each_problem_type_has_a_page(client: TestClient) -> None:
    for slug, description in PROBLEM_TYPES.items():
        page = client.get(f"/problems/{slug}")
        assert page.status_code == 200
        assert description.split("`")[0] in page.text
    assert client.get("/problems/nope").status_code == 404


def test_nul_characters_are_refused_on_every_backend(api: TestClient) -> None:
    # PostgreSQL text cannot hold U+0000: a 422 naming the field, never a database error.
    response = api.post("/v1/api-keys", json={"name": "bad\u0000name"})
    problem = assert_problem(response, 422, "validation-error")
    assert [e["pointer"] for e in problem["errors"]] == ["/name"]
    for url in ("/v1/api-keys/key%00x/revoke", "/v1/audit-events?q=%00"):
        response = api.request("POST" if "revoke" in url else "GET", url)
        assert response.status_code == 422
        assert response.json()["type"] == "/problems/validation-error"
