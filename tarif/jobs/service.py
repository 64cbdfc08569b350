"""Use cases of jobs: enqueue (inside the caller's transaction), list, show, retry a dead job.

`enqueue` only adds a row to the caller's session: the job exists if and only if the business
change that asked for it commits. Reads need `read:data`; retrying needs `manage:settings`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from tarif.audit.service import record
from tarif.context import Ctx
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.jobs.models import Job
from tarif.jobs.rules import DEFAULT_MAX_ATTEMPTS, JobStatus
from tarif.tenancy.rules import Permission


def enqueue(
    ctx: Ctx,
    kind: str,
    payload: dict[str, Any],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    dedupe_key: str | None = None,
    delay_seconds: float = 0,
) -> Job:
    """A queued job in the caller's transaction (nothing is committed here)."""
    from datetime import timedelta

    if dedupe_key is not None:
        existing: Job | None = ctx.session.scalars(
            scoped(Job, ctx.organization_id).where(Job.dedupe_key == dedupe_key)
        ).one_or_none()
        if existing is not None:
            return existing
    now = ctx.clock.now()
    job = queued_job(ctx.organization_id, kind, payload, now, max_attempts=max_attempts)
    job.run_after = now + timedelta(seconds=delay_seconds)
    job.dedupe_key = dedupe_key
    ctx.session.add(job)
    return job


def queued_job(
    organization_id: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """A new job row, queued and due at `now` (not added to any session)."""
    return Job(
        id=new_id("job"),
        organization_id=organization_id,
        kind=kind,
        payload=payload,
        status=JobStatus.QUEUED.value,
        attempts=0,
        max_attempts=max_attempts,
        run_after=now,
        dedupe_key=None,
        created_at=now,
        updated_at=now,
    )


def get_job(ctx: Ctx, job_id: str) -> Job:
    ctx.require(Permission.READ)
    if "\x00" in job_id:
        raise NotFound("job not found")
    found: Job = get_scoped(ctx.session, Job, ctx.organization_id, job_id)
    return found


def list_jobs(
    ctx: Ctx, page: PageRequest, *, status: str | None = None, kind: str | None = None
) -> Page[Job]:
    """Jobs in creation order; `status` (queued, running, done, dead) and `kind` filter."""
    ctx.require(Permission.READ)
    if status is not None and status not in {s.value for s in JobStatus}:
        raise InvalidInput.on("status", "one of queued, running, done, dead")
    stmt = scoped(Job, ctx.organization_id)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    return paginate(ctx.session, stmt, Job, page, search_columns=(Job.kind,))


def count_dead(ctx: Ctx) -> int:
    from sqlalchemy import func

    stmt = select(func.count()).where(
        Job.organization_id == ctx.organization_id, Job.status == JobStatus.DEAD.value
    )
    return int(ctx.session.scalar(stmt) or 0)


def retry_job(ctx: Ctx, job_id: str) -> Job:
    """A dead job queued again now, with a fresh set of attempts."""
    ctx.require(Permission.MANAGE_SETTINGS)
    job = get_job(ctx, job_id)
    if job.status != JobStatus.DEAD.value:
        raise Conflict(f"job '{job.id}' is {job.status}: only a dead job is retried")
    now = ctx.clock.now()
    job.status = JobStatus.QUEUED.value
    job.attempts = 0
    job.run_after = now
    job.locked_by = None
    job.locked_at = None
    job.finished_at = None
    job.updated_at = now
    ctx.session.flush()
    record(ctx, "retry", "job", job.id, None, {"kind": job.kind})
    return job
