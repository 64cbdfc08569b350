"""Invoices in a real browser: a billing run started from its page shows its progress, then its
invoices; the invoice page explains its amount and previews its PDF; it is finalized and a
partial credit note is issued from its form.

The live server's clock reads 15 Jan 2026. The contract: 399.00 a month in advance, calendar
aligned, from 15 Jan 2026, so the first invoice bills 15-31 Jan: 399 × 17/31 = 218.81 net,
VAT 20 % 43.76, gross 262.57.
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
from tarif.tenancy.models import Organization
from tests.browser.conftest import LiveServer, screenshot
from tests.conftest import START

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def customer_name(engine: Engine, live_server: LiveServer) -> str:
    """A customer with a running 399.00 monthly contract, unique to this run; the organization
    gets the legal identity its invoices print."""
    suffix = uuid.uuid4().hex[:6]
    with session_factory(engine)() as session:
        ctx = Ctx(session, live_server.organization_id, Actor.system("test"), FixedClock(START))
        org = session.get_one(Organization, live_server.organization_id)
        org.siren, org.vat_number = "404833048", "FR83404833048"  # as test_shell saves
        org.address_line1, org.postal_code, org.city = "3 rue des Lilas", "69001", "Lyon"
        customer = customers.create_customer(
            ctx, {"legal_name": f"Boulangerie Lumen {suffix}", "country": "FR"}
        )
        product = catalog.create_product(
            ctx, {"code": f"hosting-{suffix}", "name_fr": "Hébergement", "kind": "recurring"}
        )
        data = {
            "customer_id": customer.id,
            "reference": f"INV-{suffix.upper()}",
            "start_date": "2026-01-15",
            "billing_alignment": "calendar",
            "lines": [
                {
                    "product_id": product.id,
                    "unit_price": "399.00",
                    "periodicity": "monthly",
                    "timing": "in_advance",
                    "description": "Hébergement",
                }
            ],
        }
        contract = contracts.create_contract(ctx, data=parse(ContractCreate, data))
        contracts.submit(ctx, contract.id)
        contracts.activate(ctx, contract.id)
        session.commit()
        return customer.legal_name


def test_bill_from_the_page_then_finalize_and_credit_an_invoice(
    page: Page, customer_name: str
) -> None:
    assert (response := page.goto("/billing-runs")) is not None and response.ok
    page.locator("#f-as_of").fill("2026-01-15")
    page.locator("#run-form button[type=submit]").click()
    # The progress page polls the run, then moves to the run's own page.
    page.wait_for_url(re.compile(r"/billing-runs/run_\w+$"), timeout=20_000)
    row = page.locator("#invoice-rows tr", has_text=customer_name)
    expect(row).to_contain_text("262,57")
    screenshot(page, "billing-run")

    row.locator("a").first.click()
    page.wait_for_url(re.compile(r"/invoices/inv_\w+$"))
    expect(page.locator("#totals")).to_contain_text("218,81")
    expect(page.locator("#explain a[href^='/contracts/ctr_']")).to_have_count(1)
    expect(page.locator("#lines")).to_contain_text("15/01/2026")
    expect(page.locator("#pdf-preview")).to_be_attached()
    screenshot(page, "invoice-draft")

    page.locator("#finalize").click()
    expect(page.locator("#invoice-status")).to_contain_text("Émise")
    expect(page.locator("#invoice-number")).to_have_text(re.compile(r"F-2026-\d{6}"))
    screenshot(page, "invoice-finalized")

    # A partial credit of 50.00 gross, kept on the customer's balance: the invoice's amount due
    # falls first (it is unpaid), so 262.57 - 50.00 = 212.57 stays due.
    page.locator("#new-credit-note").click()
    page.locator("#f-amount").fill("50.00")
    page.locator("#f-reason").fill("Interruption de service")
    screenshot(page, "credit-note-form")
    page.locator("#issue-credit-note").click()
    expect(page.locator("#credit-note-number")).to_have_text(re.compile(r"AV-2026-\d{6}"))
    expect(page.locator("#reason")).to_have_text("Interruption de service")
    screenshot(page, "credit-note")
    page.locator("#corrected-invoice").click()
    expect(page.locator("main")).to_contain_text("212,57")
