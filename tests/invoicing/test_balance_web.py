"""The credit-balance page through the TestClient: goodwill and refund forms, the credit applied
on the invoice page, French words, roles and another organization's customer.

Pages speak French (the organization's language): amounts read `50,00 €`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.invoicing import balance
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.contracts.conftest import build_world
from tests.invoicing.balance_world import february_draft
from tests.invoicing.test_web import Run, error_of, post, run, text
from tests.web.conftest import MakeUser, admin, browser, csrf_token, log_in, make_user

__all__ = ["admin", "browser", "make_user", "run"]  # fixtures shared with tests/web
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def shop(run: Run[tuple[str, str]]) -> tuple[str, str]:
    """(customer id, its February draft of 399.00 + 79.80 VAT = 478.80), committed."""

    def make(ctx: Ctx) -> tuple[str, str]:
        world = build_world(ctx)
        return world.customer.id, february_draft(world)

    return run(make)


def test_goodwill_from_the_page_then_the_invoice_shows_the_credit_applied(
    admin: TestClient, shop: tuple[str, str]
) -> None:
    customer_id, draft = shop
    customer_page = admin.get(f"/customers/{customer_id}").text
    assert f'href="/customers/{customer_id}/balance"' in customer_page
    url = f"/customers/{customer_id}/balance"
    page = admin.get(url)
    assert page.status_code == 200
    assert "Solde créditeur" in page.text and "Aucun solde créditeur" in page.text
    granted = post(
        admin, f"{url}/goodwill", page.text, amount="50.00", currency="EUR", reason="Panne"
    )
    assert granted.status_code == 303
    shown = text(admin.get(granted.headers["location"]).text)
    assert "Enregistré." in shown and "Geste commercial" in shown and "50,00 €" in shown
    invoice_url = f"/invoices/{draft}"
    assert post(admin, f"{invoice_url}/finalize", admin.get(invoice_url).text).status_code == 303
    invoice = text(admin.get(invoice_url).text)
    assert 'data-method="credit_balance"' in invoice
    assert f'href="/customers/{customer_id}/balance" class="credit-applied">Avoir appliqué' in (
        invoice
    )
    # 478.80 − 50.00 = 428.80 still due
    assert "428,80 €" in invoice and "Partiellement payée" in invoice
    history = text(admin.get(url).text)
    assert "Avoir appliqué" in history and f'href="/invoices/{draft}"' in history
    assert 'data-currency="EUR">0,00 €' in history  # 50.00 − 50.00


def test_a_refund_beyond_the_balance_is_refused_inline(
    admin: TestClient, shop: tuple[str, str], run: Run[Any]
) -> None:
    customer_id, _ = shop
    run(
        lambda ctx: balance.grant_goodwill(
            ctx, customer_id, amount="30.00", currency="EUR", reason="geste"
        )
    )
    url = f"/customers/{customer_id}/balance"
    page = admin.get(url).text
    refused = post(admin, f"{url}/refunds", page, amount="30.01", currency="EUR", reference="V1")
    assert refused.status_code == 422
    assert error_of(refused.text, "amount") == "more than the 30.00 EUR available"
    assert 'value="30.01"' in refused.text  # the form keeps what was typed
    bad = post(admin, f"{url}/goodwill", page, amount="-1", currency="EUR", reason="")
    assert bad.status_code == 422
    assert error_of(bad.text, "amount") == "must be more than zero"
    assert error_of(bad.text, "reason") == "is required"
    done = post(
        admin,
        f"{url}/refunds",
        page,
        amount="30.00",
        currency="EUR",
        reference="V1",
        method="cheque",
    )
    assert done.status_code == 303
    shown = text(admin.get(url).text)
    assert "Remboursement" in shown and "refund by cheque, reference V1" in shown
    assert run(lambda ctx: balance.available(ctx, customer_id, "EUR")) == 0


def test_a_read_only_user_sees_no_form_and_gets_403(
    browser: TestClient, make_user: MakeUser, shop: tuple[str, str]
) -> None:
    customer_id, _ = shop
    log_in(browser, make_user(Role.READ_ONLY))
    url = f"/customers/{customer_id}/balance"
    page = browser.get(url).text
    assert 'id="goodwill-form"' not in page and 'id="refund-form"' not in page
    token = {"csrf_token": csrf_token(page)}
    form = token | {"amount": "1", "currency": "EUR", "reason": "x"}
    assert browser.post(f"{url}/goodwill", data=form).status_code == 403


def test_another_organizations_customer_is_not_found(
    admin: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        world = build_world(Ctx(session, other.id, Actor.system("test"), clock))
        customer_id = world.customer.id
        session.commit()
    assert admin.get(f"/customers/{customer_id}/balance").status_code == 404
    page = admin.get("/settings").text
    form = {"amount": "1", "currency": "EUR", "reason": "x"}
    assert (
        post(admin, f"/customers/{customer_id}/balance/goodwill", page, **form).status_code == 404
    )
