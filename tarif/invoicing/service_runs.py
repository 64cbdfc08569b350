"""Billing runs: everything due up to a day becomes draft invoices, once.

A run first brings contracts up to its day (`contracts.service.apply_due`), then asks the pure
core (`charges_as_of`) what each contract owes beyond what its stored invoice lines already
bill, groups the charges into one invoice per customer, currency and billing date (or per
contract when the contract groups its own), prices VAT per line (a credit at the VAT of the line
that billed its days: `credit_origin`) and writes draft invoices; a group whose invoice an
earlier run of the day left as a draft gets its lines added to that draft (`_onto_drafts`).

Batches: contracts are read a chunk at a time (`CHUNK` contracts: their versions, amendments,
billed lines, transitions, customers and products in one `IN` query each) rather than several
queries per contract, and invoices and their lines are written with one multi-row `INSERT` per
table and chunk of `WRITE_CHUNK` invoices, so a run of 100,000 contracts is a few hundred
statements, not a million.

Transactions: the whole run is the caller's one transaction, so a run that fails half-way
writes nothing and the next run bills the same charges with the same totals. Each chunk of
invoices is written inside a savepoint: when a concurrent run stored one of its charges first,
the unique key of `invoice_lines` refuses the chunk, which is then written again one invoice
per savepoint, so that invoice alone is left out and the run goes on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError

from tarif.audit.service import record
from tarif.billing.charges import Charge, ChargeKind, charges_as_of
from tarif.billing.periods import Period
from tarif.billing.totals import InvoiceTotals, TaxedLine, invoice_totals, vat_rate
from tarif.billing.usage_lines import FINAL, split_part
from tarif.billing.usage_periods import usage_due
from tarif.catalog.models import Product
from tarif.catalog.rules import VatCategory
from tarif.collector import collections_paused
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts import service_store as contract_store
from tarif.contracts.amendments import ContractVersion as CoreVersion
from tarif.contracts.codec import encode_discount
from tarif.contracts.lifecycle import Action
from tarif.contracts.model import ContractStatus, Corrections, InvoiceGrouping, LinePriceSource
from tarif.contracts.models import (
    Contract,
    ContractTransition,
)
from tarif.contracts.service_store import of_tenant
from tarif.customers.models import Customer
from tarif.customers.rules import TaxTreatment
from tarif.customers.service import treatment_of
from tarif.db.among import among, dialect_of
from tarif.db.bulk import PreparedRows, prepare_rows, write_prepared
from tarif.db.reads import rows
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, FieldError, NotFound
from tarif.ids import new_id, new_ids
from tarif.invoicing.credit_origin import BilledDays, billed_by, place_credit, taken_back
from tarif.invoicing.issued import remember_contract_terms
from tarif.invoicing.models import BillingRun, Invoice, InvoiceLine
from tarif.invoicing.service_credit_notes import CORRECTABLE, CREDIT_NOTE, credited
from tarif.invoicing.service_invoices import INVOICE_SERIES, InvoiceStatus, billed_lines
from tarif.invoicing.service_seal_inline import InlineSealer, lines_by_invoice
from tarif.invoicing.usage_pricing import USAGE_SOURCE
from tarif.invoicing.usage_rating import UsageCharge, UsageRater
from tarif.money import Currency, RoundingMode, currency, round_to_minor_unit
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission
from tarif.webhooks.events import invoices_created

# Terminated contracts still owe their last arrears and get credits for unused days.
BILLABLE = (ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.TERMINATED)
# The upcoming invoice also sees the pending contracts the next run may activate.
PREVIEWED = (*BILLABLE, ContractStatus.PENDING)
SIX_DECIMALS = Decimal("0.000001")
# Contracts read per batch of queries, invoices written per multi-row INSERT: large enough to
# amortize a statement, small enough for the database's bound-parameter limits.
CHUNK = 2000
WRITE_CHUNK = 500

Progress = Callable[[int, int], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class GroupKey:
    customer_id: str
    currency: str
    billing_date: date
    contract_id: str | None  # set when the contract groups its own invoices
    # Set on a credit note correcting a finalized invoice (the contract's `corrections`, or
    # credits of days billed under a tax treatment the customer no longer has).
    corrects_invoice_id: str | None = None
    # Set on credits billed under a tax treatment the customer no longer has: an invoice has
    # one treatment, so they never share today's (`tarif.invoicing.credit_origin`).
    tax_treatment: str | None = None


@dataclass(slots=True)  # a run of 100,000 contracts holds a few hundred thousand
class DraftLine:
    contract_id: str
    product_id: str | None  # None on a coupon's discount line
    vat_category: str
    vat_rate: Decimal
    charge: Charge
    source: str = "contract"  # "coupon": a discount line added by tarif.coupons.billing
    usage_part: str = ""  # usage lines (source "usage"): see tarif.invoicing.usage_rating
    usage: dict[str, Any] | None = None


@dataclass(slots=True)
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
    # A preview's group whose invoice is already an open draft (an earlier run of the day):
    # the run would add these lines to that draft, not make an invoice (`_onto_drafts`).
    joins_draft_id: str | None = None


@dataclass
class RunOutcome:
    run: BillingRun | None  # None for a dry run
    as_of: date
    dry_run: bool
    invoices: list[DraftInvoice]
    conflicts: int = 0
    finalized: int = 0  # drafts finalized by the run itself (`finalize=True`)


def list_runs(ctx: Ctx, page: PageRequest) -> Page[BillingRun]:
    """Runs in the order made; `q` searches who started them (a user, an API key, a command)."""
    stmt = scoped(BillingRun, ctx.organization_id)
    return paginate(
        ctx.session,
        stmt,
        BillingRun,
        page,
        updated_column=BillingRun.started_at,
        search_columns=(BillingRun.actor,),
    )


def get_run(ctx: Ctx, run_id: str) -> BillingRun:
    if "\x00" in run_id:
        raise NotFound("billing run not found")
    run = ctx.session.scalars(
        scoped(BillingRun, ctx.organization_id).where(BillingRun.id == run_id)
    ).one_or_none()
    if run is None:  # named in words, not "billingrun" as get_scoped would
        raise NotFound(f"billing run '{run_id}' not found")
    return cast(BillingRun, run)


def last_run_date(ctx: Ctx) -> date | None:
    stmt = select(func.max(BillingRun.as_of)).where(
        BillingRun.organization_id == ctx.organization_id, BillingRun.status == "completed"
    )
    latest: date | None = ctx.session.scalar(stmt)
    return latest


def check_run_date(ctx: Ctx, as_of: date) -> None:
    """A run may not go back before the last completed run's date (409 otherwise)."""
    ctx.require(Permission.WRITE_BILLING)
    latest = last_run_date(ctx)
    if latest is not None and as_of < latest:
        message = (
            f"a billing run as of {as_of.isoformat()} is before the last run's date "
            f"({latest.isoformat()})"
        )
        # Names the field, like a bad date would: API problems, forms and jobs point at it.
        raise Conflict(message, [FieldError("as_of", message)])


# The run keeps every contract's charges and drafts until it ends and makes no reference
# cycles: collections, which would walk them all again and again, wait for the end
# (tarif.collector).
@collections_paused()
def run_billing(
    ctx: Ctx,
    as_of: date,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    customer_id: str | None = None,
    finalize: bool = False,
) -> RunOutcome:
    """Invoices everything due up to `as_of`; `progress(done, total)` after each contract.

    With `finalize` (or when the organization finalizes drafts 0 hours after they are made),
    the drafts written are finalized at once in billing order (`service_finalize.finalize_run`),
    in the same transaction."""
    ctx.require(Permission.WRITE_BILLING)
    if not dry_run:
        check_run_date(ctx, as_of)
    if dry_run:
        # What apply_due would change (an amendment reached) shows in the preview, then goes.
        preview = ctx.session.begin_nested()
        try:
            with contract_store.terms_decoded_once(ctx):
                contracts.apply_due(ctx, as_of=as_of)
                drafts = build_drafts(ctx, as_of, customer_id=customer_id, progress=progress)
            _mark_joined(ctx, drafts)
            return RunOutcome(None, as_of, True, drafts)
        finally:
            preview.rollback()
    # Both read every contract's versions: their terms are decoded once for the two.
    with contract_store.terms_decoded_once(ctx):
        contracts.apply_due(ctx, as_of=as_of)
        drafts = build_drafts(
            ctx, as_of, customer_id=customer_id, progress=progress, keep_terms=True
        )
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
    # These modules import this one, hence here.
    from tarif.invoicing.service_drafts import finalizes_on_run
    from tarif.invoicing.service_finalize import finalize_run

    finalizing = finalize or finalizes_on_run(ctx)  # asked, or the organization's setting is 0
    # The setting finalizes invoices only: run-made credit notes wait for a person.
    invoices_only = not finalize
    sealer = InlineSealer.for_run(ctx, invoices_only=invoices_only) if finalizing else None
    written: list[DraftInvoice] = []
    conflicts = 0
    # A group whose draft an earlier run of the day wrote goes on that draft, not a second one.
    drafts, onto = _onto_drafts(ctx, drafts)
    for draft, invoice in onto:
        try:
            with ctx.session.begin_nested():
                _add_to_draft(ctx, run, invoice, draft)
        except IntegrityError:
            draft.invoice_id = None  # a concurrent run billed these charges first
            conflicts += 1
            continue
        written.append(draft)
    batches = list(_chunks(drafts, WRITE_CHUNK))
    # The values of the chunk after the one being written: made while PostgreSQL stores the
    # lines of the current one (`write_prepared`'s `meanwhile`), on the other core.
    ahead: ChunkValues | None = None
    for at, batch in enumerate(batches):
        values = ahead if ahead is not None else _chunk_values(ctx, run, batch)
        ahead = None
        following = batches[at + 1] if at + 1 < len(batches) else None

        def read_following(following: Sequence[DraftInvoice] | None = following) -> None:
            if following is not None and sealer is not None:
                sealer.read_ahead(ctx, following)

        def prepare_following(following: Sequence[DraftInvoice] | None = following) -> None:
            nonlocal ahead
            if following is not None:
                ahead = _chunk_values(ctx, run, following)
                if sealer is not None:  # its documents, while the server stores the lines
                    sealer.work_ahead(ctx, ahead[0], lines_by_invoice(ahead[1]))

        try:
            with ctx.session.begin_nested():
                _write_chunk(ctx, run, batch, sealer, values, prepare_following, read_following)
        except IntegrityError:
            # A concurrent run stored some of these charges first: find which invoices, one
            # savepoint each; those are billed by the other run, not us.
            for draft in batch:
                try:
                    with ctx.session.begin_nested():
                        _write_chunk(ctx, run, [draft], sealer)
                except IntegrityError:
                    draft.invoice_id = None
                    conflicts += 1
                    continue
                written.append(draft)
            continue
        written.extend(batch)
    if onto:
        written.sort(key=_order)
    run.status = "completed"
    run.invoices_created = len(written) - sum(1 for d, _ in onto if d.invoice_id is not None)
    run.lines_created = sum(len(d.lines) for d in written)
    run.conflicts = conflicts
    run.finished_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "run", "billing_run", run.id, None, {"as_of": as_of.isoformat()})
    outcome = RunOutcome(run, as_of, False, written, conflicts)
    if sealer is None and written:
        # Drafts the organization finalizes N hours after they are made: the worker will.
        from tarif.invoicing.finalize_jobs import schedule_for

        schedule_for(ctx, run.finished_at)
    if sealer is not None:
        # Sealed as written; whatever is left as a draft (nothing, in a run alone) goes after.
        left = finalize_run(ctx, run.id, invoices_only=invoices_only)
        outcome.finalized = sealer.finalized + left.finalized
    return outcome


def upcoming_invoice(ctx: Ctx, customer_id: str) -> DraftInvoice | None:
    """The customer's next invoice: a dry run for that customer at its next billing date (the
    first of them, by currency then contract, when that day makes several)."""
    upcoming = upcoming_invoices(ctx, customer_id)
    return upcoming[0] if upcoming else None


def upcoming_invoices(ctx: Ctx, customer_id: str) -> list[DraftInvoice]:
    """Every invoice of the customer's next billing date, as a dry run makes them: one per
    currency, and one per contract for contracts grouping their own invoices; by currency then
    contract."""
    if "\x00" in customer_id:
        raise NotFound("customer not found")
    customer: Customer = get_scoped(ctx.session, Customer, ctx.organization_id, customer_id)
    day = contract_store.today(ctx)
    horizon = date(day.year + 2, day.month, 1)
    # Rating usage moves watermarks: a preview leaves nothing behind.
    preview = ctx.session.begin_nested()
    try:
        return _upcoming(ctx, customer, day, horizon)
    finally:
        preview.rollback()


def _upcoming(ctx: Ctx, customer: Customer, day: date, horizon: date) -> list[DraftInvoice]:
    pending: list[DraftInvoice] = []
    for contract in _contracts(ctx, customer.id, PREVIEWED):
        versions = contract_store.versions_of(ctx, contract)
        stored = [_as_charge(row) for row in billed_lines(ctx, contract.id)]
        ahead = charges_as_of(
            versions,
            horizon,
            already_billed=stored,
            suspensions=_suspensions(ctx, contract),
            credit_on_termination=_credits_on_termination(versions),
        )
        due_days = [c.due_on for c in ahead]
        due_days += [u.due_on for u in usage_due(versions, horizon, rated=_rated(ctx, contract))]
        if due_days:
            next_day = max(min(due_days), day)
            if contract.status == ContractStatus.PENDING.value:
                # Billed by the run that activates it (its date reached), as that run does it;
                # a contract waiting for a person, a signature or a payment is not billed yet.
                activates_on = contracts.activation_day(ctx, contract, horizon)
                if activates_on is None:
                    continue
                next_day = max(next_day, activates_on)
                contracts.activate_when_due(ctx, contract, next_day)
            pending += build_drafts(ctx, next_day, customer_id=customer.id)
    if not pending:
        return []
    soonest = min(d.key.billing_date for d in pending)
    # Each contract's day builds the customer's whole day: one draft per key.
    same_day = {d.key: d for d in pending if d.key.billing_date == soonest}
    _mark_joined(ctx, list(same_day.values()))
    return sorted(
        same_day.values(),
        key=lambda d: (
            d.key.currency,
            d.key.contract_id or "",
            d.key.corrects_invoice_id or "",
            d.key.tax_treatment or "",
        ),
    )


def _rated(ctx: Ctx, contract: Contract) -> list[tuple[str, date, date]]:
    """The usage periods of a contract already on an invoice: (line key, start, end)."""
    stmt = (
        select(InvoiceLine.line_key, InvoiceLine.period_start, InvoiceLine.period_end)
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            InvoiceLine.contract_id == contract.id,
            InvoiceLine.source == USAGE_SOURCE,
        )
        .distinct()
    )
    return [(str(k), cast(date, s), cast(date, e)) for k, s, e in ctx.session.execute(stmt)]


# --- building drafts ---------------------------------------------------------------------------


def _contracts(
    ctx: Ctx, customer_id: str | None, statuses: tuple[ContractStatus, ...] = BILLABLE
) -> list[Contract]:
    rows = contract_store.contracts_in(ctx, statuses)
    return [c for c in rows if customer_id is None or c.customer_id == customer_id]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _customer_chunks(heads: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Chunks of about `size` contracts that never split a customer's contracts (usage
    rating decides which of a customer's contracts counts which events)."""
    ordered = sorted(heads, key=lambda h: (h.customer_id, h.id))
    start = 0
    while start < len(ordered):
        end = min(start + size, len(ordered))
        while end < len(ordered) and ordered[end].customer_id == ordered[end - 1].customer_id:
            end += 1
        yield ordered[start:end]
        start = end


def build_drafts(
    ctx: Ctx,
    as_of: date,
    *,
    customer_id: str | None = None,
    progress: Progress | None = None,
    keep_terms: bool = False,
) -> list[DraftInvoice]:
    """The invoices everything due up to `as_of` would make (one customer's when given).

    With `keep_terms` (a run that writes), the contracts' payment terms are kept for the
    transaction, so sealing the invoices does not read the versions again."""
    org = ctx.session.get(Organization, ctx.organization_id)
    seller_country = org.country if org is not None else "FR"
    mode = RoundingMode(org.rounding_mode) if org is not None else RoundingMode.HALF_UP
    groups: dict[GroupKey, DraftInvoice] = {}
    heads = _contract_heads(ctx, customer_id)
    treatments: dict[str, TaxTreatment] = {}
    categories: dict[str, str] = {}
    issue_day = contract_store.today(ctx)
    own_invoices: set[str] = set()  # contracts invoiced on their own
    rater = UsageRater(ctx, as_of, mode, org.timezone if org is not None else "UTC")
    done = 0
    for chunk in _customer_chunks(heads, CHUNK):
        ids = [head.id for head in chunk]
        versions_by = contract_store.versions_by_contract(ctx, ids)
        billed_by = _billed_by_contract(ctx, ids)
        suspensions_by = _suspensions_by_contract(ctx, ids)
        _load_treatments(ctx, {h.customer_id for h in chunk}, seller_country, treatments)
        # Each contract's charges with the product each bills.
        chunk_charges: list[tuple[Any, list[CoreVersion], list[tuple[Charge, str]]]] = []
        computed: dict[tuple[Any, ...], tuple[list[Charge], Any, Any]] = {}
        for head in chunk:
            versions = versions_by.get(head.id, [])
            if keep_terms:
                remember_contract_terms(ctx, head.id, versions, issue_day)
            charges = _charges_of(
                versions,
                as_of,
                billed_by.get(head.id, ()),
                suspensions_by.get(head.id, ()),
                computed,
            )
            billing = [(charge, _product_of(versions, charge)) for charge in charges]
            chunk_charges.append((head, versions, billing))
        rater.plan(chunk, versions_by)  # usage is measured once for the run, below
        products = {product_id for _, _, billing in chunk_charges for _, product_id in billing}
        _load_categories(ctx, products, categories)
        # What billed the days credited: one query for the chunk's few contracts with credits.
        credits = [
            (head.id, charge.period.start)
            for head, _, billing in chunk_charges
            for charge, _ in billing
            if _takes_back(charge)
        ]
        origins_by = _billed_days_by_contract(
            ctx,
            sorted({contract_id for contract_id, _ in credits}),
            min((start for _, start in credits), default=None),
        )
        for head, versions, billing in chunk_charges:
            per_contract = versions[-1].terms.invoice_grouping is InvoiceGrouping.CONTRACT
            _group_charges(
                groups,
                head,
                billing,
                treatments[head.customer_id],
                categories,
                per_contract=per_contract,
                to_notes=versions[-1].terms.corrections is Corrections.CREDIT_NOTE,
                origins=origins_by.get(head.id, ()),
            )
            if per_contract:
                own_invoices.add(head.id)
            done += 1
            if progress is not None:
                progress(done, len(heads))
    _add_usage(ctx, rater.finish(), heads, own_invoices, treatments, categories, groups)
    drafts = sorted(groups.values(), key=_order)
    from tarif.coupons.billing import apply_coupons  # imports this module: imported here

    apply_coupons(ctx, drafts, as_of)
    totals: TotalsMemo = {}
    for draft in drafts:
        _total(draft, mode, totals)
    return drafts


def _group_charges(
    groups: dict[GroupKey, DraftInvoice],
    head: Any,
    billing: Sequence[tuple[Charge, str]],
    treatment: TaxTreatment,
    categories: dict[str, str],
    *,
    per_contract: bool,
    to_notes: bool,
    origins: Sequence[BilledDays],
) -> None:
    """A contract's charges on their drafts, each with its VAT; a credit with the VAT of what
    billed its days, on the document `place_credit` says."""
    own = head.id if per_contract else None
    for charge, product_id in billing:
        category = categories[product_id]
        key = GroupKey(head.customer_id, head.currency, charge.due_on, own)
        line = DraftLine(head.id, product_id, category, _rate(category, treatment), charge)
        placed = _placed(line, key, treatment, origins, to_notes=to_notes)
        if placed is None:
            continue  # its days went back with the void or the full credit note
        key, document = placed
        draft = groups.get(key)
        if draft is None:
            draft = groups[key] = DraftInvoice(key, document.value)
        draft.lines.append(line)


def _takes_back(charge: Charge) -> bool:
    """A credit of days, or a negative amount taking back a top-up, a fee or a usage part
    billed: placed by what it gives back (`credit_origin`)."""
    return charge.kind is ChargeKind.CREDIT or (
        charge.kind is not ChargeKind.CHARGE and charge.net < 0
    )


def _placed(
    line: DraftLine,
    key: GroupKey,
    treatment: TaxTreatment,
    origins: Sequence[BilledDays],
    *,
    to_notes: bool,
) -> tuple[GroupKey, TaxTreatment] | None:
    """The draft a line goes on and that draft's treatment; a line taking back what was billed
    gets the VAT of the line it gives back (set on `line`). None for a credit of days billed on
    an invoice given back whole already (voided, or credited in full): not billed again."""
    charge = line.charge
    if not _takes_back(charge):
        return key, treatment
    if charge.kind is ChargeKind.CREDIT:
        origin = billed_by(origins, charge.line_key, charge.version, charge.period)
        if origin is not None and origin.given_back:
            return None
    else:
        part = split_part(line.usage_part)[1] if line.usage_part else ""
        origin = taken_back(origins, charge.kind.value, charge.line_key, charge.period, part)
        to_notes = False  # the contract's `corrections` is about credits of days
    place = place_credit(
        origin, treatment, line.vat_category, line.vat_rate, to_credit_notes=to_notes
    )
    line.vat_category, line.vat_rate = place.vat_category, place.vat_rate
    key = replace(
        key,
        corrects_invoice_id=place.corrects_invoice_id,
        tax_treatment=place.tax_treatment.value if place.former_treatment else None,
    )
    return key, place.tax_treatment


def _charges_of(
    versions: list[CoreVersion],
    as_of: date,
    billed: Sequence[Charge],
    suspensions: Sequence[Period],
    computed: dict[tuple[Any, ...], tuple[list[Charge], Any, Any]],
) -> list[Charge]:
    """`charges_as_of`, computed once for the contracts of a chunk whose billing inputs are the
    same objects: contracts of one plan, started the same day, with the same history, share
    their decoded lines (`versions_by_contract`) and their billed charges
    (`_billed_by_contract`), and owe the same (immutable) charges. The list is not to be
    changed by the caller."""
    credit = _credits_on_termination(versions)
    key = _billing_inputs(versions, as_of, billed, suspensions)
    if key is not None and (found := computed.get(key)) is not None:
        return found[0]
    charges = charges_as_of(
        versions,
        as_of,
        already_billed=billed,
        suspensions=suspensions,
        credit_on_termination=credit,
    )
    if key is None:
        return charges
    # The key names objects by identity: they are kept alive with it, so no other object
    # takes their ids while the chunk runs.
    computed[key] = (charges, versions, billed)
    return charges


def _credits_on_termination(versions: Sequence[CoreVersion]) -> bool:
    """The contract's `credit_on_termination`, as its latest version says (the one a
    termination writes): credit the unused days billed in advance, or leave them billed."""
    return not versions or versions[-1].terms.credit_on_termination


def _billing_inputs(
    versions: list[CoreVersion],
    as_of: date,
    billed: Sequence[Charge],
    suspensions: Sequence[Period],
) -> tuple[Any, ...] | None:
    """All that `charges_as_of` reads, lines, amendments and billed charges by identity (equal
    decimals may be written differently: only the same object is the same input); None when
    it reads more (a line's minimum commitment reads the contract's terms)."""
    parts = []
    for version in versions:
        terms = version.terms
        lines = terms.lines
        if any(line.minimum_commitment is not None for line in lines):
            return None
        amendment = version.amendment
        parts.append(
            (
                version.number,
                version.effective_from,
                None if amendment is None else id(amendment),  # its id is on the charges
                terms.start_date,
                terms.end_date,
                terms.billing_alignment,
                terms.currency,
                terms.credit_on_termination,  # the last version's is passed on
                tuple([id(line) for line in lines]),
            )
        )
    return (as_of, tuple(parts), tuple([id(charge) for charge in billed]), tuple(suspensions))


def _add_usage(
    ctx: Ctx,
    usage_by: dict[str, list[UsageCharge]],
    heads: Sequence[Any],
    own_invoices: set[str],
    treatments: dict[str, TaxTreatment],
    categories: dict[str, str],
    groups: dict[GroupKey, DraftInvoice],
) -> None:
    """The run's usage lines, each on its contract's invoice of its billing date (a negative
    part of a late re-rating: where `credit_origin` puts what it takes back)."""
    if not usage_by:
        return
    _load_categories(ctx, {u.product_id for lines in usage_by.values() for u in lines}, categories)
    taking_back = [
        (contract_id, used.charge.period.start)
        for contract_id, lines in usage_by.items()
        for used in lines
        if used.charge.net < 0
    ]
    origins_by = _billed_days_by_contract(
        ctx,
        sorted({contract_id for contract_id, _ in taking_back}),
        min((start for _, start in taking_back), default=None),
    )
    for head in heads:
        for used in usage_by.get(head.id, ()):
            treatment = treatments[head.customer_id]
            key = GroupKey(
                head.customer_id,
                head.currency,
                used.charge.due_on,
                head.id if head.id in own_invoices else None,
            )
            category = categories[used.product_id]
            line = DraftLine(
                head.id,
                used.product_id,
                category,
                _rate(category, treatment),
                used.charge,
                USAGE_SOURCE,
                used.part,
                used.usage,
            )
            placed = _placed(line, key, treatment, origins_by.get(head.id, ()), to_notes=False)
            if placed is None:  # a usage line is never a credit of days: kept for the type
                continue
            key, document = placed
            draft = groups.get(key)
            if draft is None:
                draft = groups[key] = DraftInvoice(key, document.value)
            draft.lines.append(line)


def _contract_heads(ctx: Ctx, customer_id: str | None) -> list[Any]:
    """Billable contracts as (id, customer_id, currency, reference) rows, in id order."""
    stmt = select(Contract.id, Contract.customer_id, Contract.currency, Contract.reference).where(
        Contract.organization_id == ctx.organization_id,
        Contract.status.in_([s.value for s in BILLABLE]),
    )
    if customer_id is not None:
        stmt = stmt.where(Contract.customer_id == customer_id)
    return list(ctx.session.execute(stmt.order_by(Contract.id)))


_BILLED_COLUMNS = (
    InvoiceLine.contract_id,  # first: the other columns are what the charge says
    InvoiceLine.line_key,
    InvoiceLine.contract_version,
    InvoiceLine.amendment_id,
    InvoiceLine.kind,
    InvoiceLine.period_start,
    InvoiceLine.period_end,
    InvoiceLine.full_period_start,
    InvoiceLine.full_period_end,
    InvoiceLine.due_on,
    InvoiceLine.quantity,
    InvoiceLine.unit_price,
    InvoiceLine.price_source,
    InvoiceLine.exact_net,
    InvoiceLine.discount_amount,
    InvoiceLine.adjustment,
    InvoiceLine.description,
)


def _billed_by_contract(ctx: Ctx, ids: Sequence[str]) -> dict[str, list[Charge]]:
    """Every stored line of each contract as a charge, in the order issued (as `billed_lines`)."""
    stmt = (
        select(*_BILLED_COLUMNS)
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            among(InvoiceLine.contract_id, ids, dialect_of(ctx.session)),
            InvoiceLine.source == "contract",
        )
        .order_by(InvoiceLine.id)
    )
    result: dict[str, list[Charge]] = defaultdict(list)
    periods: dict[tuple[date, date], Period] = {}  # most lines share a few periods
    # Contracts of the same product, price and period bill the same charge: one (immutable)
    # Charge stands for all of them, built once.
    shared: dict[tuple[Any, ...], Charge] = {}
    for row in rows(ctx.session, stmt):
        billed = row[1:]  # all but contract_id: what the charge says
        charge = shared.get(billed)
        if charge is None:
            charge = shared[billed] = _as_charge(cast(InvoiceLine, row), periods)
        result[row.contract_id].append(charge)
    return result


def _billed_days_by_contract(
    ctx: Ctx, ids: Sequence[str], first_credited: date | None
) -> dict[str, list[BilledDays]]:
    """The charge lines of each contract with their invoice's status and tax treatment, in the
    order issued: what the contract's credits give back (`credit_origin.billed_by`). Only lines
    ending after `first_credited` can hold a credited day: the older history is not read."""
    if not ids or first_credited is None:
        return {}
    dialect = dialect_of(ctx.session)
    # Two look-ups by key rather than a join: with a join PostgreSQL may hash the whole
    # invoices table of the organization (stale statistics mid-run) to match a few lines.
    lines = ctx.session.execute(
        select(
            InvoiceLine.contract_id,
            InvoiceLine.kind,
            InvoiceLine.invoice_id,
            InvoiceLine.line_key,
            InvoiceLine.contract_version,
            InvoiceLine.period_start,
            InvoiceLine.period_end,
            InvoiceLine.vat_category,
            InvoiceLine.vat_rate,
            InvoiceLine.net_amount,
            InvoiceLine.usage_part,
        )
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            among(InvoiceLine.contract_id, ids, dialect),
            InvoiceLine.source.in_(("contract", USAGE_SOURCE)),
            InvoiceLine.period_end > first_credited,
        )
        .order_by(InvoiceLine.id)
    ).all()
    # Credits are left out here, not in SQL: `kind` is a column of the lines' unique key, and
    # a condition on it led PostgreSQL to scan the organization's whole key range (200 ms a
    # chunk) instead of looking up the contracts (5 ms). Amounts (top-ups, fees, usage parts)
    # count when positive: what a negative one takes back.
    charges = [
        line
        for line in lines
        if line.kind == ChargeKind.CHARGE.value
        or (line.kind != ChargeKind.CREDIT.value and line.net_amount > 0)
    ]
    invoices = {
        row.id: row
        for row in ctx.session.execute(
            select(
                Invoice.id,
                Invoice.kind,
                Invoice.status,
                Invoice.tax_treatment,
                Invoice.gross_total,
            ).where(
                # `of_tenant`: SQLite would otherwise read every invoice of the organization
                # by its index and keep these (a chunk of a 100,000-contract run: 80 ms).
                of_tenant(Invoice.organization_id, ctx.organization_id),
                among(Invoice.id, {line.invoice_id for line in charges}, dialect),
            )
        )
    }
    # Invoices credit notes give back in part: their days are credited by a note (see
    # `credit_origin`), checked against what they have left.
    with_notes = credited(ctx, list(invoices))
    result: dict[str, list[BilledDays]] = defaultdict(list)
    periods: dict[tuple[date, date], Period] = {}
    for line in charges:
        invoice = invoices[line.invoice_id]
        given_back = invoice.status == InvoiceStatus.VOIDED.value or (
            invoice.status == InvoiceStatus.CREDITED.value and invoice.gross_total > 0
        )
        result[line.contract_id].append(
            BilledDays(
                invoice_id=line.invoice_id,
                correctable=invoice.kind == "invoice" and invoice.status in CORRECTABLE,
                line_key=line.line_key,
                version=line.contract_version,
                period=_shared_period(line.period_start, line.period_end, periods),
                tax_treatment=TaxTreatment(invoice.tax_treatment),
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                kind=line.kind,
                part=split_part(line.usage_part)[1] if line.usage_part else "",
                given_back=given_back,
                partly_credited=not given_back and line.invoice_id in with_notes,
            )
        )
    return result


def _suspensions_by_contract(ctx: Ctx, ids: Sequence[str]) -> dict[str, list[Period]]:
    """The suspended days of the contracts ever suspended (the steps of the others, submitted
    and activated, suspend nothing: they are not read)."""
    tenant = contract_store.of_tenant(ContractTransition.organization_id, ctx.organization_id)
    suspended = select(ContractTransition.contract_id).where(
        tenant,
        among(ContractTransition.contract_id, ids, dialect_of(ctx.session)),
        ContractTransition.action == Action.SUSPEND.value,
    )
    stmt = (
        select(
            ContractTransition.contract_id,
            ContractTransition.action,
            ContractTransition.effective_date,
        )
        .where(tenant, ContractTransition.contract_id.in_(suspended))
        .order_by(ContractTransition.id)
    )
    steps: dict[str, list[tuple[Action, date]]] = defaultdict(list)
    for row in ctx.session.execute(stmt):
        steps[row.contract_id].append((Action(row.action), row.effective_date))
    return {contract_id: _suspended(s) for contract_id, s in steps.items()}


def _load_treatments(
    ctx: Ctx, customer_ids: set[str], seller_country: str, known: dict[str, TaxTreatment]
) -> None:
    missing = [c for c in customer_ids if c not in known]
    if not missing:
        return
    stmt = select(
        Customer.id, Customer.country, Customer.kind, Customer.vat_number, Customer.tax_status
    ).where(
        of_tenant(Customer.organization_id, ctx.organization_id),
        among(Customer.id, missing, dialect_of(ctx.session)),
    )
    for row in ctx.session.execute(stmt):
        known[row.id] = treatment_of(cast(Customer, row), seller_country)


def _load_categories(ctx: Ctx, product_ids: set[str], known: dict[str, str]) -> None:
    missing = [p for p in product_ids if p not in known]
    if not missing:
        return
    stmt = select(Product.id, Product.vat_category).where(
        of_tenant(Product.organization_id, ctx.organization_id),
        among(Product.id, missing, dialect_of(ctx.session)),
    )
    for row in ctx.session.execute(stmt):
        known[row.id] = row.vat_category
    for product_id in missing:
        known.setdefault(product_id, "standard")


def _order(draft: DraftInvoice) -> tuple[date, str, str, str]:
    key = draft.key
    return (key.billing_date, key.customer_id, key.currency, key.contract_id or "")


def _rate(category: str, treatment: TaxTreatment) -> Decimal:
    if treatment is not TaxTreatment.STANDARD:
        return Decimal(0)  # reverse charge, export or an exempt customer: no French VAT
    return vat_rate(VatCategory(category))


# Totals by the identity of the lines' charges and rates, and the currency: the invoices of the
# contracts of a plan bill the same (shared) charges. The objects are kept in the entry, so
# their ids cannot be another's while it lives.
TotalsMemo = dict[tuple[Any, ...], tuple[tuple[Any, ...], InvoiceTotals]]


def _total(draft: DraftInvoice, mode: RoundingMode, memo: TotalsMemo | None = None) -> None:
    parts = tuple(part for line in draft.lines for part in (line.charge, line.vat_rate))
    key = (*map(id, parts), draft.key.currency)
    entry = None if memo is None else memo.get(key)
    if entry is None:
        totals = invoice_totals(
            [TaxedLine(line.charge.net, line.vat_rate) for line in draft.lines],
            draft.key.currency,
            mode,
        )
        if memo is not None:
            memo[key] = (parts, totals)
    else:
        totals = entry[1]
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
    transitions = contract_store.lifecycle_of(ctx, contract).transitions
    return _suspended([(t.action, t.on) for t in transitions])


def _suspended(steps: Sequence[tuple[Action, date]]) -> list[Period]:
    """[suspended on, resumed on) from (action, day) steps in the order recorded."""
    periods: list[Period] = []
    since: date | None = None
    for action, on in steps:
        if action is Action.SUSPEND:
            since = on
        elif since is not None:
            if on > since:
                periods.append(Period(since, on))
            since = None
    if since is not None:
        periods.append(Period(since, date.max))
    return periods


_KINDS = {kind.value: kind for kind in ChargeKind}
_PRICE_SOURCES = {source.value: source for source in LinePriceSource}


def _as_charge(row: InvoiceLine, periods: dict[tuple[date, date], Period] | None = None) -> Charge:
    """A stored line as the core's charge: what it needs to know what is already billed.

    `periods` shares one (immutable) `Period` between the lines of a batch that bill the same
    days, instead of building and checking the same period again for each of them."""
    memo: dict[tuple[date, date], Period] = {} if periods is None else periods
    exact = Decimal(row.exact_net)
    return Charge(
        line_key=row.line_key,
        version=row.contract_version,
        amendment_id=row.amendment_id,
        kind=_KINDS.get(row.kind) or ChargeKind(row.kind),
        period=_shared_period(row.period_start, row.period_end, memo),
        full_period=_shared_period(row.full_period_start, row.full_period_end, memo),
        due_on=row.due_on,
        quantity=row.quantity,
        unit_price=row.unit_price,
        price_source=_PRICE_SOURCES.get(row.price_source) or LinePriceSource(row.price_source),
        gross=exact + row.discount_amount,
        discount_amount=row.discount_amount,
        discounts=(),
        net=exact,
        adjustment=row.adjustment,
        description=row.description,
    )


def _shared_period(start: date, end: date, memo: dict[tuple[date, date], Period]) -> Period:
    period = memo.get((start, end))
    if period is None:
        period = memo[(start, end)] = Period(start, end)
    return period


# --- writing -------------------------------------------------------------------------------------


# The invoices' and the lines' column values of a chunk of drafts.
ChunkValues = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def _chunk_values(ctx: Ctx, run: BillingRun, drafts: Sequence[DraftInvoice]) -> ChunkValues:
    """The rows a chunk of drafts makes, as column values (no database work); gives each
    draft its invoice id."""
    now = ctx.clock.now()
    invoices: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    charge_columns: ChargeColumns = {}
    for draft, invoice_id in zip(drafts, new_ids("inv", len(drafts)), strict=True):
        key = draft.key
        invoices.append(
            {
                "id": invoice_id,
                "organization_id": ctx.organization_id,
                "customer_id": key.customer_id,
                "contract_id": key.contract_id,
                "billing_run_id": run.id,
                "currency": key.currency,
                "billing_date": key.billing_date,
                "status": InvoiceStatus.DRAFT.value,
                "series": CREDIT_NOTE if key.corrects_invoice_id else INVOICE_SERIES,
                "kind": CREDIT_NOTE if key.corrects_invoice_id else "invoice",
                "corrects_invoice_id": key.corrects_invoice_id,
                "number": None,
                "issue_date": None,
                "due_date": None,
                "tax_treatment": draft.tax_treatment,
                "net_total": draft.net_total,
                "vat_total": draft.vat_total,
                "gross_total": draft.gross_total,
                "vat_breakdown": draft.vat_breakdown,
                "amount_paid": Decimal(0),
                "content_hash": None,
                "finalized_at": None,
                "document": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        lines += _line_values(ctx, invoice_id, key.currency, draft, 1, charge_columns)
        draft.invoice_id = invoice_id
    return invoices, lines


def _mark_joined(ctx: Ctx, drafts: Sequence[DraftInvoice]) -> None:
    """A preview's groups that a run would add to an open draft name that draft."""
    for draft, invoice in _onto_drafts(ctx, drafts, lock=False)[1]:
        draft.joins_draft_id = invoice.id


def _onto_drafts(
    ctx: Ctx, drafts: Sequence[DraftInvoice], *, lock: bool = True
) -> tuple[list[DraftInvoice], list[tuple[DraftInvoice, Invoice]]]:
    """Splits a run's groups into those that make a new invoice and those whose invoice is
    already a draft (an earlier run of the day: same customer, currency, billing date,
    contract, corrected invoice and tax treatment), each with that draft.

    One indexed read per chunk of groups, of the drafts of its customers on its billing dates:
    usually it finds nothing. On PostgreSQL the drafts found are locked, so a finalization or
    an edit running meanwhile waits for the run (and one that came first leaves a finalized
    invoice, which the run no longer finds: a new invoice is made)."""
    fresh: list[DraftInvoice] = []
    onto: list[tuple[DraftInvoice, Invoice]] = []
    dialect = dialect_of(ctx.session)
    for chunk in _chunks(drafts, WRITE_CHUNK):
        stmt = (
            select(Invoice)
            .where(
                Invoice.organization_id == ctx.organization_id,
                among(Invoice.customer_id, {d.key.customer_id for d in chunk}, dialect),
                Invoice.billing_date.in_(sorted({d.key.billing_date for d in chunk})),
                Invoice.status == InvoiceStatus.DRAFT.value,
            )
            .order_by(Invoice.id)
        )
        if lock:
            stmt = stmt.with_for_update()
        found = {_draft_key(row): row for row in ctx.session.scalars(stmt)}
        for draft in chunk:
            invoice = found.get(_key_of(draft)) if found else None
            if invoice is None:
                fresh.append(draft)
            else:
                onto.append((draft, invoice))
    return fresh, onto


def _draft_key(invoice: Invoice) -> tuple[Any, ...]:
    return (
        invoice.customer_id,
        invoice.currency,
        invoice.billing_date,
        invoice.contract_id,
        invoice.corrects_invoice_id,
        invoice.tax_treatment,
    )


def _key_of(draft: DraftInvoice) -> tuple[Any, ...]:
    key = draft.key
    return (
        key.customer_id,
        key.currency,
        key.billing_date,
        key.contract_id,
        key.corrects_invoice_id,
        draft.tax_treatment,  # the draft's treatment: today's, or the former one it gives back
    )


def _add_to_draft(ctx: Ctx, run: BillingRun, invoice: Invoice, draft: DraftInvoice) -> None:
    """Writes a group's lines after a draft's own and prices the draft again as any draft edit
    does (`reprice_draft`: line nets, the discounts typed on the draft over the lines now on
    it, totals); the draft then belongs to this run (finalizing the run finalizes it)."""
    # service_drafts imports this module: imported here.
    from tarif.invoicing.service_drafts import reprice_draft

    money = currency(invoice.currency)

    def totals() -> dict[str, str]:  # in the currency's minor unit, as the API shows them
        return {
            name: str(round_to_minor_unit(getattr(invoice, name), money))
            for name in ("net_total", "vat_total", "gross_total")
        }

    before = totals()
    last = ctx.session.scalar(
        select(func.max(InvoiceLine.position)).where(
            InvoiceLine.organization_id == ctx.organization_id,
            InvoiceLine.invoice_id == invoice.id,
        )
    )
    values = _line_values(ctx, invoice.id, invoice.currency, draft, (last or 0) + 1)
    ctx.session.add_all([InvoiceLine(**v) for v in values])
    ctx.session.flush()  # the unique key refuses a charge a concurrent run stored first
    invoice.billing_run_id = run.id
    reprice_draft(ctx, invoice)  # discounts typed on the draft cover the new lines too
    _link_items(ctx, values)
    draft.invoice_id = invoice.id
    after = totals() | {"billing_run_id": run.id, "lines_added": str(len(draft.lines))}
    record(ctx, "add_run_lines", "invoice", invoice.id, before, after)


def _write_chunk(
    ctx: Ctx,
    run: BillingRun,
    drafts: Sequence[DraftInvoice],
    sealer: InlineSealer | None,
    values: ChunkValues | None = None,
    meanwhile: Callable[[], None] | None = None,
    read_ahead: Callable[[], None] | None = None,
) -> None:
    """Stores drafts and their lines: one multi-row INSERT (COPY) per table; finalized on the
    way when the run finalizes (see `service_seal_inline`). `meanwhile` (work that needs no
    database) runs while PostgreSQL stores the lines; `read_ahead` (reads it needs) just
    before, once the invoices are stored."""
    invoices, lines = values if values is not None else _chunk_values(ctx, run, drafts)
    if sealer is not None:
        sealer.seal(ctx, invoices, lines_by_invoice(lines))
    session = ctx.session
    invoice_rows = prepare_rows(session, cast(Table, Invoice.__table__), invoices)
    line_rows: PreparedRows | None = None

    def prepare_lines() -> None:  # while the server stores the invoices
        nonlocal line_rows
        line_rows = prepare_rows(session, cast(Table, InvoiceLine.__table__), lines)

    write_prepared(session, invoice_rows, prepare_lines)
    if read_ahead is not None:
        read_ahead()
    write_prepared(session, line_rows, meanwhile)
    invoices_created(ctx, invoices)
    _link_items(ctx, lines)
    if sealer is not None:
        sealer.after_insert(ctx)


def _link_items(ctx: Ctx, lines: Sequence[dict[str, Any]]) -> None:
    """Points the billable items of event triggers not invoiced yet (the last events before
    a collection, free events) at the invoice rating their period at its end."""
    # Triggers build on invoicing: imported here.
    from tarif.triggers.items import link_period_end

    finals = [
        (line["contract_id"], line["line_key"], line["period_start"], line["invoice_id"])
        for line in lines
        if line["source"] == USAGE_SOURCE
        and not line["adjustment"]
        and str(line["usage_part"] or "").startswith(FINAL)
    ]
    if finals:
        link_period_end(ctx, finals)


def _line_values(
    ctx: Ctx,
    invoice_id: str,
    currency_code: str,
    draft: DraftInvoice,
    first_position: int,
    charge_columns: ChargeColumns | None = None,
) -> list[dict[str, Any]]:
    """The column values of a draft's lines, numbered from `first_position`.
    `charge_columns`: what a caller writing many drafts keeps of each charge's columns."""
    money = currency(currency_code)
    known = {} if charge_columns is None else charge_columns
    lines = zip(draft.lines, draft.net_lines, strict=True)
    values: list[dict[str, Any]] = []
    ids = new_ids("inl", len(draft.lines))
    for position, (line, net) in enumerate(lines, first_position):
        values.append(
            {
                "id": ids[position - first_position],
                "organization_id": ctx.organization_id,
                "invoice_id": invoice_id,
                "position": position,
                "source": line.source,
                "contract_id": line.contract_id,
                "product_id": line.product_id,
                "net_amount": net,
                "vat_rate": line.vat_rate,
                "vat_category": line.vat_category,
                "usage_part": line.usage_part,
                "usage": line.usage,
            }
            | _charge_columns(line.charge, money, known)
        )
    return values


# The columns a charge gives its line, by charge and currency: contracts of a plan share their
# charges (`_charges_of`), whose columns are then worked out once. The charge is kept beside its
# columns, so its id cannot be another object's while the entry lives.
ChargeColumns = dict[tuple[int, str], tuple[Charge, dict[str, Any]]]


def _charge_columns(charge: Charge, money: Currency, known: ChargeColumns) -> dict[str, Any]:
    key = (id(charge), money.code)
    entry = known.get(key)
    if entry is not None:
        return entry[1]
    columns = {
        "contract_version": charge.version,
        "line_key": charge.line_key,
        "kind": charge.kind.value,
        "adjustment": charge.adjustment,
        "period_start": charge.period.start,
        "period_end": charge.period.end,
        "full_period_start": charge.full_period.start,
        "full_period_end": charge.full_period.end,
        "due_on": charge.due_on,
        "quantity": charge.quantity,
        "unit_price": charge.unit_price,
        "exact_net": str(charge.net),
        "discount_amount": round_to_minor_unit(charge.discount_amount, money),
        "price_source": charge.price_source.value,
        "discounts": [encode_discount(d) for d in charge.discounts],
        "amendment_id": charge.amendment_id,
        "description": charge.description,
    }
    known[key] = (charge, columns)
    return columns


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
        series=CREDIT_NOTE if key.corrects_invoice_id else INVOICE_SERIES,
        kind=CREDIT_NOTE if key.corrects_invoice_id else "invoice",
        corrects_invoice_id=key.corrects_invoice_id,
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
    values = _line_values(ctx, invoice.id, invoice.currency, draft, first_position)
    ctx.session.add_all([InvoiceLine(**v) for v in values])
    ctx.session.flush()
