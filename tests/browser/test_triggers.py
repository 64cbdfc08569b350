"""Usage triggers in a real browser: from the contract page to its triggers, a decreasing
threshold refused beside its box, then €500, €1,000 and every €1,000 saved and read back as
levels.

The live server's clock reads 15 Jan 2026.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from tarif.catalog import service as catalog
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import ContractCreate, parse
from tarif.customers import service as customers
from tarif.db.session import session_factory
from tests.browser.conftest import LiveServer, screenshot
from tests.conftest import START
from tests.triggers.conftest import CHARGE

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def contract_id(engine: Engine, live_server: LiveServer) -> str:
    """A draft with one usage line, `calls-<suffix>`, unique to this run."""
    suffix = uuid.uuid4().hex[:6]
    with session_factory(engine)() as session:
        ctx = Ctx(session, live_server.organization_id, Actor.system("test"), FixedClock(START))
        customer = customers.create_customer(
            ctx, {"legal_name": f"Studio Onde {suffix}", "country": "FR"}
        )
        product = catalog.create_product(
            ctx, {"code": f"calls-{suffix}", "name_fr": "Appels", "kind": "usage"}
        )
        values = {
            "customer_id": customer.id,
            "reference": f"USE-{suffix.upper()}",
            "start_date": "2026-01-01",
            "lines": [{"product_id": product.id, "charge": CHARGE}],
        }
        contract = contracts.create_contract(ctx, data=parse(ContractCreate, values))
        session.commit()
        return contract.id


def test_set_a_threshold_trigger_from_the_contract_page(page: Page, contract_id: str) -> None:
    assert (response := page.goto(f"/contracts/{contract_id}")) is not None and response.ok
    page.locator("#contract-triggers").click()
    page.wait_for_url(re.compile(rf"/contracts/{contract_id}/triggers$"))
    form = page.locator("form.trigger-form")
    expect(form).to_have_count(1)
    form.locator('select[name="kind"]').select_option("threshold")
    form.locator('input[name="thresholds.0"]').fill("1000")
    form.locator('input[name="thresholds.1"]').fill("500")
    form.locator("button[type=submit]").click()
    expect(page.locator('[data-field="thresholds.1"]')).to_have_text("must be increasing")
    expect(page.locator('input[name="thresholds.0"]')).to_have_value("1000")
    screenshot(page, "usage-triggers-error")

    page.locator('input[name="thresholds.0"]').fill("500")
    page.locator('input[name="thresholds.1"]').fill("1000")
    page.locator('input[name="every"]').fill("1000")
    page.locator("form.trigger-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/triggers\?saved="))
    # 500, 1,000, then every 1,000: 2,000, 3,000, 4,000
    expect(page.locator("section.usage-line .levels")).to_have_text(
        "500,00 €, 1 000,00 €, 2 000,00 €, 3 000,00 €, 4 000,00 €…"
    )
    expect(page.locator('select[name="kind"]')).to_have_value("threshold")
    screenshot(page, "usage-triggers")
