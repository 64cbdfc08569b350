"""The arithmetic of credit notes (pure): prorating, splitting a gross over rates, net for gross."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.invoicing.credit_rules import gross_of, net_for_gross, prorated_net, split_gross
from tarif.money import currency

D = Decimal
EUR = currency("EUR")
RATES = [D("20"), D("10"), D("5.5"), D("2.1"), D("0")]


def test_net_for_gross_examples() -> None:
    # 100 / 1.2 = 83.333… → 83.33; 83.33 × 0.2 = 16.666 → 16.67; 83.33 + 16.67 = 100.00
    assert net_for_gross(D("100.00"), D("20"), EUR) == D("83.33")
    # 22.66 / 1.055 = 21.478… → 21.48; 21.48 × 0.055 = 1.1814 → 1.18; sum 22.66
    assert net_for_gross(D("22.66"), D("5.5"), EUR) == D("21.48")
    # 0.03 at 20 %: net 0.02 → 0.02 gross, net 0.03 → 0.03 + 0.006→0.01 = 0.04: nearest below
    assert net_for_gross(D("0.03"), D("20"), EUR) == D("0.02")
    assert net_for_gross(D("12.34"), D("0"), EUR) == D("12.34")


@given(
    cents=st.integers(min_value=0, max_value=10_000_000),
    rate=st.sampled_from(RATES),
)
def test_net_for_gross_never_exceeds_and_misses_by_at_most_a_cent(
    cents: int, rate: Decimal
) -> None:
    gross = D(cents).scaleb(-2)
    net = net_for_gross(gross, rate, EUR)
    reached = gross_of(net, rate, EUR)
    assert reached <= gross
    assert gross - reached <= D("0.01")


def test_split_gross_gives_the_last_rate_the_remainder() -> None:
    # 100 × 360 / 465.50 = 77.336… → 77.34; the last: 100 - 77.34 = 22.66
    assert split_gross(D("100.00"), [(D("20"), D("360.00")), (D("5.5"), D("105.50"))], EUR) == [
        (D("20"), D("77.34")),
        (D("5.5"), D("22.66")),
    ]
    with pytest.raises(ValueError):
        split_gross(D("1"), [], EUR)


@given(
    cents=st.integers(min_value=1, max_value=1_000_000),
    weights=st.lists(st.integers(min_value=1, max_value=1_000_000), min_size=1, max_size=4),
)
def test_split_gross_shares_add_up_exactly(cents: int, weights: list[int]) -> None:
    amount = D(cents).scaleb(-2)
    shares = split_gross(amount, [(D(i), D(w)) for i, w in enumerate(weights)], EUR)
    assert sum((s for _, s in shares), D(0)) == amount


def test_prorated_net() -> None:
    # 218.81 × 0.25 = 54.7025 → 54.70
    assert prorated_net(D("218.81"), D("0.25"), D("1"), EUR) == (D("54.7025"), D("54.70"))
    # the whole quantity gives the net back exactly
    assert prorated_net(D("218.81"), D("3"), D("3"), EUR) == (D("218.81"), D("218.81"))
    with pytest.raises(ValueError):
        prorated_net(D("10"), D("2"), D("1"), EUR)
