"""Back-office pages: webhook endpoints (admins), deliveries with replay, jobs with the dead
letters and a retry button."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.jobs.worker import Worker
from tarif.tenancy.rules import Role
from tarif.webhooks import service
from tests.conftest import Tenant
from tests.invoicing.test_web import error_of, text
from tests.web.conftest import MakeUser, admin, browser, csrf_token, log_in, make_user
from tests.webhooks.conftest import Receiver

__all__ = ["admin", "browser", "make_user"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


def _post(client: TestClient, path: str, page: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, data=data | {"csrf_token": csrf_token(page)}, follow_redirects=False)


def test_create_endpoint_ping_and_see_the_delivery(admin: TestClient, receiver: Receiver) -> None:
    page = admin.get("/webhooks")
    assert page.status_code == 200 and "Aucun point de réception pour l'instant." in text(page.text)
    refused = _post(admin, "/webhooks", page.text, {"url": "ftp://x", "event_types": []})
    assert refused.status_code == 422
    assert error_of(refused.text, "url") == "must start with https:// (or http://)"
    assert error_of(refused.text, "event_types") == "at least one event type"

    made = _post(
        admin,
        "/webhooks",
        page.text,
        {"url": receiver.url, "event_types": ["invoice.finalized", "usage.alert"], "enabled": "on"},
    )
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    detail = admin.get(location)
    secret = re.search(r'id="endpoint-secret">([^<]+)<', detail.text)
    assert secret and secret.group(1).startswith("whsec_")
    pinged = _post(admin, f"{location}/ping", detail.text, {})
    assert pinged.status_code == 303
    delivery = admin.get(pinged.headers["location"])
    assert 'id="delivery-status">remis<' in delivery.text
    assert "answer 200" in delivery.text
    listed = admin.get("/webhooks/deliveries")
    assert "ping" in listed.text and pinged.headers["location"].rsplit("/", 1)[1] in listed.text

    saved = _post(
        admin, location, detail.text, {"url": receiver.url, "event_types": ["usage.alert"]}
    )
    assert saved.status_code == 303
    after = admin.get(location).text
    assert (
        'value="usage.alert" checked' in after and 'value="invoice.finalized" checked' not in after
    )
    deleted = _post(admin, f"{location}/delete", after, {})
    assert deleted.status_code == 303 and admin.get(location).status_code == 404


def test_dead_letters_retry_and_replay(
    admin: TestClient,
    receiver: Receiver,
    worker: Worker,
    engine: Engine,
    tenant: Tenant,
    clock: FixedClock,
) -> None:
    with session_factory(engine)() as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        service.create_endpoint(ctx, {"url": receiver.url, "event_types": ["usage.alert"]})
        (delivery,) = service.emit(ctx, "usage.alert", {"metric": "api_calls"})
        session.commit()
    receiver.codes = [502] * 10
    for wait in [0, 30, 60, 120, 240, 480, 960, 1920, 3840, 7680]:
        clock.advance(timedelta(seconds=wait))
        worker.run_one()
    jobs = admin.get("/jobs")
    dead = re.search(r'<table class="list" id="dead-jobs">.*?</table>', jobs.text, re.S)
    assert dead and f'data-job-id="{delivery.job_id}"' in dead.group(0)
    assert "10/10" in dead.group(0) and "HTTP 502" in dead.group(0)
    retried = _post(admin, f"/jobs/{delivery.job_id}/retry", jobs.text, {})
    assert retried.status_code == 303
    job_page = admin.get(retried.headers["location"])
    assert "Tâche relancée." in text(job_page.text) and "en attente" in job_page.text
    worker.run_one()
    page = admin.get(f"/webhooks/deliveries/{delivery.id}")
    assert 'id="delivery-status">remis<' in page.text
    assert page.text.count("answer 502") == 10
    replayed = _post(admin, f"/webhooks/deliveries/{delivery.id}/replay", page.text, {})
    assert replayed.status_code == 303
    assert "Envoi relancé." in text(admin.get(replayed.headers["location"]).text)


def test_endpoints_are_for_admins_deliveries_for_everyone(
    browser: TestClient, make_user: MakeUser
) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    assert browser.get("/webhooks").status_code == 403
    assert browser.get("/webhooks/deliveries").status_code == 200
    assert browser.get("/jobs").status_code == 200
