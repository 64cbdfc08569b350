"""Issued documents rendered by a worker: the Factur-X PDF of each finalized invoice or credit
note is made in the background once it is issued, so the first download (or e-mail) does not
wait for WeasyPrint.

`queue_render` queues `document.render` jobs of at most `PER_JOB` documents each (a run that
finalizes 100,000 invoices queues 2,000 jobs, which several workers share). The handler calls
`issued.issued_pdf`, which renders and stores the document once (a download that came first
already stored it: nothing is rendered twice, and what is served stays byte-identical).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select

from tarif.context import Ctx
from tarif.errors import Conflict
from tarif.invoicing import issued
from tarif.invoicing.models import Invoice
from tarif.jobs.models import Job
from tarif.jobs.registry import handler
from tarif.jobs.service import enqueue

log = logging.getLogger("tarif.worker")
RENDER_JOB = "document.render"
PER_JOB = 50


def queue_render(ctx: Ctx, invoice_ids: Sequence[str]) -> None:
    """Jobs rendering these finalized documents (in the caller's transaction)."""
    ids = list(invoice_ids)
    for start in range(0, len(ids), PER_JOB):
        enqueue(ctx, RENDER_JOB, {"invoice_ids": ids[start : start + PER_JOB]})


@handler(RENDER_JOB)
def _render(ctx: Ctx, job: Job) -> None:
    stmt = select(Invoice).where(
        Invoice.organization_id == ctx.organization_id,
        Invoice.id.in_(job.payload["invoice_ids"]),
    )
    for invoice in ctx.session.scalars(stmt.order_by(Invoice.id)):
        if issued.is_draft(invoice):
            continue  # nothing issued to render
        try:
            issued.issued_pdf(ctx, invoice)
        except Conflict as exc:
            # The organization lacks a mandatory mention: retrying cannot help, and the
            # download answers the same 409 until the settings are completed.
            log.info("document %s not rendered: %s", invoice.id, exc)
