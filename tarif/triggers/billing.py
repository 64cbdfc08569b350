"""Triggers at work: what the worker bills after events are stored, and each day for the
events collected by a daily or weekly trigger.

- After ingestion stores events of a metric, a job `usage.triggers` for the metric and the
  events' day runs `bill_touched` for the customers they belong to (a batch adds its customers
  to the job still queued for the same metric and day). Each usage line of the customers'
  billable contracts that measures the metric and has:
  - a threshold trigger is rated with every event stored for the period holding the day so far
    (`tarif.invoicing.usage_progressive.bill_so_far`, `whole_period`: ratings only grow,
    whatever order the jobs run in); a threshold reached above the highest one invoiced in the
    period makes an invoice, recorded in the threshold history and announced by the
    `usage.threshold_crossed` webhook;
  - an event trigger has the events its ingestion queued made into billable items
    (`tarif.triggers.items`, all such lines together), each invoiced at once when the trigger
    is `immediate`.
- The same job then checks the usage alerts of the customers' contracts on the metric
  (`tarif.triggers.alerts_service.check_alerts`): a level of a quota or spending limit reached
  in the period fires once, announced by the `usage.alert` webhook.
- A job `usage.collect` for a day bills the event triggers that collect daily (every day) or
  weekly (on Mondays), through the day before, then queues itself for the next day while such
  triggers exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from tarif.billing.triggers import Cadence, TriggerKind, UsageTrigger
from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.models import Contract
from tarif.contracts.service_catalog import line_charge_on
from tarif.invoicing.current_usage import measures
from tarif.invoicing.service_runs import BILLABLE
from tarif.invoicing.usage_progressive import SoFar, bill_so_far
from tarif.jobs.models import Job
from tarif.jobs.registry import handler
from tarif.jobs.rules import JobStatus
from tarif.jobs.service import enqueue
from tarif.tenancy.models import Organization
from tarif.triggers import alerts_service as alerts
from tarif.triggers import items, service
from tarif.triggers.alerts_models import UsageAlert
from tarif.triggers.models import UsageLineTrigger

TRIGGER_JOB = "usage.triggers"
Touched = tuple[str, str, date]  # (customer id, metric code, local day)
COLLECT_JOB = "usage.collect"
# A busy metric's job takes the customers of the batches stored while it waits, up to this.
CUSTOMERS_PER_JOB = 500


@dataclass(frozen=True)
class Billed:
    """A trigger that made an invoice."""

    contract_id: str
    line_key: str
    trigger: UsageTrigger
    so_far: SoFar


@dataclass(frozen=True)
class Watching:
    """What the organization's usage triggers and alerts ask of an ingestion."""

    itemizes: bool  # some usage line bills each event: stored events are queued for valuation
    any: bool  # some line bills before its period's end, or some alert watches usage


def watching(ctx: Ctx) -> Watching:
    """Read in one query: an ingestion asks it once a batch."""
    org = ctx.organization_id
    kind = UsageLineTrigger.trigger["kind"].as_string()
    stmt = select(
        exists().where(UsageLineTrigger.organization_id == org, kind == TriggerKind.EVENT.value),
        exists().where(UsageLineTrigger.organization_id == org),
        exists().where(UsageAlert.organization_id == org),
    )
    event, trigger, alert = ctx.session.execute(stmt).one()
    return Watching(itemizes=bool(event), any=bool(trigger) or bool(alert))


def has_triggers(ctx: Ctx) -> bool:
    """Whether any usage line of the organization bills before its period's end, or any
    usage alert watches its usage."""
    return watching(ctx).any


def queue_after_events(
    ctx: Ctx, touched: AbstractSet[Touched], *, watched: bool | None = None
) -> None:
    """The `usage.triggers` jobs of a batch of stored events, in the ingestion's transaction
    (nothing when no line has a trigger): one per metric and day, naming the customers
    touched. A job still queued for the same metric and day takes the batch's customers
    instead (it takes their queued events when it runs, these too); it is locked until the
    ingestion commits (PostgreSQL; workers skip it meanwhile), so it cannot start before these
    events are visible. `watched`: `watching(ctx).any`, when the caller read it already."""
    if not touched:
        return
    if not (has_triggers(ctx) if watched is None else watched):
        return
    wanted: dict[tuple[str, date], set[str]] = defaultdict(set)
    for customer_id, metric_code, day in touched:
        wanted[(metric_code, day)].add(customer_id)
    waiting = _queued(ctx, set(wanted))
    for (metric_code, day), customers in sorted(wanted.items()):
        job = waiting.get((metric_code, day))
        if job is not None:
            have = job_customers(job.payload)
            merged = sorted(set(have) | customers)
            if len(merged) <= CUSTOMERS_PER_JOB:
                if merged != have:
                    job.payload = _payload(metric_code, day, merged)
                continue
        ordered = sorted(customers)
        for first in range(0, len(ordered), CUSTOMERS_PER_JOB):
            chunk = ordered[first : first + CUSTOMERS_PER_JOB]
            enqueue(ctx, TRIGGER_JOB, _payload(metric_code, day, chunk))


def job_customers(payload: dict[str, Any]) -> list[str]:
    """The customers a `usage.triggers` job covers (`customer_id`: a job queued by an earlier
    version, one customer a job)."""
    if "customers" in payload:
        return list(payload["customers"])
    return [payload["customer_id"]]


def _payload(metric_code: str, day: date, customers: list[str]) -> dict[str, Any]:
    return {"metric": metric_code, "day": day.isoformat(), "customers": customers}


def _queued(ctx: Ctx, keys: AbstractSet[tuple[str, date]]) -> dict[tuple[str, date], Job]:
    """A queued job for each (metric, day) that has one not locked by another ingestion, now
    locked by this one (the one with the fewest customers when several are)."""
    metric = Job.payload["metric"].as_string()
    stmt = (
        select(Job)
        .where(
            Job.organization_id == ctx.organization_id,
            Job.kind == TRIGGER_JOB,
            Job.status == JobStatus.QUEUED.value,
            metric.in_(sorted({m for m, _ in keys})),
        )
        .order_by(Job.id)
        .with_for_update(skip_locked=True)
    )
    found: dict[tuple[str, date], Job] = {}
    for job in ctx.session.scalars(stmt):
        key = (job.payload["metric"], date.fromisoformat(job.payload["day"]))
        if key not in keys:
            continue
        known = found.get(key)
        if known is None or len(job_customers(job.payload)) < len(job_customers(known.payload)):
            found[key] = job
    return found


def _contract_ids(ctx: Ctx, customer_ids: Sequence[str] | None) -> list[str]:
    stmt = select(Contract.id).where(
        Contract.organization_id == ctx.organization_id,
        Contract.status.in_([s.value for s in BILLABLE]),
    )
    if customer_ids is not None:
        stmt = stmt.where(Contract.customer_id.in_(sorted(set(customer_ids))))
    return list(ctx.session.scalars(stmt.order_by(Contract.id)))


def bill_touched(
    ctx: Ctx,
    customers: str | Sequence[str],
    metric_code: str,
    day: date,
    contract_ids: list[str] | None = None,
) -> list[Billed]:
    """Values and bills what events of `metric_code` stored for the customers make due (see
    the module); `contract_ids`: the customers' billable contracts, when the caller has them.
    The event triggers' lines are valued together, in a few queries whatever their number."""
    customer_ids = [customers] if isinstance(customers, str) else list(customers)
    ids = _contract_ids(ctx, customer_ids) if contract_ids is None else contract_ids
    triggers = service.triggers_for(ctx, ids)
    if not triggers:
        items.take_unvalued(ctx, metric_code, day, customer_ids)  # no line values them
        return []
    heads = {
        c.id: c
        for c in ctx.session.scalars(
            select(Contract).where(
                Contract.organization_id == ctx.organization_id, Contract.id.in_(ids)
            )
        )
    }
    versions_by = contract_store.versions_by_contract(ctx, sorted({c for c, _ in triggers}))
    event_lines: list[tuple[str, str, UsageTrigger]] = []
    other_lines: list[tuple[str, str, UsageTrigger]] = []
    for (contract_id, line_key), trigger in sorted(triggers.items()):
        terms = contract_store.version_on(versions_by[contract_id], day).terms
        line = terms.line(line_key)
        charge = None if line is None else line_charge_on(ctx, terms, line, day)
        if charge is None or charge.metric != metric_code:
            continue
        kind = event_lines if trigger.kind is TriggerKind.EVENT else other_lines
        kind.append((contract_id, line_key, trigger))
    made = _bill_events(ctx, event_lines, heads, versions_by, metric_code, day, customer_ids)
    thresholds = sorted({c for c, _, t in other_lines if t.kind is TriggerKind.THRESHOLD})
    levels = service.invoiced_levels(ctx, thresholds) if thresholds else {}
    for contract_id, line_key, trigger in other_lines:
        by_period = {
            start: level
            for (c, k, start), level in levels.items()
            if (c, k) == (contract_id, line_key)
        }
        so_far = bill_so_far(
            ctx, contract_id, line_key, day, trigger, levels=by_period, whole_period=True
        )
        if so_far is None or so_far.invoice_id is None:
            continue
        if trigger.kind is TriggerKind.THRESHOLD and so_far.level is not None:
            service.record_crossing(
                ctx,
                contract_id=contract_id,
                line_key=line_key,
                period_start=so_far.period.start,
                period_end=so_far.period.end,
                level=so_far.level,
                measure=trigger.measure,
                value=so_far.measured,
                invoice_id=so_far.invoice_id,
            )
            _announce(ctx, contract_id, line_key, trigger, so_far)
        made.append(Billed(contract_id, line_key, trigger, so_far))
    return made


def _bill_events(
    ctx: Ctx,
    lines: list[tuple[str, str, UsageTrigger]],
    heads: dict[str, Contract],
    versions_by: dict[str, list[ContractVersion]],
    metric_code: str,
    day: date,
    customer_ids: list[str],
) -> list[Billed]:
    """Values the customers' new events for the event triggers' lines (the events are taken
    off the queue even when no line counts them), then invoices each item of the `immediate`
    ones."""
    measuring = _measuring(ctx, heads, versions_by, metric_code, {c for c, _, _ in lines})
    event_lines = [
        items.EventLine(heads[c], k, versions_by[c], measuring[heads[c].customer_id])
        for c, k, _ in lines
    ]
    valued = items.value_new_events(ctx, event_lines, metric_code, day, customer_ids)
    by_line: dict[tuple[str, str], list[items.NewItem]] = defaultdict(list)
    for item in valued:
        by_line[(item.contract_id, item.line_key)].append(item)
    made = []
    for contract_id, line_key, trigger in lines:
        if trigger.cadence is not Cadence.IMMEDIATE or not by_line[(contract_id, line_key)]:
            continue
        for each in items.invoice_each(
            ctx, contract_id, line_key, trigger, by_line[(contract_id, line_key)]
        ):
            made.append(Billed(contract_id, line_key, trigger, each))
    return made


def _measuring(
    ctx: Ctx,
    heads: dict[str, Contract],
    versions_by: dict[str, list[ContractVersion]],
    metric_code: str,
    valued: AbstractSet[str],
) -> dict[str, list[str]]:
    """For each customer of the `valued` contracts, its billable contracts measuring the metric
    (id order; the valued ones do). `versions_by` gains the versions it had to read."""
    customers = {heads[c].customer_id for c in valued}
    others = [c for c, head in heads.items() if head.customer_id in customers]
    missing = [c for c in others if c not in versions_by]
    if missing:
        versions_by.update(contract_store.versions_by_contract(ctx, missing))
    found: dict[str, list[str]] = {customer: [] for customer in customers}
    for contract_id in sorted(others):
        if contract_id in valued or measures(ctx, versions_by[contract_id], metric_code):
            found[heads[contract_id].customer_id].append(contract_id)
    return found


def _announce(
    ctx: Ctx, contract_id: str, line_key: str, trigger: UsageTrigger, so_far: SoFar
) -> None:
    from tarif.webhooks.service import emit

    emit(
        ctx,
        "usage.threshold_crossed",
        {
            "contract_id": contract_id,
            "line_key": line_key,
            "period_start": so_far.period.start.isoformat(),
            "period_end": so_far.period.end.isoformat(),
            "measure": trigger.measure.value,
            "level": f"{so_far.level:f}",
            "value": f"{so_far.measured:f}",
            "invoice_id": so_far.invoice_id,
        },
    )


def collect(ctx: Ctx, day: date) -> list[Billed]:
    """Bills the event triggers collecting daily (and weekly, on a Monday) through the day
    before `day`."""
    triggers = service.triggers_for(ctx, _contract_ids(ctx, None))
    through = day - timedelta(days=1)
    made: list[Billed] = []
    for (contract_id, line_key), trigger in sorted(triggers.items()):
        if not _collects(trigger):
            continue
        if trigger.cadence is Cadence.WEEKLY and day.weekday() != 0:
            continue
        so_far = bill_so_far(ctx, contract_id, line_key, through, trigger)
        if so_far is not None and so_far.invoice_id is not None:
            period_start = so_far.period.start
            items.link_collected(
                ctx, contract_id, line_key, period_start, through, so_far.invoice_id
            )
            made.append(Billed(contract_id, line_key, trigger, so_far))
    return made


def queue_collection(ctx: Ctx, day: date) -> None:
    """The collection of `day`, once (a dedupe key per day), due at the day's start."""
    delay = max(0.0, (_midnight(ctx, day) - ctx.clock.now()).total_seconds())
    enqueue(
        ctx,
        COLLECT_JOB,
        {"day": day.isoformat()},
        dedupe_key=f"{COLLECT_JOB}:{day.isoformat()}",
        delay_seconds=delay,
    )


def _midnight(ctx: Ctx, day: date) -> datetime:
    org = ctx.session.get_one(Organization, ctx.organization_id)
    return datetime.combine(day, time(), tzinfo=ZoneInfo(org.timezone))


@handler(TRIGGER_JOB)
def _run_triggers(ctx: Ctx, job: Job) -> None:
    data = job.payload
    day = date.fromisoformat(data["day"])
    customers = job_customers(data)
    ids = _contract_ids(ctx, customers)
    bill_touched(ctx, customers, data["metric"], day, ids)
    alerts.check_alerts(ctx, ids, day, data["metric"])


@handler(COLLECT_JOB)
def _run_collection(ctx: Ctx, job: Job) -> None:
    day = date.fromisoformat(job.payload["day"])
    collect(ctx, day)
    triggers = service.triggers_for(ctx, _contract_ids(ctx, None))
    if any(_collects(t) for t in triggers.values()):
        queue_collection(ctx, day + timedelta(days=1))


def _collects(trigger: UsageTrigger) -> bool:
    return trigger.kind is TriggerKind.EVENT and trigger.cadence is not Cadence.IMMEDIATE
