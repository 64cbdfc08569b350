"""The application factory: one wiring for production, the demo and the tests."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, text
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

import tarif
from tarif.api.hygiene import RefuseNulMiddleware
from tarif.api.idempotency import IdempotencyMiddleware
from tarif.api.problems import PROBLEM_TYPES, install_problem_handlers
from tarif.clock import Clock, SystemClock
from tarif.config import Settings, mail_settings
from tarif.db.session import engine_for, session_factory

API_DESCRIPTION = """
Tarif's REST API. Authenticate with `Authorization: Bearer <API key>`.

* Amounts and quantities are JSON **strings** (`"12.50"`), never numbers.
* Errors are RFC 9457 `application/problem+json`; `errors` names each bad field.
* Every POST accepts an `Idempotency-Key` header (kept 24 hours).
* Lists use cursor pagination: `limit`, then `starting_after=<next_cursor>`.
"""


def tune_garbage_collector() -> None:
    """For a serving process, once started. Python's cycle collector runs after every 700 new
    objects by default and walks every object still alive each time it reaches the oldest
    generation: a batch of 1,000 events makes tens of thousands of objects, and collections
    took a sixth of the server's time on such batches. What the process loaded at start (code,
    metadata, settings) is moved out of the collector's reach (`gc.freeze`: never garbage) and
    it runs after 10,000 new objects; cycles are still collected."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    settings = settings or Settings.from_env()
    mail_settings()  # a bad TARIF_SMTP_URL stops the start, not a finalization later
    engine = engine or engine_for(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = None
        if settings.embedded_worker:
            from tarif.jobs.worker import start_embedded

            stop = start_embedded(app.state.session_factory, app.state.clock)
        if settings.tune_gc:
            tune_garbage_collector()
        yield
        if stop is not None:
            stop.set()

    app = FastAPI(
        lifespan=lifespan,
        title="Tarif API",
        version=tarif.__version__,
        description=API_DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.clock = clock or SystemClock()

    install_problem_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="tarif_session",
        same_site="lax",
        https_only=settings.secure_cookies,
        max_age=12 * 3600,
    )
    app.add_middleware(RefuseNulMiddleware)  # outermost: before sessions and idempotency

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": tarif.__version__}

    @app.get("/problems/{slug}", tags=["meta"], response_class=HTMLResponse)
    def problem_doc(slug: str) -> HTMLResponse:
        description = PROBLEM_TYPES.get(slug)
        if description is None:
            return HTMLResponse("<p>Unknown problem type.</p>", status_code=404)
        return HTMLResponse(f"<h1>{slug}</h1><p>{description}</p>")

    from tarif.api.routers import include_routers

    include_routers(app)
    app.mount("/static", StaticFiles(packages=[("tarif.web", "static")]), name="static")
    return app
