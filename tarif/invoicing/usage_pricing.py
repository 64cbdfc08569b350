"""What pricing a usage period needs beyond its charge, shared by the billing run
(`usage_rating`), the current-usage view (`current_usage`) and the SmartCodes' dry run on a
contract: the fee thresholds to measure, measured rows as `Usage`, the prepaid units earlier
periods used, and the runner of pricing SmartCodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tarif.billing.periods import Period
from tarif.billing.proration import prorate
from tarif.context import Ctx
from tarif.invoicing.models import InvoiceLine
from tarif.money import RoundingMode, currency, round_to_minor_unit
from tarif.pricing.percentage import FeeThresholds, TransactionBands, fee_thresholds
from tarif.pricing.rating import SmartCodeLine, Usage
from tarif.pricing.spec import ChargeModel, ChargeSpec
from tarif.usage.aggregates import AggregateRow, UsagePeriod

USAGE_SOURCE = "usage"  # the `source` of usage invoice lines


def charge_thresholds(spec: ChargeSpec) -> FeeThresholds | None:
    """The fee thresholds to split transactions by, when the charge bounds each fee (every
    group price with bounds too; the default prices' thresholds serve them all only when
    they are the same, so a charge with differing group bounds is refused by validation)."""
    if spec.model is not ChargeModel.PERCENTAGE or not spec.prices.has_fee_bounds:
        return None
    return fee_thresholds(spec.prices)


def measured_days(days: Period, whole: Period, timezone: str) -> UsagePeriod:
    """The days to measure, knowing the line's whole period on its grid when they are a part
    of it (a weighted sum then counts the part for its share of the whole period)."""
    part_of = None if days == whole else (whole.start, whole.end)
    return UsagePeriod(days.start, days.end, timezone, whole=part_of)


def for_part(
    spec: ChargeSpec, part: Period, whole: Period, code: str, rounding: RoundingMode
) -> ChargeSpec:
    """The charge over `part` of its period `whole` (a line starting or ending inside its
    period, a charge changed by an amendment): its minimum spend prorated by days, as every
    per-period amount is, and rounded like the lines it is compared with."""
    if spec.minimum_spend is None or part == whole:
        return spec
    share = prorate(spec.minimum_spend, part, whole)
    return replace(spec, minimum_spend=round_to_minor_unit(share, currency(code), rounding))


def usage_of(row: AggregateRow, prepaid_before: Decimal = Decimal(0)) -> Usage:
    """A measured row as what rating takes."""
    group = tuple((name, value or "") for name, value in row.groups.items())
    bands = TransactionBands(*row.bands) if row.bands is not None else None
    return Usage(
        quantity=row.quantity,
        event_count=row.event_count,
        group=group,
        bands=bands,
        prepaid_used_before=prepaid_before,
    )


PrepaidKey = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]  # (period, group)


def prepaid_key(period: Sequence[str], group: Mapping[str, Any]) -> PrepaidKey:
    """A rated period and group, as their traces write them."""
    return tuple(str(day) for day in period), tuple(sorted((k, str(v)) for k, v in group.items()))


def prepaid_used_before(
    ctx: Ctx,
    contract_id: str,
    line_key: str,
    before: date,
    rated_now: Mapping[PrepaidKey, Decimal] | None = None,
) -> Decimal:
    """Prepaid units the line's periods ending by `before` used, read from their usage
    lines' traces: per period and group, its fullest rating (a trigger's earlier rating of the
    period used less). `rated_now` adds the periods rated earlier in the same run, which are not
    stored yet."""
    stmt = select(InvoiceLine.usage).where(
        InvoiceLine.organization_id == ctx.organization_id,
        InvoiceLine.contract_id == contract_id,
        InvoiceLine.line_key == line_key,
        InvoiceLine.source == USAGE_SOURCE,
        InvoiceLine.adjustment.is_(False),
        InvoiceLine.period_end <= before,
    )
    used: dict[PrepaidKey, Decimal] = {}
    for (trace,) in ctx.session.execute(stmt):
        explanation = (trace or {}).get("explanation") or {}
        key = prepaid_key((trace or {}).get("period") or (), explanation.get("group") or {})
        value = Decimal(explanation.get("prepaid_units_used", "0"))
        used[key] = max(used.get(key, value), value)
    for key, value in (rated_now or {}).items():
        if date.fromisoformat(key[0][-1]) <= before:
            used[key] = max(used.get(key, value), value)
    return sum(used.values(), Decimal(0))


class SmartCodePricer:
    """Runs the pricing SmartCode of a charge for one period of a contract: one call with
    every group's quantity under its value in `usage.groups`; remembers the versions used."""

    def __init__(self, ctx: Ctx, reference: str, period: Period) -> None:
        self.ctx, self.reference, self.period = ctx, reference, period
        self.used: dict[str, str] = {}  # smartcode id → version id

    def price(
        self, smartcode_id: str, *, spec: ChargeSpec, usage: Usage, currency: str
    ) -> Sequence[SmartCodeLine]:
        from tarif.smartcodes import service as smartcodes
        from tarif.smartcodes.runner import default_runner

        version = smartcodes.get_version(self.ctx, smartcode_id)
        self.used[smartcode_id] = version.id
        lines = default_runner().price_usage(
            version, macro_usage(usage, self.period), macro_contract(self.reference, currency, spec)
        )
        return [SmartCodeLine(x.description, x.quantity, x.unit_price, x.amount) for x in lines]


def macro_usage(usage: Usage, period: Period) -> Any:
    from tarif.smartcodes.values import MacroPeriod, MacroUsage

    return MacroUsage(
        usage.quantity,
        usage.event_count,
        dict(usage.groups),
        MacroPeriod(period.start, period.end),
    )


def macro_contract(reference: str, currency: str, spec: ChargeSpec) -> Any:
    from tarif.smartcodes.values import MacroContract

    return MacroContract(reference, currency, {"metric": spec.metric})


@dataclass(frozen=True)
class EventOwners:
    """Which contract counts which events of a metric: those naming it, and those naming no
    contract (or one that does not measure the metric) for the customer's first contract (by
    id) measuring it; the billing run's rule, which every other reading of a contract's usage
    follows."""

    measuring: dict[tuple[str, str], list[str]]  # (customer, metric) → contract ids

    def key(self, metric: str, head: Any) -> str:
        """The aggregation key of a contract's events: its customer's id for the customer's
        first contract measuring the metric, its own id for the others."""
        ids = self.measuring.get((head.customer_id, metric), [])
        return head.customer_id if not ids or ids[0] == head.id else str(head.id)

    def own(self, metric: str, customers: Sequence[str]) -> list[str]:
        """The contracts that count only the events naming them."""
        return [c for customer in customers for c in self.measuring.get((customer, metric), [])[1:]]

    def owner_of(self, metric: str, customer_id: str, contract_id: str | None) -> str:
        ids = self.measuring.get((customer_id, metric), [])
        if contract_id is not None and contract_id in ids[1:]:
            return contract_id
        return customer_id
