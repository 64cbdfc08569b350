"""Current usage of a contract through the API, the CLI and the contract page, on the seed
case (2 % of turnover + 0.25 per transaction). The test clock reads 15 Jan 2026."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.contracts.test_cli import ok, one_error_line, run
from tests.invoicing.test_web import Run, error_of, text
from tests.invoicing.test_web import run as unit_of_work
from tests.invoicing.usage_world import seed_with_turnover
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user", "run", "unit_of_work"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def contract_id(unit_of_work: Run[str]) -> str:
    return unit_of_work(seed_with_turnover)


def test_api_today_and_a_given_day(api: TestClient, contract_id: str) -> None:
    body = api.get(f"/v1/contracts/{contract_id}/usage").json()
    assert (body["object"], body["as_of"], body["currency"]) == (
        "contract_usage",
        "2026-01-15",
        "EUR",
    )
    [line] = body["lines"]
    assert (line["period"], line["measured"], line["due_on"]) == (
        {"start": "2026-01-01", "end": "2026-02-01"},
        {"start": "2026-01-01", "end": "2026-01-16"},
        "2026-02-01",
    )
    assert {k: line["metric"][k] for k in ("code", "name", "aggregation")} == {
        "code": "turnover",
        "name": "Turnover",
        "aggregation": "sum",
    }
    # 100.00 + 250.00 + 50.00 = 400.00 in 3 transactions
    assert line["groups"] == [{"group": {}, "quantity": "400", "event_count": 3}]
    # 2 % × 400.00 = 8.00; 3 × 0.25 = 0.75; 8.75 in all
    assert [(r["kind"], r["quantity"], r["unit_price"], r["amount"]) for r in line["lines"]] == [
        ("percentage", "400", "0.02", "8.00"),
        ("transaction_fee", "3", "0.25", "0.75"),
    ]
    assert (line["total"], body["total"], line["problem"]) == ("8.75", "8.75", None)
    # 31 Jan adds 16 Jan's 1,000.00: 2 % × 1,400.00 = 28.00 + 4 × 0.25 = 1.00 → 29.00
    later = api.get(f"/v1/contracts/{contract_id}/usage?as_of=2026-01-31").json()
    assert (later["total"], later["lines"][0]["complete"]) == ("29.00", True)


def test_api_refusals(api: TestClient, contract_id: str, make_tenant: Any) -> None:
    bad = api.get(f"/v1/contracts/{contract_id}/usage?as_of=2026-13-01")
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["as_of"]
    assert api.get("/v1/contracts/ctr_missing/usage").status_code == 404
    stranger = make_tenant("Other SAS")
    foreign = api.get(f"/v1/contracts/{contract_id}/usage", headers=stranger.headers)
    assert foreign.status_code == 404


def test_cli(run: Any, contract_id: str) -> None:
    body = json.loads(ok(run("contracts", "usage", contract_id, "--json")).stdout)
    assert (body["as_of"], body["total"]) == ("2026-01-15", "8.75")
    shown = ok(run("contracts", "usage", contract_id, "--as-of", "2026-01-31")).stdout
    assert "measured 2026-01-01 to 2026-02-01" in shown
    assert "Total so far: 29.00 EUR" in shown
    assert "--as-of" in one_error_line(run("contracts", "usage", contract_id, "--as-of", "31/01"))
    assert "not found" in one_error_line(run("contracts", "usage", "ctr_missing"))


def test_the_contract_page_loads_its_usage_section(admin: TestClient, contract_id: str) -> None:
    page = admin.get(f"/contracts/{contract_id}")
    assert f'hx-get="/contracts/{contract_id}/usage"' in page.text
    dated = admin.get(f"/contracts/{contract_id}?as_of=2026-01-31")
    assert f'hx-get="/contracts/{contract_id}/usage?as_of=2026-01-31"' in dated.text
    fragment = admin.get(f"/contracts/{contract_id}/usage", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    shown = text(fragment.text)
    assert "<html" not in fragment.text  # a fragment, not a page
    assert 'data-field-value="event_count">3<' in shown
    # 8,00 € and 0,75 €, 8,75 € so far (French page)
    assert 'data-field-value="line-total">8,75 €<' in shown
    assert 'data-field-value="usage-total">8,75 €<' in shown
    full = text(admin.get(f"/contracts/{contract_id}/usage?as_of=2026-01-31").text)
    assert 'data-field-value="usage-total">29,00 €<' in full
    refused = admin.get(f"/contracts/{contract_id}/usage?as_of=31-01")
    assert refused.status_code == 422
    assert error_of(refused.text, "as_of") is not None
    assert admin.get("/contracts/ctr_missing/usage").status_code == 404


def test_the_usage_section_names_the_aggregation_in_french(
    admin: TestClient, contract_id: str
) -> None:
    fragment = admin.get(f"/contracts/{contract_id}/usage", headers={"HX-Request": "true"})
    metric = re.search(r'data-field-value="metric">(.*?)</dd>', text(fragment.text), re.S)
    assert metric is not None
    assert "· Somme ·" in metric.group(1) and "· sum ·" not in metric.group(1)
