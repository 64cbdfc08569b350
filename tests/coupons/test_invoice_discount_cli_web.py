"""A discount typed on a draft from the command line and from the invoice page (15 Jan 2026).

The draft bills hosting from 15 Jan 2026: 399 × 17/31 = 218.806… → 218.81 at 20 % VAT.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tarif.invoicing import service
from tests.contracts.conftest import build_world
from tests.invoicing.conftest import JAN_15, hosting_contract
from tests.invoicing.test_invoice_cli import run as cli_run  # noqa: F401 - fixture
from tests.web.conftest import admin, browser, csrf_token, make_user

__all__ = ["admin", "browser", "make_user"]
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def draft_id(ctx: Ctx) -> str:
    hosting_contract(build_world(ctx))
    [draft] = service.run_billing(ctx, JAN_15).invoices
    ctx.session.commit()
    assert draft.invoice_id is not None
    return draft.invoice_id


def test_the_cli_adds_a_fixed_discount(cli_run: Any, draft_id: str) -> None:  # noqa: F811
    added = cli_run("invoices", "add-discount", draft_id, "--amount", "18.81", "--json")
    assert added.exit_code == 0, added.output
    [line] = json.loads(added.stdout)
    # 18.81 off the single 20 % base: 218.81 − 18.81 = 200.00 net, VAT 40.00, gross 240.00
    assert (line["net_amount"], line["source"]) == ("-18.81", "discount")
    shown = json.loads(cli_run("invoices", "show", draft_id, "--json").stdout)
    assert (shown["net_total"], shown["vat_total"], shown["gross_total"]) == (
        "200.00",
        "40.00",
        "240.00",
    )
    both = cli_run("invoices", "add-discount", draft_id, "--amount", "1", "--percent", "5")
    assert both.exit_code != 0 and "--percent or --amount" in both.output


def test_the_page_adds_a_percentage_and_shows_a_bad_value_inline(
    admin: TestClient, draft_id: str, ctx: Ctx
) -> None:
    url = f"/invoices/{draft_id}"
    page = admin.get(url).text
    assert 'id="discount-form"' in page
    bad = admin.post(
        f"{url}/discounts",
        data={"kind": "percentage", "value": "150", "csrf_token": csrf_token(page)},
    )
    assert bad.status_code == 422
    assert re.search(r'data-field="value"', bad.text)
    done = admin.post(
        f"{url}/discounts",
        data={"kind": "percentage", "value": "10", "csrf_token": csrf_token(page)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    ctx.session.expire_all()
    invoice = service.get_invoice(ctx, draft_id)
    # 218.81 × 10 % = 21.881 → 21.88 off: net 196.93, VAT 39.386 → 39.39, gross 236.32
    assert (invoice.net_total, invoice.gross_total) == (Decimal("196.93"), Decimal("236.32"))
