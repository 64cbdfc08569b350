"""The lifecycle state machine and the activation conditions."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.contracts.lifecycle import (
    ALLOWED,
    Action,
    ActivationFacts,
    ActivationRefused,
    Lifecycle,
    TransitionRefused,
    activate,
    activation_blocker,
    allowed_actions,
    automatic_activation_date,
)
from tarif.contracts.model import Activation, ActivationCondition, ContractStatus
from tarif.errors import InvalidInput

S = ContractStatus
JAN_10 = date(2026, 1, 10)


def pending() -> Lifecycle:
    return Lifecycle().apply(Action.SUBMIT, on=JAN_10, actor="alice")


def test_the_whole_path_is_kept_dated_and_attributed() -> None:
    life = (
        pending()
        .apply(Action.ACTIVATE, on=date(2026, 1, 15), actor="billing-run")
        .apply(Action.SUSPEND, on=date(2026, 3, 2), actor="bob", reason="unpaid invoices")
        .apply(Action.RESUME, on=date(2026, 3, 9), actor="bob", reason="paid")
        .apply(Action.TERMINATE, on=date(2026, 12, 31), actor="alice")
    )
    assert life.status is S.TERMINATED
    assert [(t.from_status, t.to_status) for t in life.transitions] == [
        (S.DRAFT, S.PENDING),
        (S.PENDING, S.ACTIVE),
        (S.ACTIVE, S.SUSPENDED),
        (S.SUSPENDED, S.ACTIVE),
        (S.ACTIVE, S.TERMINATED),
    ]
    assert life.transitions[2].actor == "bob"
    assert life.transitions[2].reason == "unpaid invoices"
    assert life.status_on(date(2026, 3, 5)) is S.SUSPENDED
    assert life.status_on(date(2026, 1, 1)) is S.DRAFT


def test_a_refused_transition_names_the_status_and_the_action() -> None:
    with pytest.raises(TransitionRefused) as refused:
        Lifecycle().apply(Action.ACTIVATE, on=JAN_10, actor="alice")
    assert refused.value.detail == (
        "cannot activate a contract that is draft; allowed from draft: submit"
    )
    assert refused.value.status == 409  # a Conflict: the contract is in another state


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (S.DRAFT, [Action.SUBMIT]),
        (S.PENDING, [Action.ACTIVATE, Action.TERMINATE]),
        (S.ACTIVE, [Action.SUSPEND, Action.TERMINATE]),
        (S.SUSPENDED, [Action.RESUME, Action.TERMINATE]),
        (S.TERMINATED, []),
    ],
)
def test_allowed_actions(status: ContractStatus, actions: list[Action]) -> None:
    assert allowed_actions(status) == actions


def test_terminated_is_final() -> None:
    life = pending().apply(Action.TERMINATE, on=JAN_10, actor="alice")
    with pytest.raises(TransitionRefused, match=r"allowed from terminated: none \(final status\)"):
        life.apply(Action.RESUME, on=JAN_10, actor="alice")


def test_transitions_are_attributed_and_in_date_order() -> None:
    with pytest.raises(InvalidInput, match="actor is required"):
        Lifecycle().apply(Action.SUBMIT, on=JAN_10, actor=" ")
    with pytest.raises(InvalidInput, match="before the last transition"):
        pending().apply(Action.ACTIVATE, on=date(2026, 1, 9), actor="alice")


AT_FEB_1 = Activation(ActivationCondition.AT_DATE, date(2026, 2, 1))
ON_SIGNATURE = Activation(ActivationCondition.ON_SIGNATURE)
ON_PAYMENT = Activation(ActivationCondition.ON_FIRST_PAYMENT)
NOTHING = ActivationFacts()
SIGNED = ActivationFacts(signed_on=JAN_10)
PAID = ActivationFacts(first_paid_on=JAN_10)


@pytest.mark.parametrize(
    ("activation", "facts", "on", "blocked"),
    [
        (AT_FEB_1, NOTHING, date(2026, 1, 31), True),
        (AT_FEB_1, NOTHING, date(2026, 2, 1), False),  # on or after the date
        (ON_SIGNATURE, NOTHING, JAN_10, True),
        (ON_SIGNATURE, SIGNED, JAN_10, False),
        (ON_SIGNATURE, SIGNED, date(2026, 1, 9), True),  # signed after that day
        (ON_PAYMENT, SIGNED, JAN_10, True),  # a signature is not a payment
        (ON_PAYMENT, PAID, JAN_10, False),
        (Activation(ActivationCondition.MANUAL), NOTHING, JAN_10, False),
    ],
)
def test_activation_conditions(
    activation: Activation, facts: ActivationFacts, on: date, blocked: bool
) -> None:
    assert (activation_blocker(activation, on, facts) is not None) is blocked


def test_automatic_activation_dates_come_from_the_recorded_facts() -> None:
    facts = ActivationFacts(signed_on=date(2026, 1, 12), first_paid_on=date(2026, 1, 20))
    at_date = Activation(ActivationCondition.AT_DATE, date(2026, 2, 1))
    assert automatic_activation_date(at_date, facts) == date(2026, 2, 1)
    on_signature = Activation(ActivationCondition.ON_SIGNATURE)
    assert automatic_activation_date(on_signature, facts) == date(2026, 1, 12)
    on_payment = Activation(ActivationCondition.ON_FIRST_PAYMENT)
    assert automatic_activation_date(on_payment, facts) == date(2026, 1, 20)
    assert automatic_activation_date(Activation(), facts) is None  # manual: only by a call


def test_activation_waits_for_the_signature_unless_forced() -> None:
    on_signature = Activation(ActivationCondition.ON_SIGNATURE)
    with pytest.raises(ActivationRefused) as refused:
        activate(pending(), on_signature, ActivationFacts(), on=JAN_10, actor="alice")
    assert refused.value.detail == (
        "cannot activate on 2026-01-10: it activates on the signature, which is not recorded "
        "yet (an admin may force it)"
    )
    forced = activate(
        pending(), on_signature, ActivationFacts(), on=JAN_10, actor="admin", forced=True
    )
    assert forced.status is S.ACTIVE
    assert forced.transitions[-1].forced  # the override is kept in the history
    signed = activate(
        pending(), on_signature, ActivationFacts(signed_on=JAN_10), on=JAN_10, actor="a"
    )
    assert not signed.transitions[-1].forced


def test_only_a_pending_contract_activates() -> None:
    with pytest.raises(TransitionRefused, match="cannot activate a contract that is draft"):
        activate(Lifecycle(), Activation(), ActivationFacts(), on=JAN_10, actor="alice")


@given(st.lists(st.sampled_from(Action), max_size=12))
def test_any_sequence_of_actions_follows_the_table_and_keeps_every_transition(
    actions: list[Action],
) -> None:
    life, status, kept = Lifecycle(), ContractStatus.DRAFT, 0
    for offset, action in enumerate(actions):
        target = ALLOWED.get((status, action))
        try:
            life = life.apply(action, on=JAN_10 + timedelta(days=offset), actor="alice")
        except TransitionRefused as refused:
            assert target is None
            assert refused.current_status is status and refused.action is action
            continue
        assert target is not None
        status, kept = target, kept + 1
    assert life.status is status
    assert len(life.transitions) == kept
    assert all(t.to_status == n.from_status for t, n in pairwise(life.transitions))
