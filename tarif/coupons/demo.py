"""Demo coupon: WELCOME20, 20 % off the first three months. Idempotent by code."""

from __future__ import annotations

from tarif.context import Ctx
from tarif.coupons import service

WELCOME20 = {
    "code": "WELCOME20",
    "name": "Welcome offer: 20 % off for three months",
    "kind": "percentage",
    "value": "20",
    "duration": "repeating",
    "duration_months": 3,
}


def load_demo_coupons(ctx: Ctx) -> None:
    if service.find_by_code(ctx, str(WELCOME20["code"])) is None:
        service.create_coupon(ctx, WELCOME20)
