"""The demo's usage trigger and alert on the seed case (contract MARKET-001, customer
DEMO-MARCHE), loaded with the whole demo (clock: 10 Mar 2026), and shown on the back office's
usage triggers page. The seed's invoices are checked, unchanged, by
tests/invoicing/test_demo_usage.py, which loads the same loaders.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tarif.billing.triggers import Measure, TriggerKind
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.db.repository import PageRequest
from tarif.demo.records import DEMO_LOADERS
from tarif.invoicing.demo import load_demo_invoices
from tarif.triggers import alerts_service, service
from tarif.triggers.demo import load_demo_usage_triggers
from tests.invoicing.test_demo_usage import load, marketplace_invoices
from tests.invoicing.test_web import text
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")

MARCH_10 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def test_the_seed_line_has_a_threshold_trigger_and_a_spending_alert(
    ctx: Ctx, clock: FixedClock
) -> None:
    # set once the replay has billed: the trigger and the alert change no invoice
    assert DEMO_LOADERS.index(load_demo_usage_triggers) > DEMO_LOADERS.index(load_demo_invoices)
    load(ctx, clock, MARCH_10)
    contract = contracts.find_contract(ctx, "MARKET-001")
    trigger = service.trigger_of(ctx, contract.id, "turnover-fee")
    assert (trigger.kind, trigger.measure, trigger.thresholds, trigger.every) == (
        TriggerKind.THRESHOLD,
        Measure.AMOUNT,
        (Decimal("1000.00"),),
        Decimal("1000.00"),
    )
    [alert] = alerts_service.list_alerts(ctx, contract.id)
    assert (alert.metric_code, alert.line_key, alert.measure) == (
        "turnover",
        "turnover-fee",
        "amount",
    )
    assert (str(alert.limit), alert.levels) == ("1500", [80, 100])
    # checked at once on 10 Mar: March has no usage yet, so nothing fired
    assert alerts_service.firings(ctx, contract.id, PageRequest()).items == []
    assert service.crossings(ctx, contract.id, PageRequest()).items == []
    # the seed's three invoices, billed before: 478.80, 2,038.80 (January's usage), 478.80
    assert [i.gross_total for i in marketplace_invoices(ctx)] == [
        Decimal("478.80"),
        Decimal("2038.80"),
        Decimal("478.80"),
    ]
    # loading again sets nothing more
    load_demo_usage_triggers(ctx)
    assert len(alerts_service.list_alerts(ctx, contract.id)) == 1


def test_the_back_office_shows_them(admin: TestClient, ctx: Ctx, clock: FixedClock) -> None:
    load(ctx, clock, MARCH_10)
    ctx.session.commit()
    contract = contracts.find_contract(ctx, "MARKET-001")
    page = admin.get(f"/contracts/{contract.id}/triggers")
    assert page.status_code == 200
    section = r'<section class="card usage-line" id="line-turnover-fee".*?</section>'
    line = re.search(section, page.text, re.S)
    assert line is not None
    assert 'data-kind="threshold"' in line.group(0)
    # the first levels: 1,000.00 then every 1,000.00
    levels = re.search(r'<span class="levels">(.*?)</span>', line.group(0), re.S)
    assert levels is not None
    assert text(levels.group(1)).strip() == (
        "1 000,00 €, 2 000,00 €, 3 000,00 €, 4 000,00 €, 5 000,00 €…"
    )
    [alert] = alerts_service.list_alerts(ctx, contract.id)
    row = re.search(rf'<tr data-alert-id="{alert.id}">(.*?)</tr>', page.text, re.S)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", text(cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ][:5]
    assert cells == [
        "turnover",
        "turnover-fee",
        "Plafond de dépense (montant à ce jour)",
        "1 500,00 €",
        "80 %, 100 %",
    ]
