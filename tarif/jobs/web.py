"""Back-office pages of jobs: `/jobs` (filter by status; the dead letters first, with a retry
button) and a job's page."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.jobs import service
from tarif.jobs.web_text import FRENCH, STATUS_BADGES
from tarif.web.auth import WebCtx
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/jobs")
def jobs_page(
    request: Request, ctx: WebCtx, status: str | None = None, starting_after: str | None = None
) -> Response:
    status = status or None
    try:
        page = service.list_jobs(
            ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after), status=status
        )
    except InvalidInput:
        status = None
        page = service.list_jobs(ctx, PageRequest(limit=PAGE_SIZE))
    dead = (
        service.list_jobs(ctx, PageRequest(limit=PAGE_SIZE), status="dead") if not status else None
    )
    next_url = None
    if page.has_more:
        next_url = f"/jobs?starting_after={page.next_cursor}" + (
            f"&status={status}" if status else ""
        )
    context = {
        "jobs": page.items,
        "dead": dead.items if dead else [],
        "status": status or "",
        "badges": STATUS_BADGES,
        "next_url": next_url,
        "notice": request.query_params.get("retried"),
    }
    return render(request, "jobs/list.html", context)


@router.get("/jobs/{job_id}")
def job_page(request: Request, ctx: WebCtx, job_id: str) -> Response:
    job = service.get_job(ctx, job_id)
    context = {
        "job": job,
        "payload": json.dumps(job.payload, indent=2, ensure_ascii=False),
        "badges": STATUS_BADGES,
    }
    return render(request, "jobs/detail.html", context)


@router.post("/jobs/{job_id}/retry")
def retry_job(request: Request, ctx: WebCtx, job_id: str) -> Response:
    job = service.retry_job(ctx, job_id)
    ctx.session.commit()
    return RedirectResponse(f"/jobs/{job.id}?retried=1", status_code=303)
