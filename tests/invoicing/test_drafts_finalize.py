"""Automatic finalization: `auto_finalize_after_hours` (None, 0 or N hours after creation).

The test clock reads 15 Jan 2026 09:30 UTC; the 1 Feb draft of the 399.00 hosting contract is
made then, and the clock is advanced past it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.invoicing import service
from tarif.tenancy.models import Organization
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, JAN_15, hosting_contract


def set_hours(ctx: Ctx, hours: int | None) -> None:
    ctx.session.get_one(Organization, ctx.organization_id).auto_finalize_after_hours = hours


def test_drafts_are_finalized_once_they_are_n_hours_old(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    set_hours(ctx, 24)
    world.running()
    [draft] = service.run_billing(ctx, FEB_1).invoices  # made at 15 Jan 09:30
    clock.advance(timedelta(hours=23))  # 16 Jan 08:30: 23 hours old
    assert service.finalize_due_drafts(ctx) == []
    assert service.get_invoice(ctx, draft.invoice_id or "").status == "draft"
    clock.advance(timedelta(hours=2))  # 16 Jan 10:30: 25 hours old
    [invoice] = service.finalize_due_drafts(ctx)
    assert (invoice.id, invoice.status, invoice.number) == (
        draft.invoice_id,
        "finalized",
        "F-2026-000001",
    )
    assert invoice.issue_date is not None and invoice.issue_date.isoformat() == "2026-01-16"
    assert service.finalize_due_drafts(ctx) == []  # nothing left


def test_the_oldest_draft_gets_the_first_number(ctx: Ctx, world: World, clock: FixedClock) -> None:
    set_hours(ctx, 1)
    hosting_contract(world)  # from 15 Jan: a 15 Jan draft now, a 1 Feb one later
    [january] = service.run_billing(ctx, JAN_15).invoices
    clock.advance(timedelta(minutes=30))
    [february] = service.run_billing(ctx, FEB_1).invoices
    clock.advance(timedelta(minutes=45))  # january is 75 minutes old, february 45
    assert [i.id for i in service.finalize_due_drafts(ctx)] == [january.invoice_id]
    clock.advance(timedelta(minutes=15))  # february is 60 minutes old: due
    done = service.finalize_due(ctx)
    assert [(i.id, i.number) for i in done.finalized] == [(february.invoice_id, "F-2026-000002")]


def test_without_the_setting_drafts_wait_for_a_person(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    world.running()
    service.run_billing(ctx, FEB_1)
    clock.advance(timedelta(days=365))
    done = service.finalize_due(ctx)
    assert (done.after_hours, done.finalized, done.skipped_empty) == (None, [], [])


def test_with_zero_hours_the_run_finalizes_what_it_writes(ctx: Ctx, world: World) -> None:
    set_hours(ctx, 0)
    hosting_contract(world)
    outcome = service.run_billing(ctx, FEB_1)
    # Two invoices in billing order: 15 Jan (399 × 17/31 = 218.81) and 1 Feb (399.00).
    invoices = [service.get_invoice(ctx, d.invoice_id or "") for d in outcome.invoices]
    assert [(i.status, i.number, i.net_total) for i in invoices] == [
        ("finalized", "F-2026-000001", Decimal("218.81")),
        ("finalized", "F-2026-000002", Decimal("399.00")),
    ]
    assert outcome.finalized == 2


def test_a_dry_run_finalizes_nothing(ctx: Ctx, world: World) -> None:
    set_hours(ctx, 0)
    world.running()
    preview = service.run_billing(ctx, FEB_1, dry_run=True)
    assert [d.invoice_id for d in preview.invoices] == [None]
    assert service.list_invoices(ctx, PageRequest(limit=10)).items == []
