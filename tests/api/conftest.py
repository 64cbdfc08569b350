"""Test-only routes mounted under /v1/test on the test's app, to reach what real routes never
do on purpose (an unexpected exception, a failure half-way through, a slow request)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from fastapi import APIRouter, FastAPI, status

from tarif.api.deps import CtxDep
from tarif.api.schemas import DecimalString, StrictModel
from tarif.tenancy.service import create_api_key


class Amounts(StrictModel):
    unit_price: DecimalString
    quantity: DecimalString | None = None


class AmountsOut(StrictModel):
    unit_price: DecimalString
    quantity: DecimalString | None
    total: DecimalString


@dataclass
class Probe:
    """What the test routes report back to the test."""

    flaky_calls: int = 0
    slow_started: threading.Event = field(default_factory=threading.Event)
    slow_release: threading.Event = field(default_factory=threading.Event)


def _router(probe: Probe) -> APIRouter:
    router = APIRouter()

    @router.get("/boom")
    def boom(ctx: CtxDep) -> None:
        raise RuntimeError("an unexpected failure")

    @router.post("/amounts", response_model=AmountsOut)
    def amounts(body: Amounts, ctx: CtxDep) -> AmountsOut:
        # 12.50 × 3 = 37.50 in the test: Decimal all the way.
        total = body.unit_price * (body.quantity if body.quantity is not None else Decimal(1))
        return AmountsOut(unit_price=body.unit_price, quantity=body.quantity, total=total)

    @router.post("/half-written", status_code=status.HTTP_201_CREATED)
    def half_written(ctx: CtxDep) -> None:
        # The key and its audit event reach the database (flushed), then the request fails.
        create_api_key(ctx, name="half-written")
        ctx.session.flush()
        raise RuntimeError("failure after the first insert")

    @router.post("/forgot-commit", status_code=status.HTTP_201_CREATED)
    def forgot_commit(ctx: CtxDep) -> dict[str, str]:
        issued = create_api_key(ctx, name="never committed")
        return {"id": issued.api_key.id}

    @router.post("/flaky", status_code=status.HTTP_201_CREATED)
    def flaky(ctx: CtxDep) -> dict[str, str]:
        probe.flaky_calls += 1
        if probe.flaky_calls == 1:
            raise RuntimeError("the first attempt fails")
        issued = create_api_key(ctx, name="flaky")
        ctx.session.commit()
        return {"id": issued.api_key.id}

    @router.post("/slow", status_code=status.HTTP_201_CREATED)
    def slow(ctx: CtxDep) -> dict[str, str]:
        probe.slow_started.set()
        probe.slow_release.wait(timeout=10)
        return {"status": "done"}

    return router


@pytest.fixture
def probe(app: FastAPI) -> Probe:
    """Mounts the test routes on this test's app; returns what they report."""
    found = Probe()
    app.include_router(_router(found), prefix="/v1/test")
    return found
