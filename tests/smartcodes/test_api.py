"""`/v1/smartcodes…` through HTTP: create, versions, refused sources by line, dry runs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tarif.smartcodes.demo import BILLABLE_MINUTES, CALLS_BY_COUNTRY
from tarif.tenancy.rules import Role

V2 = BILLABLE_MINUTES.replace("math.ceil(seconds / 60)", "math.ceil(seconds / 30)")


def create(api: TestClient, **fields: object) -> dict:  # type: ignore[type-arg]
    body = {"code": "billable_minutes", "kind": "valuation", "source": BILLABLE_MINUTES}
    made = api.post("/v1/smartcodes", json=body | fields)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def test_create_list_get_and_versions(api: TestClient) -> None:
    made = create(api, name="Billable minutes")
    assert made["object"] == "smartcode" and made["latest_version"] == 1
    assert made["version"]["number"] == 1 and made["version"]["source"] == BILLABLE_MINUTES
    smartcode_id = made["id"]
    listed = api.get("/v1/smartcodes", params={"q": "billable"}).json()
    assert [s["id"] for s in listed["data"]] == [smartcode_id]
    assert api.get(f"/v1/smartcodes/{smartcode_id}").json()["code"] == "billable_minutes"

    saved = api.post(f"/v1/smartcodes/{smartcode_id}/versions", json={"source": V2})
    assert saved.status_code == 201 and saved.json()["number"] == 2
    versions = api.get(f"/v1/smartcodes/{smartcode_id}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    first = api.get(f"/v1/smartcodes/{smartcode_id}/versions/1").json()
    assert first["source"] == BILLABLE_MINUTES  # unchanged by the save
    assert api.get(f"/v1/smartcodes/{smartcode_id}").json()["latest_version"] == 2
    assert api.get(f"/v1/smartcodes/{smartcode_id}/versions/3").status_code == 404


def test_an_unchanged_source_is_a_409(api: TestClient) -> None:
    made = create(api)
    again = api.post(f"/v1/smartcodes/{made['id']}/versions", json={"source": BILLABLE_MINUTES})
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "source"


def test_a_syntax_error_is_a_422_naming_source_with_line_and_column(api: TestClient) -> None:
    answer = api.post(
        "/v1/smartcodes",
        json={"code": "broken", "kind": "valuation", "source": "def value(event)\n    return 1\n"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    error = answer.json()["errors"][0]
    assert (error["field"], error["pointer"], error["line"], error["column"]) == (
        "source",
        "/source",
        1,
        17,  # `def value(event)` is 16 characters: the colon is missing at column 17
    )
    assert "syntax error" in error["detail"]


def test_a_sandbox_refusal_on_save_is_a_422_with_line_and_column(api: TestClient) -> None:
    made = create(api)
    source = "def value(event):\n    x = 1\n    return event.__class__\n"
    answer = api.post(f"/v1/smartcodes/{made['id']}/versions", json={"source": source})
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert (error["field"], error["line"], error["column"]) == ("source", 3, 12)
    assert "__class__" in error["detail"]


def test_check_without_saving(api: TestClient) -> None:
    ok = api.post("/v1/smartcodes/check", json={"kind": "valuation", "source": BILLABLE_MINUTES})
    assert ok.json() == {"object": "smartcode_check", "valid": True, "problems": []}
    bad = api.post("/v1/smartcodes/check", json={"kind": "pricing", "source": "import os\n"})
    problems = bad.json()["problems"]
    assert [(p["line"], p["column"]) for p in problems] == [(1, 1), (1, 1)]
    assert api.get("/v1/smartcodes").json()["data"] == []  # nothing saved


def test_dry_run_of_events_returns_results_and_stores_nothing(api: TestClient) -> None:
    made = create(api)
    audit_before = len(api.get("/v1/audit-events", params={"limit": 100}).json()["data"])
    answer = api.post(
        f"/v1/smartcodes/{made['id']}/test",
        json={
            "events": [
                {"timestamp": "2026-01-15T09:30:00Z", "properties": {"duration": 61}},
                {"timestamp": "2026-01-15T09:31:00Z", "properties": {"duration": 120.5}},
                {"timestamp": "2026-01-15T09:32:00Z", "properties": {"duration": "x"}},
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    run = answer.json()
    # ceil(61/60) = 2; ceil(120.5/60) = 3; "x" / 60 is a TypeError on line 7
    assert [r["value"] for r in run["results"]] == ["2", "3", None]
    assert run["results"][2]["error"]["line"] == 7
    assert run["results"][2]["error"]["type"] == "macro_failed"
    assert run["total"] == "5"  # 2 + 3
    assert run["version"] == 1
    audit_after = len(api.get("/v1/audit-events", params={"limit": 100}).json()["data"])
    assert audit_after == audit_before


def test_dry_run_of_a_pricing_smartcode(api: TestClient) -> None:
    made = create(api, code="calls", kind="pricing", source=CALLS_BY_COUNTRY)
    answer = api.post(
        f"/v1/smartcodes/{made['id']}/test",
        json={
            "usage": {
                "quantity": "150",
                "groups": {"BE": "100", "FR": "50"},
                "period": {"start": "2026-01-01", "end": "2026-02-01"},
            }
        },
    )
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert [(x["description"], x["amount"]) for x in run["lines"]] == [
        ("Appels vers BE", "5.00"),  # 100 × 0.05
        ("Appels vers FR", "1.00"),  # 50 × 0.02
    ]
    assert run["total"] == "6.00"


def test_a_pricing_result_refused_names_the_line_field(api: TestClient) -> None:
    source = (
        "def price(usage, contract):\n"
        "    return [{'description': 'x', 'quantity': 1, 'unit_price': 0.5}]\n"
    )
    made = create(api, code="floaty", kind="pricing", source=source)
    run = api.post(
        f"/v1/smartcodes/{made['id']}/test",
        json={"usage": {"quantity": "1", "period": {"start": "2026-01-01", "end": "2026-02-01"}}},
    ).json()
    assert run["error"]["type"] == "result_refused"
    assert run["error"]["field"] == "lines[0].unit_price"
    assert "float 0.5 refused" in run["error"]["message"]


def test_unknown_fields_and_bad_samples_are_422(api: TestClient) -> None:
    made = create(api)
    unknown = api.post(f"/v1/smartcodes/{made['id']}/test", json={"events": [], "bogus": 1})
    assert unknown.status_code == 422
    assert {"pointer": "/bogus", "field": "bogus", "detail": "unknown field"} in unknown.json()[
        "errors"
    ]
    naive = api.post(
        f"/v1/smartcodes/{made['id']}/test",
        json={"events": [{"timestamp": "2026-01-15T09:30:00", "properties": {}}]},
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "events.0.timestamp"


def test_a_read_only_key_may_dry_run_but_not_save(
    client: TestClient, api: TestClient, make_key
) -> None:  # type: ignore[no-untyped-def]
    made = create(api)
    reader = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    refused = client.post(
        f"/v1/smartcodes/{made['id']}/versions", json={"source": V2}, headers=reader
    )
    assert refused.status_code == 403
    sample = {"events": [{"timestamp": "2026-01-15T09:30:00Z", "properties": {"duration": 1}}]}
    ran = client.post(f"/v1/smartcodes/{made['id']}/test", json=sample, headers=reader)
    assert ran.status_code == 200 and ran.json()["total"] == "1"
