"""Templates through the service: versions, instantiation recording the version, refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tarif.contracts import service
from tarif.contracts.model import LinePriceSource, TemplateRef
from tarif.contracts.schemas import TemplateCreate, TemplateInstantiate, TemplateUpdate, parse
from tarif.errors import InvalidInput
from tests.contracts.conftest import World

GROWTH: dict[str, Any] = {
    "name": "Growth",
    "description": "Hosting and seats, 12 months renewing",
    "parameters": [
        {"name": "start_date", "type": "date"},
        {"name": "seats", "type": "int", "default": 5},
        {"name": "plan", "type": "choice", "choices": ["hosting", "licence"], "default": "hosting"},
    ],
    "terms": {"initial_term_months": 12, "renewal_months": 12, "notice_months": 1},
    "lines": [
        {"line_key": "plan", "product": {"param": "plan"}, "kind": "recurring"},
        {
            "line_key": "seats",
            "product": "licence",
            "kind": "recurring",
            "quantity": {"param": "seats"},
            "unit_price": "100.00",
            "periodicity": "annual",
        },
    ],
}


def create(world: World, **fields: Any) -> str:
    return service.create_template(world.ctx, data=parse(TemplateCreate, GROWTH | fields)).id


def instantiate(world: World, template_id: str, **fields: Any) -> str:
    values = {"customer_id": world.customer.id, "reference": "C-T-1"} | fields
    data = parse(TemplateInstantiate, values)
    return service.instantiate_template(world.ctx, template_id, data=data).id


def test_instantiating_makes_a_draft_that_records_the_template_version(world: World) -> None:
    template_id = create(world)
    contract_id = instantiate(world, template_id, parameters={"start_date": "2026-03-01"})
    contract = service.get_contract(world.ctx, contract_id)
    view = service.template_version(world.ctx, template_id)
    assert (contract.status, contract.template_version_id) == ("draft", view.row.id)
    terms = service.show_contract(world.ctx, contract_id).terms
    assert terms.template == TemplateRef(template_id, 1)
    assert (terms.start_date, terms.initial_term_months, terms.renewal.months) == (
        date(2026, 3, 1),
        12,
        12,
    )
    plan, seats = terms.lines
    # The plan takes the pricelist's price on 1 Mar 2026 (399); seats default to 5 at 100.00.
    assert (plan.product_id, plan.unit_price, plan.price_source) == (
        world.hosting.id,
        Decimal(399),
        LinePriceSource.PRICELIST,
    )
    assert (seats.quantity, seats.unit_price, seats.price_source) == (
        Decimal(5),
        Decimal("100.00"),
        LinePriceSource.OVERRIDE,
    )


def test_instantiated_lines_are_described_like_lines_of_a_contract_made_by_hand(
    world: World,
) -> None:
    template_id = create(world)
    from_template = instantiate(world, template_id, parameters={"start_date": "2026-03-01"})
    by_hand = world.contract(
        reference="C-H-1",
        lines=[{"product_id": world.hosting.id}, {"product_id": world.licence.id}],
    )
    # Neither the template's lines nor the typed ones have a description: both take the
    # product's name, "Hosting" and "Licence" (the test catalog names products after their code).
    described = [
        [line.description for line in service.show_contract(world.ctx, c).terms.lines]
        for c in (from_template, by_hand.id)
    ]
    assert described == [["Hosting", "Licence"], ["Hosting", "Licence"]]


def test_editing_a_template_makes_a_version_and_never_changes_contracts(world: World) -> None:
    template_id = create(world)
    first = instantiate(world, template_id, parameters={"start_date": "2026-03-01"})
    service.update_template(
        world.ctx,
        template_id,
        data=parse(TemplateUpdate, {"terms": {"initial_term_months": 24, "notice_months": 3}}),
    )
    template = service.get_template(world.ctx, template_id)
    assert (template.latest_version, template.name) == (2, "Growth")
    assert [v.number for v in service.template_versions(world.ctx, template_id)] == [1, 2]
    # The contract made from version 1 keeps its 12-month term.
    assert service.show_contract(world.ctx, first).terms.initial_term_months == 12
    second = instantiate(
        world, template_id, reference="C-T-2", parameters={"start_date": "2026-03-01"}
    )
    assert service.show_contract(world.ctx, second).terms.initial_term_months == 24
    older = instantiate(
        world, template_id, reference="C-T-3", version=1, parameters={"start_date": "2026-03-01"}
    )
    assert service.show_contract(world.ctx, older).terms.template == TemplateRef(template_id, 1)


@pytest.mark.parametrize(
    ("parameters", "field", "message"),
    [
        ({}, "parameters.start_date", "is required (date)"),
        (
            {"start_date": "2026-03-01", "seats": "five"},
            "parameters.seats",
            "expected a whole number, got 'five'",
        ),
        (
            {"start_date": "2026-03-01", "seats": 0},
            "parameters.seats",
            "for lines.1.quantity: must be greater than 0",
        ),
        (
            {"start_date": "2026-03-01", "colour": "blue"},
            "parameters.colour",
            "unknown parameter; the template takes: start_date, seats, plan",
        ),
    ],
)
def test_parameter_problems_are_named_by_parameter(
    world: World, parameters: dict[str, Any], field: str, message: str
) -> None:
    template_id = create(world)
    with pytest.raises(InvalidInput) as refused:
        instantiate(world, template_id, parameters=parameters)
    assert {e.field: e.message for e in refused.value.errors}[field] == message


def test_a_template_naming_unknown_products_is_refused(world: World) -> None:
    lines = [{"line_key": "x", "product": "nope", "kind": "recurring"}]
    parameters = [
        {"name": "start_date", "type": "date"},
        {"name": "plan", "type": "choice", "choices": ["hosting", "gold"]},
    ]
    plan_line = {"line_key": "plan", "product": {"param": "plan"}, "kind": "recurring"}
    with pytest.raises(InvalidInput) as refused:
        create(world, lines=[*lines, plan_line], parameters=parameters)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("lines.0.product", "unknown product code 'nope'"),
        ("lines.1.product", "unknown product code 'gold'"),
    ]


def test_a_template_using_an_undeclared_parameter_is_refused(world: World) -> None:
    lines = [
        {"line_key": "x", "product": "hosting", "kind": "recurring", "quantity": {"param": "n"}}
    ]
    with pytest.raises(InvalidInput) as refused:
        create(world, lines=lines)
    assert {e.field: e.message for e in refused.value.errors} == {
        "lines.0.quantity": "uses undeclared parameter 'n'"
    }


def test_a_template_carries_the_corrections_setting_and_the_early_termination_fee(
    world: World,
) -> None:
    from tarif.contracts.model import Corrections, EarlyTerminationFee, FeeKind
    from tarif.contracts.reads import template_input

    terms = GROWTH["terms"] | {
        "corrections": "credit_note",
        "early_termination_fee": {"kind": "fixed", "amount": "500.00"},
    }
    template_id = create(world, terms=terms)
    contract_id = instantiate(world, template_id, parameters={"start_date": "2026-03-01"})
    made = service.show_contract(world.ctx, contract_id).terms
    assert made.corrections is Corrections.CREDIT_NOTE
    assert made.early_termination_fee == EarlyTerminationFee(FeeKind.FIXED, Decimal("500.00"))
    # read back in the shape a new version takes, so a copy keeps both
    stored = template_input(service.template_version(world.ctx, template_id).row)["terms"]
    assert (stored["corrections"], stored["early_termination_fee"]) == (
        "credit_note",
        {"kind": "fixed", "amount": "500.00", "percentage": None},
    )
    # a template that says nothing keeps the defaults: adjustments, no fee
    plain = service.show_contract(
        world.ctx,
        instantiate(
            world, create(world), reference="C-T-2", parameters={"start_date": "2026-03-01"}
        ),
    ).terms
    assert (plain.corrections, plain.early_termination_fee) == (Corrections.ADJUSTMENT, None)


def test_a_template_carries_the_termination_credit_setting(world: World) -> None:
    from tarif.contracts.reads import template_input

    template_id = create(world, terms=GROWTH["terms"] | {"credit_on_termination": False})
    contract_id = instantiate(world, template_id, parameters={"start_date": "2026-03-01"})
    assert service.show_contract(world.ctx, contract_id).terms.credit_on_termination is False
    stored = template_input(service.template_version(world.ctx, template_id).row)["terms"]
    assert stored["credit_on_termination"] is False  # a copy of the version keeps it
    plain = instantiate(
        world, create(world), reference="C-T-2", parameters={"start_date": "2026-03-01"}
    )
    assert service.show_contract(world.ctx, plain).terms.credit_on_termination is True
