"""What a macro returns, checked (pure), and what it receives, read back through the worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tarif.smartcodes.failures import ResultRefused
from tarif.smartcodes.runner import MacroRunner, MacroSource
from tarif.smartcodes.values import (
    BadResult,
    MacroContract,
    MacroPeriod,
    MacroUsage,
    PriceLine,
    check_lines,
    check_valuation,
    exact,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(Decimal("1.50"), Decimal("1.50")), (3, 3), ("2.25", Decimal("2.25")), (" 7 ", Decimal(7))],
)
def test_exact_numbers_are_accepted(raw: object, expected: Decimal) -> None:
    assert exact(raw, "value") == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (0.1, "float 0.1 refused"),
        (True, "not bool"),
        ("abc", "'abc' is not a number"),
        (Decimal("NaN"), "finite"),
        ("Infinity", "finite"),
        (None, "not NoneType"),
    ],
)
def test_inexact_or_non_numbers_are_refused_naming_the_field(raw: object, words: str) -> None:
    with pytest.raises(BadResult, match=words) as refused:
        exact(raw, "lines[2].quantity")
    assert refused.value.field == "lines[2].quantity"


def test_a_dict_valuation_keeps_its_other_fields() -> None:
    result = check_valuation({"value": "2", "rounded_from": Decimal("61"), "note": "x"})
    assert result == (Decimal(2), {"rounded_from": Decimal(61), "note": "x"})
    with pytest.raises(BadResult, match="'value' key"):
        check_valuation({"minutes": 2})
    with pytest.raises(BadResult, match="float"):
        check_valuation({"value": 1, "ratio": 0.5})


def test_lines_amount_defaults_to_quantity_times_unit_price() -> None:
    lines = check_lines(
        [
            {"description": "Appels FR", "quantity": 1000, "unit_price": "0.0125"},
            {"description": "Forfait", "quantity": 1, "unit_price": "10", "amount": "9.99"},
        ]
    )
    assert lines == [
        PriceLine(
            "Appels FR", Decimal(1000), Decimal("0.0125"), Decimal("12.5000")
        ),  # 1000 × 0.0125
        PriceLine("Forfait", Decimal(1), Decimal(10), Decimal("9.99")),  # given amount kept
    ]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("nope", "lines"),
        ([{"description": "", "quantity": 1, "unit_price": 1}], "lines[0].description"),
        ([{"description": "x", "unit_price": 1}], "lines[0].quantity"),
        ([{"description": "x", "quantity": 1, "unit_price": 1, "tax": 1}], "lines[0].tax"),
        ([{"description": "x", "quantity": 1, "unit_price": 1.5}], "lines[0].unit_price"),
    ],
)
def test_bad_lines_name_the_field(raw: object, field: str) -> None:
    with pytest.raises(BadResult) as refused:
        check_lines(raw)
    assert refused.value.field == field


@pytest.fixture(scope="module")
def runner() -> Iterator[MacroRunner]:
    runner = MacroRunner()
    yield runner
    runner.close()


def test_a_macro_reads_every_attribute_of_its_event(runner: MacroRunner) -> None:
    source = (
        "def value(event):\n"
        "    return {'value': 1, 'at': event.timestamp, 'metric': event.metric,\n"
        "            'customer': event.customer, 'hour': event.timestamp.hour,\n"
        "            'duration': event.properties['duration']}\n"
    )
    at = datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)
    result = runner.value_events(
        MacroSource.of("valuation", source), [(at, {"duration": Decimal("1.5")}, "calls", "C1")]
    )
    assert dict(result[0].fields) == {
        "at": at,  # the exact instant, microseconds included
        "metric": "calls",
        "customer": "C1",
        "hour": Decimal(9),
        "duration": Decimal("1.5"),
    }


def test_a_macro_prices_usage_with_its_contract(runner: MacroRunner) -> None:
    source = (
        "def price(usage, contract):\n"
        "    days = (usage.period.end - usage.period.start).days\n"
        "    rate = contract.terms['rate']\n"
        "    text = f'{contract.reference} {days} j'\n"
        "    return [{'description': text, 'quantity': usage.quantity, 'unit_price': rate}]\n"
    )
    usage = MacroUsage(Decimal(10), 4, {}, MacroPeriod(date(2026, 1, 1), date(2026, 2, 1)))
    contract = MacroContract("C-1", "EUR", {"rate": Decimal("0.5")})
    lines = runner.price_usage(MacroSource.of("pricing", source), usage, contract)
    # 31 days in [1 Jan, 1 Feb); 10 × 0.5 = 5.0
    assert lines == [PriceLine("C-1 31 j", Decimal(10), Decimal("0.5"), Decimal("5.0"))]


def test_a_naive_timestamp_is_refused_before_any_run(runner: MacroRunner) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        runner.value_events(
            MacroSource.of("valuation", "def value(event):\n    return 1\n"),
            [(datetime(2026, 1, 15), {}, None, None)],
        )


def test_a_bool_result_is_refused(runner: MacroRunner) -> None:
    with pytest.raises(ResultRefused, match="value: must be"):
        runner.value_events(
            MacroSource.of("valuation", "def value(event):\n    return True\n"),
            [(datetime(2026, 1, 15, tzinfo=UTC), {}, None, None)],
        )
