"""Two billing runs (or finalizations) at the same time on PostgreSQL: each charge billed once.

Both runs compute their charges before either writes (a barrier holds them), so neither sees
the other's lines: only the unique key of `invoice_lines` can keep the second from billing
January again. The run that loses rolls that invoice back and finishes without error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.invoicing import service, service_runs
from tarif.invoicing.models import Invoice, InvoiceLine
from tests.conftest import BACKEND
from tests.contracts.conftest import World
from tests.invoicing.conftest import JAN_15, hosting_contract

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="SQLite has a single writer: two writers never overlap, so there is no race to test",
)


def two_runs_at_once(
    ctx: Ctx, engine: Engine, clock: FixedClock, as_of: date
) -> list[service.RunOutcome]:
    """Two billing runs in two threads, each in its own session; both must finish."""
    outcomes: list[service.RunOutcome] = []
    errors: list[BaseException] = []

    def run() -> None:
        with session_factory(engine)() as session:
            worker = Ctx(session, ctx.organization_id, Actor.system("run"), clock)
            try:
                outcomes.append(service.run_billing(worker, as_of))
                session.commit()
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)
                session.rollback()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return outcomes


def test_two_runs_at_once_bill_each_line_once(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosting_contract(world)
    ctx.session.commit()
    barrier = threading.Barrier(2, timeout=10)
    real_drafts: Callable[..., Any] = service_runs.build_drafts

    def drafts_then_wait(*args: Any, **kwargs: Any) -> Any:
        drafts = real_drafts(*args, **kwargs)
        barrier.wait()
        return drafts

    monkeypatch.setattr(service_runs, "build_drafts", drafts_then_wait)
    outcomes = two_runs_at_once(ctx, engine, clock, JAN_15)
    # one run wrote January's invoice, the other hit the unique key and wrote nothing
    assert sorted(len(o.invoices) for o in outcomes) == [0, 1]
    assert sorted(o.conflicts for o in outcomes) == [0, 1]
    ctx.session.expire_all()
    for model in (Invoice, InvoiceLine):
        stmt = select(func.count()).select_from(model)
        stmt = stmt.where(model.organization_id == ctx.organization_id)  # type: ignore[attr-defined]
        assert ctx.session.scalar(stmt) == 1


def test_two_finalizations_at_once_take_consecutive_numbers(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock
) -> None:
    hosting_contract(world)
    # as of 1 Feb: January (due 15 Jan) and February (due 1 Feb), two drafts
    drafts = service.run_billing(ctx, date(2026, 2, 1)).invoices
    ctx.session.commit()
    barrier = threading.Barrier(2, timeout=10)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def finalize(invoice_id: str) -> None:
        with session_factory(engine)() as session:
            worker = Ctx(session, ctx.organization_id, Actor.system("finalize"), clock)
            try:
                barrier.wait()
                numbers.append(service.finalize_invoice(worker, invoice_id).number or "")
                session.commit()
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)
                session.rollback()

    threads = [threading.Thread(target=finalize, args=(d.invoice_id,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # the first year's row is made by one of them; the other waits on its lock: 1 then 2
    assert sorted(numbers) == ["F-2026-000001", "F-2026-000002"]


def test_two_runs_at_once_rate_a_usage_period_once(
    ctx: Ctx, world: World, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tarif.invoicing.usage_rating import UsageRater
    from tests.invoicing.test_run_usage import FEB_1, january_turnover, seed_contract

    seed_contract(world)
    january_turnover(world)
    ctx.session.commit()
    # Both runs know what is due before either moves a watermark or writes: the first to
    # move the watermark holds its row until it commits, the second then finds its lines
    # refused by the unique key.
    barrier = threading.Barrier(2, timeout=20)
    real_move: Callable[..., Any] = UsageRater._move_watermarks

    def wait_then_move(self: UsageRater, *args: Any) -> Any:
        barrier.wait()
        return real_move(self, *args)

    monkeypatch.setattr(UsageRater, "_move_watermarks", wait_then_move)
    two_runs_at_once(ctx, engine, clock, FEB_1)
    ctx.session.expire_all()
    usage = select(InvoiceLine.usage_part).where(
        InvoiceLine.organization_id == ctx.organization_id, InvoiceLine.source == "usage"
    )
    # January's turnover billed once: one percentage line and one transaction fee line
    assert sorted(ctx.session.scalars(usage)) == ["r1|percentage||1", "r1|transaction_fee||1"]
