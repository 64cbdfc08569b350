"""SmartCode dry runs against a real contract's period (service): the stored events valued
again, or the line's usage priced, and nothing written. Events: `contract_world`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tarif.audit.models import AuditEvent
from tarif.context import Ctx
from tarif.errors import InvalidInput
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.smartcodes import service
from tarif.smartcodes.runner import EventFailure
from tarif.usage.models import UsageEvent, UsageWatermark
from tests.contracts.conftest import other_ctx
from tests.smartcodes.contract_world import PER_MINUTE, calls_world

__all__ = ["other_ctx"]  # fixture

JANUARY = {"period_start": "2026-01-01", "period_end": "2026-02-01"}


def test_valuation_values_the_periods_stored_events(ctx: Ctx) -> None:
    calls = calls_world(ctx)
    run = service.dry_run(ctx, calls.valuation_id, {"contract_id": calls.contract_id} | JANUARY)
    measured = run.contract
    assert (measured.line_key, measured.metric_code) == ("api-calls", "minutes")
    assert (measured.period.start.isoformat(), measured.period.end.isoformat()) == (
        "2026-01-01",
        "2026-02-01",
    )
    # January's 4 events of the customer (not February's, not the other customer's):
    # ceil(61/60) = 2, ceil(120/60) = 2, ceil(5/60) = 1, and no duration: a KeyError
    values = [
        None if isinstance(e.result, EventFailure) else e.result.value for e in measured.events
    ]
    assert values == [Decimal(2), Decimal(2), Decimal(1), None]
    assert [e.stored_value for e in measured.events] == [
        Decimal("1.5"),
        Decimal("2"),
        Decimal("0.5"),
        Decimal("0"),
    ]
    failure = measured.events[3].result
    assert isinstance(failure, EventFailure) and failure.index == 3
    assert "duration" in str(failure.error)
    # 2 + 2 + 1 = 5 (sum, the metric's aggregation); stored 1.5 + 2 + 0.5 + 0 = 4
    assert (measured.event_count, measured.failed) == (4, 1)
    assert (measured.total, measured.quantity, measured.stored_total) == (
        Decimal(5),
        Decimal(5),
        Decimal(4),
    )
    assert run.total == Decimal(5)


def test_valuation_shows_the_first_events_and_counts_them_all(ctx: Ctx) -> None:
    calls = calls_world(ctx)
    data = {"contract_id": calls.reference, "limit": 2} | JANUARY
    measured = service.dry_run(ctx, calls.valuation_id, data).contract
    assert [e.stored_value for e in measured.events] == [Decimal("1.5"), Decimal("2")]
    assert (measured.event_count, measured.total) == (4, Decimal(5))


def test_as_of_chooses_the_lines_period_containing_it(ctx: Ctx) -> None:
    calls = calls_world(ctx)
    data = {"contract_id": calls.contract_id, "line_key": "api-calls", "as_of": "2026-02-10"}
    measured = service.dry_run(ctx, calls.valuation_id, data).contract
    # February [1 Feb, 1 Mar): the 300 s call, ceil(300/60) = 5
    assert (measured.period.start.isoformat(), measured.period.end.isoformat()) == (
        "2026-02-01",
        "2026-03-01",
    )
    assert (measured.event_count, measured.total) == (1, Decimal(5))


def test_pricing_is_called_with_the_lines_usage_of_the_period(ctx: Ctx) -> None:
    calls = calls_world(ctx)
    run = service.dry_run(ctx, calls.pricing_id, {"contract_id": calls.contract_id} | JANUARY)
    # the stored values of January: 1.5 + 2 + 0.5 + 0 = 4 minutes in 4 calls
    assert [(u.quantity, u.event_count) for u in run.contract.usages] == [(Decimal(4), 4)]
    [line] = run.lines
    assert line.description == "C-2026-001 2026-01-01..2026-02-01: 4 min, 4 calls"
    # 4 × 0.10 = 0.40
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal(4),
        Decimal("0.10"),
        Decimal("0.40"),
    )
    assert run.total == Decimal("0.40")


def test_nothing_is_written(ctx: Ctx) -> None:
    calls = calls_world(ctx)
    tables = (UsageEvent, UsageWatermark, Invoice, InvoiceLine, AuditEvent)

    def counts() -> list[int]:
        # this organization's rows: other tests write theirs meanwhile
        return [
            ctx.session.scalar(
                select(func.count()).select_from(t).where(t.organization_id == ctx.organization_id)
            )
            or 0
            for t in tables
        ]

    before = counts()
    for smartcode_id in (calls.valuation_id, calls.pricing_id):
        service.dry_run(ctx, smartcode_id, {"contract_id": calls.contract_id} | JANUARY)
    assert counts() == before
    assert not ctx.session.new and not ctx.session.dirty and not ctx.session.deleted


def refused(ctx: Ctx, smartcode_id: str, data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        service.dry_run(ctx, smartcode_id, data)
    return {e.field: e.message for e in caught.value.errors}


def test_refusals_name_the_field(ctx: Ctx) -> None:
    calls = calls_world(ctx)
    one = calls.valuation_id
    assert refused(ctx, one, {"contract_id": "C-NOPE"} | JANUARY) == {
        "contract_id": "no contract 'C-NOPE' in this organization"
    }
    assert set(refused(ctx, one, {"contract_id": calls.contract_id})) == {
        "period_start",
        "period_end",
    }
    both = {"contract_id": calls.contract_id, "as_of": "2026-01-10"} | JANUARY
    assert set(refused(ctx, one, both)) == {"as_of"}
    backwards = {
        "contract_id": calls.contract_id,
        "period_start": "2026-02-01",
        "period_end": "2026-01-01",
    }
    assert set(refused(ctx, one, backwards)) == {"period_end"}
    assert set(refused(ctx, one, {"contract_id": calls.contract_id, "as_of": "10/01"})) == {"as_of"}
    hosting = {"contract_id": calls.contract_id, "line_key": "hosting"} | JANUARY
    assert set(refused(ctx, one, hosting)) == {"line_key"}
    samples = {"contract_id": calls.contract_id, "events": []} | JANUARY
    assert set(refused(ctx, one, samples)) == {"events"}
    before_start = {"contract_id": calls.contract_id, "as_of": "2025-12-01"}
    assert refused(ctx, one, before_start) == {
        "as_of": "line 'api-calls' is not running on 2025-12-01"
    }


def test_another_organizations_contract_is_unknown(other_ctx: Ctx, ctx: Ctx) -> None:
    calls = calls_world(ctx)
    from tarif.smartcodes.demo import load_demo_smartcodes

    load_demo_smartcodes(other_ctx)
    theirs = service.find_by_code(other_ctx, "billable_minutes")
    assert theirs is not None
    assert refused(other_ctx, theirs.id, {"contract_id": calls.contract_id} | JANUARY) == {
        "contract_id": f"no contract '{calls.contract_id}' in this organization"
    }


def test_current_usage_prices_a_smartcode_charge_with_the_same_call(ctx: Ctx) -> None:
    from tarif.invoicing.current_usage import contract_usage
    from tests.usage.factories import add_event

    calls = calls_world(ctx)
    charge = PER_MINUTE | {"smartcode_id": calls.pricing_id}  # the macro prices, not the model
    second = calls.world.running(
        reference="C-2026-002",
        start_date="2026-01-01",
        billing_alignment="calendar",
        lines=[{"product_id": calls.world.api_calls.id, "charge": charge}],
    )
    for when, minutes in (("2026-01-03 10:00", "7"), ("2026-01-14 10:00", "3")):
        add_event(
            ctx.session,
            ctx.organization_id,
            "minutes",
            calls.world.customer.id,
            when,
            minutes,
            properties={"duration": 60},
            contract_id=second.id,
        )
    [line] = contract_usage(ctx, second.id).lines
    # the events naming it, through 15 Jan: 7 + 3 = 10 minutes in 2 calls; 10 × 0.10 = 1.00
    [rated] = line.lines
    assert rated.description == "C-2026-002 2026-01-01..2026-02-01: 10 min, 2 calls"
    assert (rated.quantity, rated.unit_price, rated.net, line.total) == (
        Decimal(10),
        Decimal("0.10"),
        Decimal("1.00"),
        Decimal("1.00"),
    )
    # the dry run on the same period calls the macro with the same usage
    run = service.dry_run(ctx, calls.pricing_id, {"contract_id": second.id, "as_of": "2026-01-15"})
    # the whole of January this time: still 10 minutes in 2 calls
    assert [(x.description, x.amount) for x in run.lines] == [(rated.description, Decimal("1.00"))]
