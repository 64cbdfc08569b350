"""A discount typed on a draft invoice: `POST /v1/invoices/{id}/discounts` (today 15 Jan 2026).

The draft bills hosting from 15 Jan 2026: 399 × 17/31 = 218.806… → 218.81 at 20 % VAT.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tests.contracts.conftest import build_world
from tests.invoicing.conftest import hosting_contract


@pytest.fixture
def draft_id(ctx: Ctx, api: TestClient) -> str:
    hosting_contract(build_world(ctx))
    ctx.session.commit()
    made = api.post("/v1/billing-runs", json={"as_of": "2026-01-15"})
    assert made.status_code == 201, made.text
    return str(made.json()["invoices"][0]["id"])


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


def test_a_percentage_off_the_whole_draft(api: TestClient, draft_id: str) -> None:
    body = {"kind": "percentage", "value": "10", "description": "Geste commercial"}
    invoice = ok(api.post(f"/v1/invoices/{draft_id}/discounts", json=body), 201)
    hosting, discount = invoice["lines"]
    # 218.81 × 10 % = 21.881 → 21.88; net 218.81 − 21.88 = 196.93; VAT 196.93 × 20 % =
    # 39.386 → 39.39; gross 196.93 + 39.39 = 236.32
    assert (hosting["net_amount"], discount["net_amount"]) == ("218.81", "-21.88")
    assert (discount["source"], discount["kind"], discount["description"]) == (
        "discount",
        "discount",
        "Geste commercial",
    )
    assert (invoice["net_total"], invoice["vat_total"], invoice["gross_total"]) == (
        "196.93",
        "39.39",
        "236.32",
    )
    assert invoice["vat_breakdown"] == [{"rate": "20", "base": "196.93", "vat": "39.39"}]


def test_a_fixed_amount_is_capped_at_what_is_left(api: TestClient, draft_id: str) -> None:
    first = {"kind": "fixed", "value": "200"}
    invoice = ok(api.post(f"/v1/invoices/{draft_id}/discounts", json=first), 201)
    # 218.81 − 200.00 = 18.81 left
    assert invoice["net_total"] == "18.81"
    assert invoice["lines"][-1]["description"] == "Discount (-200.00 EUR)"
    invoice = ok(api.post(f"/v1/invoices/{draft_id}/discounts", json=first), 201)
    # the second 200.00 is capped at the 18.81 left: the invoice nets to 0.00
    assert invoice["lines"][-1]["net_amount"] == "-18.81"
    assert (invoice["net_total"], invoice["gross_total"]) == ("0.00", "0.00")
    body = problem(api.post(f"/v1/invoices/{draft_id}/discounts", json=first), 409)
    assert "nothing left" in body["detail"]


def test_bad_values_and_finalized_invoices(api: TestClient, draft_id: str) -> None:
    url = f"/v1/invoices/{draft_id}/discounts"
    body = problem(api.post(url, json={"kind": "percentage", "value": "150"}), 422)
    assert [e["field"] for e in body["errors"]] == ["value"]
    body = problem(api.post(url, json={"kind": "fixed", "value": "1.005"}), 422)
    assert [e["field"] for e in body["errors"]] == ["value"]
    ok(api.post(f"/v1/invoices/{draft_id}/finalize"))
    assert (
        "finalized" in problem(api.post(url, json={"kind": "fixed", "value": "5"}), 409)["detail"]
    )
    problem(
        api.post("/v1/invoices/inv_missing/discounts", json={"kind": "fixed", "value": "5"}), 404
    )
