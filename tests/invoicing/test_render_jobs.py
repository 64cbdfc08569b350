"""Issued documents rendered by a worker (today: 15 Jan 2026; hosting 399.00 a month)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from tarif.context import Ctx
from tarif.invoicing import issued, service
from tarif.invoicing.models import Invoice, IssuedFile
from tarif.invoicing.render_jobs import PER_JOB, queue_render
from tarif.jobs.models import Job
from tarif.jobs.worker import Worker
from tests.conftest import BACKEND
from tests.contracts.conftest import World
from tests.invoicing.test_invoice_api import shop  # noqa: F401
from tests.invoicing.test_issued import complete_seller
from tests.jobs.conftest import make_worker  # noqa: F401


def stored(ctx: Ctx) -> int:
    stmt = select(func.count()).select_from(IssuedFile)
    return int(
        ctx.session.scalar(stmt.where(IssuedFile.organization_id == ctx.organization_id)) or 0
    )


def test_a_worker_renders_the_issued_pdf_the_download_then_serves(
    ctx: Ctx,
    shop: World,  # noqa: F811
    api: TestClient,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    complete_seller(ctx)  # the mandatory mentions a Factur-X invoice needs
    [draft] = service.run_billing(ctx, date(2026, 1, 15)).invoices
    invoice = service.finalize_invoice(ctx, draft.invoice_id or "")
    before = stored(ctx)
    ctx.session.commit()  # its render is queued
    assert make_worker().run_until_idle() == 1
    ctx.session.expire_all()
    assert stored(ctx) == before + 1  # rendered and stored by the job
    kept = issued.stored_file(ctx, invoice.id)
    assert kept is not None and kept.content.startswith(b"%PDF")
    ctx.session.commit()  # ends this session's read: the request is another connection
    download = api.get(f"/v1/invoices/{invoice.id}/pdf")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == kept.sha256  # the one rendered
    queue_render(ctx, [invoice.id])  # again: served from what is stored, nothing new
    ctx.session.commit()
    make_worker().run_until_idle()
    ctx.session.expire_all()
    assert stored(ctx) == before + 1


def test_a_document_the_organization_cannot_issue_yet_is_skipped_not_retried(
    ctx: Ctx,
    shop: World,  # noqa: F811
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    [draft] = service.run_billing(ctx, date(2026, 1, 15)).invoices  # no address, SIREN…
    service.finalize_invoice(ctx, draft.invoice_id or "")  # its render is queued
    ctx.session.commit()
    assert make_worker().run_until_idle() == 1
    ctx.session.expire_all()
    [job] = ctx.session.scalars(select(Job).where(Job.organization_id == ctx.organization_id))
    assert (job.status, stored(ctx)) == ("done", 0)


def test_documents_are_queued_fifty_a_job(ctx: Ctx) -> None:
    queue_render(ctx, [f"inv_{n}" for n in range(2 * PER_JOB + 1)])
    jobs = ctx.session.scalars(select(Job).where(Job.organization_id == ctx.organization_id))
    # 101 documents: 50 + 50 + 1 (rows come back in no set order)
    assert sorted(len(j.payload["invoice_ids"]) for j in jobs) == [1, 50, 50]


def test_finalizing_queues_the_render_when_it_commits(
    ctx: Ctx,
    shop: World,  # noqa: F811
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    complete_seller(ctx)
    [draft] = service.run_billing(ctx, date(2026, 1, 15)).invoices
    invoice = service.finalize_invoice(ctx, draft.invoice_id or "")
    mine = select(Job).where(Job.organization_id == ctx.organization_id)
    assert ctx.session.scalars(mine).all() == []  # nothing before the commit
    ctx.session.commit()
    [job] = ctx.session.scalars(mine)
    assert (job.kind, job.payload) == ("document.render", {"invoice_ids": [invoice.id]})
    ctx.session.commit()  # ends this session's read before the worker writes
    assert make_worker().run_until_idle() == 1
    assert stored(ctx) == 1


def test_a_rolled_back_finalization_queues_nothing(ctx: Ctx, shop: World) -> None:  # noqa: F811
    [draft] = service.run_billing(ctx, date(2026, 1, 15)).invoices
    ctx.session.commit()
    service.finalize_invoice(ctx, draft.invoice_id or "")
    ctx.session.rollback()
    ctx.session.commit()
    jobs = ctx.session.scalars(select(Job).where(Job.organization_id == ctx.organization_id))
    assert jobs.all() == []


@pytest.mark.skipif(BACKEND != "sqlite", reason="the embedded database's single writer")
def test_on_sqlite_the_app_can_write_while_a_document_renders(
    ctx: Ctx,
    shop: World,  # noqa: F811
    engine: Engine,
    make_worker: Callable[..., Worker],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    complete_seller(ctx)
    [draft] = service.run_billing(ctx, date(2026, 1, 15)).invoices
    invoice = service.finalize_invoice(ctx, draft.invoice_id or "")
    ctx.session.commit()  # its render is queued
    real_render = issued.render_issued
    wrote: list[bool] = []

    def render_while_the_app_writes(render_ctx: Ctx, document: Invoice) -> bytes:
        # Another connection writes meanwhile, as a request of the embedded app would, and
        # must not wait for the render (SQLite gives up after 0.2 s here).
        with engine.connect() as other:
            other.exec_driver_sql("PRAGMA busy_timeout=200")
            other.execute(
                update(Job).where(Job.id == "job_none").values(updated_at=ctx.clock.now())
            )
            other.commit()
        wrote.append(True)
        return real_render(render_ctx, document)

    monkeypatch.setattr(issued, "render_issued", render_while_the_app_writes)
    assert make_worker().run_until_idle() == 1
    ctx.session.expire_all()
    assert wrote == [True]
    kept = issued.stored_file(ctx, invoice.id)
    assert kept is not None and kept.content.startswith(b"%PDF")
    [job] = ctx.session.scalars(select(Job).where(Job.organization_id == ctx.organization_id))
    assert job.status == "done"
