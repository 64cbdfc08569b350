from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tarif.billing.periods import Period
from tarif.billing.proration import prorate

JANUARY = Period(date(2026, 1, 1), date(2026, 2, 1))


def test_prorate_keeps_full_precision() -> None:
    # 399 × 17/31 = 218.80645161290322580645161290322580645… (rounded only on the invoice line)
    amount = prorate(Decimal("399.00"), Period(date(2026, 1, 15), date(2026, 2, 1)), JANUARY)
    assert amount.quantize(Decimal("1E-20")) == Decimal("218.80645161290322580645")


def test_a_whole_period_is_the_amount_itself() -> None:
    assert prorate(Decimal("399.00"), JANUARY, JANUARY) == Decimal("399.00")


def test_used_days_must_lie_in_the_period() -> None:
    with pytest.raises(ValueError, match="not inside"):
        prorate(Decimal(1), Period(date(2025, 12, 31), date(2026, 1, 2)), JANUARY)
