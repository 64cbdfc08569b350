"""Finalizing a whole run from its page, or at once from the run form (the back office speaks
French; clock: 15 Jan 2026)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.db.repository import PageRequest
from tarif.invoicing import service
from tarif.jobs import service as jobs
from tests.invoicing.test_web import Run, bill, contract_id, error_of, post, run, text
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "contract_id", "make_user", "run"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


def test_the_run_page_finalizes_every_draft_of_the_run(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    made = bill(admin, as_of="2026-02-01")
    url = made.headers["location"]
    page = text(admin.get(url).text)
    assert "Émettre tous les brouillons de cette facturation" in page
    done = post(admin, f"{url}/finalize", page)
    assert done.status_code == 303 and done.headers["location"] == url
    page = text(admin.get(url).text)
    assert 'id="finalize-run"' not in page  # nothing left to finalize
    numbers = run(
        lambda ctx: sorted(
            i.number or "" for i in service.list_invoices(ctx, PageRequest(limit=10)).items
        )
    )
    # 15 Jan (399 × 17/31) then 1 Feb (399.00), numbered in billing order
    assert numbers == ["F-2026-000001", "F-2026-000002"]


def test_a_run_from_the_form_finalizes_at_once_when_asked(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    form = admin.get("/billing-runs").text
    assert 'id="f-finalize"' in form and 'id="f-dry_run"' in form
    made = bill(admin, as_of="2026-02-01", finalize="on")
    page = text(admin.get(made.headers["location"]).text)
    assert 'id="finalize-run"' not in page  # nothing left to finalize
    numbers = run(
        lambda ctx: sorted(
            i.number or "" for i in service.list_invoices(ctx, PageRequest(limit=10)).items
        )
    )
    # 15 Jan (399 × 17/31) then 1 Feb (399.00), numbered in billing order by the run itself
    assert numbers == ["F-2026-000001", "F-2026-000002"]


def test_a_dry_run_asked_to_finalize_is_refused_beside_the_box(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    refused = bill(admin, as_of="2026-02-01", dry_run="on", finalize="on")
    assert refused.status_code == 422
    assert error_of(refused.text, "finalize") == (
        "a dry run writes nothing, so nothing can be finalized: drop one of the two"
    )
    assert 'id="f-finalize" checked' in refused.text  # the form keeps what was ticked
    assert run(lambda ctx: service.list_invoices(ctx, PageRequest()).items) == []


def test_a_run_queued_from_the_form_keeps_the_finalize_choice(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    queued = bill(admin, as_of="2026-02-01", finalize="on", background="on")
    assert queued.status_code == 303 and queued.headers["location"].startswith("/jobs/")
    job_id = queued.headers["location"].removeprefix("/jobs/")
    payload = run(lambda ctx: jobs.get_job(ctx, job_id).payload)
    assert payload["finalize"] is True
