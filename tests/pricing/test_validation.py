"""Charge validation and the JSON codec: every problem named by its field."""

from __future__ import annotations

from typing import Any

import pytest

from tarif.pricing.charges import ChargeSpec, InvalidCharge, charge_summary
from tarif.pricing.validation import charge_problems, money_problems


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidCharge) as caught:
        ChargeSpec.from_json(data)
    return {p.field: p.message for p in caught.value.problems}


def test_negative_prices_and_tiers_not_increasing() -> None:
    found = problems(
        {
            "metric": "calls",
            "model": "graduated",
            "tiers": [
                {"up_to": "100", "unit_price": "-1"},
                {"up_to": "100", "unit_price": "0.5", "flat_fee": "-2"},
                {"up_to": None, "unit_price": "0.1"},
            ],
        }
    )
    assert found == {
        "tiers.0.unit_price": "must not be negative",
        "tiers.1.flat_fee": "must not be negative",
        "tiers.1.up_to": "tiers must increase: 100 ≤ 100",
    }


def test_last_tier_must_be_open_and_only_the_last() -> None:
    found = problems(
        {
            "metric": "calls",
            "model": "volume",
            "tiers": [{"up_to": None, "unit_price": "1"}, {"up_to": "10", "unit_price": "1"}],
        }
    )
    assert set(found) == {"tiers.0.up_to", "tiers.1.up_to"}
    assert found["tiers.1.up_to"].startswith("the last tier must be open")


def test_package_size_must_be_positive() -> None:
    found = problems(
        {"metric": "sms", "model": "package", "package_size": "0", "package_price": "5"}
    )
    assert found == {"package_size": "must be greater than 0"}


def test_rate_range_and_min_above_max() -> None:
    found = problems(
        {
            "metric": "turnover",
            "model": "percentage",
            "rate": "101",
            "min_fee": "2.00",
            "max_fee": "1.00",
        }
    )
    assert found == {
        "rate": "must lie between 0 and 100 (percent)",
        "min_fee": "must not exceed max_fee",
    }


def test_fields_of_another_model_and_unknown_fields() -> None:
    assert problems({"metric": "calls", "model": "per_unit", "unit_price": "1", "rate": "2"}) == {
        "rate": "not used by the per_unit model"
    }
    assert problems({"metric": "calls", "model": "per_unit", "unit_price": "1", "foo": 1}) == {
        "foo": "unknown field"
    }


def test_required_fields_and_types() -> None:
    assert problems({"model": "tiered", "unit_price": 1.5}) == {
        "metric": "required: the code of the metric this charge prices",
        "model": "must be one of per_unit, graduated, volume, package, percentage",
        "unit_price": 'must be a decimal number written as a string, e.g. "0.25"',
    }
    assert problems({"metric": "calls", "model": "per_unit"}) == {
        "unit_price": "required by the per_unit model"
    }


def test_free_amount_and_bounds_do_not_mix() -> None:
    found = problems(
        {
            "metric": "turnover",
            "model": "percentage",
            "rate": "2",
            "min_fee": "0.30",
            "free_amount": "100",
        }
    )
    assert found == {"free_amount": "cannot be combined with a per-transaction min_fee or max_fee"}
    assert problems(
        {"metric": "calls", "model": "per_unit", "unit_price": "1", "free_amount": "5"}
    ) == {"free_amount": "only the percentage model has a free amount"}


def test_group_prices_bound_fees_at_the_charges_own_transaction_amounts() -> None:
    base = {"metric": "sales", "model": "percentage", "rate": "1.5", "fixed_fee": "0.10"}
    bounded = base | {"min_fee": "0.50", "max_fee": "5.00"}
    # 1.5 % + 0.10 reaches 0.50 at (0.50 − 0.10) ÷ 1.5 % = 26.666… and 5.00 at
    # (5.00 − 0.10) ÷ 1.5 % = 326.666…; 3 % + 0.10 at 13.333… and 163.333…
    other_rate = {"group": {"region": "us"}, "rate": "3", "fixed_fee": "0.10"}
    assert problems(
        bounded | {"group_prices": [other_rate | {"min_fee": "0.50", "max_fee": "5.00"}]}
    ) == {
        "group_prices.0.min_fee": "bounds each transaction's fee at other amounts than the "
        "charge's own prices (min_fee below 13.333334, max_fee above 163.333333 against "
        "min_fee below 26.666667, max_fee above 326.666666): give it the same rate, fixed "
        "fee and bounds"
    }
    assert problems(bounded | {"group_prices": [other_rate]}) == {
        "group_prices.0.rate": "the charge's own prices bound each transaction's fee: bound "
        "this group's too, at the same transaction amounts"
    }
    group_only = {"group": {"region": "us"}, "rate": "2", "min_fee": "1.00"}
    assert problems(base | {"rate": "2", "fixed_fee": None, "group_prices": [group_only]}) == {
        "group_prices.0.min_fee": "a group price may bound fees only when the charge's own "
        "prices do"
    }
    # the same rate, fixed fee and bounds (a group priced apart for its reporting): accepted
    same = {"group": {"region": "us"}, "rate": "1.5", "fixed_fee": "0.10"}
    spec = ChargeSpec.from_json(
        bounded | {"group_prices": [same | {"min_fee": "0.50", "max_fee": "5.00"}]}
    )
    assert len(spec.group_prices) == 1
    # without bounds anywhere, group rates differ freely
    assert ChargeSpec.from_json(base | {"group_prices": [other_rate]}).group_prices


def test_group_price_problems_are_prefixed() -> None:
    found = problems(
        {
            "metric": "calls",
            "model": "per_unit",
            "unit_price": "0.01",
            "group_prices": [
                {"group": {"region": "us"}, "unit_price": "-0.02"},
                {"group": {"region": "us"}, "unit_price": "0.0000001"},
            ],
        }
    )
    assert found == {
        "group_prices.0.unit_price": "must not be negative",
        "group_prices.1.group": "the same group is priced twice",
        "group_prices.1.unit_price": "at most 6 decimals",
    }


def test_round_trip_is_exact() -> None:
    data = {
        "metric": "api_calls",
        "model": "graduated",
        "tiers": [
            {"up_to": "100", "unit_price": "1.00", "flat_fee": "5.00"},
            {"up_to": None, "unit_price": "0.0025"},
        ],
        "free_units": "1000",
        "minimum_spend": "50.00",
        "group_prices": [
            {"group": {"region": "us"}, "tiers": [{"up_to": None, "unit_price": "0.50"}]}
        ],
        "description": "API calls",
    }
    charge = ChargeSpec.from_json(data)
    assert charge.to_json() == data
    assert ChargeSpec.from_json(charge.to_json()) == charge


def test_summaries_in_french() -> None:
    turnover = ChargeSpec.from_json(
        {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
    )
    assert charge_summary(turnover, "EUR") == "turnover : 2\u00a0% + 0,25\u00a0€ par transaction"
    tiers = ChargeSpec.from_json(
        {
            "metric": "api_calls",
            "model": "graduated",
            "tiers": [
                {"up_to": "100", "unit_price": "1"},
                {"up_to": None, "unit_price": "0.0025"},
            ],
            "free_units": "1000",
        }
    )
    assert charge_summary(tiers, "EUR") == (
        "api_calls : Paliers progressifs : jusqu'à 100 : 1,00\u00a0€, "
        "au-delà : 0,0025\u00a0€ ; 1\u00a0000 unités offertes par période"
    )


def test_absurd_magnitudes_are_refused_before_being_written_out() -> None:
    # 1E+999999 is a finite decimal; printed in full it would be a million digits
    assert problems({"metric": "calls", "model": "per_unit", "unit_price": "1E+999999"}) == {
        "unit_price": "must be less than 10^15"
    }
    assert problems({"metric": "calls", "model": "per_unit", "unit_price": "1E-999999"}) == {
        "unit_price": "at most 6 decimals"
    }
    assert problems({"metric": "calls", "model": "per_unit", "unit_price": "NaN"}) == {
        "unit_price": "not a decimal number: 'NaN'"
    }


def test_amounts_billed_as_such_keep_the_currencys_minor_unit() -> None:
    spec = ChargeSpec.from_json(  # valid alone: a charge does not know its currency
        {
            "metric": "calls",
            "model": "graduated",
            "tiers": [
                {"up_to": "100", "unit_price": "0.0025", "flat_fee": "5.50"},
                {"up_to": None, "unit_price": "0.000125", "flat_fee": "0.125"},
            ],
            "minimum_spend": "10.5",
            "group_prices": [
                {"group": {"region": "us"}, "tiers": [{"up_to": None, "unit_price": "1.5"}]}
            ],
        }
    )
    # unit prices keep their 6 decimals; flat fees and the minimum are billed as they are
    assert {p.field: p.message for p in money_problems(spec, "EUR")} == {
        "tiers.1.flat_fee": "must have at most 2 decimals in EUR"
    }
    assert {p.field for p in money_problems(spec, "JPY")} == {
        "minimum_spend",
        "tiers.0.flat_fee",
        "tiers.1.flat_fee",
    }
    assert [p.field for p in charge_problems(spec, currency="EUR")] == ["tiers.1.flat_fee"]
    assert charge_problems(spec) == []
    package = ChargeSpec.from_json(
        {
            "metric": "calls",
            "model": "package",
            "package_size": "1000",
            "package_price": "9.99",
            "group_prices": [
                {"group": {"region": "us"}, "package_size": "10", "package_price": "0.125"}
            ],
        }
    )
    assert [p.field for p in money_problems(package, "EUR")] == ["group_prices.0.package_price"]
