"""Pure rules of metric definitions and aggregation values (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.errors import ErrorCollector, InvalidInput
from tarif.usage.aggregates import (
    EventSelection,
    LateMode,
    UsagePeriod,
    quantity_from_micros,
    weighted_quantity,
)
from tarif.usage.metric_rules import (
    Aggregation,
    FilterOp,
    MetricDefinition,
    PropertyFilter,
    check_definition,
    filter_lines,
    filters_from_json,
    parse_filter_lines,
    parse_filters,
    parse_group_by,
)


def errors_of(metric: MetricDefinition) -> dict[str, str]:
    errors = ErrorCollector()
    check_definition(metric, errors)
    return {e.field: e.message for e in errors.errors}


def test_a_sound_definition_has_no_error() -> None:
    assert errors_of(MetricDefinition("api_calls", Aggregation.COUNT)) == {}
    assert (
        errors_of(MetricDefinition("storage_gb", Aggregation.WEIGHTED_SUM, "gb", recurring=True))
        == {}
    )


def test_an_aggregation_reading_a_value_needs_a_field() -> None:
    assert errors_of(MetricDefinition("turnover", Aggregation.SUM)) == {
        "field": "'sum' reads a property: name it in field"
    }
    assert errors_of(MetricDefinition("calls", Aggregation.COUNT, "x")) == {
        "field": "'count' counts events and reads no property: leave field empty"
    }


def test_bad_codes_and_fields() -> None:
    assert errors_of(MetricDefinition("bad code", Aggregation.COUNT)) == {
        "code": "1 to 60 letters, digits, '_', '.', ':' or '-', starting with a letter or a digit"
    }
    assert errors_of(MetricDefinition("", Aggregation.COUNT)) == {"code": "is required"}
    assert "field" in errors_of(MetricDefinition("m", Aggregation.SUM, "a.b"))


def test_only_sums_levels_and_latest_values_recur() -> None:
    assert errors_of(MetricDefinition("m", Aggregation.COUNT, recurring=True)) == {
        "recurring": "'count' starts from zero each period; only latest, sum, weighted_sum recur"
    }
    assert errors_of(MetricDefinition("m", Aggregation.SUM, "seats", recurring=True)) == {}


def test_filters_are_parsed_with_every_error_named() -> None:
    errors = ErrorCollector()
    parsed = parse_filters(
        [
            {"property": "region", "op": "in", "value": ["eu", "us"]},
            {"property": "amount", "op": "gte", "value": "100.5"},
            {"property": "region", "op": "like", "value": "e%"},
            {"property": "amount", "op": "gt", "value": "lots"},
            {"property": "a-b", "op": "eq", "value": "x"},
            {"property": "region", "op": "in", "value": "eu"},
            {"property": "x", "op": "eq", "value": "y", "extra": 1},
        ],
        errors,
    )
    assert parsed[:2] == (
        PropertyFilter("region", FilterOp.IN, ("eu", "us")),
        PropertyFilter("amount", FilterOp.GTE, Decimal("100.5")),
    )
    assert {e.field: e.message for e in errors.errors} == {
        "filters.2.op": "unknown filter operator 'like': one of eq, in, not_in, gt, gte, lt, lte",
        "filters.3.value": "'gt' compares numbers: give a decimal such as \"100\"",
        "filters.4.property": "'a-b' is not a property name: letters, digits and '_' only",
        "filters.5.value": "'in' needs a non-empty list of values",
        "filters.6.extra": "unknown field",
    }


def test_group_by_properties_are_names_listed_once() -> None:
    errors = ErrorCollector()
    assert parse_group_by(["region", "project"], errors) == ("region", "project")
    parse_group_by(["region", "region"], errors)
    assert [e.field for e in errors.errors] == ["group_by"]


def test_filter_lines_round_trip() -> None:
    errors = ErrorCollector()
    raw = parse_filter_lines("region in eu, us\n\namount gte 100\nplan eq pro plus", errors)
    assert errors.errors == []
    filters = filters_from_json(raw)
    assert filters == (
        PropertyFilter("region", FilterOp.IN, ("eu", "us")),
        PropertyFilter("amount", FilterOp.GTE, Decimal(100)),
        PropertyFilter("plan", FilterOp.EQ, "pro plus"),
    )
    assert filter_lines(filters) == "region in eu,us\namount gte 100\nplan eq pro plus"
    assert [f.as_json() for f in filters][1] == {"property": "amount", "op": "gte", "value": "100"}
    parse_filter_lines("region eu", errors)
    assert [e.message for e in errors.errors] == ["line 1: write 'property op value'"]
    with pytest.raises(InvalidInput):
        filters_from_json([{"property": "x", "op": "nope", "value": "1"}])


def test_periods_in_local_time() -> None:
    march = UsagePeriod(date(2026, 3, 1), date(2026, 4, 1), "Europe/Paris")
    assert march.starts_at == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # UTC+1
    assert march.ends_at == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # UTC+2 after 29 March
    assert march.seconds == 31 * 86_400 - 3_600  # the hour skipped on 29 March
    with pytest.raises(ValueError):
        UsagePeriod(date(2026, 3, 1), date(2026, 3, 1))


def test_received_after_only_selects_late_events() -> None:
    with pytest.raises(ValueError):
        EventSelection(LateMode.INCLUDE, datetime(2026, 2, 1, tzinfo=UTC))
    assert EventSelection(LateMode.ONLY, datetime(2026, 2, 1, tzinfo=UTC)).late == LateMode.ONLY


def test_quantities_from_micros() -> None:
    assert str(quantity_from_micros(30_750_001)) == "30.750001"
    assert str(quantity_from_micros(100_000_000)) == "100"
    assert str(quantity_from_micros(-1_500_000)) == "-1.5"
    assert quantity_from_micros(None) == 0
    # 3820 GB·days over 31 days, in micro-GB·seconds: 3820 × 86400 × 10^6 / (31 × 86400 × 10^6)
    assert str(weighted_quantity(3820 * 86_400 * 10**6, 31 * 86_400)) == "123.225806"
    assert str(weighted_quantity(3500 * 86_400 * 10**6, 28 * 86_400)) == "125"
    # Half a millionth rounds up: 0.0000005 → 0.000001
    assert str(weighted_quantity(1, 2)) == "0.000001"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_micros_convert_exactly(micros: int) -> None:
    assert quantity_from_micros(micros) * 1_000_000 == micros
