"""Properties of rating that hold for any charge and usage, checked with Hypothesis."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tarif.money import RoundingMode
from tarif.pricing.charges import (
    ChargeModel,
    ChargePrices,
    ChargeSpec,
    Tier,
    Usage,
    bands_of,
    charge_problems,
    graduated_uses,
    rate_charge,
    rate_groups,
    transaction_fee,
    volume_uses,
)

units = st.decimals(min_value=0, max_value=10**7, places=3)
prices = st.decimals(min_value=0, max_value=100, places=4)


@st.composite
def tier_lists(draw: st.DrawFn, decreasing: bool = False) -> tuple[Tier, ...]:
    bounds = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=10**6), min_size=0, max_size=4))
    )
    count = len(bounds) + 1
    values = draw(st.lists(prices, min_size=count, max_size=count))
    if decreasing:
        values = sorted(values, reverse=True)
    ups: list[Decimal | None] = [Decimal(b) for b in bounds]
    return tuple(Tier(up, price) for up, price in zip([*ups, None], values, strict=True))


def total(spec: ChargeSpec, quantity: Decimal) -> Decimal:
    return sum((line.net for line in rate_charge(spec, Usage(quantity), "EUR")), Decimal(0))


@given(tier_lists(), units, units)
def test_graduated_amount_never_decreases_with_units(
    tiers: tuple[Tier, ...], a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    spec = ChargeSpec("calls", ChargeModel.GRADUATED, ChargePrices(tiers=tiers))
    assert charge_problems(spec) == []
    exact_low = sum((u.amount for u in graduated_uses(tiers, low)), Decimal(0))
    exact_high = sum((u.amount for u in graduated_uses(tiers, high)), Decimal(0))
    assert exact_low <= exact_high
    assert sum(u.quantity for u in graduated_uses(tiers, high)) == high


@given(tier_lists(decreasing=True), units)
def test_graduated_never_below_volume_when_prices_decrease(
    tiers: tuple[Tier, ...], quantity: Decimal
) -> None:
    graduated = sum((u.amount for u in graduated_uses(tiers, quantity)), Decimal(0))
    volume = sum((u.amount for u in volume_uses(tiers, quantity)), Decimal(0))
    assert graduated >= volume


@given(
    units,
    st.integers(min_value=1, max_value=1000),
    st.decimals(min_value=0, max_value=1000, places=2),
)
def test_package_amount_is_a_multiple_of_the_package_price(
    quantity: Decimal, size: int, price: Decimal
) -> None:
    prices_ = ChargePrices(package_size=Decimal(size), package_price=price)
    spec = ChargeSpec("sms", ChargeModel.PACKAGE, prices_)
    (line,) = rate_charge(spec, Usage(quantity), "EUR")
    assert line.net == line.quantity * price
    assert line.quantity * size >= quantity > (line.quantity - 1) * size


@given(
    st.lists(units, min_size=1, max_size=5),
    st.decimals(min_value=0, max_value=10**7, places=0),
    prices,
)
def test_free_units_split_across_groups_never_make_a_negative_line(
    quantities: list[Decimal], free: Decimal, price: Decimal
) -> None:
    spec = ChargeSpec(
        "calls", ChargeModel.PER_UNIT, ChargePrices(unit_price=price), free_units=free
    )
    usages = [Usage(q, group=(("region", f"r{i}"),)) for i, q in enumerate(quantities)]
    lines = rate_groups(spec, usages, "EUR")
    assert all(line.net >= 0 and line.quantity >= 0 for line in lines)
    used = sum((line.explanation.free_units_used for line in lines), Decimal(0))
    assert used == min(free, sum(quantities, Decimal(0)))


@given(tier_lists(), units, st.sampled_from(list(RoundingMode)))
def test_rating_is_deterministic(
    tiers: tuple[Tier, ...], quantity: Decimal, mode: RoundingMode
) -> None:
    spec = ChargeSpec("calls", ChargeModel.VOLUME, ChargePrices(tiers=tiers))
    assert rate_charge(spec, Usage(quantity), "EUR", mode) == rate_charge(
        spec, Usage(quantity), "EUR", mode
    )


money_amounts = st.decimals(min_value=0, max_value=10**6, places=6)
fees = st.decimals(min_value=0, max_value=50, places=6)


@given(
    st.lists(money_amounts, max_size=30),
    st.decimals(min_value=0, max_value=100, places=4),
    fees,
    fees,
    fees,
)
def test_bands_give_the_sum_of_bounded_fees(
    amounts: list[Decimal], rate: Decimal, fixed: Decimal, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    prices_ = ChargePrices(rate=rate, fixed_fee=fixed, min_fee=low, max_fee=high)
    bands = bands_of(amounts, prices_)
    from_bands = (
        low * bands.below_count
        + high * bands.above_count
        + rate * bands.between_sum / 100
        + fixed * bands.between_count
    )
    one_by_one = sum((transaction_fee(x, prices_) for x in amounts), Decimal(0))
    assert abs(from_bands - one_by_one) < Decimal("1E-15")
    spec = ChargeSpec("turnover", ChargeModel.PERCENTAGE, prices_)
    lines = rate_charge(spec, Usage(sum(amounts, Decimal(0)), len(amounts), bands=bands), "EUR")
    # each line rounded once: at most half a cent away per line
    assert abs(sum((line.net for line in lines), Decimal(0)) - one_by_one) <= Decimal(
        "0.005"
    ) * len(lines)


@given(tier_lists(), st.sampled_from(list(ChargeModel)))
def test_codec_round_trips(tiers: tuple[Tier, ...], model: ChargeModel) -> None:
    if model in (ChargeModel.GRADUATED, ChargeModel.VOLUME):
        prices_ = ChargePrices(tiers=tiers)
    elif model is ChargeModel.PER_UNIT:
        prices_ = ChargePrices(unit_price=tiers[0].unit_price)
    elif model is ChargeModel.PACKAGE:
        prices_ = ChargePrices(package_size=Decimal(10), package_price=tiers[0].unit_price)
    else:
        prices_ = ChargePrices(rate=Decimal("1.5"), fixed_fee=tiers[0].unit_price)
    spec = ChargeSpec("calls", model, prices_)
    assert ChargeSpec.from_json(spec.to_json()) == spec
