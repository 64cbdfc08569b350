"""The embedded worker: `tarif serve` on SQLite runs jobs in a thread of the app, with nothing else
to start; the app built for tests has it off unless asked."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tarif.api.app import create_app
from tarif.clock import FixedClock
from tarif.config import Settings
from tarif.context import Actor, Ctx
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.jobs import service
from tarif.jobs.models import Job
from tarif.tenancy.service import create_organization
from tests.conftest import START
from tests.jobs.conftest import RUNS


def _embedded_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tarif-embedded-worker"]


def test_settings_turn_it_on_for_sqlite_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TARIF_EMBEDDED_WORKER", raising=False)
    monkeypatch.setenv("TARIF_SECRET_KEY", "k")
    monkeypatch.setenv("TARIF_DATABASE_URL", "sqlite:///var/x.db")
    assert Settings.from_env().embedded_worker is True
    monkeypatch.setenv("TARIF_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings.from_env().embedded_worker is False
    monkeypatch.setenv("TARIF_EMBEDDED_WORKER", "1")
    assert Settings.from_env().embedded_worker is True


def test_the_app_runs_jobs_in_a_thread_when_asked(tmp_path: Path, app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app):
        assert _embedded_threads() == []  # the tests' app: off

    # A database of its own, so the thread sees only this test's job.
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    clock = FixedClock(START)
    with session_factory(engine)() as session:
        org, _ = create_organization(session, clock, "Embedded SAS")
        ctx = Ctx(session, org.id, Actor.system("test"), clock)
        job = service.enqueue(ctx, "test.count", {})
        session.commit()
    settings = Settings(url, "127.0.0.1", 8000, "k", False, embedded_worker=True)
    with TestClient(create_app(settings, clock=clock, engine=engine)):
        assert len(_embedded_threads()) == 1
        for _ in range(200):  # waits for the thread, at most 20 s
            with Session(engine) as session:
                if session.get_one(Job, job.id).status == "done":
                    break
            threading.Event().wait(0.1)
    with Session(engine) as session:
        assert session.get_one(Job, job.id).status == "done"
    assert RUNS[job.id] == 1
    engine.dispose()
