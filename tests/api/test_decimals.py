"""Decimals travel as JSON strings: a JSON number is refused, never read through a float."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Probe


def post(api: TestClient, body: dict[str, Any]) -> Any:
    return api.post("/v1/test/amounts", json=body)


def test_strings_are_read_exactly_and_answered_as_strings(api: TestClient, probe: Probe) -> None:
    response = post(api, {"unit_price": "12.50", "quantity": "3"})
    assert response.status_code == 200, response.text
    # 12.50 × 3 = 37.50, as a string with the scale kept.
    assert response.json() == {"unit_price": "12.50", "quantity": "3", "total": "37.50"}


def test_six_decimals_are_kept(api: TestClient, probe: Probe) -> None:
    # 0.0025 per call × 1000 calls = 2.5000 (4 + 0 decimals).
    response = post(api, {"unit_price": "0.0025", "quantity": "1000"})
    assert response.json()["total"] == "2.5000"
    assert post(api, {"unit_price": "0.000001"}).json()["unit_price"] == "0.000001"


@pytest.mark.parametrize("number", [12.5, 12, 0.1])
def test_json_numbers_are_refused(api: TestClient, probe: Probe, number: float) -> None:
    response = post(api, {"unit_price": number})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["pointer"] == "/unit_price"
    assert "string" in error["detail"]


@pytest.mark.parametrize(
    "text",
    [
        "0.0000001",  # a seventh decimal
        "123456789012345",  # 15 integer digits: more than NUMERIC(20, 6) holds
        "1e3",  # no exponents
        "12,50",  # no decimal comma
        "+1",
        " 1",
        "",
        "NaN",
        "abc",
    ],
)
def test_malformed_decimal_strings_are_refused(api: TestClient, probe: Probe, text: str) -> None:
    response = post(api, {"unit_price": "1", "quantity": text})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/quantity"]


def test_negative_amounts_are_strings_too(api: TestClient, probe: Probe) -> None:
    # -4.20 × 2 = -8.40
    response = post(api, {"unit_price": "-4.20", "quantity": "2"})
    assert response.json()["total"] == "-8.40"


def test_unknown_fields_are_refused(api: TestClient, probe: Probe) -> None:
    response = post(api, {"unit_price": "1", "bogus": "x"})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/bogus"]


def test_the_openapi_document_describes_decimals_as_strings() -> None:
    from tarif.api.schemas import DECIMAL_PATTERN, DecimalString, StrictModel

    class Price(StrictModel):
        amount: DecimalString

    schema = Price.model_json_schema()["properties"]["amount"]
    assert schema["type"] == "string"
    assert schema["pattern"] == DECIMAL_PATTERN
