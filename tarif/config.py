"""Runtime settings, read once from the environment (12-factor style)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_SQLITE_PATH = Path("var") / "tarif.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    host: str
    port: int
    secret_key: str
    # Secure cookies need HTTPS; the embedded default serves plain HTTP on localhost.
    secure_cookies: bool
    # Run background jobs in a thread of the app process (`tarif serve`): on by default with
    # SQLite (nothing else to start), off with PostgreSQL where `tarif worker` processes run.
    embedded_worker: bool = False
    # The serving process's cycle collector tuned once started (`tarif.api.app`); off where
    # an app is made many times in one process (the tests build one per test).
    tune_gc: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("TARIF_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
        return cls(
            database_url=url,
            host=os.environ.get("TARIF_HOST", "127.0.0.1"),
            port=int(os.environ.get("TARIF_PORT", "8000")),
            secret_key=os.environ.get("TARIF_SECRET_KEY") or _local_secret_key(),
            secure_cookies=os.environ.get("TARIF_SECURE_COOKIES", "0") == "1",
            embedded_worker=_embedded_worker(url),
            tune_gc=os.environ.get("TARIF_TUNE_GC", "1") != "0",
        )


@dataclass(frozen=True)
class MailSettings:
    """Where e-mail goes out: `TARIF_SMTP_URL` and the `TARIF_MAIL_FROM` sender.

    `smtp://user:pass@host:587?starttls=1` (plain SMTP, upgraded with STARTTLS when asked; port
    25 by default) or `smtps://user:pass@host` (TLS from the first byte; port 465 by default).
    User and password are percent-decoded (`%40` for an `@` in a user name).
    """

    host: str
    port: int
    sender: str
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str, sender: str) -> MailSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("TARIF_SMTP_URL: the scheme is smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("TARIF_SMTP_URL: a host is expected (smtp://host:port)")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError("TARIF_SMTP_URL: the port is not a number from 1 to 65535") from exc
        if "@" not in sender:
            raise ValueError("TARIF_MAIL_FROM: an e-mail address is expected with TARIF_SMTP_URL")
        query = parse_qs(parts.query)
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit_tls else 25),
            sender=sender,
            implicit_tls=implicit_tls,
            starttls=query.get("starttls", ["0"])[-1] == "1",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    @classmethod
    def from_env(cls) -> MailSettings | None:
        """None when `TARIF_SMTP_URL` is not set: no e-mail is sent (nor queued)."""
        url = os.environ.get("TARIF_SMTP_URL")
        if not url:
            return None
        return cls.from_url(url, os.environ.get("TARIF_MAIL_FROM", ""))


@cache
def mail_settings() -> MailSettings | None:
    """The mail settings, read from the environment once per process (`cache_clear()` reads
    them again); a bad `TARIF_SMTP_URL` raises ValueError naming the variable."""
    return MailSettings.from_env()


def _embedded_worker(url: str) -> bool:
    setting = os.environ.get("TARIF_EMBEDDED_WORKER")
    if setting is None:
        return url.startswith("sqlite")
    return setting == "1"


def _local_secret_key() -> str:
    """A per-installation key kept in var/, so sessions survive restarts without configuration."""
    path = Path("var") / "secret_key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
