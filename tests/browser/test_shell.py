"""The back-office shell in a real browser: login, dashboard, settings, API keys, languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ORGANIZATION_NAME, LiveServer, log_in, new_context, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# A valid French VAT number: key = (12 + 3 × (404833048 mod 97)) mod 97 = 83.
GOOD_VAT = "FR83404833048"
BAD_VAT = "FR00404833048"


def test_log_in_and_land_on_the_page_asked_for(chromium: Browser, live_server: LiveServer) -> None:
    context = new_context(chromium, live_server)
    page = context.new_page()
    try:
        page.goto("/settings")
        expect(page).to_have_url(f"{live_server.url}/login?next=/settings")
        screenshot(page, "login")

        page.fill("#email", live_server.email)
        page.fill("#password", "not the password")
        page.click("form[action='/login'] button[type=submit]")
        expect(page.get_by_role("alert")).to_have_text("E-mail ou mot de passe incorrect")
        screenshot(page, "login-error")

        log_in(page, live_server)
        expect(page).to_have_url(f"{live_server.url}/settings")
        cookie = next(c for c in context.cookies() if c["name"] == "tarif_session")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
    finally:
        context.close()


def test_dashboard_shows_the_organization_and_every_room(page: Page) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_have_text(ORGANIZATION_NAME)
    nav = page.locator("nav.mainnav a")
    expect(nav).to_have_count(15)  # the rooms of tests/web/test_layout.py
    expect(nav.first).to_have_text("Clients")
    screenshot(page, "dashboard")


def test_settings_show_a_bad_vat_number_inline_then_save_the_fixed_one(page: Page) -> None:
    page.goto("/settings")
    screenshot(page, "settings")
    page.fill("#f-city", "Lyon")
    page.fill("#f-vat_number", BAD_VAT)
    page.click("form[action='/settings'] button[type=submit]")

    error = page.locator('p.error[data-field="vat_number"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("VAT")
    expect(page.locator("#f-vat_number")).to_have_value(BAD_VAT)
    expect(page.locator("#f-vat_number")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "settings-error")

    page.fill("#f-vat_number", GOOD_VAT)
    page.click("form[action='/settings'] button[type=submit]")
    expect(page.get_by_role("status")).to_have_text("Enregistré.")
    expect(page.locator('p.error[data-field="vat_number"]')).to_have_count(0)
    expect(page.locator("#f-vat_number")).to_have_value(GOOD_VAT)
    expect(page.locator("#f-city")).to_have_value("Lyon")
    screenshot(page, "settings-saved")


def test_api_key_secret_is_shown_once(page: Page) -> None:
    page.goto("/settings/api-keys")
    screenshot(page, "api-keys")
    page.fill("#f-name", "Export comptable")
    page.select_option("#f-role", "finance")
    page.click("form[action='/settings/api-keys'] button[type=submit]")

    secret = page.locator('[data-testid="new-key"]')
    expect(secret).to_have_text(re.compile(r"^tk_[\w-]{40,}$"))
    value = secret.inner_text()
    screenshot(page, "api-keys-created")

    page.goto("/settings/api-keys")
    expect(page.locator('[data-testid="new-key"]')).to_have_count(0)
    row = page.locator("tr", has_text="Export comptable")
    expect(row.locator("code")).to_have_text(f"{value[:11]}…")
    assert value not in page.content()
    screenshot(page, "api-keys-listed")


def test_an_admin_adds_a_user(page: Page) -> None:
    page.goto("/settings/users")
    screenshot(page, "users")
    page.fill("#f-name", "Inès Finance")
    page.fill("#f-email", "ines.finance@example.com")
    page.fill("#f-password", "a-long-password")
    page.select_option("#f-role", "finance")
    page.click("form[action='/settings/users'] button[type=submit]")
    row = page.locator("tr", has_text="ines.finance@example.com")
    expect(row).to_contain_text("Inès Finance")
    screenshot(page, "users-added")


def test_empty_rooms_and_audit_log_render(page: Page) -> None:
    page.goto("/invoices")
    expect(page.locator("h1")).to_have_text("Factures")
    expect(page.locator("nav.mainnav a[aria-current]")).to_have_text("Factures")
    screenshot(page, "invoices")
    page.goto("/audit")
    expect(page.locator("h1")).to_have_text("Journal d'audit")
    screenshot(page, "audit")


def test_switch_the_interface_to_english_and_back(page: Page) -> None:
    page.goto("/settings")
    page.click("text=English")
    expect(page.locator("nav.mainnav a[aria-current]")).to_have_text("Settings")
    expect(page.locator("h1")).to_have_text("Organization settings")
    screenshot(page, "settings-en")
    page.click("text=Français")
    expect(page.locator("nav.mainnav a[aria-current]")).to_have_text("Paramètres")
