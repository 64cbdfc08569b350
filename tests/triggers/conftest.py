"""Trigger fixtures: the contracts world and a running contract with a usage line.

The test clock reads 15 Jan 2026. The contract runs from 1 Jan 2026 with two lines: `hosting`
(399.00 a month, not a usage line) and `api-calls` (a usage line priced by its charge).
"""

from __future__ import annotations

import pytest

from tarif.context import Ctx
from tests.contracts.conftest import World, build_world, other_ctx

__all__ = ["other_ctx", "usage_contract"]

CHARGE = {"metric": "api_calls", "model": "per_unit", "unit_price": "0.0025"}


@pytest.fixture
def world(ctx: Ctx) -> World:
    return build_world(ctx)


def usage_contract(world: World, reference: str = "C-2026-001") -> str:
    lines = [
        {"product_id": world.hosting.id},
        {"product_id": world.api_calls.id, "charge": CHARGE},
    ]
    return world.running(reference=reference, start_date="2026-01-01", lines=lines).id
