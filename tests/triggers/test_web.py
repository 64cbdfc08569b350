"""The back-office page of a contract's usage triggers, in French (the organization's language).

Today is 15 Jan 2026; the contract runs from 1 Jan 2026 with `hosting` and the usage line
`api-calls`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tarif.billing.triggers import Measure
from tarif.context import Actor, Ctx
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tarif.triggers import service
from tests.contracts.conftest import build_world
from tests.invoicing.test_web import error_of, post, text
from tests.triggers.conftest import usage_contract
from tests.web.conftest import MakeUser, admin, browser, log_in, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def contract_id(ctx: Ctx) -> str:
    found = usage_contract(build_world(ctx))
    ctx.session.commit()
    return found


def section(page: str, line_key: str) -> str:
    match = re.search(rf'<section[^>]*data-line-key="{line_key}".*?</section>', page, re.S)
    assert match, f"no section for {line_key}"
    return match.group(0)


def test_the_contract_page_links_to_the_triggers(admin: TestClient, contract_id: str) -> None:
    page = admin.get(f"/contracts/{contract_id}")
    assert f'<a id="contract-triggers" href="/contracts/{contract_id}/triggers">' in page.text
    assert "Déclencheurs de facturation" in text(page.text)


def test_a_form_per_usage_line_then_an_error_inline_then_saved(
    admin: TestClient, contract_id: str
) -> None:
    url = f"/contracts/{contract_id}/triggers"
    page = admin.get(url)
    assert page.status_code == 200
    shown = text(page.text)
    assert "Déclencheurs de facturation du contrat" in shown
    assert re.findall(r'data-line-key="([^"]+)"', page.text) == ["api-calls"]  # not hosting
    assert "En fin de période (par défaut)" in text(section(page.text, "api-calls"))
    assert "Aucun seuil franchi pour l'instant." in shown
    refused = post(
        admin,
        f"{url}/api-calls",
        page.text,
        kind="threshold",
        **{"thresholds.0": "1000", "thresholds.1": "500", "thresholds.2": ""},
        every="1000",
        measure="amount",
        cadence="immediate",
    )
    assert refused.status_code == 422
    assert error_of(refused.text, "thresholds.1") == "must be increasing"
    form = section(refused.text, "api-calls")
    assert 'name="thresholds.0" type="text" inputmode="decimal" value="1000"' in form  # as typed
    saved = post(
        admin,
        f"{url}/api-calls",
        page.text,
        kind="threshold",
        **{"thresholds.0": "500", "thresholds.1": "1000", "thresholds.2": ""},
        every="1000",
        measure="amount",
        cadence="daily",  # another kind's field: ignored
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?saved=api-calls#line-api-calls"
    after = admin.get(saved.headers["location"])
    line = text(section(after.text, "api-calls"))
    assert "Au franchissement d'un seuil" in line and "Montant à ce jour" in line
    # levels: 500, 1,000, then every 1,000 → 2,000, 3,000, 4,000 (French money format)
    assert "500,00 €, 1 000,00 €, 2 000,00 €, 3 000,00 €, 4 000,00 €…" in line
    assert 'id="saved" data-line="api-calls"' in after.text
    # the form shows the saved trigger again
    form = section(after.text, "api-calls")
    assert re.search(r'<option value="threshold"\s+selected>', form)
    assert 'name="every" type="text" inputmode="decimal" value="1000"' in form
    cleared = post(admin, f"{url}/api-calls", after.text, kind="period_end")
    assert cleared.status_code == 303
    assert "En fin de période (par défaut)" in text(
        section(admin.get(cleared.headers["location"]).text, "api-calls")
    )


def test_a_line_that_is_not_a_usage_line_is_refused_above_the_forms(
    admin: TestClient, contract_id: str
) -> None:
    url = f"/contracts/{contract_id}/triggers"
    page = admin.get(url)
    refused = post(admin, f"{url}/hosting", page.text, kind="event", cadence="daily")
    assert refused.status_code == 422
    assert re.search(
        r'id="problem"><p>line &#39;hosting&#39; is not a usage line</p>', refused.text
    )


def test_the_threshold_history_table(admin: TestClient, ctx: Ctx, contract_id: str) -> None:
    service.record_crossing(
        ctx,
        contract_id=contract_id,
        line_key="api-calls",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 2, 1),
        level=Decimal(500),
        measure=Measure.AMOUNT,
        value=Decimal("512.4"),
        crossed_at=datetime(2026, 1, 12, 14, 0, tzinfo=UTC),
    )
    ctx.session.commit()
    page = admin.get(f"/contracts/{contract_id}/triggers")
    row = re.search(r"<tr data-crossing-id=.*?</tr>", page.text, re.S)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", text(cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    ]
    # the period [1 Jan, 1 Feb) shows its last day, 31/01/2026
    assert cells[:6] == [
        "api-calls",
        "01/01/2026",
        "31/01/2026",
        "500,00 €",
        "512,40 €",
        "—",
    ]


def test_a_read_only_user_sees_no_form_and_gets_403_on_post(
    browser: TestClient, make_user: MakeUser, contract_id: str
) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    url = f"/contracts/{contract_id}/triggers"
    page = browser.get(url)
    assert page.status_code == 200 and "trigger-form" not in page.text
    refused = post(browser, f"{url}/api-calls", page.text, kind="event")
    assert refused.status_code == 403


def test_another_organizations_contract_is_not_found(
    admin: TestClient,
    make_tenant,
    engine,
    clock,  # type: ignore[no-untyped-def]
) -> None:

    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        theirs = usage_contract(build_world(Ctx(session, other.id, Actor.system("t"), clock)))
        session.commit()
    assert admin.get(f"/contracts/{theirs}/triggers").status_code == 404
    page = admin.get("/contracts")
    assert (
        post(admin, f"/contracts/{theirs}/triggers/api-calls", page.text, kind="event").status_code
        == 404
    )
