"""A small receiving server on 127.0.0.1 (http.server in a thread, on a free port) that answers
the status codes it is told to, in order, and keeps every request it got."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.db.session import session_factory
from tarif.jobs.worker import Worker
from tests.conftest import Tenant


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    codes: list[int] = field(default_factory=list)  # answers still to give; then 200
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            code = state.codes.pop(0) if state.codes else 200
            answer = f"answer {code}".encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(engine: Engine, clock: FixedClock, tenant: Tenant) -> Worker:
    return Worker(
        session_factory(engine),
        clock=clock,
        random=lambda: 0.5,
        name="test-worker",
        organization_id=tenant.id,
    )


Drain = Callable[[], int]
