"""Proration: a share of a period's amount for the days used, at full precision.

Rounding happens once, on each invoice line net (`tarif.billing.totals`), never here.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from tarif.billing.periods import Period

# Enough significant digits that no real amount loses a cent before the line is rounded.
PRECISION = 40


def prorate(amount: Decimal, used: Period, period: Period) -> Decimal:
    """`amount` × days used ÷ days in `period`, the full period `used` lies in.

    `prorate(399, [15 Jan, 1 Feb), [1 Jan, 1 Feb))` = 399 × 17 ÷ 31 = 218.806…
    """
    if used.start < period.start or used.end > period.end:
        raise ValueError(f"{used} is not inside the period {period}")
    if used == period:
        return amount
    with localcontext() as context:
        context.prec = PRECISION
        return amount * used.days / period.days
