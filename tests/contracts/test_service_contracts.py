"""Contracts through the service: creation, prices, refusals naming fields, drafts in place."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tarif.audit.service import events_for_object
from tarif.catalog import service as catalog
from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts.model import ContractStatus, LinePriceSource
from tarif.contracts.models import ContractLineRow, ContractVersion
from tarif.contracts.schemas import ContractUpdate, LineInput, LineUpdate, parse
from tarif.customers import service as customers
from tarif.errors import Conflict, Forbidden, InvalidInput, NotFound
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, as_role

MONTHLY_IN_ADVANCE = {"periodicity": "monthly", "timing": "in_advance"}


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_a_new_contract_is_a_draft_priced_from_the_default_pricelist(world: World) -> None:
    contract = world.contract(
        lines=[
            {"product_id": world.hosting.id, "quantity": "3"},
            {"product_id": world.licence.id, "unit_price": "99.50"},
            {"product_id": world.setup.id},
            {"product_id": world.api_calls.id},
        ]
    )
    assert (contract.status, contract.currency) == ("draft", "EUR")
    # No pricelist of its own: the customer gets the default EUR pricelist valid on 1 Feb 2026.
    assert contract.pricelist_id == world.pricelist.id
    terms = service.show_contract(world.ctx, contract.id).terms
    hosting, licence, setup, calls = terms.lines
    assert (hosting.line_key, hosting.quantity, hosting.unit_price) == (
        "hosting",
        Decimal(3),
        Decimal(399),
    )
    assert hosting.price_source is LinePriceSource.PRICELIST
    assert str(hosting.periodicity) == "monthly"
    # An explicit price is an override, flagged as such; the periodicity still comes from
    # the pricelist entry (annual).
    assert (licence.unit_price, licence.price_source) == (
        Decimal("99.50"),
        LinePriceSource.OVERRIDE,
    )
    assert str(licence.periodicity) == "annual"
    assert (str(setup.periodicity), setup.unit_price) == ("one_off", Decimal(500))
    # A usage line has no unit price (its charge prices it) and is billed in arrears.
    assert (calls.unit_price, calls.timing.value) == (None, "in_arrears")
    [row] = world.ctx.session.query(ContractVersion).filter_by(contract_id=contract.id).all()
    assert row.number == 1
    assert world.ctx.session.query(ContractLineRow).filter_by(version_id=row.id).count() == 4
    [event] = events_for_object(world.ctx, contract.id)
    assert (event.action, event.object_type) == ("create", "contract")


def test_the_price_is_the_pricelist_price_on_the_line_start(world: World) -> None:
    spring = catalog.create_pricelist(
        world.ctx,
        {"name": "Spring", "currency": "EUR", "valid_from": "2026-03-01", "valid_to": "2026-05-31"},
    )
    catalog.add_entry(
        world.ctx,
        spring.id,
        {"product_id": world.hosting.id, "unit_price": "349.00", **MONTHLY_IN_ADVANCE},
    )
    contract = world.contract(
        pricelist_id=spring.id,
        lines=[
            {"product_id": world.hosting.id, "line_key": "feb"},
            {"product_id": world.hosting.id, "line_key": "march", "start_date": "2026-03-01"},
        ],
    )
    feb, march = service.show_contract(world.ctx, contract.id).terms.lines
    # 1 Feb: Spring is not valid yet, so the default pricelist's 399; 1 Mar: Spring's 349.
    assert (feb.unit_price, march.unit_price) == (Decimal(399), Decimal(349))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"start_date": "2026-02-01", "end_date": "2026-01-31"},
            "end_date",
            "the contract would end (last day 2026-01-31) before it starts on 2026-02-01",
        ),
        (
            {"end_date": "2026-06-30", "lines": [{"product_id": "HOST", "end_date": "2026-07-31"}]},
            "lines.0.end_date",
            "last day 2026-07-31 is after the contract's last day 2026-06-30",
        ),
        (
            {"lines": [{"product_id": "HOST", "start_date": "2026-01-20"}]},
            "lines.0.start_date",
            "2026-01-20 is before the contract start 2026-02-01",
        ),
        (
            {"lines": [{"product_id": "HOST", "quantity": "0"}]},
            "lines.0.quantity",
            "must be greater than 0",
        ),
        (
            {"lines": [{"product_id": "HOST", "quantity": "-2"}]},
            "lines.0.quantity",
            "must be greater than 0",
        ),
        ({"currency": "USD"}, "currency", "the customer is billed in EUR, not USD"),
        ({"customer_id": "cus_nope"}, "customer_id", "no customer 'cus_nope' in this organization"),
        (
            {"lines": [{"product_id": "prd_nope"}]},
            "lines.0.product_id",
            "no product 'prd_nope' in this organization",
        ),
    ],
)
def test_refusals_name_the_field(
    world: World, fields: dict[str, Any], field: str, message: str
) -> None:
    for line in fields.get("lines", []):
        if line["product_id"] == "HOST":
            line["product_id"] = world.hosting.id
    with pytest.raises(InvalidInput) as refused:
        world.contract(**fields)
    assert fields_of(refused)[field] == message


def test_a_pricelist_in_another_currency_is_refused(world: World) -> None:
    dollars = catalog.create_pricelist(world.ctx, {"name": "US", "currency": "USD"})
    with pytest.raises(InvalidInput) as refused:
        world.contract(pricelist_id=dollars.id, lines=[])
    assert fields_of(refused)["pricelist_id"] == (
        "the pricelist is in USD but the contract is in EUR"
    )


def test_an_archived_product_cannot_be_put_on_a_contract(world: World) -> None:
    catalog.archive_product(world.ctx, world.licence.id)
    with pytest.raises(InvalidInput) as refused:
        world.contract(lines=[{"product_id": world.licence.id}])
    assert fields_of(refused)["lines.0.product_id"] == f"product {world.licence.id} is archived"


def test_every_problem_is_reported_at_once(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.contract(
            currency="USD",
            end_date="2026-01-10",
            lines=[{"product_id": world.hosting.id, "quantity": "0"}],
        )
    assert {"currency", "end_date", "lines.0.quantity"} <= set(fields_of(refused))


def test_references_are_unique_in_the_organization(world: World) -> None:
    world.contract()
    with pytest.raises(InvalidInput) as refused:
        world.contract()
    assert fields_of(refused)["reference"] == "'C-2026-001' is already used by another contract"


def test_another_tenants_customer_is_refused_naming_the_field(other_ctx: Ctx, world: World) -> None:
    stranger = customers.create_customer(other_ctx, {"legal_name": "Other", "country": "FR"})
    with pytest.raises(InvalidInput) as refused:
        world.contract(customer_id=stranger.id)
    assert fields_of(refused)["customer_id"] == (
        f"no customer '{stranger.id}' in this organization"
    )
    contract = world.contract(reference="C-2")
    with pytest.raises(NotFound):
        service.show_contract(other_ctx, contract.id)


def test_writes_need_the_billing_permission(world: World) -> None:
    contract = world.contract()
    sales = as_role(world.ctx, Role.SALES)
    with pytest.raises(Forbidden):
        service.add_line(sales, contract.id, data=LineInput(product_id=world.licence.id))


def test_a_draft_is_edited_in_place(world: World) -> None:
    contract = world.contract()
    service.add_line(
        world.ctx, contract.id, data=parse(LineInput, {"product_id": world.licence.id})
    )
    service.update_line(
        world.ctx, contract.id, "hosting", data=parse(LineUpdate, {"quantity": "2"})
    )
    service.update_contract(
        world.ctx,
        contract.id,
        data=parse(ContractUpdate, {"reference": "C-EDITED", "end_date": "2027-01-31"}),
    )
    versions = service.contract_versions(world.ctx, contract.id)
    assert len(versions) == 1  # still version 1: a draft has no history yet
    terms = versions[0].terms
    assert terms.reference == "C-EDITED"
    assert terms.end_date == date(2027, 2, 1)  # last day 31 Jan 2027, stored exclusive
    assert [(x.line_key, x.quantity) for x in terms.lines] == [
        ("hosting", Decimal(2)),
        ("licence", Decimal(1)),
    ]
    service.remove_line(world.ctx, contract.id, "licence")
    assert [x.line_key for x in service.contract_lines(world.ctx, contract.id)] == ["hosting"]
    with pytest.raises(InvalidInput) as refused:
        service.update_line(
            world.ctx, contract.id, "hosting", data=parse(LineUpdate, {"quantity": "0"})
        )
    # named as the line's own route receives it: the line is the whole body there
    assert fields_of(refused) == {"quantity": "must be greater than 0"}


def test_dropping_an_override_goes_back_to_the_pricelist_price(world: World) -> None:
    contract = world.contract(lines=[{"product_id": world.hosting.id, "unit_price": "350"}])
    service.update_line(
        world.ctx, contract.id, "hosting", data=parse(LineUpdate, {"unit_price": None})
    )
    [line] = service.contract_lines(world.ctx, contract.id)
    assert (line.unit_price, line.price_source) == (Decimal(399), LinePriceSource.PRICELIST)


def test_once_submitted_a_contract_changes_by_amendment_only(world: World) -> None:
    contract = world.contract()
    service.submit(world.ctx, contract.id)
    with pytest.raises(Conflict, match="only a draft is edited in place"):
        service.add_line(world.ctx, contract.id, data=LineInput(product_id=world.licence.id))
    with pytest.raises(Conflict):
        service.delete_draft(world.ctx, contract.id)


def test_a_draft_can_be_deleted(world: World) -> None:
    contract = world.contract()
    service.delete_draft(world.ctx, contract.id)
    with pytest.raises(NotFound):
        service.get_contract(world.ctx, contract.id)


def test_a_product_on_a_contract_cannot_be_deleted_but_can_be_archived(world: World) -> None:
    world.contract()
    with pytest.raises(Conflict, match="contract lines: 1"):
        catalog.delete_product(world.ctx, world.hosting.id)
    assert catalog.archive_product(world.ctx, world.hosting.id).active is False


def test_submitting_needs_a_line(world: World) -> None:
    contract = world.contract(lines=[])
    with pytest.raises(InvalidInput) as refused:
        service.submit(world.ctx, contract.id)
    assert fields_of(refused)["lines"] == "a contract needs at least one line"
    assert service.get_contract(world.ctx, contract.id).status == ContractStatus.DRAFT.value
