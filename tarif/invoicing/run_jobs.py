"""Billing runs as jobs: a run queued now and made by a worker (`tarif worker`, or the embedded
one), off the request path.

`queue_run` checks the date as a run would (`check_run_date`: not before the last run) and
queues a `billing.run` job; the worker runs `run_billing` with the organization's system actor
and records the run's id in the job's payload (`run_id`, with the number of invoices made and
finalized), so `GET /v1/jobs/{id}` tells where the invoices went. A failed run is retried with
backoff and ends in the dead letters like any job. Running the same day twice makes nothing
more: a run only invoices what is due and not billed yet.
"""

from __future__ import annotations

from datetime import date

from tarif.context import Ctx
from tarif.invoicing import service_runs
from tarif.jobs.models import Job
from tarif.jobs.registry import handler
from tarif.jobs.service import enqueue
from tarif.tenancy.rules import Permission

RUN_JOB = "billing.run"
RUN_ATTEMPTS = 3  # a run that fails three times needs a person, not a fourth try


def queue_run(ctx: Ctx, as_of: date, *, finalize: bool = False) -> Job:
    """The queued job of a run as of `as_of` (the caller commits)."""
    ctx.require(Permission.WRITE_BILLING)
    service_runs.check_run_date(ctx, as_of)
    payload = {"as_of": as_of.isoformat(), "finalize": finalize, "requested_by": ctx.actor.label}
    job = enqueue(ctx, RUN_JOB, payload, max_attempts=RUN_ATTEMPTS)
    ctx.session.flush()
    return job


@handler(RUN_JOB)
def _run(ctx: Ctx, job: Job) -> None:
    data = job.payload
    outcome = service_runs.run_billing(
        ctx, date.fromisoformat(data["as_of"]), finalize=bool(data.get("finalize"))
    )
    job.payload = data | {
        "run_id": outcome.run.id if outcome.run is not None else None,
        "invoices": len(outcome.invoices),
        "finalized": outcome.finalized,
    }
