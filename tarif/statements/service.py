"""Consumption statements: an invoice's usage lines, or a customer's over a period, split by
the chosen criteria with quantities measured in SQL and amounts shared from the lines.

The invoice's usage lines are the authority for amounts (see `docs/statements.md`): rows never
rate anything; each regular line's events (as they were when it was rated: late events left
out) are grouped by `SqlEventStore.breakdown`, and the line's amount is shared among its rows
by `rules.largest_remainder`, so the rows add up to the line to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.models import Contract
from tarif.customers import service as customers
from tarif.db.repository import scoped
from tarif.errors import ErrorCollector, InvalidInput
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.invoicing.service_invoices import get_invoice
from tarif.invoicing.usage_pricing import USAGE_SOURCE, charge_thresholds
from tarif.money import currency
from tarif.pricing.charges import ChargeSpec, InvalidCharge
from tarif.pricing.percentage import FeeThresholds
from tarif.statements.rules import (
    GroupBy,
    MeasuredRow,
    Statement,
    StatementLine,
    StatementMetric,
    check_period,
    split_line,
)
from tarif.usage.aggregates import EventSelection, LateMode, UsagePeriod
from tarif.usage.metric_rules import Aggregation, MetricDefinition, filters_from_json
from tarif.usage.store import SqlEventStore

LANGUAGES = ("fr", "en")
# As the period was when the line was rated: later events are billed by adjustment lines.
AS_RATED = EventSelection(LateMode.EXCLUDE)


def invoice_statement(ctx: Ctx, invoice_id: str, group_by: GroupBy) -> Statement:
    """The statement of an invoice's usage lines (each over its own period and contract)."""
    invoice = get_invoice(ctx, invoice_id)  # another organization's: 404
    stmt = scoped(InvoiceLine, ctx.organization_id).where(
        InvoiceLine.invoice_id == invoice.id, InvoiceLine.source == USAGE_SOURCE
    )
    lines = list(ctx.session.scalars(stmt.order_by(InvoiceLine.position)))
    customer = customers.get_customer(ctx, invoice.customer_id)
    starts = [x.period_start for x in lines if x.period_start is not None]
    ends = [x.period_end for x in lines if x.period_end is not None]
    return _statement(
        ctx,
        [(invoice, x) for x in lines],
        group_by,
        customer_id=customer.id,
        customer_name=customer.legal_name,
        language=_language(customer.language),
        currency_code=invoice.currency,
        period=(min(starts) if starts else None, max(ends) if ends else None),
        invoice=invoice,
    )


def customer_statement(
    ctx: Ctx,
    customer_id: str,
    start: date | None,
    end: date | None,
    group_by: GroupBy,
    *,
    contract_id: str | None = None,
) -> Statement:
    """The usage billed to a customer (or one of its contracts) for the periods starting in
    `[start, end)` (both None: last month), from every invoice but voided ones and credit
    notes."""
    customer = customers.get_customer(ctx, customer_id)
    if start is None and end is None:  # last month, in the organization's time zone
        end = contract_store.today(ctx).replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
    errors = ErrorCollector()
    check_period(start, end, errors)
    if contract_id is not None:
        contract = ctx.session.scalars(
            scoped(Contract, ctx.organization_id).where(Contract.id == contract_id)
        ).one_or_none()
        if contract is None or contract.customer_id != customer.id:
            errors.add("contract_id", f"contract '{contract_id[:40]}' not found for this customer")
    errors.raise_if_any()
    assert start is not None and end is not None
    stmt = (
        select(Invoice, InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            Invoice.organization_id == ctx.organization_id,
            Invoice.customer_id == customer.id,
            Invoice.kind == "invoice",
            Invoice.status != "voided",
            InvoiceLine.source == USAGE_SOURCE,
            InvoiceLine.period_start >= start,
            InvoiceLine.period_start < end,
        )
        .order_by(Invoice.billing_date, Invoice.id, InvoiceLine.position)
    )
    if contract_id is not None:
        stmt = stmt.where(InvoiceLine.contract_id == contract_id)
    pairs = [(i, x) for i, x in ctx.session.execute(stmt)]
    return _statement(
        ctx,
        pairs,
        group_by,
        customer_id=customer.id,
        customer_name=customer.legal_name,
        language=_language(customer.language),
        currency_code=pairs[0][0].currency if pairs else customer.currency,
        period=(start, end),
        contract_id=contract_id,
    )


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else "fr"


def _statement(
    ctx: Ctx,
    pairs: list[tuple[Invoice, InvoiceLine]],
    group_by: GroupBy,
    *,
    customer_id: str,
    customer_name: str,
    language: str,
    currency_code: str,
    period: tuple[date | None, date | None],
    invoice: Invoice | None = None,
    contract_id: str | None = None,
) -> Statement:
    if any(i.currency != currency_code for i, _ in pairs):
        raise InvalidInput.on("from", "the period's invoices are in several currencies")
    minor_unit = currency(currency_code).minor_unit
    cent = Decimal(1).scaleb(-minor_unit)
    store = SqlEventStore(ctx.session)
    measuring = _measuring_contracts(ctx, customer_id)
    by_metric: dict[str, list[StatementLine]] = defaultdict(list)
    names: dict[str, tuple[str | None, str, str | None]] = {}
    for inv, line in pairs:
        trace: dict[str, Any] = dict(line.usage or {})
        code = str(trace.get("metric") or "")
        names.setdefault(code, (trace.get("metric_id"), trace.get("metric_name") or code, None))
        names[code] = (*names[code][:2], trace.get("unit"))
        amount = line.net_amount.quantize(cent)  # SQLite may give back 1000 for 1000.00
        measured = (
            []
            if line.adjustment
            else _measure(store, ctx, customer_id, line, trace, group_by, measuring)
        )
        basis, rows = split_line(
            trace,
            line.quantity,
            line.unit_price,
            amount,
            line.adjustment,
            measured,
            group_by,
            minor_unit,
        )
        by_metric[code].append(
            StatementLine(
                invoice_id=inv.id,
                invoice_number=inv.number,
                position=line.position,
                contract_id=line.contract_id,
                usage_part=line.usage_part,
                description=line.description,
                rated_kind=trace.get("rated_kind"),
                adjustment=line.adjustment,
                period_start=_day(line.period_start),
                period_end=_day(line.period_end),
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=amount,
                event_count=int(trace.get("event_count") or 0),
                basis=basis,
                rows=tuple(rows),
            )
        )
    metrics = tuple(
        StatementMetric(code, names[code][0], names[code][1], names[code][2], tuple(lines))
        for code, lines in sorted(by_metric.items())
    )
    return Statement(
        customer_id=customer_id,
        customer_name=customer_name,
        language=language,
        currency=currency_code,
        group_by=group_by,
        period_start=period[0],
        period_end=period[1],
        invoice_id=invoice.id if invoice else None,
        invoice_number=invoice.number if invoice else None,
        contract_id=contract_id,
        metrics=metrics,
    )


def _day(value: date | None) -> date:
    assert value is not None  # usage lines always have a period
    return value


def _definition(trace: dict[str, Any]) -> MetricDefinition:
    """The metric as it was when the line was rated (the trace keeps it)."""
    return MetricDefinition(
        code=str(trace["metric"]),
        aggregation=Aggregation(trace.get("aggregation") or "count"),
        field=trace.get("field"),
        filters=filters_from_json(trace.get("filters") or []),
        group_by=tuple(trace.get("group_by") or ()),
        recurring=bool(trace.get("recurring")),
        name=str(trace.get("metric_name") or ""),
    )


def _measuring_contracts(ctx: Ctx, customer_id: str) -> dict[str, list[str]]:
    """metric code → the customer's contracts billed usage of it, in id order (the first
    counts the events naming no other contract, as rating does)."""
    stmt = (
        select(InvoiceLine.contract_id, InvoiceLine.usage)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            Invoice.organization_id == ctx.organization_id,
            Invoice.customer_id == customer_id,
            InvoiceLine.source == USAGE_SOURCE,
            InvoiceLine.adjustment.is_(False),
        )
    )
    found: dict[str, set[str]] = defaultdict(set)
    for contract_id, trace in ctx.session.execute(stmt):
        if contract_id is not None and trace:
            found[str(trace.get("metric"))].add(str(contract_id))
    return {code: sorted(ids) for code, ids in found.items()}


def _measure(
    store: SqlEventStore,
    ctx: Ctx,
    customer_id: str,
    line: InvoiceLine,
    trace: dict[str, Any],
    group_by: GroupBy,
    measuring: dict[str, list[str]],
) -> list[MeasuredRow]:
    if not trace.get("metric") or line.period_start is None or line.period_end is None:
        return []
    metric = _definition(trace)
    period = UsagePeriod(line.period_start, line.period_end, str(trace.get("timezone") or "UTC"))
    contracts = measuring.get(metric.code, [])
    own = line.contract_id if contracts and line.contract_id != contracts[0] else None
    others = [c for c in contracts if c != line.contract_id] if own is None else []
    explanation = trace.get("explanation") or {}
    group = {str(k): str(v) for k, v in (explanation.get("group") or {}).items()}
    # A charge bounding each transaction's fee: rows split by bound as rating split them.
    thresholds = _thresholds(trace) if explanation.get("bands") is not None else None
    rows = store.breakdown(
        ctx.organization_id,
        metric,
        period,
        group_by.dimensions,
        customer_id=customer_id,
        contract_id=own,
        other_contracts=others,
        group=group,
        selection=AS_RATED,
        thresholds=thresholds,
    )
    return [MeasuredRow(r.keys, r.quantity, r.event_count, r.bands) for r in rows]


def _thresholds(trace: dict[str, Any]) -> FeeThresholds | None:
    """The fee thresholds the line was rated with (its trace keeps the charge); None when the
    charge kept cannot be read any more (the rows are then shared by transactions)."""
    try:
        return charge_thresholds(ChargeSpec.from_json(trace.get("charge") or {}))
    except InvalidCharge:
        return None
