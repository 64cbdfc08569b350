"""Pure rules of the credit balance: amounts, minor units, first-in first-out use, running
balances and the payment reference."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.errors import InvalidInput
from tarif.invoicing.balance_rules import (
    Credit,
    currency_code,
    from_minor,
    open_credits,
    payment_reference,
    positive_amount,
    running_balances,
    take_oldest_first,
    to_minor,
)

D = Decimal


def test_minor_units_both_ways() -> None:
    assert to_minor(D("50.00"), 2) == 5000
    assert to_minor(D("-478.8"), 2) == -47880
    assert to_minor(D("1500"), 0) == 1500  # JPY
    assert to_minor(D("1.234"), 3) == 1234  # KWD
    assert from_minor(12120, 2) == D("121.20") and str(from_minor(12120, 2)) == "121.20"
    assert str(from_minor(0, 2)) == "0.00"
    assert str(from_minor(-1, 3)) == "-0.001"
    with pytest.raises(ValueError):
        to_minor(D("0.001"), 2)


def test_amounts_and_currencies() -> None:
    assert positive_amount("50.00", "EUR") == D("50.00")
    assert positive_amount("50", "EUR") == D(50)
    assert positive_amount(D("1.5"), "EUR") == D("1.5")
    assert positive_amount("1500", "JPY") == D(1500)
    for bad, code in [("0", "EUR"), ("-1", "EUR"), ("0.001", "EUR"), ("1.5", "JPY"), ("x", "EUR")]:
        with pytest.raises(InvalidInput) as refused:
            positive_amount(bad, code)
        assert [e.field for e in refused.value.errors] == ["amount"]
    assert currency_code(" usd ") == "USD"
    with pytest.raises(InvalidInput, match="currency"):
        currency_code("FRF")  # withdrawn


def test_open_credits_sit_in_the_newest() -> None:
    newest_first = [Credit("c3", D(25)), Credit("c2", D(40)), Credit("c1", D(30))]
    # 95 credited; 45 used oldest first → c1's 30 and 15 of c2: 25 of c2 and all of c3 are open
    assert open_credits(newest_first, D(50)) == [Credit("c2", D(25)), Credit("c3", D(25))]
    assert open_credits(newest_first, D(95)) == list(reversed(newest_first))
    assert open_credits(newest_first, D(0)) == []
    with pytest.raises(ValueError):
        open_credits(newest_first, D(96))


def test_take_oldest_first() -> None:
    open_ = [Credit("c1", D(30)), Credit("c2", D(40))]
    # 50 = 30 (all of c1) + 20 (of c2)
    assert take_oldest_first(open_, D(50)) == [Credit("c1", D(30)), Credit("c2", D(20))]
    assert take_oldest_first(open_, D(30)) == [Credit("c1", D(30))]
    with pytest.raises(ValueError):
        take_oldest_first(open_, D(71))


@given(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=10_000), max_size=8),
)
def test_open_credits_agree_with_replaying_every_use(credits: list[int], uses: list[int]) -> None:
    """Replaying every use oldest credit first leaves exactly what `open_credits` finds from
    the balance alone."""
    left = [D(amount) for amount in credits]
    for use in uses:
        amount = min(D(use), sum(left, D(0)))  # a use never takes more than the balance
        for i, still_open in enumerate(left):
            part = min(still_open, amount)
            left[i] -= part
            amount -= part
    replayed = [Credit(f"c{i}", amount) for i, amount in enumerate(left) if amount]
    newest_first = [Credit(f"c{i}", D(a)) for i, a in reversed(list(enumerate(credits)))]
    assert open_credits(newest_first, sum(left, D(0))) == replayed


def test_running_balances_per_currency() -> None:
    page = [("EUR", D(-25)), ("USD", D(7)), ("EUR", D(50)), ("EUR", D(40))]
    # after the refund EUR is 125; before it 125 + 25 = 150, before the 50 it was 100
    assert running_balances(page, {"EUR": D(125), "USD": D(7)}) == [
        D(125),
        D(7),
        D(150),
        D(100),
    ]


def test_the_payment_reference_fits_its_column() -> None:
    few = [Credit("bal_01", D("30.00")), Credit("bal_02", D("20.00"))]
    assert payment_reference(few, "EUR", "bal_09") == (
        "credit balance: bal_01 30.00 EUR, bal_02 20.00 EUR"
    )
    many = [Credit(f"bal_{i:026d}", D("1.00")) for i in range(12)]
    text = payment_reference(many, "EUR", "bal_applied")
    assert len(text) <= 200
    assert text.startswith("credit balance: bal_00000000000000000000000000 1.00 EUR")
    assert text.endswith("more (see bal_applied)")
