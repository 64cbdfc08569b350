"""Per-transaction fee bounds of the percentage model, computed from SQL aggregates.

Each transaction's fee is `rate % × amount + fixed_fee`, then raised to `min_fee` and lowered to
`max_fee`, and the period's fees are summed. Summing bounded fees needs to know, per
transaction, which side of the bounds it falls on; but the fee grows with the amount, so that
is a comparison of the amount with two thresholds:

    fee < min_fee  ⇔  amount < (min_fee − fixed_fee) ÷ rate      (rate > 0)
    fee > max_fee  ⇔  amount > (max_fee − fixed_fee) ÷ rate

So four aggregates over the period's events give the exact sum (`TransactionBands`):

    Σ fees = min_fee × below_count + max_fee × above_count
             + rate % × between_sum + fixed_fee × between_count

`fee_thresholds(prices)` turns the bounds into integer thresholds on the events' amounts in
millionths (`value_micros`, how `tarif.usage` stores them), rounded so that the integer
comparison is exactly the real one: an amount of `v` millionths is below iff `v < below_micros`
and above iff `v > above_micros`. The aggregation side writes:

    SUM(CASE WHEN value_micros < :below THEN 1 ELSE 0 END)                      AS below_count,
    SUM(CASE WHEN value_micros > :above THEN 1 ELSE 0 END)                      AS above_count,
    SUM(CASE WHEN value_micros >= :below AND value_micros <= :above THEN 1 ELSE 0 END)
                                                                                 AS between_count,
    SUM(CASE WHEN value_micros >= :below AND value_micros <= :above
             THEN value_micros ELSE 0 END)                                       AS between_micros

(leaving out a side whose threshold is None). A transaction exactly on a threshold pays the
same fee on either side, so the choice made there does not change the sum. With a rate of 0
every fee is the bounded fixed fee, and the event count alone is enough (`fee_thresholds`
returns None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from tarif.pricing.spec import ZERO, ChargePrices

HUNDRED = Decimal(100)
MICROS = Decimal(1_000_000)


@dataclass(frozen=True)
class FeeThresholds:
    """Integer thresholds on amounts in millionths; None where there is no such bound."""

    below_micros: int | None  # an amount of v millionths pays min_fee iff v < below_micros
    above_micros: int | None  # an amount of v millionths pays max_fee iff v > above_micros

    def band_of(self, value_micros: int) -> str:
        if self.below_micros is not None and value_micros < self.below_micros:
            return "below"
        if self.above_micros is not None and value_micros > self.above_micros:
            return "above"
        return "between"


@dataclass(frozen=True)
class TransactionBands:
    """The period's transactions split by fee bound (all counts when there is no bound)."""

    below_count: int = 0  # transactions paying min_fee
    between_count: int = 0  # transactions paying rate × amount + fixed_fee
    between_sum: Decimal = ZERO  # sum of the amounts of those
    above_count: int = 0  # transactions paying max_fee

    @property
    def count(self) -> int:
        return self.below_count + self.between_count + self.above_count


def _threshold(bound: Decimal, prices: ChargePrices, rounding: str) -> int:
    rate = prices.rate or ZERO
    fixed = prices.fixed_fee or ZERO
    with localcontext() as context:
        context.prec = 60  # exact for any 6-decimal bound and 4-decimal rate of sane size
        exact = (bound - fixed) * HUNDRED * MICROS / rate
        return int(exact.to_integral_value(rounding=rounding))


def fee_thresholds(prices: ChargePrices) -> FeeThresholds | None:
    """The SQL thresholds of a charge's fee bounds; None when the rate is 0 (or unset).

    `v < t ⇔ v < ceil(t)` and `v > t ⇔ v > floor(t)` for an integer v, so ceil/floor keep the
    integer comparisons exact.
    """
    if not prices.rate:
        return None
    below = None if prices.min_fee is None else _threshold(prices.min_fee, prices, ROUND_CEILING)
    above = None if prices.max_fee is None else _threshold(prices.max_fee, prices, ROUND_FLOOR)
    return FeeThresholds(below, above)


def bands_of(amounts: Iterable[Decimal], prices: ChargePrices) -> TransactionBands:
    """The bands of individual amounts, as the SQL above computes them (tests, small inputs)."""
    thresholds = fee_thresholds(prices)
    below = between = above = 0
    between_sum = ZERO
    for amount in amounts:
        band = "between"
        if thresholds is not None:
            band = thresholds.band_of(int((amount * MICROS).to_integral_value()))
        elif prices.has_fee_bounds:
            band = _band_without_rate(prices)
        if band == "below":
            below += 1
        elif band == "above":
            above += 1
        else:
            between += 1
            between_sum += amount
    return TransactionBands(below, between, between_sum, above)


def _band_without_rate(prices: ChargePrices) -> str:
    fixed = prices.fixed_fee or ZERO
    if prices.min_fee is not None and fixed < prices.min_fee:
        return "below"
    if prices.max_fee is not None and fixed > prices.max_fee:
        return "above"
    return "between"


def transaction_fee(amount: Decimal, prices: ChargePrices) -> Decimal:
    """One transaction's bounded fee at full precision: the rule the bands reproduce."""
    fee = (prices.rate or ZERO) * amount / HUNDRED + (prices.fixed_fee or ZERO)
    if prices.min_fee is not None:
        fee = max(fee, prices.min_fee)
    if prices.max_fee is not None:
        fee = min(fee, prices.max_fee)
    return fee
