"""Automatic finalization by the worker: `auto_finalize_after_hours` = N > 0 queues an
`invoice.finalize_due` job per hour in which drafts are made, due N hours after that hour ends.

The test clock reads 15 Jan 2026 09:30 UTC; the 1 Feb draft of the 399.00 hosting contract is
made then (399.00 + 20 % VAT 79.80 = 478.80).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.invoicing import service
from tarif.invoicing.finalize_jobs import FINALIZE_JOB
from tarif.jobs.models import Job
from tarif.jobs.worker import Worker
from tarif.tenancy import service as tenancy
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1
from tests.jobs.conftest import make_worker  # noqa: F401


def finalize_jobs(ctx: Ctx) -> list[tuple[datetime, dict[str, object], str]]:
    ctx.session.commit()  # a new transaction: it sees what the worker committed
    stmt = (
        select(Job)
        .where(Job.organization_id == ctx.organization_id, Job.kind == FINALIZE_JOB)
        .order_by(Job.run_after)
    )
    return [
        (job.run_after.astimezone(UTC), job.payload, job.status)
        for job in ctx.session.scalars(stmt)
    ]


def status_and_number(ctx: Ctx, invoice_id: str) -> tuple[str, str | None]:
    ctx.session.commit()  # a new transaction: it sees what the worker committed
    invoice = service.get_invoice(ctx, invoice_id)
    return invoice.status, invoice.number


def test_the_worker_finalizes_a_runs_drafts_n_hours_after_their_hour(
    ctx: Ctx,
    world: World,
    clock: FixedClock,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    tenancy.update_organization(ctx, {"auto_finalize_after_hours": 24})
    world.running()
    [draft] = service.run_billing(ctx, FEB_1).invoices  # made at 15 Jan 09:30 UTC
    ctx.session.commit()
    # The 09:00 hour's drafts are all 24 hours old at 16 Jan 10:00 (09:00 + 1 h + 24 h).
    due = datetime(2026, 1, 16, 10, 0, tzinfo=UTC)
    assert finalize_jobs(ctx) == [
        (due, {"drafts_made_from": "2026-01-15T09:00:00+00:00", "after_hours": 24}, "queued")
    ]
    worker = make_worker(kinds=(FINALIZE_JOB,))
    clock.advance(timedelta(hours=24, minutes=29))  # 16 Jan 09:59: not due yet
    assert worker.run_until_idle() == 0
    assert status_and_number(ctx, draft.invoice_id or "") == ("draft", None)
    clock.advance(timedelta(minutes=1))  # 16 Jan 10:00
    assert worker.run_until_idle() == 1
    assert status_and_number(ctx, draft.invoice_id or "") == ("finalized", "F-2026-000001")
    [(_, payload, status)] = finalize_jobs(ctx)
    assert (status, payload["finalized"], payload["skipped_empty"]) == (
        "done",
        ["F-2026-000001"],
        0,
    )


def test_runs_of_the_same_hour_share_one_job(ctx: Ctx, world: World, clock: FixedClock) -> None:
    tenancy.update_organization(ctx, {"auto_finalize_after_hours": 2})
    world.running()
    service.run_billing(ctx, FEB_1)
    clock.advance(timedelta(minutes=20))  # 09:50, the same hour
    world.running(reference="SECOND")
    service.run_billing(ctx, FEB_1)
    ctx.session.commit()
    # one job for the 09:00 hour: due at 09:00 + 1 h + 2 h = 12:00
    assert [(at, status) for at, _, status in finalize_jobs(ctx)] == [
        (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "queued")
    ]


def test_setting_the_delay_schedules_the_drafts_already_waiting(
    ctx: Ctx,
    world: World,
    clock: FixedClock,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    world.running()
    [draft] = service.run_billing(ctx, FEB_1).invoices  # no setting: waits for a person
    ctx.session.commit()
    assert finalize_jobs(ctx) == []
    clock.advance(timedelta(days=3))  # 18 Jan 09:30
    tenancy.update_organization(ctx, {"auto_finalize_after_hours": 48})
    ctx.session.commit()
    # made in 15 Jan's 09:00 hour: due at 09:00 + 1 h + 48 h = 17 Jan 10:00, already past,
    # so the job is due now
    [(at, payload, _)] = finalize_jobs(ctx)
    assert at == datetime(2026, 1, 18, 9, 30, tzinfo=UTC)
    assert payload == {"drafts_made_from": "2026-01-15T09:00:00+00:00", "after_hours": 48}
    assert make_worker(kinds=(FINALIZE_JOB,)).run_until_idle() == 1
    assert status_and_number(ctx, draft.invoice_id or "") == ("finalized", "F-2026-000001")


def test_nothing_is_queued_without_a_delay_or_with_zero(ctx: Ctx, world: World) -> None:
    world.running()
    service.run_billing(ctx, FEB_1)  # no setting
    tenancy.update_organization(ctx, {"auto_finalize_after_hours": 0})
    world.running(reference="SECOND")
    service.run_billing(ctx, FEB_1)  # 0: the run finalized it
    ctx.session.commit()
    assert finalize_jobs(ctx) == []


def test_a_job_finding_the_setting_gone_finalizes_nothing(
    ctx: Ctx,
    world: World,
    clock: FixedClock,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    tenancy.update_organization(ctx, {"auto_finalize_after_hours": 1})
    world.running()
    [draft] = service.run_billing(ctx, FEB_1).invoices
    tenancy.update_organization(ctx, {"auto_finalize_after_hours": None})
    ctx.session.commit()
    clock.advance(timedelta(hours=3))
    assert make_worker(kinds=(FINALIZE_JOB,)).run_until_idle() == 1
    assert status_and_number(ctx, draft.invoice_id or "") == ("draft", None)
