"""Back-office pages of coupons: list, form, detail, and the coupons of a contract.

Pages speak French (the organization's language); the test clock reads 15 Jan 2026.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.coupons import service
from tarif.tenancy.rules import Role
from tests.invoicing.test_web import Run, contract_id, error_of, post, run, text
from tests.web.conftest import MakeUser, admin, browser, log_in, make_user

# The invoicing page tests' helpers: one unit-of-work runner, one running contract, one way
# to post a form and read its errors.
__all__ = ["admin", "browser", "contract_id", "make_user", "run"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


def test_create_from_the_form_then_edit_and_archive(admin: TestClient) -> None:
    form = admin.get("/coupons/new")
    assert form.status_code == 200 and 'id="coupon-form"' in form.text
    made = post(
        admin,
        "/coupons/new",
        form.text,
        code="welcome20",
        kind="percentage",
        value="20",
        duration="repeating",
        duration_months="3",
    )
    assert made.status_code == 303, made.text
    detail = admin.get(made.headers["location"])
    page = text(detail.text)
    assert "WELCOME20" in page and "Plusieurs mois" in page  # French: "Repeating"
    listing = text(admin.get("/coupons").text)
    assert "WELCOME20" in listing and "20 %" in listing
    saved = post(
        admin, made.headers["location"], detail.text, name="Bienvenue", max_redemptions="5"
    )
    assert saved.status_code == 303
    page = text(admin.get(saved.headers["location"]).text)
    assert "Bienvenue" in page and "0 / 5" in page
    archived = post(admin, made.headers["location"] + "/archive", detail.text)
    assert archived.status_code == 303
    assert "Archivé" in text(admin.get(archived.headers["location"]).text)


def test_form_errors_are_shown_inline(admin: TestClient) -> None:
    form = admin.get("/coupons/new")
    refused = post(admin, "/coupons/new", form.text, code="X", kind="fixed", value="5")
    assert refused.status_code == 422
    assert error_of(refused.text, "currency") == "a fixed coupon needs the currency of its amount"


def test_redeem_and_remove_on_the_contract_page(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    run(
        lambda ctx: service.create_coupon(
            ctx, {"code": "WELCOME20", "kind": "percentage", "value": "20"}
        )
    )
    contract_page = admin.get(f"/contracts/{contract_id}")
    assert f'hx-get="/contracts/{contract_id}/coupons"' in contract_page.text
    fragment = admin.get(f"/contracts/{contract_id}/coupons", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="redeem-coupon"' in fragment.text
    redeemed = post(admin, f"/contracts/{contract_id}/coupons", fragment.text, code="welcome20")
    assert redeemed.status_code == 303
    page = admin.get(f"/contracts/{contract_id}/coupons")
    assert "<html" in page.text and "WELCOME20" in page.text and "Actif" in page.text
    [redemption_id] = re.findall(r'data-redemption-id="([^"]+)"', page.text)
    again = post(admin, f"/contracts/{contract_id}/coupons", page.text, code="WELCOME20")
    assert again.status_code == 422 and "already redeemed" in (error_of(again.text, "code") or "")
    removed = post(admin, f"/contracts/{contract_id}/coupons/{redemption_id}/remove", page.text)
    assert removed.status_code == 303
    assert "Retiré" in admin.get(f"/contracts/{contract_id}/coupons").text


def test_a_read_only_user_sees_no_form(
    browser: TestClient, make_user: MakeUser, contract_id: str
) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    assert browser.get("/coupons").status_code == 200
    fragment = browser.get(f"/contracts/{contract_id}/coupons")
    assert fragment.status_code == 200 and 'id="redeem-coupon"' not in fragment.text
    assert browser.get("/coupons/new").status_code == 403
