"""Sending one e-mail over SMTP (stdlib `smtplib`), with the outcome sorted for a job.

A refused connection, a timeout or a 4xx reply is temporary (`MailDeferred`: try again later);
a 5xx reply (unknown mailbox, sender refused, bad credentials) is permanent (`MailRefused`).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from tarif.config import MailSettings

TIMEOUT_SECONDS = 10


class MailDeferred(Exception):
    """The message was not sent this time; the same attempt may succeed later."""


class MailRefused(Exception):
    """The server refused the message for good (a 5xx reply)."""


def send(config: MailSettings, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """Sends the message to its To recipients; returns the recipients the server refused when
    it accepted some of the others (empty when all were accepted)."""
    try:
        return _send(config, message)
    except smtplib.SMTPRecipientsRefused as exc:  # every recipient was refused
        replies = ", ".join(f"{to}: {code} {text!r}" for to, (code, text) in exc.recipients.items())
        if all(code >= 500 for code, _ in exc.recipients.values()):
            raise MailRefused(f"recipients refused: {replies}") from exc
        raise MailDeferred(f"recipients refused: {replies}") from exc
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code} {exc.smtp_error!r}"
        if exc.smtp_code >= 500:
            raise MailRefused(text) from exc
        raise MailDeferred(text) from exc
    except OSError as exc:  # refused connection, timeout, closed connection, TLS failure
        raise MailDeferred(f"{type(exc).__name__}: {exc}") from exc


def _send(config: MailSettings, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.implicit_tls:
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_SECONDS)
    with smtp:
        if config.starttls:
            smtp.starttls(context=context)
        if config.username is not None:
            smtp.login(config.username, config.password or "")
        return smtp.send_message(message)
