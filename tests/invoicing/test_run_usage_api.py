"""The seed's price over HTTP and the command line: metric, contract with a usage charge,
events, billing run, invoice (399.00 + 1,000.00 + 300.00 = 1,699.00 net, 2,038.80 total)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.clock import FixedClock
from tarif.context import Ctx
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_issued import complete_seller

TURNOVER = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}


@pytest.fixture
def shop(ctx: Ctx) -> World:
    world = build_world(ctx)
    complete_seller(ctx)  # the mandatory mentions a PDF needs
    ctx.session.commit()
    return world


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def seed_over_http(api: TestClient, shop: World, clock: FixedClock) -> dict[str, Any]:
    ok(
        api.post(
            "/v1/metrics",
            json={"code": "turnover", "name": "Turnover", "aggregation": "sum", "field": "amount"},
        ),
        201,
    )
    contract = ok(
        api.post(
            "/v1/contracts",
            json={
                "customer_id": shop.customer.id,
                "reference": "SEED-001",
                "start_date": "2026-01-01",
                "billing_alignment": "calendar",
                "lines": [
                    {"product_id": shop.hosting.id},
                    {"product_id": shop.api_calls.id, "charge": TURNOVER},
                ],
            },
        ),
        201,
    )
    url = f"/v1/contracts/{contract['id']}/transitions"
    ok(api.post(url, json={"action": "submit"}), 201)
    ok(api.post(url, json={"action": "activate"}), 201)
    clock.advance(timedelta(days=26))  # 10 Feb 2026: January is over
    # 1,200 transactions: 1,000 × 40.00 + 200 × 50.00 = 50,000.00, in batches of 400
    events = [
        {
            "transaction_id": f"sale-{n}",
            "contract": "SEED-001",
            "metric": "turnover",
            "timestamp": f"2026-01-{1 + n % 31:02d}T10:00:00Z",
            "properties": {"amount": "40.00" if n < 1000 else "50.00"},
        }
        for n in range(1200)
    ]
    for start in range(0, 1200, 400):
        answer = ok(api.post("/v1/events/batch", json={"events": events[start : start + 400]}))
        assert answer["accepted"] == 400, answer
    return contract  # type: ignore[no-any-return]


def test_the_seed_price_over_http(api: TestClient, shop: World, clock: FixedClock) -> None:
    seed_over_http(api, shop, clock)
    run = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01", "finalize": True}), 201)
    february = next(i for i in run["invoices"] if i["billing_date"] == "2026-02-01")
    # 399.00 + 2 % × 50,000.00 = 1,000.00 + 1,200 × 0.25 = 300.00 = 1,699.00;
    # VAT 20 % = 339.80; total 2,038.80
    assert (february["net_total"], february["vat_total"], february["gross_total"]) == (
        "1699.00",
        "339.80",
        "2038.80",
    )
    invoice = ok(api.get(f"/v1/invoices/{february['id']}"))
    assert invoice["status"] == "finalized"
    assert [(x["net_amount"], x["quantity"]) for x in invoice["lines"]] == [
        ("399.00", "1"),
        ("1000.00", "50000"),
        ("300.00", "1200"),
    ]
    pdf = api.get(f"/v1/invoices/{february['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # a second run bills nothing more
    again = ok(api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)
    assert again["invoices"] == []
