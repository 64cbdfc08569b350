"""SmartCode use cases on a real database: versions, immutability, dry runs, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tarif.audit.models import AuditEvent
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.smartcodes import service
from tarif.smartcodes.demo import BILLABLE_MINUTES, CALLS_BY_COUNTRY, load_demo_smartcodes
from tarif.smartcodes.failures import MacroFailed
from tarif.smartcodes.runner import EventFailure, value_events
from tarif.smartcodes.values import MacroEvent

V1 = "def value(event):\n    return 1\n"
V2 = "def value(event):\n    return 2\n"


def make(ctx: Ctx, code: str = "minutes", source: str = BILLABLE_MINUTES, **fields: str):  # type: ignore[no-untyped-def]
    return service.create_smartcode(
        ctx, {"code": code, "kind": "valuation", "source": source} | fields
    )


def test_create_makes_version_1_with_hash_author_and_time(ctx: Ctx) -> None:
    smartcode, version = make(ctx, name="Billable minutes")
    assert (smartcode.code, smartcode.name, smartcode.kind) == (
        "minutes",
        "Billable minutes",
        "valuation",
    )
    assert smartcode.latest_version == 1
    assert (version.number, version.source, version.author) == (1, BILLABLE_MINUTES, "test")
    assert len(version.source_hash) == 64
    assert version.created_at.isoformat() == "2026-01-15T09:30:00+00:00"


def test_saving_makes_version_n_plus_1_and_leaves_old_versions_unchanged(ctx: Ctx) -> None:
    smartcode, first = make(ctx, source=V1)
    second = service.add_version(ctx, smartcode.id, V2)
    third = service.add_version(ctx, smartcode.id, V1)  # back to v1's text: a new version
    assert [v.number for v in service.versions_of(ctx, smartcode.id)] == [3, 2, 1]
    assert service.get_smartcode(ctx, smartcode.id).latest_version == 3
    assert service.get_version(ctx, smartcode.id, 1).source == V1
    assert service.get_version(ctx, smartcode.id, 2).source == V2
    assert third.source_hash == first.source_hash and third.id != first.id
    assert second.number == 2


def test_the_same_source_as_the_latest_version_is_refused_as_unchanged(ctx: Ctx) -> None:
    smartcode, _ = make(ctx, source=V1)
    with pytest.raises(service.Unchanged, match="same as version 1"):
        service.add_version(ctx, smartcode.id, V1)
    assert [v.number for v in service.versions_of(ctx, smartcode.id)] == [1]


def test_a_refused_source_names_source_with_line_and_column(ctx: Ctx) -> None:
    smartcode, _ = make(ctx, source=V1)
    with pytest.raises(service.SourceInvalid) as refused:
        service.add_version(ctx, smartcode.id, "import os\n\ndef value(event):\n    return x(\n")
    problem = refused.value.problems[0]
    assert (problem.line, problem.column) == (4, 13)
    assert refused.value.errors[0].field == "source"
    with pytest.raises(service.SourceInvalid) as sandboxed:
        service.add_version(ctx, smartcode.id, "import os\n\ndef value(event):\n    return 1\n")
    assert (sandboxed.value.problems[0].line, sandboxed.value.problems[0].column) == (1, 1)
    assert service.get_smartcode(ctx, smartcode.id).latest_version == 1


def test_create_refuses_bad_fields_and_duplicate_codes(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as bad:
        service.create_smartcode(ctx, {"code": "Bad Code", "kind": "other", "source": V1})
    assert {e.field for e in bad.value.errors} == {"code", "kind"}
    make(ctx, source=V1)
    with pytest.raises(Conflict):
        make(ctx, source=V2)


def test_pricing_sources_must_define_price(ctx: Ctx) -> None:
    with pytest.raises(service.SourceInvalid, match="def price"):
        service.create_smartcode(ctx, {"code": "p", "kind": "pricing", "source": V1})


def test_resolve_by_code_or_id_and_not_found(ctx: Ctx) -> None:
    smartcode, _ = make(ctx, source=V1)
    assert service.resolve_smartcode(ctx, "minutes").id == smartcode.id
    assert service.resolve_smartcode(ctx, smartcode.id).id == smartcode.id
    with pytest.raises(NotFound):
        service.resolve_smartcode(ctx, "nothing")
    with pytest.raises(NotFound):
        service.get_version(ctx, smartcode.id, 2)


def test_writes_are_audited(ctx: Ctx) -> None:
    smartcode, version = make(ctx, source=V1)
    second = service.add_version(ctx, smartcode.id, V2)
    ctx.session.flush()
    events = ctx.session.scalars(
        select(AuditEvent).where(AuditEvent.organization_id == ctx.organization_id)
    ).all()
    seen = {(e.action, e.object_type, e.object_id) for e in events}
    assert {
        ("create", "smartcode", smartcode.id),
        ("create", "smartcode_version", version.id),
        ("update", "smartcode", smartcode.id),
        ("create", "smartcode_version", second.id),
    } <= seen


def test_dry_run_of_billable_minutes_on_sample_events(ctx: Ctx) -> None:
    smartcode, _ = make(ctx)
    events = [
        {"timestamp": "2026-01-15T09:30:00Z", "properties": {"duration": 61}},  # ceil(61/60) = 2
        {"timestamp": "2026-01-15T09:31:00Z", "properties": {"duration": 60}},  # 1
        {"timestamp": "2026-01-15T09:32:00Z", "properties": {"duration": Decimal("0.5")}},  # 1
        {"timestamp": "2026-01-15T09:33:00Z", "properties": {}},  # KeyError
    ]
    run = service.dry_run(ctx, smartcode.id, {"events": events})
    values = [v.value if not isinstance(v, EventFailure) else None for v in run.valuations]
    assert values == [Decimal(2), Decimal(1), Decimal(1), None]
    failure = run.valuations[3]
    assert isinstance(failure, EventFailure) and failure.index == 3
    assert failure.error.line == 6  # line 6: `seconds = event.properties["duration"]`
    assert "KeyError" in failure.error.message
    assert run.total == Decimal(4)  # 2 + 1 + 1


def test_dry_run_of_a_pricing_smartcode_on_sample_usage(ctx: Ctx) -> None:
    smartcode, _ = service.create_smartcode(
        ctx, {"code": "calls", "kind": "pricing", "source": CALLS_BY_COUNTRY}
    )
    usage = {
        "quantity": "1300",
        "event_count": 40,
        "groups": {"FR": "1000", "US": "200", "JP": "100"},
        "period": {"start": "2026-01-01", "end": "2026-02-01"},
    }
    run = service.dry_run(ctx, smartcode.id, {"usage": usage, "contract": {"currency": "EUR"}})
    assert [(line.description, line.amount) for line in run.lines] == [
        ("Appels vers FR", Decimal("20.00")),  # 1000 × 0.02
        ("Appels vers JP", Decimal("25.00")),  # 100 × 0.25 (default rate)
        ("Appels vers US", Decimal("18.00")),  # 200 × 0.09
    ]
    assert run.total == Decimal("63.00")  # 20 + 25 + 18


def test_dry_run_refuses_bad_samples_naming_the_field(ctx: Ctx) -> None:
    smartcode, _ = make(ctx, source=V1)
    with pytest.raises(InvalidInput) as bad:
        service.dry_run(ctx, smartcode.id, {"events": [{"timestamp": "2026-01-15T09:30:00"}]})
    assert [e.field for e in bad.value.errors] == ["events.0.timestamp"]
    with pytest.raises(InvalidInput) as wrong_kind:
        service.dry_run(ctx, smartcode.id, {"usage": {}})
    assert "usage" in {e.field for e in wrong_kind.value.errors}


def test_dry_run_of_an_older_version(ctx: Ctx) -> None:
    smartcode, _ = make(ctx, source=V1)
    service.add_version(ctx, smartcode.id, V2)
    sample = {"events": [{"timestamp": "2026-01-15T09:30:00Z", "properties": {}}]}
    latest = service.dry_run(ctx, smartcode.id, sample)
    first = service.dry_run(ctx, smartcode.id, sample, number=1)
    assert (latest.version.number, latest.total) == (2, Decimal(2))
    assert (first.version.number, first.total) == (1, Decimal(1))


def test_value_events_runs_a_stored_version_in_order(ctx: Ctx) -> None:
    _, version = make(ctx)
    at = MacroEvent(*service.as_events([{"timestamp": "2026-01-15T09:30:00Z"}])[0][:1], {})
    events = [at._replace(properties={"duration": d}) for d in (1, 59, 60, 61, 3600)]
    # ceil(1/60)=1, ceil(59/60)=1, ceil(60/60)=1, ceil(61/60)=2, ceil(3600/60)=60
    assert [v.value for v in value_events(version, events)] == [1, 1, 1, 2, 60]
    with pytest.raises(MacroFailed) as failed:
        value_events(version, [*events, at])
    assert failed.value.index == 5


def test_demo_loader_is_idempotent(ctx: Ctx) -> None:
    load_demo_smartcodes(ctx)
    load_demo_smartcodes(ctx)
    codes = [s.code for s in service.list_smartcodes(ctx, PageRequest()).items]
    assert codes == ["billable_minutes", "calls_by_country"]
