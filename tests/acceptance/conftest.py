"""The acceptance cases' seller: a French organization with a default EUR pricelist, set up over
HTTP (`shop`), shared by every file of worked cases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tarif.clock import FixedClock
from tests.acceptance.test_trade_cases import SELLER, Shop, ok


@pytest.fixture
def shop(api: TestClient, clock: FixedClock) -> Shop:
    ok(api.patch("/v1/organization", json=SELLER))
    pricelist = ok(
        api.post(
            "/v1/pricelists",
            json={
                "name": "Standard 2026",
                "currency": "EUR",
                "valid_from": "2026-01-01",
                "is_default": True,
            },
        ),
        201,
    )
    return Shop(api, clock, pricelist["id"])
