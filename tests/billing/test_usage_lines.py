"""What a re-rating of a usage period adds, part by part (pure, tarif.billing.usage_lines)."""

from __future__ import annotations

from decimal import Decimal

from tarif.billing.usage_lines import (
    NOTHING,
    BilledPart,
    changes,
    part_names,
    revision_part,
)
from tarif.pricing.rating import Usage, rate_groups
from tarif.pricing.spec import ChargeSpec

D = Decimal
TIERS = [
    {"up_to": "40", "unit_price": "3.00"},
    {"up_to": "100", "unit_price": "2.50"},
    {"up_to": None, "unit_price": "2.00"},
]


def billed_as(spec: ChargeSpec, quantity: int) -> list[BilledPart]:
    rated = rate_groups(spec, [Usage(D(quantity), 1)], "EUR")
    return [
        BilledPart(
            revision_part(1, part), line.quantity, line.net, line.unit_price, line.description
        )
        for part, line in zip(part_names(rated), rated, strict=True)
    ]


def test_a_volume_period_moved_to_another_tier_takes_the_old_tier_back() -> None:
    # 40 units billed in tier 1 (40 × 3.00 = 120.00); 50 now fall in tier 2 (50 × 2.50 =
    # 125.00): tier 1 −40 × 3.00 = −120.00 and tier 2 +50 × 2.50 = +125.00, each line quantity
    # × unit price, not one line of 10 units at 2.50 for 5.00
    spec = ChargeSpec.from_json(
        {"metric": "seats", "model": "volume", "tiers": TIERS, "description": "Seats"}
    )
    rated = rate_groups(spec, [Usage(D(50), 2)], "EUR")
    got = [
        (c.description, c.quantity, c.unit_price, c.net)
        for c in changes(rated, billed_as(spec, 40))
    ]
    assert got == [
        ("Seats — tier 2", D(50), D("2.50"), D("125.00")),
        ("Seats — tier 1", D(-40), D("3.00"), D("-120.00")),
    ]


def test_a_graduated_tier_no_longer_reached_keeps_its_words_and_price() -> None:
    # 15 billed: tier 1 10 × 2.00 + tier 2 5 × 1.00; now 4: tier 1 −6 × 2.00, tier 2 −5 × 1.00
    # at the price and under the words it was billed with (not its part code at 0)
    spec = ChargeSpec.from_json(
        {
            "metric": "seats",
            "model": "graduated",
            "tiers": [{"up_to": "10", "unit_price": "2.00"}, {"up_to": None, "unit_price": "1.00"}],
            "description": "Seats",
        }
    )
    rated = rate_groups(spec, [Usage(D(4), 2)], "EUR")
    got = [
        (c.description, c.quantity, c.unit_price, c.net)
        for c in changes(rated, billed_as(spec, 15))
    ]
    assert got == [
        ("Seats — tier 1", D(-6), D("2.00"), D("-12.00")),
        ("Seats — tier 2", D(-5), D("1.00"), D("-5.00")),
    ]


def test_a_period_recorded_as_rated_to_no_line_bills_only_what_a_late_rating_adds() -> None:
    # rated first to no line: one 0.00 record under NOTHING; re-rated with 30 units at 0.10:
    # +30 × 0.10 = +3.00 under the new line's part, the record itself unchanged (0 − 0)
    spec = ChargeSpec.from_json(
        {"metric": "minutes", "model": "per_unit", "unit_price": "0.10", "description": "Min"}
    )
    recorded = [BilledPart(revision_part(1, NOTHING), D(0), D(0), D(0), "Min")]
    rated = rate_groups(spec, [Usage(D(30), 1)], "EUR")
    got = [(c.part, c.quantity, c.net) for c in changes(rated, recorded)]
    assert got == [("usage||1", D(30), D("3.00"))]
    # rated to no line again: nothing to add
    assert changes([], recorded) == []
