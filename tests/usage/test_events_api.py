"""`/v1/events`: one event, batches, CloudEvents, refusals, duplicates, late events, reads."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tarif.clock import FixedClock
from tarif.db.session import session_factory
from tarif.usage.models import UsageEvent
from tests.conftest import Tenant
from tests.usage.ingest_helpers import add_metric, event, seed, set_watermark

CE_BATCH = "application/cloudevents-batch+json"
CE_ONE = "application/cloudevents+json"


@pytest.fixture
def customers(engine: Engine, clock: FixedClock, tenant: Tenant) -> dict[str, str]:
    return seed(engine, clock, tenant.id)


def stored(engine: Engine, organization_id: str) -> int:
    with session_factory(engine)() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(UsageEvent)
                .where(UsageEvent.organization_id == organization_id)
            )
            or 0
        )


def batch(api: TestClient, *events: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1/events/batch", json={"events": list(events)})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_one_event_is_stored_with_what_aggregation_needs(
    api: TestClient, customers: dict[str, str]
) -> None:
    response = api.post("/v1/events", json=event("t1", properties={"tokens": 12.5}))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "accepted"
    assert body["customer_id"] == customers["ACME"]
    assert body["value"] == "12.5"  # 12,500,000 millionths
    assert body["local_date"] == "2026-01-15"
    assert body["late"] is False
    again = api.get(f"/v1/events/{body['id']}")
    assert again.status_code == 200 and again.json()["transaction_id"] == "t1"


def test_a_repeat_is_a_duplicate_stored_once(
    api: TestClient, customers: dict[str, str], engine: Engine, tenant: Tenant
) -> None:
    first = api.post("/v1/events", json=event("t1"))
    # Same transaction id, another value: the first one stands (events are immutable).
    second = api.post("/v1/events", json=event("t1", properties={"tokens": "99"}))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["status"] == "duplicate"
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["value"] == "10"
    assert stored(engine, tenant.id) == 1


def test_properties_and_ids_keep_copy_special_characters(
    api: TestClient, customers: dict[str, str]
) -> None:
    # Tabs, line ends and backslashes mean something in PostgreSQL's COPY text: the batch's
    # rows must reach the table as sent, in ids and in properties alike.
    site = "Lyon\tB\nC:\\temp\\N é"
    answer = batch(api, event("t\\1\tx", properties={"tokens": "2", "site": site}))
    assert answer["results"][0]["status"] == "accepted", answer
    stored_event = api.get(f"/v1/events/{answer['results'][0]['id']}").json()
    assert (stored_event["transaction_id"], stored_event["properties"]["site"]) == (
        "t\\1\tx",
        site,
    )


def test_value_micros_is_exact_through_the_api(
    api: TestClient, customers: dict[str, str], engine: Engine, tenant: Tenant
) -> None:
    answer = batch(
        api,
        event("a", properties={"tokens": "0.000001"}),
        event("b", properties={"tokens": "12.5"}),
        event("c", properties={"tokens": 0.1}),  # a JSON number, read exactly
    )
    assert answer["accepted"] == 3
    with session_factory(engine)() as session:
        micros = dict(
            session.execute(
                select(UsageEvent.transaction_id, UsageEvent.value_micros).where(
                    UsageEvent.organization_id == tenant.id
                )
            ).all()
        )
    # 0.000001 × 10⁶ = 1; 12.5 × 10⁶ = 12,500,000; 0.1 × 10⁶ = 100,000
    assert micros == {"a": 1, "b": 12_500_000, "c": 100_000}


def test_local_date_across_midnight_in_paris(
    api: TestClient, customers: dict[str, str], clock: FixedClock
) -> None:
    clock.advance(timedelta(days=20))  # 4 February: the event is in the past
    # Europe/Paris is UTC+1 in January: 23:30 UTC on 31 January is 00:30 on 1 February.
    response = api.post("/v1/events", json=event("t1", timestamp="2026-01-31T23:30:00Z"))
    assert response.status_code == 201, response.text
    assert response.json()["local_date"] == "2026-02-01"


@pytest.mark.parametrize(
    ("fields", "field", "detail"),
    [
        ({"metric": "nope"}, "metric", "unknown metric 'nope'"),
        ({"metric": "old_metric", "properties": {"n": 1}}, "metric", "is archived"),
        ({"customer": "NOPE"}, "customer", "unknown customer 'NOPE'"),
        ({"properties": {}}, "properties.tokens", "is required by metric 'tokens'"),
        ({"properties": {"tokens": "lots"}}, "properties.tokens", "must be a number"),
        ({"properties": {"tokens": "1.0000001"}}, "properties.tokens", "more than 6 decimals"),
        ({"timestamp": "2026-01-15T09:35:01Z"}, "timestamp", "in the future"),
        ({"timestamp": "2026-01-15T09:00:00"}, "timestamp", "needs an offset"),
        ({"bogus": 1}, "bogus", "unknown field"),
    ],
)
def test_each_refusal_names_its_field(
    api: TestClient,
    customers: dict[str, str],
    engine: Engine,
    tenant: Tenant,
    fields: dict[str, Any],
    field: str,
    detail: str,
) -> None:
    one = api.post("/v1/events", json=event("t1", **fields))
    assert one.status_code == 422, one.text
    problem = one.json()
    assert problem["type"] == "/problems/validation-error"
    assert problem["errors"][0]["field"] == field
    assert detail in problem["errors"][0]["detail"]
    # In a batch, the same event is refused by its index and the good one is kept.
    answer = batch(api, event("good"), event("bad", **fields))
    assert answer["results"][0]["status"] == "accepted"
    assert answer["results"][1] == {
        "index": 1,
        "status": "rejected",
        "errors": [{"field": field, "detail": answer["results"][1]["errors"][0]["detail"]}],
    }
    assert detail in answer["results"][1]["errors"][0]["detail"]
    assert stored(engine, tenant.id) == 1


def test_valuation_smartcode_values_each_event(
    api: TestClient, customers: dict[str, str], engine: Engine, clock: FixedClock, tenant: Tenant
) -> None:
    from tarif.context import Actor, Ctx
    from tarif.smartcodes import service as smartcodes

    source = (
        "def value(event):\n"
        "    seconds = event.properties['seconds']\n"
        "    return seconds // 60 + (1 if seconds % 60 else 0)\n"
    )
    with session_factory(engine)() as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        smartcode, version = smartcodes.create_smartcode(
            ctx, {"code": "billable_minutes", "kind": "valuation", "source": source}
        )
        session.commit()
    add_metric(
        engine,
        clock,
        tenant.id,
        code="minutes",
        aggregation="sum",
        valuation_smartcode_id=smartcode.id,
    )
    answer = batch(
        api,
        event("call-1", metric="minutes", properties={"seconds": 61}),  # 1 min + 1 s → 2
        event("call-2", metric="minutes", properties={"seconds": 120}),  # exactly 2
        event("call-3", metric="minutes", properties={}),  # the macro fails: no 'seconds'
    )
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["accepted", "accepted", "rejected"], answer
    assert "valuation SmartCode failed" in answer["results"][2]["errors"][0]["detail"]
    listed = api.get("/v1/events", params={"metric": "minutes"}).json()["data"]
    assert [e["value"] for e in listed] == ["2", "2"]
    with session_factory(engine)() as session:
        versions = set(
            session.scalars(
                select(UsageEvent.smartcode_version_id).where(
                    UsageEvent.organization_id == tenant.id, UsageEvent.metric_code == "minutes"
                )
            )
        )
    assert versions == {version.id}


def test_without_smartcodes_valued_metrics_are_refused(
    api: TestClient,
    customers: dict[str, str],
    engine: Engine,
    clock: FixedClock,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tarif.usage import valuation

    monkeypatch.setattr(valuation, "_smartcodes", lambda: None)
    add_metric(
        engine, clock, tenant.id, code="priced", aggregation="sum", valuation_smartcode_id="smc_1"
    )
    response = api.post("/v1/events", json=event("t1", metric="priced"))
    assert response.status_code == 422
    assert "valuation SmartCodes are not available" in response.json()["errors"][0]["detail"]


def test_events_by_contract(api: TestClient, customers: dict[str, str]) -> None:
    response = api.post("/v1/events", json=event("t1", customer=None, contract="ctr_nope"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contract"


def test_duplicates_within_and_across_batches(
    api: TestClient, customers: dict[str, str], engine: Engine, tenant: Tenant
) -> None:
    first = batch(api, event("a"), event("b"), event("a"))
    assert [r["status"] for r in first["results"]] == ["accepted", "accepted", "duplicate"]
    assert (first["accepted"], first["duplicates"], first["rejected"]) == (2, 1, 0)
    second = batch(api, event("b"), event("c"))
    assert [r["status"] for r in second["results"]] == ["duplicate", "accepted"]
    assert stored(engine, tenant.id) == 3  # a, b, c


def test_unique_count_and_count_metrics(
    api: TestClient, customers: dict[str, str], engine: Engine, tenant: Tenant
) -> None:
    answer = batch(
        api,
        event("u1", metric="users", properties={"user_id": "alice"}),
        event("c1", metric="api_calls", properties={}),
    )
    assert answer["accepted"] == 2
    listed = api.get("/v1/events", params={"metric": "users"}).json()["data"]
    assert [(e["unique_key"], e["value"]) for e in listed] == [("alice", None)]


def test_cloudevents_structured_and_batch(
    api: TestClient, customers: dict[str, str], engine: Engine, tenant: Tenant
) -> None:
    ce = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "//gateway/eu",
        "type": "tokens",
        "subject": "ACME",
        "time": "2026-01-15T08:00:00Z",
        "datacontenttype": "application/json",
        "data": {"tokens": "7"},
    }
    one = api.post("/v1/events", content=json.dumps(ce), headers={"Content-Type": CE_ONE})
    assert one.status_code == 201, one.text
    assert (one.json()["source"], one.json()["transaction_id"]) == ("//gateway/eu", "e-1")
    # Same id from another source: another event. Same source and id: a duplicate.
    other_source = ce | {"source": "//gateway/us"}
    unknown_type = ce | {"id": "e-2", "type": "nope"}
    answer = api.post(
        "/v1/events/batch",
        content=json.dumps([ce, other_source, unknown_type]),
        headers={"Content-Type": CE_BATCH},
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "accepted", "rejected"]
    assert results[2]["errors"][0]["field"] == "type"  # the CloudEvents name of the metric
    # A native event with transaction id "e-1" is not the CloudEvent "e-1" (its source is "").
    assert api.post("/v1/events", json=event("e-1")).status_code == 201
    assert stored(engine, tenant.id) == 3
    bad = api.post(
        "/v1/events",
        content=json.dumps(ce | {"id": "e-9", "specversion": "0.3"}),
        headers={"Content-Type": CE_ONE},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "specversion"


def test_late_events_are_flagged_then_refused_by_policy(
    api: TestClient, customers: dict[str, str], engine: Engine, tenant: Tenant
) -> None:
    set_watermark(engine, tenant.id, customers["ACME"], "tokens", date(2026, 1, 1))
    # 2025-12-31 23:00 UTC is 00:00 on 1 January in Paris: not late; one second before is.
    late = api.post("/v1/events", json=event("late", timestamp="2025-12-31T22:59:59Z"))
    on_time = api.post("/v1/events", json=event("ok", timestamp="2025-12-31T23:00:00Z"))
    assert (late.json()["late"], on_time.json()["late"]) == (True, False)
    # GLOBEX has no watermark: nothing of it is late.
    globex = api.post(
        "/v1/events", json=event("g", customer="GLOBEX", timestamp="2025-06-01T00:00:00Z")
    )
    assert globex.json()["late"] is False
    assert [e["transaction_id"] for e in api.get("/v1/events?late=true").json()["data"]] == ["late"]
    changed = api.patch("/v1/organization", json={"late_usage_policy": "reject"})
    assert changed.status_code == 200 and changed.json()["late_usage_policy"] == "reject"
    refused = api.post("/v1/events", json=event("late2", timestamp="2025-12-31T22:59:59Z"))
    assert refused.status_code == 422
    assert "already invoiced" in refused.json()["errors"][0]["detail"]
    # Resending the late event stored earlier is still a duplicate, not a refusal.
    resent = api.post("/v1/events", json=event("late", timestamp="2025-12-31T22:59:59Z"))
    assert resent.status_code == 200 and resent.json()["status"] == "duplicate"


def test_future_tolerance_is_an_organization_setting(
    api: TestClient, customers: dict[str, str]
) -> None:
    ahead = event("t1", timestamp="2026-01-15T10:00:00Z")  # 30 minutes after the clock
    assert api.post("/v1/events", json=ahead).status_code == 422
    changed = api.patch("/v1/organization", json={"future_event_tolerance_seconds": 3600})
    assert changed.status_code == 200
    assert api.post("/v1/events", json=ahead).status_code == 201
    for bad in (
        {"future_event_tolerance_seconds": -1},
        {"late_usage_policy": "ignore"},
        {"finalize_zero_usage_invoices": "sometimes"},
        {"finalize_zero_usage_invoices": None},
    ):
        refused = api.patch("/v1/organization", json=bad)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == next(iter(bad))


def test_payload_too_large(api: TestClient, customers: dict[str, str]) -> None:
    big = event("t1", properties={"tokens": "1", "blob": "x" * 9000})
    one = api.post("/v1/events", json=big)
    assert one.status_code == 413
    assert one.headers["content-type"] == "application/problem+json"
    assert one.json()["type"] == "/problems/payload-too-large"
    answer = batch(api, big, event("t2"))
    assert answer["results"][0]["status"] == "rejected"
    assert answer["results"][0]["errors"][0]["field"] == "properties"
    too_many = api.post(
        "/v1/events/batch", json={"events": [event(f"t{i}") for i in range(10_001)]}
    )
    assert too_many.status_code == 413 and too_many.json()["type"] == "/problems/payload-too-large"
    huge = api.post(
        "/v1/events/batch",
        content=b'{"events": [' + b" " * (16 * 1024 * 1024) + b"]}",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413


def test_malformed_bodies(api: TestClient, customers: dict[str, str]) -> None:
    assert api.post("/v1/events", content=b"{not json").status_code == 422
    assert api.post("/v1/events/batch", json={"evnts": []}).status_code == 422
    assert api.post("/v1/events/batch", json={"events": [], "x": 1}).status_code == 422
    answer = batch(api, "not an object")  # type: ignore[arg-type]
    assert answer["results"][0]["status"] == "rejected"
    # NaN is no JSON number (PostgreSQL's json refuses it): the body is refused, not stored.
    nan = json.dumps({"events": [event("n1", properties={"tokens": 1, "x": "NaN"})]})
    refused = api.post(
        "/v1/events/batch",
        content=nan.replace('"NaN"', "NaN"),
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body"


def test_list_filters_and_pagination(api: TestClient, customers: dict[str, str]) -> None:
    batch(
        api,
        event("a", timestamp="2026-01-10T10:00:00Z"),
        event("b", timestamp="2026-01-11T10:00:00Z", customer="GLOBEX"),
        event("c", timestamp="2026-01-12T10:00:00Z", metric="api_calls"),
    )

    def ids(**params: Any) -> list[str]:
        response = api.get("/v1/events", params=params)
        assert response.status_code == 200, response.text
        return [e["transaction_id"] for e in response.json()["data"]]

    assert ids() == ["a", "b", "c"]
    assert ids(customer_id=customers["GLOBEX"]) == ["b"]
    assert ids(metric="api_calls") == ["c"]
    assert ids(**{"from": "2026-01-11T00:00:00Z", "to": "2026-01-12T10:00:00Z"}) == ["b"]
    assert ids(q="B") == ["b"]
    page = api.get("/v1/events", params={"limit": 2}).json()
    assert page["has_more"] is True
    rest = api.get("/v1/events", params={"starting_after": page["next_cursor"]}).json()
    assert [e["transaction_id"] for e in rest["data"]] == ["c"]
    # Not an event id: nothing of the list comes after it.
    assert api.get("/v1/events", params={"starting_after": "nope"}).json()["data"] == []
    assert api.get("/v1/events", params={"customer_id": "cus_nope"}).status_code == 404
    assert api.get("/v1/events/evt_999999999").status_code == 404
    assert api.get("/v1/events/12").status_code == 404


def test_reading_needs_no_write_role_but_sending_does(
    client: TestClient, customers: dict[str, str], make_key: Any
) -> None:
    from tarif.tenancy.rules import Role

    headers = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    assert client.post("/v1/events", json=event("t1"), headers=headers).status_code == 403
    assert client.get("/v1/events", headers=headers).status_code == 200


def test_tenants_are_isolated(
    api: TestClient,
    customers: dict[str, str],
    client: TestClient,
    make_tenant: Any,
    engine: Engine,
    clock: FixedClock,
) -> None:
    made = api.post("/v1/events", json=event("t1")).json()
    other = make_tenant("Other SAS")
    seed(engine, clock, other.id)
    # The other organization has its own ACME and tokens: the same transaction id is new there.
    theirs = client.post("/v1/events", json=event("t1"), headers=other.headers)
    assert theirs.status_code == 201 and theirs.json()["id"] != made["id"]
    assert client.get(f"/v1/events/{made['id']}", headers=other.headers).status_code == 404
    listed = client.get("/v1/events", headers=other.headers).json()["data"]
    assert [e["id"] for e in listed] == [theirs.json()["id"]]
    # ACME's id in the first organization names no customer of the other.
    assert (
        client.get(
            "/v1/events", params={"customer_id": customers["ACME"]}, headers=other.headers
        ).status_code
        == 404
    )
