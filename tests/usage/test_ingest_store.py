"""The event writers on their own connection: a rolled-back batch, then the next one."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.usage.event_rules import Status, parse_event
from tarif.usage.ingest import dumps, ingest
from tarif.usage.models import UsageEvent
from tests.conftest import Tenant
from tests.usage.ingest_helpers import event, seed


def test_a_batch_after_a_rolled_back_one_on_the_same_connection(
    engine: Engine, clock: FixedClock, tenant: Tenant
) -> None:
    # On PostgreSQL the first batch creates the staging table; the rollback takes it away,
    # so the second batch on the same connection must not count on it.
    seed(engine, clock, tenant.id)
    engine.dispose()  # a new connection: the staging table is created in the first batch
    with engine.connect() as connection:
        session = Session(bind=connection)
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
        first = ingest(ctx, [parse_event(0, event("t1"), dumps)])
        assert [o.status for o in first.outcomes] == [Status.ACCEPTED]
        session.rollback()
        second = ingest(
            ctx, [parse_event(0, event("t1"), dumps), parse_event(1, event("t2"), dumps)]
        )
        session.commit()
        assert [o.status for o in second.outcomes] == [Status.ACCEPTED, Status.ACCEPTED]
        stored = session.scalar(
            select(func.count())
            .select_from(UsageEvent)
            .where(UsageEvent.organization_id == tenant.id)
        )
        assert stored == 2  # t1 (again, its first insert was rolled back) and t2
        session.close()


def test_batches_in_one_transaction_and_the_next_one(
    engine: Engine, clock: FixedClock, tenant: Tenant
) -> None:
    # On PostgreSQL the second batch of a transaction empties the staging table the first one
    # filled; the next transaction finds it empty again.
    seed(engine, clock, tenant.id)
    with Session(engine) as session:
        ctx = Ctx(session, tenant.id, Actor.system("test"), clock)

        def send(*keys: str) -> list[Status]:
            parsed = [parse_event(i, event(k), dumps) for i, k in enumerate(keys)]
            return [o.status for o in ingest(ctx, parsed).outcomes]

        assert send("t1", "t2") == [Status.ACCEPTED, Status.ACCEPTED]
        # t2 repeats the first batch's: only t3 is new.
        assert send("t2", "t3") == [Status.DUPLICATE, Status.ACCEPTED]
        session.commit()
        assert send("t3", "t4") == [Status.DUPLICATE, Status.ACCEPTED]
        session.commit()
        stored = session.scalars(
            select(UsageEvent.transaction_id)
            .where(UsageEvent.organization_id == tenant.id)
            .order_by(UsageEvent.transaction_id)
        ).all()
        assert stored == ["t1", "t2", "t3", "t4"]  # each key once
