"""Back-office pages of events: the filtered list, an event's page, the usage settings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tests.conftest import Tenant
from tests.usage.ingest_helpers import event, seed
from tests.web.conftest import MakeUser, admin, browser, csrf_token, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def stored(api: TestClient, engine: Engine, clock: FixedClock, tenant: Tenant) -> list[str]:
    seed(engine, clock, tenant.id)
    answer = api.post(
        "/v1/events/batch",
        json={
            "events": [
                event("tx-acme", timestamp="2026-01-10T23:30:00Z", properties={"tokens": "12.5"}),
                event("tx-globex", customer="GLOBEX", timestamp="2026-01-12T10:00:00Z"),
            ]
        },
    )
    assert answer.status_code == 200
    ids = [r["id"] for r in answer.json()["results"]]
    api.headers.pop("Authorization")
    return ids


def test_list_with_filters_and_detail(stored: list[str], admin: TestClient) -> None:
    page = admin.get("/events")
    assert page.status_code == 200
    assert "Événements de consommation" in page.text
    assert "tx-acme" in page.text and "tx-globex" in page.text
    only_globex = admin.get("/events", params={"customer": "GLOBEX"})
    assert "tx-globex" in only_globex.text and "tx-acme" not in only_globex.text
    unknown = admin.get("/events", params={"customer": "NOPE"})
    assert "Client inconnu" in unknown.text and "tx-acme" not in unknown.text
    # 23:30 UTC on 10 January is 11 January in Paris: the local day filter sees it there.
    by_day = admin.get("/events", params={"first_day": "2026-01-11", "last_day": "2026-01-11"})
    assert "tx-acme" in by_day.text and "tx-globex" not in by_day.text
    late = admin.get("/events", params={"late": "1"})
    assert "tx-acme" not in late.text and "Aucun événement" in late.text
    detail = admin.get(f"/events/{stored[0]}")
    assert detail.status_code == 200
    assert 'id="event-value">12.5<' in detail.text
    assert "11/01/2026" in detail.text  # the local date, in French
    assert admin.get("/events/evt_999999999").status_code == 404


def test_navigation_links_to_events(stored: list[str], admin: TestClient) -> None:
    assert 'href="/events"' in admin.get("/").text


def test_usage_settings_on_the_settings_page(
    admin: TestClient, make_user: MakeUser, browser: TestClient
) -> None:
    page = admin.get("/settings")
    assert 'name="future_event_tolerance_seconds"' in page.text
    assert 'name="late_usage_policy"' in page.text
    form = {
        "csrf_token": csrf_token(page.text),
        "legal_name": "Acme SAS",
        "country": "FR",
        "default_currency": "EUR",
        "timezone": "Europe/Paris",
        "invoice_number_format": "F-{year}-{seq:06d}",
        "credit_note_number_format": "AV-{year}-{seq:06d}",
        "locale": "fr",
        "rounding_mode": "HALF_UP",
        "late_penalty_rate": "12.15",
        "future_event_tolerance_seconds": "-5",
        "late_usage_policy": "reject",
    }
    refused = admin.post("/settings", data=form)
    assert refused.status_code == 422
    saved = admin.post("/settings", data=form | {"future_event_tolerance_seconds": "600"})
    assert saved.status_code == 200, saved.text
    assert 'value="600"' in saved.text
    # 0.00 usage-only invoices: finalized by default, kept as drafts when chosen
    assert '<option value="true" selected>' in saved.text
    kept = admin.post(
        "/settings",
        data=form
        | {"future_event_tolerance_seconds": "600", "finalize_zero_usage_invoices": "false"},
    )
    assert kept.status_code == 200, kept.text
    assert '<option value="false" selected>' in kept.text
    wrong = admin.post("/settings", data=form | {"finalize_zero_usage_invoices": "maybe"})
    assert wrong.status_code == 422
    assert 'data-field="finalize_zero_usage_invoices"' in wrong.text
