"""Pure rules of webhooks: event types, endpoint URL checks, the signature and its verification,
the payload envelope. No database, no network, no clock read."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

EVENT_TYPES: dict[str, str] = {
    "invoice.created": "A draft invoice was made",
    "invoice.finalized": "An invoice got its number and was issued",
    "credit_note.created": "A credit note was issued",
    "contract.activated": "A contract became active",
    "contract.terminated": "A contract ended",
    "usage.threshold_crossed": "A customer's usage crossed a threshold",
    "usage.alert": "A usage alert fired",
}
PING = "ping"  # the test event of an endpoint, sent to it alone
SIGNATURE_HEADER = "Tarif-Signature"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
MAX_URL_LENGTH = 2000
RESPONSE_SNIPPET = 500
MAX_ATTEMPT_LOG = 50  # the oldest attempts leave the log beyond this


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def url_problem(url: str) -> str | None:
    """Why an endpoint URL is refused, or None: http(s), a host, no credentials, no fragment."""
    if not url or len(url) > MAX_URL_LENGTH:
        return f"an http or https URL of at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() for c in url):
        return "a URL has no spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http://)"
    if not parts.hostname:
        return "a URL with a host is expected"
    if parts.username or parts.password:
        return "credentials in the URL are refused: use the signature to authenticate"
    if parts.fragment:
        return "a URL without a #fragment is expected"
    return None


def event_type_problems(types: list[str]) -> list[tuple[int, str]]:
    """(index, message) for each unknown or repeated type; an empty list is a problem too."""
    if not types:
        return [(-1, "at least one event type")]
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, value in enumerate(types):
        if value not in EVENT_TYPES:
            problems.append((index, f"unknown event type '{value}'"))
        elif value in seen:
            problems.append((index, f"'{value}' is listed twice"))
        seen.add(value)
    return problems


def envelope(
    event_id: str, event_type: str, created_at: datetime, organization_id: str, data: Any
) -> str:
    """The JSON body of an event: what is stored, signed and sent (keys sorted: stable bytes)."""
    payload = {
        "id": event_id,
        "type": event_type,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "organization_id": organization_id,
        "data": data,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(secret: str, timestamp: int, body: str) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret."""
    message = f"{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: str) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(
    header: str, secret: str, body: str, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: a v1 signature of this body, made less than `tolerance` seconds
    from `now` (an old signature replayed by someone else is refused)."""
    fields: Mapping[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)  # type: ignore[attr-defined]
    try:
        timestamp = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def delivered(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def snippet(text: str) -> str:
    return text if len(text) <= RESPONSE_SNIPPET else text[:RESPONSE_SNIPPET] + "…"
