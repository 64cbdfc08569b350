"""Usage alerts over HTTP: create, edit, list, refusals named, history, delete, another
organization.

Today is 15 Jan 2026; `seed_contract` runs from 1 Jan 2026 with `hosting` and the usage line
`api-calls`, charged 2 % of the metric `turnover` plus 0.25 per transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tarif.audit.models import AuditEvent
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tarif.triggers import alerts_service
from tests.conftest import Tenant
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_run_usage import seed_contract
from tests.triggers.test_api import ok, problem
from tests.triggers.test_billing import sales

SPENDING = {"metric_code": "turnover", "measure": "amount", "limit": "1000.00"}


@pytest.fixture
def contract_id(ctx: Ctx, world: World) -> str:
    found = seed_contract(world)
    ctx.session.commit()
    return found


def test_create_list_history_delete(
    api: TestClient, ctx: Ctx, world: World, contract_id: str
) -> None:
    url = f"/v1/contracts/{contract_id}/usage-alerts"
    made = ok(api.post(url, json=SPENDING), 201)
    assert made == {
        "id": made["id"],
        "contract_id": contract_id,
        "metric_code": "turnover",
        "line_key": None,
        "measure": "amount",
        "limit": "1000",  # decimals as stored: no trailing zeros
        "levels": [80, 100],
        "thresholds": ["800", "1000"],  # 1,000 × 80 / 100, 1,000 × 100 / 100
        "created_at": "2026-01-15T09:30:00Z",
        "updated_at": "2026-01-15T09:30:00Z",
    }
    assert ok(api.get(url)) == [made]
    sales(world, "2026-01-08", 100, "400.00")  # 800.00 + 25.00 = 825.00: the 80 % level
    [fired] = alerts_service.check_alerts(ctx, [contract_id], date(2026, 1, 8))
    ctx.session.commit()
    history = ok(api.get(f"/v1/contracts/{contract_id}/usage-alert-firings"))
    assert [
        (f["alert_id"], f["level"], f["value"], f["period_start"], f["period_end"])
        for f in history["data"]
    ] == [(made["id"], 80, "825", "2026-01-01", "2026-02-01")]
    assert history["data"][0]["id"] == fired.firing.id
    assert api.delete(f"/v1/usage-alerts/{made['id']}").status_code == 204
    assert ok(api.get(url)) == []
    assert ok(api.get(f"/v1/contracts/{contract_id}/usage-alert-firings"))["data"] == []
    assert api.delete(f"/v1/usage-alerts/{made['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"metric_code": "api_calls", "limit": "10"},
            [("metric_code", "no usage line of the contract measures 'api_calls'")],
        ),
        (SPENDING | {"levels": [100, 80]}, [("levels.1", "levels must increase")]),
        (SPENDING | {"limit": "0"}, [("limit", 'a positive decimal string, e.g. "1000.00"')]),
        (
            SPENDING | {"line_key": "hosting"},
            [("line_key", "'hosting' is not a usage line measuring 'turnover'")],
        ),
        (SPENDING | {"measure": "count"}, [("measure", "one of amount, quantity")]),
        (SPENDING | {"when": "now"}, [("when", "unknown field")]),
    ],
)
def test_refusals_name_the_field(
    api: TestClient, contract_id: str, body: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    response = api.post(f"/v1/contracts/{contract_id}/usage-alerts", json=body)
    assert problem(response, 422) == expected


def test_another_organizations_contract_and_alert_are_not_found(
    api: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        theirs_ctx = Ctx(session, other.id, Actor.system("t"), clock)
        theirs = seed_contract(build_world(theirs_ctx))
        alert = alerts_service.create_alert(theirs_ctx, theirs, SPENDING)
        session.commit()
    url = f"/v1/contracts/{theirs}/usage-alerts"
    assert problem(api.get(url), 404) == []
    assert problem(api.post(url, json=SPENDING), 404) == []
    assert problem(api.delete(f"/v1/usage-alerts/{alert.id}"), 404) == []
    edit = api.patch(f"/v1/usage-alerts/{alert.id}", json={"limit": "5"})
    assert problem(edit, 404) == []
    assert problem(api.get(f"/v1/contracts/{theirs}/usage-alert-firings"), 404) == []


def test_a_read_only_key_reads_but_may_not_create_edit_or_delete(
    client: TestClient, api: TestClient, contract_id: str, make_key: Callable[[Role], str]
) -> None:
    made = ok(api.post(f"/v1/contracts/{contract_id}/usage-alerts", json=SPENDING), 201)
    headers = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    url = f"/v1/contracts/{contract_id}/usage-alerts"
    assert [a["id"] for a in ok(client.get(url, headers=headers))] == [made["id"]]
    assert client.post(url, json=SPENDING, headers=headers).status_code == 403
    assert client.delete(f"/v1/usage-alerts/{made['id']}", headers=headers).status_code == 403
    edit = client.patch(f"/v1/usage-alerts/{made['id']}", json={"limit": "5"}, headers=headers)
    assert edit.status_code == 403


def firings_of(api: TestClient, contract_id: str) -> list[tuple[int, str]]:
    history = ok(api.get(f"/v1/contracts/{contract_id}/usage-alert-firings"))
    return sorted((f["level"], f["value"]) for f in history["data"])


def test_an_alert_created_past_a_level_fires_at_once(
    api: TestClient, world: World, ctx: Ctx, contract_id: str
) -> None:
    sales(world, "2026-01-08", 100, "400.00")  # 2 % × 40,000.00 + 100 × 0.25 = 825.00
    ctx.session.commit()
    made = ok(api.post(f"/v1/contracts/{contract_id}/usage-alerts", json=SPENDING), 201)
    history = ok(api.get(f"/v1/contracts/{contract_id}/usage-alert-firings"))["data"]
    # 825.00 ≥ 800 (80 % of 1,000), < 1,000: the 80 % level, in January
    assert [
        (f["alert_id"], f["level"], f["value"], f["period_start"], f["period_end"]) for f in history
    ] == [(made["id"], 80, "825", "2026-01-01", "2026-02-01")]


def test_edit_an_alert(
    api: TestClient, world: World, ctx: Ctx, clock: FixedClock, contract_id: str
) -> None:
    made = ok(api.post(f"/v1/contracts/{contract_id}/usage-alerts", json=SPENDING), 201)
    sales(world, "2026-01-08", 100, "400.00")  # 825.00
    ctx.session.commit()
    clock.advance(timedelta(hours=1))
    url = f"/v1/usage-alerts/{made['id']}"
    edited = ok(api.patch(url, json={"limit": "800.00", "levels": [50, 100]}))
    assert edited == made | {
        "limit": "800",
        "levels": [50, 100],
        "thresholds": ["400", "800"],  # 800 × 50 / 100, 800 × 100 / 100
        "updated_at": "2026-01-15T10:30:00Z",
    }
    # checked at once: 825.00 reaches 400 and 800
    assert firings_of(api, contract_id) == [(50, "825"), (100, "825")]
    # a new level of 80 % (640) fires; 50 % and 100 % fired already this period
    edited = ok(api.patch(url, json={"levels": [50, 80, 100]}))
    assert edited["thresholds"] == ["400", "640", "800"]  # 800 × 80 / 100 = 640
    assert firings_of(api, contract_id) == [(50, "825"), (80, "825"), (100, "825")]
    # a higher limit reaches nothing new; the levels fired stay in the history
    edited = ok(api.patch(url, json={"limit": "2000", "line_key": "api-calls"}))
    assert (edited["limit"], edited["line_key"]) == ("2000", "api-calls")
    assert len(firings_of(api, contract_id)) == 3
    assert ok(api.patch(url, json={"line_key": None}))["line_key"] is None
    assert ok(api.get(f"/v1/contracts/{contract_id}/usage-alerts")) == [
        made
        | {
            "limit": "2000",
            "levels": [50, 80, 100],
            "thresholds": ["1000", "1600", "2000"],
            "updated_at": "2026-01-15T10:30:00Z",
        }
    ]
    actions = ctx.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.organization_id == ctx.organization_id)
        .where(AuditEvent.object_id == made["id"])
        .order_by(AuditEvent.id)
    )
    assert list(actions) == ["create", "update", "update", "update", "update"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"when": "now"}, [("when", "unknown field")]),
        ({"thresholds": ["1"]}, [("thresholds", "unknown field")]),
        ({"levels": [100, 80]}, [("levels.1", "levels must increase")]),
        ({"limit": "0"}, [("limit", 'a positive decimal string, e.g. "1000.00"')]),
        ({"limit": None}, [("limit", 'a positive decimal string, e.g. "1000.00"')]),
        (
            {"line_key": "hosting"},
            [("line_key", "'hosting' is not a usage line measuring 'turnover'")],
        ),
        (
            {"measure": "quantity"},
            [
                (
                    "measure",
                    "fixed when the alert is created (it is 'amount'): delete the alert and "
                    "create another",
                )
            ],
        ),
    ],
)
def test_edit_refusals_name_the_field(
    api: TestClient, contract_id: str, body: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    made = ok(api.post(f"/v1/contracts/{contract_id}/usage-alerts", json=SPENDING), 201)
    response = api.patch(f"/v1/usage-alerts/{made['id']}", json=body)
    assert problem(response, 422) == expected
    assert ok(api.get(f"/v1/contracts/{contract_id}/usage-alerts")) == [made]
