"""Conflicts between scheduled amendments are found and refused naming both."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tarif.contracts.amendments import Amendment, AmendmentStatus
from tarif.contracts.changes import (
    AddLine,
    Change,
    ChangePrice,
    ChangePricelist,
    ChangeQuantity,
    ChangeTerm,
    RemoveLine,
    Terminate,
)
from tarif.contracts.conflicts import conflicts, refuse_conflicts
from tarif.errors import Conflict
from tests.contracts.factories import setup_fee

MAR_1, APR_1 = date(2026, 3, 1), date(2026, 4, 1)


def scheduled(id: str, effective: date, *changes: Change) -> Amendment:
    return Amendment(
        id=id,
        sequence=int(id.removeprefix("AM-")),
        effective_date=effective,
        reason="customer request",
        author="alice",
        changes=changes,
        status=AmendmentStatus.SCHEDULED,
    )


def reasons(*amendments: Amendment) -> list[str]:
    return [str(c) for c in conflicts(amendments)]


def test_both_removing_the_same_line_conflict() -> None:
    a = scheduled("AM-1", MAR_1, RemoveLine("hosting"))
    b = scheduled("AM-2", APR_1, RemoveLine("hosting"))
    assert reasons(b, a) == ["amendments AM-1 and AM-2 conflict: both remove line hosting"]


def test_changing_a_line_another_removes_earlier_conflicts() -> None:
    remove = scheduled("AM-1", MAR_1, RemoveLine("hosting"))
    grow = scheduled("AM-2", APR_1, ChangeQuantity("hosting", Decimal(3)))
    assert reasons(remove, grow) == [
        "amendments AM-1 and AM-2 conflict: AM-2 changes line hosting, which AM-1 removes on "
        "2026-03-01"
    ]


def test_changing_a_line_before_another_removes_it_is_fine() -> None:
    grow = scheduled("AM-1", MAR_1, ChangeQuantity("hosting", Decimal(3)))
    remove = scheduled("AM-2", APR_1, RemoveLine("hosting"))
    assert reasons(grow, remove) == []


def test_same_day_conflicts() -> None:
    term = scheduled("AM-1", MAR_1, ChangeTerm(initial_term_months=24))
    other_term = scheduled("AM-2", MAR_1, ChangeTerm(end_date=date(2027, 1, 1)))
    assert reasons(term, other_term) == [
        "amendments AM-1 and AM-2 conflict: both change the term on 2026-03-01"
    ]
    price = scheduled("AM-3", MAR_1, ChangePrice("hosting", Decimal(449)))
    repriced = scheduled("AM-4", MAR_1, ChangePricelist("pl_2", (("hosting", Decimal(419)),)))
    other_pricelist = scheduled("AM-5", MAR_1, ChangePricelist("pl_3"))
    assert reasons(price, repriced, other_pricelist) == [
        "amendments AM-3 and AM-4 conflict: both set the price of line hosting on 2026-03-01",
        "amendments AM-4 and AM-5 conflict: both change the pricelist on 2026-03-01",
    ]
    # A quantity and a price of the same line the same day do not contradict each other.
    qty = scheduled("AM-6", MAR_1, ChangeQuantity("hosting", Decimal(2)))
    assert reasons(price, qty) == []


def test_nothing_can_follow_a_termination() -> None:
    end = scheduled("AM-1", MAR_1, Terminate())
    grow = scheduled("AM-2", APR_1, ChangeQuantity("hosting", Decimal(3)))
    assert reasons(end, grow) == [
        "amendments AM-1 and AM-2 conflict: AM-2 takes effect on 2026-04-01, once AM-1 has "
        "terminated the contract on 2026-03-01"
    ]
    same_day = scheduled("AM-3", MAR_1, AddLine(setup_fee()))
    assert reasons(same_day, end) == [
        "amendments AM-1 and AM-3 conflict: AM-3 takes effect on 2026-03-01, once AM-1 has "
        "terminated the contract on 2026-03-01"
    ]


def test_both_adding_the_same_line_key_conflict() -> None:
    a = scheduled("AM-1", MAR_1, AddLine(setup_fee()))
    b = scheduled("AM-2", APR_1, AddLine(setup_fee()))
    assert reasons(a, b) == ["amendments AM-1 and AM-2 conflict: both add line setup"]


def test_a_new_amendment_is_refused_naming_both() -> None:
    existing = scheduled("AM-1", MAR_1, RemoveLine("hosting"))
    unrelated = scheduled("AM-2", MAR_1, RemoveLine("licence"))
    candidate = scheduled("AM-3", APR_1, RemoveLine("hosting"))
    refuse_conflicts(unrelated, [existing])  # no conflict: nothing raised
    with pytest.raises(Conflict) as refused:
        refuse_conflicts(candidate, [existing, unrelated])
    assert refused.value.detail == "amendments AM-1 and AM-3 conflict: both remove line hosting"
