"""Finalizing a whole run from its page (the back office speaks French; clock: 15 Jan 2026)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.db.repository import PageRequest
from tarif.invoicing import service
from tests.invoicing.test_web import Run, bill, contract_id, post, run, text
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
