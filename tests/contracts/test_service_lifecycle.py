"""Lifecycle through the service, today being 15 Jan 2026: dated, attributed, kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tarif.audit.service import events_for_object
from tarif.contracts import service, service_lifecycle
from tarif.contracts.lifecycle import ActivationRefused, TransitionRefused
from tarif.contracts.model import ContractStatus
from tarif.contracts.models import ContractAmendment
from tarif.contracts.schemas import LineInput, TransitionCreate, parse
from tarif.contracts.term import TerminationMode
from tarif.errors import Conflict, Forbidden, InvalidInput
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, as_role

# 12-month term from 1 Jan 2026, renewing by itself, one month of notice: the term ends on
# 1 Jan 2027 (last day 31 Dec 2026) and notice for it is due by 1 Dec 2026.
GROWTH: dict[str, Any] = {
    "start_date": "2026-01-01",
    "initial_term_months": 12,
    "renewal_months": 12,
    "notice_months": 1,
}


def history(world: World, contract_id: str) -> list[tuple[str, str, date, str, bool]]:
    return [
        (t.action, t.to_status, t.effective_date, t.actor, t.forced)
        for t in service.contract_transitions(world.ctx, contract_id)
    ]


def test_transitions_are_dated_attributed_and_kept(world: World) -> None:
    contract = world.contract()
    service.submit(world.ctx, contract.id, on=date(2026, 1, 10))
    service.activate(world.ctx, contract.id, on=date(2026, 1, 12), reason="kick-off")
    service.suspend(world.ctx, contract.id, on=date(2026, 1, 14), reason="unpaid")
    finance = as_role(world.ctx, Role.FINANCE)
    service.resume(finance, contract.id)  # today
    assert history(world, contract.id) == [
        ("submit", "pending", date(2026, 1, 10), "test", False),
        ("activate", "active", date(2026, 1, 12), "test", False),
        ("suspend", "suspended", date(2026, 1, 14), "test", False),
        ("resume", "active", date(2026, 1, 15), "finance-user", False),
    ]
    assert service.contract_transitions(world.ctx, contract.id)[2].reason == "unpaid"
    actions = [e.action for e in events_for_object(world.ctx, contract.id)]
    assert actions == ["resume", "suspend", "activate", "submit", "create"]
    # As it stood on 13 Jan it was active; on 14 Jan, suspended.
    assert service.show_contract(world.ctx, contract.id, as_of=date(2026, 1, 13)).status_as_of is (
        ContractStatus.ACTIVE
    )
    assert service.show_contract(world.ctx, contract.id, as_of=date(2026, 1, 14)).status_as_of is (
        ContractStatus.SUSPENDED
    )


def test_read_as_of_a_day_past_a_scheduled_end_is_terminated(world: World) -> None:
    contract = world.running(start_date="2026-01-01")
    service.terminate(
        world.ctx, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 3, 21)
    )  # scheduled: nothing recorded until the day comes

    def status_on(day: date) -> ContractStatus:
        return service.show_contract(world.ctx, contract.id, as_of=day).status_as_of

    # 21 Mar is the first day no longer covered: 20 Mar is its last active day
    assert status_on(date(2026, 3, 20)) is ContractStatus.ACTIVE
    assert status_on(date(2026, 3, 21)) is ContractStatus.TERMINATED
    assert status_on(date(2026, 6, 1)) is ContractStatus.TERMINATED
    # read today (no as_of): the status recorded now
    assert service.show_contract(world.ctx, contract.id).status_as_of is ContractStatus.ACTIVE


def test_a_transition_not_allowed_from_the_current_status_is_refused(world: World) -> None:
    contract = world.running()
    with pytest.raises(TransitionRefused) as refused:
        service.resume(world.ctx, contract.id)
    assert refused.value.detail == (
        "cannot resume a contract that is active; allowed from active: suspend, terminate"
    )
    with pytest.raises(TransitionRefused, match="cannot activate a contract that is draft"):
        service.activate(world.ctx, world.contract(reference="C-2").id)


def test_a_transition_cannot_be_dated_in_the_future_or_before_the_last_one(world: World) -> None:
    contract = world.contract()
    with pytest.raises(InvalidInput) as future:
        service.submit(world.ctx, contract.id, on=date(2026, 1, 16))
    assert future.value.errors[0].field == "date"
    service.submit(world.ctx, contract.id, on=date(2026, 1, 10))
    with pytest.raises(InvalidInput) as earlier:
        service.activate(world.ctx, contract.id, on=date(2026, 1, 9))
    assert earlier.value.errors[0].field == "date"
    assert "before the last transition (submit on 2026-01-10)" in earlier.value.errors[0].message


def test_activation_at_a_date_waits_unless_an_admin_forces_it(world: World) -> None:
    contract = world.contract(activation={"condition": "at_date", "on": "2026-02-01"})
    service.submit(world.ctx, contract.id)
    assert service.get_contract(world.ctx, contract.id).status == "pending"
    with pytest.raises(ActivationRefused) as refused:
        service.activate(as_role(world.ctx, Role.FINANCE), contract.id)
    assert refused.value.detail == (
        "cannot activate on 2026-01-15: it activates on 2026-02-01 (an admin may force it)"
    )
    with pytest.raises(Forbidden, match="only an admin may force an activation"):
        service.activate(as_role(world.ctx, Role.FINANCE), contract.id, forced=True)
    service.activate(world.ctx, contract.id, forced=True, reason="customer asked")
    assert history(world, contract.id)[-1] == (
        "activate",
        "active",
        date(2026, 1, 15),
        "test",
        True,
    )


def test_activation_on_signature_happens_when_the_signature_is_recorded(world: World) -> None:
    contract = world.contract(activation={"condition": "on_signature"})
    service.submit(world.ctx, contract.id, on=date(2026, 1, 5))
    with pytest.raises(ActivationRefused, match="the signature, which is not recorded yet"):
        service.activate(world.ctx, contract.id)
    service.record_signature(world.ctx, contract.id, signed_on=date(2026, 1, 12))
    found = service.get_contract(world.ctx, contract.id)
    assert (found.status, found.signed_on) == ("active", date(2026, 1, 12))
    # Dated the signature day (after the submission on the 5th).
    assert history(world, contract.id)[-1][:3] == ("activate", "active", date(2026, 1, 12))
    with pytest.raises(Conflict, match=r"signature .* is already recorded \(2026-01-12\)"):
        service.record_signature(world.ctx, contract.id)


def test_activation_on_first_payment_happens_when_the_payment_is_recorded(world: World) -> None:
    contract = world.contract(activation={"condition": "on_first_payment"})
    service.submit(world.ctx, contract.id)
    service.record_signature(world.ctx, contract.id)  # not its condition: still pending
    assert service.get_contract(world.ctx, contract.id).status == "pending"
    service.record_first_payment(world.ctx, contract.id)
    found = service.get_contract(world.ctx, contract.id)
    assert (found.status, found.first_paid_on) == ("active", date(2026, 1, 15))
    with pytest.raises(InvalidInput) as future:
        service.record_first_payment(
            world.ctx, world.contract(reference="C-2").id, paid_on=date(2026, 2, 1)
        )
    assert future.value.errors[0].field == "paid_on"


def test_a_signature_recorded_before_submission_activates_on_submission(world: World) -> None:
    contract = world.contract(activation={"condition": "on_signature"}, signed_on="2026-01-02")
    service.submit(world.ctx, contract.id, on=date(2026, 1, 10))
    # The condition was met on 2 Jan, but a transition cannot precede the submission.
    assert history(world, contract.id)[-1][:3] == ("activate", "active", date(2026, 1, 10))


# --- termination -------------------------------------------------------------------------------


def test_termination_at_term_end_is_scheduled_then_made_by_the_clock(world: World) -> None:
    contract = world.running(**GROWTH)
    service.terminate(world.ctx, contract.id, mode=TerminationMode.AT_TERM_END, reason="budget")
    assert service.get_contract(world.ctx, contract.id).status == "active"
    [version_1, version_2] = service.contract_versions(world.ctx, contract.id)
    # Ends on 1 Jan 2027 (last day 31 Dec 2026), projected until then.
    assert (version_2.effective_from, version_2.projected) == (date(2027, 1, 1), True)
    assert version_2.changes == [
        "end date evergreen → 2026-12-31",
        "renewal auto-renew 12 months → no renewal",
    ]
    assert version_1.changes == []
    service.apply_due(world.ctx, as_of=date(2026, 12, 31))
    assert service.get_contract(world.ctx, contract.id).status == "active"
    summary = service.apply_due(world.ctx, as_of=date(2027, 1, 1))
    assert summary.terminated == ["C-2026-001"]
    assert summary.renewals == []  # it ended on its term end: no renewal that day
    found = service.get_contract(world.ctx, contract.id)
    assert (found.status, found.renewal_count) == ("terminated", 0)
    assert service.contract_transitions(world.ctx, contract.id)[-1].reason == "budget"
    assert history(world, contract.id)[-1] == (
        "terminate",
        "terminated",
        date(2027, 1, 1),
        "test",
        False,
    )


def test_a_chosen_date_must_respect_the_notice(world: World) -> None:
    contract = world.running(**GROWTH)
    finance = as_role(world.ctx, Role.FINANCE)
    # Notice given on 15 Jan with one month: ending on 15 Feb needs notice by 15 Jan, so the
    # earliest first day no longer covered is 15 Feb 2026 (last day 14 Feb).
    with pytest.raises(InvalidInput) as refused:
        service.terminate(finance, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 2, 1))
    assert refused.value.errors[0].field == "date"
    assert refused.value.errors[0].message == (
        "1 month of notice given on 2026-01-15 allows ending on 2026-02-15 at the earliest "
        "(last day 2026-02-14); only an admin may force an earlier date"
    )
    with pytest.raises(Forbidden, match="only an admin may force a termination"):
        service.terminate(
            finance, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 2, 1), forced=True
        )
    service.terminate(finance, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 3, 1))
    [event] = [e for e in events_for_object(world.ctx, contract.id) if e.action == "terminate"]
    assert event.after is not None
    # 1 Mar 2026 is inside the committed term (to 1 Jan 2027): early, notice respected.
    assert (event.after["early"], event.after["notice_overridden"]) == (True, False)


def test_an_admin_may_force_an_earlier_date_and_it_is_recorded(world: World) -> None:
    contract = world.running(**GROWTH)
    service.terminate(
        world.ctx,
        contract.id,
        mode=TerminationMode.ON_DATE,
        on=date(2026, 2, 1),
        forced=True,
        reason="fraud",
    )
    [amendment] = world.ctx.session.query(ContractAmendment).filter_by(contract_id=contract.id)
    assert (amendment.status, amendment.notice_overridden) == ("scheduled", True)
    service.apply_due(as_role(world.ctx, Role.FINANCE), as_of=date(2026, 2, 1))
    # The transition made by the clock carries who decided it, why, and that it was forced.
    assert history(world, contract.id)[-1] == (
        "terminate",
        "terminated",
        date(2026, 2, 1),
        "test",
        True,
    )
    assert service.contract_transitions(world.ctx, contract.id)[-1].reason == "fraud"


def test_immediate_termination_skipping_notice_is_for_admins(world: World) -> None:
    contract = world.running(**GROWTH)
    with pytest.raises(Forbidden, match="skips the 1 month of notice"):
        service.terminate(
            as_role(world.ctx, Role.FINANCE), contract.id, mode=TerminationMode.IMMEDIATELY
        )
    service.terminate(world.ctx, contract.id, mode=TerminationMode.IMMEDIATELY)
    assert history(world, contract.id)[-1] == (
        "terminate",
        "terminated",
        date(2026, 1, 15),
        "test",
        True,
    )
    # The contract covered 1 Jan to 14 Jan 2026.
    assert service.show_contract(world.ctx, contract.id).terms.end_date == date(2026, 1, 15)


def test_immediate_termination_without_notice_needs_no_admin(world: World) -> None:
    contract = world.running(start_date="2026-01-01")
    finance = as_role(world.ctx, Role.FINANCE)
    service.terminate(finance, contract.id, mode=TerminationMode.IMMEDIATELY)
    assert history(world, contract.id)[-1][1:] == (
        "terminated",
        date(2026, 1, 15),
        "finance-user",
        False,
    )


def test_an_early_termination_fee_line_is_added_on_the_last_day(world: World) -> None:
    contract = world.running(**GROWTH)
    fee = parse(
        LineInput,
        {"product_id": world.setup.id, "line_key": "early-exit", "unit_price": "1200.00"},
    )
    service.terminate(
        world.ctx, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 4, 1), fee_line=fee
    )
    terms = service.show_contract(world.ctx, contract.id, as_of=date(2026, 4, 1)).terms
    line = terms.line("early-exit")
    assert line is not None
    # Billed once on the last day covered: 1 Apr 2026 - 1 day = 31 Mar 2026.
    assert (line.start, line.unit_price, str(line.periodicity)) == (
        date(2026, 3, 31),
        Decimal("1200.00"),
        "one_off",
    )


def test_ending_before_an_invoiced_day_needs_a_credit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = world.running(start_date="2026-01-01")
    # Pretend February is invoiced: the first day not invoiced is 1 Mar 2026.
    monkeypatch.setattr(service_lifecycle, "last_invoiced_date", lambda ctx, cid: date(2026, 3, 1))
    with pytest.raises(InvalidInput) as refused:
        service.terminate(
            world.ctx, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 2, 15)
        )
    assert refused.value.errors[0].field == "date"
    assert refused.value.errors[0].message.startswith(
        "2026-02-15 is before 2026-02-28, already invoiced: terminate with a credit"
    )
    service.terminate(
        world.ctx, contract.id, mode=TerminationMode.ON_DATE, on=date(2026, 2, 15), with_credit=True
    )


def test_the_invoicing_hook_answers_none_while_there_are_no_invoices(world: World) -> None:
    contract = world.running()
    assert service.last_invoiced_date(world.ctx, contract.id) is None


def test_a_pending_contract_that_never_ran_is_terminated_at_once(world: World) -> None:
    contract = world.contract()
    service.submit(world.ctx, contract.id)
    service.terminate(world.ctx, contract.id, reason="deal lost")
    assert history(world, contract.id)[-1][:3] == ("terminate", "terminated", date(2026, 1, 15))
    with pytest.raises(TransitionRefused, match="cannot terminate a contract that is draft"):
        service.terminate(world.ctx, world.contract(reference="C-2").id)


def test_the_transition_input_dispatches_and_refuses_misplaced_options(world: World) -> None:
    contract = world.contract()
    service.transition(world.ctx, contract.id, data=TransitionCreate(action="submit"))
    with pytest.raises(InvalidInput) as refused:
        service.transition(
            world.ctx,
            contract.id,
            data=parse(TransitionCreate, {"action": "suspend", "with_credit": True}),
        )
    assert refused.value.errors[0].field == "with_credit"
    service.transition(world.ctx, contract.id, data=TransitionCreate(action="activate"))
    assert service.get_contract(world.ctx, contract.id).status == "active"
