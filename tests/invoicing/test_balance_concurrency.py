"""Two refunds of the same balance at the same time on PostgreSQL: the balance never goes below
zero.

Both requests have checked their input and are about to lock the customer when a barrier lets
them go together; the lock makes the second wait for the first's commit, and its sum, taken
again under the lock, sees the first refund.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.errors import InvalidInput
from tarif.invoicing import balance
from tests.conftest import BACKEND
from tests.contracts.conftest import World

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="SQLite has a single writer: two writers never overlap, so there is no race to test",
)


def test_two_refunds_at_once_never_overdraw(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = world.customer.id
    balance.grant_goodwill(ctx, customer, amount="50.00", currency="EUR", reason="gesture")
    ctx.session.commit()
    barrier = threading.Barrier(2, timeout=10)
    real_lock: Callable[..., Any] = balance._lock_owner

    def wait_then_lock(*args: Any) -> None:
        barrier.wait()
        real_lock(*args)

    monkeypatch.setattr(balance, "_lock_owner", wait_then_lock)
    refused: list[InvalidInput] = []
    errors: list[BaseException] = []

    def refund(reference: str) -> None:
        with session_factory(engine)() as session:
            worker = Ctx(session, ctx.organization_id, Actor.system("refund"), clock)
            try:
                balance.refund_balance(
                    worker, customer, amount="30.00", currency="EUR", reference=reference
                )
                session.commit()
            except InvalidInput as exc:
                refused.append(exc)
                session.rollback()
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)
                session.rollback()

    threads = [threading.Thread(target=refund, args=(f"VIR-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # 50.00 − 30.00 = 20.00 is left after the first: the second 30.00 is refused
    [second] = refused
    assert [e.message for e in second.errors] == ["more than the 20.00 EUR available"]
    ctx.session.rollback()  # a fresh snapshot
    assert balance.available(ctx, customer, "EUR") == Decimal("20.00")
