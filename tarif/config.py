"""Runtime settings, read once from the environment (12-factor style)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
        )


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
