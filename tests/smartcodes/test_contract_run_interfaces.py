"""SmartCode dry runs on a real contract's period through the API, the CLI and the SmartCode
page. Events: `contract_world` (January: 61 s, 120 s, 5 s and one without a duration)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.contracts.test_cli import ok, one_error_line, run
from tests.invoicing.test_web import Run, post, text
from tests.invoicing.test_web import run as unit_of_work
from tests.smartcodes.contract_world import Calls, calls_world
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user", "run", "unit_of_work"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")
JANUARY = {"period_start": "2026-01-01", "period_end": "2026-02-01"}


@pytest.fixture
def calls(unit_of_work: Run[Calls]) -> Calls:
    return unit_of_work(calls_world)


def test_api_valuation_and_pricing(api: TestClient, calls: Calls) -> None:
    body = {"contract_id": calls.reference, "limit": 3} | JANUARY
    valued = api.post(f"/v1/smartcodes/{calls.valuation_id}/test", json=body)
    assert valued.status_code == 200, valued.text
    answer = valued.json()
    measured = answer["contract"]
    assert (measured["line_key"], measured["metric"], measured["period_end"]) == (
        "api-calls",
        "minutes",
        "2026-02-01",
    )
    # ceil(61/60) = 2, ceil(120/60) = 2, ceil(5/60) = 1; the 4th (no duration) fails, not shown
    assert [(e["stored_value"], e["value"]) for e in measured["events"]] == [
        ("1.5", "2"),
        ("2", "2"),
        ("0.5", "1"),
    ]
    assert [r["value"] for r in answer["results"]] == ["2", "2", "1"]
    # 2 + 2 + 1 = 5 over the 4 events, 1 failed; stored 1.5 + 2 + 0.5 + 0 = 4
    assert (measured["event_count"], measured["failed"], answer["total"]) == (4, 1, "5")
    assert (measured["quantity"], measured["stored_total"]) == ("5", "4")
    priced = api.post(
        f"/v1/smartcodes/{calls.pricing_id}/test",
        json={"contract_id": calls.contract_id, "as_of": "2026-01-15"},
    ).json()
    # January's stored minutes: 4 in 4 calls; 4 × 0.10 = 0.40
    assert priced["contract"]["usages"] == [{"group": {}, "quantity": "4", "event_count": 4}]
    assert [(x["quantity"], x["amount"]) for x in priced["lines"]] == [("4", "0.40")]
    assert priced["total"] == "0.40"


def test_api_refusals(api: TestClient, calls: Calls) -> None:
    url = f"/v1/smartcodes/{calls.valuation_id}/test"
    unknown = api.post(url, json={"contract_id": "C-NOPE"} | JANUARY)
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["contract_id"]
    bad_day = api.post(url, json={"contract_id": calls.contract_id, "as_of": "2026-02-30"})
    assert bad_day.status_code == 422
    assert [e["field"] for e in bad_day.json()["errors"]] == ["as_of"]
    extra = api.post(url, json={"contract_id": calls.contract_id, "extra": 1} | JANUARY)
    assert extra.status_code == 422


def test_cli(run: Any, calls: Calls) -> None:
    answer = json.loads(
        ok(
            run(
                "smartcodes",
                "test",
                "billable_minutes",
                "--contract",
                calls.reference,
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-01",
                "--json",
            )
        ).stdout
    )
    assert (answer["total"], answer["contract"]["event_count"]) == ("5", 4)
    shown = ok(
        run(
            "smartcodes",
            "test",
            "quote_minutes",
            "--contract",
            calls.reference,
            "--as-of",
            "2026-01-15",
        )
    ).stdout
    assert "C-2026-001 line api-calls: minutes (sum) from 2026-01-01 to 2026-02-01" in shown
    assert "total 0.40" in shown
    refused = one_error_line(
        run("smartcodes", "test", "quote_minutes", "--contract", calls.reference)
    )
    assert "--from: required without as_of" in refused


def test_the_page_form(admin: TestClient, calls: Calls) -> None:
    page = admin.get(f"/smartcodes/{calls.valuation_id}")
    assert 'id="contract-dry-run-form"' in page.text
    fields = {"contract_id": calls.reference, "version": "1"} | JANUARY
    fragment = admin.post(
        f"/smartcodes/{calls.valuation_id}/test-contract",
        data=fields | {"csrf_token": re_token(page.text)},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200, fragment.text
    shown = text(fragment.text)
    assert 'data-field-value="event_count">4<' in shown
    assert 'data-field-value="stored_total">4<' in shown
    assert '<p id="dry-run-total"><strong>Total</strong> 5</p>' in shown
    refused = post(
        admin,
        f"/smartcodes/{calls.pricing_id}/test-contract",
        page.text,
        contract_id="C-NOPE",
        **JANUARY,
    )
    assert refused.status_code == 422
    assert "no contract 'C-NOPE' in this organization" in text(refused.text)


def re_token(page: str) -> str:
    from tests.web.conftest import csrf_token

    return csrf_token(page)


def test_the_page_names_the_aggregation_in_french(admin: TestClient, calls: Calls) -> None:
    page = admin.get(f"/smartcodes/{calls.valuation_id}")
    fields = {"contract_id": calls.reference, "version": "1"} | JANUARY
    for headers in ({"HX-Request": "true"}, {}):
        shown = admin.post(
            f"/smartcodes/{calls.valuation_id}/test-contract",
            data=fields | {"csrf_token": re_token(page.text)},
            headers=headers,
        )
        assert shown.status_code == 200, shown.text
        assert "<code>minutes</code> (Somme)" in text(shown.text)
