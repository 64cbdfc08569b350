"""Billing runs: everything due up to a day becomes draft invoices, once.

A run first brings contracts up to its day (`contracts.service.apply_due`), then asks the pure
core (`charges_as_of`) what each contract owes beyond what its stored invoice lines already
bill, groups the charges into one invoice per customer, currency and billing date (or per
contract when the contract groups its own), prices VAT per line and writes draft invoices.

Transactions: the whole run is the caller's one transaction, so a run that fails half-way
writes nothing and the next run bills the same charges with the same totals. Each invoice is
written inside a savepoint: when a concurrent run stored one of its charges first, the unique
key of `invoice_lines` refuses it, that invoice alone is rolled back and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tarif.audit.service import record
from tarif.billing.charges import Charge, ChargeKind, charges_as_of
from tarif.billing.periods import Period
from tarif.billing.totals import TaxedLine, invoice_totals, vat_rate
from tarif.catalog.models import Product
from tarif.catalog.rules import VatCategory
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts import service_store as contract_store
from tarif.contracts.codec import encode_discount
from tarif.contracts.lifecycle import Action
from tarif.contracts.model import ContractStatus, InvoiceGrouping, LinePriceSource
from tarif.contracts.models import Contract
from tarif.customers.models import Customer
from tarif.customers.rules import TaxTreatment
from tarif.customers.service import treatment_of
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, NotFound
from tarif.ids import new_id
from tarif.invoicing.models import BillingRun, Invoice, InvoiceLine
from tarif.invoicing.service_invoices import INVOICE_SERIES, InvoiceStatus, billed_lines
from tarif.money import RoundingMode, currency, round_to_minor_unit
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission

# Terminated contracts still owe their last arrears and get credits for unused days.
BILLABLE = (ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.TERMINATED)
SIX_DECIMALS = Decimal("0.000001")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class GroupKey:
    customer_id: str
    currency: str
    billing_date: date
    contract_id: str | None  # set when the contract groups its own invoices


@dataclass
class DraftLine:
    contract_id: str
    product_id: str
    vat_category: str
    vat_rate: Decimal
    charge: Charge


@dataclass
class DraftInvoice:
    key: GroupKey
    tax_treatment: str
    lines: list[DraftLine] = field(default_factory=list)
    net_lines: tuple[Decimal, ...] = ()
    net_total: Decimal = Decimal(0)
    vat_total: Decimal = Decimal(0)
    gross_total: Decimal = Decimal(0)
    vat_breakdown: list[dict[str, str]] = field(default_factory=list)
    invoice_id: str | None = None


@dataclass
class RunOutcome:
    run: BillingRun | None  # None for a dry run
    as_of: date
    dry_run: bool
    invoices: list[DraftInvoice]
    conflicts: int = 0


def list_runs(ctx: Ctx, page: PageRequest) -> Page[BillingRun]:
    stmt = scoped(BillingRun, ctx.organization_id)
    return paginate(ctx.session, stmt, BillingRun, page, updated_column=BillingRun.started_at)


def get_run(ctx: Ctx, run_id: str) -> BillingRun:
    if "\x00" in run_id:
        raise NotFound("billing run not found")
    run: BillingRun = get_scoped(ctx.session, BillingRun, ctx.organization_id, run_id)
    return run


def last_run_date(ctx: Ctx) -> date | None:
    stmt = select(func.max(BillingRun.as_of)).where(
        BillingRun.organization_id == ctx.organization_id, BillingRun.status == "completed"
    )
    latest: date | None = ctx.session.scalar(stmt)
    return latest


def run_billing(
    ctx: Ctx,
    as_of: date,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    customer_id: str | None = None,
) -> RunOutcome:
    """Invoices everything due up to `as_of`; `progress(done, total)` after each contract."""
    ctx.require(Permission.WRITE_BILLING)
    latest = last_run_date(ctx)
    if not dry_run and latest is not None and as_of < latest:
        raise Conflict(
            f"a billing run as of {as_of.isoformat()} is before the last run's date "
            f"({latest.isoformat()})"
        )
    if dry_run:
        # What apply_due would change (an amendment reached) shows in the preview, then goes.
        preview = ctx.session.begin_nested()
        try:
            contracts.apply_due(ctx, as_of=as_of)
            drafts = build_drafts(ctx, as_of, customer_id=customer_id, progress=progress)
            return RunOutcome(None, as_of, True, drafts)
        finally:
            preview.rollback()
    contracts.apply_due(ctx, as_of=as_of)
    drafts = build_drafts(ctx, as_of, customer_id=customer_id, progress=progress)
    now = ctx.clock.now()
    run = BillingRun(
        id=new_id("run"),
        organization_id=ctx.organization_id,
        as_of=as_of,
        status="running",
        actor=ctx.actor.label,
        started_at=now,
    )
    ctx.session.add(run)
    ctx.session.flush()
    written: list[DraftInvoice] = []
    conflicts = 0
    for draft in drafts:
        try:
            with ctx.session.begin_nested():
                _write(ctx, run, draft)
        except IntegrityError:
            # A concurrent run stored some of these charges first: it bills them, not us.
            conflicts += 1
            continue
        written.append(draft)
    run.status = "completed"
    run.invoices_created = len(written)
    run.lines_created = sum(len(d.lines) for d in written)
    run.conflicts = conflicts
    run.finished_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "run", "billing_run", run.id, None, {"as_of": as_of.isoformat()})
    return RunOutcome(run, as_of, False, written, conflicts)


def upcoming_invoice(ctx: Ctx, customer_id: str) -> DraftInvoice | None:
    """The customer's next invoice: a dry run for that customer at its next billing date."""
    if "\x00" in customer_id:
        raise NotFound("customer not found")
    customer: Customer = get_scoped(ctx.session, Customer, ctx.organization_id, customer_id)
    day = contract_store.today(ctx)
    horizon = date(day.year + 2, day.month, 1)
    pending: list[DraftInvoice] = []
    for contract in _contracts(ctx, customer.id):
        versions = contract_store.versions_of(ctx, contract)
        stored = [_as_charge(row) for row in billed_lines(ctx, contract.id)]
        ahead = charges_as_of(
            versions, horizon, already_billed=stored, suspensions=_suspensions(ctx, contract)
        )
        if ahead:
            next_day = max(min(c.due_on for c in ahead), day)
            pending += build_drafts(ctx, next_day, customer_id=customer.id)
    if not pending:
        return None
    soonest = min(d.key.billing_date for d in pending)
    same_day = [d for d in pending if d.key.billing_date == soonest]
    return same_day[0]


# --- building drafts ---------------------------------------------------------------------------


def _contracts(ctx: Ctx, customer_id: str | None) -> list[Contract]:
    rows = contract_store.contracts_in(ctx, BILLABLE)
    return [c for c in rows if customer_id is None or c.customer_id == customer_id]


def build_drafts(
    ctx: Ctx, as_of: date, *, customer_id: str | None = None, progress: Progress | None = None
) -> list[DraftInvoice]:
    """The invoices everything due up to `as_of` would make (one customer's when given)."""
    org = ctx.session.get(Organization, ctx.organization_id)
    seller_country = org.country if org is not None else "FR"
    mode = RoundingMode(org.rounding_mode) if org is not None else RoundingMode.HALF_UP
    groups: dict[GroupKey, DraftInvoice] = {}
    contract_rows = _contracts(ctx, customer_id)
    categories: dict[str, str] = {}
    for done, contract in enumerate(contract_rows, start=1):
        customer: Customer = ctx.session.get_one(Customer, contract.customer_id)
        treatment = treatment_of(customer, seller_country)
        versions = contract_store.versions_of(ctx, contract)
        stored = [_as_charge(row) for row in billed_lines(ctx, contract.id)]
        charges = charges_as_of(
            versions, as_of, already_billed=stored, suspensions=_suspensions(ctx, contract)
        )
        per_contract = versions[-1].terms.invoice_grouping is InvoiceGrouping.CONTRACT
        for charge in charges:
            key = GroupKey(
                contract.customer_id,
                contract.currency,
                charge.due_on,
                contract.id if per_contract else None,
            )
            draft = groups.setdefault(key, DraftInvoice(key, treatment.value))
            product_id = _product_of(versions, charge)
            if product_id not in categories:
                product = ctx.session.get(Product, product_id)
                categories[product_id] = product.vat_category if product else "standard"
            category = categories[product_id]
            draft.lines.append(
                DraftLine(contract.id, product_id, category, _rate(category, treatment), charge)
            )
        if progress is not None:
            progress(done, len(contract_rows))
    drafts = sorted(groups.values(), key=_order)
    for draft in drafts:
        _total(draft, mode)
    return drafts


def _order(draft: DraftInvoice) -> tuple[date, str, str, str]:
    key = draft.key
    return (key.billing_date, key.customer_id, key.currency, key.contract_id or "")


def _rate(category: str, treatment: TaxTreatment) -> Decimal:
    if treatment is not TaxTreatment.STANDARD:
        return Decimal(0)  # reverse charge, export or an exempt customer: no French VAT
    return vat_rate(VatCategory(category))


def _total(draft: DraftInvoice, mode: RoundingMode) -> None:
    totals = invoice_totals(
        [TaxedLine(line.charge.net, line.vat_rate) for line in draft.lines],
        draft.key.currency,
        mode,
    )
    draft.net_lines = totals.line_nets
    draft.net_total, draft.vat_total, draft.gross_total = totals.net, totals.vat, totals.gross
    draft.vat_breakdown = [
        {"rate": str(b.rate), "base": str(b.base), "vat": str(b.vat)} for b in totals.vat_by_rate
    ]


def _product_of(versions: list[Any], charge: Charge) -> str:
    version = next(v for v in versions if v.number == charge.version)
    line = version.terms.line(charge.line_key)
    if line is None:  # pragma: no cover - a charge's version always holds its line
        raise LookupError(f"line {charge.line_key} not in version {charge.version}")
    product_id: str = line.product_id
    return product_id


def _suspensions(ctx: Ctx, contract: Contract) -> list[Period]:
    """Suspended days from the contract's transitions: [suspended on, resumed on)."""
    periods: list[Period] = []
    since: date | None = None
    for transition in contract_store.lifecycle_of(ctx, contract).transitions:
        if transition.action is Action.SUSPEND:
            since = transition.on
        elif since is not None:
            if transition.on > since:
                periods.append(Period(since, transition.on))
            since = None
    if since is not None:
        periods.append(Period(since, date.max))
    return periods


def _as_charge(row: InvoiceLine) -> Charge:
    """A stored line as the core's charge: what it needs to know what is already billed."""
    exact = Decimal(row.exact_net)
    return Charge(
        line_key=row.line_key,
        version=row.contract_version,
        amendment_id=row.amendment_id,
        kind=ChargeKind(row.kind),
        period=Period(row.period_start, row.period_end),
        full_period=Period(row.full_period_start, row.full_period_end),
        due_on=row.due_on,
        quantity=row.quantity,
        unit_price=row.unit_price,
        price_source=LinePriceSource(row.price_source),
        gross=exact + row.discount_amount,
        discount_amount=row.discount_amount,
        discounts=(),
        net=exact,
        adjustment=row.adjustment,
        description=row.description,
    )


# --- writing -------------------------------------------------------------------------------------


def _write(ctx: Ctx, run: BillingRun, draft: DraftInvoice) -> None:
    invoice = _new_invoice(ctx, run, draft)
    ctx.session.add(invoice)
    ctx.session.flush()
    write_lines(ctx, invoice, draft)
    draft.invoice_id = invoice.id


def _new_invoice(ctx: Ctx, run: BillingRun | None, draft: DraftInvoice) -> Invoice:
    now = ctx.clock.now()
    key = draft.key
    invoice = Invoice(
        id=new_id("inv"),
        organization_id=ctx.organization_id,
        customer_id=key.customer_id,
        contract_id=key.contract_id,
        billing_run_id=run.id if run is not None else None,
        currency=key.currency,
        billing_date=key.billing_date,
        status=InvoiceStatus.DRAFT.value,
        series=INVOICE_SERIES,
        tax_treatment=draft.tax_treatment,
        net_total=draft.net_total,
        vat_total=draft.vat_total,
        gross_total=draft.gross_total,
        vat_breakdown=draft.vat_breakdown,
        amount_paid=Decimal(0),
        created_at=now,
        updated_at=now,
    )
    return invoice


def write_lines(ctx: Ctx, invoice: Invoice, draft: DraftInvoice, first_position: int = 1) -> None:
    """Stores a draft's lines on `invoice`, numbered from `first_position`."""
    money = currency(invoice.currency)
    lines = zip(draft.lines, draft.net_lines, strict=True)
    for position, (line, net) in enumerate(lines, first_position):
        charge = line.charge
        ctx.session.add(
            InvoiceLine(
                id=new_id("inl"),
                organization_id=ctx.organization_id,
                invoice_id=invoice.id,
                position=position,
                contract_id=line.contract_id,
                contract_version=charge.version,
                line_key=charge.line_key,
                product_id=line.product_id,
                kind=charge.kind.value,
                adjustment=charge.adjustment,
                period_start=charge.period.start,
                period_end=charge.period.end,
                full_period_start=charge.full_period.start,
                full_period_end=charge.full_period.end,
                due_on=charge.due_on,
                quantity=charge.quantity,
                unit_price=charge.unit_price,
                exact_net=str(charge.net),
                discount_amount=round_to_minor_unit(charge.discount_amount, money),
                net_amount=net,
                vat_rate=line.vat_rate,
                vat_category=line.vat_category,
                price_source=charge.price_source.value,
                discounts=[encode_discount(d) for d in charge.discounts],
                amendment_id=charge.amendment_id,
                description=charge.description,
            )
        )
    ctx.session.flush()
