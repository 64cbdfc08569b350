"""Usage lines of a billing run: measure each due usage period in the store, price it, and
bill what late events add to periods already billed.

Chunk by chunk (`UsageRater.plan`), then once for the run (`UsageRater.finish`):

1. `usage_due` says which usage periods (or parts, when an amendment changed the charge inside
   one) are due by the run's day and not rated yet; the line's charge is its own or, when it
   has none, its pricelist entry's on the period's first day.
2. The watermark of each (customer, metric) moves to the end of the periods about to be rated,
   before anything is measured: an event stored from now on for those days is flagged late
   (ingestion reads the watermark; on PostgreSQL it waits for this run to commit).
3. Once every chunk has moved its watermarks, `finish` measures the due periods by metric and
   period, one SQL `GROUP BY` for every customer of the run (`EventStore.aggregate_many`; a
   month's events are read once, not once per chunk), with the percentage model's fee bands
   when the charge bounds each transaction's fee; then prices them by `rate_groups`, each line
   rounded once.
4. Late events (in `plan`): for each rated line whose periods got late events since the line
   was last rated (less a margin, for an event stored while that rating ran), each such period
   (for a recurring metric or a charge with prepaid units, each period from the late day on,
   oldest first) is rated again with all its events and the difference with what was billed
   becomes adjustment lines (`tarif.billing.usage_lines`), due with the line's next usage
   period (the run's day once the line has ended), so they land on the next invoice. With
   prepaid units, each period draws what the periods before it leave as they are rated now
   (`prepaid_used_before`: a period's latest rating, this run's first); a re-rating that
   changes only a period's draw still writes a 0.00 line, so the periods after it read it.
5. A period rated to no line at all (a pricing SmartCode returning none) gets one 0.00 line
   (part `NOTHING`), so it counts as rated. An invoice made only of 0.00 usage lines is
   finalized like any other, or kept as an unnumbered draft when the organization says so
   (`usage_pricing.kept_as_draft`).

Which events a contract counts: those naming it, and those naming no contract (or a contract
that does not measure the metric) when it is the customer's first contract (by id) that measures
the metric; a customer with several contracts measuring one metric should name the contract on
each event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tarif.billing.charges import Charge, ChargeKind
from tarif.billing.usage_lines import (
    FINAL,
    NOTHING,
    PROGRESSIVE,
    BilledPart,
    changes,
    next_revision,
    part_names,
    revision_part,
    split_part,
)
from tarif.billing.usage_periods import UsageDue, usage_due
from tarif.collector import collections_paused
from tarif.context import Ctx
from tarif.contracts import service_catalog as catalog
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.model import ContractLine, ContractTerms
from tarif.errors import Conflict
from tarif.ids import new_id
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.invoicing.usage_pricing import (
    USAGE_SOURCE,
    EventOwners,
    PrepaidPeriod,
    SmartCodePricer,
    charge_thresholds,
    drawn_by,
    for_part,
    measured_days,
    prepaid_drawn,
    prepaid_period,
    prepaid_used_before,
    usage_of,
)
from tarif.money import RoundingMode
from tarif.pricing.rating import RatedLine, rate_groups
from tarif.pricing.spec import ChargeSpec
from tarif.usage.aggregates import AggregateRow
from tarif.usage.metric_rules import Aggregation, MetricDefinition
from tarif.usage.metric_service import definition_of
from tarif.usage.models import Metric, UsageEvent, UsageWatermark
from tarif.usage.store import SqlEventStore

# A late event stored while the rating that should have counted it ran carries a received
# instant a little before that rating's: re-rating is idempotent, so a margin costs nothing.
LATE_MARGIN = timedelta(hours=1)


@dataclass(slots=True)
class UsageCharge:
    """One usage line for a draft: the core's charge plus its part and traceability."""

    contract_id: str
    product_id: str
    charge: Charge
    part: str
    usage: dict[str, Any]


@dataclass(slots=True)
class _Due:
    head: Any  # (id, customer_id, currency, reference)
    due: UsageDue
    terms: ContractTerms
    spec: ChargeSpec
    metric: MetricDefinition
    metric_id: str


@dataclass
class _History:
    """A contract line's rated usage periods: (start, end) → when last rated."""

    periods: dict[tuple[date, date], datetime] = field(default_factory=dict)

    @property
    def last_rated(self) -> datetime:
        return max(self.periods.values())


class UsageRater:
    """Rates the usage of a run's contracts, chunk by chunk (see the module)."""

    def __init__(self, ctx: Ctx, as_of: date, rounding: RoundingMode, timezone: str) -> None:
        self.ctx, self.as_of, self.rounding, self.timezone = ctx, as_of, rounding, timezone
        self.store = SqlEventStore(ctx.session)
        self.rated_at = ctx.clock.now()
        self._rated_at_text = self.rated_at.isoformat()
        # What every line of a metric (per run) or of a charge (per chunk) repeats in its trace.
        # Charges by identity: equal charges may be written differently (2 and 2.0) and each
        # trace keeps its own; a pricelist's charge is one object for all its contracts.
        self._metric_traces: dict[str, dict[str, Any]] = {}
        self._charge_json: dict[int, tuple[ChargeSpec, dict[str, Any]]] = {}
        self._described: dict[tuple[int, str], tuple[ChargeSpec, ChargeSpec]] = {}
        self._metrics: dict[str, tuple[str, MetricDefinition]] | None = None
        self._valued: set[str] = set()  # codes of metrics valued by a SmartCode
        # SmartCode version id → (SmartCode id, version number)
        self._version_owners: dict[str, tuple[str, int]] = {}
        self._quotes: dict[tuple[str | None, str, str, date], ChargeSpec | None] = {}
        # The run so far: periods planned by `plan`, measured and priced by `finish`.
        self._planned: list[_Due] = []
        self._earlier: dict[tuple[str, str, date, date], list[BilledPart]] = {}
        self._result: dict[str, list[UsageCharge]] = defaultdict(list)
        self._run_owners = EventOwners({})
        # Prepaid units drawn by the periods rated so far in this run (late re-ratings
        # included), not stored yet: a run catching up several periods draws the block down
        # period after period, each seeing what the ones before it draw now.
        self._prepaid_now: dict[tuple[str, str], dict[PrepaidPeriod, Decimal]] = {}

    # -- the chunk ---------------------------------------------------------------------------

    def rate(
        self, heads: Sequence[Any], versions_by: dict[str, list[ContractVersion]]
    ) -> dict[str, list[UsageCharge]]:
        """Each contract's usage lines due by the run's day (regular and late adjustments)."""
        self.plan(heads, versions_by)
        return self.finish()

    def plan(self, heads: Sequence[Any], versions_by: dict[str, list[ContractVersion]]) -> None:
        """A chunk's part of the run: what is due, watermarks moved, late adjustments made.
        Measuring the due periods waits for `finish`: once every chunk has moved its
        watermarks, each metric and period is measured once for the whole run."""
        with collections_paused():
            measuring = [h for h in heads if _has_usage(versions_by.get(h.id, ()))]
            if not measuring:
                return
            history = self._history([h.id for h in measuring])
            rated: dict[str, list[tuple[str, date, date]]] = defaultdict(list)
            for (contract_id, line_key), h in history.items():
                rated[contract_id] += [(line_key, start, end) for start, end in h.periods]
            dues: list[_Due] = []
            for head in measuring:
                versions = versions_by[head.id]
                for due in usage_due(versions, self.as_of, rated=rated.get(head.id, ())):
                    dues.append(self._due(head, versions, due))
            self._move_watermarks(dues)
            owners = self._owners(measuring, versions_by)
            self._run_owners.measuring.update(owners.measuring)
            self._planned += dues
            self._earlier.update(self._progressive([h.id for h in measuring], dues))
            self._late(measuring, versions_by, history, dues, owners, self._result)

    def finish(self) -> dict[str, list[UsageCharge]]:
        """The planned periods measured (one query per metric, period and fee thresholds for
        the whole run) and priced; with the late adjustments, each contract's usage lines."""
        with collections_paused():
            owners = self._run_owners
            result = self._result
            # Oldest periods first, so each draws what the earlier ones left of a prepaid block.
            batches = sorted(_by_aggregation(self._planned), key=lambda b: b[0].due.period.start)
            for batch in batches:
                first = batch[0]
                rows = self._measure(first, [d.head for d in batch], owners)
                for item in batch:
                    key = owners.key(item.metric.code, item.head)
                    earlier = self._earlier.get((item.head.id, *item.due.key))
                    if earlier:  # a trigger billed part of the period: bill the rest
                        lines = self._lines(
                            item, rows.get(key, []), next_revision(earlier), earlier, False
                        )
                    else:
                        lines = self._lines(item, rows.get(key, []), 1, None, False)
                    result[item.head.id] += lines
            self._planned, self._earlier, self._result = [], {}, defaultdict(list)
            self._run_owners = EventOwners({})
            self._prepaid_now = {}
            self._charge_json.clear()
            self._described.clear()
            return result

    # -- what is due --------------------------------------------------------------------------

    def _due(self, head: Any, versions: list[ContractVersion], due: UsageDue) -> _Due:
        terms = next(v.terms for v in versions if v.number == due.version)
        spec = self._spec(terms, due.line, due.period.start)
        if spec is None:
            raise Conflict(
                f"contract '{head.id}': usage line '{due.line_key}' has no charge (none on the "
                "line, none on its pricelist entry)"
            )
        metric_id, metric = self._metric(head.id, spec.metric)
        return _Due(head, due, terms, spec, metric, metric_id)

    def _spec(self, terms: ContractTerms, line: ContractLine, on: date) -> ChargeSpec | None:
        if line.charge is not None:
            return line.charge
        # Many contracts share a pricelist entry: its charge is looked up once a run.
        key = (terms.pricelist_id, terms.currency, line.product_id, on)
        if key not in self._quotes:
            self._quotes[key] = catalog.line_charge_on(self.ctx, terms, line, on)
        return self._quotes[key]

    def _metric(self, contract_id: str, code: str) -> tuple[str, MetricDefinition]:
        if self._metrics is None:
            rows = list(
                self.ctx.session.scalars(
                    select(Metric).where(Metric.organization_id == self.ctx.organization_id)
                )
            )
            self._metrics = {m.code: (m.id, definition_of(m)) for m in rows}
            self._valued = {m.code for m in rows if m.valuation_smartcode_id}
        found = self._metrics.get(code)
        if found is None:
            raise Conflict(f"contract '{contract_id}': its charge measures unknown metric '{code}'")
        return found

    def _history(self, contract_ids: Sequence[str]) -> dict[tuple[str, str], _History]:
        """Every rated usage period of these contracts and when it was last rated."""
        line = InvoiceLine
        stmt = (
            select(
                line.contract_id,
                line.line_key,
                line.period_start,
                line.period_end,
                func.max(Invoice.created_at),
            )
            .join(Invoice, Invoice.id == line.invoice_id)
            .where(
                line.organization_id == self.ctx.organization_id,
                line.source == USAGE_SOURCE,
                line.contract_id.in_(contract_ids),
                # billed by a trigger inside the period only: the period-end rating is due
                ~line.usage_part.startswith(PROGRESSIVE),
            )
            .group_by(line.contract_id, line.line_key, line.period_start, line.period_end)
        )
        history: dict[tuple[str, str], _History] = defaultdict(_History)
        for row in self.ctx.session.execute(stmt):
            contract_id, line_key, start, end, rated_at = row
            period = (cast(date, start), cast(date, end))
            history[(str(contract_id), str(line_key))].periods[period] = rated_at
        return history

    def _progressive(
        self, contract_ids: Sequence[str], dues: Sequence[_Due]
    ) -> dict[tuple[str, str, date, date], list[BilledPart]]:
        """The lines triggers billed inside the due periods, by (contract, line, period)."""
        if not dues:
            return {}
        line = InvoiceLine
        stmt = select(
            line.contract_id,
            line.line_key,
            line.period_start,
            line.period_end,
            line.usage_part,
            line.quantity,
            line.net_amount,
            line.unit_price,
            line.description,
        ).where(
            line.organization_id == self.ctx.organization_id,
            line.source == USAGE_SOURCE,
            line.contract_id.in_(contract_ids),
            line.usage_part.startswith(PROGRESSIVE),
            line.period_end >= min(d.due.period.end for d in dues),
        )
        found: dict[tuple[str, str, date, date], list[BilledPart]] = defaultdict(list)
        for row in self.ctx.session.execute(stmt):
            contract_id, line_key, start, end, part, quantity, net, price, text = row
            key = (str(contract_id), str(line_key), cast(date, start), cast(date, end))
            found[key].append(BilledPart(part, quantity, net, price, text))
        return found

    # -- watermarks ---------------------------------------------------------------------------

    def _move_watermarks(self, dues: Sequence[_Due]) -> None:
        """Events of days about to be rated are late from now on (see the module)."""
        until: dict[tuple[str, str], date] = {}
        for item in dues:
            key = (item.head.customer_id, item.metric.code)
            until[key] = max(until.get(key, item.due.period.end), item.due.period.end)
        if not until:
            return
        session = self.ctx.session
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = cast(Table, UsageWatermark.__table__)
        stmt = insert(table)
        later = (func.greatest if dialect == "postgresql" else func.max)(
            table.c.billed_until, stmt.excluded.billed_until
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["organization_id", "customer_id", "metric_code"],
            set_={"billed_until": later},
        )
        # One statement for the chunk, executed for many rows (in key order: two runs move
        # watermarks in the same order, so they wait for each other rather than deadlock).
        rows = [
            {
                "id": new_id("uwm"),
                "organization_id": self.ctx.organization_id,
                "customer_id": customer_id,
                "metric_code": code,
                "billed_until": end,
            }
            for (customer_id, code), end in sorted(until.items())
        ]
        session.execute(stmt, rows)

    # -- measuring and pricing ----------------------------------------------------------------

    def _owners(
        self, heads: Sequence[Any], versions_by: dict[str, list[ContractVersion]]
    ) -> EventOwners:
        """Per customer and metric, the contracts measuring it in id order (see the module)."""
        measures: dict[tuple[str, str], set[str]] = defaultdict(set)
        for head in heads:
            for version in versions_by[head.id]:
                for line in version.terms.lines:
                    if line.unit_price is not None:
                        continue
                    spec = self._spec(version.terms, line, version.terms.line_start(line))
                    if spec is not None:
                        measures[(head.customer_id, spec.metric)].add(head.id)
        return EventOwners({key: sorted(ids) for key, ids in measures.items()})

    def _measure(
        self,
        first: _Due,
        heads: Sequence[Any],
        owners: EventOwners,
        only: ColumnElement[bool] | None = None,
    ) -> dict[str, list[AggregateRow]]:
        period = measured_days(first.due.period, first.due.full_period, self.timezone)
        thresholds = charge_thresholds(first.spec)
        customers = sorted({h.customer_id for h in heads})
        return self.store.aggregate_many(
            self.ctx.organization_id,
            first.metric,
            period,
            customers,
            own_contracts=owners.own(first.metric.code, customers),
            thresholds=thresholds,
            only=only,
            valuation_versions=first.metric.code in self._valued,
        )

    def _lines(
        self,
        item: _Due,
        rows: Sequence[AggregateRow],
        revision: int,
        billed: Sequence[BilledPart] | None,
        adjustment: bool,
        due_on: date | None = None,
        prefix: str = FINAL,
        pinned: Mapping[str, str] | None = None,
    ) -> list[UsageCharge]:
        """The period's lines from its measured rows (with `billed`: the difference with
        it). A progressive rating (`prefix` PROGRESSIVE) leaves the minimum spend to the
        period's end. `pinned`: the pricing SmartCode versions a late re-rating keeps."""
        spec = item.spec
        if prefix == PROGRESSIVE:
            spec = replace(spec, minimum_spend=None)
        if not spec.description:
            label = item.due.line.description or item.metric.name or item.metric.code
            spec = self._labelled(spec, label)
        spec = for_part(
            spec, item.due.period, item.due.full_period, item.head.currency, self.rounding
        )
        prepaid_before = drawn = Decimal(0)
        days = prepaid_period(item.due.period.start, item.due.period.end)
        line_of = (item.head.id, item.due.line_key)
        if spec.prepaid_units:
            prepaid_before = prepaid_used_before(
                self.ctx, *line_of, item.due.period.start, self._prepaid_now.get(line_of)
            )
        usages = [usage_of(row, prepaid_before) for row in rows]
        smartcodes = SmartCodePricer(self.ctx, item.head.reference, item.due.period, pinned)
        rated = rate_groups(spec, usages, item.head.currency, self.rounding, smartcodes=smartcodes)
        if spec.prepaid_units:
            drawn = drawn_by(rated)
            if prefix == FINAL:
                # What the period draws now, late re-ratings included: the periods rated after
                # it in this run draw what it leaves.
                self._prepaid_now.setdefault(line_of, {})[days] = drawn
        made: list[tuple[str, RatedLine | None, Decimal, Decimal, str, Decimal]] = []
        late_prefix = _late_prefix(item.due.period.start, item.due.period.end)
        if billed is None:
            for part, rated_line in zip(part_names(rated), rated, strict=True):
                made.append(
                    (
                        part,
                        rated_line,
                        rated_line.quantity,
                        rated_line.net,
                        rated_line.description,
                        rated_line.unit_price,
                    )
                )
        else:
            for change in changes(rated, billed):
                # A part no longer reached keeps the words it was billed with; an earlier
                # adjustment's lose their "Late usage …" prefix, which is added again below.
                text = change.description.removeprefix(late_prefix)
                made.append(
                    (change.part, change.line, change.quantity, change.net, text, change.unit_price)
                )
            if not made and prefix == FINAL and self._record(item, days, drawn, adjustment):
                # Triggers billed it all, or a late re-rating changed only what the period
                # draws of a prepaid block: a 0.00 line still records the rating.
                made.append(_recorded(rated, spec))
        if not made and billed is None and prefix == FINAL:
            # Rated to no line (a pricing SmartCode returning none): a 0.00 line records it,
            # so the period counts as billed and a late event is an adjustment, not new usage.
            made.append(_recorded(rated, spec))
        measured = self._measured(item, rows)
        valuation = self._valuation_versions(rows)
        result = []
        for part, line, quantity, net, text, unit_price in made:
            if adjustment:
                text = late_prefix + text
            charge = Charge(
                line_key=item.due.line_key,
                version=item.due.version,
                amendment_id=None,
                kind=ChargeKind.USAGE,
                period=item.due.period,
                full_period=item.due.full_period,
                due_on=due_on or item.due.due_on,
                quantity=quantity,
                unit_price=unit_price,
                price_source=item.due.line.price_source,
                gross=net,
                discount_amount=Decimal(0),
                discounts=(),
                net=net,
                adjustment=adjustment,
                description=text,
            )
            trace = measured | {
                "revision": revision,
                "rated_kind": line.kind.value if line is not None else None,
                "explanation": line.explanation.to_json() if line is not None else None,
                "smartcode_versions": dict(smartcodes.used),
                "valuation_versions": valuation,
                "rated_at": self._rated_at_text,
                "prepaid_used_before": f"{prepaid_before:f}",
            }
            if spec.prepaid_units:
                trace["prepaid_drawn"] = f"{drawn:f}"  # the period's, read by `prepaid_drawn`
            result.append(
                UsageCharge(
                    item.head.id,
                    item.due.line.product_id,
                    charge,
                    revision_part(revision, part, prefix),
                    trace,
                )
            )
        return result

    def _record(self, item: _Due, days: PrepaidPeriod, drawn: Decimal, adjustment: bool) -> bool:
        """Whether a rating billing nothing new is still written (as a 0.00 line): always at the
        period's end after triggers (the period counts as rated once it has an `r` revision);
        for a late re-rating, when it changes what the period draws of a prepaid block, which
        the periods after it read from its latest lines."""
        if not adjustment:
            return True
        if not item.spec.prepaid_units:
            return False
        stored = prepaid_drawn(self.ctx, item.head.id, item.due.line_key, item.due.period.end)
        return stored.get(days, Decimal(0)) != drawn

    def _valuation_versions(self, rows: Sequence[AggregateRow]) -> dict[str, list[str]]:
        """SmartCode id → the versions of it (in number order) that valued the measured
        events: a line keeps the SmartCode versions behind its figures."""
        ids = {v for row in rows for v in row.valuation_versions}
        unknown = sorted(v for v in ids if v not in self._version_owners)
        if unknown:
            from tarif.smartcodes.models import SmartCodeVersion

            stmt = select(
                SmartCodeVersion.id, SmartCodeVersion.smartcode_id, SmartCodeVersion.number
            ).where(
                SmartCodeVersion.organization_id == self.ctx.organization_id,
                SmartCodeVersion.id.in_(unknown),
            )
            for version_id, smartcode_id, number in self.ctx.session.execute(stmt):
                self._version_owners[str(version_id)] = (str(smartcode_id), int(number))
        found: dict[str, list[str]] = {}
        known = sorted((self._version_owners[v], v) for v in ids if v in self._version_owners)
        for (smartcode_id, _), version_id in known:
            found.setdefault(smartcode_id, []).append(version_id)
        return found

    def _labelled(self, spec: ChargeSpec, label: str) -> ChargeSpec:
        """The charge with the line's label as its description, made once per charge object."""
        key = (id(spec), label)
        found = self._described.get(key)
        if found is None or found[0] is not spec:
            found = self._described[key] = (spec, _described(spec, label))
        return found[1]

    def _measured(self, item: _Due, rows: Sequence[AggregateRow]) -> dict[str, Any]:
        """What the line measured: the metric as defined then, the period, the events counted."""
        metric = item.metric
        fixed = self._metric_traces.get(item.metric_id)
        if fixed is None:
            fixed = self._metric_traces[item.metric_id] = _metric_trace(item.metric_id, metric)
        charge = self._charge_json.get(id(item.spec))
        if charge is None or charge[0] is not item.spec:
            charge = self._charge_json[id(item.spec)] = (item.spec, item.spec.to_json())
        start, end = item.due.period.start.isoformat(), item.due.period.end.isoformat()
        return fixed | {
            "period": [start, end],
            "timezone": self.timezone,
            # Each line's own copy: the trace is stored as JSON, never shared between lines.
            "charge": dict(charge[1]),
            "groups": [
                {
                    "group": dict(row.groups),
                    "quantity": f"{row.quantity:f}",
                    "event_count": row.event_count,
                }
                for row in rows
            ],
            "event_count": sum(row.event_count for row in rows),
            # The contract too: a customer's contracts on one metric each count their own.
            "events_url": (
                f"/v1/metrics/{item.metric_id}/events?customer_id={item.head.customer_id}"
                f"&contract_id={item.head.id}&from={start}&to={end}"
            ),
        }

    # -- late events --------------------------------------------------------------------------

    def _late(
        self,
        heads: Sequence[Any],
        versions_by: dict[str, list[ContractVersion]],
        history: dict[tuple[str, str], _History],
        dues: Sequence[_Due],
        owners: EventOwners,
        result: dict[str, list[UsageCharge]],
    ) -> None:
        """Adjustment lines for rated periods that late events changed (see the module)."""
        if not history:
            return
        next_due: dict[tuple[str, str], date] = {}
        for item in dues:
            key = (item.head.id, item.due.line_key)
            next_due.setdefault(key, item.due.due_on)
        by_id = {h.id: h for h in heads}
        # The lines to look at: those billed again in this run, and those that have ended.
        checked: dict[tuple[str, str], date] = {}
        for contract_id, line_key in history:
            latest = versions_by[contract_id][-1].terms
            line = latest.line(line_key)
            end = latest.line_end(line) if line is not None else None
            if (contract_id, line_key) in next_due:
                checked[(contract_id, line_key)] = next_due[(contract_id, line_key)]
            elif line is None or (end is not None and end <= self.as_of):
                checked[(contract_id, line_key)] = self.as_of
        if not checked:
            return
        late_days = self._late_days(
            {by_id[c].customer_id for c, _ in checked},
            min(history[key].last_rated for key in checked) - LATE_MARGIN,
            owners,
        )
        for (contract_id, line_key), due_on in sorted(checked.items()):
            head = by_id[contract_id]
            since = history[(contract_id, line_key)].last_rated - LATE_MARGIN
            versions = versions_by[contract_id]
            all_parts = {d.key: d for d in usage_due(versions, self.as_of)}
            for start, end in sorted(history[(contract_id, line_key)].periods):
                found = all_parts.get((line_key, start, end))
                if found is None:
                    continue
                item = self._due(head, versions, found)
                owner = owners.key(item.metric.code, head)
                days = late_days.get((owner, item.metric.code), {})
                # A recurring metric carries earlier days over, and a prepaid block is drawn
                # down period after period: a late event changes every period from its day on,
                # not only the one holding it. Oldest first, each draws what the ones before it
                # leave as rated now.
                first = date.min if item.metric.recurring or item.spec.prepaid_units else start
                if not any(first <= d < end and at > since for d, at in days.items()):
                    continue
                billed = self._billed(contract_id, line_key, start, end)
                rows = self._measure(item, [head], owners).get(owner, [])
                pinned = self._first_smartcodes(contract_id, line_key, start, end)
                result[contract_id] += self._lines(
                    item, rows, next_revision(billed), billed, True, due_on, pinned=pinned
                )

    def _late_days(
        self, customers: set[str], since: datetime, owners: EventOwners
    ) -> dict[tuple[str, str], dict[date, datetime]]:
        """(owner, metric) → late day → last received, for late events received since."""
        ev = UsageEvent
        stmt = (
            select(
                ev.customer_id,
                ev.contract_id,
                ev.metric_code,
                ev.local_date,
                func.max(ev.received_at),
            )
            .where(
                ev.organization_id == self.ctx.organization_id,
                ev.late.is_(True),
                ev.received_at > since,
                ev.customer_id.in_(sorted(customers)),
            )
            .group_by(ev.customer_id, ev.contract_id, ev.metric_code, ev.local_date)
        )
        found: dict[tuple[str, str], dict[date, datetime]] = defaultdict(dict)
        for customer_id, contract_id, code, day, received in self.ctx.session.execute(stmt):
            owner = owners.owner_of(code, customer_id, contract_id)
            days = found[(owner, code)]
            days[day] = max(days.get(day, received), received)
        return found

    def _first_smartcodes(
        self, contract_id: str, line_key: str, start: date, end: date
    ) -> dict[str, str]:
        """The pricing SmartCode versions of the period's first rating at its end (its lowest
        `r` revision: triggers' `p` ratings may come before it): a late re-rating prices with
        them, so a version saved since bills the late events only, never a new price for the
        usage already invoiced (docs/smartcodes.md)."""
        stmt = select(InvoiceLine.usage_part, InvoiceLine.usage).where(
            InvoiceLine.organization_id == self.ctx.organization_id,
            InvoiceLine.contract_id == contract_id,
            InvoiceLine.line_key == line_key,
            InvoiceLine.source == USAGE_SOURCE,
            InvoiceLine.period_start == start,
            InvoiceLine.period_end == end,
            InvoiceLine.usage_part.startswith(FINAL),
        )
        by_revision: dict[int, dict[str, str]] = defaultdict(dict)
        for part, trace in self.ctx.session.execute(stmt):
            versions = (trace or {}).get("smartcode_versions") or {}
            by_revision[split_part(str(part))[0]].update(versions)
        return by_revision[min(by_revision)] if by_revision else {}

    def _billed(self, contract_id: str, line_key: str, start: date, end: date) -> list[BilledPart]:
        stmt = select(
            InvoiceLine.usage_part,
            InvoiceLine.quantity,
            InvoiceLine.net_amount,
            InvoiceLine.unit_price,
            InvoiceLine.description,
        ).where(
            InvoiceLine.organization_id == self.ctx.organization_id,
            InvoiceLine.contract_id == contract_id,
            InvoiceLine.line_key == line_key,
            InvoiceLine.source == USAGE_SOURCE,
            InvoiceLine.period_start == start,
            InvoiceLine.period_end == end,
        )
        return [BilledPart(p, q, n, u, d) for p, q, n, u, d in self.ctx.session.execute(stmt)]


def _recorded(
    rated: Sequence[RatedLine], spec: ChargeSpec
) -> tuple[str, RatedLine | None, Decimal, Decimal, str, Decimal]:
    """A 0.00 line recording a rating that bills nothing new: under the rating's first part,
    or `NOTHING` when the rating gave no line."""
    zero = Decimal(0)
    if not rated:
        return NOTHING, None, zero, zero, spec.description or "", zero
    first = rated[0]
    return part_names(rated)[0], first, zero, zero, first.description, first.unit_price


def _late_prefix(start: date, end: date) -> str:
    """The words before an adjustment line's own: which period the late usage belongs to."""
    return f"Late usage {start.isoformat()} – {end.isoformat()}: "


def _has_usage(versions: Sequence[ContractVersion]) -> bool:
    return any(line.unit_price is None for v in versions for line in v.terms.lines)


def _by_aggregation(dues: Sequence[_Due]) -> list[list[_Due]]:
    """Due periods measured together: same metric, same days, same fee thresholds (and for a
    weighted sum, the same whole period its days are part of)."""
    groups: dict[tuple[Any, ...], list[_Due]] = {}
    for item in dues:
        weighted = item.metric.aggregation is Aggregation.WEIGHTED_SUM
        key = (
            item.metric.code,
            item.due.period.start,
            item.due.period.end,
            charge_thresholds(item.spec),
            item.due.full_period if weighted else None,
        )
        groups.setdefault(key, []).append(item)
    return list(groups.values())


def _described(spec: ChargeSpec, label: str) -> ChargeSpec:
    return replace(spec, description=label)


def _metric_trace(metric_id: str, metric: MetricDefinition) -> dict[str, Any]:
    """The metric as the line measured it (the same for every line of the run)."""
    return {
        "metric": metric.code,
        "metric_id": metric_id,
        "metric_name": metric.name,
        "unit": metric.unit,
        "aggregation": metric.aggregation.value,
        "field": metric.field,
        "filters": [f.as_json() for f in metric.filters],
        "group_by": list(metric.group_by),
        "recurring": metric.recurring,
    }
