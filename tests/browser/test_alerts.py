"""Usage alerts in a real browser: on a contract's usage triggers page, decreasing levels
refused beside their box, then a quota of 100,000 at 80 % and 100 % added and listed.

The live server's clock reads 15 Jan 2026.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_triggers import contract_id

__all__ = ["contract_id"]  # fixture
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_add_a_usage_alert(page: Page, contract_id: str) -> None:
    assert (response := page.goto(f"/contracts/{contract_id}/triggers")) is not None
    assert response.ok
    form = page.locator("#alert-form")
    form.locator('select[name="measure"]').select_option("quantity")
    form.locator('input[name="limit"]').fill("100000")
    form.locator('input[name="levels"]').fill("100, 80")
    form.locator("button[type=submit]").click()
    expect(page.locator('#alert-form [data-field="levels"]')).to_have_text(
        "levels.1: levels must increase"
    )
    expect(page.locator('#alert-form input[name="limit"]')).to_have_value("100000")
    page.locator('#alert-form input[name="levels"]').fill("80, 100")
    page.locator("#add-alert").click()
    page.wait_for_url(re.compile(r"/triggers\?alert=added"))
    row = page.locator("#alerts tbody tr[data-alert-id]")
    expect(row).to_have_count(1)
    expect(row.locator("td.levels")).to_have_text("80 %, 100 %")
    expect(row.locator("td.num")).to_have_text("100000")
    screenshot(page, "usage-alerts")
