"""Automatic finalization carried out by the worker: the organization's
`auto_finalize_after_hours` (N > 0) needs nobody to call `finalize_due`.

Each hour in which a billing run writes drafts gets one `invoice.finalize_due` job (a dedupe key
per hour and setting), due N hours after that hour ends, when every draft written in it is N
hours old. The job finalizes every due draft (`service_drafts.finalize_due`), then schedules the
job of the oldest draft not due yet, so drafts made before a change of the setting are not
forgotten. Setting N schedules a job for the drafts already waiting (due at once for those old
enough). With the setting None (a person finalizes) or 0 (the run finalizes) nothing is queued,
and a job finding the setting gone finalizes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tarif.context import Ctx
from tarif.db.repository import scoped
from tarif.invoicing.models import Invoice
from tarif.invoicing.service_invoices import INVOICE_SERIES, InvoiceStatus
from tarif.jobs.models import Job
from tarif.jobs.registry import handler
from tarif.jobs.service import enqueue
from tarif.tenancy.models import Organization

FINALIZE_JOB = "invoice.finalize_due"


def schedule_for(ctx: Ctx, made_at: datetime) -> Job | None:
    """The job finalizing drafts made in `made_at`'s hour, queued once, due N hours after that
    hour ends; None when the organization does not finalize drafts after N > 0 hours."""
    hours = ctx.session.get_one(Organization, ctx.organization_id).auto_finalize_after_hours
    if not hours:
        return None
    slot = made_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    due = slot + timedelta(hours=1 + hours)
    return enqueue(
        ctx,
        FINALIZE_JOB,
        {"drafts_made_from": slot.isoformat(), "after_hours": hours},
        # The setting is in the key: after a change, the hour gets a job at its new time.
        dedupe_key=f"{FINALIZE_JOB}:{hours}:{slot.isoformat()}",
        delay_seconds=max(0.0, (due - ctx.clock.now()).total_seconds()),
    )


def schedule_waiting(ctx: Ctx, *, not_due_only: bool = False) -> Job | None:
    """The job of the oldest draft invoice waiting (with `not_due_only`, the oldest one not N
    hours old yet: those older were just finalized or are empty)."""
    hours = ctx.session.get_one(Organization, ctx.organization_id).auto_finalize_after_hours
    if not hours:
        return None
    stmt = scoped(Invoice, ctx.organization_id).where(
        Invoice.status == InvoiceStatus.DRAFT.value, Invoice.series == INVOICE_SERIES
    )
    if not_due_only:
        stmt = stmt.where(Invoice.created_at > ctx.clock.now() - timedelta(hours=hours))
    oldest = ctx.session.scalar(
        stmt.with_only_columns(Invoice.created_at).order_by(Invoice.created_at).limit(1)
    )
    return None if oldest is None else schedule_for(ctx, oldest)


@handler(FINALIZE_JOB)
def _finalize_due(ctx: Ctx, job: Job) -> None:
    from tarif.invoicing.service_drafts import finalize_due

    done = finalize_due(ctx)
    job.payload = job.payload | {
        "finalized": [invoice.number for invoice in done.finalized],
        "skipped_empty": len(done.skipped_empty),
    }
    schedule_waiting(ctx, not_due_only=True)
