"""Use cases of metrics: create, read, update, archive, delete, and aggregate one over a period.

Every function takes `ctx` first and never commits. Writes need `write:catalog` (finance and
admin roles): a metric is part of what is sold. Once events name a metric, its code and what
ingestion extracted from them (the field, and the kind of value its aggregation reads) are
fixed, and it can be archived but not deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tarif.audit.service import changed_only, record, snapshot
from tarif.context import Ctx
from tarif.customers.models import Customer
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, ErrorCollector, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission
from tarif.usage.aggregates import ALL_EVENTS, AggregateRow, EventSelection, UsagePeriod
from tarif.usage.metric_rules import (
    Aggregation,
    MetricDefinition,
    check_code,
    check_definition,
    filters_from_json,
    parse_aggregation,
    parse_filters,
    parse_group_by,
)
from tarif.usage.models import Metric, UsageEvent
from tarif.usage.store import EventPage, EventStore, SqlEventStore

FIELDS = (
    "code",
    "name",
    "unit",
    "aggregation",
    "field",
    "filters",
    "group_by",
    "recurring",
    "valuation_smartcode_id",
)
MAX_NAME = 200
MAX_UNIT = 40
MAX_PERIOD_DAYS = 366 * 5


def definition_of(metric: Metric) -> MetricDefinition:
    return MetricDefinition(
        code=metric.code,
        aggregation=Aggregation(metric.aggregation),
        field=metric.field,
        filters=filters_from_json(metric.filters or []),
        group_by=tuple(metric.group_by or ()),
        recurring=metric.recurring,
        name=metric.name,
        unit=metric.unit,
    )


def store_for(ctx: Ctx) -> EventStore:
    return SqlEventStore(ctx.session)


# --- reads -------------------------------------------------------------------------------------


def _searchable(value: str) -> bool:
    return "\x00" not in value


def get_metric(ctx: Ctx, metric_id: str) -> Metric:
    if not _searchable(metric_id):
        raise NotFound("metric not found")
    metric: Metric = get_scoped(ctx.session, Metric, ctx.organization_id, metric_id)
    return metric


def find_by_code(ctx: Ctx, code: str) -> Metric | None:
    if not _searchable(code):
        return None
    stmt = scoped(Metric, ctx.organization_id).where(Metric.code == code)
    return ctx.session.scalars(stmt).one_or_none()


def resolve_metric(ctx: Ctx, id_or_code: str) -> Metric:
    """By id, else by code: people type codes, scripts pass ids."""
    try:
        return get_metric(ctx, id_or_code)
    except NotFound:
        metric = find_by_code(ctx, id_or_code)
        if metric is None:
            raise NotFound(f"metric '{id_or_code}' not found") from None
        return metric


def list_metrics(ctx: Ctx, page: PageRequest, *, archived: bool | None = None) -> Page[Metric]:
    """Metrics in creation order; `q` searches the code and the name."""
    for value in (page.q, page.starting_after):
        if value is not None and not _searchable(value):
            return Page([], False)
    stmt = scoped(Metric, ctx.organization_id)
    if archived is not None:
        stmt = stmt.where(Metric.archived == archived)
    return paginate(ctx.session, stmt, Metric, page, search_columns=(Metric.code, Metric.name))


def has_events(ctx: Ctx, code: str) -> bool:
    stmt = select(UsageEvent.id).where(
        UsageEvent.organization_id == ctx.organization_id, UsageEvent.metric_code == code
    )
    return ctx.session.scalars(stmt.limit(1)).first() is not None


# --- writes ------------------------------------------------------------------------------------


def _text(raw: Any, name: str, limit: int, errors: ErrorCollector, default: str) -> str:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return default
    if len(text) > limit:
        errors.add(name, f"at most {limit} characters")
    if "\x00" in text:
        errors.add(name, "may not contain the NUL character")
    return text


def _flag(raw: Any, name: str, errors: ErrorCollector) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw is None or raw == "":
        return False
    text = str(raw).strip().lower()
    if text in ("true", "1", "on", "yes"):
        return True
    if text in ("false", "0", "off", "no"):
        return False
    errors.add(name, "must be true or false")
    return False


def _definition(data: Mapping[str, Any], errors: ErrorCollector) -> tuple[MetricDefinition, str]:
    """The definition and the name from `data` (API names; strings accepted, as a form sends
    them). Every bad field is collected."""
    code = str(data.get("code") or "").strip()
    aggregation = parse_aggregation(data.get("aggregation"), errors)
    field = str(data.get("field") or "").strip() or None
    definition = MetricDefinition(
        code=code,
        aggregation=aggregation or Aggregation.COUNT,
        field=field,
        filters=parse_filters(data.get("filters"), errors),
        group_by=parse_group_by(data.get("group_by"), errors),
        recurring=_flag(data.get("recurring"), "recurring", errors),
        unit=_text(data.get("unit"), "unit", MAX_UNIT, errors, "unit"),
    )
    if aggregation is not None:
        check_definition(definition, errors)
    else:
        check_code(code, errors)
    name = _text(data.get("name"), "name", MAX_NAME, errors, code)
    return definition, name


def _valuation(
    ctx: Ctx, raw: Any, definition: MetricDefinition, errors: ErrorCollector
) -> str | None:
    """The id of the valuation SmartCode named by id or code (none when empty): one of the
    organization's, of the valuation kind, for an aggregation that reads a number."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    name = "valuation_smartcode_id"
    if _value_read(definition.aggregation) != "a number":
        kind = definition.aggregation.value
        errors.add(name, f"a {kind} metric reads no number for a SmartCode to give")
        return None
    try:  # SmartCodes are optional: ingestion refuses valued events without them
        from tarif.smartcodes import service as smartcodes
    except ImportError:
        errors.add(name, "valuation SmartCodes are not available")
        return None
    try:
        smartcode = smartcodes.resolve_smartcode(ctx, text)
    except NotFound:
        errors.add(name, f"unknown SmartCode '{text}'")
        return None
    if smartcode.kind != "valuation":
        errors.add(name, f"SmartCode '{smartcode.code}' is a {smartcode.kind} SmartCode")
        return None
    return smartcode.id


def _apply(metric: Metric, definition: MetricDefinition, name: str) -> None:
    metric.code = definition.code
    metric.name = name
    metric.unit = definition.unit
    metric.aggregation = definition.aggregation.value
    metric.field = definition.field
    metric.filters = [f.as_json() for f in definition.filters]
    metric.group_by = list(definition.group_by)
    metric.recurring = definition.recurring


def create_metric(ctx: Ctx, data: Mapping[str, Any]) -> Metric:
    ctx.require(Permission.WRITE_CATALOG)
    errors = ErrorCollector()
    for key in data:
        if key not in FIELDS:
            errors.add(key, "unknown field")
    definition, name = _definition(data, errors)
    valuation = _valuation(ctx, data.get("valuation_smartcode_id"), definition, errors)
    errors.raise_if_any("The metric has invalid fields")
    if find_by_code(ctx, definition.code) is not None:
        raise Conflict(f"a metric with code '{definition.code}' already exists")
    now = ctx.clock.now()
    metric = Metric(
        id=new_id("mtr"),
        organization_id=ctx.organization_id,
        archived=False,
        created_at=now,
        updated_at=now,
    )
    _apply(metric, definition, name)
    metric.valuation_smartcode_id = valuation
    ctx.session.add(metric)
    ctx.session.flush()
    record(ctx, "create", "metric", metric.id, None, snapshot(metric))
    return metric


def _value_read(aggregation: str) -> str:
    """What ingestion extracted from each event for this aggregation."""
    if aggregation == Aggregation.COUNT:
        return "nothing"
    if aggregation == Aggregation.UNIQUE_COUNT:
        return "a key"
    return "a number"


def update_metric(ctx: Ctx, metric_id: str, data: Mapping[str, Any]) -> Metric:
    """Changes any part of the definition given (absent fields are kept). Once events exist,
    the code, the field and the kind of value read stay: the events were stored with them."""
    ctx.require(Permission.WRITE_CATALOG)
    metric = get_metric(ctx, metric_id)
    errors = ErrorCollector()
    for key in data:
        if key not in FIELDS:
            errors.add(key, "unknown field")
    current = {
        "code": metric.code,
        "name": metric.name,
        "unit": metric.unit,
        "aggregation": metric.aggregation,
        "field": metric.field,
        "filters": list(metric.filters or []),
        "group_by": list(metric.group_by or []),
        "recurring": metric.recurring,
        "valuation_smartcode_id": metric.valuation_smartcode_id,
    }
    merged = current | {k: v for k, v in data.items() if k in FIELDS}
    definition, name = _definition(merged, errors)
    valuation = _valuation(ctx, merged["valuation_smartcode_id"], definition, errors)
    errors.raise_if_any("The metric has invalid fields")
    code_changes = definition.code != metric.code
    if code_changes and find_by_code(ctx, definition.code) is not None:
        raise Conflict(f"a metric with code '{definition.code}' already exists")
    field_changes = (definition.field or None) != (metric.field or None)
    value_changes = _value_read(definition.aggregation) != _value_read(metric.aggregation)
    # Stored events keep the value the SmartCode (or the field) gave them when they arrived.
    valuation_changes = valuation != metric.valuation_smartcode_id
    changes = code_changes or field_changes or value_changes or valuation_changes
    if changes and has_events(ctx, metric.code):
        what = (
            "code"
            if code_changes
            else "field"
            if field_changes
            else "aggregation"
            if value_changes
            else "valuation SmartCode"
        )
        raise Conflict(
            f"metric '{metric.code}' has events: its {what} cannot change "
            "(archive it and create another)",
            [],
        )
    before = snapshot(metric)
    _apply(metric, definition, name)
    metric.valuation_smartcode_id = valuation
    metric.updated_at = ctx.clock.now()
    ctx.session.flush()
    old, new = changed_only(before, snapshot(metric))
    if new:
        record(ctx, "update", "metric", metric.id, old, new)
    return metric


def archive_metric(ctx: Ctx, metric_id: str) -> Metric:
    """Ingestion refuses new events of an archived metric; its events stay and still count for
    the periods they belong to."""
    ctx.require(Permission.WRITE_CATALOG)
    metric = get_metric(ctx, metric_id)
    if not metric.archived:
        before = snapshot(metric)
        metric.archived = True
        metric.updated_at = ctx.clock.now()
        ctx.session.flush()
        old, new = changed_only(before, snapshot(metric))
        record(ctx, "archive", "metric", metric.id, old, new)
    return metric


def delete_metric(ctx: Ctx, metric_id: str) -> None:
    """Only a metric no event names: the others are archived instead (409)."""
    ctx.require(Permission.WRITE_CATALOG)
    metric = get_metric(ctx, metric_id)
    if has_events(ctx, metric.code):
        raise Conflict(f"metric '{metric.code}' has events: archive it instead", [])
    before = snapshot(metric)
    ctx.session.delete(metric)
    ctx.session.flush()
    record(ctx, "delete", "metric", metric_id, before, None)


# --- aggregation -------------------------------------------------------------------------------


def period_of(ctx: Ctx, start: date | None, end: date | None) -> UsagePeriod:
    """`[start, end)` in the organization's time zone, by default the current calendar month
    there; refused when empty or over five years."""
    org = ctx.session.get(Organization, ctx.organization_id)
    timezone = org.timezone if org is not None and org.timezone else "UTC"
    if (start is None) != (end is None):
        missing = "from" if start is None else "to"
        raise InvalidInput.on(missing, "give both from and to, or neither (this month)")
    if start is None or end is None:
        today = ctx.clock.now().astimezone(ZoneInfo(timezone)).date()
        start = today.replace(day=1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    if end <= start:
        raise InvalidInput.on("to", "must be after from (the period is [from, to))")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput.on("to", "a period spans at most five years")
    return UsagePeriod(start, end, timezone)


def _customer_id(ctx: Ctx, customer_id: str | None) -> str | None:
    """The customer's id when one is named (404 when it is not the organization's)."""
    if customer_id is None:
        return None
    if not _searchable(customer_id):
        raise NotFound("customer not found")
    customer: Customer = get_scoped(ctx.session, Customer, ctx.organization_id, customer_id)
    return customer.id


def aggregate_metric(
    ctx: Ctx,
    metric_id: str,
    customer_id: str | None,
    start: date | None = None,
    end: date | None = None,
    selection: EventSelection = ALL_EVENTS,
) -> list[AggregateRow]:
    """The metric's quantities over `[start, end)` (default: this month), one row per group,
    for one customer or, without one, the whole organization."""
    metric = get_metric(ctx, metric_id)
    customer = _customer_id(ctx, customer_id)
    period = period_of(ctx, start, end)
    return store_for(ctx).aggregate(
        ctx.organization_id,
        definition_of(metric),
        period,
        customer_id=customer,
        selection=selection,
    )


def events_counted(
    ctx: Ctx,
    metric_id: str,
    customer_id: str | None,
    start: date | None = None,
    end: date | None = None,
    *,
    starting_after: int | None = None,
    limit: int = 50,
    selection: EventSelection = ALL_EVENTS,
    contract_id: str | None = None,
) -> EventPage:
    """The events behind `aggregate_metric`'s quantity, a page at a time. With `contract_id`,
    those the contract counts (its customer's, by the billing run's rule `EventOwners`): a
    customer with several contracts on the metric has each count its own."""
    metric = get_metric(ctx, metric_id)
    customer = _customer_id(ctx, customer_id)
    period = period_of(ctx, start, end)
    own: str | None = None
    others: tuple[str, ...] = ()
    if contract_id is not None:
        # Invoicing reads usage: imported here, not at the top, so usage never imports it.
        from tarif.contracts.models import Contract
        from tarif.invoicing.current_usage import event_scope

        if not _searchable(contract_id):
            raise NotFound("contract not found")
        contract: Contract = get_scoped(ctx.session, Contract, ctx.organization_id, contract_id)
        if customer is not None and contract.customer_id != customer:
            raise InvalidInput.on("contract_id", "is not a contract of this customer")
        customer = contract.customer_id
        scope = event_scope(ctx, contract, metric.code)
        if scope.first:
            others = scope.others
        else:
            own = contract.id
    return store_for(ctx).list_events(
        ctx.organization_id,
        definition_of(metric),
        period,
        customer_id=customer,
        contract_id=own,
        other_contracts=others,
        selection=selection,
        starting_after=starting_after,
        limit=limit,
    )


def aggregate_all_customers(
    ctx: Ctx,
    metric_id: str,
    start: date | None = None,
    end: date | None = None,
    selection: EventSelection = ALL_EVENTS,
) -> dict[str, list[AggregateRow]]:
    """Every customer with events of the metric in `[start, end)`: one grouped query."""
    metric = get_metric(ctx, metric_id)
    period = period_of(ctx, start, end)
    return store_for(ctx).aggregate_many(
        ctx.organization_id, definition_of(metric), period, selection=selection
    )
