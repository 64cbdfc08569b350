"""Use cases of usage triggers: the setting of each usage line, and the threshold history.

Every function takes `ctx` first and never commits. Settings need `write:billing` to change and
`read:data` to read; each change leaves an audit event. Billing runs read settings with
`triggers_for` (one query for a batch of contracts) and write crossings with `record_crossing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tarif.audit.service import record, snapshot
from tarif.billing.triggers import (
    PERIOD_END,
    Cadence,
    InvalidTrigger,
    Measure,
    TriggerKind,
    UsageTrigger,
)
from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.model import ContractLine, ContractTerms
from tarif.contracts.models import Contract
from tarif.db.repository import MAX_PAGE_SIZE, Page, PageRequest, get_scoped, scoped
from tarif.errors import ErrorCollector, FieldError, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.invoicing.models import Invoice
from tarif.tenancy.rules import Permission
from tarif.triggers.models import ThresholdCrossing, UsageLineTrigger
from tarif.triggers.rules import (
    MAX_DECIMALS,
    MAX_INTEGER_DIGITS,
    checked_trigger,
    event_metric_problem,
    fits_column,
    stored_trigger,
    usage_line_problem,
    usage_lines,
)

AUDIT_TYPE = "usage_line_trigger"


@dataclass(frozen=True)
class LineTrigger:
    """A usage line and its trigger. `line` is None for a setting kept for a line that is no
    longer in the current terms (it can still be cleared); `row` is None for the default."""

    line_key: str
    line: ContractLine | None
    trigger: UsageTrigger
    row: UsageLineTrigger | None


def _invalid(problems: Sequence[Any]) -> InvalidInput:
    summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return InvalidInput(f"The trigger has invalid fields: {summary}", list(problems))


def _contract(ctx: Ctx, contract_id: str, *, for_update: bool = False) -> Contract:
    return contract_store.load_contract(ctx, contract_id, for_update=for_update)


def _current_terms(ctx: Ctx, contract: Contract) -> ContractTerms:
    """The terms in force today (the first version's before the contract starts)."""
    versions = contract_store.versions_of(ctx, contract)
    return contract_store.version_on(versions, contract_store.today(ctx)).terms


def _row(ctx: Ctx, contract_id: str, line_key: str) -> UsageLineTrigger | None:
    stmt = scoped(UsageLineTrigger, ctx.organization_id).where(
        UsageLineTrigger.contract_id == contract_id, UsageLineTrigger.line_key == line_key
    )
    return ctx.session.scalars(stmt).one_or_none()


def _rows(ctx: Ctx, contract_id: str) -> list[UsageLineTrigger]:
    stmt = scoped(UsageLineTrigger, ctx.organization_id).where(
        UsageLineTrigger.contract_id == contract_id
    )
    return list(ctx.session.scalars(stmt.order_by(UsageLineTrigger.line_key)))


# --- settings ----------------------------------------------------------------------------------


def set_trigger(ctx: Ctx, contract_id: str, line_key: str, data: Mapping[str, Any]) -> UsageTrigger:
    """Sets the trigger of a usage line from its JSON; `{"kind": "period_end"}` removes the
    setting (the default). Refusals name each field: `line_key` (not a usage line of the current
    terms), `kind`, `thresholds.1`, `every`…, all at once."""
    ctx.require(Permission.WRITE_BILLING)
    # Locked (PostgreSQL): two settings of one contract never race to insert the same line's row.
    contract = _contract(ctx, contract_id, for_update=True)
    row = _row(ctx, contract.id, line_key)
    line_problem = usage_line_problem(_current_terms(ctx, contract), line_key)
    if line_problem is not None and row is not None and _is_period_end(data):
        line_problem = None  # a setting left on a line that has gone can still be cleared
    try:
        trigger = checked_trigger(data, line_problem)
    except InvalidTrigger as exc:
        raise _invalid(exc.problems) from None
    if trigger.kind is TriggerKind.EVENT and line_problem is None:
        metric_problem = _event_metric_problem(ctx, contract, line_key)
        if metric_problem is not None:
            raise _invalid([metric_problem])
    now = ctx.clock.now()
    if trigger.kind is TriggerKind.EVENT and trigger.cadence is not Cadence.IMMEDIATE:
        from tarif.contracts.service_store import today
        from tarif.triggers.billing import queue_collection  # it imports this module

        queue_collection(ctx, today(ctx) + timedelta(days=1))  # once a day: a no-op after
    if trigger.kind is TriggerKind.PERIOD_END:
        if row is not None:
            record(ctx, "delete", AUDIT_TYPE, row.id, snapshot(row), None)
            ctx.session.delete(row)
            ctx.session.flush()
        return trigger
    if row is None:
        row = UsageLineTrigger(
            id=new_id("trg"),
            organization_id=ctx.organization_id,
            contract_id=contract.id,
            line_key=line_key,
            trigger=trigger.to_json(),
            created_at=now,
            updated_at=now,
        )
        ctx.session.add(row)
        ctx.session.flush()
        record(ctx, "create", AUDIT_TYPE, row.id, None, snapshot(row))
        return trigger
    before = snapshot(row)
    if row.trigger != trigger.to_json():
        row.trigger = trigger.to_json()
        row.updated_at = now
        ctx.session.flush()
        record(ctx, "update", AUDIT_TYPE, row.id, before, snapshot(row))
    return trigger


def _event_metric_problem(ctx: Ctx, contract: Contract, line_key: str) -> FieldError | None:
    from tarif.contracts.service_catalog import line_charge_on
    from tarif.usage.models import Metric

    terms = _current_terms(ctx, contract)
    line = terms.line(line_key)
    assert line is not None  # checked by usage_line_problem
    spec = line_charge_on(ctx, terms, line, terms.line_start(line))
    if spec is None:
        return None  # billing refuses a line without a charge on its own
    metric = ctx.session.scalar(
        select(Metric).where(
            Metric.organization_id == ctx.organization_id, Metric.code == spec.metric
        )
    )
    if metric is None:
        return None
    return event_metric_problem(metric.code, metric.aggregation, metric.recurring)


def _is_period_end(data: Mapping[str, Any]) -> bool:
    return isinstance(data, Mapping) and bool(data.get("kind", "period_end") == "period_end")


def clear_trigger(ctx: Ctx, contract_id: str, line_key: str) -> UsageTrigger:
    """Back to the default: the line is billed at its period's end."""
    return set_trigger(ctx, contract_id, line_key, {"kind": TriggerKind.PERIOD_END.value})


def trigger_of(ctx: Ctx, contract_id: str, line_key: str) -> UsageTrigger:
    """The line's trigger; period end when none is set."""
    ctx.require(Permission.READ)
    contract = _contract(ctx, contract_id)
    row = _row(ctx, contract.id, line_key)
    return stored_trigger(row.trigger if row is not None else None)


def line_triggers(ctx: Ctx, contract_id: str) -> list[LineTrigger]:
    """Every usage line of the current terms with its trigger (period end by default), then
    the settings kept for lines no longer in the terms."""
    ctx.require(Permission.READ)
    contract = _contract(ctx, contract_id)
    rows = {row.line_key: row for row in _rows(ctx, contract.id)}
    result = []
    for line in usage_lines(_current_terms(ctx, contract)):
        row = rows.pop(line.line_key, None)
        trigger = stored_trigger(row.trigger) if row is not None else PERIOD_END
        result.append(LineTrigger(line.line_key, line, trigger, row))
    result += [LineTrigger(k, None, stored_trigger(r.trigger), r) for k, r in rows.items()]
    return result


def triggers_of_contract(ctx: Ctx, contract_id: str) -> dict[str, UsageTrigger]:
    """line_key → trigger, for every usage line of the current terms and every setting kept."""
    return {item.line_key: item.trigger for item in line_triggers(ctx, contract_id)}


def triggers_for(ctx: Ctx, contract_ids: Sequence[str]) -> dict[tuple[str, str], UsageTrigger]:
    """(contract_id, line_key) → trigger for the lines that have one, in one query: a billing
    run asks for its batch of contracts; a line missing from the answer is billed at period end.
    """
    ctx.require(Permission.READ)
    if not contract_ids:
        return {}
    stmt = scoped(UsageLineTrigger, ctx.organization_id).where(
        UsageLineTrigger.contract_id.in_(list(contract_ids))
    )
    return {
        (row.contract_id, row.line_key): stored_trigger(row.trigger)
        for row in ctx.session.scalars(stmt)
    }


# --- threshold history -------------------------------------------------------------------------


def _exact(value: Any, name: str, errors: ErrorCollector, *, positive: bool) -> Decimal | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        errors.add(name, "a finite Decimal")
        return None
    if value < 0 or (positive and value == 0):
        errors.add(name, "must be positive" if positive else "must not be negative")
    elif not fits_column(value):
        errors.add(name, f"at most {MAX_INTEGER_DIGITS} digits and {MAX_DECIMALS} decimals")
    return value


def record_crossing(
    ctx: Ctx,
    *,
    contract_id: str,
    line_key: str,
    period_start: date,
    period_end: date,
    level: Decimal,
    measure: Measure,
    value: Decimal,
    invoice_id: str | None = None,
    crossed_at: datetime | None = None,
) -> ThresholdCrossing | None:
    """Records that `value` reached `level` in the period `[period_start, period_end)`; None
    when that level of that period is already recorded (the unique key decides, so two runs
    never both record it, and the caller's transaction goes on either way)."""
    ctx.require(Permission.WRITE_BILLING)
    contract = _contract(ctx, contract_id)
    errors = ErrorCollector()
    if period_end <= period_start:
        errors.add("period_end", "must be after period_start")
    _exact(level, "level", errors, positive=True)
    _exact(value, "value", errors, positive=False)
    if invoice_id is not None:
        try:
            get_scoped(ctx.session, Invoice, ctx.organization_id, invoice_id)
        except NotFound:
            errors.add("invoice_id", f"no invoice '{invoice_id}'")
    measure_value = measure.value if isinstance(measure, Measure) else str(measure)
    if measure_value not in {m.value for m in Measure}:
        errors.add("measure", "one of amount, quantity")
    errors.raise_if_any("The crossing has invalid fields")
    row = ThresholdCrossing(
        id=new_id("thx"),
        organization_id=ctx.organization_id,
        contract_id=contract.id,
        line_key=line_key,
        period_start=period_start,
        period_end=period_end,
        level=level,
        measure=measure_value,
        value=value,
        invoice_id=invoice_id,
        crossed_at=crossed_at or ctx.clock.now(),
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
    except IntegrityError:
        return None  # recorded already: the savepoint undid this insert only
    return row


def attach_invoice(ctx: Ctx, crossing_id: str, invoice_id: str) -> ThresholdCrossing:
    """Links a recorded crossing to the invoice made for it (when the crossing came first)."""
    ctx.require(Permission.WRITE_BILLING)
    crossing: ThresholdCrossing = get_scoped(
        ctx.session, ThresholdCrossing, ctx.organization_id, crossing_id
    )
    invoice: Invoice = get_scoped(ctx.session, Invoice, ctx.organization_id, invoice_id)
    crossing.invoice_id = invoice.id
    ctx.session.flush()
    return crossing


def invoiced_levels(ctx: Ctx, contract_ids: Sequence[str]) -> dict[tuple[str, str, date], Decimal]:
    """(contract_id, line_key, period_start) → the highest level recorded, in one query: what
    `tarif.billing.triggers.crosses` compares the period's value with."""
    ctx.require(Permission.READ)
    if not contract_ids:
        return {}
    stmt = scoped(ThresholdCrossing, ctx.organization_id).where(
        ThresholdCrossing.contract_id.in_(list(contract_ids))
    )
    highest: dict[tuple[str, str, date], Decimal] = {}
    # The maximum is taken here: SQLite keeps exact decimals as text, where "500" > "1000".
    for row in ctx.session.scalars(stmt):
        key = (row.contract_id, row.line_key, row.period_start)
        if key not in highest or row.level > highest[key]:
            highest[key] = row.level
    return highest


def crossings(ctx: Ctx, contract_id: str | None, page: PageRequest) -> Page[ThresholdCrossing]:
    """The threshold history of a contract (None: of every contract), newest recorded first;
    `starting_after` is the last id of the previous page."""
    ctx.require(Permission.READ)
    stmt = scoped(ThresholdCrossing, ctx.organization_id)
    if contract_id is not None:
        stmt = stmt.where(ThresholdCrossing.contract_id == _contract(ctx, contract_id).id)
    if page.starting_after:
        if not contract_store.searchable(page.starting_after):
            return Page([], False)
        # Ids are time-ordered: below the cursor is what was recorded before it.
        stmt = stmt.where(ThresholdCrossing.id < page.starting_after)
    limit = max(1, min(page.limit, MAX_PAGE_SIZE))
    rows = list(ctx.session.scalars(stmt.order_by(ThresholdCrossing.id.desc()).limit(limit + 1)))
    return Page(items=rows[:limit], has_more=len(rows) > limit)
