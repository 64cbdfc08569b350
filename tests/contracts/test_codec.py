"""The JSON codec round-trips every value exactly, through real JSON text."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from hypothesis import given, settings

from tarif.catalog.periodicity import Periodicity, PeriodUnit, Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.amendments import Amendment
from tarif.contracts.changes import ChangeTerm, Terminate
from tarif.contracts.codec import (
    decode_changes,
    decode_template,
    decode_terms,
    encode_changes,
    encode_template,
    encode_terms,
)
from tarif.contracts.model import (
    Activation,
    ActivationCondition,
    ContractTerms,
    Discount,
    DiscountKind,
    MinimumCommitment,
    NoticePeriod,
    RenewalPolicy,
    TemplateRef,
    metadata_of,
)
from tarif.contracts.parameters import Param, ParameterType, TemplateParameter
from tarif.contracts.templates import TemplateLine, TemplateTerms, TemplateVersion
from tests.contracts.factories import MONTHLY, contract, hosting, setup_fee
from tests.contracts.strategies import amended_contracts


def through_json(data: object) -> object:
    return json.loads(json.dumps(data))


def test_terms_keep_decimals_as_written_and_dates_as_iso_strings() -> None:
    terms = contract(
        end_date=date(2027, 1, 15),
        signed_on=date(2026, 1, 10),
        initial_term_months=12,
        notice=NoticePeriod(1, 15),
        activation=Activation(ActivationCondition.AT_DATE, date(2026, 1, 20)),
        purchase_order="PO-7",
        payment_terms_days=45,
        metadata=metadata_of({"crm": "OPP-1", "region": "EU"}),
        minimum_commitment=MinimumCommitment(Decimal("1000.00"), MONTHLY),
        template=TemplateRef("tpl_1", 3),
        lines=(
            hosting(
                quantity=Decimal("2.50"),
                discounts=(Discount(DiscountKind.PERCENTAGE, Decimal("10.0"), periods=3),),
            ),
            setup_fee(start=date(2026, 2, 1), end=date(2026, 3, 1)),
        ),
    )
    encoded = encode_terms(terms)
    assert encoded["lines"][0]["quantity"] == "2.50"  # as written, not 2.5
    assert encoded["lines"][0]["unit_price"] == "399.00"
    assert encoded["end_date"] == "2027-01-15"
    assert encoded["lines"][0]["periodicity"] == "monthly"
    assert decode_terms(through_json(encoded)) == terms  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(amended_contracts())
def test_any_contract_and_its_changes_round_trip(
    case: tuple[ContractTerms, list[Amendment]],
) -> None:
    original, amendments = case
    assert decode_terms(through_json(encode_terms(original))) == original  # type: ignore[arg-type]
    for amendment in amendments:
        encoded = through_json(encode_changes(amendment.changes))
        assert decode_changes(encoded) == amendment.changes  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(amended_contracts())
def test_terms_decoded_with_shared_lines_are_the_same_terms(
    case: tuple[ContractTerms, list[Amendment]],
) -> None:
    original, _ = case
    seen: dict[object, object] = {}
    first = decode_terms(through_json(encode_terms(original)), seen)  # type: ignore[arg-type]
    again = decode_terms(through_json(encode_terms(original)), seen)  # type: ignore[arg-type]
    assert first == again == original
    assert all(a is b for a, b in zip(first.lines, again.lines, strict=True))


def test_lines_written_differently_are_not_shared() -> None:
    encoded = encode_terms(contract(lines=(hosting(quantity=Decimal("2")),)))
    other = through_json(encoded)
    other["lines"][0]["quantity"] = "2.0"  # type: ignore[index]
    seen: dict[object, object] = {}
    plain = decode_terms(through_json(encoded), seen)  # type: ignore[arg-type]
    written_otherwise = decode_terms(other, seen)  # type: ignore[arg-type]
    # 2 == 2.0, but each keeps the quantity as written
    assert str(plain.lines[0].quantity) == "2"
    assert str(written_otherwise.lines[0].quantity) == "2.0"
    assert len(seen) == 2


def test_term_changes_and_termination_with_a_fee_round_trip() -> None:
    changes = (
        ChangeTerm(end_date=date(2027, 7, 1), renewal=RenewalPolicy(), notice=NoticePeriod(2)),
        ChangeTerm(renewal=RenewalPolicy.auto(6)),
        Terminate(fee_line=setup_fee(line_key="fee", unit_price=Decimal("1200.00"))),
        Terminate(),
    )
    assert decode_changes(through_json(encode_changes(changes))) == changes  # type: ignore[arg-type]


def test_template_versions_round_trip_with_parameters_in_place() -> None:
    version = TemplateVersion(
        template_id="tpl_1",
        version=2,
        name="Growth",
        description="Hosting plan and seats",
        parameters=(
            TemplateParameter("start_date", ParameterType.DATE),
            TemplateParameter("seats", ParameterType.INT, default=5),
            TemplateParameter("discount", ParameterType.DECIMAL, default=Decimal("12.50")),
            TemplateParameter("plan", ParameterType.CHOICE, "HOST-M", ("HOST-S", "HOST-M")),
            TemplateParameter("first", ParameterType.DATE, default=date(2026, 2, 1)),
            TemplateParameter("note", ParameterType.STRING, default="hello", label="A note"),
        ),
        terms=TemplateTerms(
            end_date=date(2028, 1, 1),
            initial_term_months=Param("seats"),
            renewal=RenewalPolicy(),
            notice=NoticePeriod(1),
            activation=Activation(ActivationCondition.ON_SIGNATURE),
            metadata=(("source", "template"),),
        ),
        lines=(
            TemplateLine(
                line_key="hosting",
                product=Param("plan"),
                kind=ProductKind.RECURRING,
                quantity=Decimal(1),
                periodicity=MONTHLY,
                timing=Timing.IN_ADVANCE,
                start=Param("first"),
            ),
            TemplateLine(
                line_key="seats",
                product="SEAT",
                kind=ProductKind.RECURRING,
                quantity=Param("seats"),
                periodicity=Param("plan"),
                timing=Timing.IN_ADVANCE,
                unit_price=Param("discount"),
                end=date(2027, 1, 1),
                discounts=(Discount(DiscountKind.FIXED, Decimal("5"), until=date(2026, 6, 1)),),
                minimum_commitment=MinimumCommitment(Decimal(100)),
            ),
            TemplateLine(
                line_key="setup",
                product="SETUP",
                kind=ProductKind.ONE_OFF,
                quantity=Decimal(1),
                periodicity=Periodicity(PeriodUnit.ONE_OFF),
                timing=Timing.IN_ADVANCE,
                unit_price=Decimal("500.00"),
            ),
        ),
    )
    encoded = encode_template(version)
    assert encoded["terms"]["start_date"] == {"param": "start_date"}
    assert encoded["lines"][1]["quantity"] == {"param": "seats"}
    assert encoded["parameters"][2]["default"] == "12.50"
    assert decode_template(through_json(encoded)) == version  # type: ignore[arg-type]


def test_credit_on_termination_round_trips_and_is_written_only_when_off() -> None:
    kept = contract(credit_on_termination=False, lines=(hosting(),))
    encoded = encode_terms(kept)
    assert encoded["credit_on_termination"] is False
    assert decode_terms(through_json(encoded)) == kept  # type: ignore[arg-type]
    credited = contract(lines=(hosting(),))
    plain = encode_terms(credited)
    # the default is left out, so terms stored before the setting read the same: credit
    assert "credit_on_termination" not in plain
    assert decode_terms(through_json(plain)).credit_on_termination is True  # type: ignore[arg-type]
    no_credit = TemplateTerms(credit_on_termination=False)
    template = TemplateVersion("tpl_1", 1, "No credit", terms=no_credit)
    stored = through_json(encode_template(template))
    assert stored["terms"]["credit_on_termination"] is False  # type: ignore[index]
    assert decode_template(stored) == template  # type: ignore[arg-type]
    older = dict(stored["terms"])  # type: ignore[index]
    del older["credit_on_termination"]
    assert decode_template(stored | {"terms": older}).terms.credit_on_termination is True  # type: ignore[operator]
