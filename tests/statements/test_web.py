"""Statement pages and the usage part of the invoice page (the seed case billed on 1 Feb 2026;
pages in French, the organization's language)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tarif.context import Ctx
from tarif.invoicing.models import InvoiceLine
from tests.contracts.conftest import World
from tests.statements.conftest import seed_invoice
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user"]
pytestmark = pytest.mark.usefixtures("fast_argon2")
TOTAL = re.compile(r'id="statement-total">\s*<dt>Total de la consommation</dt><dd>1 300,00 €')


@pytest.fixture
def seeded(ctx: Ctx, world: World) -> tuple[World, str]:
    invoice = seed_invoice(world)
    ctx.session.commit()
    return world, invoice.id


def page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.text
    return html.unescape(response.text).replace("\u202f", " ").replace("\u00a0", " ")


def test_the_invoice_page_links_its_statement_and_explains_usage(
    seeded: tuple[World, str], admin: TestClient, ctx: Ctx
) -> None:
    world, invoice_id = seeded
    text = page(admin.get(f"/invoices/{invoice_id}"))
    assert f'id="consumption-statement" href="/invoices/{invoice_id}/statement"' in text
    # the fixed line has no usage block; the two usage lines (positions 2 and 3) have one each
    assert re.findall(r'id="usage-explain-(\d+)"', text) == ["2", "3"]
    contract_id = ctx.session.scalar(
        select(InvoiceLine.contract_id).where(
            InvoiceLine.invoice_id == invoice_id, InvoiceLine.position == 2
        )
    )
    # filtered by the contract too: a customer's contracts on one metric each count their own
    events_page = (
        f"/events?customer={world.customer.external_id}&contract={contract_id}&metric=turnover"
        "&first_day=2026-01-01&last_day=2026-01-31"
    )
    assert text.count(f'class="events-page" href="{events_page}"') == 2
    listed = page(admin.get(events_page))
    assert listed.count("<tr data-event-id=") == 50  # the first page of the 1,200 events
    assert text.count('<span class="event-count">1200</span>') == 2
    assert re.findall(r'class="revision">(\d)', text) == ["1", "1"]


def test_the_invoice_statement_page_and_its_downloads(
    seeded: tuple[World, str], admin: TestClient
) -> None:
    _, invoice_id = seeded
    text = page(admin.get(f"/invoices/{invoice_id}/statement?group_by=metric,day"))
    assert "Relevé de consommation" in text
    # 31 days for each of the two lines
    assert text.count("<td>2026-01-") == 62
    # 1,000.00 + 300.00
    assert TOTAL.search(text)
    assert f'href="/invoices/{invoice_id}/statement?group_by=metric%2Cday&amp;format=csv"' in (
        admin.get(f"/invoices/{invoice_id}/statement?group_by=metric,day").text
    )
    csv = admin.get(f"/invoices/{invoice_id}/statement?group_by=month&format=csv")
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.text.splitlines()[1].endswith(",2026-01,50000,1200,0.02,1000.00")
    pdf = admin.get(f"/invoices/{invoice_id}/statement?format=pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")


def test_a_bad_group_by_is_shown_inline(seeded: tuple[World, str], admin: TestClient) -> None:
    _, invoice_id = seeded
    text = page(admin.get(f"/invoices/{invoice_id}/statement?group_by=day,month"), 422)
    assert re.search(r'data-field="group_by">day and month cannot both be asked', text)


def test_the_customer_statement_page(seeded: tuple[World, str], admin: TestClient) -> None:
    world, _ = seeded
    customer_page = page(admin.get(f"/customers/{world.customer.id}"))
    url = f"/customers/{world.customer.id}/statement"
    assert f'id="consumption-statement" href="{url}"' in customer_page
    form = page(admin.get(url))
    assert 'id="statement-form"' in form and "statement-total" not in form
    shown = page(admin.get(url, params={"from": "2026-01-01", "to": "2026-02-01"}))
    assert TOTAL.search(shown)
    backwards = page(admin.get(url, params={"from": "2026-02-01", "to": "2026-01-01"}), 422)
    assert re.search(r'data-field="to">must be after from', backwards)


def test_another_organizations_statements_are_not_found(
    seeded: tuple[World, str], browser: TestClient, make_tenant: Any, engine: Any, clock: Any
) -> None:
    world, invoice_id = seeded
    from tarif.context import Actor
    from tarif.db.session import session_factory
    from tarif.tenancy.rules import Role
    from tarif.tenancy.service import create_user
    from tests.web.conftest import PASSWORD, WebUser, log_in

    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        ctx = Ctx(session, other.id, Actor.system("test"), clock)
        create_user(ctx, email="x@other.example", name="X", password=PASSWORD, role=Role.ADMIN)
        session.commit()
    log_in(browser, WebUser("x@other.example", PASSWORD, Role.ADMIN))
    assert browser.get(f"/invoices/{invoice_id}/statement").status_code == 404
    assert browser.get(f"/customers/{world.customer.id}/statement").status_code == 404
