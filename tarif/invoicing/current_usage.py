"""Current usage of a contract: each usage line's current period, measured so far and priced
as a billing run would price it, without billing or storing anything.

`tarif.billing.usage_now` says which part of which period is current on `as_of` and which days
of it are measured (`as_of` included). This module measures those days with the event store
and prices the quantities with the line's charge (`rate_groups`, each line rounded once, with
the prepaid units earlier periods used), counting the same events as the billing run: those
naming the contract, and those naming none (or a contract that does not measure the metric)
when it is the customer's first billable contract (by id) measuring the metric (see
`tarif.invoicing.usage_rating`).

`measure_line` and `contract_line_charge` also serve the SmartCodes' dry run on a contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tarif.billing.periods import Period
from tarif.billing.usage_now import CurrentUsage, current_usage
from tarif.context import Ctx
from tarif.contracts import service_catalog as catalog
from tarif.contracts import service_store as store
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.model import ContractTerms
from tarif.contracts.models import Contract
from tarif.errors import InvalidInput
from tarif.invoicing.service_runs import BILLABLE
from tarif.invoicing.usage_pricing import (
    EventOwners,
    SmartCodePricer,
    charge_thresholds,
    for_part,
    measured_days,
    prepaid_used_before,
    usage_of,
)
from tarif.money import RoundingMode
from tarif.pricing.rating import RatedLine, rate_groups
from tarif.pricing.spec import ChargeSpec
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission
from tarif.usage.aggregates import AggregateRow
from tarif.usage.metric_rules import MetricDefinition
from tarif.usage.metric_service import definition_of
from tarif.usage.models import Metric
from tarif.usage.store import SqlEventStore

# The pricing of a usage line on a day, as the billing run reads it.
contract_line_charge = catalog.line_charge_on


@dataclass(frozen=True)
class LineUsage:
    """One usage line's current period, measured so far, and what it costs so far."""

    current: CurrentUsage
    description: str
    product_id: str
    metric: MetricDefinition | None
    metric_id: str | None
    charge: ChargeSpec | None
    groups: list[AggregateRow]
    lines: list[RatedLine]
    problem: str | None = None  # why it could not be measured or priced

    @property
    def event_count(self) -> int:
        return sum(row.event_count for row in self.groups)

    @property
    def total(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class ContractUsage:
    contract: Contract
    as_of: date
    currency: str
    timezone: str
    lines: list[LineUsage]

    @property
    def total(self) -> Decimal:
        """The current periods' amounts so far, across lines."""
        return sum((line.total for line in self.lines), Decimal(0))


def contract_usage(ctx: Ctx, contract_id: str, *, as_of: date | None = None) -> ContractUsage:
    """Each usage line of the contract in force on `as_of` (default: today): its current
    period, measured from the period's start through `as_of`, and priced by its charge."""
    ctx.require(Permission.READ)
    contract = store.load_contract(ctx, contract_id)
    day = as_of or store.today(ctx)
    timezone, rounding = _org_settings(ctx)
    versions = store.versions_of(ctx, contract)
    lines = []
    for part in current_usage(versions, day):
        terms = next(v.terms for v in versions if v.number == part.version)
        lines.append(_line_usage(ctx, contract, terms, part, timezone, rounding))
    return ContractUsage(contract, day, contract.currency, timezone, lines)


def _line_usage(
    ctx: Ctx,
    contract: Contract,
    terms: ContractTerms,
    part: CurrentUsage,
    timezone: str,
    rounding: RoundingMode,
) -> LineUsage:
    line = part.line
    spec = contract_line_charge(ctx, terms, line, part.period.start)
    base = LineUsage(part, line.description, line.product_id, None, None, spec, [], [])
    if spec is None:
        return replace(base, problem="no charge (none on the line, none on its pricelist entry)")
    found = metric_of(ctx, spec.metric)
    if found is None:
        return replace(base, problem=f"its charge measures unknown metric '{spec.metric}'")
    metric_id, metric = found
    rows = measure_line(
        ctx,
        contract,
        metric,
        part.measured,
        timezone,
        charge_thresholds(spec),
        whole=part.full_period,
    )
    base = replace(base, metric=metric, metric_id=metric_id, groups=rows)
    if not spec.description:
        spec = replace(spec, description=line.description or metric.name or metric.code)
    spec = for_part(spec, part.period, part.full_period, terms.currency, rounding)
    before = Decimal(0)
    if spec.prepaid_units:
        before = prepaid_used_before(ctx, contract.id, part.line_key, part.period.start)
    usages = [usage_of(row, before) for row in rows]
    pricer = SmartCodePricer(ctx, contract.reference, part.period)
    try:
        rated = rate_groups(spec, usages, terms.currency, rounding, smartcodes=pricer)
    except InvalidInput as exc:  # a pricing SmartCode failed: its own words, once
        detail = "; ".join(e.message for e in exc.errors) or str(exc)
        return replace(base, problem=f"cannot be priced: {detail}")
    except Exception as exc:  # the usage cannot be rated
        detail = getattr(exc, "message", None) or str(exc)
        return replace(base, problem=f"cannot be priced: {detail}")
    return replace(base, lines=rated)


# --- building blocks, shared with the SmartCodes' dry run on a contract ------------------------


def _org_settings(ctx: Ctx) -> tuple[str, RoundingMode]:
    org = ctx.session.get(Organization, ctx.organization_id)
    if org is None:
        return "UTC", RoundingMode.HALF_UP
    return org.timezone or "UTC", RoundingMode(org.rounding_mode or "HALF_UP")


def organization_timezone(ctx: Ctx) -> str:
    return _org_settings(ctx)[0]


def metric_of(ctx: Ctx, code: str) -> tuple[str, MetricDefinition] | None:
    stmt = select(Metric).where(Metric.organization_id == ctx.organization_id, Metric.code == code)
    metric = ctx.session.scalars(stmt).first()
    return None if metric is None else (metric.id, definition_of(metric))


def measuring_contracts(ctx: Ctx, contract: Contract, metric_code: str) -> list[str]:
    """The customer's contracts that measure the metric, in id order: its billable ones that
    do in any version, and `contract` itself."""
    stmt = select(Contract.id).where(
        Contract.organization_id == ctx.organization_id,
        Contract.customer_id == contract.customer_id,
        Contract.status.in_([s.value for s in BILLABLE]),  # the contracts a run rates
        Contract.id != contract.id,
    )
    others = list(ctx.session.scalars(stmt))
    versions_by = store.versions_by_contract(ctx, others) if others else {}
    ids = {contract.id}
    for other_id, versions in versions_by.items():
        if measures(ctx, versions, metric_code):
            ids.add(other_id)
    return sorted(ids)


def measures(ctx: Ctx, versions: Sequence[ContractVersion], metric_code: str) -> bool:
    """Whether a usage line of any of the versions measures the metric."""
    for version in versions:
        for line in version.terms.lines:
            if line.unit_price is not None:
                continue
            spec = contract_line_charge(ctx, version.terms, line, version.terms.line_start(line))
            if spec is not None and spec.metric == metric_code:
                return True
    return False


@dataclass(frozen=True)
class EventScope:
    """Which of the customer's events a contract counts for a metric (`EventOwners`' rule)."""

    customer_id: str
    contract_id: str
    metric_code: str
    owners: EventOwners

    @property
    def first(self) -> bool:
        """Whether it is the customer's first contract measuring the metric."""
        return self.key == self.customer_id

    @property
    def others(self) -> tuple[str, ...]:
        """The customer's other contracts measuring the metric."""
        ids = self.owners.measuring[(self.customer_id, self.metric_code)]
        return tuple(i for i in ids if i != self.contract_id)

    @property
    def own_contracts(self) -> list[str]:
        """`aggregate_many`'s contracts counting only the events naming them."""
        return self.owners.own(self.metric_code, [self.customer_id])

    @property
    def key(self) -> str:
        """The contract's rows in `aggregate_many`'s answer."""
        return self.owners.key(self.metric_code, self)

    @property
    def id(self) -> str:  # what `EventOwners.key` reads of a contract
        return self.contract_id


def event_scope(ctx: Ctx, contract: Contract, metric_code: str) -> EventScope:
    ids = measuring_contracts(ctx, contract, metric_code)
    owners = EventOwners({(contract.customer_id, metric_code): ids})
    return EventScope(contract.customer_id, contract.id, metric_code, owners)


def measure_line(
    ctx: Ctx,
    contract: Contract,
    metric: MetricDefinition,
    days: Period,
    timezone: str,
    thresholds: Any = None,
    whole: Period | None = None,
) -> list[AggregateRow]:
    """The contract's quantities of the metric over `days`, one row per group; `whole` is the
    line's period on its grid the days are part of (it weighs a weighted sum)."""
    scope = event_scope(ctx, contract, metric.code)
    found = SqlEventStore(ctx.session).aggregate_many(
        ctx.organization_id,
        metric,
        measured_days(days, whole or days, timezone),
        [contract.customer_id],
        own_contracts=scope.own_contracts,
        thresholds=thresholds,
    )
    return found[scope.key]
