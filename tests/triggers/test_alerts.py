"""Usage alerts on a real database: refusals named, levels fired once per period, the webhook,
and the check run by the `usage.triggers` job after ingestion.

The clock reads 15 Jan 2026. `seed_contract` runs from 1 Jan 2026 (calendar months) with
`hosting` and the usage line `api-calls`, charged 2 % of the metric `turnover` (the sum of the
events' `amount`) plus 0.25 per transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from tarif.audit.models import AuditEvent
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput, NotFound
from tarif.jobs.worker import Worker
from tarif.triggers import alerts_service as alerts
from tarif.triggers import billing
from tarif.triggers.alerts_models import UsageAlertFiring
from tarif.webhooks import service as webhooks
from tarif.webhooks.models import WebhookDelivery
from tests.contracts.conftest import World
from tests.invoicing.test_run_usage import TURNOVER, seed_contract
from tests.jobs.conftest import make_worker  # noqa: F401
from tests.triggers.test_billing import sales

D = Decimal
SPENDING = {"metric_code": "turnover", "measure": "amount", "limit": "1000.00"}


def fields_of(exc: InvalidInput) -> list[str]:
    return [e.field for e in exc.errors]


def fired(result: list[alerts.Fired]) -> list[tuple[int, Decimal, date, date]]:
    return [
        (f.firing.level, f.firing.value, f.firing.period_start, f.firing.period_end) for f in result
    ]


def test_an_amount_alert_fires_each_level_once_per_period(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    assert (str(alert.limit), alert.levels, alert.line_key) == ("1000", [80, 100], None)
    day = date(2026, 1, 8)
    assert alerts.check_alerts(ctx, [contract_id], day) == []  # no usage yet
    sales(world, "2026-01-08", 100, "400.00")
    # 2 % × 40,000.00 = 800.00 + 100 × 0.25 = 25.00 → 825.00: 800 (80 %) reached, 1,000 not
    assert fired(alerts.check_alerts(ctx, [contract_id], day)) == [
        (80, D("825.00"), date(2026, 1, 1), date(2026, 2, 1))
    ]
    assert alerts.check_alerts(ctx, [contract_id], day) == []  # fired already this period
    sales(world, "2026-01-09", 10, "1000.00")  # + 200.00 + 2.50 → 1,027.50
    assert fired(alerts.check_alerts(ctx, [contract_id], date(2026, 1, 9))) == [
        (100, D("1027.50"), date(2026, 1, 1), date(2026, 2, 1))
    ]
    # February is another period: its own levels; 50 × 400.00 → 400.00 + 12.50 = 412.50 < 800
    sales(world, "2026-02-02", 50, "400.00")
    assert alerts.check_alerts(ctx, [contract_id], date(2026, 2, 2)) == []
    sales(world, "2026-02-03", 50, "400.00")  # 825.00 again
    assert fired(alerts.check_alerts(ctx, [contract_id], date(2026, 2, 3))) == [
        (80, D("825.00"), date(2026, 2, 1), date(2026, 3, 1))
    ]
    history = alerts.firings(ctx, contract_id, PageRequest(limit=2))
    assert [(f.level, f.period_start) for f in history.items] == [
        (80, date(2026, 2, 1)),
        (100, date(2026, 1, 1)),
    ]
    assert history.has_more


def test_a_quantity_alert_on_a_line_fires_every_level_reached_at_once(
    ctx: Ctx, world: World
) -> None:
    contract_id = seed_contract(world)
    data = {"metric_code": "turnover", "line_key": "api-calls", "measure": "quantity"}
    alerts.create_alert(ctx, contract_id, data | {"limit": "50000", "levels": ["50", 80, 100]})
    sales(world, "2026-01-08", 100, "400.00")  # quantity 40,000: 25,000 (50 %) and 40,000 (80 %)
    assert fired(alerts.check_alerts(ctx, [contract_id], date(2026, 1, 8))) == [
        (50, D("40000.00"), date(2026, 1, 1), date(2026, 2, 1)),
        (80, D("40000.00"), date(2026, 1, 1), date(2026, 2, 1)),
    ]


def test_a_firing_is_announced_to_subscribed_endpoints(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    hook = {"url": "https://hooks.example/h", "event_types": ["usage.alert"]}
    webhooks.create_endpoint(ctx, hook)
    webhooks.create_endpoint(
        ctx, {"url": "https://other.example/h", "event_types": ["invoice.finalized"]}
    )
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    sales(world, "2026-01-08", 100, "400.00")
    [made] = alerts.check_alerts(ctx, [contract_id], date(2026, 1, 8))
    [delivery] = ctx.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.organization_id == ctx.organization_id)
    )
    assert delivery.event_type == "usage.alert"
    body = json.loads(delivery.body)
    assert body["data"] == {
        "alert_id": alert.id,
        "firing_id": made.firing.id,
        "contract_id": contract_id,
        "contract_reference": "C-2026-001",
        "metric_code": "turnover",
        "line_key": None,
        "period_start": "2026-01-01",
        "period_end": "2026-02-01",
        "measure": "amount",
        "currency": "EUR",
        "limit": "1000",
        "level": 80,
        "threshold": "800",  # 1,000 × 80 / 100
        "value": "825",
    }


def test_refusals_name_their_fields(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    with pytest.raises(InvalidInput) as exc:
        alerts.create_alert(ctx, contract_id, {"metric_code": "api_calls", "limit": "10"})
    assert fields_of(exc.value) == ["metric_code"]
    bad = {"metric_code": "turnover", "measure": "count", "limit": "0", "levels": [100, 80]}
    with pytest.raises(InvalidInput) as exc:
        alerts.create_alert(ctx, contract_id, bad)
    assert fields_of(exc.value) == ["measure", "limit", "levels.1"]
    with pytest.raises(InvalidInput) as exc:
        alerts.create_alert(ctx, contract_id, SPENDING | {"line_key": "hosting", "levels": [0]})
    assert fields_of(exc.value) == ["line_key", "levels.0"]
    with pytest.raises(InvalidInput) as exc:
        alerts.create_alert(ctx, contract_id, SPENDING | {"limit": "-5", "levels": [1001]})
    assert fields_of(exc.value) == ["limit", "levels.0"]
    with pytest.raises(NotFound):
        alerts.create_alert(ctx, "con_missing", SPENDING)


def test_another_organization_sees_nothing(other_ctx: Ctx, ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    with pytest.raises(NotFound):
        alerts.create_alert(other_ctx, contract_id, SPENDING)
    with pytest.raises(NotFound):
        alerts.list_alerts(other_ctx, contract_id)
    with pytest.raises(NotFound):
        alerts.delete_alert(other_ctx, alert.id)
    assert alerts.check_alerts(other_ctx, [contract_id], date(2026, 1, 8)) == []
    assert [a.id for a in alerts.list_alerts(ctx, contract_id)] == [alert.id]


def test_delete_removes_the_alert_and_its_firings_with_an_audit_trail(
    ctx: Ctx, world: World
) -> None:
    contract_id = seed_contract(world)
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    sales(world, "2026-01-08", 100, "400.00")
    assert len(alerts.check_alerts(ctx, [contract_id], date(2026, 1, 8))) == 1
    alerts.delete_alert(ctx, alert.id)
    assert alerts.list_alerts(ctx, contract_id) == []
    assert alerts.firings(ctx, contract_id, PageRequest()).items == []
    actions = ctx.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.organization_id == ctx.organization_id)
        .where(AuditEvent.object_id == alert.id)
        .order_by(AuditEvent.id)
    )
    assert list(actions) == ["create", "delete"]


def test_ingested_events_fire_an_alert_through_the_worker(
    ctx: Ctx,
    world: World,
    engine: Engine,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    contract_id = seed_contract(world)
    touched = {(world.customer.id, "turnover", date(2026, 1, 8))}
    billing.queue_after_events(ctx, touched)
    assert not billing.has_triggers(ctx)  # no trigger, no alert: no job
    assert billing.watching(ctx) == billing.Watching(itemizes=False, any=False)
    alerts.create_alert(ctx, contract_id, SPENDING)
    assert billing.has_triggers(ctx)
    assert billing.watching(ctx) == billing.Watching(itemizes=False, any=True)  # an alert only
    sales(world, "2026-01-08", 100, "400.00")
    billing.queue_after_events(ctx, touched)
    ctx.session.commit()
    assert make_worker().run_until_idle() == 1
    ctx.session.expire_all()
    rows = ctx.session.scalars(
        select(UsageAlertFiring).where(UsageAlertFiring.organization_id == ctx.organization_id)
    )
    # 825.00 (see above): the 80 % level
    assert [(r.level, r.value) for r in rows] == [(80, D("825.00"))]
    # the same day again (no new event): the job runs, nothing fires twice
    billing.queue_after_events(ctx, touched)
    ctx.session.commit()
    assert make_worker().run_until_idle() == 1
    ctx.session.expire_all()
    count = ctx.session.scalars(
        select(UsageAlertFiring).where(UsageAlertFiring.organization_id == ctx.organization_id)
    )
    assert len(list(count)) == 1


# --- the check at creation, and editing ------------------------------------------------------


def audit_actions(ctx: Ctx, alert_id: str) -> list[str]:
    stmt = (
        select(AuditEvent.action)
        .where(AuditEvent.organization_id == ctx.organization_id)
        .where(AuditEvent.object_id == alert_id)
        .order_by(AuditEvent.id)
    )
    return list(ctx.session.scalars(stmt))


def levels_fired(ctx: Ctx, contract_id: str) -> list[tuple[int, Decimal]]:
    page = alerts.firings(ctx, contract_id, PageRequest())
    return sorted((f.level, f.value) for f in page.items)


def test_an_alert_created_past_a_level_fires_it_at_once(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    webhooks.create_endpoint(
        ctx, {"url": "https://hooks.example/h", "event_types": ["usage.alert"]}
    )
    sales(world, "2026-01-08", 100, "400.00")  # 2 % × 40,000.00 + 100 × 0.25 = 825.00
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    # checked on today, 15 Jan: 825.00 ≥ 800 (80 % of 1,000) fires; 1,000 (100 %) is not reached
    [firing] = alerts.firings(ctx, contract_id, PageRequest()).items
    assert (firing.alert_id, firing.level, firing.value) == (alert.id, 80, D("825.00"))
    assert (firing.period_start, firing.period_end) == (date(2026, 1, 1), date(2026, 2, 1))
    [delivery] = ctx.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.organization_id == ctx.organization_id)
    )
    assert json.loads(delivery.body)["data"]["level"] == 80
    # once per period: the job's check on the same usage fires nothing more
    assert alerts.check_alerts(ctx, [contract_id], date(2026, 1, 15)) == []


def test_a_quota_created_past_two_levels_fires_both_at_once(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    sales(world, "2026-01-08", 100, "400.00")  # quantity 40,000.00
    data = {"metric_code": "turnover", "line_key": "api-calls", "measure": "quantity"}
    alerts.create_alert(ctx, contract_id, data | {"limit": "50000", "levels": [50, 80, 100]})
    # 50 % = 25,000 and 80 % = 40,000 are reached; 100 % = 50,000 is not
    assert levels_fired(ctx, contract_id) == [(50, D("40000.00")), (80, D("40000.00"))]


def test_an_alert_on_a_draft_contract_is_not_checked(ctx: Ctx, world: World) -> None:
    seed_contract(world)  # the metric and a running contract of the customer
    lines = [{"product_id": world.api_calls.id, "charge": TURNOVER}]
    draft = world.contract(reference="C-2026-002", start_date="2026-01-01", lines=lines)
    sales(world, "2026-01-08", 100, "400.00")
    alerts.create_alert(ctx, draft.id, SPENDING)
    # the usage.triggers job checks billable contracts only; the check at creation too
    assert alerts.firings(ctx, draft.id, PageRequest()).items == []


def test_editing_keeps_fired_levels_and_fires_new_ones_at_once(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    alert = alerts.create_alert(ctx, contract_id, SPENDING)  # no usage yet: nothing fires
    sales(world, "2026-01-08", 100, "400.00")  # 825.00
    assert fired(alerts.check_alerts(ctx, [contract_id], date(2026, 1, 8))) == [
        (80, D("825.00"), date(2026, 1, 1), date(2026, 2, 1))
    ]
    # a limit of 2,000: 80 % is 1,600, not reached; the 80 % fired stays fired
    edited = alerts.update_alert(ctx, alert.id, {"limit": "2000"})
    assert (str(edited.limit), edited.levels) == ("2000", [80, 100])
    assert levels_fired(ctx, contract_id) == [(80, D("825.00"))]
    # back to 800: 80 % (640) is reached but fired already this period, 100 % (800) fires now
    alerts.update_alert(ctx, alert.id, {"limit": "800.00"})
    assert levels_fired(ctx, contract_id) == [(80, D("825.00")), (100, D("825.00"))]
    # a new level of 50 % (400) fires at once; 80 and 100 do not fire again
    alerts.update_alert(ctx, alert.id, {"levels": [50, 80, 100]})
    assert levels_fired(ctx, contract_id) == [
        (50, D("825.00")),
        (80, D("825.00")),
        (100, D("825.00")),
    ]
    # the same settings again: nothing written, nothing fired
    alerts.update_alert(ctx, alert.id, {"limit": "800", "levels": ["50", 80, 100]})
    assert len(levels_fired(ctx, contract_id)) == 3
    assert audit_actions(ctx, alert.id) == ["create", "update", "update", "update"]
    [last] = ctx.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.organization_id == ctx.organization_id)
        .where(AuditEvent.object_id == alert.id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    assert (last.before, last.after) == ({"levels": [80, 100]}, {"levels": [50, 80, 100]})


def test_editing_the_line_watched(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    assert alerts.update_alert(ctx, alert.id, {"line_key": "api-calls"}).line_key == "api-calls"
    assert alerts.update_alert(ctx, alert.id, {"line_key": None}).line_key is None


def test_edit_refusals_name_their_fields(ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    bad = {
        "color": "red",
        "metric_code": "api_calls",
        "measure": "quantity",
        "limit": "-1",
        "levels": [100, 80],
    }
    with pytest.raises(InvalidInput) as exc:
        alerts.update_alert(ctx, alert.id, bad)
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("color", "unknown field"),
        (
            "metric_code",
            "fixed when the alert is created (it is 'turnover'): delete the alert and create "
            "another",
        ),
        (
            "measure",
            "fixed when the alert is created (it is 'amount'): delete the alert and create another",
        ),
        ("limit", 'a positive decimal string, e.g. "1000.00"'),
        ("levels.1", "levels must increase"),
    ]
    with pytest.raises(InvalidInput) as exc:
        alerts.update_alert(ctx, alert.id, {"line_key": "hosting"})
    assert fields_of(exc.value) == ["line_key"]
    # the fixed fields may be sent unchanged
    same = alerts.update_alert(ctx, alert.id, {"metric_code": "turnover", "measure": "amount"})
    assert (same.metric_code, same.measure, str(same.limit)) == ("turnover", "amount", "1000")
    assert audit_actions(ctx, alert.id) == ["create"]


def test_another_organization_may_not_edit(other_ctx: Ctx, ctx: Ctx, world: World) -> None:
    contract_id = seed_contract(world)
    alert = alerts.create_alert(ctx, contract_id, SPENDING)
    with pytest.raises(NotFound):
        alerts.update_alert(other_ctx, alert.id, {"limit": "5"})
    assert str(alerts.get_alert(ctx, alert.id).limit) == "1000"
