from fastapi.testclient import TestClient


def test_healthz_answers_ok_with_the_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_lists_the_v1_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/organization" in paths
    assert "/v1/audit-events" in paths
