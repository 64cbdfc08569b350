"""The HTTP adapter: one signed POST to an endpoint, with a timeout (the standard library's
urllib, so a worker needs no extra package). Never raises: the outcome says what happened."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from tarif.webhooks.rules import SIGNATURE_HEADER, signature_header, snippet

TIMEOUT_SECONDS = 5.0  # below SQLite's busy timeout: the embedded worker holds its write lock
USER_AGENT = "Tarif-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response: str
    duration_ms: int
    error: str | None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: the 3xx is logged and the attempt fails."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: str, secret: str, timestamp: int, event_type: str) -> Outcome:
    data = body.encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Tarif-Event-Type": event_type,
            SIGNATURE_HEADER: signature_header(secret, timestamp, body),
        },
    )
    started = time.monotonic()  # a duration for the log, not business time
    try:
        # The URL was checked to be http(s) when the endpoint was saved.
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            text = response.read(4096).decode("utf-8", "replace")
            code = response.status
        return Outcome(code, snippet(text), _ms(started), None)
    except urllib.error.HTTPError as exc:
        text = exc.read(4096).decode("utf-8", "replace") if exc.fp else ""
        return Outcome(exc.code, snippet(text), _ms(started), f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Outcome(None, "", _ms(started), snippet(str(reason)))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
