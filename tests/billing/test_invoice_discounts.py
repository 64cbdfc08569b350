"""Invoice discounts split per VAT rate: worked cases and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.billing.invoice_discounts import (
    CoveredLine,
    DiscountPart,
    InvoiceDiscountKind,
    covered_bases,
    invoice_discount,
)
from tarif.money import currency

EUR = currency("EUR")
JPY = currency("JPY")
PCT = InvoiceDiscountKind.PERCENTAGE
FIXED = InvoiceDiscountKind.FIXED


def line(net: str, rate: str = "20") -> CoveredLine:
    return CoveredLine(Decimal(net), Decimal(rate))


def amounts(parts: tuple[DiscountPart, ...]) -> list[tuple[str, str]]:
    return [(str(p.vat_rate), str(p.amount)) for p in parts]


@pytest.mark.parametrize(
    ("lines", "kind", "value", "expected"),
    [
        # 399 × 20 % = 79.80
        ([line("399.00")], PCT, "20", [("20", "79.80")]),
        # per rate: 300 × 10 % = 30.00; 100 × 10 % = 10.00
        ([line("300.00"), line("100.00", "5.5")], PCT, "10", [("20", "30.00"), ("5.5", "10.00")]),
        # 218.81 × 15 % = 32.8215 → 32.82 (HALF_UP)
        ([line("218.81")], PCT, "15", [("20", "32.82")]),
        # 100 % of the base: all of it
        ([line("399.00")], PCT, "100", [("20", "399.00")]),
        # 50 over 300 and 100: 50 × 300/400 = 37.50 and 50 × 100/400 = 12.50
        (
            [line("300.00"), line("100.00", "5.5")],
            FIXED,
            "50",
            [("20", "37.50"), ("5.5", "12.50")],
        ),
        # 500 off a 399 base: capped at 399.00, the invoice nets to zero
        ([line("399.00")], FIXED, "500", [("20", "399.00")]),
        # 10 over three equal bases of 10: 3.333… each, floored to 3.33 (9.99), the cent left
        # goes to the largest base; ties go to the higher rate: 20 % gets 3.34
        (
            [line("10.00"), line("10.00", "10"), line("10.00", "5.5")],
            FIXED,
            "10",
            [("20", "3.34"), ("10", "3.33"), ("5.5", "3.33")],
        ),
        # 10 over 200 (20 %) and 100 (10 %): 6.666… → 6.66 and 3.333… → 3.33 (9.99), the cent
        # left goes to the largest base: 6.67 + 3.33 = 10.00
        ([line("200.00"), line("100.00", "10")], FIXED, "10", [("20", "6.67"), ("10", "3.33")]),
        # lines of a rate add up first: 150 + 250 = 400 at 20 %; 400 × 25 % = 100.00
        ([line("150.00"), line("250.00")], PCT, "25", [("20", "100.00")]),
        # a credit reduces its rate's base: 399 − 170 = 229; 229 × 20 % = 45.80
        ([line("399.00"), line("-170.00")], PCT, "20", [("20", "45.80")]),
        # a rate whose base is negative is not covered: only 100 at 5.5 % gets 50.00
        ([line("-170.00"), line("100.00", "5.5")], FIXED, "50", [("5.5", "50.00")]),
        # zero base: no line at all
        ([line("0.00")], PCT, "20", []),
        ([], FIXED, "50", []),
    ],
)
def test_worked_cases(
    lines: list[CoveredLine], kind: InvoiceDiscountKind, value: str, expected: list[tuple[str, str]]
) -> None:
    assert amounts(invoice_discount(lines, kind, Decimal(value), EUR)) == expected


def test_jpy_has_no_decimals() -> None:
    # 1000 over 2000 and 1000 yen: 666.6… → 666 and 333.3… → 333 (999), the yen left goes to the
    # largest base: 667 + 333 = 1000
    parts = invoice_discount([line("2000"), line("1000", "10")], FIXED, Decimal(1000), JPY)
    assert amounts(parts) == [("20", "667"), ("10", "333")]


def test_half_even_percentage() -> None:
    from tarif.money import RoundingMode

    # 0.25 × 50 % = 0.125 → 0.12 (HALF_EVEN) or 0.13 (HALF_UP)
    even = invoice_discount([line("0.25")], PCT, Decimal(50), EUR, RoundingMode.HALF_EVEN)
    up = invoice_discount([line("0.25")], PCT, Decimal(50), EUR)
    assert amounts(even) == [("20", "0.12")]
    assert amounts(up) == [("20", "0.13")]


def test_refuses_negative_and_excess_values() -> None:
    with pytest.raises(ValueError, match="negative"):
        invoice_discount([line("10")], FIXED, Decimal(-1), EUR)
    with pytest.raises(ValueError, match="at most 100"):
        invoice_discount([line("10")], PCT, Decimal(101), EUR)


def test_covered_bases_highest_rate_first() -> None:
    bases = covered_bases([line("1", "5.5"), line("2", "20"), line("3", "10"), line("-1", "2.1")])
    assert list(bases) == [Decimal(20), Decimal(10), Decimal("5.5")]


RATES = st.sampled_from([Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal(0)])
CENTS = st.integers(min_value=-50_000, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
LINES = st.lists(st.builds(CoveredLine, CENTS, RATES), max_size=8)


@given(LINES, st.integers(min_value=0, max_value=1_000_000).map(lambda c: Decimal(c).scaleb(-2)))
def test_fixed_parts_add_up_to_the_discount_or_the_base(
    lines: list[CoveredLine], value: Decimal
) -> None:
    parts = invoice_discount(lines, FIXED, value, EUR)
    total_base = sum(covered_bases(lines).values(), Decimal(0))
    assert sum((p.amount for p in parts), Decimal(0)) == min(value, total_base)
    for part in parts:
        assert Decimal(0) < part.amount <= part.base
        assert part.amount == part.amount.quantize(Decimal("0.01"))


@given(LINES, st.integers(min_value=1, max_value=10_000).map(lambda c: Decimal(c).scaleb(-2)))
def test_percentage_parts_never_exceed_their_base(lines: list[CoveredLine], value: Decimal) -> None:
    parts = invoice_discount(lines, PCT, value, EUR)
    bases = covered_bases(lines)
    for part in parts:
        assert part.base == bases[part.vat_rate]
        assert Decimal(0) < part.amount <= part.base
    # One part per covered rate, unless the rounded percentage is zero.
    assert {p.vat_rate for p in parts} <= set(bases)


@given(LINES, st.sampled_from([PCT, FIXED]), st.integers(1, 10_000))
def test_rates_without_a_positive_base_get_no_line(
    lines: list[CoveredLine], kind: InvoiceDiscountKind, value: int
) -> None:
    parts = invoice_discount(lines, kind, Decimal(min(value, 100) if kind is PCT else value), EUR)
    positive = {rate for rate, base in covered_bases(lines).items() if base > 0}
    assert {p.vat_rate for p in parts} <= positive
