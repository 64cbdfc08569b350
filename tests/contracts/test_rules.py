"""Validation of contract terms: every problem at once, each at its field path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tarif.catalog.periodicity import Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.facts import (
    archived_product_problems,
    invoiced_termination_problem,
    pricelist_currency_problem,
    product_kind_problems,
    reference_problem,
)
from tarif.contracts.model import (
    Activation,
    ActivationCondition,
    Discount,
    DiscountKind,
    LinePriceSource,
    MinimumCommitment,
    RenewalPolicy,
)
from tarif.contracts.rules import ensure_valid, submission_problems, validate_terms
from tarif.errors import FieldError, InvalidInput
from tests.contracts.factories import (
    MONTHLY,
    ONE_OFF,
    api_calls,
    contract,
    hosting,
    licence,
    setup_fee,
)


def fields(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


def test_a_contract_with_monthly_annual_one_off_and_usage_lines_is_valid() -> None:
    terms = contract(lines=(hosting(), licence(), setup_fee(), api_calls()))
    assert validate_terms(terms) == []


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    terms = contract(
        end_date=date(2026, 1, 10),  # before the 15 Jan start
        lines=(
            hosting(quantity=Decimal(0)),
            licence(unit_price=Decimal("-1")),
            setup_fee(start=date(2026, 1, 1)),
        ),
    )
    assert fields(validate_terms(terms)) == [
        "end_date",  # reported once, not again on every line
        "lines.0.quantity",
        "lines.1.unit_price",
        "lines.2.start",  # 1 Jan, before the 15 Jan start
    ]


def test_end_before_start_names_the_last_day() -> None:
    # End 15 Jan (exclusive) is the last day 14 Jan, before the start on 15 Jan.
    [error] = validate_terms(contract(end_date=date(2026, 1, 15)))
    assert error == FieldError(
        "end_date", "the contract would end (last day 2026-01-14) before it starts on 2026-01-15"
    )


def test_a_line_outside_the_contract_dates_is_refused() -> None:
    # The contract covers 15 Jan → 30 Jun 2026 (end 1 Jul exclusive); the line runs to 31 Jul.
    terms = contract(end_date=date(2026, 7, 1), lines=(hosting(end=date(2026, 8, 1)),))
    assert validate_terms(terms) == [
        FieldError("lines.0.end", "last day 2026-07-31 is after the contract's last day 2026-06-30")
    ]


def test_a_line_ending_on_or_before_its_start_is_refused() -> None:
    terms = contract(lines=(hosting(start=date(2026, 3, 1), end=date(2026, 3, 1)),))
    assert fields(validate_terms(terms)) == ["lines.0.end"]


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal("-2"), Decimal("0.0000001")])
def test_quantity_must_be_positive_with_at_most_six_decimals(quantity: Decimal) -> None:
    assert fields(validate_terms(contract(lines=(hosting(quantity=quantity),)))) == [
        "lines.0.quantity"
    ]


def test_six_decimal_unit_prices_are_accepted() -> None:
    line = hosting(unit_price=Decimal("0.0025"), quantity=Decimal("1.000001"))
    assert validate_terms(contract(lines=(line,))) == []


@pytest.mark.parametrize(
    ("discount", "paths"),
    [
        (Discount(DiscountKind.PERCENTAGE, Decimal("100")), []),
        (Discount(DiscountKind.PERCENTAGE, Decimal("100.5")), ["lines.0.discounts.0.value"]),
        (Discount(DiscountKind.PERCENTAGE, Decimal("-5")), ["lines.0.discounts.0.value"]),
        (Discount(DiscountKind.FIXED, Decimal("150"), periods=3), []),
        (Discount(DiscountKind.FIXED, Decimal("10"), periods=0), ["lines.0.discounts.0.periods"]),
        (
            Discount(DiscountKind.FIXED, Decimal("10"), periods=2, until=date(2026, 6, 1)),
            ["lines.0.discounts.0"],
        ),
        (
            Discount(DiscountKind.PERCENTAGE, Decimal("10"), until=date(2026, 1, 15)),
            ["lines.0.discounts.0.until"],  # ends on the line's first day: covers nothing
        ),
        (
            Discount(DiscountKind.PERCENTAGE, Decimal("10"), start=date(2026, 1, 1)),
            ["lines.0.discounts.0.start"],
        ),
    ],
)
def test_discount_rules(discount: Discount, paths: list[str]) -> None:
    assert fields(validate_terms(contract(lines=(hosting(discounts=(discount,)),)))) == paths


def test_line_keys_are_unique_and_well_formed() -> None:
    terms = contract(lines=(hosting(), licence(line_key="hosting"), setup_fee(line_key="Set Up")))
    assert validate_terms(terms) == [
        FieldError("lines.1.line_key", "'hosting' is already the key of lines.0"),
        FieldError(
            "lines.2.line_key",
            "use 1 to 40 lowercase letters, digits, '_' or '-', starting with a letter or digit",
        ),
    ]


def test_line_kinds_match_their_periodicity_price_and_timing() -> None:
    terms = contract(
        lines=(
            setup_fee(periodicity=MONTHLY),  # a one-off billed monthly
            hosting(periodicity=ONE_OFF),  # a recurring line billed once
            api_calls(unit_price=Decimal("0.01")),  # usage is priced by its charge
            api_calls(line_key="storage", timing=Timing.IN_ADVANCE),
            licence(unit_price=None),
        )
    )
    assert fields(validate_terms(terms)) == [
        "lines.0.periodicity",
        "lines.1.periodicity",
        "lines.2.unit_price",
        "lines.3.timing",
        "lines.4.unit_price",
    ]


def test_term_renewal_and_notice_rules() -> None:
    terms = contract(
        end_date=date(2027, 1, 15),
        renewal=RenewalPolicy.auto(0),
        activation=Activation(ActivationCondition.AT_DATE),
        payment_terms_days=400,
        currency="EUX",
    )
    assert fields(validate_terms(terms)) == [
        "currency",
        "activation.on",
        "payment_terms_days",
        "renewal.months",
        "renewal",  # nothing to renew: no initial term
        "renewal",  # a fixed end date does not renew
    ]


def test_a_pricelist_is_needed_only_for_pricelist_prices() -> None:
    overrides = contract(pricelist_id=None, lines=(licence(),))
    assert validate_terms(overrides) == []
    from_pricelist = contract(pricelist_id=None)
    assert fields(validate_terms(from_pricelist)) == ["pricelist_id"]


def test_minimum_commitments_are_positive_amounts() -> None:
    terms = contract(
        minimum_commitment=MinimumCommitment(Decimal(0)),
        lines=(hosting(minimum_commitment=MinimumCommitment(Decimal(100), ONE_OFF)),),
    )
    assert fields(validate_terms(terms)) == [
        "minimum_commitment.amount",
        "lines.0.minimum_commitment.periodicity",
    ]


def test_ensure_valid_raises_with_every_error() -> None:
    with pytest.raises(InvalidInput) as raised:
        ensure_valid(contract(reference=" ", lines=(hosting(quantity=Decimal(0)),)))
    assert fields(raised.value.errors) == ["reference", "lines.0.quantity"]


def test_currency_and_pricelist_must_agree() -> None:
    assert pricelist_currency_problem("EUR", "EUR") is None
    assert pricelist_currency_problem("EUR", "USD") == FieldError(
        "pricelist_id", "the pricelist is in USD but the contract is in EUR"
    )


def test_references_are_unique_per_organization() -> None:
    assert reference_problem("C-1", {"C-2"}) is None
    assert reference_problem(" C-2 ", {"C-2"}) == FieldError(
        "reference", "'C-2' is already used by another contract"
    )


def test_archived_products_are_refused_on_new_lines_only() -> None:
    terms = contract(lines=(hosting(), licence()))
    active = {"prd_hosting": False, "prd_licence": True}
    # The hosting line already ran on the archived product: only new or changed lines count.
    assert archived_product_problems(terms, active, line_keys={"licence"}) == []
    assert archived_product_problems(terms, active, line_keys={"hosting"}) == [
        FieldError("lines.0.product_id", "product prd_hosting is archived")
    ]


def test_line_kind_must_be_the_products_kind() -> None:
    terms = contract(lines=(hosting(),))
    assert product_kind_problems(terms, {"prd_hosting": ProductKind.RECURRING}) == []
    assert product_kind_problems(terms, {"prd_hosting": ProductKind.USAGE}) == [
        FieldError("lines.0.kind", "product prd_hosting is usage, not recurring")
    ]


def test_a_draft_needs_a_line_to_be_submitted() -> None:
    assert submission_problems(contract()) == []
    assert fields(submission_problems(contract(lines=()))) == ["lines"]


def test_terminating_before_an_invoiced_day_needs_a_credit() -> None:
    # Invoiced in advance up to 1 Mar (exclusive): February is billed.
    invoiced_until = date(2026, 3, 1)
    assert invoiced_termination_problem(date(2026, 3, 1), invoiced_until, with_credit=False) is None
    assert invoiced_termination_problem(date(2026, 2, 10), invoiced_until, with_credit=True) is None
    problem = invoiced_termination_problem(date(2026, 2, 10), invoiced_until, with_credit=False)
    assert problem is not None and problem.field == "termination_date"
    assert "2026-02-28, already invoiced" in problem.message


def test_override_price_source_is_kept() -> None:
    line = hosting(unit_price=Decimal("349.00"), price_source=LinePriceSource.OVERRIDE)
    assert validate_terms(contract(lines=(line,))) == []
