"""The catalog pages in a real browser: products and pricelists render inside the layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize(
    ("path", "room"), [("/products", "Produits"), ("/pricelists", "Listes de prix")]
)
def test_catalog_page_renders(page: Page, path: str, room: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200
    expect(page.locator("nav.mainnav a[aria-current]")).to_have_text(room)
    expect(page.locator("main h1")).to_be_visible()
    screenshot(page, path.strip("/"))
