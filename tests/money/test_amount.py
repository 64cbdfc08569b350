"""Money: exact arithmetic within one currency; floats and mixed currencies are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tarif.money import Money, MoneyError, RoundingMode, currency


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_arithmetic_keeps_full_precision() -> None:
    # 3 × 0.0025 = 0.0075, nothing rounded on the way.
    assert eur("0.0025") * 3 == eur("0.0075")
    # 10.10 + 0.015 − 0.005 = 10.115 − 0.005 = 10.110
    assert eur("10.10") + eur("0.015") - eur("0.005") == eur("10.11")
    # 12.50 × 1.5 = 18.750
    assert (eur("12.50") * Decimal("1.5")).amount == Decimal("18.750")
    assert Decimal("2") * eur("1.25") == eur("2.50")
    assert -eur("4.20") == eur("-4.20")


def test_comparisons_within_one_currency() -> None:
    assert eur("1.00") < eur("1.01")
    assert eur("1.01") > eur("1.00")
    assert eur("1.00") <= eur("1.0")
    assert eur("1.0") >= eur("1.00")
    assert eur("1.0") == eur("1.00")  # the same amount, whatever the scale


def test_zero() -> None:
    assert Money.zero("JPY") == Money.of(0, "JPY")
    assert Money.zero("EUR") + eur("3.10") == eur("3.10")


def test_sum_starts_from_zero() -> None:
    # sum() starts with the int 0: 0.10 + 0.20 + 0.30 = 0.60, exactly (no float on the way).
    assert sum([eur("0.10"), eur("0.20"), eur("0.30")]) == eur("0.60")


def test_rounded_and_to_json_use_the_minor_unit() -> None:
    assert eur("0.125").rounded() == eur("0.13")
    assert eur("0.125").rounded(RoundingMode.HALF_EVEN) == eur("0.12")
    assert eur("12.5").to_json() == "12.50"
    assert Money.of("1000", "JPY").to_json() == "1000"
    assert Money.of("1", "KWD").to_json() == "1.000"
    assert Money.of("2.5", "JPY").to_json(RoundingMode.HALF_EVEN) == "2"
    assert eur("-0.001").to_json() == "0.00"  # no "-0.00"
    assert str(eur("12.5")) == "12.50 EUR"


@pytest.mark.parametrize("factor", [1.5, True])
def test_multiplying_by_a_float_or_bool_is_refused(factor: object) -> None:
    with pytest.raises(MoneyError, match="only be multiplied by a Decimal or an int"):
        eur("1.00") * factor  # type: ignore[operator]
    with pytest.raises(MoneyError, match="only be multiplied by a Decimal or an int"):
        factor * eur("1.00")  # type: ignore[operator]


def test_multiplying_money_by_money_is_refused() -> None:
    with pytest.raises(MoneyError):
        eur("1.00") * eur("2.00")  # type: ignore[operator]


@pytest.mark.parametrize("other", [1.5, 1, Decimal("1.5"), "1.5"])
def test_adding_anything_but_money_is_refused(other: object) -> None:
    with pytest.raises(MoneyError, match="cannot combine money with"):
        eur("1.00") + other  # type: ignore[operator]
    with pytest.raises(MoneyError, match="cannot combine money with"):
        eur("1.00") - other  # type: ignore[operator]
    with pytest.raises(MoneyError, match="cannot combine money with"):
        _ = eur("1.00") < other  # type: ignore[operator]


def test_float_amounts_are_refused_at_construction() -> None:
    with pytest.raises(TypeError, match="refusing float"):
        Money.of(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="needs a Decimal amount"):
        Money(1.5, currency("EUR"))  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="needs a Currency"):
        Money(Decimal("1.5"), "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="finite"):
        Money(Decimal("NaN"), currency("EUR"))


def test_mixed_currencies_are_refused() -> None:
    usd = Money.of("1.00", "USD")
    with pytest.raises(MoneyError, match="cannot combine EUR with USD"):
        eur("1.00") + usd
    with pytest.raises(MoneyError, match="cannot combine EUR with USD"):
        eur("1.00") - usd
    with pytest.raises(MoneyError, match="cannot combine EUR with USD"):
        _ = eur("1.00") < usd
    with pytest.raises(MoneyError, match="cannot combine EUR with USD"):
        _ = eur("1.00") >= usd
    with pytest.raises(MoneyError, match="cannot combine USD with EUR"):
        sum([usd, eur("1.00")])
    # Equality is not arithmetic: one euro is simply not one dollar.
    assert eur("1.00") != usd


def test_money_is_immutable_and_hashable() -> None:
    amount = eur("1.00")
    with pytest.raises(AttributeError):
        amount.amount = Decimal(2)  # type: ignore[misc]
    assert len({eur("1.0"), eur("1.00"), Money.of("1.00", "USD")}) == 2


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ISO 4217 currency code"):
        Money.of("1", "ABC")
