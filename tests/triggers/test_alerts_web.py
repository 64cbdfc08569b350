"""The usage alerts section of a contract's usage triggers page, in French (the organization's
language).

Today is 15 Jan 2026; `seed_contract` runs from 1 Jan 2026 with `hosting` and the usage line
`api-calls`, charged 2 % of the metric `turnover` plus 0.25 per transaction.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tarif.context import Actor, Ctx
from tarif.contracts import service as contracts
from tarif.db.session import session_factory
from tarif.tenancy.rules import Role
from tarif.triggers import alerts_service
from tests.contracts.conftest import World, build_world
from tests.invoicing.test_run_usage import TURNOVER, seed_contract
from tests.invoicing.test_web import error_of, post, text
from tests.triggers.test_billing import sales
from tests.web.conftest import MakeUser, admin, browser, log_in, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def contract_id(ctx: Ctx, world: World) -> str:
    found = seed_contract(world)
    ctx.session.commit()
    return found


def alerts_section(page: str) -> str:
    match = re.search(r'<section id="usage-alerts">.*?</section>', page, re.S)
    assert match, "no usage alerts section"
    return match.group(0)


def test_add_an_alert_refused_inline_then_added_then_removed(
    admin: TestClient, contract_id: str
) -> None:
    url = f"/contracts/{contract_id}/triggers"
    page = admin.get(url)
    section = text(alerts_section(page.text))
    assert "Alertes de consommation" in section
    assert "Aucune alerte de consommation sur ce contrat." in section
    assert 'name="levels" type="text" inputmode="decimal" value="80, 100"' in page.text
    form = {"metric_code": "turnover", "line_key": "", "measure": "amount"}
    action = f"/contracts/{contract_id}/usage-alerts"
    refused = post(admin, action, page.text, **form, limit="0", levels="100, 80")
    assert refused.status_code == 422
    assert error_of(refused.text, "limit") == 'a positive decimal string, e.g. "1000.00"'
    assert error_of(refused.text, "levels") == "levels.1: levels must increase"
    assert 'name="levels" type="text" inputmode="decimal" value="100, 80"' in refused.text
    added = post(admin, action, page.text, **form, limit="1000", levels="80, 100")
    assert added.status_code == 303
    assert added.headers["location"] == f"{url}?alert=added#usage-alerts"
    after = admin.get(added.headers["location"])
    section = text(alerts_section(after.text))
    assert "Alerte ajoutée." in section
    [row] = re.findall(r'<tr data-alert-id="([^"]+)">(.*?)</tr>', after.text, re.S)
    cells = [
        re.sub(r"<[^>]+>", "", text(cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    ]
    assert cells[:5] == [
        "turnover",
        "Toutes les lignes de la métrique",
        "Plafond de dépense (montant à ce jour)",
        "1 000,00 €",
        "80 %, 100 %",
    ]
    removed = post(admin, f"/usage-alerts/{row[0]}/delete", after.text)
    assert removed.headers["location"] == f"{url}?alert=removed#usage-alerts"
    final = text(alerts_section(admin.get(removed.headers["location"]).text))
    assert "Alerte supprimée." in final and "Aucune alerte de consommation" in final


def test_the_alert_history(admin: TestClient, ctx: Ctx, world: World, contract_id: str) -> None:
    alert = alerts_service.create_alert(
        ctx, contract_id, {"metric_code": "turnover", "limit": "1000"}
    )
    sales(world, "2026-01-08", 100, "400.00")  # 800.00 + 25.00 = 825.00: the 80 % level
    alerts_service.check_alerts(ctx, [contract_id], date(2026, 1, 8))
    ctx.session.commit()
    page = admin.get(f"/contracts/{contract_id}/triggers")
    row = re.search(
        rf'<tr data-firing-id="[^"]+" data-alert-id="{alert.id}">(.*?)</tr>', page.text, re.S
    )
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", text(cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    # the period [1 Jan, 1 Feb) shows its last day, 31/01/2026; fired now, 15 Jan 09:30
    assert cells == ["01/01/2026", "31/01/2026", "80 %", "825", "15/01/2026 09:30"]


def test_a_read_only_user_sees_no_form_and_gets_403_on_post(
    browser: TestClient, make_user: MakeUser, contract_id: str
) -> None:
    log_in(browser, make_user(Role.READ_ONLY))
    page = browser.get(f"/contracts/{contract_id}/triggers")
    assert page.status_code == 200 and 'id="alert-form"' not in page.text
    refused = post(
        browser, f"/contracts/{contract_id}/usage-alerts", page.text, metric_code="turnover"
    )
    assert refused.status_code == 403


def test_another_organizations_alert_is_not_found(
    admin: TestClient,
    make_tenant,
    engine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        theirs_ctx = Ctx(session, other.id, Actor.system("t"), clock)
        theirs = seed_contract(build_world(theirs_ctx))
        alert = alerts_service.create_alert(
            theirs_ctx, theirs, {"metric_code": "turnover", "limit": "10"}
        )
        session.commit()
    page = admin.get("/contracts")
    assert post(admin, f"/usage-alerts/{alert.id}/delete", page.text).status_code == 404
    edit = post(admin, f"/usage-alerts/{alert.id}/edit", page.text, limit="5", levels="50")
    assert edit.status_code == 404
    refused = post(admin, f"/contracts/{theirs}/usage-alerts", page.text, metric_code="turnover")
    assert refused.status_code == 404


def alert_cells(page: str, alert_id: str) -> list[str]:
    row = re.search(rf'<tr data-alert-id="{alert_id}">(.*?)</tr>', page, re.S)
    assert row is not None
    return [
        re.sub(r"<[^>]+>", "", text(cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ][:5]


def edit_form(page: str, alert_id: str) -> str:
    match = re.search(rf'<details class="alert-edit" id="edit-{alert_id}".*?</details>', page, re.S)
    assert match, "no edit form"
    return match.group(0)


def test_edit_an_alert_refused_inline_then_saved_and_checked_at_once(
    admin: TestClient, ctx: Ctx, world: World, contract_id: str
) -> None:
    alert = alerts_service.create_alert(
        ctx, contract_id, {"metric_code": "turnover", "limit": "1000"}
    )
    sales(world, "2026-01-08", 100, "400.00")  # 2 % × 40,000.00 + 100 × 0.25 = 825.00
    ctx.session.commit()
    url = f"/contracts/{contract_id}/triggers"
    page = admin.get(url)
    form = edit_form(page.text, alert.id)
    assert "Modifier l'alerte" in text(form) and " open" not in form.split(">")[0]
    assert f'id="edit-{alert.id}-limit" name="limit"' in form and 'value="1000"' in form
    assert 'name="levels" type="text" inputmode="decimal" value="80, 100"' in form
    action = f"/usage-alerts/{alert.id}/edit"
    refused = post(admin, action, page.text, line_key="", limit="0", levels="100, 80")
    assert refused.status_code == 422
    form = edit_form(refused.text, alert.id)
    assert form.startswith(f'<details class="alert-edit" id="edit-{alert.id}" open>')
    assert error_of(form, "limit") == 'a positive decimal string, e.g. "1000.00"'
    assert error_of(form, "levels") == "levels.1: levels must increase"
    assert 'value="100, 80"' in form
    assert alert_cells(refused.text, alert.id)[3:] == ["1 000,00 €", "80 %, 100 %"]
    saved = post(admin, action, page.text, line_key="api-calls", limit="800", levels="50, 100")
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?alert=updated#usage-alerts"
    after = admin.get(saved.headers["location"])
    assert "Alerte modifiée." in text(alerts_section(after.text))
    assert alert_cells(after.text, alert.id) == [
        "turnover",
        "api-calls",
        "Plafond de dépense (montant à ce jour)",
        "800,00 €",
        "50 %, 100 %",
    ]
    # checked at once: 825.00 reaches 400 (50 % of 800) and 800 (100 %)
    fired = re.findall(
        rf'<tr data-firing-id="[^"]+" data-alert-id="{alert.id}">(.*?)</tr>', after.text, re.S
    )
    levels = sorted(int(x) for x in re.findall(r'<td class="num">(\d+) %</td>', "".join(fired)))
    assert levels == [50, 100]
    # every line again, levels kept when left empty
    again = post(admin, action, after.text, line_key="", limit="800", levels="")
    assert again.status_code == 303
    final = admin.get(again.headers["location"]).text
    assert alert_cells(final, alert.id)[1:] == [
        "Toutes les lignes de la métrique",
        "Plafond de dépense (montant à ce jour)",
        "800,00 €",
        "50 %, 100 %",
    ]


def test_a_read_only_user_may_not_edit(
    browser: TestClient, make_user: MakeUser, ctx: Ctx, contract_id: str
) -> None:
    alert = alerts_service.create_alert(
        ctx, contract_id, {"metric_code": "turnover", "limit": "1000"}
    )
    ctx.session.commit()
    log_in(browser, make_user(Role.READ_ONLY))
    page = browser.get(f"/contracts/{contract_id}/triggers")
    assert page.status_code == 200 and 'class="alert-edit"' not in page.text
    refused = post(browser, f"/usage-alerts/{alert.id}/edit", page.text, limit="5")
    assert refused.status_code == 403


def test_an_edit_refused_for_the_metric_shows_the_reason_above_the_form(
    admin: TestClient, ctx: Ctx, world: World
) -> None:
    seed_contract(world)  # the metric turnover
    lines = [
        {"product_id": world.hosting.id},
        {"product_id": world.api_calls.id, "charge": TURNOVER},
    ]
    draft = world.contract(reference="C-2026-002", start_date="2026-01-01", lines=lines)
    alert = alerts_service.create_alert(ctx, draft.id, {"metric_code": "turnover", "limit": "10"})
    contracts.remove_line(ctx, draft.id, "api-calls")  # no line measures turnover any more
    ctx.session.commit()
    page = admin.get(f"/contracts/{draft.id}/triggers")
    refused = post(admin, f"/usage-alerts/{alert.id}/edit", page.text, limit="20", levels="80")
    assert refused.status_code == 422
    form = edit_form(refused.text, alert.id)
    box = r'<div class="alert error" role="alert">.*?<p data-field="">([^<]*)</p>'
    above = re.search(box, form, re.S)
    assert above is not None
    assert text(above.group(1)) == "metric_code: no usage line of the contract measures 'turnover'"
