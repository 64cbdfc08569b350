"""Back-office pages of contracts and templates through the TestClient: filters, inline errors
on the right line or parameter, lifecycle buttons, the contract as of a day, amendments in the
timeline, termination, isolation and roles.

The test clock reads 15 Jan 2026 (Paris). Pages speak French (the organization's language);
dates show as DD/MM/YYYY and messages from the services stay in English.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.contracts import service
from tarif.contracts import web as contracts_web
from tarif.contracts.schemas import ContractCreate, TemplateCreate, parse
from tarif.customers import service as customers
from tarif.db.session import session_factory
from tarif.demo.records import DEMO_LOADERS
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.contracts.conftest import World, build_world
from tests.web.conftest import MakeUser, admin, browser, csrf_token, log_in, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures shared with tests/web
pytestmark = pytest.mark.usefixtures("fast_argon2")

T = TypeVar("T")
Run = Callable[[Callable[[Ctx], T]], T]


@pytest.fixture
def run(engine: Engine, clock: FixedClock, tenant: Tenant) -> Run[Any]:
    """Runs `fn(ctx)` in the test organization's own committed unit of work."""

    def do(fn: Callable[[Ctx], T]) -> T:
        with session_factory(engine)() as session:
            result = fn(Ctx(session, tenant.id, Actor.system("test"), clock))
            session.commit()
            return result

    return do


@pytest.fixture
def world(run: Run[World]) -> World:
    return run(build_world)


def error_of(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error"[^>]*data-field="{re.escape(field)}">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def value_of(page: str, field: str) -> str | None:
    match = re.search(
        rf'<input id="f-{re.escape(field)}" name="[^"]+" type="[^"]+" value="([^"]*)"', page
    )
    return html.unescape(match.group(1)) if match else None


def text_of(page: str) -> str:
    inline_gone = re.sub(r"</?(code|a|span|strong)\b[^>]*>", "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline_gone)))


def rows_of(page: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert table, f"no table #{table_id}"
    return [text_of(row).strip() for row in re.findall(r"<tr\b.*?</tr>", table.group(0), re.S)[1:]]


def post(client: TestClient, url: str, form_page: str, **fields: str) -> Any:
    data = {"csrf_token": csrf_token(form_page), **fields}
    return client.post(url, data=data, follow_redirects=False)


def contract(run: Run[Any], world: World, **fields: Any) -> str:
    def make(ctx: Ctx) -> str:
        values = {
            "customer_id": world.customer.id,
            "reference": "C-2026-001",
            "start_date": "2026-02-01",
            "lines": [{"product_id": world.hosting.id}],
        } | fields
        return service.create_contract(ctx, data=parse(ContractCreate, values)).id

    return run(make)


def running(run: Run[Any], world: World, **fields: Any) -> str:
    """Submitted and activated today (15 Jan 2026)."""
    contract_id = contract(run, world, **fields)
    run(lambda ctx: service.activate(ctx, service.submit(ctx, contract_id).id))
    return contract_id


# --- list ----------------------------------------------------------------------------------------


def test_the_list_filters_by_status_customer_and_renewal_due(
    admin: TestClient, run: Run[Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = run(
        lambda ctx: customers.create_customer(ctx, {"legal_name": "Zèbre SARL", "country": "FR"})
    )
    contract(run, world, reference="DRAFT-1")
    # 12 months from 1 Feb 2026, renewing: the term ends on 1 Feb 2027 (last day 31 Jan 2027)
    # and renews on 1 Feb 2027.
    running(run, world, reference="TERM-1", initial_term_months=12, renewal_months=12)
    running(run, world, reference="EVER-1", customer_id=other.id)

    page = admin.get("/contracts")
    assert page.status_code == 200
    assert 'href="/contract-templates"' in page.text
    rows = rows_of(page.text, "contracts")
    assert [r.split()[0] for r in rows] == ["DRAFT-1", "TERM-1", "EVER-1"]
    assert "Acme SAS Actif 01/02/2026 31/01/2027 01/02/2027" in rows[1]
    assert rows[2].endswith("01/02/2026 — —")  # evergreen: no term end, no renewal

    active = rows_of(admin.get("/contracts?status=active").text, "contracts")
    assert [r.split()[0] for r in active] == ["TERM-1", "EVER-1"]
    by_customer = rows_of(admin.get(f"/contracts?customer_id={other.id}").text, "contracts")
    assert [r.split()[0] for r in by_customer] == ["EVER-1"]
    due = rows_of(admin.get("/contracts?renewal_due_before=2027-03-01").text, "contracts")
    assert [r.split()[0] for r in due] == ["TERM-1"]
    not_yet = admin.get("/contracts?renewal_due_before=2027-02-01").text  # ends 1 Feb: not before
    assert rows_of(not_yet, "contracts") == ["Aucun contrat ne correspond."]
    assert [r.split()[0] for r in rows_of(admin.get("/contracts?q=TERM").text, "contracts")] == [
        "TERM-1"
    ]

    bad = admin.get("/contracts?renewal_due_before=31/12/2026")
    assert bad.status_code == 422
    assert error_of(bad.text, "renewal_due_before") == "must be a date written YYYY-MM-DD"

    monkeypatch.setattr(contracts_web, "PAGE_SIZE", 2)
    first = admin.get("/contracts?status=active")
    nxt = re.search(r'id="next-page"', first.text)
    assert nxt is None  # two active contracts fit on a page of two
    first = admin.get("/contracts")
    link = re.search(r'href="([^"]+)" id="next-page"', first.text)
    assert link
    second = admin.get(html.unescape(link.group(1)))
    assert [r.split()[0] for r in rows_of(second.text, "contracts")] == ["EVER-1"]


# --- new draft -----------------------------------------------------------------------------------


def test_a_bad_quantity_is_shown_on_its_line_and_the_form_keeps_what_was_typed(
    admin: TestClient, world: World
) -> None:
    form = admin.get("/contracts/new").text
    assert value_of(form, "start_date") == "2026-01-15"
    fields = {
        "customer_id": world.customer.id,
        "reference": "C-WEB-1",
        "start_date": "2026-02-01",
        "billing_alignment": "anniversary",
        "activation.condition": "manual",
        # Row 0 is left blank: the service's `lines.0` is the form's row 1.
        "lines.1.product_id": world.hosting.id,
        "lines.1.quantity": "0",
        "lines.2.product_id": world.licence.id,
        "lines.2.quantity": "2",
    }
    refused = post(admin, "/contracts/new", form, **fields)
    assert refused.status_code == 422
    assert error_of(refused.text, "lines.1.quantity") == "must be greater than 0"
    assert error_of(refused.text, "lines.2.quantity") is None
    assert error_of(refused.text, "lines.0.quantity") is None
    assert value_of(refused.text, "reference") == "C-WEB-1"
    assert value_of(refused.text, "lines.1.quantity") == "0"
    assert 'id="f-lines.1.quantity" name="lines.1.quantity" type="text" value="0"' in refused.text
    assert 'aria-invalid="true" aria-describedby="e-lines.1.quantity"' in refused.text

    not_a_number = post(admin, "/contracts/new", form, **(fields | {"lines.2.quantity": "two"}))
    assert not_a_number.status_code == 422
    assert (error_of(not_a_number.text, "lines.2.quantity") or "").startswith(
        "must be a decimal string"
    )

    no_line = post(admin, "/contracts/new", form, customer_id=world.customer.id)
    assert error_of(no_line.text, "lines.0.product_id") == "a contract needs at least one line"

    created = post(admin, "/contracts/new", form, **(fields | {"lines.1.quantity": "3"}))
    assert created.status_code == 303, created.text
    page = admin.get(created.headers["location"]).text
    assert 'data-contract-status="draft"' in page
    # hosting 3 × 399.00 and licence 2 × 120.00, both from the pricelist
    lines = rows_of(page, "contract-lines")
    assert lines[0].startswith("hosting hosting · Hosting 3 399,00 € de la liste de prix mensuel")
    assert lines[1].startswith("licence licence · Licence 2 120,00 € de la liste de prix annuel")


def test_the_form_sets_the_termination_credit_and_the_page_shows_it(
    admin: TestClient, world: World
) -> None:
    form = admin.get("/contracts/new").text
    assert re.search(r'<option value="true" selected>Créditer les jours non utilisés<', form)
    fields = {
        "customer_id": world.customer.id,
        "reference": "C-WEB-NC",
        "start_date": "2026-02-01",
        "credit_on_termination": "false",
        "lines.0.product_id": world.hosting.id,
    }
    created = post(admin, "/contracts/new", form, **fields)
    assert created.status_code == 303, created.text
    page = admin.get(created.headers["location"]).text
    assert "Résiliation en cours de période" in page
    assert re.search(
        r'data-field-value="credit_on_termination">Pas de crédit des jours non utilisés<', page
    )


# --- lifecycle and as of -------------------------------------------------------------------------


def test_buttons_submit_and_activate_then_the_page_reads_as_of_a_day(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = contract(run, world, start_date="2026-01-01")
    url = f"/contracts/{contract_id}"
    page = admin.get(url).text
    assert 'id="action-submit"' in page and 'id="action-activate"' not in page

    assert post(admin, f"{url}/transition", page, action="submit").status_code == 303
    page = admin.get(url).text
    assert 'data-contract-status="pending"' in page and 'id="action-activate"' in page

    future = post(admin, f"{url}/transition", page, action="activate", date="2026-01-20")
    assert future.status_code == 422
    assert error_of(future.text, "date") == (
        "2026-01-20 is after today (2026-01-15): record it once it happens"
    )
    assert value_of(future.text, "date") == "2026-01-20"

    assert post(admin, f"{url}/transition", page, action="activate").status_code == 303
    page = admin.get(url).text
    assert 'data-contract-status="active"' in page
    assert 'id="action-suspend"' in page and 'id="amend-contract"' in page
    timeline = rows_of(page, "contract-timeline")
    assert timeline[0].startswith("01/01/2026 Version 1 · Conditions initiales")
    assert timeline[1].startswith("15/01/2026 Soumis Brouillon → En attente")
    assert timeline[2].startswith("15/01/2026 Activé En attente → Actif")

    # The day before the transitions, it was still a draft; the version is the original.
    before = admin.get(f"{url}?as_of=2026-01-14").text
    assert 'data-status-as-of="draft"' in before
    assert value_of(before, "as_of") == "2026-01-14"
    bad = admin.get(f"{url}?as_of=soon")
    assert bad.status_code == 422
    assert error_of(bad.text, "as_of") == "must be a date written YYYY-MM-DD"

    signed_later = post(admin, f"{url}/signature", page, signed_on="2026-02-01")
    assert signed_later.status_code == 422
    assert error_of(signed_later.text, "signed_on") == (
        "2026-02-01 is after today (2026-01-15): record it once it happens"
    )
    assert post(admin, f"{url}/signature", page, signed_on="2026-01-10").status_code == 303
    assert 'id="signature-form"' not in admin.get(url).text


# --- amendments ----------------------------------------------------------------------------------


def test_a_scheduled_quantity_change_shows_in_the_timeline_and_can_be_cancelled(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world)  # hosting 1 × 399.00 from 1 Feb 2026
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/amend").text
    assert value_of(form, "effective_date") == "2026-02-01"  # the first of next month
    change = {
        "reason": "Upgrade to 3 servers",
        "change_quantity.enabled": "on",
        "change_quantity.line_key": "hosting",
        "schedule": "1",
    }

    zero = post(admin, f"{url}/amend", form, effective_date="2026-03-01", **change)
    assert zero.status_code == 422
    assert error_of(zero.text, "change_quantity.quantity")  # the quantity is required

    early = post(
        admin,
        f"{url}/amend",
        form,
        effective_date="2026-01-20",
        **change,
        **{"change_quantity.quantity": "3"},
    )
    assert early.status_code == 422
    assert error_of(early.text, "effective_date") == (
        "2026-01-20 is before the contract start 2026-02-01"
    )
    negative = post(
        admin,
        f"{url}/amend",
        form,
        effective_date="2026-03-01",
        **change,
        **{"change_quantity.quantity": "-1"},
    )
    assert error_of(negative.text, "change_quantity.quantity") == "must be greater than 0"

    done = post(
        admin,
        f"{url}/amend",
        form,
        effective_date="2026-03-01",
        **change,
        **{"change_quantity.quantity": "3"},
    )
    assert done.status_code == 303, done.text
    page = admin.get(url).text
    version = re.search(r'<tr data-kind="version" data-version="2".*?</tr>', page, re.S)
    assert version, "version 2 is in the timeline"
    assert 'data-status="scheduled"' in version.group(0)
    assert "line hosting: quantity 1 → 3" in text_of(version.group(0))
    assert "01/03/2026" in text_of(version.group(0))

    # As of 1 March the contract reads version 2 with three servers; the day before, one.
    march = admin.get(f"{url}?as_of=2026-03-01").text
    assert re.search(r'data-line-key="hosting".*?data-field-value="quantity">3<', march, re.S)
    february = admin.get(f"{url}?as_of=2026-02-28").text
    assert re.search(r'data-line-key="hosting".*?data-field-value="quantity">1<', february, re.S)

    [amendment_id] = re.findall(
        r'<tr data-amendment-id="([^"]+)" data-amendment-status="scheduled"', page
    )
    cancel = post(admin, f"{url}/amendments/{amendment_id}/cancel", page)
    assert cancel.status_code == 303
    page = admin.get(url).text
    assert 'data-version="2"' not in page
    cancelled = re.search(
        r'<tr data-kind="amendment"[^>]*data-status="cancelled".*?</tr>', page, re.S
    )
    assert cancelled and "Upgrade to 3 servers" in text_of(cancelled.group(0))
    assert "Aucun avenant en attente." in page


def test_a_draft_amendment_is_confirmed_from_the_contract_page(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world)
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/amend").text
    fields = {
        "effective_date": "2026-04-01",
        "reason": "Negotiated price",
        "change_price.enabled": "on",
        "change_price.line_key": "hosting",
        "change_price.unit_price": "379.00",
        "schedule": "0",
    }
    assert post(admin, f"{url}/amend", form, **fields).status_code == 303
    page = admin.get(url).text
    [draft] = re.findall(r'<tr data-amendment-id="([^"]+)" data-amendment-status="draft"', page)
    assert post(admin, f"{url}/amendments/{draft}/schedule", page).status_code == 303
    version = re.search(
        r'<tr data-kind="version" data-version="2".*?</tr>', admin.get(url).text, re.S
    )
    assert version and "line hosting: unit price 399.00 (pricelist) → 379.00 (override)" in (
        text_of(version.group(0))
    )


# --- termination ---------------------------------------------------------------------------------


def test_terminate_on_a_date_schedules_the_end(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world)
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/terminate").text
    assert 'id="f-forced"' in form  # admins may force

    no_date = post(admin, f"{url}/terminate", form, mode="on_date", reason="Closing")
    assert no_date.status_code == 422
    assert error_of(no_date.text, "date") == "is required to terminate on a chosen date"

    done = post(
        admin, f"{url}/terminate", form, mode="on_date", date="2026-03-01", reason="Closing"
    )
    assert done.status_code == 303, done.text
    page = admin.get(url).text
    version = re.search(r'<tr data-kind="version" data-version="2".*?</tr>', page, re.S)
    # Ending on 1 March makes 28 February the last day covered.
    assert version and "end date evergreen → 2026-02-28" in text_of(version.group(0))
    assert 'data-contract-status="active"' in page  # until the date is reached


def test_a_finance_user_cannot_end_without_notice(
    browser: TestClient, make_user: MakeUser, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world, notice_months=1, start_date="2026-01-01")
    log_in(browser, make_user(Role.FINANCE))
    url = f"/contracts/{contract_id}"
    form = browser.get(f"{url}/terminate").text
    assert 'id="f-forced"' not in form
    refused = post(browser, f"{url}/terminate", form, mode="immediately", reason="Now")
    assert refused.status_code == 403
    assert (error_of(refused.text, "mode") or "").startswith(
        "ending on 2026-01-15 skips the 1 month of notice: only an admin may terminate"
    )
    assert value_of(refused.text, "reason") == "Now"


# --- templates -----------------------------------------------------------------------------------


def test_a_template_is_created_then_instantiated_after_a_missing_parameter(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    assert 'href="/contract-templates/new"' in admin.get("/contract-templates").text
    form = admin.get("/contract-templates/new").text
    fields = {
        "name": "SaaS standard",
        "parameters.0.name": "start_date",
        "parameters.0.type": "date",
        "parameters.1.name": "seats",
        "parameters.1.type": "int",
        "terms.start_date": "{start_date}",
        "terms.notice_months": "0",
        "terms.notice_days": "0",
        "terms.billing_alignment": "anniversary",
        "terms.invoice_grouping": "customer",
        "terms.activation.condition": "manual",
        "lines.0.line_key": "licence",
        "lines.0.product": "licence",
        "lines.0.kind": "recurring",
        "lines.0.quantity": "{seats}",
        "lines.0.periodicity": "annual",
        "lines.1.line_key": "hosting",
        "lines.1.product": "no-such-product",
        "lines.1.kind": "recurring",
    }
    unknown = post(admin, "/contract-templates/new", form, **fields)
    assert unknown.status_code == 422
    assert error_of(unknown.text, "lines.1.product") == "unknown product code 'no-such-product'"
    assert value_of(unknown.text, "lines.0.quantity") == "{seats}"

    created = post(
        admin, "/contract-templates/new", form, **(fields | {"lines.1.product": "hosting"})
    )
    assert created.status_code == 303, created.text
    template_url = created.headers["location"].split("?")[0]
    page = admin.get(template_url).text
    assert [r.split()[0] for r in rows_of(page, "template-parameters")] == ["start_date", "seats"]
    assert rows_of(page, "template-lines")[0].startswith("licence licence Récurrent {seats}")

    form = admin.get(f"{template_url}/instantiate").text
    assert 'id="f-parameters.seats"' in form and 'id="f-parameters.start_date"' in form
    request = {
        "customer_id": world.customer.id,
        "reference": "SAAS-7",
        "version": "1",
        "parameters.start_date": "2026-02-01",
    }
    missing = post(admin, f"{template_url}/instantiate", form, **request)
    assert missing.status_code == 422
    assert error_of(missing.text, "parameters.seats")
    assert value_of(missing.text, "reference") == "SAAS-7"
    assert value_of(missing.text, "parameters.start_date") == "2026-02-01"

    done = post(admin, f"{template_url}/instantiate", form, **request, **{"parameters.seats": "7"})
    assert done.status_code == 303, done.text
    contract_page = admin.get(done.headers["location"]).text
    assert 'data-contract-status="draft"' in contract_page
    lines = rows_of(contract_page, "contract-lines")
    # 7 seats × 120.00 a year, and one hosting at 399.00 a month, from the pricelist; each
    # line described by its product's name, as on a contract made by hand.
    assert lines[0].startswith("licence licence · Licence 7 120,00 €")
    assert lines[1].startswith("hosting hosting · Hosting 1 399,00 €")
    assert f'href="{template_url}?version=1"' in contract_page


def test_editing_a_template_stores_a_new_version(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    values = {
        "name": "Growth",
        "parameters": [{"name": "start_date", "type": "date"}],
        "lines": [
            {
                "line_key": "hosting",
                "product": "hosting",
                "kind": "recurring",
                "unit_price": "399.00",
                "discounts": [{"kind": "percentage", "value": "10", "periods": 3}],
            }
        ],
    }
    template = run(lambda ctx: service.create_template(ctx, data=parse(TemplateCreate, values)))
    url = f"/contract-templates/{template.id}"
    form = admin.get(f"{url}/edit").text
    assert value_of(form, "lines.0.unit_price") == "399.00"
    assert value_of(form, "terms.start_date") == "{start_date}"
    edited = post(
        admin,
        f"{url}/edit",
        form,
        **{
            "name": "Growth 2027",
            "parameters.0.name": "start_date",
            "parameters.0.type": "date",
            "terms.start_date": "{start_date}",
            "lines.0.line_key": "hosting",
            "lines.0.product": "hosting",
            "lines.0.kind": "recurring",
            "lines.0.unit_price": "419.00",
        },
    )
    assert edited.status_code == 303, edited.text
    page = admin.get(url).text
    assert "Growth 2027" in page and 'aria-current="page">Version 2</a>' in page
    assert "419.00" in text_of(page)
    assert "399.00" in text_of(admin.get(f"{url}?version=1").text)
    # The discount the form does not show is carried into version 2.
    latest = run(lambda ctx: service.template_version(ctx, template.id))
    assert latest.version.lines[0].discounts[0].periods == 3


# --- isolation and roles -------------------------------------------------------------------------


def test_another_organizations_contract_and_template_are_not_found(
    admin: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        ctx = Ctx(session, other.id, Actor.system("test"), clock)
        elsewhere = build_world(ctx)
        contract_id = service.create_contract(
            ctx,
            data=parse(
                ContractCreate,
                {
                    "customer_id": elsewhere.customer.id,
                    "reference": "THEIRS",
                    "start_date": "2026-02-01",
                    "lines": [{"product_id": elsewhere.hosting.id}],
                },
            ),
        ).id
        template_id = service.create_template(
            ctx,
            data=parse(TemplateCreate, {"name": "Theirs", "terms": {"start_date": "2026-02-01"}}),
        ).id
        session.commit()
    page = admin.get("/contracts").text
    for path in (
        f"/contracts/{contract_id}",
        f"/contracts/{contract_id}/amend",
        f"/contract-templates/{template_id}",
    ):
        assert admin.get(path).status_code == 404, path
    refused = post(admin, f"/contracts/{contract_id}/transition", page, action="submit")
    assert refused.status_code == 404
    assert "THEIRS" not in admin.get("/contracts").text


def test_a_read_only_user_sees_no_write_button_and_gets_403_on_post(
    browser: TestClient, make_user: MakeUser, run: Run[Any], world: World
) -> None:
    contract_id = contract(run, world)
    log_in(browser, make_user(Role.READ_ONLY))
    listing = browser.get("/contracts").text
    assert 'id="new-contract"' not in listing
    page = browser.get(f"/contracts/{contract_id}").text
    assert 'data-contract-status="draft"' in page
    assert 'id="transition-form"' not in page and 'id="amend-contract"' not in page
    assert 'id="new-template"' not in browser.get("/contract-templates").text
    assert browser.get("/contracts/new").status_code == 403
    assert (
        post(browser, f"/contracts/{contract_id}/transition", page, action="submit").status_code
        == 403
    )
    assert post(browser, "/contracts/new", page, reference="X").status_code == 403
    assert post(browser, "/contract-templates/new", page, name="X").status_code == 403
    assert run(lambda ctx: service.get_contract(ctx, contract_id).status) == "draft"


def test_several_kinds_of_change_make_one_amendment_and_errors_land_in_their_fieldset(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world)  # hosting 1 × 399.00 from 1 Feb 2026, evergreen
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/amend").text
    fields = {
        "effective_date": "2026-03-01",
        "reason": "Renegotiation",
        "schedule": "1",
        "add_line.enabled": "on",
        "add_line.product_id": world.licence.id,
        "add_line.quantity": "0",
        "change_discount.enabled": "on",
        "change_discount.line_key": "hosting",
        "change_discount.kind": "percentage",
        "change_discount.value": "10",
        "change_discount.periods": "3",
        "change_term.enabled": "on",
        "change_term.notice_months": "2",
        "change_periodicity.enabled": "on",
        "change_periodicity.line_key": "hosting",
        "change_periodicity.periodicity": "every 2 fortnights",
    }
    refused = post(admin, f"{url}/amend", form, **fields)
    assert refused.status_code == 422
    assert (error_of(refused.text, "change_periodicity.periodicity") or "").startswith(
        "unknown periodicity 'every 2 fortnights'"
    )
    assert (
        'id="f-change_discount.enabled" name="change_discount.enabled" type="checkbox" checked'
        in (refused.text)
    )
    fields["change_periodicity.periodicity"] = "quarterly"
    zero = post(admin, f"{url}/amend", form, **fields)
    assert error_of(zero.text, "add_line.quantity") == "must be greater than 0"

    fields |= {"add_line.quantity": "2", "change_periodicity.periodicity": "quarterly"}
    assert post(admin, f"{url}/amend", form, **fields).status_code == 303
    version = re.search(
        r'<tr data-kind="version" data-version="2".*?</tr>', admin.get(url).text, re.S
    )
    assert version
    changes = re.findall(r"<div>([^<]*)</div>", version.group(0))
    # The licence at the pricelist's 120.00 a year from 1 March; hosting a quarter at a time,
    # 10 % off for its next 3 periods; two months' notice from then on.
    assert [html.unescape(c) for c in changes] == [
        "notice no notice → 2 months",
        "line hosting: periodicity monthly → quarterly",
        "line hosting: discounts none → 10% for 3 periods from 2026-03-01",
        "line added: licence (annual) 2 × 120.00 from 2026-03-01",
    ]


def test_terminate_from_the_amendment_form_ends_on_the_effective_date(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world)
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/amend").text
    fields = {"effective_date": "2026-04-01", "reason": "Closing", "terminate.enabled": "on"}
    draft = post(admin, f"{url}/amend", form, **fields, schedule="0")
    assert error_of(draft.text, "terminate.enabled") == "a termination cannot be saved as a draft"
    with_change = post(
        admin,
        f"{url}/amend",
        form,
        **fields,
        schedule="1",
        **{"remove_line.enabled": "on", "remove_line.line_key": "hosting"},
    )
    assert error_of(with_change.text, "terminate.enabled") == "a termination is made alone"
    assert post(admin, f"{url}/amend", form, **fields, schedule="1").status_code == 303
    version = re.search(
        r'<tr data-kind="version" data-version="2".*?</tr>', admin.get(url).text, re.S
    )
    # Ending on 1 April makes 31 March the last day covered.
    assert version and "end date evergreen → 2026-03-31" in text_of(version.group(0))


def test_every_demo_contract_and_template_renders_in_both_languages(
    admin: TestClient, run: Run[Any]
) -> None:
    def load(ctx: Ctx) -> None:
        for loader in DEMO_LOADERS:
            loader(ctx)

    run(load)
    listing = admin.get("/contracts").text
    ids = re.findall(r'<tr data-contract-id="([^"]+)" data-status="([^"]+)"', listing)
    assert sorted(status for _id, status in ids) == [
        "active",
        "active",
        "active",
        "active",
        "terminated",
    ]
    templates = re.findall(r'<tr data-template-id="([^"]+)"', admin.get("/contract-templates").text)
    assert len(templates) == 2
    pages = [f"/contracts/{contract_id}" for contract_id, _status in ids]
    pages += [f"/contracts/{contract_id}/amend" for contract_id, _status in ids]
    pages += [f"/contract-templates/{t}" for t in templates]
    pages += [f"/contract-templates/{t}/instantiate" for t in templates]
    pages += [f"/contract-templates/{t}/edit" for t in templates]
    for language in ("fr", "en"):
        admin.get(f"/lang/{language}")
        for path in pages:
            response = admin.get(path)
            assert response.status_code == 200, (path, response.text)
    # In English now: the terminated contract has no action left.
    terminated = next(i for i, status in ids if status == "terminated")
    page = admin.get(f"/contracts/{terminated}").text
    assert ">Terminated<" in page and 'id="transition-form"' not in page
