"""Finalizing a whole run: the numbers, due dates and hashes of one by one, in billing order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tarif.audit.models import AuditEvent
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.customers import service as customers
from tarif.errors import NotFound
from tarif.invoicing import service
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.invoicing.service_finalize import finalize_run
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, german_company, hosting_contract


def four_drafts(ctx: Ctx, world: World) -> str:
    """Acme (FR) and a German company, each with the 399.00 hosting contract from 15 Jan:
    as of 1 Feb, January (15-31 Jan) and February for each, four drafts of one run."""
    hosting_contract(world)
    hosting_contract(world, customer=german_company(ctx), reference="C-2026-002")
    outcome = service.run_billing(ctx, FEB_1)
    assert outcome.run is not None and len(outcome.invoices) == 4
    return outcome.run.id


def sealed(ctx: Ctx, run_id: str) -> list[tuple[Any, ...]]:
    ctx.session.expire_all()
    rows = ctx.session.scalars(
        select(Invoice).where(
            Invoice.organization_id == ctx.organization_id, Invoice.billing_run_id == run_id
        )
    )
    return sorted(
        (i.id, i.number, i.status, i.issue_date, i.due_date, i.content_hash, i.finalized_at)
        for i in rows
    )


def billing_order(ctx: Ctx, run_id: str) -> list[str]:
    rows = ctx.session.scalars(
        select(Invoice).where(
            Invoice.organization_id == ctx.organization_id, Invoice.billing_run_id == run_id
        )
    )
    key = [(i.billing_date, i.customer_id, i.currency, i.contract_id or "", i.id) for i in rows]
    return [k[-1] for k in sorted(key)]


def test_a_run_finalized_at_once_equals_its_drafts_finalized_one_by_one(
    ctx: Ctx, world: World
) -> None:
    run_id = four_drafts(ctx, world)
    attempt = ctx.session.begin_nested()
    outcome = finalize_run(ctx, run_id)
    at_once = sealed(ctx, run_id)
    attempt.rollback()
    for invoice_id in billing_order(ctx, run_id):
        service.finalize_invoice(ctx, invoice_id)
    one_by_one = sealed(ctx, run_id)
    assert at_once == one_by_one
    assert (outcome.finalized, outcome.first_number, outcome.last_number) == (
        4,
        "F-2026-000001",
        "F-2026-000004",
    )
    # issued today (15 Jan 2026), due 30 days later by default: 14 Feb 2026
    assert {(row[3], row[4]) for row in at_once} == {(date(2026, 1, 15), date(2026, 2, 14))}


def test_numbers_follow_billing_date_then_customer(ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)
    finalize_run(ctx, run_id)
    rows = ctx.session.scalars(
        select(Invoice)
        .where(Invoice.organization_id == ctx.organization_id)
        .order_by(Invoice.number)
    ).all()
    acme, german = world.customer.id, rows[1].customer_id
    # 15 Jan Acme (218.81 + 20 % = 262.57), 15 Jan German (reverse charge: 218.81),
    # 1 Feb Acme (399.00 + 79.80 = 478.80), 1 Feb German (399.00)
    assert [(r.number, r.billing_date, r.customer_id, r.gross_total) for r in rows] == [
        ("F-2026-000001", date(2026, 1, 15), acme, Decimal("262.57")),
        ("F-2026-000002", date(2026, 1, 15), german, Decimal("218.81")),
        ("F-2026-000003", FEB_1, acme, Decimal("478.80")),
        ("F-2026-000004", FEB_1, german, Decimal("399.00")),
    ]
    # one audit record per invoice, as finalize_invoice writes
    finalize_events = ctx.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.organization_id == ctx.organization_id, AuditEvent.action == "finalize")
    )
    assert finalize_events == 4


def test_the_sequence_goes_on_after_a_finalized_run(ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)
    other = customers.create_customer(ctx, {"legal_name": "Zeta SAS", "country": "FR"})
    finalize_run(ctx, run_id)
    hosting_contract(world, customer=other, reference="C-2026-003")
    january, _february = service.run_billing(ctx, FEB_1).invoices  # Zeta's two months
    assert service.finalize_invoice(ctx, january.invoice_id or "").number == "F-2026-000005"


def test_finalizing_a_run_twice_finalizes_nothing_more(ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)
    assert finalize_run(ctx, run_id).finalized == 4
    again = finalize_run(ctx, run_id)
    assert (again.finalized, again.first_number) == (0, None)


def test_an_empty_draft_keeps_no_number_and_stays_a_draft(ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)
    first, *others = billing_order(ctx, run_id)
    ctx.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == first))
    outcome = finalize_run(ctx, run_id)
    assert (outcome.finalized, outcome.skipped_empty) == (3, [first])
    numbers = [service.get_invoice(ctx, invoice_id).number for invoice_id in others]
    assert numbers == ["F-2026-000001", "F-2026-000002", "F-2026-000003"]
    assert service.get_invoice(ctx, first).status == "draft"


def test_a_run_can_finalize_what_it_writes(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    outcome = service.run_billing(ctx, FEB_1, finalize=True)
    assert outcome.finalized == 2
    numbers = [service.get_invoice(ctx, d.invoice_id or "").number for d in outcome.invoices]
    assert numbers == ["F-2026-000001", "F-2026-000002"]


@pytest.fixture
def stranger(session: Session, make_tenant, clock: FixedClock) -> Ctx:  # type: ignore[no-untyped-def]
    """Another organization, made before the world writes (SQLite has one writer)."""
    return Ctx(session, make_tenant("Other SAS").id, Actor.system("test"), clock)


def test_another_tenants_run_is_not_found(stranger: Ctx, ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)
    with pytest.raises(NotFound):
        finalize_run(stranger, run_id)


def test_finalize_events_read_as_one_by_one_finalizing_writes_them(ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)

    def events() -> list[tuple[Any, ...]]:
        rows = ctx.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.organization_id == ctx.organization_id,
                AuditEvent.action == "finalize",
            )
            .order_by(AuditEvent.object_id)
        )
        return [
            (e.object_id, e.object_type, e.actor_kind, e.actor_label, e.before, e.after)
            for e in rows
        ]

    attempt = ctx.session.begin_nested()
    finalize_run(ctx, run_id)
    at_once = events()
    attempt.rollback()
    for invoice_id in billing_order(ctx, run_id):
        service.finalize_invoice(ctx, invoice_id)
    assert at_once == events()
    numbers = sorted(after["number"] for *_, after in at_once)
    assert numbers == ["F-2026-000001", "F-2026-000002", "F-2026-000003", "F-2026-000004"]


def test_a_draft_the_caller_holds_is_finalized_in_place(ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)
    first = billing_order(ctx, run_id)[0]
    held = ctx.session.get_one(Invoice, first)  # loaded before: stays in the session
    finalize_run(ctx, run_id)
    assert (held.number, held.status) == ("F-2026-000001", "finalized")
    ctx.session.expire_all()
    assert ctx.session.get_one(Invoice, first).number == "F-2026-000001"


def issued_content(ctx: Ctx, run_id: str) -> list[tuple[Any, ...]]:
    """What finalizing gave each invoice of a run, without the ids a new run renews."""
    ctx.session.expire_all()
    rows = ctx.session.scalars(
        select(Invoice).where(
            Invoice.organization_id == ctx.organization_id, Invoice.billing_run_id == run_id
        )
    )
    return sorted(
        (
            i.number,
            i.kind,
            i.status,
            i.issue_date,
            i.due_date,
            i.content_hash,
            i.finalized_at,
            i.document,
            i.gross_total,
            i.amount_paid,
        )
        for i in rows
    )


def finalize_events(ctx: Ctx) -> list[Any]:
    rows = ctx.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.organization_id == ctx.organization_id, AuditEvent.action == "finalize")
        .order_by(AuditEvent.id)
    )
    return [e.after["number"] for e in rows]


@pytest.fixture(params=[500, 1], ids=["one-chunk", "a-chunk-per-invoice"])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Invoices written 500 at a time (every case here in one chunk), or one at a time: each
    chunk's documents are then worked out while the one before is stored (`work_ahead`)."""
    from tarif.invoicing import service_runs

    monkeypatch.setattr(service_runs, "WRITE_CHUNK", request.param)
    return int(request.param)


def sealed_both_ways(ctx: Ctx, as_of: date) -> tuple[list[Any], list[Any], Any]:
    """The run finalizing as it writes, and the same run written then `finalize_run`."""
    attempt = ctx.session.begin_nested()
    outcome = service.run_billing(ctx, as_of)
    assert outcome.run is not None
    finalize_run(ctx, outcome.run.id)
    afterwards = (issued_content(ctx, outcome.run.id), finalize_events(ctx))
    attempt.rollback()
    inline = service.run_billing(ctx, as_of, finalize=True)
    assert inline.run is not None
    return [afterwards], [(issued_content(ctx, inline.run.id), finalize_events(ctx))], inline


def test_a_run_sealing_as_it_writes_gives_what_finalizing_its_drafts_gives(
    ctx: Ctx, world: World, chunk: int
) -> None:
    hosting_contract(world)
    hosting_contract(
        world,
        customer=german_company(ctx),
        reference="C-2026-002",
        payment_terms_days=10,
        purchase_order="PO-7",
    )
    afterwards, inline, outcome = sealed_both_ways(ctx, FEB_1)
    assert inline == afterwards
    assert outcome.finalized == 4
    [(content, events)] = inline
    # the German contract's own terms: due 10 days after 15 Jan, its purchase order printed
    german = [row for row in content if row[7]["purchase_order"] == "PO-7"]
    assert {row[4] for row in german} == {date(2026, 1, 25)}
    assert len(german) == 2
    assert [row[0] for row in content] == [f"F-2026-00000{n}" for n in (1, 2, 3, 4)]
    assert events == ["F-2026-000001", "F-2026-000002", "F-2026-000003", "F-2026-000004"]
    # Acme's: issued today (15 Jan 2026), due 30 days later: 14 Feb 2026
    acme = [row for row in content if row[7]["purchase_order"] is None]
    assert {(row[3], row[4]) for row in acme} == {(date(2026, 1, 15), date(2026, 2, 14))}
    assert all(row[7]["buyer"]["name"] for row in content)


def test_an_invoice_paid_by_a_credit_balance_is_sealed_the_same_inline(
    ctx: Ctx, world: World, chunk: int
) -> None:
    from tarif.invoicing import balance

    hosting_contract(world)
    balance.grant_goodwill(
        ctx, world.customer.id, amount="50.00", currency="EUR", reason="late delivery"
    )
    afterwards, inline, _ = sealed_both_ways(ctx, FEB_1)
    assert inline == afterwards
    [(content, _events)] = inline
    # January 262.57 takes the 50.00 of the balance; February 478.80 finds none left
    assert [(row[8], row[9]) for row in content] == [
        (Decimal("262.57"), Decimal("50.00")),
        (Decimal("478.80"), Decimal("0")),
    ]


def test_a_credit_note_drafted_by_a_run_is_sealed_the_same_inline(
    ctx: Ctx, world: World, chunk: int
) -> None:
    from datetime import timedelta

    from tarif.contracts import service as contracts
    from tarif.contracts.schemas import AmendmentCreate, parse
    from tests.invoicing.conftest import JAN_15
    from tests.invoicing.test_credit_notes_runs import JAN_20, UPGRADE

    # January billed and finalized (F-2026-000001), then 3 × hosting from 20 Jan
    contract = hosting_contract(world, corrections="credit_note")
    [january] = service.run_billing(ctx, JAN_15).invoices
    service.finalize_invoice(ctx, january.invoice_id or "")
    amendment = contracts.create_amendment(ctx, contract.id, data=parse(AmendmentCreate, UPGRADE))
    contracts.schedule_amendment(ctx, amendment.id)
    ctx.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    afterwards, inline, outcome = sealed_both_ways(ctx, JAN_20)
    assert inline == afterwards
    [(content, events)] = inline
    # the credit note (-185.34) and the invoice of the new charge (556.02), numbered in their
    # own series; the credit note settles against January's invoice: nothing to pay
    assert [(row[0], row[1], row[2], row[8]) for row in content] == [
        ("AV-2026-000001", "credit_note", "issued", Decimal("-185.34")),
        ("F-2026-000002", "invoice", "finalized", Decimal("556.02")),
    ]
    assert events == ["F-2026-000001", "AV-2026-000001", "F-2026-000002"]
    assert outcome.finalized == 2
