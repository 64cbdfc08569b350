"""What `apply_due(ctx, as_of=…)` brings about: renewals, activations, terminations, as of the
date passed in (today on the clock is 15 Jan 2026 throughout)."""

from __future__ import annotations

from datetime import date

import pytest

from tarif.contracts import service
from tarif.contracts.model import ContractStatus
from tarif.db.repository import PageRequest
from tarif.errors import Forbidden
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, as_role


def test_an_auto_renewing_contract_renews_at_each_term_end_as_of_the_date(world: World) -> None:
    # 12-month term from 1 Jan 2026 renewing for 12: term ends 1 Jan 2027, 2028, 2029…
    contract = world.running(start_date="2026-01-01", initial_term_months=12, renewal_months=12)
    assert service.apply_due(world.ctx, as_of=date(2026, 12, 31)).renewals == []
    assert service.apply_due(world.ctx, as_of=date(2027, 1, 1)).renewals == [
        "C-2026-001: 2027-01-01"
    ]
    assert service.apply_due(world.ctx, as_of=date(2027, 1, 1)).renewals == []  # once only
    later = service.apply_due(world.ctx, as_of=date(2029, 6, 30))
    assert later.renewals == ["C-2026-001: 2028-01-01", "C-2026-001: 2029-01-01"]
    found = service.get_contract(world.ctx, contract.id)
    assert (found.renewal_count, found.last_renewed_on) == (3, date(2029, 1, 1))
    view = service.show_contract(world.ctx, contract.id, as_of=date(2029, 6, 30))
    assert (view.term.renewals, view.term.start, view.term.end) == (
        3,
        date(2029, 1, 1),
        date(2030, 1, 1),
    )
    # No notice period: notice can be given up to the term end itself.
    assert view.notice_deadline == date(2030, 1, 1)


def test_month_end_anchors_are_kept_across_renewals(world: World) -> None:
    # From 31 Jan 2026, monthly: 31 Jan + 1 month = 28 Feb, + 2 = 31 Mar, + 3 = 30 Apr.
    world.running(start_date="2026-01-31", initial_term_months=1, renewal_months=1)
    summary = service.apply_due(world.ctx, as_of=date(2026, 4, 30))
    assert summary.renewals == [
        "C-2026-001: 2026-02-28",
        "C-2026-001: 2026-03-31",
        "C-2026-001: 2026-04-30",
    ]


def test_a_pending_contract_activates_when_its_date_is_reached(world: World) -> None:
    contract = world.contract(activation={"condition": "at_date", "on": "2026-02-01"})
    service.submit(world.ctx, contract.id)
    assert service.apply_due(world.ctx, as_of=date(2026, 1, 31)).activated == []
    assert service.apply_due(world.ctx, as_of=date(2026, 2, 1)).activated == ["C-2026-001"]
    [_, activation] = service.contract_transitions(world.ctx, contract.id)
    assert (activation.action, activation.effective_date, activation.actor) == (
        "activate",
        date(2026, 2, 1),
        "test",
    )


def test_a_contract_ends_when_its_end_date_is_reached(world: World) -> None:
    contract = world.running(start_date="2026-01-01", end_date="2026-06-30")
    assert service.apply_due(world.ctx, as_of=date(2026, 6, 30)).terminated == []
    assert service.apply_due(world.ctx, as_of=date(2026, 7, 1)).terminated == ["C-2026-001"]
    last = service.contract_transitions(world.ctx, contract.id)[-1]
    # Last day 30 Jun 2026: the first day no longer covered is 1 Jul.
    assert (last.to_status, last.effective_date, last.reason) == (
        "terminated",
        date(2026, 7, 1),
        "end date reached",
    )


def test_renewal_due_lists_running_contracts_whose_term_ends_before_a_day(world: World) -> None:
    renewing = world.running(
        reference="C-RENEW", start_date="2026-01-01", initial_term_months=12, renewal_months=12
    )
    world.running(reference="C-EVERGREEN", start_date="2026-01-01")
    world.contract(reference="C-DRAFT", start_date="2026-01-01", initial_term_months=6)
    due = service.list_contracts(world.ctx, PageRequest(), renewal_due_before=date(2027, 2, 1))
    # The current term of C-RENEW ends on 1 Jan 2027; the evergreen one has no term; drafts
    # are not running.
    assert [c.id for c in due.items] == [renewing.id]
    assert (
        service.list_contracts(world.ctx, PageRequest(), renewal_due_before=date(2027, 1, 1)).items
        == []
    )


def test_lists_filter_by_status_customer_and_reference(world: World) -> None:
    active = world.running(reference="C-ACTIVE")
    draft = world.contract(reference="C-DRAFT")
    ids = [
        c.id
        for c in service.list_contracts(world.ctx, PageRequest(), status=ContractStatus.DRAFT).items
    ]
    assert ids == [draft.id]
    found = service.list_contracts(world.ctx, PageRequest(q="active"))
    assert [c.id for c in found.items] == [active.id]
    mine = service.list_contracts(world.ctx, PageRequest(), customer_id=world.customer.id)
    assert [c.id for c in mine.items] == [active.id, draft.id]
    first = service.list_contracts(world.ctx, PageRequest(limit=1))
    assert (first.has_more, first.next_cursor) == (True, active.id)


def test_apply_due_reports_progress_and_needs_the_billing_permission(world: World) -> None:
    world.running(reference="C-1")
    world.running(reference="C-2")
    seen: list[tuple[int, int]] = []
    service.apply_due(world.ctx, as_of=date(2026, 2, 1), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]
    with pytest.raises(Forbidden):
        service.apply_due(as_role(world.ctx, Role.READ_ONLY), as_of=date(2026, 2, 1))
