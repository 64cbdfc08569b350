"""Pure ingestion rules: exact values, local days, timestamps, shapes (no database)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.usage.cloudevents import parse_cloudevent
from tarif.usage.event_rules import (
    Candidate,
    Directory,
    LatePolicy,
    MetricSpec,
    Policy,
    Rejection,
    Row,
    local_date,
    micros_to_decimal,
    parse_event,
    parse_timestamp,
    resolve,
    value_micros,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "micros"),
    [
        ("0.000001", 1),  # one millionth
        ("12.5", 12_500_000),  # 12.5 × 1,000,000
        (Decimal("12.5"), 12_500_000),
        (7, 7_000_000),
        ("-3.25", -3_250_000),
        ("12.50000000", 12_500_000),  # trailing zeros are not decimals of the value
        ("9223372036854.775807", 2**63 - 1),  # the largest a BIGINT holds
    ],
)
def test_value_micros_is_exact(value: object, micros: int) -> None:
    assert value_micros(value) == micros


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.0000001", "more than 6 decimals"),
        ("abc", "must be a number"),
        (True, "must be a number"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ([1], "must be a number"),
        ("1e30", "too large"),
        ("1e1000000", "too large"),  # an exponent past the decimal context, not an overflow
        ("9223372036854.775808", "too large"),  # one millionth past the BIGINT
    ],
)
def test_value_micros_refuses(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        value_micros(value)


@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_micros_round_trip(micros: int) -> None:
    assert value_micros(str(micros_to_decimal(micros))) == micros


def test_micros_to_decimal_has_no_trailing_zeros() -> None:
    assert str(micros_to_decimal(12_500_000)) == "12.5"
    assert str(micros_to_decimal(10_000_000)) == "10"
    assert str(micros_to_decimal(1)) == "0.000001"


def test_local_date_crosses_midnight_in_paris() -> None:
    # 23:30 UTC on 31 January is 00:30 on 1 February in Paris (UTC+1 in winter).
    assert local_date(parse_timestamp("2026-01-31T23:30:00Z"), PARIS) == date(2026, 2, 1)
    assert local_date(parse_timestamp("2026-01-31T22:59:59Z"), PARIS) == date(2026, 1, 31)
    # Summer time: UTC+2, so 22:00 UTC on 30 June is already 1 July.
    assert local_date(parse_timestamp("2026-06-30T22:00:00Z"), PARIS) == date(2026, 7, 1)


def test_timestamps_need_an_offset_and_a_time() -> None:
    assert parse_timestamp("2026-01-31T23:30:00+01:00") == datetime(2026, 1, 31, 22, 30, tzinfo=UTC)
    for bad, message in [
        ("2026-01-31T23:30:00", "needs an offset"),
        ("2026-01-31", "with a time"),
        ("2026-01-31T25:30:00Z", "not an RFC 3339"),
        (1769902200, "string"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_timestamp(bad)


def _dumps(value: object) -> str:
    return json.dumps(value, default=str)


def _event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "transaction_id": "t1",
        "customer": "ACME",
        "metric": "tokens",
        "timestamp": "2026-01-15T09:00:00Z",
        "properties": {"tokens": "10"},
    }
    return {k: v for k, v in (base | fields).items() if v is not None}


@pytest.mark.parametrize(
    ("fields", "field", "detail"),
    [
        ({"transaction_id": None}, "transaction_id", "is required"),
        ({"metric": ""}, "metric", "is required"),
        ({"customer": None}, "customer", "is required (or contract)"),
        ({"timestamp": None}, "timestamp", "is required"),
        ({"timestamp": "2026-01-15 09:00"}, "timestamp", "needs an offset"),
        ({"timestamp": "15/01/2026 09:00Z"}, "timestamp", "RFC 3339"),
        ({"properties": [1, 2]}, "properties", "must be a JSON object"),
        ({"bogus": 1}, "bogus", "unknown field"),
        ({"transaction_id": "x" * 201}, "transaction_id", "at most 200"),
    ],
)
def test_shape_refusals_name_the_field(fields: dict[str, object], field: str, detail: str) -> None:
    result = parse_event(3, _event(**fields), _dumps)
    assert isinstance(result, Rejection)
    assert (result.index, result.field) == (3, field)
    assert detail in result.detail


def test_properties_too_large_is_a_413_refusal() -> None:
    result = parse_event(
        0, _event(properties={"blob": "x" * 9000}), _dumps, max_properties_bytes=8192
    )
    assert isinstance(result, Rejection) and result.too_large and result.field == "properties"


DIRECTORY = Directory(
    metrics={
        "tokens": MetricSpec("tokens", "sum", "tokens", False),
        "calls": MetricSpec("calls", "count", None, False),
        "users": MetricSpec("users", "unique_count", "user_id", False),
        "old": MetricSpec("old", "sum", "n", True),
        "valued": MetricSpec("valued", "sum", None, False, "smc_1"),
    },
    customers_by_external_id={"ACME": "cus_a", "GLOBEX": "cus_g"},
    contracts={"ctr_1": ("ctr_1", "cus_a"), "C-001": ("ctr_1", "cus_a")},
    watermarks={("cus_a", "tokens"): date(2026, 1, 1)},
)
POLICY = Policy(timezone=PARIS, received_at=NOW)


def _resolve(policy: Policy = POLICY, **fields: object) -> Row | Rejection:
    candidate = parse_event(0, _event(**fields), _dumps)
    assert isinstance(candidate, Candidate)
    return resolve(candidate, DIRECTORY, policy)


@pytest.mark.parametrize(
    ("fields", "field", "detail"),
    [
        ({"metric": "nope"}, "metric", "unknown metric 'nope'"),
        ({"metric": "old"}, "metric", "metric 'old' is archived"),
        ({"metric": "valued"}, "metric", "valuation SmartCodes are not available"),
        ({"customer": "NOPE"}, "customer", "unknown customer 'NOPE'"),
        ({"customer": None, "contract": "ctr_x"}, "contract", "unknown contract 'ctr_x'"),
        ({"customer": "GLOBEX", "contract": "ctr_1"}, "contract", "another customer"),
        ({"properties": {}}, "properties.tokens", "is required by metric 'tokens'"),
        ({"properties": {"tokens": "ten"}}, "properties.tokens", "must be a number"),
        ({"properties": {"tokens": "0.1234567"}}, "properties.tokens", "more than 6 decimals"),
        # Five minutes of tolerance: 09:35:01 is one second too far ahead of 09:30.
        ({"timestamp": "2026-01-15T09:35:01Z"}, "timestamp", "more than 300 seconds in the future"),
    ],
)
def test_refusals_against_the_organization(
    fields: dict[str, object], field: str, detail: str
) -> None:
    result = _resolve(**fields)
    assert isinstance(result, Rejection)
    assert result.field == field
    assert detail in result.detail


def test_the_tolerance_edge_is_accepted() -> None:
    assert isinstance(_resolve(timestamp="2026-01-15T09:35:00Z"), Row)  # exactly 09:30 + 5 min


def test_extracted_values() -> None:
    row = _resolve(properties={"tokens": Decimal("12.5")})
    assert isinstance(row, Row)
    assert (row.customer_id, row.value_micros, row.unique_key) == ("cus_a", 12_500_000, None)
    count = _resolve(metric="calls", properties={})
    assert isinstance(count, Row) and count.value_micros is None
    unique = _resolve(metric="users", properties={"user_id": 42})
    assert isinstance(unique, Row) and unique.unique_key == "42"
    by_contract = _resolve(customer=None, contract="C-001")
    assert isinstance(by_contract, Row)
    assert (by_contract.customer_id, by_contract.contract_id) == ("cus_a", "ctr_1")


def test_late_events_are_flagged_or_refused() -> None:
    # Billed until 2026-01-01: 31 December (Paris) is late, 1 January is not.
    late = _resolve(timestamp="2025-12-31T22:59:59Z")  # 23:59:59 on 31 December in Paris
    assert isinstance(late, Row) and late.late and late.local_date == date(2025, 12, 31)
    on_time = _resolve(timestamp="2025-12-31T23:00:00Z")  # midnight, 1 January in Paris
    assert isinstance(on_time, Row) and not on_time.late
    strict = Policy(PARIS, NOW, timedelta(minutes=5), LatePolicy.REJECT)
    refused = _resolve(strict, timestamp="2025-12-31T22:59:59Z")
    assert isinstance(refused, Rejection) and "already invoiced" in refused.detail


def test_cloudevent_mapping() -> None:
    event = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "//gateway/eu",
        "type": "tokens",
        "subject": "ACME",
        "time": "2026-01-31T23:30:00Z",
        "data": {"tokens": 3},
    }
    candidate = parse_cloudevent(0, event, _dumps)
    assert isinstance(candidate, Candidate)
    assert (candidate.source, candidate.transaction_id, candidate.metric, candidate.customer) == (
        "//gateway/eu",
        "e-1",
        "tokens",
        "ACME",
    )
    bad = parse_cloudevent(1, event | {"specversion": "0.3"}, _dumps)
    assert isinstance(bad, Rejection) and bad.field == "specversion"
    no_subject = parse_cloudevent(2, {k: v for k, v in event.items() if k != "subject"}, _dumps)
    assert isinstance(no_subject, Rejection) and no_subject.field == "subject"


@given(
    st.decimals(
        min_value=Decimal("-9223372036854.775807"),  # what a BIGINT of millionths holds
        max_value=Decimal("9223372036854.775807"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_the_fast_path_agrees_with_decimal(number: Decimal) -> None:
    text = format(number, "f")
    assert value_micros(text) == int(number * 1_000_000) == value_micros(number)
