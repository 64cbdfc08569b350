"""Use cases of usage alerts: the alerts of a contract, their firings, and the check that fires
them.

Every function takes `ctx` first and never commits. Alerts need `write:billing` to change and
`read:data` to read; each change leaves an audit event. `check_alerts` measures with
`tarif.invoicing.current_usage.contract_usage` (the amounts a billing run would invoice for the
current period so far), records each level reached once per period (a unique key decides, so two
jobs never both fire it) and announces it with the `usage.alert` webhook. Creating or editing an
alert runs that check at once, on today, for the alert's contract and metric: a level the
period's usage has passed already fires then, not with the next event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from tarif.audit.service import record, snapshot
from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.models import Contract
from tarif.db.repository import MAX_PAGE_SIZE, Page, PageRequest, get_scoped, scoped
from tarif.db.types import canonical
from tarif.errors import InvalidInput, NotFound
from tarif.ids import new_id
from tarif.invoicing.current_usage import LineUsage, contract_line_charge, contract_usage
from tarif.invoicing.service_runs import BILLABLE
from tarif.tenancy.rules import Permission
from tarif.triggers.alerts_models import UsageAlert, UsageAlertFiring
from tarif.triggers.alerts_rules import (
    AlertMeasure,
    AlertSpec,
    checked_alert,
    checked_edit,
    reached,
    threshold,
)
from tarif.triggers.rules import usage_lines

AUDIT_TYPE = "usage_alert"
ALERT_EVENT = "usage.alert"


@dataclass(frozen=True)
class Fired:
    """A level an alert reached, recorded and announced."""

    alert: UsageAlert
    firing: UsageAlertFiring


def _contract(ctx: Ctx, contract_id: str) -> Contract:
    return contract_store.load_contract(ctx, contract_id)


def metrics_by_line(ctx: Ctx, contract: Contract) -> dict[str, str | None]:
    """line_key → the metric its charge measures, for each usage line of the current terms."""
    versions = contract_store.versions_of(ctx, contract)
    terms = contract_store.version_on(versions, contract_store.today(ctx)).terms
    found: dict[str, str | None] = {}
    for line in usage_lines(terms):
        spec = contract_line_charge(ctx, terms, line, terms.line_start(line))
        found[line.line_key] = spec.metric if spec is not None else None
    return found


def create_alert(ctx: Ctx, contract_id: str, data: Mapping[str, Any]) -> UsageAlert:
    """An alert on the contract from its JSON: `{"metric_code": "turnover", "measure": "amount",
    "limit": "1000.00", "levels": [80, 100]}`. Refusals name each field: `metric_code` (not
    measured by a usage line of the contract), `line_key`, `measure`, `limit`, `levels.1`…"""
    ctx.require(Permission.WRITE_BILLING)
    contract = _contract(ctx, contract_id)
    spec, problems = checked_alert(data, metrics_by_line(ctx, contract))
    if spec is None:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InvalidInput(f"The alert has invalid fields: {summary}", problems)
    now = ctx.clock.now()
    row = UsageAlert(
        id=new_id("ual"),
        organization_id=ctx.organization_id,
        contract_id=contract.id,
        metric_code=spec.metric_code,
        line_key=spec.line_key,
        measure=spec.measure.value,
        limit=canonical(spec.limit),  # as the column gives it back: one form in every read
        levels=list(spec.levels),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    record(ctx, "create", AUDIT_TYPE, row.id, None, snapshot(row))
    check_now(ctx, contract, row.metric_code)
    return row


def update_alert(ctx: Ctx, alert_id: str, data: Mapping[str, Any]) -> UsageAlert:
    """Changes the fields `data` names (`line_key`, `limit`, `levels`; null `line_key`: every
    line of the metric), checked as at creation; `metric_code` and `measure` are fixed (422 on
    them when they differ). Another organization's alert: 404. The levels fired already in a
    period stay fired: none fires twice in a period, whatever the new limit and levels; a level
    the new settings put the usage past fires at once (`check_now`). Nothing changed, nothing
    written."""
    ctx.require(Permission.WRITE_BILLING)
    alert = get_alert(ctx, alert_id)
    contract = _contract(ctx, alert.contract_id)
    spec, problems = checked_edit(alert_json(alert), data, metrics_by_line(ctx, contract))
    if spec is None:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InvalidInput(f"The alert has invalid fields: {summary}", problems)
    if _changes(alert, spec):
        before = snapshot(alert)
        alert.line_key = spec.line_key
        alert.limit = canonical(spec.limit)
        alert.levels = list(spec.levels)
        alert.updated_at = ctx.clock.now()
        ctx.session.flush()
        record(ctx, "update", AUDIT_TYPE, alert.id, before, snapshot(alert))
    check_now(ctx, contract, alert.metric_code)
    return alert


def alert_json(alert: UsageAlert) -> dict[str, Any]:
    """The alert's settings as the JSON that would create it."""
    return {
        "metric_code": alert.metric_code,
        "line_key": alert.line_key,
        "measure": alert.measure,
        "limit": Decimal(alert.limit),
        "levels": list(alert.levels),
    }


def _changes(alert: UsageAlert, spec: AlertSpec) -> bool:
    return (alert.line_key, Decimal(alert.limit), list(alert.levels)) != (
        spec.line_key,
        spec.limit,
        list(spec.levels),
    )


def check_now(ctx: Ctx, contract: Contract, metric_code: str) -> list[Fired]:
    """The check the `usage.triggers` job runs, at once, for the contract's alerts on the metric,
    with the usage through today (the organization's day); none for a contract not billed (a
    draft: the job does not check it either)."""
    if contract.status not in {status.value for status in BILLABLE}:
        return []
    return check_alerts(ctx, [contract.id], contract_store.today(ctx), metric_code)


def get_alert(ctx: Ctx, alert_id: str) -> UsageAlert:
    ctx.require(Permission.READ)
    try:
        alert: UsageAlert = get_scoped(ctx.session, UsageAlert, ctx.organization_id, alert_id)
    except NotFound:
        raise NotFound(f"usage alert '{alert_id}' not found") from None
    return alert


def delete_alert(ctx: Ctx, alert_id: str) -> UsageAlert:
    """Removes the alert and its firings (another organization's: 404)."""
    ctx.require(Permission.WRITE_BILLING)
    alert = get_alert(ctx, alert_id)
    record(ctx, "delete", AUDIT_TYPE, alert.id, snapshot(alert), None)
    ctx.session.execute(
        delete(UsageAlertFiring).where(
            UsageAlertFiring.organization_id == ctx.organization_id,
            UsageAlertFiring.alert_id == alert.id,
        )
    )
    ctx.session.delete(alert)
    ctx.session.flush()
    return alert


def list_alerts(ctx: Ctx, contract_id: str) -> list[UsageAlert]:
    """The contract's alerts, oldest first."""
    ctx.require(Permission.READ)
    contract = _contract(ctx, contract_id)
    return _alerts(ctx, [contract.id])


def _alerts(
    ctx: Ctx, contract_ids: Sequence[str], metric_code: str | None = None
) -> list[UsageAlert]:
    stmt = scoped(UsageAlert, ctx.organization_id).where(
        UsageAlert.contract_id.in_(list(contract_ids))
    )
    if metric_code is not None:
        stmt = stmt.where(UsageAlert.metric_code == metric_code)
    return list(ctx.session.scalars(stmt.order_by(UsageAlert.id)))


def firings(ctx: Ctx, contract_id: str | None, page: PageRequest) -> Page[UsageAlertFiring]:
    """The levels the contract's alerts (None: every contract's) reached, newest first;
    `starting_after` is the last id of the previous page."""
    ctx.require(Permission.READ)
    stmt = scoped(UsageAlertFiring, ctx.organization_id)
    if contract_id is not None:
        stmt = stmt.where(UsageAlertFiring.contract_id == _contract(ctx, contract_id).id)
    if page.starting_after:
        if not contract_store.searchable(page.starting_after):
            return Page([], False)
        stmt = stmt.where(UsageAlertFiring.id < page.starting_after)  # ids are time-ordered
    limit = max(1, min(page.limit, MAX_PAGE_SIZE))
    rows = list(ctx.session.scalars(stmt.order_by(UsageAlertFiring.id.desc()).limit(limit + 1)))
    return Page(items=rows[:limit], has_more=len(rows) > limit)


# --- the check -------------------------------------------------------------------------------


def check_alerts(
    ctx: Ctx, contract_ids: Sequence[str], day: date, metric_code: str | None = None
) -> list[Fired]:
    """Fires the levels the contracts' alerts (of `metric_code`, when given) reach with the
    usage of the period holding `day`, measured through `day`; a level fired already in that
    period is skipped."""
    ctx.require(Permission.WRITE_BILLING)
    alerts = _alerts(ctx, contract_ids, metric_code) if contract_ids else []
    if not alerts:
        return []
    fired = _fired_levels(ctx, [a.id for a in alerts])
    made: list[Fired] = []
    for contract_id in sorted({a.contract_id for a in alerts}):
        usage = contract_usage(ctx, contract_id, as_of=day)
        for alert in (a for a in alerts if a.contract_id == contract_id):
            for start, end, value in _measured(alert, usage.lines):
                done = fired.get((alert.id, start), set())
                for level in reached(alert.limit, alert.levels, value, done):
                    firing = _fire(ctx, alert, start, end, level, value)
                    if firing is not None:
                        _announce(ctx, alert, usage.contract, usage.currency, firing)
                        made.append(Fired(alert, firing))
    return made


def _measured(alert: UsageAlert, lines: Sequence[LineUsage]) -> list[tuple[date, date, Decimal]]:
    """(period start, period end, value so far) of the lines the alert watches, summed per
    period (the lines of one metric may have different periods)."""
    sums: dict[tuple[date, date], Decimal] = {}
    for line in lines:
        metric = line.charge.metric if line.charge is not None else None
        if metric != alert.metric_code or line.problem is not None:
            continue
        if alert.line_key is not None and line.current.line_key != alert.line_key:
            continue
        if alert.measure == AlertMeasure.QUANTITY.value:
            value = sum((row.quantity for row in line.groups), Decimal(0))
        else:
            value = line.total
        key = (line.current.period.start, line.current.period.end)
        sums[key] = sums.get(key, Decimal(0)) + value
    return [(start, end, value) for (start, end), value in sorted(sums.items())]


def _fired_levels(ctx: Ctx, alert_ids: Sequence[str]) -> dict[tuple[str, date], set[int]]:
    stmt = scoped(UsageAlertFiring, ctx.organization_id).where(
        UsageAlertFiring.alert_id.in_(list(alert_ids))
    )
    found: dict[tuple[str, date], set[int]] = {}
    for row in ctx.session.scalars(stmt):
        found.setdefault((row.alert_id, row.period_start), set()).add(row.level)
    return found


def _fire(
    ctx: Ctx, alert: UsageAlert, start: date, end: date, level: int, value: Decimal
) -> UsageAlertFiring | None:
    """The firing, or None when another job recorded it first (the unique key decides)."""
    row = UsageAlertFiring(
        id=new_id("uaf"),
        organization_id=ctx.organization_id,
        alert_id=alert.id,
        contract_id=alert.contract_id,
        period_start=start,
        period_end=end,
        level=level,
        value=canonical(value),
        fired_at=ctx.clock.now(),
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
    except IntegrityError:
        return None  # fired already: the savepoint undid this insert only
    return row


def _announce(
    ctx: Ctx, alert: UsageAlert, contract: Contract, currency: str, firing: UsageAlertFiring
) -> None:
    from tarif.webhooks.service import emit

    emit(ctx, ALERT_EVENT, alert_payload(alert, contract.reference, currency, firing))


def alert_payload(
    alert: UsageAlert, reference: str, currency: str, firing: UsageAlertFiring
) -> dict[str, Any]:
    """The `usage.alert` webhook's data."""
    return {
        "alert_id": alert.id,
        "firing_id": firing.id,
        "contract_id": alert.contract_id,
        "contract_reference": reference,
        "metric_code": alert.metric_code,
        "line_key": alert.line_key,
        "period_start": firing.period_start.isoformat(),
        "period_end": firing.period_end.isoformat(),
        "measure": alert.measure,
        "currency": currency if alert.measure == AlertMeasure.AMOUNT.value else None,
        "limit": f"{alert.limit:f}",
        "level": firing.level,
        "threshold": f"{threshold(alert.limit, firing.level):f}",
        "value": f"{firing.value:f}",
    }
