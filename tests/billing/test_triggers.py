"""Usage triggers (pure): levels, codec, and the equality of progressive and period-end billing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tarif.billing.triggers import (
    PERIOD_END,
    Cadence,
    InvalidTrigger,
    Measure,
    TriggerKind,
    UsageTrigger,
    collection_day,
    crosses,
    decode_trigger,
    level_reached,
)
from tarif.billing.usage_lines import (
    BilledPart,
    changes,
    part_names,
    revision_part,
    split_part,
)
from tarif.pricing.rating import Usage, rate_groups
from tarif.pricing.spec import ChargeSpec

D = Decimal
LADDER = UsageTrigger(TriggerKind.THRESHOLD, (D(500), D(1000)), D(1000))


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (D("499.99"), None),
        (D(500), D(500)),
        (D("999.99"), D(500)),
        (D(1000), D(1000)),
        (D("1999.99"), D(1000)),  # the next level is 1,000 + 1,000 = 2,000
        (D(2000), D(2000)),
        (D("5432.10"), D(5000)),  # 1,000 + 4 × 1,000
    ],
)
def test_levels_of_500_1000_then_every_1000(value: Decimal, level: Decimal | None) -> None:
    assert level_reached(LADDER, value) == level


def test_a_level_is_crossed_once() -> None:
    assert crosses(LADDER, None, D(600))
    assert not crosses(LADDER, D(500), D(900))  # still the 500 level
    assert crosses(LADDER, D(500), D(2500))  # 1,000 and 2,000 at once: one crossing
    without_every = UsageTrigger(TriggerKind.THRESHOLD, (D(100),))
    assert not crosses(without_every, D(100), D(10_000))


def test_codec_round_trip_and_refusals() -> None:
    raw = {"kind": "threshold", "thresholds": ["500", "1000"], "every": "1000"}
    trigger = decode_trigger(raw)
    assert trigger == LADDER
    assert decode_trigger(trigger.to_json()) == trigger
    assert decode_trigger({"kind": "event", "cadence": "daily"}).cadence is Cadence.DAILY
    assert decode_trigger({}) == PERIOD_END
    with pytest.raises(InvalidTrigger) as caught:
        decode_trigger(
            {"kind": "threshold", "thresholds": ["1000", "500", "-1"], "measure": "x", "y": 1}
        )
    assert [p.field for p in caught.value.problems] == ["y"]
    with pytest.raises(InvalidTrigger) as caught:
        decode_trigger({"kind": "threshold", "thresholds": ["1000", "500", "-1"], "measure": "x"})
    assert [p.field for p in caught.value.problems] == ["thresholds.1", "thresholds.2", "measure"]
    with pytest.raises(InvalidTrigger) as caught:
        decode_trigger({"kind": "event", "cadence": "hourly"})
    assert [p.field for p in caught.value.problems] == ["cadence"]


def test_collection_days() -> None:
    wednesday = date(2026, 1, 14)
    assert collection_day(Cadence.IMMEDIATE, wednesday) == wednesday
    assert collection_day(Cadence.DAILY, wednesday) == date(2026, 1, 15)
    assert collection_day(Cadence.WEEKLY, wednesday) == date(2026, 1, 19)  # next Monday
    assert collection_day(Cadence.WEEKLY, date(2026, 1, 19)) == date(2026, 1, 26)


SPECS = [
    ChargeSpec.from_json({"metric": "m", "model": "per_unit", "unit_price": "0.37"}),
    ChargeSpec.from_json(
        {
            "metric": "m",
            "model": "graduated",
            "tiers": [
                {"up_to": "100", "unit_price": "1.10"},
                {"up_to": "1000", "unit_price": "0.55", "flat_fee": "20"},
                {"up_to": None, "unit_price": "0.33"},
            ],
        }
    ),
    ChargeSpec.from_json(
        {"metric": "m", "model": "percentage", "rate": "2.5", "fixed_fee": "0.30"}
    ),
    ChargeSpec.from_json(
        {
            "metric": "m",
            "model": "volume",
            "tiers": [
                {"up_to": "50", "unit_price": "2"},
                {"up_to": None, "unit_price": "1.5"},
            ],
        }
    ),
]


@settings(max_examples=150, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    values=st.lists(
        st.decimals(min_value=D("0.01"), max_value=D(400), places=2), min_size=1, max_size=40
    ),
    thresholds=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=4),
    every=st.none() | st.integers(min_value=1, max_value=1500),
    measure=st.sampled_from(list(Measure)),
)
def test_threshold_invoices_plus_the_final_one_equal_period_end_billing(
    spec: ChargeSpec,
    values: list[Decimal],
    thresholds: list[int],
    every: int | None,
    measure: Measure,
) -> None:
    trigger = UsageTrigger(
        TriggerKind.THRESHOLD,
        tuple(D(t) for t in sorted(set(thresholds))),
        None if every is None else D(every),
        measure,
    )
    billed: list[BilledPart] = []
    invoiced_level: Decimal | None = None
    revision = 0
    quantity = D(0)

    def bill(usage: Usage) -> Decimal:
        """Rates the usage so far and bills what it adds; the period's amount so far."""
        nonlocal revision
        rated = rate_groups(spec, [usage], "EUR")
        revision += 1
        for change in changes(rated, billed):
            billed.append(
                BilledPart(revision_part(revision, change.part), change.quantity, change.net)
            )
        return sum((line.net for line in rated), D(0))

    for count, value in enumerate(values, start=1):
        quantity += value
        usage = Usage(quantity, count)
        if measure is Measure.QUANTITY:
            measured = quantity
        else:
            measured = sum((x.net for x in rate_groups(spec, [usage], "EUR")), D(0))
        if crosses(trigger, invoiced_level, measured):
            bill(usage)
            invoiced_level = level_reached(trigger, measured)
    final = Usage(quantity, len(values))
    total = bill(final)
    # per part and in all, the progressive invoices and the final one add up to one rating
    by_part: dict[str, Decimal] = defaultdict(Decimal)
    for row in billed:
        by_part[split_part(row.usage_part)[1]] += row.net
    alone = rate_groups(spec, [final], "EUR")
    assert sum(by_part.values(), D(0)) == total == sum((x.net for x in alone), D(0))
    expected = dict(zip(part_names(alone), (x.net for x in alone), strict=True))
    assert {p: v for p, v in by_part.items() if v} == {p: v for p, v in expected.items() if v}
    # billing again with nothing new adds nothing
    assert changes(alone, billed) == []
