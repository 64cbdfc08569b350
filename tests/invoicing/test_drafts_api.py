"""Editing draft invoices over HTTP: lines, notes, regenerate, delete, finalize-due.

Today is 15 Jan 2026; `shop` holds hosting at 399.00 a month in advance from 1 Feb 2026, so a run
as of 1 Feb makes one draft: 399.00 net, 79.80 VAT (20 %), 478.80 gross.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_invoice_api import ok, problem

TRAINING = {
    "description": "Training day",
    "quantity": "2",
    "unit_price": "75.50",
    "vat_category": "standard",
}


@pytest.fixture
def shop(ctx: Ctx) -> World:
    world = build_world(ctx)
    world.running()
    ctx.session.commit()
    return world


@pytest.fixture
def draft(api: TestClient, shop: World) -> dict[str, Any]:
    [made] = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)["invoices"]
    return dict(ok(api.get(f"/v1/invoices/{made['id']}")))


def fields(answer: dict[str, Any]) -> list[str]:
    return [e["field"] for e in answer["errors"]]


def test_add_and_remove_a_line(api: TestClient, draft: dict[str, Any]) -> None:
    url = f"/v1/invoices/{draft['id']}"
    line = ok(api.post(f"{url}/lines", json=TRAINING), 201)
    assert (line["position"], line["source"], line["net_amount"], line["vat_rate"]) == (
        2,
        "manual",
        "151.00",
        "20",
    )
    invoice = ok(api.get(url))
    # 399.00 + 2 × 75.50 = 550.00; VAT 20 % = 110.00; gross 660.00
    assert (invoice["net_total"], invoice["vat_total"], invoice["gross_total"]) == (
        "550.00",
        "110.00",
        "660.00",
    )
    after = ok(api.delete(f"{url}/lines/2"))
    assert (after["net_total"], after["vat_total"], after["gross_total"]) == (
        "399.00",
        "79.80",
        "478.80",
    )
    assert (
        "regenerate or amend the contract" in problem(api.delete(f"{url}/lines/1"), 409)["detail"]
    )
    problem(api.delete(f"{url}/lines/9"), 404)


def test_bad_lines_are_422_naming_the_field(api: TestClient, draft: dict[str, Any]) -> None:
    url = f"/v1/invoices/{draft['id']}/lines"
    assert fields(problem(api.post(url, json=TRAINING | {"colour": "red"}), 422)) == ["colour"]
    negative = problem(api.post(url, json=TRAINING | {"quantity": "-2"}), 422)
    assert fields(negative) == ["quantity"]
    assert "credit note" in negative["errors"][0]["detail"]
    reversed_period = TRAINING | {"period_start": "2026-02-10", "period_last_day": "2026-02-01"}
    assert fields(problem(api.post(url, json=reversed_period), 422)) == ["period_last_day"]
    assert fields(problem(api.post(url, json=TRAINING | {"vat_category": "luxury"}), 422)) == [
        "vat_category"
    ]
    no_category = {k: v for k, v in TRAINING.items() if k != "vat_category"}
    assert fields(problem(api.post(url, json=no_category), 422)) == ["vat_category"]
    assert len(ok(api.get(f"/v1/invoices/{draft['id']}"))["lines"]) == 1


def test_notes_and_purchase_order(api: TestClient, draft: dict[str, Any]) -> None:
    url = f"/v1/invoices/{draft['id']}"
    changed = ok(api.patch(url, json={"notes": "Thank you", "purchase_order": "PO-2026-7"}))
    assert (changed["notes"], changed["purchase_order"]) == ("Thank you", "PO-2026-7")
    cleared = ok(api.patch(url, json={"purchase_order": None}))
    assert (cleared["notes"], cleared["purchase_order"]) == ("Thank you", None)
    assert fields(problem(api.patch(url, json={"status": "paid"}), 422)) == ["status"]


def test_every_edit_of_a_finalized_invoice_is_a_409(api: TestClient, draft: dict[str, Any]) -> None:
    url = f"/v1/invoices/{draft['id']}"
    ok(api.post(f"{url}/finalize"))
    for response in (
        api.post(f"{url}/lines", json=TRAINING),
        api.delete(f"{url}/lines/1"),
        api.patch(url, json={"notes": "late"}),
        api.post(f"{url}/regenerate"),
        api.delete(url),
    ):
        answer = problem(response, 409)
        assert answer["detail"] == "invoice F-2026-000001 is finalized: issue a credit note"
    assert ok(api.get(url))["gross_total"] == "478.80"


def test_regenerate_and_delete(api: TestClient, draft: dict[str, Any]) -> None:
    url = f"/v1/invoices/{draft['id']}"
    same = ok(api.post(f"{url}/regenerate"))
    assert (same["outcome"], same["contract_lines"], same["invoice"]["gross_total"]) == (
        "regenerated",
        1,
        "478.80",
    )
    assert api.delete(url).status_code == 204
    problem(api.get(url), 404)
    # Its charge comes back at the next run.
    [again] = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)["invoices"]
    assert again["gross_total"] == "478.80"


def test_finalize_due_and_the_organization_setting(api: TestClient, draft: dict[str, Any]) -> None:
    off = ok(api.post("/v1/invoices/finalize-due"))
    assert (off["after_hours"], off["finalized"]) == (None, [])
    assert (
        ok(api.patch("/v1/organization", json={"auto_finalize_after_hours": 0}))[
            "auto_finalize_after_hours"
        ]
        == 0
    )
    done = ok(api.post("/v1/invoices/finalize-due"))
    assert [(i["id"], i["number"]) for i in done["finalized"]] == [(draft["id"], "F-2026-000001")]
    bad = problem(api.patch("/v1/organization", json={"auto_finalize_after_hours": -1}), 422)
    assert fields(bad) == ["auto_finalize_after_hours"]
    cleared = ok(api.patch("/v1/organization", json={"auto_finalize_after_hours": None}))
    assert cleared["auto_finalize_after_hours"] is None


def test_a_read_only_key_edits_nothing(
    api: TestClient, draft: dict[str, Any], make_key: Any
) -> None:
    reader = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    url = f"/v1/invoices/{draft['id']}"
    for response in (
        api.post(f"{url}/lines", json=TRAINING, headers=reader),
        api.patch(url, json={"notes": "x"}, headers=reader),
        api.post(f"{url}/regenerate", headers=reader),
        api.delete(url, headers=reader),
        api.post("/v1/invoices/finalize-due", headers=reader),
    ):
        assert response.status_code == 403, response.text
    assert ok(api.get(url))["gross_total"] == "478.80"


def test_with_zero_hours_a_run_answers_finalized_invoices(api: TestClient, shop: World) -> None:
    ok(api.patch("/v1/organization", json={"auto_finalize_after_hours": 0}))
    [made] = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)["invoices"]
    invoice = ok(api.get(f"/v1/invoices/{made['id']}"))
    # 399.00 + 20 % = 478.80, numbered at once
    assert (invoice["status"], invoice["number"], invoice["gross_total"]) == (
        "finalized",
        "F-2026-000001",
        "478.80",
    )
