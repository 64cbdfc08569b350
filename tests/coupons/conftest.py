"""Coupon fixtures: the contracts world (catalog, customer, hosting at 399.00 a month)."""

from __future__ import annotations

from typing import Any

import pytest

from tarif.context import Ctx
from tarif.coupons import service
from tarif.coupons.models import Coupon
from tests.contracts.conftest import World, build_world, other_ctx

__all__ = ["make_coupon", "other_ctx"]


@pytest.fixture
def world(ctx: Ctx) -> World:
    return build_world(ctx)


def make_coupon(ctx: Ctx, code: str = "WELCOME20", **fields: Any) -> Coupon:
    """20 % off, once, unless `fields` say otherwise."""
    values: dict[str, Any] = {"code": code, "kind": "percentage", "value": "20"}
    return service.create_coupon(ctx, values | fields)
