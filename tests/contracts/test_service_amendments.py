"""Amendments through the service, today being 15 Jan 2026: scheduled, applied, cancelled,
conflicting, and the versions they make."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tarif.audit.service import events_for_object
from tarif.catalog import service as catalog
from tarif.clock import FixedClock
from tarif.contracts import service
from tarif.contracts.amendments import (
    AmendmentStatus,
    AmendmentStatusError,
    HistoryRewriteRefused,
)
from tarif.contracts.model import LinePriceSource
from tarif.contracts.models import Contract, ContractAmendment
from tarif.contracts.schemas import AmendmentCreate, parse
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput
from tests.contracts.conftest import World

RUNNING: dict[str, Any] = {
    "start_date": "2026-01-01",
    "lines": [{"product_id": "hosting"}, {"product_id": "licence", "quantity": "10"}],
}


def running(world: World) -> Contract:
    """Active since 15 Jan 2026, from 1 Jan 2026: hosting 1 × 399 monthly, licence 10 × 120."""
    lines = [
        {**line, "product_id": getattr(world, line["product_id"]).id} for line in RUNNING["lines"]
    ]
    return world.running(**{**RUNNING, "lines": lines})


def amend(
    world: World, contract: Contract, effective: str, *changes: dict[str, Any], **options: Any
) -> ContractAmendment:
    body = {"effective_date": effective, "reason": "test", "changes": list(changes)} | options
    return service.create_amendment(world.ctx, contract.id, data=parse(AmendmentCreate, body))


def test_a_scheduled_upgrade_takes_effect_on_its_date(world: World) -> None:
    contract = running(world)
    upgrade = amend(
        world,
        contract,
        "2026-03-01",
        {"type": "change_quantity", "line_key": "hosting", "quantity": "3"},
        {"type": "change_price", "line_key": "hosting", "unit_price": "379.00"},
        reason="upgrade to 3 servers",
        schedule=True,
    )
    assert upgrade.status == "scheduled"
    before = service.show_contract(world.ctx, contract.id, as_of=date(2026, 2, 28))
    after = service.show_contract(world.ctx, contract.id, as_of=date(2026, 3, 1))
    hosting_before, hosting_after = before.terms.line("hosting"), after.terms.line("hosting")
    assert hosting_before is not None and hosting_after is not None
    assert (before.version.number, hosting_before.quantity) == (1, Decimal(1))
    assert (after.version.number, hosting_after.quantity, after.version.projected) == (
        2,
        Decimal(3),
        True,
    )
    assert hosting_after.price_source is LinePriceSource.OVERRIDE
    [_, version_2] = service.contract_versions(world.ctx, contract.id)
    # The pricelist's 399 comes back from the catalog as 399; EUR prices read with 2 decimals.
    assert version_2.changes == [
        "line hosting: quantity 1 → 3",
        "line hosting: unit price 399.00 (pricelist) → 379.00 (override)",
    ]
    assert service.apply_due(world.ctx, as_of=date(2026, 2, 28)).amendments_applied == []
    summary = service.apply_due(world.ctx, as_of=date(2026, 3, 1))
    assert summary.amendments_applied == [f"C-2026-001: {upgrade.id}"]
    applied = service.get_amendment(world.ctx, upgrade.id)
    assert (applied.status, applied.applied_at is not None) == ("applied", True)
    assert service.show_contract(
        world.ctx, contract.id, as_of=date(2026, 3, 1)
    ).version.projected is (False)
    actions = [e.action for e in events_for_object(world.ctx, upgrade.id)]
    assert actions == ["apply", "scheduled", "create"]


def test_an_amendment_whose_date_is_reached_is_applied_at_once(world: World) -> None:
    contract = running(world)
    row = amend(
        world,
        contract,
        "2026-01-15",
        {"type": "change_quantity", "line_key": "licence", "quantity": "12"},
        schedule=True,
    )
    assert row.status == "applied"
    licence = service.show_contract(world.ctx, contract.id).terms.line("licence")
    assert licence is not None and licence.quantity == Decimal(12)


def test_one_call_reports_the_input_problems_and_the_cores_together(world: World) -> None:
    contract = running(world)
    with pytest.raises(InvalidInput) as refused:
        amend(
            world,
            contract,
            "2026-03-01",
            {"type": "change_periodicity", "line_key": "hosting", "periodicity": "fortnightly"},
            {"type": "change_quantity", "line_key": "licence", "quantity": "0"},
            {"type": "add_line", "line": {"product_id": world.setup.id, "quantity": "0"}},
            {"type": "add_line", "line": {"product_id": "prd_nope", "line_key": "extra"}},
        )
    # The unreadable periodicity and the unknown product are input problems, the quantities of
    # 0 the core's (on the licence, and on the added set-up line); the core's own complaint
    # about change 0 (no periodicity left to set) is the same problem, named once.
    problems = {e.field: e.message for e in refused.value.errors}
    assert set(problems) == {
        "changes.0.periodicity",
        "changes.1.quantity",
        "changes.2.line.quantity",
        "changes.3.line.product_id",
    }
    assert problems["changes.0.periodicity"].startswith("unknown periodicity 'fortnightly'")
    assert problems["changes.1.quantity"] == "must be greater than 0"
    assert problems["changes.2.line.quantity"] == "must be greater than 0"
    assert problems["changes.3.line.product_id"] == "no product 'prd_nope' in this organization"


def test_a_draft_amendment_changes_nothing_until_scheduled(world: World) -> None:
    contract = running(world)
    draft = amend(world, contract, "2026-02-01", {"type": "remove_line", "line_key": "licence"})
    assert draft.status == "draft"
    assert len(service.contract_versions(world.ctx, contract.id)) == 1
    # Its diff says what it would change.
    assert service.amendment_view(world.ctx, draft.id).diff == [
        "line licence: end date contract end → 2026-01-31"
    ]
    service.schedule_amendment(world.ctx, draft.id)
    assert len(service.contract_versions(world.ctx, contract.id)) == 2


def test_conflicting_scheduled_amendments_are_refused_naming_both(world: World) -> None:
    contract = running(world)
    first = amend(
        world, contract, "2026-04-01", {"type": "remove_line", "line_key": "hosting"}, schedule=True
    )
    with pytest.raises(Conflict) as refused:
        amend(world, contract, "2026-03-01", {"type": "remove_line", "line_key": "hosting"})
    stored = world.ctx.session.query(ContractAmendment).filter_by(contract_id=contract.id)
    assert [a.id for a in stored] == [first.id]  # the refused one was not stored
    assert refused.value.detail.startswith("amendments amd_")
    assert first.id in refused.value.detail
    assert refused.value.detail.endswith("conflict: both remove line hosting")


def test_a_draft_that_conflicts_with_one_scheduled_since_is_refused_when_scheduled(
    world: World,
) -> None:
    contract = running(world)
    draft = amend(
        world,
        contract,
        "2026-03-01",
        {"type": "change_quantity", "line_key": "hosting", "quantity": "2"},
    )
    scheduled = amend(
        world,
        contract,
        "2026-03-01",
        {"type": "change_quantity", "line_key": "hosting", "quantity": "5"},
        schedule=True,
    )
    with pytest.raises(Conflict) as refused:
        service.schedule_amendment(world.ctx, draft.id)
    assert refused.value.detail == (
        # Same day: ordered by creation, the draft first.
        f"amendments {draft.id} and {scheduled.id} conflict: "
        "both set the quantity of line hosting on 2026-03-01"
    )


def test_a_scheduled_amendment_can_be_cancelled_until_its_date(
    world: World, clock: FixedClock
) -> None:
    contract = running(world)
    later = amend(
        world, contract, "2026-01-20", {"type": "remove_line", "line_key": "licence"}, schedule=True
    )
    cancelled = service.cancel_amendment(world.ctx, later.id)
    assert (cancelled.status, cancelled.cancelled_at is not None) == ("cancelled", True)
    assert len(service.contract_versions(world.ctx, contract.id)) == 1
    again = amend(
        world, contract, "2026-01-20", {"type": "remove_line", "line_key": "licence"}, schedule=True
    )
    clock.advance(timedelta(days=5))  # 20 Jan 2026: its date is reached
    with pytest.raises(AmendmentStatusError, match="can no longer be cancelled"):
        service.cancel_amendment(world.ctx, again.id)


def test_applied_history_is_never_rewritten(world: World) -> None:
    contract = running(world)
    applied = amend(
        world,
        contract,
        "2026-01-10",
        {"type": "change_quantity", "line_key": "licence", "quantity": "11"},
        schedule=True,
    )
    with pytest.raises(HistoryRewriteRefused) as refused:
        amend(
            world,
            contract,
            "2026-01-05",
            {"type": "change_quantity", "line_key": "hosting", "quantity": "2"},
        )
    assert f"before applied amendment(s) {applied.id} (effective 2026-01-10)" in (
        refused.value.detail
    )


def test_an_added_line_takes_the_pricelist_price_on_the_effective_date(world: World) -> None:
    contract = running(world)
    amend(
        world,
        contract,
        "2026-02-01",
        {"type": "add_line", "line": {"product_id": world.setup.id}},
        {"type": "change_price", "line_key": "licence"},
        schedule=True,
    )
    terms = service.show_contract(world.ctx, contract.id, as_of=date(2026, 2, 1)).terms
    setup, licence = terms.line("setup"), terms.line("licence")
    assert setup is not None and licence is not None
    assert (setup.start, setup.unit_price) == (date(2026, 2, 1), Decimal(500))
    # change_price without a price: the pricelist's on 1 Feb (120), flagged as pricelist.
    assert (licence.unit_price, licence.price_source) == (Decimal(120), LinePriceSource.PRICELIST)


def test_a_new_pricelist_reprices_the_lines_priced_from_the_pricelist(world: World) -> None:
    contract = running(world)
    negotiated = catalog.create_pricelist(world.ctx, {"name": "Acme 2026", "currency": "EUR"})
    catalog.add_entry(
        world.ctx,
        negotiated.id,
        {
            "product_id": world.hosting.id,
            "unit_price": "350.00",
            "periodicity": "monthly",
            "timing": "in_advance",
        },
    )
    amend(
        world,
        contract,
        "2026-03-01",
        {"type": "change_pricelist", "pricelist_id": negotiated.id},
        schedule=True,
    )
    [_, version_2] = service.contract_versions(world.ctx, contract.id)
    # Hosting takes 350.00; the licence is not in the new pricelist, so the default's 120.
    assert version_2.changes == [
        f"pricelist {world.pricelist.id} → {negotiated.id}",
        "line hosting: unit price 399.00 (pricelist) → 350.00 (pricelist)",
    ]
    assert service.get_contract(world.ctx, contract.id).pricelist_id == negotiated.id


@pytest.mark.parametrize(
    ("effective", "change", "field", "message"),
    [
        (
            "2025-12-01",
            {"type": "change_quantity", "line_key": "hosting", "quantity": "2"},
            "effective_date",
            "2025-12-01 is before the contract start 2026-01-01",
        ),
        (
            "2026-02-01",
            {"type": "change_quantity", "line_key": "hosting", "quantity": "0"},
            "changes.0.quantity",
            "must be greater than 0",
        ),
        (
            "2026-02-01",
            {"type": "remove_line", "line_key": "nope"},
            "changes.0.line_key",
            "the contract has no line 'nope'",
        ),
        (
            "2026-02-01",
            {"type": "add_line", "line": {"product_id": "prd_nope"}},
            "changes.0.line.product_id",
            "no product 'prd_nope' in this organization",
        ),
    ],
)
def test_invalid_amendments_name_the_field(
    world: World, effective: str, change: dict[str, Any], field: str, message: str
) -> None:
    contract = running(world)
    with pytest.raises(InvalidInput) as refused:
        amend(world, contract, effective, change)
    assert {e.field: e.message for e in refused.value.errors}[field] == message


def test_an_added_line_on_an_archived_product_is_refused(world: World) -> None:
    contract = running(world)
    catalog.archive_product(world.ctx, world.setup.id)
    with pytest.raises(InvalidInput) as refused:
        amend(
            world,
            contract,
            "2026-02-01",
            {"type": "add_line", "line": {"product_id": world.setup.id}},
        )
    assert {e.field: e.message for e in refused.value.errors} == {
        "changes.0.line.product_id": f"product {world.setup.id} is archived"
    }


def test_drafts_are_edited_in_place_not_amended(world: World) -> None:
    contract = world.contract()
    with pytest.raises(Conflict, match="is a draft: edit it in place"):
        amend(world, contract, "2026-02-01", {"type": "remove_line", "line_key": "hosting"})


def test_amendments_are_listed_per_contract_and_status(world: World) -> None:
    contract = running(world)
    kept = amend(
        world, contract, "2026-03-01", {"type": "remove_line", "line_key": "licence"}, schedule=True
    )
    dropped = amend(world, contract, "2026-04-01", {"type": "remove_line", "line_key": "hosting"})
    service.cancel_amendment(world.ctx, dropped.id)
    page = service.list_amendments(world.ctx, PageRequest(), contract_id=contract.id)
    assert [a.id for a in page.items] == [kept.id, dropped.id]
    scheduled = service.list_amendments(
        world.ctx,
        PageRequest(),
        contract_id=contract.id,
        status=AmendmentStatus.SCHEDULED,
    )
    assert [a.id for a in scheduled.items] == [kept.id]
    history = service.amendment_history(world.ctx, contract.id)
    assert [(v.row.id, v.diff) for v in history] == [
        (kept.id, ["line licence: end date contract end → 2026-02-28"]),
        (dropped.id, []),
    ]
