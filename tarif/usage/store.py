"""The read side of usage events: aggregation of a metric over a period, pushed to the database.

`EventStore` is what billing and the metric pages call; `SqlEventStore` answers it with one SQL
`GROUP BY` per call on SQLite and PostgreSQL (another store, e.g. ClickHouse, implements the
same protocol). Events are never loaded into Python to be aggregated: sums of `value_micros`
are exact integers in the database, turned into `Decimal` at the end.

How each aggregation is computed (semantics and worked examples: `docs/usage.md`):
- count, sum, max, unique_count: plain aggregates of the selected events.
- latest: the value of the event with the greatest `(occurred_at, id)`, by a `row_number()`
  window per group.
- weighted_sum: events are increments of a level; a running `SUM() OVER` gives the level after
  each event, `LEAD()` the instant it changes again, and the sum of level × seconds held inside
  the period, divided by the period's seconds, is the average level. Instants are counted in
  whole seconds.
- recurring: the events before the period are selected too (from the beginning), so a sum or
  a level starts from what earlier periods left; counts and first/last instants stay the
  period's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Integer,
    Numeric,
    Select,
    String,
    and_,
    any_,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from tarif.db.types import UTCDateTime
from tarif.pricing.percentage import FeeThresholds
from tarif.usage.aggregates import (
    ALL_EVENTS,
    AggregateRow,
    EventSelection,
    LateMode,
    UsagePeriod,
    empty_row,
    quantity_from_micros,
    weighted_quantity,
)
from tarif.usage.metric_rules import (
    PROPERTY_PATTERN,
    Aggregation,
    FilterOp,
    MetricDefinition,
    PropertyFilter,
)
from tarif.usage.models import UsageEvent

# Bind parameters per query stay well under SQLite's 32,766 and PostgreSQL's 65,535.
CUSTOMERS_PER_QUERY = 20_000
MAX_EVENTS_PAGE = 100


@dataclass(frozen=True)
class EventRecord:
    """One stored event as the "events counted" list shows it."""

    id: int
    source: str
    transaction_id: str
    customer_id: str
    contract_id: str | None
    occurred_at: datetime
    local_date: date
    value: Decimal | None
    unique_key: str | None
    properties: Mapping[str, Any]
    late: bool
    received_at: datetime


@dataclass(frozen=True)
class CountedEvent:
    """One event a usage line counts, as an event trigger values it: its customer, the contract
    it names (if any), its value (None for an event without one) and its group-by values in
    the metric's order."""

    id: int
    customer_id: str
    contract_id: str | None
    value_micros: int | None
    received_at: datetime
    groups: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EventOwnership:
    """Which of a customer's events a contract counts: those naming it and, for the
    customer's first contract measuring the metric (`first`), those naming no contract or one
    not among `others` (the customer's other contracts measuring it)."""

    customer_id: str
    contract_id: str
    first: bool
    others: tuple[str, ...]


# Ids a statement reads at once (SQLite's bound parameters are limited).
IDS_PER_STATEMENT = 10_000


@dataclass(frozen=True)
class EventPage:
    events: list[EventRecord]
    has_more: bool

    @property
    def next_cursor(self) -> int | None:
        return self.events[-1].id if self.has_more and self.events else None


class EventStore(Protocol):
    def aggregate(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        *,
        customer_id: str | None = None,
        contract_id: str | None = None,
        selection: EventSelection = ALL_EVENTS,
    ) -> list[AggregateRow]:
        """One row per group (exactly one without group-by, zero when nothing was counted), for
        one customer, one contract, or the whole organization when neither is given."""
        ...

    def aggregate_many(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        customer_ids: Sequence[str] | None = None,
        *,
        selection: EventSelection = ALL_EVENTS,
        own_contracts: Sequence[str] = (),
        thresholds: FeeThresholds | None = None,
        valuation_versions: bool = False,
    ) -> dict[str, list[AggregateRow]]:
        """Every listed customer's rows (every customer with events when None) from one query
        grouped by customer: what a billing run over thousands of contracts calls.

        Events naming one of `own_contracts` are grouped under that contract's id instead of
        their customer's; with `thresholds`, each row also splits its transactions by fee bound
        (`AggregateRow.bands`); with `valuation_versions`, each row names the SmartCode versions
        that valued its events (`AggregateRow.valuation_versions`)."""
        ...

    def list_events(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        *,
        customer_id: str | None = None,
        contract_id: str | None = None,
        other_contracts: Sequence[str] = (),
        selection: EventSelection = ALL_EVENTS,
        starting_after: int | None = None,
        limit: int = 50,
    ) -> EventPage:
        """The period's events the metric counts, in id order, a page at a time.
        `contract_id` keeps the events naming that contract; `other_contracts` instead keeps
        those naming none of them (as `breakdown`)."""
        ...

    def events_by_id(
        self, organization_id: str, metric: MetricDefinition, ids: Sequence[int]
    ) -> list[CountedEvent]:
        """The events among `ids` that are the metric's and pass its filters, in id order."""
        ...


# --- JSON properties, per dialect ----------------------------------------------------------------


class _Properties:
    """Reads event properties in SQL: `json_extract` on SQLite, `->>` on PostgreSQL. Names are
    checked identifiers (`PROPERTY_PATTERN`), written into the SQL as constants so that the
    same expression in SELECT and GROUP BY is the same text."""

    def __init__(self, dialect: str) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"no SQL event store for the {dialect} database")
        self.dialect = dialect
        self.column = UsageEvent.__table__.c.properties

    def _checked(self, name: str) -> str:
        if not PROPERTY_PATTERN.fullmatch(name):
            raise ValueError(f"'{name}' is not a property name")
        return name

    def text(self, name: str) -> ColumnElement[Any]:
        """The property as text (NULL when the event lacks it)."""
        name = self._checked(name)
        if self.dialect == "sqlite":
            extracted = func.json_extract(self.column, literal_column(f"'$.{name}'"))
            return cast(extracted, String)
        return self.column.op("->>")(literal_column(f"'{name}'"))

    def number(self, name: str) -> ColumnElement[Any]:
        """The property as a number when it is a JSON number or a decimal string such as
        "-12.50", else NULL (so a numeric filter leaves the event out)."""
        name = self._checked(name)
        if self.dialect == "postgresql":
            raw = self.text(name)
            return case(
                (raw.op("~")(literal_column(r"'^[-+]?[0-9]+(\.[0-9]+)?$'")), cast(raw, Numeric)),
                else_=null(),
            )
        path = literal_column(f"'$.{name}'")
        kind = func.json_type(self.column, path)
        raw = func.json_extract(self.column, path)
        # A decimal string: a digit (after one optional sign), then digits and at most one
        # point, not last; the same strings as PostgreSQL's pattern above.
        decimal_text = and_(
            or_(raw.op("GLOB")("[0-9]*"), raw.op("GLOB")("[-+][0-9]*")),
            not_(func.substr(raw, 2).op("GLOB")("*[^0-9.]*")),
            not_(raw.op("GLOB")("*.*.*")),
            not_(raw.op("GLOB")("*.")),
        )
        return case(
            (kind.in_(("integer", "real")), raw),
            (and_(kind == "text", decimal_text), cast(raw, Numeric)),
            else_=null(),
        )

    def passes(self, rule: PropertyFilter) -> ColumnElement[bool]:
        if rule.op == FilterOp.EQ:
            return self.text(rule.property) == rule.value
        if rule.op == FilterOp.IN:
            return self.text(rule.property).in_(list(rule.value))
        if rule.op == FilterOp.NOT_IN:
            prop = self.text(rule.property)
            return or_(prop.is_(None), prop.not_in(list(rule.value)))
        # The threshold goes through the same cast as the property: exact NUMERIC on
        # PostgreSQL, SQLite's own number otherwise (its drivers bind no Decimal).
        threshold = cast(literal(str(rule.value), String), Numeric)
        number = self.number(rule.property)
        comparisons: dict[FilterOp, ColumnElement[bool]] = {
            FilterOp.GT: number > threshold,
            FilterOp.GTE: number >= threshold,
            FilterOp.LT: number < threshold,
            FilterOp.LTE: number <= threshold,
        }
        return comparisons[rule.op]

    def epoch_seconds(self, column: Any) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            return cast(func.strftime("%s", column), Integer)
        return cast(func.floor(func.extract("epoch", column)), BigInteger)


# --- the SQL store -------------------------------------------------------------------------------


class SqlEventStore:
    """`EventStore` on the application's database (SQLite or PostgreSQL), in the caller's
    transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.props = _Properties(session.get_bind().dialect.name)

    # -- public ------------------------------------------------------------------------------

    def aggregate(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        *,
        customer_id: str | None = None,
        contract_id: str | None = None,
        selection: EventSelection = ALL_EVENTS,
    ) -> list[AggregateRow]:
        ev = UsageEvent.__table__.c
        scope: list[ColumnElement[bool]] = []
        if customer_id is not None:
            scope.append(ev.customer_id == customer_id)
        if contract_id is not None:
            scope.append(ev.contract_id == contract_id)
        stmt = self._aggregate_query(organization_id, metric, period, scope, selection, False)
        rows = [self._row(metric, period, r) for r in self.session.execute(stmt)]
        return _complete(metric, _kept(rows))

    def aggregate_many(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        customer_ids: Sequence[str] | None = None,
        *,
        selection: EventSelection = ALL_EVENTS,
        own_contracts: Sequence[str] = (),
        thresholds: FeeThresholds | None = None,
        only: ColumnElement[bool] | None = None,
        valuation_versions: bool = False,
    ) -> dict[str, list[AggregateRow]]:
        ev = UsageEvent.__table__.c
        if customer_ids is None:
            scopes: list[list[ColumnElement[bool]]] = [[]]
        else:
            wanted = sorted(set(customer_ids))
            scopes = [
                [self._one_of(ev.customer_id, wanted[i : i + CUSTOMERS_PER_QUERY])]
                for i in range(0, len(wanted), CUSTOMERS_PER_QUERY)
            ]
        found: dict[str, list[AggregateRow]] = {}
        for scope in scopes:
            stmt = self._aggregate_query(
                organization_id,
                metric,
                period,
                scope if only is None else [*scope, only],
                selection,
                True,
                own_contracts=sorted(set(own_contracts)),
                thresholds=thresholds,
                valuation_versions=valuation_versions,
            )
            for r in self.session.execute(stmt):
                found.setdefault(r.customer_id, []).append(self._row(metric, period, r))
        result = {owner: _complete(metric, _kept(rows)) for owner, rows in found.items()}
        for owner in [*(customer_ids or ()), *own_contracts]:
            if owner not in result:
                result[owner] = _complete(metric, [])
        return result

    def list_events(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        *,
        customer_id: str | None = None,
        contract_id: str | None = None,
        other_contracts: Sequence[str] = (),
        selection: EventSelection = ALL_EVENTS,
        starting_after: int | None = None,
        limit: int = 50,
    ) -> EventPage:
        limit = max(1, min(limit, MAX_EVENTS_PAGE))
        ev = UsageEvent.__table__.c
        conditions = self._conditions(organization_id, metric, period, selection, in_period=True)
        if customer_id is not None:
            conditions.append(ev.customer_id == customer_id)
        if contract_id is not None:
            conditions.append(ev.contract_id == contract_id)
        elif other_contracts:
            conditions.append(
                or_(ev.contract_id.is_(None), ev.contract_id.not_in(list(other_contracts)))
            )
        if starting_after is not None:
            conditions.append(ev.id > starting_after)
        stmt = select(UsageEvent).where(*conditions).order_by(ev.id).limit(limit + 1)
        found = list(self.session.scalars(stmt))
        events = [
            EventRecord(
                id=e.id,
                source=e.source,
                transaction_id=e.transaction_id,
                customer_id=e.customer_id,
                contract_id=e.contract_id,
                occurred_at=e.occurred_at,
                local_date=e.local_date,
                value=None if e.value_micros is None else quantity_from_micros(e.value_micros),
                unique_key=e.unique_key,
                properties=dict(e.properties or {}),
                late=e.late,
                received_at=e.received_at,
            )
            for e in found[:limit]
        ]
        return EventPage(events, len(found) > limit)

    def breakdown(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        dimensions: Sequence[str],
        *,
        customer_id: str,
        contract_id: str | None = None,
        other_contracts: Sequence[str] = (),
        group: Mapping[str, str] | None = None,
        selection: EventSelection = ALL_EVENTS,
        thresholds: FeeThresholds | None = None,
    ) -> list[BreakdownRow]:
        """The period's counted events of one customer grouped by `dimensions` (`day`, `month`
        or event properties), one SQL `GROUP BY`: each group's quantity (None when the
        aggregation does not measure per group: latest, weighted sum) and event count; with
        `thresholds`, each group's transactions split by fee bound as rating split them.

        `contract_id` keeps the events naming that contract; `other_contracts` instead keeps
        those naming none of them (a customer's first contract counts those); `group` keeps
        the events of one of the metric's groups ('' matching a missing property)."""
        ev = UsageEvent.__table__.c
        where = self._conditions(organization_id, metric, period, selection, in_period=True)
        where.append(ev.customer_id == customer_id)
        if contract_id is not None:
            where.append(ev.contract_id == contract_id)
        elif other_contracts:
            where.append(or_(ev.contract_id.is_(None), ev.contract_id.not_in(other_contracts)))
        for name, value in (group or {}).items():
            prop = self.props.text(name)
            where.append(or_(prop.is_(None), prop == "") if value == "" else prop == value)
        keys: list[ColumnElement[Any]] = []
        for i, name in enumerate(dimensions):
            keys.append(self._dimension(name).label(f"k{i}"))
        kind = metric.aggregation
        quantity: ColumnElement[Any] = null()
        if kind == Aggregation.COUNT:
            quantity = func.count()
        elif kind == Aggregation.SUM:
            quantity = func.sum(ev.value_micros)
        elif kind == Aggregation.MAX:
            quantity = func.max(ev.value_micros)
        elif kind == Aggregation.UNIQUE_COUNT:
            quantity = func.count(ev.unique_key.distinct())
        stmt = select(
            *keys,
            quantity.label("quantity"),
            func.count().label("event_count"),
            *_band_columns(ev, thresholds, in_period=True),
        )
        stmt = stmt.where(*where)
        if keys:
            stmt = stmt.group_by(*keys).order_by(*keys)
        rows = []
        for r in self.session.execute(stmt):
            if r.event_count == 0:
                continue  # no group by: SQL's one row over nothing
            raw = r.quantity
            if raw is None:
                amount = None
            elif kind in (Aggregation.COUNT, Aggregation.UNIQUE_COUNT):
                amount = Decimal(int(raw))
            else:
                amount = quantity_from_micros(int(raw))
            values = {name: getattr(r, f"k{i}") for i, name in enumerate(dimensions)}
            texts = {k: _text(v) for k, v in values.items()}
            rows.append(BreakdownRow(texts, amount, int(r.event_count), _bands_of(r)))
        return rows

    def events_by_id(
        self, organization_id: str, metric: MetricDefinition, ids: Sequence[int]
    ) -> list[CountedEvent]:
        """The events among `ids` that are the metric's and pass its filters, in id order (an
        event trigger's events to value; which contract counts each is the caller's rule)."""
        ev = UsageEvent.__table__.c
        names = list(metric.group_by)
        columns = [
            ev.id,
            ev.customer_id,
            ev.contract_id,
            ev.value_micros,
            ev.received_at,
            *(self.props.text(n) for n in names),
        ]
        conditions = [
            ev.organization_id == organization_id,
            ev.metric_code == metric.code,
            *(self.props.passes(rule) for rule in metric.filters),
        ]
        found: list[CountedEvent] = []
        ordered = sorted(ids)
        for first in range(0, len(ordered), IDS_PER_STATEMENT):
            chunk = ordered[first : first + IDS_PER_STATEMENT]
            if self.props.dialect == "postgresql":
                among = ev.id == any_(cast(literal(chunk, ARRAY(BigInteger)), ARRAY(BigInteger)))
            else:
                among = ev.id.in_(chunk)
            stmt = select(*columns).where(*conditions, among).order_by(ev.id)
            found += [
                CountedEvent(
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    tuple(
                        (n, "" if v is None else str(v))
                        for n, v in zip(names, row[5:], strict=True)
                    ),
                )
                for row in self.session.execute(stmt)
            ]
        return found

    def _dimension(self, name: str) -> ColumnElement[Any]:
        ev = UsageEvent.__table__.c
        if name == "day":
            # The column itself (a cast would hide it from the index's order): made text below.
            return ev.local_date
        if name == "month":
            if self.props.dialect == "sqlite":
                return func.strftime("%Y-%m", ev.local_date)
            return func.to_char(ev.local_date, "YYYY-MM")
        return self.props.text(name)

    # -- SQL building ------------------------------------------------------------------------

    def _one_of(self, column: Any, values: list[str]) -> ColumnElement[bool]:
        """`column IN (…)`; on PostgreSQL `= ANY(array)`: one parameter instead of thousands,
        which the planner hashes."""
        if self.props.dialect == "postgresql":
            return column == any_(cast(literal(values, ARRAY(String)), ARRAY(String)))
        return column.in_(values)  # type: ignore[no-any-return]

    def _conditions(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        selection: EventSelection,
        *,
        in_period: bool,
    ) -> list[ColumnElement[bool]]:
        ev = UsageEvent.__table__.c
        conditions: list[ColumnElement[bool]] = [
            ev.organization_id == organization_id,
            ev.metric_code == metric.code,
            ev.local_date < period.end,
        ]
        if in_period:
            conditions.append(ev.local_date >= period.start)
        if selection.late == LateMode.EXCLUDE:
            conditions.append(ev.late.is_(False))
        elif selection.late == LateMode.ONLY:
            conditions.append(ev.late.is_(True))
            if selection.received_after is not None:
                conditions.append(ev.received_at > selection.received_after)
        conditions.extend(self.props.passes(rule) for rule in metric.filters)
        return conditions

    def _aggregate_query(
        self,
        organization_id: str,
        metric: MetricDefinition,
        period: UsagePeriod,
        scope: list[ColumnElement[bool]],
        selection: EventSelection,
        by_customer: bool,
        *,
        own_contracts: Sequence[str] = (),
        thresholds: FeeThresholds | None = None,
        valuation_versions: bool = False,
    ) -> Select[Any]:
        """`SELECT [customer_id,] g0…gn, quantity, event_count, first_at, last_at … GROUP BY`
        over a subquery of the selected events (windows, when the aggregation needs them,
        are computed in it); with `valuation_versions`, the distinct SmartCode versions that
        valued those events, comma-separated."""
        ev = UsageEvent.__table__.c
        where = self._conditions(
            organization_id, metric, period, selection, in_period=not metric.recurring
        )
        owner: ColumnElement[Any] = ev.customer_id
        if own_contracts:
            owner = case(
                (self._one_of(ev.contract_id, list(own_contracts)), ev.contract_id),
                else_=ev.customer_id,
            )
        keys: list[ColumnElement[Any]] = [owner.label("customer_id")] if by_customer else []
        keys += [self.props.text(name).label(f"g{i}") for i, name in enumerate(metric.group_by)]
        in_period: ColumnElement[Any] = literal_column("1")
        if metric.recurring:
            in_period = case((ev.local_date >= period.start, 1), else_=0)
        columns: list[ColumnElement[Any]] = [
            *keys,
            ev.id.label("id"),
            ev.occurred_at.label("occurred_at"),
            ev.value_micros.label("value_micros"),
            ev.unique_key.label("unique_key"),
            in_period.label("in_period"),
        ]
        if valuation_versions:
            columns.append(ev.smartcode_version_id.label("version_id"))
        partition = list(keys)
        order = [ev.occurred_at, ev.id]
        if metric.aggregation == Aggregation.LATEST:
            columns.append(
                func.row_number()
                .over(partition_by=partition, order_by=[ev.occurred_at.desc(), ev.id.desc()])
                .label("rn")
            )
        if metric.aggregation == Aggregation.WEIGHTED_SUM:
            epoch = self.props.epoch_seconds(ev.occurred_at)
            columns += [
                epoch.label("t"),
                func.sum(ev.value_micros)
                .over(partition_by=partition, order_by=order, rows=(None, 0))
                .label("level"),
                func.lead(epoch).over(partition_by=partition, order_by=order).label("next_t"),
            ]
        events = select(*columns).where(*where, *scope).subquery("events")
        c = events.c
        group_cols = [c[k.key] for k in keys]
        quantity = self._quantity(metric, period, c)
        if metric.recurring:  # earlier periods' events count in the quantity only
            counted = c.in_period == 1
            event_count: ColumnElement[Any] = func.sum(c.in_period)
            first_at = func.min(case((counted, c.occurred_at)))
            last_at = func.max(case((counted, c.occurred_at)))
        else:
            event_count = func.count()
            first_at = func.min(c.occurred_at)
            last_at = func.max(c.occurred_at)
        stmt = select(
            *group_cols,
            quantity.label("quantity"),
            event_count.label("event_count"),
            type_coerce(first_at, UTCDateTime()).label("first_at"),
            type_coerce(last_at, UTCDateTime()).label("last_at"),
            *_band_columns(c, thresholds),
        )
        if valuation_versions:
            versions = (
                func.string_agg(c.version_id.distinct(), literal_column("','"))
                if self.props.dialect == "postgresql"
                else func.group_concat(c.version_id.distinct())
            )
            stmt = stmt.add_columns(versions.label("versions"))
        return stmt.group_by(*group_cols) if group_cols else stmt

    def _quantity(self, metric: MetricDefinition, period: UsagePeriod, c: Any) -> Any:
        kind = metric.aggregation
        if kind == Aggregation.COUNT:
            return func.count()
        if kind == Aggregation.SUM:
            return func.sum(c.value_micros)
        if kind == Aggregation.MAX:
            return func.max(c.value_micros)
        if kind == Aggregation.UNIQUE_COUNT:
            return func.count(c.unique_key.distinct())
        if kind == Aggregation.LATEST:
            return func.max(case((c.rn == 1, c.value_micros)))
        # weighted_sum: level × seconds it is held inside [S, E).
        start = int(period.starts_at.timestamp())
        end = int(period.ends_at.timestamp())
        held_from = case((c.t < start, start), else_=c.t)
        held_until = case((or_(c.next_t.is_(None), c.next_t > end), end), else_=c.next_t)
        seconds = case((held_until > held_from, held_until - held_from), else_=0)
        level = func.coalesce(c.level, 0)
        if self.props.dialect == "postgresql":
            level = cast(level, Numeric)  # no bigint overflow in level × seconds
        return func.sum(level * seconds)

    def _row(self, metric: MetricDefinition, period: UsagePeriod, r: Any) -> AggregateRow:
        raw = r.quantity
        if metric.aggregation in (Aggregation.COUNT, Aggregation.UNIQUE_COUNT):
            quantity = Decimal(int(raw or 0))
        elif metric.aggregation == Aggregation.WEIGHTED_SUM:
            seconds = period.weighting_seconds
            quantity = weighted_quantity(None if raw is None else int(raw), seconds)
        else:
            quantity = quantity_from_micros(None if raw is None else int(raw))
        groups = {name: getattr(r, f"g{i}") for i, name in enumerate(metric.group_by)}
        bands = _bands_of(r)
        versions: tuple[str, ...] = ()
        if "versions" in r._fields and r.versions:
            versions = tuple(sorted(set(str(r.versions).split(","))))
        return AggregateRow(
            quantity=quantity,
            groups=groups,
            event_count=int(r.event_count or 0),
            first_event_at=r.first_at,
            last_event_at=r.last_at,
            bands=bands,
            valuation_versions=versions,
        )


@dataclass(frozen=True)
class BreakdownRow:
    """One group of `SqlEventStore.breakdown`."""

    keys: dict[str, str | None]
    quantity: Decimal | None
    event_count: int
    # With fee thresholds: (below count, between count, between amount sum, above count).
    bands: tuple[int, int, Decimal, int] | None = None


def _bands_of(r: Any) -> tuple[int, int, Decimal, int] | None:
    """A row's transactions split by fee bound, when the query asked for it."""
    if "below_count" not in r._fields:
        return None
    return (
        int(r.below_count or 0),
        int(r.between_count or 0),
        quantity_from_micros(None if r.between_micros is None else int(r.between_micros)),
        int(r.above_count or 0),
    )


def _text(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None else str(value)


def _band_columns(
    c: Any, thresholds: FeeThresholds | None, *, in_period: bool = False
) -> list[ColumnElement[Any]]:
    """The period's transactions split by fee bound (`tarif.pricing.percentage`): counts of
    those below the minimum and above the maximum fee, count and sum of those between.
    `in_period`: every row read is of the period (else its `in_period` column says)."""
    if thresholds is None:
        return []
    # A recurring metric's earlier events are not this period's.
    own = literal(True) if in_period else c.in_period == 1
    below = (
        and_(own, c.value_micros < thresholds.below_micros)
        if thresholds.below_micros is not None
        else literal(False)
    )
    above = (
        and_(own, c.value_micros > thresholds.above_micros)
        if thresholds.above_micros is not None
        else literal(False)
    )
    between = and_(own, not_(below), not_(above))
    return [
        func.sum(case((below, 1), else_=0)).label("below_count"),
        func.sum(case((between, 1), else_=0)).label("between_count"),
        func.sum(case((between, c.value_micros), else_=0)).label("between_micros"),
        func.sum(case((above, 1), else_=0)).label("above_count"),
    ]


def _kept(rows: list[AggregateRow]) -> list[AggregateRow]:
    """Groups a recurring metric carries at zero, with no event of the period, say nothing."""
    kept = [r for r in rows if r.event_count or r.quantity]
    return sorted(kept, key=lambda r: tuple((v is not None, v or "") for v in r.groups.values()))


def _complete(metric: MetricDefinition, rows: list[AggregateRow]) -> list[AggregateRow]:
    """Without group-by there is always exactly one row: zero when nothing was counted."""
    if metric.group_by:
        return rows
    return rows or [empty_row()]
