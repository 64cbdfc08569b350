"""Customers in a real browser: a bad VAT number is shown inline, fixed, saved, then found."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NAME = "Boulangerie Martin SARL"
# Valid: key = (12 + 3 × (404833048 mod 97)) mod 97 = 83. Invalid: the same number with key 00.
GOOD_VAT = "FR83404833048"
BAD_VAT = "FR00404833048"


def fill(page: Page, name: str, value: str) -> None:
    """Fills a form field by the back office's convention: id `f-<name>`, input or select."""
    field = page.locator(f"#f-{name}")
    if field.evaluate("element => element.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def submit(page: Page, field_name: str) -> None:
    """Submits the form holding that field (the layout has other forms, e.g. logging out)."""
    page.locator("main form", has=page.locator(f"#f-{field_name}")).locator(
        "button[type=submit]"
    ).first.click()


def test_create_a_customer_with_a_bad_vat_number_fix_it_and_find_it(page: Page) -> None:
    response = page.goto("/customers/new")
    assert response is not None and response.ok
    screenshot(page, "customer-new")

    fill(page, "legal_name", NAME)
    fill(page, "country", "FR")
    fill(page, "vat_number", BAD_VAT)
    submit(page, "legal_name")

    error = page.locator('[data-field="vat_number"]')
    expect(error).to_be_visible()
    expect(page.locator("#f-vat_number")).to_have_value(BAD_VAT)
    expect(page.locator("#f-legal_name")).to_have_value(NAME)
    screenshot(page, "customer-new-error")

    fill(page, "vat_number", GOOD_VAT)
    submit(page, "legal_name")
    page.wait_for_url(re.compile(r"/customers/cus_\w+(\?.*)?$"))
    expect(page.locator("main")).to_contain_text(NAME)
    expect(page.locator("main")).to_contain_text(GOOD_VAT)
    expect(page.locator('[data-field="vat_number"]')).to_have_count(0)
    screenshot(page, "customer-detail")

    customer_path = urlsplit(page.url).path
    response = page.goto(f"{customer_path}/edit")
    assert response is not None and response.ok
    expect(page.locator("#f-legal_name")).to_have_value(NAME)
    screenshot(page, "customer-edit")

    page.goto("/customers")
    page.fill("main input[name=q]", "boulangerie")
    page.press("main input[name=q]", "Enter")
    row = page.locator("main table tr", has_text=NAME)
    expect(row).to_be_visible()
    expect(row.locator(f"a[href='{customer_path}']").first).to_be_visible()
    screenshot(page, "customers")
