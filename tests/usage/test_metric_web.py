"""Back-office pages of metrics: list, form, metric page with its quantities. French text;
the test clock reads 15 Jan 2026."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.customers import service as customers
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.invoicing.test_web import Run, error_of, post, run, text
from tests.usage.factories import add_event
from tests.web.conftest import MakeUser, admin, browser, log_in, make_user

__all__ = ["admin", "browser", "make_user", "run"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


def create(admin: TestClient, **fields: str) -> Any:
    form = admin.get("/metrics/new")
    assert form.status_code == 200 and 'id="metric-form"' in form.text
    return post(admin, "/metrics/new", form.text, **fields)


def test_create_from_the_form_then_edit_and_archive(admin: TestClient) -> None:
    made = create(
        admin,
        code="storage_gb",
        name="Stockage",
        unit="GB",
        aggregation="weighted_sum",
        field="gb",
        filters="tier in hot,warm\nsize gte 1",
        group_by="region, project",
        recurring="on",
    )
    assert made.status_code == 303, made.text
    page = admin.get(made.headers["location"])
    shown = text(page.text)
    assert "Somme pondérée par le temps" in shown  # French: "Time-weighted sum"
    assert "tier in hot,warm\nsize gte 1" in shown
    assert "region, project" in shown
    assert "Reportée d'une période à la suivante" in shown
    assert "storage_gb" in text(admin.get("/metrics").text)
    saved = post(
        admin,
        made.headers["location"],
        page.text,
        code="storage_gb",
        name="Stockage chaud",
        unit="GB",
        aggregation="weighted_sum",
        field="gb",
        filters="",
        group_by="",
    )
    assert saved.status_code == 303, saved.text
    page = admin.get(saved.headers["location"])
    assert "Stockage chaud" in text(page.text) and "Remise à zéro" in text(page.text)
    archived = post(admin, made.headers["location"] + "/archive", page.text)
    assert archived.status_code == 303
    assert "Archivé" in text(admin.get(archived.headers["location"]).text)


def test_form_errors_are_shown_inline(admin: TestClient) -> None:
    refused = create(admin, code="m", aggregation="sum", filters="region like eu")
    assert refused.status_code == 422
    assert error_of(refused.text, "field") == "'sum' reads a property: name it in field"
    assert error_of(refused.text, "filters") == (
        "0.op: unknown filter operator 'like': one of eq, in, not_in, gt, gte, lt, lte"
    )
    refused = create(admin, code="m", aggregation="count", filters="region")
    assert error_of(refused.text, "filters") == "line 1: write 'property op value'"


def test_a_valuation_smartcode_is_chosen_by_its_code(admin: TestClient, run: Run[Any]) -> None:
    from tarif.smartcodes import service as smartcodes

    source = (
        "import math\n\n\ndef value(event):\n    return math.ceil(event.properties['s'] / 60)\n"
    )
    minutes_id = run(
        lambda ctx: (
            smartcodes.create_smartcode(
                ctx, {"code": "minutes", "kind": "valuation", "source": source}
            )[0].id
        )
    )
    common = {"code": "call_minutes", "aggregation": "sum", "field": "s"}
    refused = create(admin, **common, valuation_smartcode_id="nope")
    assert refused.status_code == 422
    assert error_of(refused.text, "valuation_smartcode_id") == "unknown SmartCode 'nope'"
    made = create(admin, **common, valuation_smartcode_id="minutes")
    assert made.status_code == 303, made.text
    page = admin.get(made.headers["location"])
    assert "SmartCode de valorisation" in text(page.text)  # French: "Valuation SmartCode"
    assert f'href="/smartcodes/{minutes_id}"' in page.text


def test_the_metric_page_computes_a_customers_quantities(
    admin: TestClient, run: Run[Any], engine: Engine, tenant: Tenant
) -> None:
    customer_id = run(
        lambda ctx: (
            customers.create_customer(
                ctx, {"legal_name": "Acme SAS", "country": "FR", "external_id": "ACME"}
            ).id
        )
    )
    made = create(admin, code="api_calls", aggregation="count", unit="call", group_by="region")
    with session_factory(engine)() as session:
        for region in ("eu", "eu", "us"):
            add_event(
                session, tenant.id, "api_calls", customer_id, "2026-01-05 10:00",
                properties={"region": region},
            )  # fmt: skip
        session.commit()
    url = made.headers["location"]
    page = admin.get(url, params={"customer": "ACME", "from": "2026-01-01", "to": "2026-02-01"})
    assert page.status_code == 200
    rows = text(page.text)
    assert "region=eu" in rows and "2 call" in rows and "region=us" in rows and "1 call" in rows
    assert page.text.count("data-event-id=") == 3
    unknown = admin.get(url, params={"customer": "NOPE", "from": "2026-01-01", "to": "2026-02-01"})
    assert unknown.status_code == 200 and "customer 'NOPE' not found" in text(unknown.text)


def test_read_only_users_see_no_forms(browser: TestClient, make_user: MakeUser) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    assert browser.get("/metrics").status_code == 200
    assert browser.get("/metrics/new").status_code == 403
