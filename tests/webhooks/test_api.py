"""`/v1/webhook-endpoints`, `/v1/webhook-deliveries` and `/v1/jobs` through HTTP: CRUD, bad
input as 422 problems naming the field, tenancy, roles, ping, replay and the dead letters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.jobs.worker import Worker
from tarif.tenancy.rules import Role
from tarif.webhooks import service
from tests.conftest import Tenant
from tests.webhooks.conftest import Receiver

TYPES = ["invoice.finalized", "contract.activated"]


def _create(api: TestClient, url: str = "https://example.com/hooks", **extra: object) -> dict:  # type: ignore[type-arg]
    made = api.post("/v1/webhook-endpoints", json={"url": url, "event_types": TYPES} | extra)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def _fields(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"]: e["detail"] for e in response.json()["errors"]}


def test_crud(api: TestClient) -> None:
    made = _create(api, description="ERP")
    assert made["object"] == "webhook_endpoint" and made["enabled"] is True
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    endpoint_id = made["id"]
    assert [e["id"] for e in api.get("/v1/webhook-endpoints").json()["data"]] == [endpoint_id]
    shown = api.get(f"/v1/webhook-endpoints/{endpoint_id}").json()
    assert shown["secret"] == made["secret"]  # retrievable by an admin

    changed = api.patch(
        f"/v1/webhook-endpoints/{endpoint_id}",
        json={"enabled": False, "event_types": ["usage.alert"], "rotate_secret": True},
    ).json()
    assert changed["enabled"] is False and changed["event_types"] == ["usage.alert"]
    assert changed["secret"] != made["secret"] and changed["url"] == made["url"]
    assert api.delete(f"/v1/webhook-endpoints/{endpoint_id}").status_code == 204
    assert api.get(f"/v1/webhook-endpoints/{endpoint_id}").status_code == 404


def test_bad_input_names_each_field(api: TestClient) -> None:
    bad = api.post(
        "/v1/webhook-endpoints",
        json={"url": "ftp://example.com", "event_types": ["invoice.finalized", "invoice.paid"]},
    )
    assert _fields(bad) == {
        "url": "must start with https:// (or http://)",
        "event_types.1": "unknown event type 'invoice.paid'",
    }
    assert _fields(
        api.post("/v1/webhook-endpoints", json={"url": "https://x.example", "event_types": []})
    ) == {"event_types": "at least one event type"}
    unknown = api.post(
        "/v1/webhook-endpoints",
        json={"url": "https://x.example", "event_types": TYPES, "secret": "mine"},
    )
    assert "secret" in _fields(unknown)
    endpoint_id = _create(api)["id"]
    assert _fields(api.patch(f"/v1/webhook-endpoints/{endpoint_id}", json={"url": "https://"})) == {
        "url": "a URL with a host is expected"
    }
    assert "colour" in _fields(
        api.patch(f"/v1/webhook-endpoints/{endpoint_id}", json={"colour": 1})
    )


def test_another_organizations_endpoint_and_delivery_are_404(
    api: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        ctx = Ctx(session, other.id, Actor.system("test"), clock)
        endpoint = service.create_endpoint(
            ctx, {"url": "https://o.example/h", "event_types": TYPES}
        )
        (delivery,) = service.emit(ctx, "invoice.finalized", {"id": "inv_x"})
        session.commit()
    assert api.get(f"/v1/webhook-endpoints/{endpoint.id}").status_code == 404
    assert (
        api.patch(f"/v1/webhook-endpoints/{endpoint.id}", json={"enabled": False}).status_code
        == 404
    )
    assert api.delete(f"/v1/webhook-endpoints/{endpoint.id}").status_code == 404
    assert api.get(f"/v1/webhook-deliveries/{delivery.id}").status_code == 404
    assert api.post(f"/v1/webhook-deliveries/{delivery.id}/replay").status_code == 404
    assert api.get(f"/v1/jobs/{delivery.job_id}").status_code == 404
    assert api.get("/v1/webhook-deliveries").json()["data"] == []


def test_endpoints_are_for_admins_deliveries_readable(
    api: TestClient, make_key: Callable[[Role], str]
) -> None:
    endpoint_id = _create(api)["id"]
    finance = {"Authorization": f"Bearer {make_key(Role.FINANCE)}"}
    assert api.get("/v1/webhook-endpoints", headers=finance).status_code == 403
    assert api.get(f"/v1/webhook-endpoints/{endpoint_id}", headers=finance).status_code == 403
    made = api.post(
        "/v1/webhook-endpoints",
        json={"url": "https://x.example", "event_types": TYPES},
        headers=finance,
    )
    assert made.status_code == 403
    assert api.get("/v1/webhook-deliveries", headers=finance).status_code == 200
    assert api.get("/v1/jobs", headers=finance).status_code == 200


def test_ping_replay_and_dead_letters(
    api: TestClient,
    receiver: Receiver,
    worker: Worker,
    clock: FixedClock,
    engine: Engine,
    tenant: Tenant,
) -> None:
    endpoint = _create(api, url=receiver.url)
    receiver.codes = [418]
    pinged = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json()
    assert (pinged["event_type"], pinged["status"], pinged["last_status_code"]) == (
        "ping",
        "failed",
        418,
    )
    assert pinged["attempts"][0]["response"] == "answer 418"
    assert pinged["payload"]["data"] == {"endpoint_id": endpoint["id"]}

    with session_factory(engine)() as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        (delivery,) = service.emit(ctx, "contract.activated", {"id": "ctr_1"})
        session.commit()
    receiver.codes = [500] * 10
    for wait in [0, 30, 60, 120, 240, 480, 960, 1920, 3840, 7680]:
        clock.advance(timedelta(seconds=wait))
        assert worker.run_one()
    dead = api.get("/v1/jobs", params={"status": "dead"}).json()["data"]
    assert [(j["id"], j["kind"], j["attempts"], j["last_error"]) for j in dead] == [
        (delivery.job_id, "webhook.deliver", 10, "HTTP 500")
    ]
    shown = api.get(f"/v1/webhook-deliveries/{delivery.id}").json()
    assert (shown["status"], shown["attempt_count"]) == ("failed", 10)

    # Retrying the dead job by hand: a fresh set of attempts, delivered this time.
    retried = api.post(f"/v1/jobs/{delivery.job_id}/retry").json()
    assert (retried["status"], retried["attempts"]) == ("queued", 0)
    assert api.post(f"/v1/jobs/{delivery.job_id}/retry").status_code == 409  # not dead now
    assert worker.run_one()
    assert api.get(f"/v1/webhook-deliveries/{delivery.id}").json()["status"] == "delivered"

    # Replay: a new attempt on demand, through a new job.
    replayed = api.post(f"/v1/webhook-deliveries/{delivery.id}/replay")
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    assert replayed.json()["job_id"] != delivery.job_id
    assert worker.run_one()
    final = api.get(f"/v1/webhook-deliveries/{delivery.id}").json()
    assert (final["status"], final["attempt_count"]) == ("delivered", 12)  # 10 + retry + replay
    listed = api.get("/v1/webhook-deliveries", params={"endpoint_id": endpoint["id"]}).json()[
        "data"
    ]
    assert [d["event_type"] for d in listed] == ["ping", "contract.activated"]
    assert _fields(api.get("/v1/jobs", params={"status": "lost"}))
