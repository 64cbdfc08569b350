"""`tarif.invoicing.usage_pricing`: what a part of a usage period changes to its pricing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tarif.billing.periods import Period
from tarif.invoicing.usage_pricing import for_part, kept_as_draft, measured_days
from tarif.money import RoundingMode
from tarif.pricing.spec import ChargeSpec

JANUARY = Period(date(2026, 1, 1), date(2026, 2, 1))
FROM_15 = Period(date(2026, 1, 15), date(2026, 2, 1))  # 17 of 31 days


def charge(**fields: str) -> ChargeSpec:
    data = {"metric": "calls", "model": "per_unit", "unit_price": "1.00"} | fields
    return ChargeSpec.from_json(data)


def test_a_part_owes_its_share_of_the_minimum_spend_by_days() -> None:
    spec = charge(minimum_spend="31.00")
    # 31.00 × 17/31 = 17.00
    assert for_part(spec, FROM_15, JANUARY, "EUR", RoundingMode.HALF_UP).minimum_spend == 17
    # 50.00 × 17/31 = 27.419354… → 27.42, rounded like the lines it is compared with
    half = for_part(charge(minimum_spend="50"), FROM_15, JANUARY, "EUR", RoundingMode.HALF_UP)
    assert half.minimum_spend == Decimal("27.42")
    # ¥5000 × 17/31 = 2741.93… → ¥2742 (no minor unit)
    yen = for_part(charge(minimum_spend="5000"), FROM_15, JANUARY, "JPY", RoundingMode.HALF_UP)
    assert yen.minimum_spend == Decimal("2742")
    # the whole period, or no minimum: the charge as it is
    assert for_part(spec, JANUARY, JANUARY, "EUR", RoundingMode.HALF_UP) is spec
    plain = charge()
    assert for_part(plain, FROM_15, JANUARY, "EUR", RoundingMode.HALF_UP) is plain


def test_measured_days_know_their_whole_period_only_when_a_part() -> None:
    part = measured_days(FROM_15, JANUARY, "Europe/Paris")
    assert (part.start, part.end, part.whole) == (
        FROM_15.start,
        FROM_15.end,
        (JANUARY.start, JANUARY.end),
    )
    # January in Paris: 31 × 86,400 s, the part's level is averaged over all of them
    assert part.weighting_seconds == 31 * 86_400
    assert measured_days(JANUARY, JANUARY, "Europe/Paris").whole is None


def test_only_zero_usage_lines_stay_drafts_where_the_organization_keeps_them() -> None:
    zero, ten = Decimal("0.00"), Decimal("10.00")
    # 0.00 usage lines only (idle periods, a draw-only re-rating): kept when the setting is off
    assert kept_as_draft(False, [("usage", zero), ("usage", Decimal(0))])
    # ... and finalized like any invoice when it is on (the default)
    assert not kept_as_draft(True, [("usage", zero), ("usage", Decimal(0))])
    # a line worth something, a manual or fixed line (even at 0.00), or no line at all: not so
    assert not kept_as_draft(False, [("usage", zero), ("usage", ten)])
    assert not kept_as_draft(False, [("usage", zero), ("usage", -ten)])
    assert not kept_as_draft(False, [("usage", zero), ("manual", zero)])
    assert not kept_as_draft(False, [("usage", zero), (None, zero)])
    assert not kept_as_draft(False, [])
