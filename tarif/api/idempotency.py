"""`Idempotency-Key` on POST: the same key and body replays the first response.

The key is reserved in its own transaction before the handler runs, so two concurrent requests
with one key cannot both execute (the unique constraint on (organization, key) decides).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tarif.api.problems import PROBLEM_CONTENT_TYPE, problem_type
from tarif.clock import Clock
from tarif.errors import Unauthorized
from tarif.ids import new_id
from tarif.tenancy.models import IdempotencyRecord
from tarif.tenancy.service import find_api_key

KEEP_FOR = timedelta(hours=24)
# A reservation still without a response after this long belongs to a process that died
# mid-request (its transaction rolled back): the key is free to run again.
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if not key:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        factory: sessionmaker[Session] = state.session_factory
        clock: Clock = state.clock
        path = scope["path"]
        if len(key) > MAX_KEY_LENGTH:
            await _problem(
                send,
                path,
                422,
                "validation-error",
                "Invalid input",
                f"the Idempotency-Key header has more than {MAX_KEY_LENGTH} characters",
            )
            return
        caller = await anyio.to_thread.run_sync(
            _caller_of, factory, headers.get("authorization", "")
        )
        if caller is None:
            await self.app(scope, receive, send)  # the handler answers 401 itself
            return
        organization_id, api_key_id = caller

        body = await _read_body(receive)
        # The calling key is part of the request: another key of the organization reusing the
        # Idempotency-Key gets a refusal, never the first caller's response (it may hold a secret).
        request_hash = hashlib.sha256(
            api_key_id.encode()
            + b"\n"
            + scope["method"].encode()
            + b" "
            + scope["path"].encode()
            + b"?"
            + scope.get("query_string", b"")
            + b"\n"
            + body
        ).hexdigest()

        outcome = await anyio.to_thread.run_sync(
            _reserve, factory, clock, organization_id, key, request_hash
        )
        if isinstance(outcome, IdempotencyRecord):
            await _replay(send, outcome)
            return
        if outcome == "mismatch":
            await _problem(
                send,
                path,
                422,
                "idempotency-key-reused",
                "Idempotency key reused",
                "this Idempotency-Key was already used with a different request",
            )
            return
        if outcome == "in_flight":
            await _problem(
                send,
                path,
                409,
                "conflict",
                "Conflict",
                "a request with this Idempotency-Key is still in progress",
            )
            return

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            await anyio.to_thread.run_sync(_complete, factory, organization_id, key, captured)


def _caller_of(factory: sessionmaker[Session], authorization: str) -> tuple[str, str] | None:
    """(organization id, API key id) of a valid bearer key; None lets the route answer 401."""
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    with factory() as session:
        try:
            key, _ = find_api_key(session, secret.strip())
        except Unauthorized:
            return None
        return key.organization_id, key.id


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _reserve(
    factory: sessionmaker[Session], clock: Clock, organization_id: str, key: str, request_hash: str
) -> IdempotencyRecord | str:
    now = clock.now()
    with factory() as session:
        # Expired keys are forgotten here, so the table holds about a day of POSTs per tenant
        # and an expired key may be used again.
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == organization_id,
                IdempotencyRecord.expires_at <= now,
            )
        )
        existing = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.key == key
            )
        ).first()
        if (
            existing is not None
            and existing.status_code is None
            and existing.created_at <= now - ABANDONED_AFTER
        ):
            session.delete(existing)
            session.flush()
            existing = None
        if existing is not None:
            if existing.request_hash != request_hash:
                return "mismatch"
            if existing.status_code is None:
                return "in_flight"
            return existing
        session.add(
            IdempotencyRecord(
                id=new_id("idk"),
                organization_id=organization_id,
                key=key,
                request_hash=request_hash,
                created_at=now,
                expires_at=now + KEEP_FOR,
            )
        )
        try:
            session.commit()
        except IntegrityError:
            return "in_flight"
    return "reserved"


def _complete(
    factory: sessionmaker[Session], organization_id: str, key: str, captured: dict[str, Any]
) -> None:
    with factory() as session:
        where = (IdempotencyRecord.organization_id == organization_id) & (
            IdempotencyRecord.key == key
        )
        if captured["status"] >= 500:
            # Nothing was written (the request rolled back), so a retry may run again.
            session.execute(delete(IdempotencyRecord).where(where))
        else:
            record = session.scalars(select(IdempotencyRecord).where(where)).one()
            record.status_code = captured["status"]
            record.response_body = captured["body"].decode("utf-8", errors="replace")
            record.response_content_type = _header(captured["headers"], b"content-type")
        session.commit()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v.decode("latin-1")
    return None


async def _replay(send: Send, record: IdempotencyRecord) -> None:
    body = (record.response_body or "").encode()
    await send(
        {
            "type": "http.response.start",
            "status": record.status_code,
            "headers": [
                (b"content-type", (record.response_content_type or "application/json").encode()),
                (b"content-length", str(len(body)).encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _problem(
    send: Send, instance: str, status: int, slug: str, title: str, detail: str
) -> None:
    body = json.dumps(
        {
            "type": problem_type(slug),
            "title": title,
            "status": status,
            "detail": detail,
            "instance": instance,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
