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
from tarif.billing.usage_lines import FINAL, split_part
from tarif.context import Ctx
from tarif.errors import InvalidInput
from tarif.invoicing.models import InvoiceLine
from tarif.money import RoundingMode, currency, round_to_minor_unit
from tarif.pricing.percentage import FeeThresholds, TransactionBands, fee_thresholds
from tarif.pricing.rating import RatedLine, SmartCodeLine, Usage
from tarif.pricing.spec import ChargeModel, ChargeSpec
from tarif.usage.aggregates import AggregateRow, UsagePeriod

USAGE_SOURCE = "usage"  # the `source` of usage invoice lines


def kept_as_draft(finalize_zero: bool, lines: Sequence[tuple[str | None, Decimal]]) -> bool:
    """Whether a document stays an unnumbered draft although it has lines: its lines, as
    (source, net amount), are all 0.00 usage lines (they record that usage periods were rated,
    and what a prepaid block lent them, and bill nothing), and the organization does not
    finalize such invoices (`finalize_zero_usage_invoices` false; by default it does)."""
    return (
        not finalize_zero
        and bool(lines)
        and all(source == USAGE_SOURCE and net == 0 for source, net in lines)
    )


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


PrepaidPeriod = tuple[str, str]  # a rated period's first and end days, as traces write them
# Which rating of a period says what it draws: the greatest (final, revision, draw) wins.
_Rank = tuple[bool, int, Decimal]


def prepaid_period(start: date, end: date) -> PrepaidPeriod:
    return start.isoformat(), end.isoformat()


def drawn_by(rated: Sequence[RatedLine]) -> Decimal:
    """Prepaid units a period's rating draws: each group's, once (a group's lines, one per
    tier, all report the group's draw)."""
    by_group: dict[tuple[tuple[str, str], ...], Decimal] = {}
    for line in rated:
        group, used = line.explanation.group, line.explanation.prepaid_units_used
        by_group[group] = max(by_group.get(group, used), used)
    return sum(by_group.values(), Decimal(0))


def prepaid_drawn(
    ctx: Ctx, contract_id: str, line_key: str, before: date
) -> dict[PrepaidPeriod, Decimal]:
    """Prepaid units each of the line's periods ending by `before` draws, read from its usage
    lines' traces (`prepaid_drawn`, the period's draw written on each line of a rating): its
    latest rating at or after its end, late adjustments included, as a re-rating can draw more
    or less than the one before and the later periods are rated again after it; a period only
    rated by triggers so far, its fullest rating (ratings inside a period only grow). Lines
    written before traces carried `prepaid_drawn` give their draw per group."""
    stmt = select(InvoiceLine.usage_part, InvoiceLine.usage).where(
        InvoiceLine.organization_id == ctx.organization_id,
        InvoiceLine.contract_id == contract_id,
        InvoiceLine.line_key == line_key,
        InvoiceLine.source == USAGE_SOURCE,
        InvoiceLine.period_end <= before,
    )
    whole: dict[PrepaidPeriod, _Rank] = {}
    by_group: dict[tuple[PrepaidPeriod, tuple[tuple[str, str], ...]], _Rank] = {}
    for part, trace in ctx.session.execute(stmt):
        trace = trace or {}
        days = trace.get("period") or ()
        if not part or len(days) != 2:
            continue
        period = (str(days[0]), str(days[1]))
        final = str(part).startswith(FINAL)
        revision = split_part(str(part))[0] if final else 0
        if "prepaid_drawn" in trace:
            rank = (final, revision, Decimal(trace["prepaid_drawn"]))
            whole[period] = max(whole.get(period, rank), rank)
            continue
        explanation = trace.get("explanation")
        if not explanation:  # a part the re-rating no longer has: it says nothing
            continue
        group = tuple(sorted((k, str(v)) for k, v in (explanation.get("group") or {}).items()))
        rank = (final, revision, Decimal(explanation.get("prepaid_units_used", "0")))
        key = (period, group)
        by_group[key] = max(by_group.get(key, rank), rank)
    found = {period: rank[2] for period, rank in whole.items()}
    for (period, _), rank in by_group.items():
        if period not in whole:
            found[period] = found.get(period, Decimal(0)) + rank[2]
    return found


def prepaid_used_before(
    ctx: Ctx,
    contract_id: str,
    line_key: str,
    before: date,
    rated_now: Mapping[PrepaidPeriod, Decimal] | None = None,
) -> Decimal:
    """Prepaid units the line's periods ending by `before` draw (`prepaid_drawn`).
    `rated_now` gives the draw of periods rated earlier in the same run, not stored yet: it
    replaces what their stored lines say."""
    drawn = prepaid_drawn(ctx, contract_id, line_key, before)
    for period, value in (rated_now or {}).items():
        if date.fromisoformat(period[1]) <= before:
            drawn[period] = value
    return sum(drawn.values(), Decimal(0))


class SmartCodePricer:
    """Runs the pricing SmartCode of a charge for one period of a contract: one call with
    every group's quantity under its value in `usage.groups`; remembers the versions used.
    `pinned` (SmartCode id → version id): the versions that priced the period first, which a
    late re-rating keeps (a new version never reprices usage already invoiced); any other
    SmartCode runs its latest version."""

    def __init__(
        self, ctx: Ctx, reference: str, period: Period, pinned: Mapping[str, str] | None = None
    ) -> None:
        self.ctx, self.reference, self.period = ctx, reference, period
        self.pinned = dict(pinned or {})
        self.used: dict[str, str] = {}  # smartcode id → version id

    def price(
        self, smartcode_id: str, *, spec: ChargeSpec, usage: Usage, currency: str
    ) -> Sequence[SmartCodeLine]:
        from tarif.smartcodes import service as smartcodes
        from tarif.smartcodes.failures import SmartCodeError
        from tarif.smartcodes.models import SmartCodeVersion
        from tarif.smartcodes.runner import default_runner

        version = None
        if smartcode_id in self.pinned:
            version = self.ctx.session.get(SmartCodeVersion, self.pinned[smartcode_id])
            if version is not None and version.organization_id != self.ctx.organization_id:
                version = None
        if version is None:
            version = smartcodes.get_version(self.ctx, smartcode_id)
        self.used[smartcode_id] = version.id
        try:
            lines = default_runner().price_usage(
                version,
                macro_usage(usage, self.period),
                macro_contract(self.reference, currency, spec),
            )
        except SmartCodeError as exc:
            # A macro error, a refused result or a limit: the caller's request is refused with
            # what failed where (a bare exception would be a 500 and leave the user guessing).
            code = smartcodes.get_smartcode(self.ctx, smartcode_id).code
            start, end = self.period.start.isoformat(), self.period.end.isoformat()
            raise InvalidInput.on(
                "smartcode",
                f"the pricing SmartCode '{code}' (version {version.number}) failed on contract "
                f"{self.reference}, period {start} – {end}: {exc}",
            ) from exc
        return [
            SmartCodeLine(x.description, x.quantity, x.unit_price, x.amount, x.group) for x in lines
        ]


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
