"""Usage triggers over HTTP: settings of a contract's usage lines, refusals named, the history.

Today is 15 Jan 2026; the contract runs from 1 Jan 2026 with `hosting` (399.00 a month) and
the usage line `api-calls`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.billing.triggers import Measure
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tarif.triggers import service
from tests.conftest import Tenant
from tests.contracts.conftest import build_world
from tests.triggers.conftest import usage_contract

THRESHOLDS = {
    "kind": "threshold",
    "thresholds": ["500.00", "1000.00"],
    "every": "1000.00",
    "measure": "amount",
}


@pytest.fixture
def contract_id(ctx: Ctx) -> str:
    """The running contract, committed so the API sees it."""
    found = usage_contract(build_world(ctx))
    ctx.session.commit()
    return found


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["field"], e["detail"]) for e in response.json().get("errors", [])]


def path(contract_id: str, line_key: str = "api-calls") -> str:
    return f"/v1/contracts/{contract_id}/lines/{line_key}/trigger"


def test_every_usage_line_is_listed_with_period_end_by_default(
    api: TestClient, contract_id: str
) -> None:
    assert ok(api.get(f"/v1/contracts/{contract_id}/triggers")) == [
        {
            "line_key": "api-calls",
            "description": "Api-Calls",
            "in_terms": True,
            "kind": "period_end",
            "thresholds": [],
            "every": None,
            "measure": None,
            "cadence": None,
            "summary": "at period end",
            "updated_at": None,
        }
    ]


def test_put_then_delete_a_threshold_trigger(api: TestClient, contract_id: str) -> None:
    saved = ok(api.put(path(contract_id), json=THRESHOLDS))
    # levels 500, 1,000, then every 1,000: 2,000, 3,000…
    assert (saved["kind"], saved["thresholds"], saved["every"], saved["measure"]) == (
        "threshold",
        ["500.00", "1000.00"],
        "1000.00",
        "amount",
    )
    assert saved["summary"] == "threshold on amount: 500.00, 1000.00, then every 1000.00"
    assert saved["updated_at"] == "2026-01-15T09:30:00Z"
    [listed] = ok(api.get(f"/v1/contracts/{contract_id}/triggers"))
    assert listed == saved
    event = ok(api.put(path(contract_id), json={"kind": "event", "cadence": "weekly"}))
    assert (event["kind"], event["cadence"], event["thresholds"]) == ("event", "weekly", [])
    cleared = ok(api.delete(path(contract_id)))
    assert (cleared["kind"], cleared["updated_at"]) == ("period_end", None)
    [listed] = ok(api.get(f"/v1/contracts/{contract_id}/triggers"))
    assert listed["kind"] == "period_end"


@pytest.mark.parametrize(
    ("line_key", "body", "expected"),
    [
        ("hosting", THRESHOLDS, [("line_key", "line 'hosting' is not a usage line")]),
        (
            "storage",
            {"kind": "event"},
            [("line_key", "no line 'storage' in the contract's current terms")],
        ),
        (
            "api-calls",
            {"kind": "threshold", "thresholds": ["1000.00", "500.00"]},
            [("thresholds.1", "must be increasing")],
        ),
        ("api-calls", {"kind": "hourly"}, [("kind", "one of period_end, threshold, event")]),
        ("api-calls", {"kind": "event", "when": "now"}, [("when", "unknown field")]),
        (
            "api-calls",
            {"kind": "event", "every": "100"},
            [("every", "unknown field for this kind of trigger")],
        ),
    ],
)
def test_refusals_name_the_field(
    api: TestClient,
    contract_id: str,
    line_key: str,
    body: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    assert problem(api.put(path(contract_id, line_key), json=body), 422) == expected
    # nothing was written
    [listed] = ok(api.get(f"/v1/contracts/{contract_id}/triggers"))
    assert listed["kind"] == "period_end"


def test_another_organizations_contract_is_not_found(
    api: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        theirs = usage_contract(build_world(Ctx(session, other.id, Actor.system("t"), clock)))
        session.commit()
    assert problem(api.get(f"/v1/contracts/{theirs}/triggers"), 404) == []
    assert problem(api.put(path(theirs), json=THRESHOLDS), 404) == []
    assert problem(api.delete(path(theirs)), 404) == []
    assert problem(api.get(f"/v1/contracts/{theirs}/threshold-crossings"), 404) == []


def test_a_read_only_key_reads_but_may_not_set(
    client: TestClient, contract_id: str, make_key: Callable[[Role], str]
) -> None:
    headers = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    assert ok(client.get(f"/v1/contracts/{contract_id}/triggers", headers=headers))
    refused = client.put(path(contract_id), json=THRESHOLDS, headers=headers)
    assert refused.status_code == 403


def test_threshold_crossings_newest_first(api: TestClient, ctx: Ctx, contract_id: str) -> None:
    for level, value in (("500", "512.40"), ("1000", "1003.10")):
        service.record_crossing(
            ctx,
            contract_id=contract_id,
            line_key="api-calls",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 2, 1),
            level=Decimal(level),
            measure=Measure.AMOUNT,
            value=Decimal(value),
        )
    ctx.session.commit()
    page = ok(api.get(f"/v1/contracts/{contract_id}/threshold-crossings", params={"limit": 1}))
    [newest] = page["data"]
    assert (newest["level"], newest["value"], newest["period_end"]) == (
        "1000",
        "1003.1",
        "2026-02-01",
    )
    assert page["has_more"] is True
    rest = ok(
        api.get(
            f"/v1/contracts/{contract_id}/threshold-crossings",
            params={"starting_after": page["next_cursor"]},
        )
    )
    assert [(c["level"], c["invoice_id"]) for c in rest["data"]] == [("500", None)]
    assert rest["has_more"] is False


@pytest.mark.parametrize("history", ["threshold-crossings", "usage-items", "usage-alert-firings"])
@pytest.mark.parametrize(
    "parameter", [("q", "1000"), ("updated_since", "2026-02-01T00:00:00Z")], ids=lambda p: p[0]
)
def test_a_history_refuses_search_and_updated_since(
    api: TestClient, contract_id: str, history: str, parameter: tuple[str, str]
) -> None:
    # Newest first by event: neither applies, so neither is taken and then ignored.
    name, value = parameter
    response = api.get(f"/v1/contracts/{contract_id}/{history}", params={name: value})
    assert response.status_code == 422
    assert [(e["parameter"], e["detail"]) for e in response.json()["errors"]] == [
        (name, "unknown query parameter")
    ]
    assert ok(api.get(f"/v1/contracts/{contract_id}/{history}", params={"limit": 5}))["data"] == []
