"""Sending finalized invoices and credit notes by e-mail: the `invoice.email` job.

Finalizing queues the job (`queue_email`, next to the `invoice.finalized` /
`credit_note.created` webhook event, in the same transaction) when the customer has invoice
e-mail addresses and `TARIF_SMTP_URL` is set; the dedupe key `invoice.email:<id>` makes it one
job per document. The handler mails the stored Factur-X PDF to the customer's addresses of the
moment, in the customer's language, and records an `email` audit event. A refused connection or
a 4xx reply retries later (`RetryLater`); a 5xx reply fails the attempt, and the job is dead
once its attempts are spent (the Jobs page lists it, Retry sends it again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from babel.dates import format_date

from tarif import mail
from tarif.audit.service import record
from tarif.config import mail_settings
from tarif.context import Ctx
from tarif.customers.models import Customer
from tarif.invoicing import issued
from tarif.invoicing.models import Invoice
from tarif.jobs.models import Job
from tarif.jobs.registry import RetryLater, handler
from tarif.jobs.service import enqueue
from tarif.money import Money, format_money
from tarif.tenancy.models import Organization

KIND = "invoice.email"

_DATES = {"fr": ("fr_FR", "dd/MM/yyyy"), "en": ("en_GB", "d MMMM yyyy")}
_TEXTS = {
    "en": {
        "invoice": "Invoice",
        "the_invoice": "invoice",
        "credit_note": "Credit note",
        "the_credit_note": "credit note",
        "subject": "{document} {number} from {seller}",
        "greeting": "Hello,",
        "attached": (
            "Please find attached {the_document} {number} of {issued}, for {total} including VAT."
        ),
        "due": "Payment is due by {due}.",
        "regards": "Kind regards,",
    },
    "fr": {
        "invoice": "Facture",
        "the_invoice": "la facture",
        "credit_note": "Avoir",
        "the_credit_note": "l'avoir",
        "subject": "{document} {number} de {seller}",
        "greeting": "Bonjour,",
        "attached": (
            "Veuillez trouver ci-joint {the_document} {number} du {issued}, "
            "d'un montant de {total} TTC."
        ),
        "due": "Échéance de paiement : {due}.",
        "regards": "Cordialement,",
    },
}


def dedupe_key(invoice_id: str) -> str:
    return f"{KIND}:{invoice_id}"


def queue_email(ctx: Ctx, invoice_id: str, invoice_emails: Sequence[str] | None) -> None:
    """Queues the sending of a document just finalized, when there is someone to send it to
    and a server to send it through (settings read once per process, no query without them)."""
    if not invoice_emails or mail_settings() is None:
        return
    # No autoflush for the dedupe read: a run's finalization writes its sealed invoices itself,
    # in bulk, after the chunk (`service_finalize._write_sealed`).
    with ctx.session.no_autoflush:
        enqueue(ctx, KIND, {"invoice_id": invoice_id}, dedupe_key=dedupe_key(invoice_id))


def language_of(invoice: Invoice) -> str:
    """The language of the issued document (the customer's, or the organization's locale when
    the customer's is neither French nor English): the e-mail speaks as the PDF does."""
    document = invoice.document or {}
    return "fr" if document.get("language") == "fr" else "en"


def invoice_message(
    invoice: Invoice,
    seller: str,
    language: str,
    recipients: Sequence[str],
    sender: str,
    pdf: bytes,
) -> EmailMessage:
    """The e-mail of a finalized document: subject, short plain-text body, the PDF attached."""
    texts = _TEXTS[language]
    document = "credit_note" if invoice.kind == "credit_note" else "invoice"
    number = invoice.number or ""
    # A credit note's totals are stored negative; its e-mail names the amount credited.
    gross = abs(invoice.gross_total) if document == "credit_note" else invoice.gross_total
    total = format_money(Money.of(gross, invoice.currency), language)
    body = [
        texts["greeting"],
        "",
        texts["attached"].format(
            the_document=texts[f"the_{document}"],
            number=number,
            issued=_date(invoice.issue_date, language),
            total=total,
        ),
    ]
    if invoice.kind != "credit_note" and invoice.due_date is not None:
        body.append(texts["due"].format(due=_date(invoice.due_date, language)))
    body += ["", texts["regards"], seller, ""]
    message = EmailMessage()
    message["Subject"] = texts["subject"].format(
        document=texts[document], number=number, seller=seller
    )
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content("\n".join(body))
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=issued.file_name(invoice, "pdf")
    )
    return message


def _date(day: date | None, language: str) -> str:
    if day is None:
        return ""
    locale, pattern = _DATES[language]
    return str(format_date(day, pattern, locale=locale))


@handler(KIND)
def send_invoice(ctx: Ctx, job: Job) -> None:
    config = mail_settings()
    if config is None:
        raise RuntimeError("TARIF_SMTP_URL is not set: the e-mail cannot be sent")
    invoice = ctx.session.get(Invoice, job.payload["invoice_id"])
    if invoice is None or invoice.organization_id != job.organization_id:
        return  # deleted since: nothing left to send
    customer = ctx.session.get_one(Customer, invoice.customer_id)
    recipients = list(customer.invoice_emails or [])
    if not recipients:
        return  # the customer's addresses were removed since it was queued
    org = ctx.session.get_one(Organization, ctx.organization_id)
    pdf = issued.document_pdf(ctx, invoice)  # rendered and stored on first call
    message = invoice_message(
        invoice, org.legal_name, language_of(invoice), recipients, config.sender, pdf
    )
    message["Date"] = format_datetime(ctx.clock.now())
    try:
        refused = mail.send(config, message)
    except mail.MailDeferred as exc:
        # The stored PDF is kept; the job comes back after the jobs' backoff.
        raise RetryLater(str(exc)) from exc
    after: dict[str, Any] = {"number": invoice.number, "to": recipients}
    if refused:
        after["refused"] = sorted(refused)
    object_type = "credit_note" if invoice.kind == "credit_note" else "invoice"
    record(ctx, "email", object_type, invoice.id, None, after)
