"""Customer list reads through the whole API stack, against the database's own raw read rate.

The raw figure (the same page read with one SQL statement, no HTTP, no ORM objects) is the
ceiling: the gap between the two rows is what Tarif's layers cost.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from tarif.api.app import create_app
from tarif.clock import SystemClock
from tarif.config import Settings
from tarif.context import Actor, Ctx
from tarif.customers import service as customers
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.tenancy.service import create_organization

CUSTOMERS = 2_000
PAGE = 100
REQUESTS = 300


def run() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        metadata.create_all(engine)
        factory = session_factory(engine)
        clock = SystemClock()
        with factory() as session:
            org, key = create_organization(session, clock, "Bench SAS")
            ctx = Ctx(session, org.id, Actor.system("bench"), clock)
            for i in range(CUSTOMERS):
                customers.create_customer(
                    ctx,
                    {"legal_name": f"Client {i:05d}", "external_id": f"C{i:05d}", "country": "FR"},
                )
            session.commit()

        app = create_app(Settings(url, "127.0.0.1", 0, "bench", False), engine=engine)
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {key.secret}"
            started = time.perf_counter()
            for _ in range(REQUESTS):
                response = client.get("/v1/customers", params={"limit": PAGE})
                assert response.status_code == 200
            api_seconds = time.perf_counter() - started

        with engine.connect() as conn:
            started = time.perf_counter()
            for _ in range(REQUESTS):
                conn.execute(
                    text("SELECT * FROM customers WHERE organization_id = :o ORDER BY id LIMIT :n"),
                    {"o": org.id, "n": PAGE},
                ).fetchall()
            raw_seconds = time.perf_counter() - started
        engine.dispose()

    return [
        f"| GET /v1/customers?limit={PAGE} (SQLite, in-process) | "
        f"{REQUESTS / api_seconds:,.0f} requests/s | {PAGE * REQUESTS / api_seconds:,.0f} rows/s |",
        f"| raw SELECT of the same page (SQLite, same run) | "
        f"{REQUESTS / raw_seconds:,.0f} queries/s | {PAGE * REQUESTS / raw_seconds:,.0f} rows/s |",
    ]
