"""The trigger service on a real database: settings, refusals named, audit, the history.

The clock reads 15 Jan 2026; the contract of `usage_contract` runs from 1 Jan 2026 with the
lines `hosting` (399.00 a month) and `api-calls` (usage).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from tarif.audit.models import AuditEvent
from tarif.billing.triggers import PERIOD_END, Cadence, Measure, TriggerKind, UsageTrigger
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.db.repository import PageRequest
from tarif.errors import Forbidden, InvalidInput, NotFound
from tarif.tenancy.rules import Role
from tarif.triggers import service
from tarif.triggers.models import UsageLineTrigger
from tests.contracts.conftest import World, as_role
from tests.triggers.conftest import usage_contract

THRESHOLDS = {"kind": "threshold", "thresholds": ["500", "1000"], "every": "1000"}


def fields_of(exc: InvalidInput) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in exc.errors]


def audit_of(ctx: Ctx, object_id: str) -> list[tuple[str, Any, Any]]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.organization_id == ctx.organization_id)
        .where(AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.before, e.after) for e in ctx.session.scalars(stmt)]


def test_a_usage_line_is_billed_at_period_end_until_a_trigger_is_set(world: World) -> None:
    contract_id = usage_contract(world)
    assert service.trigger_of(world.ctx, contract_id, "api-calls") == PERIOD_END
    # hosting has a unit price: it is not a usage line and is not listed
    assert service.triggers_of_contract(world.ctx, contract_id) == {"api-calls": PERIOD_END}


def test_set_change_and_clear_each_leave_an_audit_event(world: World) -> None:
    ctx = world.ctx
    contract_id = usage_contract(world)
    trigger = service.set_trigger(ctx, contract_id, "api-calls", THRESHOLDS)
    assert trigger == UsageTrigger(
        TriggerKind.THRESHOLD, (Decimal(500), Decimal(1000)), Decimal(1000), Measure.AMOUNT
    )
    assert service.trigger_of(ctx, contract_id, "api-calls") == trigger
    [row] = ctx.session.scalars(
        select(UsageLineTrigger).where(UsageLineTrigger.contract_id == contract_id)
    )
    assert row.trigger == {
        "kind": "threshold",
        "thresholds": ["500", "1000"],
        "every": "1000",
        "measure": "amount",
    }
    service.set_trigger(ctx, contract_id, "api-calls", THRESHOLDS)  # the same: nothing changes
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "event", "cadence": "daily"})
    assert service.triggers_of_contract(ctx, contract_id) == {
        "api-calls": UsageTrigger(TriggerKind.EVENT, cadence=Cadence.DAILY)
    }
    service.set_trigger(ctx, contract_id, "api-calls", {"kind": "period_end"})
    assert ctx.session.get(UsageLineTrigger, row.id) is None
    assert service.trigger_of(ctx, contract_id, "api-calls") == PERIOD_END
    actions = audit_of(ctx, row.id)
    assert [a[0] for a in actions] == ["create", "update", "delete"]
    # the update reads as a diff of the trigger alone
    assert actions[1][1:] == (
        {
            "trigger": {
                "kind": "threshold",
                "thresholds": ["500", "1000"],
                "every": "1000",
                "measure": "amount",
            }
        },
        {"trigger": {"kind": "event", "cadence": "daily"}},
    )
    assert actions[2][1]["line_key"] == "api-calls" and actions[2][2] is None


def test_clear_without_a_setting_writes_nothing(world: World) -> None:
    contract_id = usage_contract(world)
    assert service.clear_trigger(world.ctx, contract_id, "api-calls") == PERIOD_END
    events = world.ctx.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == service.AUDIT_TYPE)
        .where(AuditEvent.organization_id == world.ctx.organization_id)
    ).all()
    assert events == []


def test_only_a_usage_line_of_the_current_terms_takes_a_trigger(world: World) -> None:
    contract_id = usage_contract(world)
    with pytest.raises(InvalidInput) as not_usage:
        service.set_trigger(world.ctx, contract_id, "hosting", THRESHOLDS)
    assert fields_of(not_usage.value) == [("line_key", "line 'hosting' is not a usage line")]
    with pytest.raises(InvalidInput) as unknown:
        service.set_trigger(world.ctx, contract_id, "storage", {"kind": "event"})
    assert fields_of(unknown.value) == [
        ("line_key", "no line 'storage' in the contract's current terms")
    ]


def test_every_problem_is_named_at_once(world: World) -> None:
    contract_id = usage_contract(world)
    bad = {"kind": "threshold", "thresholds": ["1000", "500", "-1"], "every": "0", "measure": "eur"}
    with pytest.raises(InvalidInput) as caught:
        service.set_trigger(world.ctx, contract_id, "hosting", bad)
    positive = 'a positive decimal string, e.g. "500.00"'
    assert fields_of(caught.value) == [
        ("line_key", "line 'hosting' is not a usage line"),
        ("thresholds.1", "must be increasing"),
        ("thresholds.2", positive),
        ("every", positive),
        ("measure", "one of amount, quantity"),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "monthly"}, [("kind", "one of period_end, threshold, event")]),
        (
            {"kind": "event", "thresholds": ["500"]},
            [("thresholds", "unknown field for this kind of trigger")],
        ),
        ({"kind": "threshold"}, [("thresholds", "a list of 1 to 50 amounts")]),
        (
            # a level is stored in NUMERIC(20, 6): 7 decimals or 15 integer digits do not fit
            {"kind": "threshold", "thresholds": ["0.0000001", "1000000000000000"]},
            [
                ("thresholds.0", "at most 14 digits before the point and 6 after"),
                ("thresholds.1", "at most 14 digits before the point and 6 after"),
            ],
        ),
    ],
)
def test_bad_triggers_are_refused_by_field(
    world: World, data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    contract_id = usage_contract(world)
    with pytest.raises(InvalidInput) as caught:
        service.set_trigger(world.ctx, contract_id, "api-calls", data)
    assert fields_of(caught.value) == expected


def test_another_organizations_contract_is_not_found(other_ctx: Ctx, world: World) -> None:
    contract_id = usage_contract(world)
    with pytest.raises(NotFound):
        service.set_trigger(other_ctx, contract_id, "api-calls", THRESHOLDS)
    with pytest.raises(NotFound):
        service.trigger_of(other_ctx, contract_id, "api-calls")
    with pytest.raises(NotFound):
        service.crossings(other_ctx, contract_id, PageRequest())
    assert service.triggers_for(other_ctx, [contract_id]) == {}


def test_sales_may_read_but_not_set(world: World) -> None:
    contract_id = usage_contract(world)
    sales = as_role(world.ctx, Role.SALES)
    with pytest.raises(Forbidden):
        service.set_trigger(sales, contract_id, "api-calls", THRESHOLDS)
    assert service.trigger_of(sales, contract_id, "api-calls") == PERIOD_END
    finance = as_role(world.ctx, Role.FINANCE)
    assert service.set_trigger(finance, contract_id, "api-calls", {"kind": "event"}).kind is (
        TriggerKind.EVENT
    )


def test_a_setting_kept_for_a_line_removed_from_a_draft_can_still_be_cleared(world: World) -> None:
    ctx = world.ctx
    lines = [{"product_id": world.hosting.id}, {"product_id": world.api_calls.id}]
    draft = world.contract(start_date="2026-01-01", lines=lines)
    service.set_trigger(ctx, draft.id, "api-calls", {"kind": "event"})
    contracts.remove_line(ctx, draft.id, "api-calls")
    [kept] = service.line_triggers(ctx, draft.id)
    assert (kept.line_key, kept.line, kept.trigger.kind) == ("api-calls", None, TriggerKind.EVENT)
    with pytest.raises(InvalidInput) as caught:
        service.set_trigger(ctx, draft.id, "api-calls", {"kind": "event", "cadence": "weekly"})
    assert fields_of(caught.value)[0][0] == "line_key"
    service.clear_trigger(ctx, draft.id, "api-calls")
    assert service.line_triggers(ctx, draft.id) == []


def test_triggers_for_reads_a_batch_of_contracts_in_one_query(world: World) -> None:
    ctx = world.ctx
    first = usage_contract(world, "C-1")
    second = usage_contract(world, "C-2")
    third = usage_contract(world, "C-3")
    service.set_trigger(ctx, first, "api-calls", THRESHOLDS)
    service.set_trigger(ctx, third, "api-calls", {"kind": "event", "cadence": "weekly"})
    ctx.session.flush()
    statements: list[str] = []
    engine = ctx.session.get_bind()

    def seen(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        found = service.triggers_for(ctx, [first, second, third])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1
    # the second contract has no setting: absent, billed at period end
    assert found == {
        (first, "api-calls"): service.trigger_of(ctx, first, "api-calls"),
        (third, "api-calls"): UsageTrigger(TriggerKind.EVENT, cadence=Cadence.WEEKLY),
    }
    assert found[(first, "api-calls")].thresholds == (Decimal(500), Decimal(1000))


def crossing(ctx: Ctx, contract_id: str, level: str, value: str, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "contract_id": contract_id,
        "line_key": "api-calls",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 2, 1),
        "level": Decimal(level),
        "measure": Measure.AMOUNT,
        "value": Decimal(value),
    }
    return service.record_crossing(ctx, **(values | extra))


def test_the_same_level_of_a_period_is_recorded_once(world: World) -> None:
    ctx = world.ctx
    contract_id = usage_contract(world)
    first = crossing(ctx, contract_id, "500", "512.40")
    assert first is not None and (first.level, first.value) == (Decimal(500), Decimal("512.40"))
    assert crossing(ctx, contract_id, "500", "530.00") is None  # a second run: a no-op
    # the savepoint undid the refused insert only: the transaction goes on
    later = crossing(ctx, contract_id, "1000", "1210.00")
    next_period = crossing(
        ctx,
        contract_id,
        "500",
        "650.00",
        period_start=date(2026, 2, 1),
        period_end=date(2026, 3, 1),
    )
    assert later is not None and next_period is not None
    ctx.session.commit()
    # 1000 is the highest of January (as text "500" > "1000": the maximum is numeric)
    assert service.invoiced_levels(ctx, [contract_id]) == {
        (contract_id, "api-calls", date(2026, 1, 1)): Decimal(1000),
        (contract_id, "api-calls", date(2026, 2, 1)): Decimal(500),
    }
    assert [row.level for row in service.crossings(ctx, contract_id, PageRequest()).items] == [
        Decimal(500),  # recorded last (February), so first
        Decimal(1000),
        Decimal(500),
    ]


def test_a_crossing_is_checked_before_it_is_written(world: World) -> None:
    contract_id = usage_contract(world)
    with pytest.raises(InvalidInput) as caught:
        crossing(
            world.ctx,
            contract_id,
            "0",
            "-1",
            period_end=date(2026, 1, 1),
            invoice_id="inv_missing",
            measure="eur",
        )
    assert fields_of(caught.value) == [
        ("period_end", "must be after period_start"),
        ("level", "must be positive"),
        ("value", "must not be negative"),
        ("invoice_id", "no invoice 'inv_missing'"),
        ("measure", "one of amount, quantity"),
    ]


def test_the_history_is_newest_first_page_by_page(world: World) -> None:
    ctx = world.ctx
    contract_id = usage_contract(world)
    other_contract = usage_contract(world, "C-2026-002")
    start = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    for days, level in enumerate(("500", "1000", "2000")):
        crossing(ctx, contract_id, level, level, crossed_at=start + timedelta(days=days))
    crossing(ctx, other_contract, "500", "501")
    first = service.crossings(ctx, contract_id, PageRequest(limit=2))
    assert [r.level for r in first.items] == [Decimal(2000), Decimal(1000)]
    assert first.has_more
    rest = service.crossings(
        ctx, contract_id, PageRequest(limit=2, starting_after=first.next_cursor)
    )
    assert [r.level for r in rest.items] == [Decimal(500)]
    assert not rest.has_more
    # every contract's history: the other contract's crossing was recorded last
    everything = service.crossings(ctx, None, PageRequest())
    assert [(r.contract_id, r.level) for r in everything.items] == [
        (other_contract, Decimal(500)),
        (contract_id, Decimal(2000)),
        (contract_id, Decimal(1000)),
        (contract_id, Decimal(500)),
    ]
    # a cursor that is no crossing here only orders: ids after every id list nothing
    assert service.crossings(ctx, contract_id, PageRequest(starting_after="thx_0")).items == []
