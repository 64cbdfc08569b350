"""`/v1/metrics…`: management, validation problems, the code frozen once events exist, the
aggregate dry view and the events counted. Clock: 15 Jan 2026; organization in Europe/Paris."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tarif.audit.models import AuditEvent
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.usage.factories import add_event

TURNOVER = {
    "code": "turnover",
    "name": "Turnover",
    "unit": "EUR",
    "aggregation": "sum",
    "field": "amount",
}


@pytest.fixture
def customer_id(ctx: Ctx) -> str:
    customer = customers.create_customer(ctx, {"legal_name": "Acme SAS", "country": "FR"})
    ctx.session.commit()
    return customer.id


def add_events(engine: Engine, tenant: Tenant, *events: dict[str, Any]) -> None:
    with session_factory(engine)() as session:
        for e in events:
            add_event(session, tenant.id, **e)
        session.commit()


def problem_fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["detail"] for e in response.json().get("errors", [])}


def test_create_read_list_update_archive(api: TestClient, engine: Engine, tenant: Tenant) -> None:
    made = api.post("/v1/metrics", json=TURNOVER | {"group_by": ["region"]})
    assert made.status_code == 201, made.text
    metric = made.json()
    assert metric["object"] == "metric" and metric["id"].startswith("mtr_")
    assert (metric["aggregation"], metric["field"], metric["group_by"]) == (
        "sum",
        "amount",
        ["region"],
    )
    assert api.get(f"/v1/metrics/{metric['id']}").json() == metric
    assert [m["code"] for m in api.get("/v1/metrics", params={"q": "turn"}).json()["data"]] == [
        "turnover"
    ]
    updated = api.patch(
        f"/v1/metrics/{metric['id']}",
        json={"name": "CA", "filters": [{"property": "amount", "op": "gt", "value": "0"}]},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["filters"] == [{"property": "amount", "op": "gt", "value": "0"}]
    archived = api.post(f"/v1/metrics/{metric['id']}/archive")
    assert archived.json()["archived"] is True
    assert api.get("/v1/metrics", params={"archived": "false"}).json()["data"] == []
    with session_factory(engine)() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_id == metric["id"])
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["create", "update", "archive"]


def test_validation_problems_name_each_field(api: TestClient) -> None:
    refused = api.post("/v1/metrics", json={"code": "bad code", "aggregation": "median"})
    assert refused.status_code == 422
    assert set(problem_fields(refused)) == {"code", "aggregation"}
    refused = api.post("/v1/metrics", json={"code": "m", "aggregation": "sum"})
    assert problem_fields(refused) == {"field": "'sum' reads a property: name it in field"}
    refused = api.post(
        "/v1/metrics",
        json={
            "code": "m",
            "aggregation": "count",
            "filters": [{"property": "r", "op": "like", "value": "x"}],
        },
    )
    assert refused.status_code == 422 and "filters.0.op" in problem_fields(refused)
    refused = api.post(
        "/v1/metrics",
        json={
            "code": "m",
            "aggregation": "count",
            "filters": [{"property": "r", "op": "gt", "value": "x"}],
        },
    )
    assert problem_fields(refused) == {
        "filters.0.value": "'gt' compares numbers: give a decimal such as \"100\""
    }
    refused = api.post(
        "/v1/metrics", json={"code": "m", "aggregation": "max", "field": "x", "recurring": True}
    )
    assert set(problem_fields(refused)) == {"recurring"}
    refused = api.post("/v1/metrics", json=TURNOVER | {"bogus": 1})
    assert refused.status_code == 422 and "bogus" in problem_fields(refused)


def test_codes_are_unique_in_the_organization(
    api: TestClient, client: TestClient, make_tenant
) -> None:  # type: ignore[no-untyped-def]
    assert api.post("/v1/metrics", json=TURNOVER).status_code == 201
    again = api.post("/v1/metrics", json=TURNOVER)
    assert again.status_code == 409
    other = make_tenant("Other SAS")
    assert client.post("/v1/metrics", json=TURNOVER, headers=other.headers).status_code == 201


def test_a_metric_with_events_keeps_its_code_and_is_archived_not_deleted(
    api: TestClient, engine: Engine, tenant: Tenant
) -> None:
    metric = api.post("/v1/metrics", json=TURNOVER).json()
    unused = api.post("/v1/metrics", json={"code": "unused", "aggregation": "count"}).json()
    add_events(
        engine,
        tenant,
        {
            "metric_code": "turnover",
            "customer_id": "cus_x",
            "occurred_at": "2026-01-05 10:00",
            "value": "1",
        },
    )
    url = f"/v1/metrics/{metric['id']}"
    renamed = api.patch(url, json={"code": "revenue"})
    assert renamed.status_code == 409
    assert "its code cannot change" in renamed.json()["detail"]
    assert api.patch(url, json={"field": "total"}).status_code == 409
    assert api.patch(url, json={"aggregation": "count", "field": None}).status_code == 409
    assert api.patch(url, json={"aggregation": "max"}).status_code == 200  # still a number
    assert api.delete(url).status_code == 409
    assert api.post(f"{url}/archive").status_code == 200
    assert api.patch(f"/v1/metrics/{unused['id']}", json={"code": "renamed"}).status_code == 200
    assert api.delete(f"/v1/metrics/{unused['id']}").status_code == 204
    assert api.get(f"/v1/metrics/{unused['id']}").status_code == 404


def test_a_valuation_smartcode_values_the_metric_until_events_exist(
    api: TestClient, engine: Engine, tenant: Tenant
) -> None:
    source = (
        "import math\n\n\ndef value(event):\n    return math.ceil(event.properties['s'] / 60)\n"
    )
    minutes = api.post(
        "/v1/smartcodes", json={"code": "minutes", "kind": "valuation", "source": source}
    ).json()
    pricing = api.post(
        "/v1/smartcodes",
        json={
            "code": "rates",
            "kind": "pricing",
            "source": "def price(usage, contract):\n    return []\n",
        },
    ).json()
    calls = {"code": "calls", "aggregation": "sum", "field": "s"}
    # by code or by id; the metric answers the id
    made = api.post("/v1/metrics", json=calls | {"valuation_smartcode_id": "minutes"})
    assert made.status_code == 201, made.text
    metric = made.json()
    assert metric["valuation_smartcode_id"] == minutes["id"]
    assert api.get(f"/v1/metrics/{metric['id']}").json()["valuation_smartcode_id"] == minutes["id"]
    refused = {
        "smc_nope": "unknown SmartCode 'smc_nope'",
        pricing["id"]: "SmartCode 'rates' is a pricing SmartCode",
    }
    for name, detail in refused.items():
        answer = api.post("/v1/metrics", json=calls | {"code": "x", "valuation_smartcode_id": name})
        assert answer.status_code == 422
        assert problem_fields(answer) == {"valuation_smartcode_id": detail}
    counted = api.post(
        "/v1/metrics",
        json={"code": "y", "aggregation": "count", "valuation_smartcode_id": minutes["id"]},
    )
    assert problem_fields(counted) == {
        "valuation_smartcode_id": "a count metric reads no number for a SmartCode to give"
    }
    url = f"/v1/metrics/{metric['id']}"
    cleared = api.patch(url, json={"valuation_smartcode_id": None})
    assert cleared.json()["valuation_smartcode_id"] is None  # no events yet: it may change
    assert api.patch(url, json={"valuation_smartcode_id": minutes["id"]}).status_code == 200
    add_events(
        engine,
        tenant,
        {"metric_code": "calls", "customer_id": "cus_x", "occurred_at": "2026-01-05 10:00"},
    )
    # events keep the value the SmartCode gave them: it stays
    frozen = api.patch(url, json={"valuation_smartcode_id": None})
    assert frozen.status_code == 409
    assert "its valuation SmartCode cannot change" in frozen.json()["detail"]
    assert api.patch(url, json={"name": "Minutes"}).status_code == 200


def test_writes_need_the_catalog_permission(api: TestClient, client: TestClient, make_key) -> None:  # type: ignore[no-untyped-def]
    sales = {"Authorization": f"Bearer {make_key(Role.SALES)}"}
    assert client.post("/v1/metrics", json=TURNOVER, headers=sales).status_code == 403
    assert client.get("/v1/metrics", headers=sales).status_code == 200


def test_aggregate_shows_quantities_per_group(
    api: TestClient, engine: Engine, tenant: Tenant, customer_id: str
) -> None:
    metric = api.post("/v1/metrics", json=TURNOVER | {"group_by": ["region"]}).json()
    add_events(
        engine,
        tenant,
        *(
            {"metric_code": "turnover", "customer_id": customer_id, "occurred_at": when,
             "value": value, "properties": {"region": region}, "local_date": day}
            for when, value, region, day in (
                ("2026-01-05 10:00", "120.50", "eu", None),
                ("2026-01-20 10:00", "79.50", "eu", None),
                ("2026-01-21 10:00", "10", "us", None),
                # 31 Jan 23:30 UTC is 1 Feb in Paris: February's
                ("2026-01-31 23:30", "1000", "eu", date(2026, 2, 1)),
            )
        ),
    )  # fmt: skip
    answer = api.get(
        f"/v1/metrics/{metric['id']}/aggregate",
        params={"customer_id": customer_id, "from": "2026-01-01", "to": "2026-02-01"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["unit"], body["late"]) == (
        "2026-01-01",
        "2026-02-01",
        "EUR",
        "include",
    )
    assert [(g["groups"], g["quantity"], g["event_count"]) for g in body["groups"]] == [
        ({"region": "eu"}, "200", 2),  # 120.50 + 79.50
        ({"region": "us"}, "10", 1),
    ]
    assert body["groups"][0]["first_event_at"].startswith("2026-01-05T10:00")
    counted = api.get(
        f"/v1/metrics/{metric['id']}/events",
        params={"customer_id": customer_id, "from": "2026-01-01", "to": "2026-02-01", "limit": 2},
    ).json()
    assert [e["value"] for e in counted["data"]] == ["120.5", "79.5"]
    assert counted["has_more"] is True
    rest = api.get(
        f"/v1/metrics/{metric['id']}/events",
        params={"customer_id": customer_id, "from": "2026-01-01", "to": "2026-02-01",
                "starting_after": counted["next_cursor"]},
    ).json()  # fmt: skip
    assert [e["value"] for e in rest["data"]] == ["10"]


def test_aggregate_refuses_bad_periods_and_unknown_customers(
    api: TestClient, customer_id: str
) -> None:
    metric = api.post("/v1/metrics", json=TURNOVER).json()
    url = f"/v1/metrics/{metric['id']}/aggregate"
    backwards = api.get(
        url, params={"customer_id": customer_id, "from": "2026-02-01", "to": "2026-01-01"}
    )
    assert backwards.status_code == 422 and problem_fields(backwards) == {
        "to": "must be after from (the period is [from, to))"
    }
    unknown = api.get(
        url, params={"customer_id": "cus_nope", "from": "2026-01-01", "to": "2026-02-01"}
    )
    assert unknown.status_code == 404
    late = api.get(
        url,
        params={"customer_id": customer_id, "from": "2026-01-01", "to": "2026-02-01",
                "late": "include", "received_after": "2026-02-01T00:00:00Z"},
    )  # fmt: skip
    assert late.status_code == 422
    empty = api.get(
        url, params={"customer_id": customer_id, "from": "2026-01-01", "to": "2026-02-01"}
    )
    assert [(g["groups"], g["quantity"], g["event_count"]) for g in empty.json()["groups"]] == [
        ({}, "0", 0)
    ]


def test_without_customer_or_period_the_organizations_current_month(
    api: TestClient, engine: Engine, tenant: Tenant, customer_id: str
) -> None:
    metric = api.post("/v1/metrics", json=TURNOVER).json()
    add_events(
        engine,
        tenant,
        *(
            {"metric_code": "turnover", "customer_id": who, "occurred_at": when, "value": value}
            for who, when, value in (
                (customer_id, "2026-01-05 10:00", "2.5"),
                ("cus_other", "2026-01-06 10:00", "4"),
                (customer_id, "2025-12-31 10:00", "100"),  # December's
            )
        ),
    )
    body = api.get(f"/v1/metrics/{metric['id']}/aggregate").json()
    # The clock reads 15 Jan 2026: January, every customer: 2.5 + 4 = 6.5
    assert (body["from"], body["to"], body["customer_id"]) == ("2026-01-01", "2026-02-01", None)
    assert [g["quantity"] for g in body["groups"]] == ["6.5"]
    half = api.get(f"/v1/metrics/{metric['id']}/aggregate", params={"from": "2026-01-01"})
    assert half.status_code == 422 and problem_fields(half) == {
        "to": "give both from and to, or neither (this month)"
    }
    listed = api.get(f"/v1/metrics/{metric['id']}/events").json()
    assert [e["value"] for e in listed["data"]] == ["2.5", "4"]


def test_the_demo_metrics_load_once(ctx: Ctx) -> None:
    from tarif.db.repository import PageRequest
    from tarif.usage import metric_service
    from tarif.usage.metric_demo import load_demo_metrics

    load_demo_metrics(ctx)
    load_demo_metrics(ctx)  # idempotent: by code
    metrics = metric_service.list_metrics(ctx, PageRequest(limit=100)).items
    assert [(m.code, m.aggregation, m.field, m.unit, m.recurring) for m in metrics] == [
        ("turnover", "sum", "amount", "EUR", False),
        ("api_calls", "count", None, "call", False),
        ("storage_gb", "weighted_sum", "gb", "GB", True),
        ("active_users", "unique_count", "user_id", "user", False),
    ]
