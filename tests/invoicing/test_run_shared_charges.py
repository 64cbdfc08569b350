"""A run computes the charges once for contracts whose billing inputs are the same objects."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from tarif.billing.charges import Charge
from tarif.billing.periods import Period
from tarif.contracts.model import MinimumCommitment
from tarif.invoicing.service_runs import _charges_of
from tests.billing.builders import contract, line, terms

JAN_1, FEB_1 = date(2026, 1, 1), date(2026, 2, 1)
HOSTING = line("399.00")  # one decoded line shared by the plan's contracts


def test_contracts_of_one_plan_share_their_charges() -> None:
    first = contract(terms(JAN_1, HOSTING))
    second = contract(replace(terms(JAN_1, HOSTING), customer_id="cus_other", reference="C-2"))
    computed: dict[Any, Any] = {}
    charges = _charges_of(first, FEB_1, (), (), computed)
    # January and February, 399.00 each, billed in advance
    assert [(c.period.start, c.net) for c in charges] == [
        (JAN_1, Decimal("399.00")),
        (FEB_1, Decimal("399.00")),
    ]
    assert _charges_of(second, FEB_1, (), (), computed) is charges


def test_equal_lines_written_differently_are_not_shared() -> None:
    # 399.0 == 399.00, but each contract's charges keep its own price as written
    other = line("399.0")
    computed: dict[Any, Any] = {}
    plain = _charges_of(contract(terms(JAN_1, HOSTING)), FEB_1, (), (), computed)
    written = _charges_of(contract(terms(JAN_1, other)), FEB_1, (), (), computed)
    assert [str(c.unit_price) for c in plain] == ["399.00", "399.00"]
    assert [str(c.unit_price) for c in written] == ["399.0", "399.0"]


def test_another_history_or_suspension_is_another_computation() -> None:
    versions = contract(terms(JAN_1, HOSTING))
    computed: dict[Any, Any] = {}
    fresh = _charges_of(versions, FEB_1, (), (), computed)
    january: list[Charge] = [fresh[0]]
    # January billed already: only February is due
    billed = _charges_of(versions, FEB_1, january, (), computed)
    assert [c.period.start for c in billed] == [FEB_1]
    # suspended through February: nothing new is due, January stays billed
    paused = _charges_of(versions, FEB_1, january, [Period(FEB_1, date(2026, 3, 1))], computed)
    assert paused == []
    assert len(computed) == 3


def test_a_line_with_a_minimum_commitment_is_never_shared() -> None:
    committed = replace(HOSTING, minimum_commitment=MinimumCommitment(Decimal("500.00")))
    versions = contract(terms(JAN_1, committed))
    computed: dict[Any, Any] = {}
    once = _charges_of(versions, FEB_1, (), (), computed)
    again = _charges_of(versions, FEB_1, (), (), computed)
    assert once == again and once is not again
    assert computed == {}


def test_contracts_differing_only_in_credit_on_termination_do_not_share() -> None:
    january = _charges_of(contract(terms(JAN_1, HOSTING)), JAN_1, (), (), {})
    ended = terms(JAN_1, HOSTING, end=date(2026, 1, 21))  # [1 Jan, 21 Jan): ends on 21 Jan
    credited = contract(ended)
    kept = contract(replace(ended, credit_on_termination=False))
    computed: dict[Any, Any] = {}
    credit = _charges_of(credited, JAN_1, january, (), computed)
    # January billed in advance; ended on 21 Jan: [21 Jan, 1 Feb) = 11 of 31 days credited,
    # −399 × 11/31 = −141.58 (to the cent)
    assert [(c.kind.value, c.period, c.net.quantize(Decimal("0.01"))) for c in credit] == [
        ("credit", Period(date(2026, 1, 21), FEB_1), Decimal("-141.58"))
    ]
    # the same inputs but the setting: the billed days stay billed, nothing is owed
    assert _charges_of(kept, JAN_1, january, (), computed) == []
    assert len(computed) == 2
