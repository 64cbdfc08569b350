"""Response shapes of jobs (API and the CLI's `--json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from tarif.jobs.models import Job


class JobRead(BaseModel):
    id: str
    object: str = "job"
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    run_after: datetime
    locked_by: str | None
    locked_at: datetime | None
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobRead:
        return cls(
            id=job.id,
            kind=job.kind,
            payload=job.payload,
            status=job.status,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            run_after=job.run_after,
            locked_by=job.locked_by,
            locked_at=job.locked_at,
            last_error=job.last_error,
            dedupe_key=job.dedupe_key,
            created_at=job.created_at,
            updated_at=job.updated_at,
            finished_at=job.finished_at,
        )
