"""Finalized invoices and credit notes sent by e-mail: the `invoice.email` job, end to end
through a small SMTP server on 127.0.0.1 (tests/invoicing/smtp_server.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from tarif.audit.models import AuditEvent
from tarif.clock import FixedClock
from tarif.config import MailSettings, mail_settings
from tarif.context import Ctx
from tarif.db.session import session_factory
from tarif.invoicing import issued, service
from tarif.invoicing.mailing import KIND, dedupe_key
from tarif.invoicing.models import IssuedFile
from tarif.invoicing.service_finalize import finalize_run
from tarif.jobs.models import Job
from tarif.jobs.service import enqueue
from tarif.jobs.worker import Worker
from tests.conftest import Tenant
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, hosting_contract
from tests.invoicing.smtp_server import SmtpServer
from tests.invoicing.test_issued import complete_seller

NBSP = "\u00a0"
ADDRESSES = ["compta@client.test", "dg@client.test"]


def configure(monkeypatch: pytest.MonkeyPatch, url: str | None) -> None:
    if url is None:
        monkeypatch.delenv("TARIF_SMTP_URL", raising=False)
    else:
        monkeypatch.setenv("TARIF_SMTP_URL", url)
    monkeypatch.setenv("TARIF_MAIL_FROM", "factures@acme.test")
    mail_settings.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_mail_settings() -> Iterator[None]:
    yield
    mail_settings.cache_clear()  # the next test reads its own environment


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        configure(monkeypatch, f"smtp://127.0.0.1:{server.port}")
        yield server


@pytest.fixture
def worker(engine: Engine, clock: FixedClock, tenant: Tenant) -> Worker:
    # random 0.5: a retry waits exactly its nominal delay
    return Worker(
        session_factory(engine),
        clock=clock,
        random=lambda: 0.5,
        name="mail-worker",
        organization_id=tenant.id,
        kinds=(KIND,),
    )


def mail_jobs(ctx: Ctx) -> list[Job]:
    stmt = select(Job).where(Job.organization_id == ctx.organization_id, Job.kind == KIND)
    return list(ctx.session.scalars(stmt.order_by(Job.id)))


def drafts(ctx: Ctx, world: World, emails: list[str] | None = None) -> tuple[str, str]:
    """January (262.57 gross: 399 × 17/31 = 218.81 + 43.76 VAT) and February (399.00 + 79.80 =
    478.80) of the 399.00 contract, as drafts of a customer with these invoice addresses."""
    complete_seller(ctx)
    world.customer.invoice_emails = ADDRESSES if emails is None else emails
    hosting_contract(world)
    january, february = service.run_billing(ctx, FEB_1).invoices
    return january.invoice_id or "", february.invoice_id or ""


def test_a_finalized_invoice_is_mailed_once_with_its_pdf(
    ctx: Ctx, world: World, smtp: SmtpServer, worker: Worker
) -> None:
    january, _ = drafts(ctx, world)
    assert mail_jobs(ctx) == []  # a draft is not sent
    invoice = service.finalize_invoice(ctx, january)
    [job] = mail_jobs(ctx)
    assert (job.payload, job.dedupe_key) == ({"invoice_id": january}, f"invoice.email:{january}")
    ctx.session.commit()

    assert worker.run_until_idle() == 1
    [received] = smtp.received
    assert received.sender == "factures@acme.test"
    assert received.recipients == ADDRESSES
    message = received.message
    # The customer speaks French (the organization's locale): French subject and body.
    assert message["Subject"] == "Facture F-2026-000001 de Tarif SAS"
    assert message["From"] == "factures@acme.test"
    assert message["To"] == "compta@client.test, dg@client.test"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content() == (
        "Bonjour,\n\n"
        "Veuillez trouver ci-joint la facture F-2026-000001 du 15/01/2026, "
        f"d'un montant de 262,57{NBSP}€ TTC.\n"
        "Échéance de paiement : 14/02/2026.\n\n"  # 15 Jan + the customer's 30 days
        "Cordialement,\nTarif SAS\n"
    )
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "F-2026-000001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    ctx.session.expire_all()
    assert attachment.get_content() == issued.document_pdf(ctx, invoice)  # the stored PDF

    [job] = mail_jobs(ctx)
    assert (job.status, job.attempts) == ("done", 1)
    [event] = ctx.session.scalars(
        select(AuditEvent).where(
            AuditEvent.organization_id == ctx.organization_id, AuditEvent.action == "email"
        )
    )
    assert (event.object_type, event.object_id) == ("invoice", january)
    assert event.after == {"number": "F-2026-000001", "to": ADDRESSES}
    assert worker.run_until_idle() == 0  # done: never sent twice
    assert len(smtp.received) == 1


def test_english_customer_and_credit_note(
    ctx: Ctx, world: World, smtp: SmtpServer, worker: Worker
) -> None:
    world.customer.language = "en"
    _, february = drafts(ctx, world, ["ap@client.test"])
    service.finalize_invoice(ctx, february)
    note = service.issue_credit_note(
        ctx, february, reason="Service outage", amount="100.00", settlement="refund"
    )
    assert [job.payload["invoice_id"] for job in mail_jobs(ctx)] == [february, note.id]
    ctx.session.commit()

    assert worker.run_until_idle() == 2
    invoice_mail, note_mail = (received.message for received in smtp.received)
    assert invoice_mail["Subject"] == "Invoice F-2026-000001 from Tarif SAS"
    body = invoice_mail.get_body(("plain",))
    assert body is not None
    assert body.get_content() == (
        "Hello,\n\n"
        "Please find attached invoice F-2026-000001 of 15 January 2026, "
        "for €478.80 including VAT.\n"
        "Payment is due by 14 February 2026.\n\n"
        "Kind regards,\nTarif SAS\n"
    )
    assert note_mail["Subject"] == "Credit note AV-2026-000001 from Tarif SAS"
    body = note_mail.get_body(("plain",))
    assert body is not None
    # Stored as -100.00 gross; the e-mail names the amount credited, and no due date.
    assert body.get_content() == (
        "Hello,\n\n"
        "Please find attached credit note AV-2026-000001 of 15 January 2026, "
        "for €100.00 including VAT.\n\n"
        "Kind regards,\nTarif SAS\n"
    )
    [attachment] = list(note_mail.iter_attachments())
    assert attachment.get_filename() == "AV-2026-000001.pdf"


def test_a_french_credit_note_is_an_avoir(ctx: Ctx, world: World, smtp: SmtpServer) -> None:
    from tarif.invoicing.mailing import invoice_message

    _, february = drafts(ctx, world)
    service.finalize_invoice(ctx, february)
    note = service.issue_credit_note(
        ctx, february, reason="Geste commercial", amount="100.00", settlement="balance"
    )
    message = invoice_message(note, "Tarif SAS", "fr", ADDRESSES, "f@acme.test", b"")
    assert message["Subject"] == "Avoir AV-2026-000001 de Tarif SAS"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content() == (
        "Bonjour,\n\n"
        "Veuillez trouver ci-joint l'avoir AV-2026-000001 du 15/01/2026, "
        f"d'un montant de 100,00{NBSP}€ TTC.\n\n"
        "Cordialement,\nTarif SAS\n"
    )


def test_no_smtp_url_no_job(ctx: Ctx, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, None)
    january, _ = drafts(ctx, world)
    service.finalize_invoice(ctx, january)
    assert mail_jobs(ctx) == []


def test_a_customer_without_invoice_emails_gets_no_job(
    ctx: Ctx, world: World, smtp: SmtpServer
) -> None:
    january, _ = drafts(ctx, world, emails=[])
    service.finalize_invoice(ctx, january)
    assert mail_jobs(ctx) == []


def test_a_run_finalized_queues_one_job_per_invoice(
    ctx: Ctx, world: World, smtp: SmtpServer
) -> None:
    complete_seller(ctx)
    world.customer.invoice_emails = ADDRESSES
    hosting_contract(world)
    run = service.run_billing(ctx, FEB_1).run
    assert run is not None
    finalized = finalize_run(ctx, run.id)
    assert finalized.finalized == 2
    assert len(mail_jobs(ctx)) == 2


def test_a_run_sealing_inline_queues_one_job_per_invoice(
    ctx: Ctx, world: World, smtp: SmtpServer
) -> None:
    complete_seller(ctx)
    world.customer.invoice_emails = ADDRESSES
    hosting_contract(world)
    outcome = service.run_billing(ctx, FEB_1, finalize=True)
    assert outcome.finalized == 2
    ids = {draft.invoice_id for draft in outcome.invoices}
    assert {job.payload["invoice_id"] for job in mail_jobs(ctx)} == ids


def test_a_second_enqueue_is_deduped(ctx: Ctx, world: World, smtp: SmtpServer) -> None:
    january, _ = drafts(ctx, world)
    service.finalize_invoice(ctx, january)
    [job] = mail_jobs(ctx)
    again = enqueue(ctx, KIND, {"invoice_id": january}, dedupe_key=dedupe_key(january))
    assert again.id == job.id
    assert len(mail_jobs(ctx)) == 1


def test_a_server_down_retries_later(
    ctx: Ctx, world: World, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:  # a port nothing listens on once closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    configure(monkeypatch, f"smtp://127.0.0.1:{port}")
    january, _ = drafts(ctx, world)
    service.finalize_invoice(ctx, january)
    ctx.session.commit()

    assert worker.run_until_idle() == 1
    ctx.session.expire_all()
    [job] = mail_jobs(ctx)
    # Queued again after the first backoff: 30 s × 2^0 × (0.8 + 0.5 × 0.4 = 1.0) = 30 s.
    assert (job.status, job.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in (job.last_error or "")
    assert (job.run_after - ctx.clock.now()).total_seconds() == 30
    # RetryLater keeps the attempt's writes: the PDF rendered for it stays stored.
    stored = select(IssuedFile.invoice_id).where(IssuedFile.invoice_id == january)
    assert ctx.session.scalars(stored).all() == [january]


def test_a_permanent_refusal_fails_then_dies(
    ctx: Ctx, world: World, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer(refuse_rcpt="550 5.1.1 no such mailbox") as server:
        configure(monkeypatch, f"smtp://127.0.0.1:{server.port}")
        january, _ = drafts(ctx, world)
        service.finalize_invoice(ctx, january)
        [job] = mail_jobs(ctx)
        job.max_attempts = 1
        ctx.session.commit()
        assert worker.run_until_idle() == 1
    assert server.received == []
    ctx.session.expire_all()
    [job] = mail_jobs(ctx)
    assert (job.status, job.attempts) == ("dead", 1)
    assert "MailRefused" in (job.last_error or "") and "550" in (job.last_error or "")


def test_smtp_urls() -> None:
    config = MailSettings.from_url("smtps://billing%40acme.test:s%3Acret@mail.test", "f@a.test")
    assert (config.host, config.port, config.implicit_tls, config.starttls) == (
        "mail.test",
        465,
        True,
        False,
    )
    assert (config.username, config.password) == ("billing@acme.test", "s:cret")
    config = MailSettings.from_url("smtp://mail.test:587?starttls=1", "f@a.test")
    assert (config.port, config.implicit_tls, config.starttls, config.username) == (
        587,
        False,
        True,
        None,
    )
    assert MailSettings.from_url("smtp://mail.test", "f@a.test").port == 25
    with pytest.raises(ValueError, match="TARIF_SMTP_URL"):
        MailSettings.from_url("http://mail.test", "f@a.test")
    with pytest.raises(ValueError, match="TARIF_MAIL_FROM"):
        MailSettings.from_url("smtp://mail.test", "")
