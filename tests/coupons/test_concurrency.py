"""Two redemptions of the last coupon at the same time on PostgreSQL: only one passes.

Both sessions read the coupon (count 0, limit 1) before either raises the count (a barrier
holds them): only the conditional UPDATE (`... WHERE redemptions_count < max_redemptions`) can
stop the second, which waits for the first's row lock, then finds the count at the limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.coupons import service
from tarif.coupons.models import Coupon, CouponRedemption
from tarif.db.session import session_factory
from tarif.errors import Conflict
from tests.conftest import BACKEND
from tests.contracts.conftest import World
from tests.coupons.conftest import make_coupon

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="SQLite has a single writer: two writers never overlap, so there is no race to test",
)


def test_two_redemptions_of_the_last_one_at_once(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    coupon = make_coupon(ctx, max_redemptions=1)
    contracts = [world.running().id, world.running(reference="C-2").id]
    ctx.session.commit()
    barrier = threading.Barrier(2, timeout=10)
    real_take: Callable[..., Any] = service._take_one

    def read_then_wait(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()  # both have read the coupon and checked everything else
        return real_take(*args, **kwargs)

    monkeypatch.setattr(service, "_take_one", read_then_wait)
    made: list[str] = []
    refused: list[Conflict] = []
    errors: list[BaseException] = []

    def redeem(contract_id: str) -> None:
        with session_factory(engine)() as session:
            worker = Ctx(session, ctx.organization_id, Actor.system("redeem"), clock)
            try:
                made.append(service.redeem(worker, contract_id, "WELCOME20").id)
                session.commit()
            except Conflict as exc:
                refused.append(exc)
                session.rollback()
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)
                session.rollback()

    threads = [threading.Thread(target=redeem, args=(c,)) for c in contracts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(made) == 1
    [conflict] = refused
    assert "limit of 1" in conflict.detail
    ctx.session.expire_all()
    assert ctx.session.get_one(Coupon, coupon.id).redemptions_count == 1
    stmt = select(func.count()).select_from(CouponRedemption)
    stmt = stmt.where(CouponRedemption.organization_id == ctx.organization_id)
    assert ctx.session.scalar(stmt) == 1
