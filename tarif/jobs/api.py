"""REST routes of jobs: `/v1/jobs` (list, show) and `/v1/jobs/{id}/retry` for a dead job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.jobs import service
from tarif.jobs.rules import JobStatus
from tarif.jobs.schemas import JobRead

router = APIRouter(tags=["jobs"])


@router.get("/jobs", response_model=ListResponse[JobRead])
def list_jobs(
    ctx: CtxDep,
    page: PageDep,
    status: Annotated[JobStatus | None, Query(description="dead: the dead letters")] = None,
    kind: Annotated[str | None, Query(max_length=80)] = None,
) -> ListResponse[JobRead]:
    """The organization's jobs in creation order."""
    result = service.list_jobs(ctx, page, status=status.value if status else None, kind=kind)
    return ListResponse(
        data=[JobRead.of(j) for j in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.get("/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: str, ctx: CtxDep) -> JobRead:
    return JobRead.of(service.get_job(ctx, job_id))


@router.post("/jobs/{job_id}/retry", response_model=JobRead)
def retry_job(job_id: str, ctx: CtxDep) -> JobRead:
    """Queues a dead job again with a fresh set of attempts (409 for a job that is not dead).
    Admins only."""
    job = service.retry_job(ctx, job_id)
    ctx.session.commit()
    return JobRead.of(job)
