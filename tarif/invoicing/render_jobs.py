"""Issued documents rendered by a worker: the Factur-X PDF of each finalized invoice or credit
note is made in the background once it is issued, so the first download (or e-mail) does not
wait for WeasyPrint.

Finalization calls `render_later` for each document it issues; the ids wait in the session and
become `document.render` jobs of at most `PER_JOB` documents each when the transaction commits
(a run that finalizes 100,000 invoices queues 2,000 jobs, which several workers share; a
rolled-back transaction queues nothing). `queue_render` queues given documents at once. The
handler renders and stores each document once (a download that came first already stored it:
nothing is rendered twice, and what is served stays byte-identical).

On SQLite (the embedded worker, inside the app's process) a job would otherwise hold the
single writer's lock for all its renders, and the app's requests would wait: there each
document is rendered in a read transaction and stored in a short write transaction of its own
(rendering is idempotent: a retry renders only what is not stored yet).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from tarif.context import Ctx
from tarif.errors import Conflict
from tarif.invoicing import issued
from tarif.invoicing.models import Invoice
from tarif.jobs.models import Job
from tarif.jobs.registry import handler
from tarif.jobs.service import enqueue, queued_job

log = logging.getLogger("tarif.worker")
RENDER_JOB = "document.render"
PER_JOB = 50


PENDING = "tarif.render_later"  # session.info key: {organization id: (when, [invoice ids])}


def render_later(ctx: Ctx, invoice_id: str) -> None:
    """The document is rendered by a worker once this transaction commits."""
    pending = ctx.session.info.setdefault(PENDING, {})
    pending.setdefault(ctx.organization_id, (ctx.clock.now(), []))[1].append(invoice_id)


@event.listens_for(Session, "before_commit")
def _queue_pending(session: Session) -> None:
    pending: dict[str, tuple[datetime, list[str]]] = session.info.pop(PENDING, {})
    for organization_id, (now, ids) in pending.items():
        for start in range(0, len(ids), PER_JOB):
            payload = {"invoice_ids": ids[start : start + PER_JOB]}
            session.add(queued_job(organization_id, RENDER_JOB, payload, now))


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


def queue_render(ctx: Ctx, invoice_ids: Sequence[str]) -> None:
    """Jobs rendering these finalized documents (in the caller's transaction)."""
    ids = list(invoice_ids)
    for start in range(0, len(ids), PER_JOB):
        enqueue(ctx, RENDER_JOB, {"invoice_ids": ids[start : start + PER_JOB]})


@handler(RENDER_JOB)
def _render(ctx: Ctx, job: Job) -> None:
    if ctx.session.get_bind().dialect.name == "sqlite":
        _render_apart(ctx, job)
        return
    for invoice in ctx.session.scalars(_documents(ctx, job.payload["invoice_ids"])):
        if issued.is_draft(invoice):
            continue  # nothing issued to render
        try:
            issued.issued_pdf(ctx, invoice)
        except Conflict as exc:
            _not_rendered(invoice, exc)


def _render_apart(ctx: Ctx, job: Job) -> None:
    """SQLite: each document rendered while the app's requests may write, then stored in a
    transaction that writes first (one that read first could not write once another connection
    had committed); the job is marked done in such a transaction too."""
    session = ctx.session
    # Read now: after a commit the job's row would be read again, and a transaction that read
    # first could not write.
    job_id, asked = job.id, list(job.payload["invoice_ids"])
    session.commit()  # the worker's claim: the writer's lock is released while rendering
    ids = [invoice.id for invoice in session.scalars(_documents(ctx, asked))]
    session.commit()
    for invoice_id in ids:
        invoice = session.get_one(Invoice, invoice_id)
        if issued.is_draft(invoice) or issued.stored_file(ctx, invoice_id) is not None:
            session.commit()
            continue
        try:
            content = issued.render_issued(ctx, invoice)
        except Conflict as exc:
            _not_rendered(invoice, exc)
            session.commit()
            continue
        session.commit()
        _write_first(ctx, job_id)
        issued.store_issued(ctx, session.get_one(Invoice, invoice_id), content)
        session.commit()
    _write_first(ctx, job_id)


def _write_first(ctx: Ctx, job_id: str) -> None:
    ctx.session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(updated_at=ctx.clock.now())
        .execution_options(synchronize_session=False)
    )


def _documents(ctx: Ctx, invoice_ids: list[str]) -> Any:
    return (
        select(Invoice)
        .where(Invoice.organization_id == ctx.organization_id, Invoice.id.in_(invoice_ids))
        .order_by(Invoice.id)
    )


def _not_rendered(invoice: Invoice, exc: Conflict) -> None:
    # The organization lacks a mandatory mention: retrying cannot help, and the download
    # answers the same 409 until the settings are completed.
    log.info("document %s not rendered: %s", invoice.id, exc)
