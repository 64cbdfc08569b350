"""Editing a draft contract from the back office: its header, its lines (change, add, remove)
and deleting it after a confirmation page, through the same service as
`PATCH /v1/contracts/{id}` and `tarif contracts update|update-line|remove-line|delete`.

The test clock reads 15 Jan 2026 (Paris); pages speak French, the services' messages English.
The draft: Acme SAS, hosting 1 × 399.00 a month in advance from the pricelist, from 1 Feb 2026.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.audit.service import events_for_object
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.contracts import service
from tarif.contracts.schemas import ContractCreate, parse
from tarif.db.session import session_factory
from tarif.errors import NotFound
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.contracts.conftest import World, build_world
from tests.contracts.test_web import (
    Run,
    contract,
    error_of,
    post,
    rows_of,
    run,
    running,
    text_of,
    value_of,
    world,
)
from tests.web.conftest import MakeUser, admin, browser, log_in, make_user

__all__ = ["admin", "browser", "make_user", "run", "world"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")

DRAFT_BUTTONS = ("edit-contract", "add-line", "delete-contract", "edit-line-hosting")


def shown(page: str, form_id: str) -> dict[str, str]:
    """Every box of a form as the page fills it in: what a browser would post back."""
    form = re.search(rf'<form [^>]*id="{form_id}".*?</form>', page, re.S)
    assert form, f"no form #{form_id}"
    values = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input id="f-([^"]+)" name="[^"]+" type="[^"]+" value="([^"]*)"', form.group(0)
        )
    }
    for name, options in re.findall(
        r'<select id="f-([^"]+)"[^>]*>(.*?)</select>', form.group(0), re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    return values


def problem_of(page: str) -> str:
    found = re.search(r'id="problem"><p>([^<]*)</p>', page)
    assert found, "no problem above the page"
    return html.unescape(found.group(1))


# --- the header ----------------------------------------------------------------------------------


def test_the_header_form_shows_the_draft_and_saves_only_what_changed(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = contract(run, world, purchase_order="PO-1")
    url = f"/contracts/{contract_id}"
    page = admin.get(url).text
    assert all(f'id="{button}"' in page for button in DRAFT_BUTTONS)
    form = admin.get(f"{url}/edit").text
    values = shown(form, "contract-edit-form")
    assert (values["reference"], values["start_date"], values["end_date"]) == (
        "C-2026-001",
        "2026-02-01",
        "",  # evergreen
    )
    assert (values["customer_id"], values["pricelist_id"]) == (
        world.customer.id,
        world.pricelist.id,
    )
    assert (values["purchase_order"], values["activation.condition"]) == ("PO-1", "manual")

    # Every problem beside its box, what was typed kept: the service's messages, in English.
    emptied = post(admin, f"{url}/edit", form, **(values | {"reference": ""}))
    assert emptied.status_code == 422
    assert error_of(emptied.text, "reference") == "cannot be empty"
    renewing = values | {"renewal_months": "12", "early_termination_fee.kind": "fixed"}
    refused = post(admin, f"{url}/edit", form, **renewing)
    assert refused.status_code == 422
    assert error_of(refused.text, "renewal_months") == (
        "an auto-renewing contract needs an initial term to renew"
    )
    assert error_of(refused.text, "early_termination_fee.amount") == "is required for a fixed fee"
    assert value_of(refused.text, "renewal_months") == "12"
    at_date = post(admin, f"{url}/edit", form, **(values | {"activation.condition": "at_date"}))
    assert error_of(at_date.text, "activation.on") == "is required to activate at a date"
    taken = contract(run, world, reference="C-2026-002")
    assert taken
    duplicate = post(admin, f"{url}/edit", form, **(values | {"reference": "C-2026-002"}))
    assert error_of(duplicate.text, "reference")
    assert run(lambda ctx: service.get_contract(ctx, contract_id).reference) == "C-2026-001"

    saved = post(
        admin,
        f"{url}/edit",
        form,
        **(values | {"end_date": "2026-12-31", "purchase_order": "", "notice_months": "1"}),
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{url}?saved=1"
    page = admin.get(saved.headers["location"]).text
    assert 'data-field-value="end_date">31/12/2026<' in page  # the last day covered
    terms = run(lambda ctx: service.show_contract(ctx, contract_id).terms)
    # The end typed is the last day covered: the core's end is the next day.
    assert (str(terms.end_date), terms.purchase_order, terms.notice.months) == (
        "2027-01-01",
        None,
        1,
    )
    assert terms.lines[0].unit_price == Decimal("399.00")  # still the pricelist's
    updates = run(
        lambda ctx: [e.action for e in events_for_object(ctx, contract_id) if e.action == "update"]
    )
    assert updates == ["update"]

    # Posting the form back unchanged changes nothing and records nothing.
    again = admin.get(f"{url}/edit").text
    assert value_of(again, "end_date") == "2026-12-31"
    assert (
        post(admin, f"{url}/edit", again, **shown(again, "contract-edit-form")).status_code == 303
    )
    events = run(lambda ctx: [e.action for e in events_for_object(ctx, contract_id)])
    assert events.count("update") == 1


# --- lines ---------------------------------------------------------------------------------------


def test_a_line_is_changed_then_goes_back_to_the_pricelist(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = contract(run, world)
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/lines/hosting/edit").text
    values = shown(form, "line-form")
    # From the pricelist: no price typed; the contract's dates: none of its own.
    assert (values["quantity"], values["unit_price"], values["periodicity"]) == ("1", "", "monthly")
    assert (values["timing"], values["start_date"], values["end_date"]) == ("in_advance", "", "")

    zero = post(admin, f"{url}/lines/hosting/edit", form, **(values | {"quantity": "0"}))
    assert zero.status_code == 422
    assert error_of(zero.text, "quantity") == "must be greater than 0"
    assert value_of(zero.text, "quantity") == "0"
    emptied = post(admin, f"{url}/lines/hosting/edit", form, **(values | {"quantity": ""}))
    assert error_of(emptied.text, "quantity") == "is required"
    early = post(admin, f"{url}/lines/hosting/edit", form, **(values | {"end_date": "2026-01-01"}))
    assert error_of(early.text, "end_date") == (
        "the line would end (last day 2026-01-01) before it starts on 2026-02-01"
    )

    changed = values | {
        "quantity": "3",
        "unit_price": "379.00",
        "minimum_commitment.amount": "1000",
    }
    saved = post(admin, f"{url}/lines/hosting/edit", form, **changed)
    assert saved.status_code == 303, saved.text
    [row] = rows_of(admin.get(url).text, "contract-lines")
    # 3 × 379.00, typed on the contract; a minimum of 1,000.00 per term.
    assert row.startswith("hosting hosting · Hosting 3 379,00 € prix du contrat mensuel")
    assert "1 000,00 € · par période d'engagement" in row

    back = admin.get(f"{url}/lines/hosting/edit").text
    assert value_of(back, "unit_price") == "379.00"
    emptied_price = shown(back, "line-form") | {"unit_price": ""}
    assert post(admin, f"{url}/lines/hosting/edit", back, **emptied_price).status_code == 303
    [row] = rows_of(admin.get(url).text, "contract-lines")
    assert row.startswith("hosting hosting · Hosting 3 399,00 € de la liste de prix mensuel")


def test_a_line_is_added_then_removed(admin: TestClient, run: Run[Any], world: World) -> None:
    contract_id = contract(run, world)
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/lines/new").text
    twice = post(admin, f"{url}/lines/new", form, product_id=world.hosting.id, quantity="1")
    assert twice.status_code == 422
    assert error_of(twice.text, "line_key") == "'hosting' is already a line of this contract"
    no_product = post(admin, f"{url}/lines/new", form, quantity="2")
    assert error_of(no_product.text, "product_id")

    added = post(admin, f"{url}/lines/new", form, product_id=world.licence.id, quantity="2")
    assert added.status_code == 303, added.text
    page = admin.get(url).text
    lines = rows_of(page, "contract-lines")
    assert lines[1].startswith("licence licence · Licence 2 120,00 € de la liste de prix annuel")

    removed = post(admin, f"{url}/lines/licence/remove", page)
    assert removed.status_code == 303
    assert removed.headers["location"] == f"{url}?saved=1#lines"
    assert [r.split()[0] for r in rows_of(admin.get(url).text, "contract-lines")] == ["hosting"]
    gone = post(admin, f"{url}/lines/licence/remove", page)
    assert gone.status_code == 404
    assert problem_of(gone.text) == "the contract has no line 'licence'"

    admin.get("/lang/en")
    assert ">Edit the draft<" in admin.get(url).text
    for path in ("/edit", "/lines/new", "/lines/hosting/edit"):
        assert admin.get(f"{url}{path}").status_code == 200, path


# --- deleting ------------------------------------------------------------------------------------


def test_a_draft_is_deleted_after_a_confirmation_page(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = contract(run, world)
    url = f"/contracts/{contract_id}"
    page = admin.get(url).text
    asked = post(admin, f"{url}/delete", page)
    assert asked.status_code == 200
    assert "Supprimer ce brouillon ?" in asked.text and 'id="confirm"' in asked.text
    assert "Acme SAS" in text_of(asked.text)
    assert run(lambda ctx: service.get_contract(ctx, contract_id).status) == "draft"

    done = post(admin, f"{url}/delete", asked.text, confirmed="yes")
    assert done.status_code == 303
    assert done.headers["location"] == "/contracts?status=draft"
    assert admin.get(url).status_code == 404
    with pytest.raises(NotFound):
        run(lambda ctx: service.get_contract(ctx, contract_id))
    deleted = run(lambda ctx: [e.action for e in events_for_object(ctx, contract_id)])
    assert "delete" in deleted


# --- only drafts, only writers, only one's own ---------------------------------------------------


def test_a_submitted_contract_offers_no_draft_edit_and_refuses_one(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world)
    url = f"/contracts/{contract_id}"
    page = admin.get(url).text
    assert not any(f'id="{button}"' in page for button in DRAFT_BUTTONS)
    assert 'id="remove-line-hosting"' not in page
    refusal = (
        "contract C-2026-001 is active: only a draft is edited in place; "
        "change it with an amendment"
    )
    for path in ("/edit", "/lines/new", "/lines/hosting/edit"):
        refused = admin.get(f"{url}{path}")
        assert refused.status_code == 409, path
        assert problem_of(refused.text) == refusal
    for path, fields in (
        ("/edit", {"reference": "X"}),
        ("/lines/new", {"quantity": "3"}),
        ("/lines/hosting/edit", {"quantity": "3"}),
        ("/lines/hosting/remove", {}),
        ("/delete", {}),
        ("/delete", {"confirmed": "yes"}),
    ):
        refused = post(admin, f"{url}{path}", page, **fields)
        assert refused.status_code == 409, path
        assert problem_of(refused.text) == refusal
    assert run(lambda ctx: service.show_contract(ctx, contract_id).terms.lines[0].quantity) == 1


def test_a_read_only_user_sees_no_draft_form_and_gets_403(
    browser: TestClient, make_user: MakeUser, run: Run[Any], world: World
) -> None:
    contract_id = contract(run, world)
    url = f"/contracts/{contract_id}"
    log_in(browser, make_user(Role.READ_ONLY))
    page = browser.get(url).text
    assert 'data-contract-status="draft"' in page
    assert not any(f'id="{button}"' in page for button in DRAFT_BUTTONS)
    for path in ("/edit", "/lines/new", "/lines/hosting/edit"):
        assert browser.get(f"{url}{path}").status_code == 403, path
    for path, fields in (
        ("/edit", {"reference": "X"}),
        ("/lines/new", {"product_id": world.licence.id}),
        ("/lines/hosting/edit", {"quantity": "3"}),
        ("/lines/hosting/remove", {}),
        ("/delete", {"confirmed": "yes"}),
    ):
        assert post(browser, f"{url}{path}", page, **fields).status_code == 403, path
    terms = run(lambda ctx: service.show_contract(ctx, contract_id).terms)
    assert (terms.reference, len(terms.lines)) == ("C-2026-001", 1)


def test_another_organizations_draft_is_not_found(
    admin: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        ctx = Ctx(session, other.id, Actor.system("test"), clock)
        elsewhere = build_world(ctx)
        values = {
            "customer_id": elsewhere.customer.id,
            "reference": "THEIRS",
            "start_date": "2026-02-01",
            "lines": [{"product_id": elsewhere.hosting.id}],
        }
        contract_id = service.create_contract(ctx, data=parse(ContractCreate, values)).id
        session.commit()
    url = f"/contracts/{contract_id}"
    page = admin.get("/contracts").text
    for path in ("/edit", "/lines/new", "/lines/hosting/edit"):
        assert admin.get(f"{url}{path}").status_code == 404, path
    for path in ("/edit", "/lines/hosting/edit", "/lines/hosting/remove", "/delete"):
        assert post(admin, f"{url}{path}", page, confirmed="yes").status_code == 404, path
    with session_factory(engine)() as session:
        ctx = Ctx(session, other.id, Actor.system("test"), clock)
        assert service.get_contract(ctx, contract_id).reference == "THEIRS"
