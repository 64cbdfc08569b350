"""Invoice list filters (billing period, overdue): service, API, CLI and page.

The hosting contract (399.00 a month in advance from 15 Jan 2026) billed as of 1 Feb makes two
drafts: 15 Jan (the 17/31 part) and 1 Feb. The January one is finalized on 15 Jan with the
customer's 30 days: due 14 Feb, so on 20 Feb it is overdue and the February draft is not.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.invoicing import service
from tests.contracts.conftest import build_world
from tests.invoicing.conftest import FEB_1, hosting_contract
from tests.invoicing.test_invoice_cli import run as cli_run  # noqa: F401 - fixture
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user"]
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def two_invoices(ctx: Ctx, clock: FixedClock) -> tuple[str, str]:
    """(January invoice, finalized, overdue from 15 Feb; February draft); clock on 20 Feb."""
    hosting_contract(build_world(ctx))
    january, february = service.run_billing(ctx, FEB_1).invoices
    assert january.invoice_id and february.invoice_id
    finalized = service.finalize_invoice(ctx, january.invoice_id)
    assert finalized.due_date == date(2026, 2, 14)  # 15 Jan + 30 days
    ctx.session.commit()
    clock.advance(timedelta(days=36))  # 15 Jan 09:30 -> 20 Feb 09:30
    return january.invoice_id, february.invoice_id


def ids(ctx: Ctx, **filters: Any) -> list[str]:
    return [i.id for i in service.list_invoices(ctx, PageRequest(limit=10), **filters).items]


def test_service_filters_by_billing_date_and_overdue(
    ctx: Ctx, two_invoices: tuple[str, str]
) -> None:
    january, february = two_invoices
    assert ids(ctx, billed_from=FEB_1) == [february]
    assert ids(ctx, billed_to=date(2026, 1, 31)) == [january]
    assert ids(ctx, billed_from=date(2026, 1, 15), billed_to=FEB_1) == [january, february]
    assert ids(ctx, overdue=True) == [january]
    assert ids(ctx, overdue=False) == [february]
    with pytest.raises(InvalidInput) as refused:
        ids(ctx, billed_from=FEB_1, billed_to=date(2026, 1, 31))
    assert refused.value.errors[0].field == "billed_to"


def test_api_filters_and_names_the_bad_field(
    api: TestClient, two_invoices: tuple[str, str]
) -> None:
    january, february = two_invoices
    overdue = api.get("/v1/invoices", params={"overdue": "true"}).json()["data"]
    assert [(i["id"], i["overdue"]) for i in overdue] == [(january, True)]
    february_only = api.get("/v1/invoices", params={"billed_from": "2026-02-01"}).json()["data"]
    assert [i["id"] for i in february_only] == [february]
    bad = api.get("/v1/invoices", params={"billed_from": "2026-02-01", "billed_to": "2026-01-01"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in bad.json()["errors"]] == ["billed_to"]


def test_cli_lists_overdue_invoices(cli_run, two_invoices: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    january, _ = two_invoices
    # The CLI's clock is START (15 Jan): nothing is overdue yet that day.
    listed = cli_run("invoices", "list", "--overdue", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []
    in_january = cli_run("invoices", "list", "--to", "2026-01-31", "--json")
    assert [i["id"] for i in json.loads(in_january.stdout)] == [january]
    backwards = cli_run("invoices", "list", "--from", "2026-02-01", "--to", "2026-01-01")
    assert backwards.exit_code != 0
    assert "billed_to" in backwards.output


def test_page_filters_overdue_and_shows_the_badge(
    admin: TestClient, two_invoices: tuple[str, str]
) -> None:
    january, february = two_invoices
    page = admin.get("/invoices", params={"overdue": "1"}).text
    assert january in page and february not in page
    assert "En retard" in page  # the overdue badge, in French
    everything = admin.get("/invoices").text
    assert january in everything and february in everything
    bad = admin.get("/invoices", params={"billed_from": "2026-02-01", "billed_to": "2026-01-01"})
    assert bad.status_code == 200
    assert 'data-field="billed_to"' in bad.text
