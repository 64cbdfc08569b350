"""Deliveries against a local server that fails on purpose: retries with backoff, success,
dead after the last attempt, replay, the signature the receiver checks."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.jobs.models import Job
from tarif.jobs.worker import Worker
from tarif.webhooks import service
from tarif.webhooks.models import WebhookDelivery
from tarif.webhooks.rules import verify
from tests.conftest import START, Tenant
from tests.webhooks.conftest import Receiver


def _ctx(engine: Engine, tenant: Tenant, clock: FixedClock) -> tuple[Session, Ctx]:
    session = session_factory(engine)()
    return session, Ctx(session, tenant.id, Actor.system("test"), clock)


def _setup(
    engine: Engine, tenant: Tenant, clock: FixedClock, url: str, types: list[str]
) -> tuple[str, str]:
    session, ctx = _ctx(engine, tenant, clock)
    with session:
        endpoint = service.create_endpoint(ctx, {"url": url, "event_types": types})
        (delivery,) = service.emit(ctx, "invoice.finalized", {"id": "inv_1", "number": "F-1"})
        session.commit()
        return endpoint.secret, delivery.id


def _delivery(engine: Engine, delivery_id: str) -> tuple[WebhookDelivery, Job]:
    with Session(engine) as session:
        delivery = session.get_one(WebhookDelivery, delivery_id)
        assert delivery.job_id
        return delivery, session.get_one(Job, delivery.job_id)


def test_retry_then_success_against_a_failing_server(
    engine: Engine, tenant: Tenant, clock: FixedClock, receiver: Receiver, worker: Worker
) -> None:
    secret, delivery_id = _setup(engine, tenant, clock, receiver.url, ["invoice.finalized"])
    receiver.codes = [500, 503]
    assert worker.run_one()
    delivery, job = _delivery(engine, delivery_id)
    assert (delivery.status, delivery.last_status_code, delivery.attempt_count) == (
        "retrying",
        500,
        1,
    )
    assert delivery.attempts[0]["response"] == "answer 500"
    assert (job.status, job.last_error) == ("queued", "HTTP 500")
    assert job.run_after == START + timedelta(seconds=30)  # first retry: 30 s
    clock.advance(timedelta(seconds=30))
    assert worker.run_one()
    assert _delivery(engine, delivery_id)[1].run_after == START + timedelta(seconds=90)  # +60 s
    clock.advance(timedelta(seconds=60))
    assert worker.run_one()
    delivery, job = _delivery(engine, delivery_id)
    assert (delivery.status, delivery.attempt_count, job.status) == ("delivered", 3, "done")
    assert [a["status_code"] for a in delivery.attempts] == [500, 503, 200]
    assert delivery.delivered_at == START + timedelta(seconds=90)

    # What the receiver got: the same body three times, each signed at its own time.
    assert len(receiver.requests) == 3
    last = receiver.requests[-1]
    payload = json.loads(last.body)
    assert (payload["type"], payload["data"]) == (
        "invoice.finalized",
        {"id": "inv_1", "number": "F-1"},
    )
    assert payload["organization_id"] == tenant.id
    assert last.headers["Tarif-Event-Type"] == "invoice.finalized"
    signed_at = int((START + timedelta(seconds=90)).timestamp())
    assert last.headers["Tarif-Signature"].startswith(f"t={signed_at},v1=")
    assert verify(last.headers["Tarif-Signature"], secret, last.body, now=signed_at)
    first = receiver.requests[0].headers["Tarif-Signature"]
    assert first != last.headers["Tarif-Signature"]  # signed again at each attempt
    started = int(START.timestamp())
    assert verify(first, secret, last.body, now=started + 300)
    assert not verify(first, secret, last.body, now=started + 301)  # older than 5 minutes


def test_dead_after_max_attempts_then_replayed(
    engine: Engine, tenant: Tenant, clock: FixedClock, receiver: Receiver, worker: Worker
) -> None:
    _, delivery_id = _setup(engine, tenant, clock, receiver.url, ["invoice.finalized"])
    receiver.codes = [500] * 10
    waits = [0, 30, 60, 120, 240, 480, 960, 1920, 3840, 7680]  # 30·2^(n-2) before attempt n
    for wait in waits:
        clock.advance(timedelta(seconds=wait))
        assert worker.run_one()
    delivery, job = _delivery(engine, delivery_id)
    assert (job.status, job.attempts) == ("dead", 10)
    assert (delivery.status, delivery.attempt_count) == ("failed", 10)
    clock.advance(timedelta(hours=6))
    assert not worker.run_one()

    session, ctx = _ctx(engine, tenant, clock)
    with session:
        replayed = service.replay(ctx, delivery_id)
        session.commit()
        new_job = replayed.job_id
    assert new_job != job.id
    assert worker.run_one()  # the server answers 200 now
    delivery, job = _delivery(engine, delivery_id)
    assert (delivery.status, delivery.attempt_count, job.id, job.status) == (
        "delivered",
        11,
        new_job,
        "done",
    )


def test_a_refused_connection_is_logged_and_retried(
    engine: Engine, tenant: Tenant, clock: FixedClock, worker: Worker
) -> None:
    # Port 9 on 127.0.0.1 (discard) has no listener here: the connection is refused.
    _, delivery_id = _setup(engine, tenant, clock, "http://127.0.0.1:9/x", ["invoice.finalized"])
    assert worker.run_one()
    delivery, job = _delivery(engine, delivery_id)
    assert delivery.status == "retrying" and delivery.last_status_code is None
    assert "refused" in (delivery.attempts[0]["error"] or "").lower()
    assert job.status == "queued" and job.attempts == 1


def test_emit_writes_one_delivery_per_subscribed_enabled_endpoint(
    engine: Engine, tenant: Tenant, clock: FixedClock, make_tenant
) -> None:  # type: ignore[no-untyped-def]
    other = make_tenant("Other SAS")
    session, ctx = _ctx(engine, tenant, clock)
    with session:
        a = service.create_endpoint(
            ctx, {"url": "https://a.example/h", "event_types": ["invoice.finalized"]}
        )
        service.create_endpoint(ctx, {"url": "https://b.example/h", "event_types": ["usage.alert"]})
        c = service.create_endpoint(
            ctx, {"url": "https://c.example/h", "event_types": ["invoice.finalized", "usage.alert"]}
        )
        service.create_endpoint(
            ctx,
            {"url": "https://d.example/h", "event_types": ["invoice.finalized"], "enabled": False},
        )
        other_ctx = Ctx(session, other.id, Actor.system("test"), clock)
        service.create_endpoint(
            other_ctx, {"url": "https://e.example/h", "event_types": ["invoice.finalized"]}
        )
        deliveries = service.emit(ctx, "invoice.finalized", {"id": "inv_1"})
        assert sorted(d.endpoint_id for d in deliveries) == sorted([a.id, c.id])
        assert len({d.event_id for d in deliveries}) == 1  # one event, two deliveries
        assert service.emit(ctx, "contract.activated", {"id": "c"}) == []
        session.commit()
