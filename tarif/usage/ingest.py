"""Use case of ingestion: check a batch of events against the organization and store the good ones.

Per batch, whatever its size: one read of the organization, one of the metrics named, one of
the customers, one of the contracts (when some events name one), one of the watermarks, then
one write (`EventWriter`). Everything between is plain Python over plain values
(`event_rules`). Good events are stored even when others of the batch are refused: the one
exception to "a request is all or nothing", since a refused event must not block the usage
that came with it (each event's answer says what happened to it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import String, bindparam, func, literal_column, or_, select, tuple_

from tarif.context import Ctx
from tarif.contracts.models import Contract
from tarif.customers.models import Customer
from tarif.db.among import among
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission
from tarif.usage import valuation
from tarif.usage.event_rules import (
    Candidate,
    Directory,
    LatePolicy,
    MetricSpec,
    Policy,
    Rejection,
    Row,
    Status,
    first_of_each_key,
    resolve,
)
from tarif.usage.ingest_store import EventWriter, writer_for
from tarif.usage.models import Metric, UsageEvent, UsageWatermark

MAX_BATCH_EVENTS = 10_000


def _json_default(value: object) -> object:
    # JSON numbers are read as Decimal (exact values); stored back as JSON numbers.
    if isinstance(value, Decimal):
        # A property kept as a JSON number (shortest repr round-trips); what billing counts was
        # taken exactly into `value_micros` before.
        return float(value) if value != value.to_integral_value() else int(value)  # float-ok
    raise TypeError(f"{type(value).__name__} is not JSON")


_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_json_default, check_circular=False
)


def dumps(value: Any) -> str:
    """Compact JSON text of event properties, as stored. orjson writes the same text several
    times faster; it refuses what it cannot write alike (`Decimal`s, integers past 64 bits,
    lone surrogates, keys that are not strings), which the standard encoder then writes."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, UnicodeDecodeError):  # orjson.JSONEncodeError is a TypeError
        return _encoder.encode(value)


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """JSON as sent, numbers exact: `12.5` is `Decimal("12.5")`, never a float. `NaN` and
    `Infinity`, which Python's reader takes but JSON has not, are refused (ValueError)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_not_a_number)


@dataclass(slots=True)
class Outcome:
    index: int
    status: Status
    event_id: int | None = None
    field: str | None = None
    detail: str | None = None
    too_large: bool = False


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


def policy_of(ctx: Ctx) -> Policy:
    # The three settings, not the whole organization: one short row a batch.
    timezone, tolerance, late_policy = ctx.session.execute(
        select(
            Organization.timezone,
            Organization.future_event_tolerance_seconds,
            Organization.late_usage_policy,
        ).where(Organization.id == ctx.organization_id)
    ).one()
    return Policy(
        timezone=ZoneInfo(timezone),
        received_at=ctx.clock.now(),
        future_tolerance=timedelta(seconds=tolerance),
        late_policy=LatePolicy(late_policy),
        valuation_available=valuation.available(),
    )


def _among(column: Any, values: set[str], dialect: str) -> Any:
    """`column IN values`: on PostgreSQL one array parameter (`tarif.db.among`), on SQLite one
    JSON array read back as rows by `json_each`, so a batch naming a thousand customers sends
    one parameter, not a thousand to render and bind."""
    if dialect == "postgresql":
        return among(column, sorted(values), dialect)
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(sorted(values)), type_=String()))
        return column.in_(select(literal_column("value")).select_from(listed))
    return column.in_(values)


def load_directory(ctx: Ctx, candidates: Sequence[Candidate]) -> Directory:
    """The metrics, customers, contracts and watermarks the batch names: one query each."""
    return load_directory_for(
        ctx,
        {c.metric for c in candidates},
        {c.customer for c in candidates if c.customer is not None},
        {c.contract for c in candidates if c.contract is not None},
    )


def load_directory_for(
    ctx: Ctx, codes: set[str], external_ids: set[str], contract_names: set[str]
) -> Directory:
    """The metrics, customers and contracts named, and the watermarks of those customers."""
    org_id = ctx.organization_id
    session = ctx.session
    dialect = session.get_bind().dialect.name
    metrics = {
        code: MetricSpec(code, aggregation, field_name, archived, smartcode)
        for code, aggregation, field_name, archived, smartcode in session.execute(
            select(
                Metric.code,
                Metric.aggregation,
                Metric.field,
                Metric.archived,
                Metric.valuation_smartcode_id,
            ).where(Metric.organization_id == org_id, _among(Metric.code, codes, dialect))
        )
    }
    customers: dict[str, str] = {}
    if external_ids:
        customers = {
            external_id: customer_id
            for external_id, customer_id in session.execute(
                select(Customer.external_id, Customer.id).where(
                    Customer.organization_id == org_id,
                    _among(Customer.external_id, external_ids, dialect),
                )
            )
        }
    contracts: dict[str, tuple[str, str]] = {}
    if contract_names:
        for contract_id, reference, customer_id in session.execute(
            select(Contract.id, Contract.reference, Contract.customer_id).where(
                Contract.organization_id == org_id,
                or_(Contract.id.in_(contract_names), Contract.reference.in_(contract_names)),
            )
        ):
            contracts[contract_id] = contracts[reference] = (contract_id, customer_id)
    customer_ids = set(customers.values()) | {owner for _, owner in contracts.values()}
    watermarks = {}
    if customer_ids and metrics:
        watermarks = {
            (customer_id, code): billed_until
            for customer_id, code, billed_until in session.execute(
                select(
                    UsageWatermark.customer_id,
                    UsageWatermark.metric_code,
                    UsageWatermark.billed_until,
                )
                .where(
                    UsageWatermark.organization_id == org_id,
                    _among(UsageWatermark.customer_id, customer_ids, dialect),
                    _among(UsageWatermark.metric_code, set(metrics), dialect),
                )
                # FOR SHARE on PostgreSQL: a billing run moving one of these watermarks (it
                # does so before measuring) makes the batch wait for its commit, so an event of
                # the days it rates is flagged late rather than missed.
                .with_for_update(read=True)
            )
        }
    return Directory(metrics, customers, contracts, watermarks)


def _stored_keys(ctx: Ctx, keys: Iterable[tuple[str | None, str | None]]) -> set[tuple[str, str]]:
    wanted = {(s, t) for s, t in keys if s is not None and t is not None}
    if not wanted:
        return set()
    found = ctx.session.execute(
        select(UsageEvent.source, UsageEvent.transaction_id).where(
            UsageEvent.organization_id == ctx.organization_id,
            tuple_(UsageEvent.source, UsageEvent.transaction_id).in_(wanted),
        )
    )
    return {(s, t) for s, t in found}


def check_candidates(
    ctx: Ctx, candidates: Sequence[Candidate], policy: Policy
) -> tuple[list[Row], list[Rejection]]:
    """The rows of the well-formed events the organization's data accepts, valued (by the
    metric's SmartCode where it has one), and the refusals of the others."""
    rows: list[Row] = []
    rejections: list[Rejection] = []
    if not candidates:
        return rows, rejections
    directory = load_directory(ctx, candidates)
    for candidate in candidates:
        resolved = resolve(candidate, directory, policy)
        if isinstance(resolved, Row):
            rows.append(resolved)
        else:
            rejections.append(resolved)
    smartcodes = {
        code: spec.valuation_smartcode_id
        for code, spec in directory.metrics.items()
        if spec.valuation_smartcode_id is not None
    }
    if smartcodes:
        external_ids = {v: k for k, v in directory.customers_by_external_id.items()}
        rows, refused = valuation.value_rows(ctx, rows, smartcodes, external_ids)
        rejections += refused
    return rows, rejections


def ingest(
    ctx: Ctx,
    parsed: Sequence[Candidate | Rejection],
    *,
    writer: EventWriter | None = None,
    policy: Policy | None = None,
) -> BatchResult:
    """Checks and stores a batch (already parsed for shape); the caller commits.

    An event whose key is already stored is a duplicate, even when its content differs (the
    first one stands: events are immutable). Within the batch, the first of a key wins.
    """
    ctx.require(Permission.WRITE_BILLING)
    writer = writer or writer_for(ctx.session)
    writer.prepare()
    from tarif.triggers.billing import watching  # triggers import usage

    watched = watching(ctx)
    writer.unvalued = watched.itemizes
    policy = policy or policy_of(ctx)
    candidates = [p for p in parsed if isinstance(p, Candidate)]
    rejections = [p for p in parsed if isinstance(p, Rejection)]
    rows, refused = check_candidates(ctx, candidates, policy)
    rejections += refused
    firsts, repeats = first_of_each_key(rows)
    inserted = writer.insert(ctx.organization_id, firsts, policy.received_at)
    # A refused event whose key is already stored (resent after its period was invoiced, say)
    # is answered as the duplicate it is.
    already = _stored_keys(ctx, ((r.source, r.transaction_id) for r in rejections))
    outcomes = [
        Outcome(r.index, Status.ACCEPTED, inserted[r.key])
        if r.key in inserted
        else Outcome(r.index, Status.DUPLICATE)
        for r in firsts
    ]
    outcomes += [Outcome(r.index, Status.DUPLICATE) for r in repeats]
    outcomes += [
        Outcome(r.index, Status.DUPLICATE)
        if (r.source, r.transaction_id) in already
        else Outcome(r.index, Status.REJECTED, None, r.field, r.detail, r.too_large)
        for r in rejections
    ]
    outcomes.sort(key=lambda o: o.index)
    from tarif.triggers.billing import queue_after_events  # triggers import usage

    queue_after_events(
        ctx,
        {(r.customer_id, r.metric_code, r.local_date) for r in firsts if r.key in inserted},
        watched=watched.any,
    )
    return BatchResult(outcomes)
