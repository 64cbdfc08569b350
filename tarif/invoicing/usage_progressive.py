"""Progressive usage billing: a trigger invoices a usage line's period so far, before its end.

`bill_so_far` rates the usage line's period holding a day with the events stored for its days
up to a cut, and writes what that rating adds to the earlier ones of the period
(`tarif.billing.usage_lines.changes`, parts `p1|…`, `p2|…`) as an invoice of its own for the
contract, finalized at once. The period-end rating of the billing run then bills the rest
(`tarif.invoicing.usage_rating`): the period's lines add up to what period-end billing alone
would give. The minimum spend is left to the period's end.

With a threshold trigger the invoice is only made when the amount (or quantity) so far reaches
a level above `invoiced_level` (the highest one invoiced in the period); the caller records the
crossing. The unique key of invoice lines makes two workers billing the same moment write once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError

from tarif.billing.periods import Period, schedule_of
from tarif.billing.triggers import Measure, TriggerKind, UsageTrigger, crosses, level_reached
from tarif.billing.usage_lines import FINAL, PROGRESSIVE, next_revision
from tarif.billing.usage_periods import UsageDue, usage_due
from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.models import Contract
from tarif.customers.rules import TaxTreatment
from tarif.db.repository import get_scoped
from tarif.errors import Conflict, NotFound
from tarif.invoicing.usage_pricing import USAGE_SOURCE
from tarif.invoicing.usage_rating import UsageCharge, UsageRater
from tarif.money import RoundingMode
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission


class _Head(NamedTuple):
    id: str
    customer_id: str
    currency: str
    reference: str


@dataclass(frozen=True)
class SoFar:
    """What a progressive rating found, and the invoice it made (None: nothing to bill)."""

    contract_id: str
    line_key: str
    period: Period  # the whole period (part) rated
    through: date  # the last local day counted
    measured: Decimal  # the amount or quantity so far, by the trigger's measure
    level: Decimal | None  # the threshold level reached, when a threshold trigger
    invoice_id: str | None = None


def bill_so_far(
    ctx: Ctx,
    contract_id: str,
    line_key: str,
    through: date,
    trigger: UsageTrigger,
    *,
    invoiced_level: Decimal | None = None,
    levels: Mapping[date, Decimal] | None = None,
    whole_period: bool = False,
    only: ColumnElement[bool] | None = None,
) -> SoFar | None:
    """Bills the usage of `line_key`'s period holding `through`, counting its days up to
    `through` included; None when the line has no such period or it was billed at its end.
    `levels` gives the highest threshold level invoiced by period start, when the caller does
    not know the period (`invoiced_level` names it directly). With `whole_period`, every event
    stored for the period so far counts, whatever its day: what a job reacting to events uses,
    so that ratings only ever grow, in whatever order several workers run their jobs.
    `only` (a condition on `usage_events`) counts the events it keeps only: an event trigger
    rates the events it valued up to one item, to invoice that item alone."""
    ctx.require(Permission.WRITE_BILLING)
    contract: Contract = get_scoped(ctx.session, Contract, ctx.organization_id, contract_id)
    found = period_holding(ctx, contract, line_key, through)
    if found is None:
        return None
    versions, part = found
    if invoiced_level is None and levels is not None:
        invoiced_level = levels.get(part.period.start)  # the highest invoiced in this period
    org = ctx.session.get_one(Organization, ctx.organization_id)
    rater = UsageRater(ctx, through, RoundingMode(org.rounding_mode), org.timezone)
    head = _Head(contract.id, contract.customer_id, contract.currency, contract.reference)
    item = rater._due(head, versions, part)
    owners = rater._owners([head], {contract.id: versions})
    cut = part.period.end if whole_period else min(through + timedelta(days=1), part.period.end)
    so_far = replace(item, due=replace(part, period=Period(part.period.start, cut)))
    measured_rows = rater._measure(so_far, [head], owners, only)
    rows = measured_rows.get(owners.key(item.metric.code, head), [])
    billed = rater._billed(contract.id, line_key, part.period.start, part.period.end)
    if any(b.usage_part.startswith(FINAL) for b in billed):
        return None  # the period-end rating came first: nothing is billed early any more
    rated = rater._lines(item, rows, 1, None, False, through, PROGRESSIVE)
    if trigger.measure is Measure.QUANTITY and trigger.kind is TriggerKind.THRESHOLD:
        measured = sum((row.quantity for row in rows), Decimal(0))
    else:
        measured = sum((u.charge.net for u in rated), Decimal(0))
    level = level_reached(trigger, measured)
    outcome = SoFar(contract.id, line_key, part.period, through, measured, level)
    if trigger.kind is TriggerKind.THRESHOLD and not crosses(trigger, invoiced_level, measured):
        return outcome
    lines = rater._lines(item, rows, next_revision(billed), billed, False, through, PROGRESSIVE)
    if not lines:
        return outcome
    invoice_id = _write(ctx, contract, through, lines)
    return replace(outcome, invoice_id=invoice_id)


def period_holding(
    ctx: Ctx,
    contract: Contract,
    line_key: str,
    day: date,
    versions: list[ContractVersion] | None = None,
) -> tuple[list[ContractVersion], UsageDue] | None:
    """The contract's versions (read unless given) and the usage period (part) of `line_key`
    holding `day`; None when the line has none (not started, ended)."""
    if versions is None:
        versions = contract_store.versions_of(ctx, contract)
    known = [v for v in versions if v.effective_from <= day]
    if not known:
        return None
    terms = known[-1].terms
    line = terms.line(line_key)
    if line is None:
        raise NotFound(f"the contract has no line '{line_key}'")
    if line.unit_price is not None:
        raise Conflict(f"line '{line_key}' is not a usage line")
    period_end = schedule_of(terms, line).full_period(day).end
    parts = [
        d
        for d in usage_due(versions, period_end)
        if d.line_key == line_key and d.period.start <= day < d.period.end
    ]
    return (versions, parts[0]) if parts else None


def _write(ctx: Ctx, contract: Contract, day: date, lines: list[UsageCharge]) -> str | None:
    """One invoice of the contract for `day` with these lines, finalized; None when another
    worker billed the same rating first."""
    # service_runs imports this package's modules: imported here.
    from tarif.invoicing import service_runs as runs
    from tarif.invoicing.service_invoices import finalize_invoice
    from tarif.webhooks.events import invoice_created

    org = ctx.session.get_one(Organization, ctx.organization_id)
    treatments: dict[str, TaxTreatment] = {}
    runs._load_treatments(ctx, {contract.customer_id}, org.country, treatments)
    categories: dict[str, str] = {}
    runs._load_categories(ctx, {u.product_id for u in lines}, categories)
    treatment = treatments[contract.customer_id]
    key = runs.GroupKey(contract.customer_id, contract.currency, day, contract.id)
    draft = runs.DraftInvoice(key, treatment.value)
    for used in lines:
        category = categories[used.product_id]
        draft.lines.append(
            runs.DraftLine(
                contract.id,
                used.product_id,
                category,
                runs._rate(category, treatment),
                used.charge,
                USAGE_SOURCE,
                used.part,
                used.usage,
            )
        )
    runs._total(draft, RoundingMode(org.rounding_mode))
    try:
        with ctx.session.begin_nested():
            invoice = runs._new_invoice(ctx, None, draft)
            ctx.session.add(invoice)
            ctx.session.flush()
            runs.write_lines(ctx, invoice, draft)
    except IntegrityError:
        return None
    invoice_created(ctx, invoice)
    finalize_invoice(ctx, invoice.id)
    return invoice.id
