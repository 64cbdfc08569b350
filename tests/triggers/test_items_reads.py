"""The billable items of event triggers, read three ways: the API, the CLI and the page.

The contract (tests.invoicing.test_run_usage.seed_contract, `C-2026-001`) bills its `api-calls`
line 2 % of the turnover plus 0.25 a transaction, collected daily. Today is 15 Jan 2026 09:30
UTC. Two sales of 100.00 on 13 Jan and one of 300.00 on 14 Jan are valued as they arrive (each
accepted at 12:00 UTC on its day, valued at 09:30 on the 15th); the collection of 14 Jan
invoices the 13th's:

- 13 Jan: 2 % × 100.00 + 0.25 = 2.25 each; the period so far 2.25, then 4.50 (invoiced, 4.50)
- 14 Jan: 2 % × 300.00 + 0.25 = 6.25; the period so far 4.50 + 6.25 = 10.75 (not invoiced)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.repository import PageRequest
from tarif.db.session import session_factory
from tarif.errors import NotFound
from tarif.triggers import billing, service
from tarif.triggers.items_service import list_items
from tarif.usage.models import UsageEvent
from tests.conftest import Tenant
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_run_usage import seed_contract
from tests.invoicing.test_web import text
from tests.triggers.conftest import usage_contract
from tests.triggers.test_billing import sales
from tests.triggers.test_cli import run
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user", "run"]  # fixtures

# accepted 13 Jan 12:00, valued 15 Jan 09:30: 1 day 21 h 30 min = 163,800 s
DELAY_13 = 163_800_000
# accepted 14 Jan 12:00, valued 15 Jan 09:30: 21 h 30 min = 77,400 s
DELAY_14 = 77_400_000


@dataclass(frozen=True)
class Billed:
    contract_id: str
    invoice_id: str  # the collection of 14 Jan (the 13th's two items)
    events: list[str]  # the three events' public ids, in arrival order


@pytest.fixture
def billed(ctx: Ctx, world: World) -> Billed:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    sales(world, "2026-01-13", 2, "100.00")
    assert billing.bill_touched(ctx, world.customer.id, "turnover", date(2026, 1, 13)) == []
    [collected] = billing.collect(ctx, date(2026, 1, 14))  # through 13 Jan
    sales(world, "2026-01-14", 1, "300.00")
    assert billing.bill_touched(ctx, world.customer.id, "turnover", date(2026, 1, 14)) == []
    ctx.session.commit()
    ids = select(UsageEvent.id).where(UsageEvent.organization_id == ctx.organization_id)
    events = [f"evt_{n}" for n in ctx.session.scalars(ids.order_by(UsageEvent.id))]
    assert collected.so_far.invoice_id is not None
    return Billed(contract_id, collected.so_far.invoice_id, events)


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def items_path(contract_id: str) -> str:
    return f"/v1/contracts/{contract_id}/usage-items"


def test_the_api_lists_the_items_newest_first(api: TestClient, billed: Billed) -> None:
    page = ok(api.get(items_path(billed.contract_id)))
    assert page["has_more"] is False and page["next_cursor"] is None
    newest, second, first = page["data"]
    assert newest == {
        "id": newest["id"],
        "object": "usage_item",
        "contract_id": billed.contract_id,
        "line_key": "api-calls",
        "event_id": billed.events[2],
        "event_day": "2026-01-14",
        "period_start": "2026-01-01",
        "period_end": "2026-02-01",
        "group": {},
        "band": None,
        "quantity": "300",
        "period_quantity": "500",  # 100 + 100 + 300
        "period_amount": "10.75",  # 4.50 + 6.25
        "amount": "6.25",  # 2 % × 300.00 + 0.25
        "currency": "EUR",
        "accepted_at": "2026-01-14T12:00:00Z",
        "created_at": "2026-01-15T09:30:00Z",
        "delay_ms": DELAY_14,
        "invoice_id": None,
        "invoice_url": None,
    }
    assert re.fullmatch(r"uit_\d+", newest["id"])
    # the 13th's: 2.25 each, the period 2.25 then 4.50; both on the collection's invoice
    assert [
        (i["event_id"], i["amount"], i["period_amount"], i["delay_ms"], i["invoice_id"])
        for i in (second, first)
    ] == [
        (billed.events[1], "2.25", "4.5", DELAY_13, billed.invoice_id),
        (billed.events[0], "2.25", "2.25", DELAY_13, billed.invoice_id),
    ]
    assert first["invoice_url"] == f"/v1/invoices/{billed.invoice_id}"
    invoice = ok(api.get(first["invoice_url"]))
    assert invoice["id"] == billed.invoice_id


def test_the_api_filters_and_pages(api: TestClient, billed: Billed) -> None:
    path = items_path(billed.contract_id)

    def events(**params: Any) -> list[str]:
        return [i["event_id"] for i in ok(api.get(path, params=params))["data"]]

    e0, e1, e2 = billed.events
    assert events(invoiced="true") == [e1, e0]
    assert events(invoiced="false") == [e2]
    assert events(line_key="api-calls") == [e2, e1, e0]
    assert events(line_key="hosting") == []  # not an event-triggered line: no item
    assert events(line_key="api-calls", invoiced="false") == [e2]
    page = ok(api.get(path, params={"limit": 2}))
    assert [i["event_id"] for i in page["data"]] == [e2, e1]
    assert page["has_more"] is True and page["next_cursor"] == page["data"][1]["id"]
    rest = ok(api.get(path, params={"starting_after": page["next_cursor"]}))
    assert ([i["event_id"] for i in rest["data"]], rest["has_more"]) == ([e0], False)
    # a cursor that names no item of the contract: nothing comes after it
    assert events(starting_after="uit_999999999") == []
    assert events(starting_after=e0) == []


def test_the_api_names_unknown_and_bad_query_parameters(api: TestClient, billed: Billed) -> None:
    path = items_path(billed.contract_id)
    # as every /v1 route: an unknown parameter is refused, not silently dropped
    for url in (path, f"/v1/contracts/{billed.contract_id}/threshold-crossings"):
        unknown = api.get(url, params={"colour": "blue"})
        assert unknown.status_code == 422
        [error] = unknown.json()["errors"]
        assert (error["parameter"], error["in"], error["detail"]) == (
            "colour",
            "query",
            "unknown query parameter",
        )
    assert len(ok(api.get(path))["data"]) == 3
    refused = api.get(path, params={"invoiced": "maybe"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert (error["parameter"], error["in"]) == ("invoiced", "query")
    too_many = api.get(path, params={"limit": 101})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["parameter"] == "limit"


def test_another_organizations_contract_is_not_found(
    api: TestClient,
    ctx: Ctx,
    billed: Billed,
    make_tenant: Callable[..., Tenant],
    engine: Engine,
    clock: FixedClock,
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        theirs = Ctx(session, other.id, Actor.system("t"), clock)
        their_contract = usage_contract(build_world(theirs))
        session.commit()
        # and they do not see ours
        with pytest.raises(NotFound):
            list_items(theirs, billed.contract_id, PageRequest())
    refused = api.get(items_path(their_contract))
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    with pytest.raises(NotFound):
        list_items(ctx, their_contract, PageRequest())


def test_the_cli_lists_filters_and_pages(run, billed: Billed) -> None:  # type: ignore[no-untyped-def]
    e0, e1, e2 = billed.events
    shown = run("triggers", "items", "C-2026-001", "--json")
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)
    # 6.25 = 2 % × 300.00 + 0.25; 2.25 = 2 % × 100.00 + 0.25
    assert [(r["event_id"], r["amount"], r["invoice_id"]) for r in rows] == [
        (e2, "6.25", None),
        (e1, "2.25", billed.invoice_id),
        (e0, "2.25", billed.invoice_id),
    ]

    def events(*options: str) -> list[str]:
        result = run("triggers", "items", "C-2026-001", *options, "--json")
        assert result.exit_code == 0, result.output
        return [r["event_id"] for r in json.loads(result.stdout)]

    assert events("--invoiced") == [e1, e0]
    assert events("--not-invoiced") == [e2]
    assert events("--line", "hosting") == []
    assert events("--line", "api-calls", "--not-invoiced") == [e2]
    table = run("triggers", "items", billed.contract_id, "--limit", "1")
    assert table.exit_code == 0, table.output
    assert "billable items of C-2026-001" in table.stdout
    assert e2 in table.stdout and "6.25" in table.stdout and str(DELAY_14) in table.stdout
    assert e1 not in table.stdout
    newest = rows[0]["id"]
    assert table.stdout.rstrip().endswith(f"more: --starting-after {newest}")
    assert events("--starting-after", newest) == [e1, e0]
    unknown = run("triggers", "items", "C-9999-404")
    assert unknown.exit_code != 0
    # without a contract: the organization's items
    everything = run("triggers", "items", "--json")
    assert [r["contract_id"] for r in json.loads(everything.stdout)] == [billed.contract_id] * 3
    whole = run("triggers", "items")
    assert whole.exit_code == 0, whole.output
    assert "contract_id" in whole.stdout and billed.contract_id in whole.stdout
    assert e2 in whole.stdout and "6.25" in whole.stdout and str(DELAY_14) in whole.stdout


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", text(cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_the_page_shows_the_items_with_their_invoices(admin: TestClient, billed: Billed) -> None:
    page = admin.get(f"/contracts/{billed.contract_id}/triggers")
    assert page.status_code == 200
    section = re.search(r'<section id="billable-items">.*?</section>', page.text, re.S)
    assert section is not None
    assert "Éléments facturables" in text(section.group(0))
    rows = re.findall(r"<tr data-item-id=.*?</tr>", section.group(0), re.S)
    e0, e1, e2 = billed.events
    # newest first; 6.25 = 2 % × 300.00 + 0.25 and 10.75 = 4.50 + 6.25; 2.25 each for the
    # 13th's, 2.25 then 4.50 for the period
    assert [cells(row)[:7] for row in rows] == [
        [
            "api-calls",
            e2,
            "14/01/2026",
            "300",
            "6,25 €",
            "10,75 €",
            "Pas encore facturé",
        ],
        ["api-calls", e1, "13/01/2026", "100", "2,25 €", "4,50 €", billed.invoice_id],
        ["api-calls", e0, "13/01/2026", "100", "2,25 €", "2,25 €", billed.invoice_id],
    ]
    assert section.group(0).count(f'<a href="/invoices/{billed.invoice_id}">') == 2
    assert f'<a href="/events/{e2}">' in rows[0]
    assert "more-items" not in page.text  # three items: all shown


def test_the_page_says_when_there_is_no_item(admin: TestClient, ctx: Ctx) -> None:
    contract_id = usage_contract(build_world(ctx))
    ctx.session.commit()
    page = admin.get(f"/contracts/{contract_id}/triggers")
    assert "Aucun élément facturable pour l'instant." in text(page.text)


def test_the_page_shows_the_latest_50_items(admin: TestClient, ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    sales(world, "2026-01-13", 51, "1.00")
    billing.bill_touched(ctx, world.customer.id, "turnover", date(2026, 1, 13))
    ctx.session.commit()
    page = admin.get(f"/contracts/{contract_id}/triggers")
    rows = re.findall(r"<tr data-item-id=.*?</tr>", page.text, re.S)
    assert len(rows) == 50
    # the newest: the period with all 51 sales, 2 % × 51.00 = 1.02 + 51 × 0.25 = 12.75 → 13.77;
    # the oldest shown is the second sale: 2 × (2 % × 1.00 + 0.25) = 0.54
    assert cells(rows[0])[4:6] == ["0,27 €", "13,77 €"]
    assert cells(rows[-1])[4:6] == ["0,27 €", "0,54 €"]
    assert 'id="more-items"' in page.text
    assert "Les 50 derniers éléments" in text(page.text)
