"""Contracts in a real browser: a template is made, a contract created from it (after a missing
parameter is shown inline), submitted, activated, then amended with an effective date; the new
version shows in the timeline with its diff.

The live server's clock reads 15 Jan 2026.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Engine

from tarif.catalog import service as catalog
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.customers import service as customers
from tarif.db.session import session_factory
from tests.browser.conftest import LiveServer, screenshot
from tests.conftest import START

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def field(page: Page, name: str) -> Locator:
    # Ids hold dots (`f-lines.0.quantity`): an attribute selector reads them as they are.
    return page.locator(f'[id="f-{name}"]')


def fill(page: Page, name: str, value: str) -> None:
    box = field(page, name)
    if box.evaluate("element => element.tagName") == "SELECT":
        box.select_option(value)
    else:
        box.fill(value)


@pytest.fixture
def seeded(engine: Engine, live_server: LiveServer) -> tuple[str, str, str]:
    """A customer and a product of the live server's organization: (customer id, its name,
    product code), unique to this run."""
    suffix = uuid.uuid4().hex[:6]
    with session_factory(engine)() as session:
        ctx = Ctx(session, live_server.organization_id, Actor.system("test"), FixedClock(START))
        customer = customers.create_customer(
            ctx, {"legal_name": f"Studio Lumen {suffix}", "country": "FR"}
        )
        code = f"seat-{suffix}"
        catalog.create_product(ctx, {"code": code, "name_fr": "Poste", "kind": "recurring"})
        session.commit()
        return customer.id, customer.legal_name, code


def test_create_a_contract_from_a_template_then_amend_it(
    page: Page, seeded: tuple[str, str, str]
) -> None:
    customer_id, customer_name, code = seeded
    reference = f"WEB-{uuid.uuid4().hex[:6].upper()}"

    # A template with a typed parameter: seats, at a negotiated 49.00 each per month.
    assert (response := page.goto("/contract-templates/new")) is not None and response.ok
    fill(page, "name", f"Postes {code}")
    fill(page, "parameters.1.name", "seats")
    fill(page, "parameters.1.type", "int")
    fill(page, "lines.0.line_key", "seats")
    fill(page, "lines.0.product", code)
    fill(page, "lines.0.quantity", "{seats}")
    fill(page, "lines.0.periodicity", "monthly")
    fill(page, "lines.0.unit_price", "49.00")
    screenshot(page, "contract-template-new")
    page.locator("#save-template").click()
    page.wait_for_url(re.compile(r"/contract-templates/tpl_\w+\?saved=1$"))
    expect(page.locator("#template-parameters")).to_contain_text("seats")
    screenshot(page, "contract-template")

    # From the template: the missing parameter is shown beside its box, the rest is kept.
    page.locator("#instantiate-template").click()
    fill(page, "customer_id", customer_id)
    fill(page, "reference", reference)
    fill(page, "parameters.start_date", "2026-01-15")
    page.locator("#instantiate").click()
    expect(page.locator('[data-field="parameters.seats"]')).to_be_visible()
    expect(field(page, "reference")).to_have_value(reference)
    screenshot(page, "contract-instantiate-error")
    fill(page, "parameters.seats", "5")
    page.locator("#instantiate").click()
    page.wait_for_url(re.compile(r"/contracts/ctr_\w+\?saved=1$"))
    expect(page.locator("main h1")).to_contain_text(reference)
    expect(page.locator('[data-contract-status="draft"]').first).to_be_visible()
    expect(page.locator("#contract-lines [data-field-value=quantity]")).to_have_text("5")
    screenshot(page, "contract-draft")

    # Submitted and activated with the buttons the status allows.
    page.locator("#action-submit").click()
    expect(page.locator("#action-activate")).to_be_visible()
    page.locator("#action-activate").click()
    expect(page.locator('h1 [data-contract-status="active"]')).to_be_visible()
    contract_url = page.url.split("?")[0].split("#")[0]

    # Amended from 1 February: 5 seats become 8; scheduled, so version 2 is projected.
    page.locator("#amend-contract").click()
    fill(page, "effective_date", "2026-02-01")
    fill(page, "reason", "Three more seats")
    field(page, "change_quantity.enabled").check()
    fill(page, "change_quantity.line_key", "seats")
    fill(page, "change_quantity.quantity", "8")
    screenshot(page, "contract-amend")
    page.locator("#schedule-amendment").click()
    page.wait_for_url(re.compile(re.escape(contract_url) + r"#timeline$"))
    version = page.locator('#contract-timeline tr[data-version="2"]')
    expect(version).to_contain_text("line seats: quantity 5 → 8")
    expect(version).to_contain_text("01/02/2026")
    expect(version).to_have_attribute("data-status", "scheduled")
    expect(page.locator("#waiting-amendments")).to_contain_text("Three more seats")
    screenshot(page, "contract-timeline")

    # As of 1 February the contract reads version 2; the list shows it with its customer.
    page.goto(f"{contract_url}?as_of=2026-02-01")
    expect(page.locator("#as-of-banner")).to_contain_text("2")
    expect(page.locator("#contract-lines [data-field-value=quantity]")).to_have_text("8")
    screenshot(page, "contract-as-of")
    page.goto("/contracts")
    expect(page.locator("#contracts tr", has_text=reference)).to_contain_text(customer_name)
    screenshot(page, "contracts")


def test_a_bad_quantity_on_a_new_contract_is_shown_on_its_line(
    page: Page, seeded: tuple[str, str, str], engine: Engine, live_server: LiveServer
) -> None:
    customer_id, _name, code = seeded
    with session_factory(engine)() as session:
        ctx = Ctx(session, live_server.organization_id, Actor.system("test"), FixedClock(START))
        product = catalog.get_product_by_code(ctx, code)
    assert (response := page.goto("/contracts/new")) is not None and response.ok
    fill(page, "customer_id", customer_id)
    fill(page, "reference", f"NEW-{uuid.uuid4().hex[:6].upper()}")
    fill(page, "lines.0.product_id", product.id)
    fill(page, "lines.0.quantity", "0")
    fill(page, "lines.0.unit_price", "49.00")
    page.locator("#save-contract").click()
    error = page.locator('[data-field="lines.0.quantity"]')
    expect(error).to_have_text("must be greater than 0")
    expect(field(page, "lines.0.unit_price")).to_have_value("49.00")
    screenshot(page, "contract-new-error")
    fill(page, "lines.0.quantity", "2")
    page.locator("#save-contract").click()
    page.wait_for_url(re.compile(r"/contracts/ctr_\w+\?saved=1$"))
    expect(page.locator("#contract-lines [data-field-value=quantity]")).to_have_text("2")


def test_a_draft_is_edited_in_place_then_deleted(
    page: Page, seeded: tuple[str, str, str], engine: Engine, live_server: LiveServer
) -> None:
    customer_id, customer_name, code = seeded
    reference = f"DRAFT-{uuid.uuid4().hex[:6].upper()}"
    with session_factory(engine)() as session:
        ctx = Ctx(session, live_server.organization_id, Actor.system("test"), FixedClock(START))
        product = catalog.get_product_by_code(ctx, code)
    assert (response := page.goto("/contracts/new")) is not None and response.ok
    fill(page, "customer_id", customer_id)
    fill(page, "reference", reference)
    fill(page, "lines.0.product_id", product.id)
    fill(page, "lines.0.unit_price", "49.00")
    page.locator("#save-contract").click()
    page.wait_for_url(re.compile(r"/contracts/ctr_\w+\?saved=1$"))
    contract_url = page.url.split("?")[0]

    # The header: a last day covered; the form comes back filled with it.
    page.locator("#edit-contract").click()
    expect(field(page, "reference")).to_have_value(reference)
    fill(page, "end_date", "2026-12-31")
    screenshot(page, "contract-draft-edit")
    page.locator("#save-contract").click()
    page.wait_for_url(re.compile(re.escape(contract_url) + r"\?saved=1$"))
    expect(page.locator("[data-field-value=end_date]")).to_have_text("31/12/2026")

    # A line: 3 seats; a quantity of 0 is refused beside its box first.
    page.locator(f"#edit-line-{code}").click()
    fill(page, "quantity", "0")
    page.locator("#save-line").click()
    expect(page.locator('[data-field="quantity"]')).to_have_text("must be greater than 0")
    fill(page, "quantity", "3")
    page.locator("#save-line").click()
    expect(page.locator("#contract-lines [data-field-value=quantity]")).to_have_text("3")
    screenshot(page, "contract-draft-edited")

    # Deleted after its confirmation page.
    page.locator("#delete-contract").click()
    expect(page.locator("main")).to_contain_text(customer_name)
    screenshot(page, "contract-draft-delete")
    page.locator("#confirm").click()
    page.wait_for_url(re.compile(r"/contracts\?status=draft$"))
    expect(page.locator("#contracts")).not_to_contain_text(reference)
