"""Templates: typed parameters, instantiation into draft terms, versions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import pytest

from tarif.catalog.periodicity import Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.model import (
    ContractTerms,
    LinePriceSource,
    NoticePeriod,
    RenewalPolicy,
    TemplateRef,
)
from tarif.contracts.parameters import Param, ParameterType, TemplateParameter
from tarif.contracts.templates import (
    TemplateLine,
    TemplateTerms,
    TemplateVersion,
    instantiate,
    revise,
    validate_template,
)
from tarif.errors import FieldError, InvalidInput
from tests.contracts.factories import ANNUAL, MONTHLY, ONE_OFF

T = ParameterType


@dataclass
class FakeCatalog:
    """Product codes and pricelist prices as the service would have looked them up."""

    ids: dict[str, str] = field(
        default_factory=lambda: {
            "HOST-S": "prd_s",
            "HOST-M": "prd_m",
            "HOST-L": "prd_l",
            "LIC": "prd_lic",
            "SETUP": "prd_setup",
        }
    )
    prices: dict[str, Decimal] = field(
        default_factory=lambda: {
            "prd_s": Decimal("199.00"),
            "prd_m": Decimal("399.00"),
            "prd_l": Decimal("599.00"),
        }
    )
    priced_from: date = date(2026, 1, 1)
    names: dict[str, str] = field(
        default_factory=lambda: {"prd_m": "Hosting M", "prd_lic": "Licence", "prd_setup": "Set-up"}
    )

    def product_id(self, code: str) -> str | None:
        return self.ids.get(code)

    def product_name(self, product_id: str) -> str:
        return self.names.get(product_id, "")

    def unit_price(self, product_id: str, on: date) -> Decimal | None:
        return self.prices.get(product_id) if on >= self.priced_from else None


GROWTH = TemplateVersion(
    template_id="tpl_growth",
    version=1,
    name="Growth",
    parameters=(
        TemplateParameter("start_date", T.DATE),
        TemplateParameter("seats", T.INT, default=1),
        TemplateParameter("hosting_plan", T.CHOICE, "HOST-M", ("HOST-S", "HOST-M", "HOST-L")),
        TemplateParameter("licence_price", T.DECIMAL, default=Decimal("120.00")),
    ),
    terms=TemplateTerms(
        initial_term_months=12, renewal=RenewalPolicy.auto(12), notice=NoticePeriod(months=1)
    ),
    lines=(
        TemplateLine(
            "hosting", Param("hosting_plan"), ProductKind.RECURRING, Decimal(1), MONTHLY,
            Timing.IN_ADVANCE,
        ),
        TemplateLine(
            "licence", "LIC", ProductKind.RECURRING, Param("seats"), ANNUAL, Timing.IN_ADVANCE,
            unit_price=Param("licence_price"),
        ),
        TemplateLine(
            "setup", "SETUP", ProductKind.ONE_OFF, Decimal(1), ONE_OFF, Timing.IN_ADVANCE,
            unit_price=Decimal("500.00"),
        ),
    ),
)  # fmt: skip


def make(values: dict[str, object], template: TemplateVersion = GROWTH) -> ContractTerms:
    return instantiate(
        template,
        values,
        customer_id="cus_1",
        reference="C-2026-010",
        currency="EUR",
        pricelist_id="pl_eur",
        catalog=FakeCatalog(),
    )


def errors_of(values: dict[str, object], template: TemplateVersion = GROWTH) -> list[FieldError]:
    with pytest.raises(InvalidInput) as refused:
        make(values, template)
    return refused.value.errors


def test_instantiating_substitutes_every_parameter() -> None:
    terms = make({"start_date": "2026-02-01", "seats": "5", "hosting_plan": "HOST-L"})
    assert terms.start_date == date(2026, 2, 1)
    assert (terms.initial_term_months, terms.renewal) == (12, RenewalPolicy(12))
    assert terms.template == TemplateRef("tpl_growth", 1)
    hosting, licence, setup = terms.lines
    # HOST-L is prd_l, priced 599.00 in the pricelist on 1 Feb 2026.
    assert (hosting.product_id, hosting.unit_price, hosting.price_source) == (
        "prd_l",
        Decimal("599.00"),
        LinePriceSource.PRICELIST,
    )
    assert (licence.quantity, licence.unit_price, licence.price_source) == (
        Decimal(5),
        Decimal("120.00"),
        LinePriceSource.OVERRIDE,
    )
    assert (setup.unit_price, setup.price_source) == (Decimal("500.00"), LinePriceSource.OVERRIDE)


def test_a_line_without_a_description_takes_its_product_name() -> None:
    described = replace(GROWTH.lines[2], description="One-time set-up")
    template = replace(GROWTH, lines=(*GROWTH.lines[:2], described))
    terms = make({"start_date": "2026-02-01"}, template)
    # hosting (HOST-M → prd_m) and licence (LIC → prd_lic) have no description of their own.
    assert [line.description for line in terms.lines] == ["Hosting M", "Licence", "One-time set-up"]


def test_defaults_fill_the_parameters_not_given() -> None:
    terms = make({"start_date": date(2026, 2, 1)})
    assert [line.product_id for line in terms.lines] == ["prd_m", "prd_lic", "prd_setup"]
    assert terms.lines[1].quantity == Decimal(1)


def test_missing_unknown_and_mistyped_parameters_are_all_named() -> None:
    problems = errors_of(
        {"seats": "five", "hosting_plan": "HOST-XL", "licence_price": 1.5, "colour": "red"}
    )
    assert problems == [
        FieldError(
            "parameters.colour",
            "unknown parameter; the template takes: start_date, seats, hosting_plan, licence_price",
        ),
        FieldError("parameters.start_date", "is required (date)"),
        FieldError("parameters.seats", "expected a whole number, got 'five'"),
        FieldError(
            "parameters.hosting_plan", "must be one of: HOST-S, HOST-M, HOST-L; got 'HOST-XL'"
        ),
        FieldError(
            "parameters.licence_price",
            "expected a decimal number with at most 6 decimals, got 1.5",  # floats are refused
        ),
    ]
    assert errors_of({"start_date": "31/01/2026"}) == [
        FieldError("parameters.start_date", "expected a date (YYYY-MM-DD), got '31/01/2026'")
    ]


def test_a_value_that_makes_the_contract_invalid_is_reported_at_its_parameter() -> None:
    assert errors_of({"start_date": "2026-02-01", "seats": 0}) == [
        FieldError("parameters.seats", "for lines.1.quantity: must be greater than 0")
    ]


def test_a_missing_pricelist_price_is_reported_on_the_line() -> None:
    # The fake pricelist prices from 1 Jan 2026 only.
    assert errors_of({"start_date": "2025-12-01"}) == [
        FieldError("lines.0.unit_price", "the pricelist has no price for HOST-M on 2025-12-01")
    ]


def test_a_choice_naming_an_unknown_product_is_reported_at_the_parameter() -> None:
    template = revise(
        GROWTH,
        parameters=(
            TemplateParameter("start_date", T.DATE),
            TemplateParameter("seats", T.INT, default=1),
            TemplateParameter("hosting_plan", T.CHOICE, "HOST-XXL", ("HOST-M", "HOST-XXL")),
            TemplateParameter("licence_price", T.DECIMAL, default=Decimal("120.00")),
        ),
    )
    assert errors_of({"start_date": "2026-02-01"}, template) == [
        FieldError(
            "parameters.hosting_plan",
            "for lines.0.product: unknown product code 'HOST-XXL'",
        )
    ]


def test_a_periodicity_can_be_a_parameter() -> None:
    template = TemplateVersion(
        "tpl_hosting",
        1,
        "Hosting",
        parameters=(
            TemplateParameter("start_date", T.DATE),
            TemplateParameter("billing", T.CHOICE, "monthly", ("monthly", "quarterly")),
        ),
        lines=(
            TemplateLine(
                "hosting", "HOST-S", ProductKind.RECURRING, Decimal(1), Param("billing"),
                Timing.IN_ADVANCE,
            ),
        ),
    )  # fmt: skip
    terms = make({"start_date": "2026-02-01", "billing": "quarterly"}, template)
    assert str(terms.lines[0].periodicity) == "quarterly"


def test_template_problems_are_found_before_any_value() -> None:
    broken = TemplateVersion(
        "tpl_broken",
        1,
        " ",
        parameters=(
            TemplateParameter("seats", T.DATE),
            TemplateParameter("seats", T.INT),
            TemplateParameter("plan", T.CHOICE, default="gold", choices=("silver",)),
            TemplateParameter("Bad Name", T.STRING),
        ),
        terms=TemplateTerms(start_date=Param("start")),
        lines=(
            TemplateLine(
                "hosting", "HOST-S", ProductKind.RECURRING, Param("seats"), MONTHLY,
                Timing.IN_ADVANCE,
            ),
        ),
    )  # fmt: skip
    assert validate_template(broken) == [
        FieldError("name", "is required"),
        FieldError("parameters.1.name", "'seats' is declared twice"),
        FieldError("parameters.2.default", "must be one of: silver; got 'gold'"),
        FieldError("parameters.3.name", "use lowercase letters, digits and '_' (e.g. seats)"),
        FieldError("terms.start_date", "uses undeclared parameter 'start'"),
        FieldError("lines.0.quantity", "needs a parameter of type int or decimal; 'seats' is date"),
    ]
    with pytest.raises(InvalidInput, match="The template is not valid"):
        make({}, broken)


def test_editing_a_template_makes_a_new_version_and_leaves_contracts_alone() -> None:
    contract_v1 = make({"start_date": "2026-02-01"})
    v2 = revise(GROWTH, terms=TemplateTerms(initial_term_months=24))
    assert (v2.version, v2.name, v2.lines) == (2, "Growth", GROWTH.lines)
    contract_v2 = make({"start_date": "2026-02-01"}, v2)
    assert contract_v2.template == TemplateRef("tpl_growth", 2)
    assert contract_v2.initial_term_months == 24
    # The earlier contract still says version 1 and its 12-month term.
    assert contract_v1.template == TemplateRef("tpl_growth", 1)
    assert contract_v1.initial_term_months == 12
    assert GROWTH.version == 1
