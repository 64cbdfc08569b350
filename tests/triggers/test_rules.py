"""Pure rules of trigger settings: storable levels, forms ↔ JSON, what people read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.billing.triggers import (
    PERIOD_END,
    Cadence,
    InvalidTrigger,
    Measure,
    TriggerKind,
    UsageTrigger,
    decode_trigger,
)
from tarif.errors import FieldError
from tarif.triggers.rules import (
    checked_trigger,
    first_levels,
    form_values,
    from_form,
    storable_problems,
    summary,
    threshold_inputs,
)

LADDER = UsageTrigger(
    TriggerKind.THRESHOLD, (Decimal(500), Decimal(1000)), Decimal(1000), Measure.AMOUNT
)


def test_levels_of_the_issue_example() -> None:
    # €500, €1,000, then every €1,000: 1000 + 1000 = 2000, + 1000 = 3000, + 1000 = 4000
    assert first_levels(LADDER) == [Decimal(v) for v in (500, 1000, 2000, 3000, 4000)]
    assert first_levels(LADDER, 2) == [Decimal(500), Decimal(1000)]
    listed_only = UsageTrigger(TriggerKind.THRESHOLD, (Decimal(250), Decimal(800)))
    assert first_levels(listed_only) == [Decimal(250), Decimal(800)]
    assert first_levels(PERIOD_END) == []


def test_summaries() -> None:
    assert summary(LADDER) == "threshold on amount: 500, 1000, then every 1000"
    assert summary(PERIOD_END) == "at period end"
    assert summary(UsageTrigger(TriggerKind.EVENT, cadence=Cadence.WEEKLY)) == (
        "on each event, invoiced weekly"
    )
    quantity = UsageTrigger(TriggerKind.THRESHOLD, (Decimal(10000),), measure=Measure.QUANTITY)
    assert summary(quantity) == "threshold on quantity: 10000"


def test_levels_must_fit_an_exact_column() -> None:
    too_fine = UsageTrigger(TriggerKind.THRESHOLD, (Decimal("0.5"), Decimal("0.0000005")))
    assert storable_problems(too_fine) == [
        FieldError("thresholds.1", "at most 14 digits before the point and 6 after")
    ]
    huge_step = UsageTrigger(TriggerKind.THRESHOLD, (Decimal(1),), Decimal("1E+14"))
    assert [p.field for p in storable_problems(huge_step)] == ["every"]
    # 99,999,999,999,999.999999: 14 digits and 6 decimals, the largest that fits
    assert (
        storable_problems(UsageTrigger(TriggerKind.THRESHOLD, (Decimal("99999999999999.999999"),)))
        == []
    )


def test_the_line_problem_comes_first_with_the_triggers() -> None:
    line = FieldError("line_key", "line 'hosting' is not a usage line")
    with pytest.raises(InvalidTrigger) as caught:
        checked_trigger({"kind": "event", "cadence": "hourly"}, line)
    assert [p.field for p in caught.value.problems] == ["line_key", "cadence"]


def test_a_form_keeps_the_index_of_each_threshold() -> None:
    values = {"thresholds.0": "500", "thresholds.1": "", "thresholds.2": "900", "thresholds.3": ""}
    # the trailing spare is dropped; the empty one between filled ones stays, to be refused
    assert threshold_inputs(values) == ["500", "", "900"]
    with pytest.raises(InvalidTrigger) as caught:
        decode_trigger(from_form({"kind": "threshold", **values}))
    assert [p.field for p in caught.value.problems] == ["thresholds.1"]


def test_only_the_chosen_kinds_fields_count() -> None:
    filled = {
        "kind": "event",
        "thresholds.0": "500",
        "every": "100",
        "measure": "quantity",
        "cadence": "daily",
    }
    assert from_form(filled) == {"kind": "event", "cadence": "daily"}
    assert from_form(filled | {"kind": "period_end"}) == {"kind": "period_end"}
    assert from_form(filled | {"kind": "threshold", "every": ""}) == {
        "kind": "threshold",
        "thresholds": ["500"],
        "every": None,
        "measure": "quantity",
    }


levels = st.lists(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**9), places=2),
    min_size=1,
    max_size=6,
    unique=True,
).map(sorted)


@given(
    kind=st.sampled_from(list(TriggerKind)),
    thresholds=levels,
    every=st.none() | st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2),
    measure=st.sampled_from(list(Measure)),
    cadence=st.sampled_from(list(Cadence)),
)
def test_a_trigger_survives_its_form(
    kind: TriggerKind,
    thresholds: list[Decimal],
    every: Decimal | None,
    measure: Measure,
    cadence: Cadence,
) -> None:
    if kind is TriggerKind.THRESHOLD:
        trigger = UsageTrigger(kind, tuple(thresholds), every, measure)
    elif kind is TriggerKind.EVENT:
        trigger = UsageTrigger(kind, cadence=cadence)
    else:
        trigger = PERIOD_END
    assert checked_trigger(from_form(form_values(trigger))) == trigger
