import gc
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.api.app import create_app
from tarif.clock import FixedClock
from tarif.config import Settings


def test_healthz_answers_ok_with_the_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_lists_the_v1_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/organization" in paths
    assert "/v1/audit-events" in paths


def test_a_serving_app_tunes_the_collector_and_the_test_apps_do_not(
    settings: Settings, clock: FixedClock, engine: Engine
) -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's default, whatever the suite itself set
    try:
        with TestClient(create_app(settings, clock=clock, engine=engine)):
            assert gc.get_threshold() == (700, 10, 10)  # tests build apps with `tune_gc` off
        served = replace(settings, tune_gc=True)
        with TestClient(create_app(served, clock=clock, engine=engine)):
            assert gc.get_threshold() == (10_000, 10, 10)
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)


def test_the_environment_turns_the_tuning_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARIF_DATABASE_URL", "sqlite:///unused.db")
    monkeypatch.setenv("TARIF_SECRET_KEY", "k")
    assert Settings.from_env().tune_gc is True
    monkeypatch.setenv("TARIF_TUNE_GC", "0")
    assert Settings.from_env().tune_gc is False
