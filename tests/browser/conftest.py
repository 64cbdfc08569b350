"""The real app under uvicorn on a free local port, driven by Debian's Chromium through Playwright.

Never a downloaded browser: `make test` installs the `chromium` package, and a missing
/usr/bin/chromium fails these tests loudly instead of skipping them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from _pytest.nodeid import NodeId
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import Engine

from tarif.api.app import create_app
from tarif.clock import FixedClock
from tarif.config import Settings
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tarif.tenancy.service import create_organization, create_user
from tests.conftest import START

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "browser tests only"
ORGANIZATION_NAME = "Atelier Lumière SAS"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Makes `--dist loadgroup` keep an `xdist_group` on one worker (one server, one browser).

    The scheduler groups tests by an `@<group>` suffix on their node ids. pytest-xdist 3.8 writes
    it to `item._nodeid`, which pytest 9 no longer reads (ids live in `item._id`), so the groups
    were silently ignored; this puts the suffix where pytest reads it, once.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = NodeId.parse(item.nodeid + suffix)


@dataclass(frozen=True)
class LiveServer:
    url: str
    organization_id: str
    email: str
    password: str


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; uvicorn serves on this socket
    return sock


@pytest.fixture(scope="session")
def live_server(engine: Engine, database_url: str) -> Iterator[LiveServer]:
    clock = FixedClock(START)
    with session_factory(engine)() as session:
        org, _ = create_organization(session, clock, ORGANIZATION_NAME)
        email = f"admin-{uuid.uuid4().hex[:10]}@atelier-lumiere.fr"
        ctx = Ctx(session, org.id, Actor.system("test"), clock)
        create_user(ctx, email=email, name="Camille Roux", password=PASSWORD, role=Role.ADMIN)
        session.commit()
        organization_id = org.id

    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        secret_key="browser-tests",
        secure_cookies=False,
    )
    app = create_app(settings, clock=clock, engine=engine)
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn for the browser tests")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", organization_id, email, PASSWORD)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Debian's Chromium is missing ({CHROMIUM} not found): the browser tests need it. "
            "Run `make test` (it installs it) or `apt-get install chromium`; "
            "never `playwright install`.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def new_context(chromium: Browser, live_server: LiveServer) -> BrowserContext:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="fr-FR"
    )
    context.set_default_timeout(10_000)
    return context


def log_in(page: Page, live_server: LiveServer) -> None:
    page.fill("#email", live_server.email)
    page.fill("#password", live_server.password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")


@pytest.fixture(scope="session")
def signed_in(chromium: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """One signed-in browser for the whole run (logging in is tested on its own)."""
    context = new_context(chromium, live_server)
    page = context.new_page()
    page.goto("/login")
    log_in(page, live_server)
    page.close()
    yield context
    context.close()


@pytest.fixture
def page(signed_in: BrowserContext) -> Iterator[Page]:
    tab = signed_in.new_page()
    yield tab
    tab.close()


def screenshot(page: Page, name: str) -> Path:
    """Kept as a test artifact: test-artifacts/screenshots/<name>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
