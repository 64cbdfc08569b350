"""Where events are emitted: a contract activated and terminated, invoices finalized one by one,
by a whole run and inline by a finalizing run, a credit note issued. Each is one delivery (and
one job) per subscribed endpoint, in the business change's transaction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.term import TerminationMode
from tarif.invoicing import service
from tarif.invoicing.service_credit_notes import issue_credit_note
from tarif.invoicing.service_finalize import finalize_run
from tarif.jobs.models import Job
from tarif.webhooks import service as webhooks
from tarif.webhooks.models import WebhookDelivery
from tests.contracts.conftest import World, build_world
from tests.invoicing.conftest import FEB_1, hosting_contract
from tests.invoicing.test_run_finalize import four_drafts

ALL = ["invoice.finalized", "credit_note.created", "contract.activated", "contract.terminated"]


@pytest.fixture
def world(ctx: Ctx) -> World:
    webhooks.create_endpoint(ctx, {"url": "https://erp.example/hooks", "event_types": ALL})
    return build_world(ctx)


def events(ctx: Ctx, event_type: str) -> list[dict[str, Any]]:
    ctx.session.flush()
    rows = ctx.session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.organization_id == ctx.organization_id,
            WebhookDelivery.event_type == event_type,
        )
        .order_by(WebhookDelivery.id)
    )
    return [json.loads(row.body)["data"] for row in rows]


def test_contract_activated_and_terminated(ctx: Ctx, world: World) -> None:
    contract = hosting_contract(world, start_date="2026-01-01")  # activated today, 15 Jan
    assert events(ctx, "contract.activated") == [
        {
            "id": contract.id,
            "object": "contract",
            "reference": contract.reference,
            "customer_id": contract.customer_id,
            "status": "active",
            "previous_status": "pending",
            "date": "2026-01-15",
        }
    ]
    contracts.suspend(ctx, contract.id)
    contracts.resume(ctx, contract.id)
    assert len(events(ctx, "contract.activated")) == 1  # resuming is not activating
    contracts.terminate(ctx, contract.id, mode=TerminationMode.IMMEDIATELY)
    (ended,) = events(ctx, "contract.terminated")
    assert (ended["id"], ended["status"], ended["previous_status"]) == (
        contract.id,
        "terminated",
        "active",
    )
    # Each delivery has its job, queued in the same transaction.
    jobs = ctx.session.scalars(
        select(Job).where(Job.organization_id == ctx.organization_id, Job.kind == "webhook.deliver")
    ).all()
    assert len(jobs) == 2 and {j.status for j in jobs} == {"queued"}


def test_invoices_finalized_one_by_one_and_by_a_run(ctx: Ctx, world: World) -> None:
    run_id = four_drafts(ctx, world)
    outcome = finalize_run(ctx, run_id)
    finalized = events(ctx, "invoice.finalized")
    assert len(finalized) == outcome.finalized == 4
    numbers = sorted(e["number"] for e in finalized)
    assert numbers == [f"F-2026-00000{n}" for n in (1, 2, 3, 4)]
    assert {e["object"] for e in finalized} == {"invoice"}
    # Acme (FR, 20 % VAT): January 399 × 17/31 = 218.81 + 43.76 = 262.57, February 478.80;
    # the German company (reverse charge, no VAT): 218.81 and 399.00.
    assert sorted(e["gross_total"] for e in finalized) == ["218.81", "262.57", "399.00", "478.80"]


def test_invoices_sealed_inline_by_a_finalizing_run(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    outcome = service.run_billing(ctx, FEB_1, finalize=True)
    finalized = events(ctx, "invoice.finalized")
    # January 15-31: 399 × 17/31 = 218.806… → 218.81 net, 43.76 VAT, 262.57 gross; February 478.80
    assert sorted((e["number"], e["gross_total"]) for e in finalized) == [
        ("F-2026-000001", "262.57"),
        ("F-2026-000002", "478.80"),
    ]
    assert len(outcome.invoices) == 2
    assert all(e["due_date"] and e["issue_date"] == "2026-01-15" for e in finalized)


def test_a_credit_note_issued(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    _, february = service.run_billing(ctx, FEB_1).invoices
    invoice = service.finalize_invoice(ctx, february.invoice_id or "")
    note = issue_credit_note(
        ctx, invoice.id, reason="Goodwill", amount="120.00", settlement="balance"
    )
    (created,) = events(ctx, "credit_note.created")
    # 120.00 gross at 20 %: 100.00 net + 20.00 VAT, negative on a credit note
    assert (created["id"], created["object"], created["gross_total"]) == (
        note.id,
        "credit_note",
        "-120.00",
    )
    assert created["corrects_invoice_id"] == invoice.id
    assert [e["id"] for e in events(ctx, "invoice.finalized")] == [invoice.id]


def test_invoices_created_by_a_run(ctx: Ctx, world: World) -> None:
    webhooks.create_endpoint(
        ctx, {"url": "https://crm.example/hooks", "event_types": ["invoice.created"]}
    )
    hosting_contract(world)
    service.run_billing(ctx, FEB_1)
    created = events(ctx, "invoice.created")
    # two drafts, no number yet: January 15-31 (262.57) and February (478.80)
    assert sorted((e["number"], e["gross_total"]) for e in created) == [
        (None, "262.57"),
        (None, "478.80"),
    ]
    assert {e["object"] for e in created} == {"invoice"}
    assert events(ctx, "invoice.finalized") == []
