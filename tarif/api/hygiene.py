"""Refuses URLs carrying a NUL character before any route runs.

PostgreSQL text cannot hold U+0000, so a NUL in a path or query parameter (an object id, `q`)
would otherwise fail deep in the database as a 500. Bodies are checked by `StrictModel`.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from tarif.api.problems import PROBLEM_CONTENT_TYPE, problem_type


class RefuseNulMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            body = json.dumps(
                {
                    "type": problem_type("validation-error"),
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "the URL must not contain the NUL character (%00)",
                    "instance": scope["path"].replace("\x00", ""),
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return b"\x00" in unquote_to_bytes(raw_path) or b"\x00" in unquote_to_bytes(query)
