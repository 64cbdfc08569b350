"""Finalizing a whole billing run at once: every draft it wrote gets its number, hash and due date.

Finalizing a run gives exactly what finalizing its drafts one by one in billing order would
(`finalize_invoice`): the same numbers, due dates, snapshots and content hashes, and one audit
record per invoice. It is only cheaper: the block of consecutive numbers is drawn from the
gap-free sequence once, in the same transaction (so a finalization that rolls back gives the
whole block back), and the drafts, their lines and customers are read a chunk at a time with
one `IN` query each instead of several queries per invoice. Every invoice still goes through
`seal_invoice`, so a step added to finalization applies here too; what it changed on the
chunk's invoices is then written with one executemany `UPDATE` (not the unit of work's flush,
which costs more than the sealing itself) and their audit records with one multi-row `INSERT`
of the values `record` would write.

Billing order is the order a run builds its drafts in: billing date, customer, currency, then
contract (an invoice grouped per customer first), then id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, inspect, select, update

from tarif.audit.models import AuditEvent
from tarif.audit.service import event_values
from tarif.context import Ctx
from tarif.contracts.service_store import of_tenant, today
from tarif.customers.models import Customer
from tarif.db.among import among, dialect_of
from tarif.db.bulk import insert_rows
from tarif.db.repository import scoped
from tarif.invoicing import balance
from tarif.invoicing.issued import prefetch_contract_terms
from tarif.invoicing.models import Invoice, InvoiceLine, NumberSequence
from tarif.invoicing.numbering import invoice_number
from tarif.invoicing.service_credit_notes import over_credit
from tarif.invoicing.service_invoices import (
    INVOICE_SERIES,
    InvoiceStatus,
    next_sequence_value,
    number_format,
    seal_invoice,
)
from tarif.invoicing.service_runs import get_run
from tarif.invoicing.usage_pricing import kept_as_draft
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission

# Drafts sealed per batch of reads and per flush.
CHUNK = 1000

Progress = Callable[[int, int], None]


@dataclass
class RunFinalized:
    """What `finalize_run` did: how many drafts it finalized, their first and last numbers,
    the drafts it left alone because they have no line (an empty draft is not an invoice), and
    the credit notes it held back because they would credit more than their invoice has left
    (`service_credit_notes.over_credit`: a person edits or deletes them)."""

    run_id: str
    finalized: int = 0
    first_number: str | None = None
    last_number: str | None = None
    skipped_empty: list[str] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)


def _billing_order(row: Any) -> tuple[date, str, str, str, str]:
    return (row.billing_date, row.customer_id, row.currency, row.contract_id or "", row.id)


def finalize_run(
    ctx: Ctx, run_id: str, *, progress: Progress | None = None, invoices_only: bool = False
) -> RunFinalized:
    """Finalizes every draft of the run in billing order; `progress(done, total)` per chunk.

    `invoices_only` leaves the run's credit notes drafts (the organization's automatic
    finalization applies to invoices only: a run-made credit note waits for a person)."""
    ctx.require(Permission.WRITE_BILLING)
    run = get_run(ctx, run_id)
    outcome = RunFinalized(run.id)
    heads = select(
        Invoice.id,
        Invoice.billing_date,
        Invoice.customer_id,
        Invoice.currency,
        Invoice.contract_id,
        Invoice.series,
    ).where(
        Invoice.organization_id == ctx.organization_id,
        Invoice.billing_run_id == run.id,
        Invoice.status == InvoiceStatus.DRAFT.value,
    )
    if invoices_only:
        heads = heads.where(Invoice.series == INVOICE_SERIES)
    ordered = sorted(ctx.session.execute(heads), key=_billing_order)
    if not ordered:
        return outcome
    org = ctx.session.get_one(Organization, ctx.organization_id)
    issued = today(ctx)
    done = 0
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        # Numbers are drawn chunk after chunk, in billing order: the sequence row stays locked
        # from the first draw to the commit, so the blocks follow one another without a gap.
        numbers, empty, held = seal_drafts(ctx, chunk, None, issued, org)
        if numbers:
            outcome.first_number = outcome.first_number or numbers[0]
            outcome.last_number = numbers[-1]
        outcome.finalized += len(numbers)
        outcome.skipped_empty += empty
        outcome.held_back += held
        done += len(chunk)
        if progress is not None:
            progress(done, len(ordered))
    outcome.skipped_empty.sort()
    return outcome


def draw_numbers(
    ctx: Ctx, org: Organization, drafts: list[tuple[str, str]], issued: date
) -> dict[str, str]:
    """One block of consecutive values per series for these (id, series) drafts, in order."""
    by_series: dict[str, list[str]] = defaultdict(list)
    for invoice_id, series in drafts:
        by_series[series].append(invoice_id)
    numbers: dict[str, str] = {}
    for series, ids in by_series.items():
        first = next_sequence_value(ctx, series, issued.year)  # locks (PostgreSQL) the row
        sequence = ctx.session.scalars(
            scoped(NumberSequence, ctx.organization_id).where(
                NumberSequence.series == series, NumberSequence.year == issued.year
            )
        ).one()
        sequence.next_value = first + len(ids)
        ctx.session.flush()
        for offset, invoice_id in enumerate(ids):
            numbers[invoice_id] = invoice_number(
                number_format(org, series), issued.year, first + offset
            )
    return numbers


def seal_drafts(
    ctx: Ctx,
    chunk: list[Any],
    numbers: dict[str, str] | None,
    issued: date,
    org: Organization,
) -> tuple[list[str], list[str], list[str]]:
    """Seals stored drafts (rows with `id` and `series`, in billing order) that have lines,
    with the `numbers` already drawn for them or (None) a block drawn here; returns their
    numbers, the empty drafts and the credit notes held back (`over_credit`; a caller that
    drew the numbers checked them before). Audit records are written when the numbers are
    drawn here (the caller that drew them writes its own)."""
    session = ctx.session
    audit = numbers is None
    ids = [row.id for row in chunk]
    before = set(session.identity_map.keys())
    invoices = {
        invoice.id: invoice
        for invoice in session.scalars(
            select(Invoice).where(
                of_tenant(Invoice.organization_id, ctx.organization_id),
                among(Invoice.id, ids, dialect_of(ctx.session)),
            )
        )
    }
    # The lines as plain rows (what sealing reads of them), not ORM objects: they are not written.
    lines: dict[str, list[Any]] = defaultdict(list)
    line_table = cast(Table, InvoiceLine.__table__)
    line_stmt = (
        select(*line_table.c)
        .where(of_tenant(line_table.c.organization_id, ctx.organization_id))
        .where(among(line_table.c.invoice_id, ids, dialect_of(ctx.session)))
        .order_by(line_table.c.invoice_id, line_table.c.position)
    )
    for line in session.execute(line_stmt):
        lines[line.invoice_id].append(line)
    # Loaded once per chunk and held (the session only keeps weak references): `seal_invoice`
    # then finds each customer in the session without a query.
    customer_ids = {invoice.customer_id for invoice in invoices.values()}
    held = list(
        session.scalars(
            select(Customer).where(
                of_tenant(Customer.organization_id, ctx.organization_id),
                among(Customer.id, customer_ids, dialect_of(ctx.session)),
            )
        )
    )
    # The contracts' payment terms for the due dates, in one query (see `issued.py`).
    prefetch_contract_terms(
        ctx, (line.contract_id for group in lines.values() for line in group), issued
    )
    # Which customers have a credit balance, in one query: the others skip its `SUM`.
    balance.prefetch(ctx, customer_ids)
    # An empty draft is not an invoice: it keeps no number and stays a draft, as does one of
    # 0.00 usage lines only when the organization keeps those.
    zero = org.finalize_zero_usage_invoices
    billing = {
        row.id
        for row in chunk
        if lines.get(row.id)
        and not kept_as_draft(zero, [(x.source, x.net_amount) for x in lines[row.id]])
    }
    sealed = [row for row in chunk if row.id in billing]
    held_back: list[str] = []
    if numbers is None:
        held_back = [
            row.id
            for row in sealed
            if over_credit(
                ctx,
                invoices[row.id].corrects_invoice_id,
                invoices[row.id].gross_total,
                note_id=row.id,
            )
        ]
        sealed = [row for row in sealed if row.id not in held_back]
        numbers = draw_numbers(ctx, org, [(row.id, row.series) for row in sealed], issued)
    events: list[dict[str, Any]] = []
    for row in sealed:
        invoice = invoices[row.id]
        number = numbers[row.id]
        seal_invoice(ctx, invoice, lines[row.id], number=number, issued=issued, org=org)
        if audit:
            events.append(
                event_values(ctx, "finalize", "invoice", invoice.id, None, {"number": number})
            )
    _write_sealed(ctx, [invoices[row.id] for row in sealed], before)
    insert_rows(session, cast(Table, AuditEvent.__table__), events)
    del held
    # Written: what this chunk loaded leaves the session, so a run of any size fits in memory
    # (objects the caller already held stay).
    for key, obj in list(session.identity_map.items()):
        if key not in before:
            session.expunge(obj)
    empty = [row.id for row in chunk if row.id not in billing]
    return [numbers[row.id] for row in sealed], empty, held_back


def _write_sealed(ctx: Ctx, sealed: list[Invoice], held_before: set[Any]) -> None:
    """Writes what `seal_invoice` changed on these invoices with one executemany `UPDATE` per
    set of changed columns (nearly always one), instead of the unit of work's flush.

    The changed columns are the ones the session tracks as modified, so a step added to
    `seal_invoice` is written too. Invoices the caller already held before the chunk stay in
    the session and are flushed the usual way; the others leave it once written.
    """
    session = ctx.session
    table = cast(Table, Invoice.__table__)
    columns = [attr.key for attr in inspect(Invoice).column_attrs]
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for invoice in sealed:
        state = inspect(invoice)
        if state.key in held_before:
            continue
        unmodified = state.unmodified
        changed = tuple(key for key in columns if key not in unmodified)
        if changed:
            values = {key: getattr(invoice, key) for key in changed}
            values["_sealed_id"] = invoice.id
            by_columns[changed].append(values)
        session.expunge(invoice)
    session.flush()  # what sealing added besides (balance entries, payments, credit notes)
    for params in by_columns.values():
        stmt = update(table).where(
            table.c.organization_id == ctx.organization_id,
            table.c.id == bindparam("_sealed_id"),
        )
        session.execute(stmt, params)
