"""Credit notes and voids: correcting a finalized invoice, which never changes itself.

A credit note is a row of `invoices` of kind `credit_note`, numbered in its own gap-free series
(`credit_note`, formatted with the organization's `credit_note_number_format`, `AV-2026-000001`)
the moment it is issued, with every amount stored negative: the sum of a customer's invoices and
credit notes is what the customer owes. It credits whole lines or parts of their quantity
(prorated, each line keeping `credits_line_id`), or a gross amount split over the invoice's VAT
rates (`credit_rules.py`); its VAT is rounded once per rate like any document (BR-CO-17).

Its money is settled at once, in this order: first it cancels what the invoice still owes
(`amount_credited` on the invoice), then the rest is refunded (a row of `refunds`) or added to
the customer's credit balance (`tarif.invoicing.balance.add_credit`), as `settlement` says. The
split is kept on the credit note (`applied_to_invoice`, `refunded`, `to_balance`).

A void is a credit note of everything still creditable, after which the invoice is `voided`
and takes neither payments nor credit notes. The invoice's row is locked (`FOR UPDATE`) while a
credit note is made, so two concurrent credit notes cannot together exceed the invoice.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tarif.audit.service import record
from tarif.billing.totals import TaxedLine, invoice_totals
from tarif.context import Ctx
from tarif.contracts.service_store import of_tenant, today
from tarif.customers.models import Customer
from tarif.db.among import among, dialect_of
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, ErrorCollector, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.invoicing.credit_rules import net_for_gross, prorated_net, split_gross
from tarif.invoicing.issued import seal_document
from tarif.invoicing.mailing import queue_email
from tarif.invoicing.models import Invoice, InvoiceLine, Refund
from tarif.invoicing.numbering import invoice_number
from tarif.invoicing.render_jobs import render_later
from tarif.invoicing.service_invoices import (
    InvoiceStatus,
    amount_due,
    content_hash,
    explain,
    get_invoice,
    invoice_lines,
    next_sequence_value,
    settled_status,
)
from tarif.money import Currency, RoundingMode, currency, parse_decimal, round_to_minor_unit
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission
from tarif.webhooks.events import credit_note_issued

CREDIT_NOTE = "credit_note"  # the kind, the series and the lines' source
ISSUED = "issued"  # a credit note's status: issued at once
DEFAULT_CREDIT_NOTE_FORMAT = "AV-{year}-{seq:06d}"
# Invoices that can be corrected: finalized, whatever their payments.
CORRECTABLE = (
    InvoiceStatus.FINALIZED.value,
    InvoiceStatus.PARTIALLY_PAID.value,
    InvoiceStatus.PAID.value,
    InvoiceStatus.CREDITED.value,
)


class Settlement(StrEnum):
    REFUND = "refund"  # paid back to the customer (a row of `refunds`)
    BALANCE = "balance"  # kept as the customer's credit balance


@dataclass(frozen=True)
class _Credit:
    """One line of a credit note before it is written (positive magnitudes)."""

    net: Decimal
    exact: Decimal
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    vat_category: str
    description: str
    source_line: InvoiceLine | None = None
    discount: Decimal = Decimal(0)


# --- reads -----------------------------------------------------------------------------------


def _searchable(object_id: str) -> str:
    if "\x00" in object_id:
        raise NotFound("not found")
    return object_id


def get_credit_note(ctx: Ctx, credit_note_id: str) -> Invoice:
    note: Invoice = get_scoped(
        ctx.session, Invoice, ctx.organization_id, _searchable(credit_note_id)
    )
    if note.kind != CREDIT_NOTE:
        raise NotFound(f"credit note '{credit_note_id}' not found")
    return note


def list_credit_notes(
    ctx: Ctx,
    page: PageRequest,
    *,
    customer_id: str | None = None,
    invoice_id: str | None = None,
) -> Page[Invoice]:
    stmt = scoped(Invoice, ctx.organization_id).where(Invoice.kind == CREDIT_NOTE)
    if customer_id is not None:
        # Another tenant's customer or invoice is a 404, not an empty list.
        get_scoped(ctx.session, Customer, ctx.organization_id, _searchable(customer_id))
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if invoice_id is not None:
        get_invoice(ctx, invoice_id)
        stmt = stmt.where(Invoice.corrects_invoice_id == invoice_id)
    return paginate(ctx.session, stmt, Invoice, page, search_columns=(Invoice.number,))


def credit_notes_of(ctx: Ctx, invoice_id: str) -> list[Invoice]:
    stmt = scoped(Invoice, ctx.organization_id).where(
        Invoice.kind == CREDIT_NOTE, Invoice.corrects_invoice_id == invoice_id
    )
    return list(ctx.session.scalars(stmt.order_by(Invoice.id)))


@dataclass(frozen=True)
class Credited:
    """What credit notes take of an invoice, as positive gross amounts: `issued` by credit notes
    issued (the invoice's `amount_credited`, amount due and status follow these alone) and
    `reserved` by credit notes a billing run drafted, which wait for a person. A drafted credit
    note credits nothing yet, but what it will credit is kept for it: no other credit note, by
    hand or drafted later, nor a void, may take it."""

    issued: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)


def credited(ctx: Ctx, invoice_ids: Sequence[str]) -> dict[str, Credited]:
    """Per invoice, what its credit notes take, in one query (see `credited_in`)."""
    return credited_in(ctx.session, ctx.organization_id, invoice_ids)


def credited_in(
    session: Session, organization_id: str, invoice_ids: Sequence[str]
) -> dict[str, Credited]:
    """Per invoice, what its credit notes take, in one query (summed here: SQLite keeps exact
    decimals as text, which its SUM would turn into floats). Invoices without any are left out."""
    if not invoice_ids:
        return {}
    # Found by the corrected invoices' ids: the tenant and kind filters are written so that
    # SQLite, without statistics, does not pick their indexes instead (`of_tenant`; a billing
    # run asks this for every chunk of contracts with credits).
    stmt = select(Invoice.corrects_invoice_id, Invoice.status, Invoice.gross_total).where(
        of_tenant(Invoice.organization_id, organization_id),
        Invoice.kind.concat("") == CREDIT_NOTE,  # as `of_tenant` writes it: no index
        among(Invoice.corrects_invoice_id, sorted(set(invoice_ids)), dialect_of(session)),
    )
    totals: dict[str, Credited] = {}
    for invoice_id, status, gross in session.execute(stmt):
        was = totals.get(invoice_id, Credited())
        if status == InvoiceStatus.DRAFT.value:
            totals[invoice_id] = Credited(was.issued, was.reserved - gross)
        else:
            totals[invoice_id] = Credited(was.issued - gross, was.reserved)
    return totals


def _drafted_before(ctx: Ctx, invoice_id: str, note_id: str | None) -> Decimal:
    """The gross the credit notes drafted against the invoice before `note_id` reserve
    (positive; ids follow creation order), every drafted one's without `note_id`."""
    stmt = select(Invoice.gross_total).where(
        Invoice.organization_id == ctx.organization_id,
        Invoice.kind == CREDIT_NOTE,
        Invoice.corrects_invoice_id == invoice_id,
        Invoice.status == InvoiceStatus.DRAFT.value,
    )
    if note_id is not None:
        stmt = stmt.where(Invoice.id < note_id)
    return -sum(ctx.session.scalars(stmt), Decimal(0))


def creditable(invoice: Invoice, taken: Credited) -> Decimal:
    """What a new credit note may still credit on `invoice`: its gross less what issued credit
    notes took and drafted ones reserve, never below zero; nothing on a draft, a credit note or
    a voided invoice."""
    if invoice.kind != "invoice" or invoice.status in (
        InvoiceStatus.DRAFT.value,
        InvoiceStatus.VOIDED.value,
    ):
        return Decimal(0)
    left = invoice.gross_total - taken.issued - taken.reserved
    return max(round_to_minor_unit(left, currency(invoice.currency)), Decimal(0))


def remaining_creditable(ctx: Ctx, invoice: Invoice) -> Decimal:
    """How much credit notes may still credit: the invoice's gross less what issued credit notes
    took and drafted ones reserve."""
    if invoice.kind != "invoice" or invoice.status == InvoiceStatus.DRAFT.value:
        return Decimal(0)
    taken = credited(ctx, [invoice.id]).get(invoice.id, Credited())
    money = currency(invoice.currency)
    return round_to_minor_unit(invoice.gross_total - taken.issued - taken.reserved, money)


def over_credit(
    ctx: Ctx,
    corrects_invoice_id: str | None,
    note_gross: Decimal,
    *,
    stored: bool = True,
    note_id: str | None = None,
) -> str | None:
    """Why a drafted credit note of `note_gross` (negative, as stored) may not be issued
    against the invoice it corrects: it would credit more than the issued credit notes and the
    ones drafted before it left. None when it may. A billing run drafts such notes from
    contract changes; a credit note made by hand meanwhile may already have given that money
    back. Drafts are served in the order they were made, so the first of two that cannot both
    be issued can be, and the second is held back. `stored`: the draft is in the database
    already (a run sealing as it writes asks before the INSERT: every stored draft is older);
    `note_id` the stored draft's id (without it, every other stored draft counts)."""
    if corrects_invoice_id is None or note_gross >= 0:
        return None
    invoice = ctx.session.get(Invoice, corrects_invoice_id)
    if invoice is None or invoice.organization_id != ctx.organization_id:
        return None
    taken = credited(ctx, [invoice.id]).get(invoice.id, Credited())
    if not stored:
        reserved = taken.reserved
    elif note_id is None:
        reserved = taken.reserved + note_gross  # the others: this one's own gross taken out
    else:
        reserved = _drafted_before(ctx, invoice.id, note_id)
    left = invoice.gross_total - taken.issued - reserved
    if -note_gross <= left:
        return None
    number = invoice.number or invoice.id
    money = currency(invoice.currency)  # amounts as printed: 178.80, not 178.8
    return (
        f"the credit note credits {round_to_minor_unit(-note_gross, money)} but invoice "
        f"{number} has only {round_to_minor_unit(left, money)} left to credit: edit or delete "
        "the draft"
    )


def _reserved(ctx: Ctx, invoice: Invoice) -> Decimal:
    """What the credit notes drafted against the invoice reserve (positive)."""
    taken = credited(ctx, [invoice.id]).get(invoice.id, Credited())
    return round_to_minor_unit(taken.reserved, currency(invoice.currency))


def refunds_of(ctx: Ctx, credit_note_id: str) -> list[Refund]:
    stmt = scoped(Refund, ctx.organization_id).where(Refund.credit_note_id == credit_note_id)
    return list(ctx.session.scalars(stmt.order_by(Refund.id)))


def _credited_lines(ctx: Ctx, line_ids: Sequence[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """Per invoice line: (quantity, net) already credited, as positive amounts."""
    if not line_ids:
        return {}
    stmt = scoped(InvoiceLine, ctx.organization_id).where(
        InvoiceLine.credits_line_id.in_(list(line_ids))
    )
    done: dict[str, tuple[Decimal, Decimal]] = {}
    for line in ctx.session.scalars(stmt):
        quantity, net = done.get(line.credits_line_id or "", (Decimal(0), Decimal(0)))
        done[line.credits_line_id or ""] = (quantity + line.quantity, net - line.net_amount)
    return done


def explain_credit_note(ctx: Ctx, credit_note_id: str) -> list[dict[str, Any]]:
    """Each line of the credit note with the invoice line it credits (number, position,
    description, contract, version, line key, period), or the VAT rate a credit by amount
    applies to."""
    note = get_credit_note(ctx, credit_note_id)
    corrected = get_invoice(ctx, note.corrects_invoice_id) if note.corrects_invoice_id else None
    credited_ids = [line.credits_line_id for line in invoice_lines(ctx, note.id)]
    originals = {
        line.id: line
        for line in (invoice_lines(ctx, corrected.id) if corrected is not None else [])
        if line.id in credited_ids
    }
    out = []
    for entry in explain(ctx, note.id):
        target = originals.get(entry.get("credits_line_id") or "")
        credits: dict[str, Any] | None = None
        if target is not None and corrected is not None:
            credits = {
                "invoice_id": corrected.id,
                "invoice_number": corrected.number,
                "line_id": target.id,
                "position": target.position,
                "description": target.description,
                "contract_id": target.contract_id,
                "contract_version": target.contract_version,
                "line_key": target.line_key,
                "period_start": entry["period_start"],
                "period_end": entry["period_end"],
                "quantity": str(target.quantity),
                "net_amount": str(
                    round_to_minor_unit(target.net_amount, currency(corrected.currency))
                ),
            }
        out.append(
            entry
            | {
                "corrects_invoice_id": note.corrects_invoice_id,
                "corrects_invoice_number": corrected.number if corrected else None,
                "credits": credits,
            }
        )
    return out


# --- writes ----------------------------------------------------------------------------------


def record_refund(
    ctx: Ctx,
    *,
    customer_id: str,
    currency_code: str,
    amount: Decimal,
    credit_note_id: str | None = None,
    refunded_on: date | None = None,
    method: str = "",
    reference: str = "",
) -> Refund:
    """Money paid back to a customer (positive `amount`, in the currency's minor unit)."""
    ctx.require(Permission.WRITE_BILLING)
    money = currency(currency_code)
    if amount <= 0 or round_to_minor_unit(amount, money) != amount:
        raise InvalidInput.on("amount", f"a positive amount in {currency_code} is expected")
    get_scoped(ctx.session, Customer, ctx.organization_id, _searchable(customer_id))
    refund = Refund(
        id=new_id("rfd"),
        organization_id=ctx.organization_id,
        customer_id=customer_id,
        credit_note_id=credit_note_id,
        amount=amount,
        currency=currency_code,
        refunded_on=refunded_on or today(ctx),
        method=method,
        reference=reference,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(refund)
    ctx.session.flush()
    record(
        ctx,
        "create",
        "refund",
        refund.id,
        None,
        {"amount": str(amount), "currency": currency_code, "credit_note_id": credit_note_id},
    )
    return refund


def issue_credit_note(
    ctx: Ctx,
    invoice_id: str,
    *,
    reason: str,
    lines: Sequence[Mapping[str, Any]] | None = None,
    amount: str | Decimal | None = None,
    settlement: str,
) -> Invoice:
    """Issues a credit note against a finalized invoice and settles its money.

    `lines`: `[{"position": 2}, {"position": 3, "quantity": "0.5"}]` credits line 2 whole and
    half of line 3 (prorated); `amount`: a gross amount split over the invoice's VAT rates.
    """
    return _issue(ctx, invoice_id, reason=reason, lines=lines, amount=amount, settlement=settlement)


def void_invoice(
    ctx: Ctx, invoice_id: str, *, reason: str, settlement: str = Settlement.BALANCE.value
) -> Invoice:
    """Cancels a finalized invoice: a credit note of everything still creditable (every line
    whole, or what remains of it), and the invoice becomes `voided`. Returns the credit note."""
    return _issue(ctx, invoice_id, reason=reason, settlement=settlement, void=True)


def _lock_invoice(ctx: Ctx, invoice_id: str) -> Invoice:
    get_invoice(ctx, invoice_id)  # a 404 for another tenant's id, with the usual message
    stmt = scoped(Invoice, ctx.organization_id).where(Invoice.id == invoice_id).with_for_update()
    invoice: Invoice = ctx.session.scalars(stmt).one()
    return invoice


def _issue(
    ctx: Ctx,
    invoice_id: str,
    *,
    reason: str,
    settlement: str,
    lines: Sequence[Mapping[str, Any]] | None = None,
    amount: str | Decimal | None = None,
    void: bool = False,
) -> Invoice:
    ctx.require(Permission.WRITE_BILLING)
    invoice = _lock_invoice(ctx, invoice_id)
    if invoice.kind != "invoice":
        raise Conflict(f"'{invoice.id}' is a credit note: only an invoice can be credited")
    if invoice.status == InvoiceStatus.DRAFT.value:
        raise Conflict(
            f"invoice '{invoice.id}' is a draft: edit or delete the draft instead of crediting it"
        )
    if invoice.status == InvoiceStatus.VOIDED.value:
        raise Conflict(f"invoice '{invoice.id}' is voided: it takes no more credit notes")
    errors = ErrorCollector()
    reason = (reason or "").strip()
    if not reason:
        errors.add("reason", "a reason is required")
    elif len(reason) > 500:
        errors.add("reason", "at most 500 characters")
    if settlement not in {s.value for s in Settlement}:
        errors.add("settlement", "refund or balance")
    if not void:
        if lines is not None and amount is not None:
            errors.add("amount", "give either lines or an amount, not both")
        elif lines is None and amount is None:
            errors.add("amount", "give the lines to credit or an amount")
        elif lines is not None and len(lines) == 0:
            errors.add("lines", "at least one line")
    errors.raise_if_any()

    money = currency(invoice.currency)
    org = ctx.session.get_one(Organization, ctx.organization_id)
    mode = RoundingMode(org.rounding_mode) if org.rounding_mode else RoundingMode.HALF_UP
    remaining = remaining_creditable(ctx, invoice)
    reserved = _reserved(ctx, invoice)
    if void and reserved > 0:
        # A void cancels the whole invoice: what a drafted credit note would credit is either
        # given back by it (finalized) or still owed (deleted), never left hanging on a voided
        # invoice.
        raise Conflict(
            f"invoice {invoice.number or invoice.id} cannot be voided while drafted credit "
            f"notes correct it ({reserved} reserved): finalize or delete them first"
        )
    # Why less is creditable than the invoice's amount due suggests.
    reserved_note = (
        f" ({reserved} reserved by drafted credit notes: finalize or delete them)"
        if reserved > 0
        else ""
    )
    if remaining <= 0 and void:
        raise Conflict(
            f"invoice {invoice.number or invoice.id} has nothing left to credit: "
            "it cannot be voided"
        )
    if remaining <= 0:
        raise InvalidInput.on(
            "lines" if lines is not None else "amount",
            f"nothing left to credit on invoice {invoice.number}{reserved_note}",
        )
    source_lines = invoice_lines(ctx, invoice.id)
    if void:
        if remaining == invoice.gross_total:
            credits = _line_credits(ctx, source_lines, None, money, mode)
        else:
            # Earlier credit notes took part of it: credit what remains, rate by rate.
            credits = _amount_credits(ctx, invoice, source_lines, remaining, money)
    elif lines is not None:
        credits = _line_credits(ctx, source_lines, lines, money, mode)
    else:
        asked = _parse_amount(amount, money)
        if asked > remaining:
            raise InvalidInput.on(
                "amount",
                f"a credit of {asked} is more than the {remaining} still creditable{reserved_note}",
            )
        credits = _amount_credits(ctx, invoice, source_lines, asked, money)
    field_name = "lines" if lines is not None else "amount"
    totals = invoice_totals(
        (TaxedLine(-c.net, c.vat_rate) for c in credits), invoice.currency, mode
    )
    gross = -totals.gross
    if gross <= 0:
        raise InvalidInput.on(field_name, "the credit note would credit nothing")
    if gross > remaining:
        raise InvalidInput.on(
            field_name,
            f"a credit of {gross} is more than the {remaining} still creditable{reserved_note}",
        )
    if lines is not None:
        # A credit by amount spreads over every rate, so lines credited afterwards could take a
        # rate past what it billed (and give back VAT that was never charged at that rate).
        left = _left_by_rate(ctx, invoice)
        for entry in totals.vat_by_rate:
            asked_at_rate = -(entry.base + entry.vat)
            rate_left = max(left.get(entry.rate, Decimal(0)), Decimal(0))
            if asked_at_rate > rate_left:
                raise InvalidInput.on(
                    "lines",
                    f"a credit of {asked_at_rate} at {entry.rate.normalize():f} % VAT is more "
                    f"than the {round_to_minor_unit(rate_left, money)} still creditable at that "
                    "rate",
                )

    issued = today(ctx)
    now = ctx.clock.now()
    seq = next_sequence_value(ctx, CREDIT_NOTE, issued.year)
    number = invoice_number(
        org.credit_note_number_format or DEFAULT_CREDIT_NOTE_FORMAT, issued.year, seq
    )
    note = Invoice(
        id=new_id("cn"),
        organization_id=ctx.organization_id,
        customer_id=invoice.customer_id,
        contract_id=invoice.contract_id,
        billing_run_id=None,
        currency=invoice.currency,
        billing_date=issued,
        status=ISSUED,
        series=CREDIT_NOTE,
        kind=CREDIT_NOTE,
        corrects_invoice_id=invoice.id,
        reason=reason,
        number=number,
        issue_date=issued,
        due_date=issued,
        tax_treatment=invoice.tax_treatment,
        net_total=totals.net,
        vat_total=totals.vat,
        gross_total=totals.gross,
        vat_breakdown=[
            {"rate": _rate_text(invoice, b.rate), "base": str(b.base), "vat": str(b.vat)}
            for b in totals.vat_by_rate
        ],
        amount_paid=Decimal(0),
        amount_credited=Decimal(0),
        finalized_at=now,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(note)
    ctx.session.flush()
    written = [
        _line_row(ctx, note, position, credit, net)
        for position, (credit, net) in enumerate(zip(credits, totals.line_nets, strict=True), 1)
    ]
    ctx.session.add_all(written)
    ctx.session.flush()
    # The snapshot the printed credit note is rendered from, as for an invoice; nothing is due
    # on a credit note, so its due date stays its issue date.
    customer = ctx.session.get_one(Customer, invoice.customer_id)
    seal_document(ctx, note, written, org=org, customer=customer, issued=issued)
    note.due_date = issued
    note.content_hash = content_hash(note, written)

    before = {
        "status": invoice.status,
        "amount_credited": str(invoice.amount_credited or Decimal(0)),
    }
    _settle(ctx, invoice, note, gross, Settlement(settlement))
    if void:
        invoice.status = InvoiceStatus.VOIDED.value
    elif invoice.status in CORRECTABLE:
        invoice.status = settled_status(invoice)
    invoice.updated_at = now
    ctx.session.flush()
    record(
        ctx,
        "void" if void else "issue",
        "credit_note",
        note.id,
        None,
        {
            "number": note.number,
            "corrects_invoice_id": invoice.id,
            "reason": reason,
            "gross_total": str(note.gross_total),
            "applied_to_invoice": str(note.applied_to_invoice),
            "refunded": str(note.refunded),
            "to_balance": str(note.to_balance),
        },
    )
    record(
        ctx,
        "void" if void else "credit",
        "invoice",
        invoice.id,
        before,
        {"status": invoice.status, "amount_credited": str(invoice.amount_credited)}
        | {"credit_note_id": note.id, "credit_note_number": note.number},
    )
    credit_note_issued(ctx, note)
    render_later(ctx, note.id)
    queue_email(ctx, note.id, customer.invoice_emails)
    return note


def _rate_text(invoice: Invoice, rate: Decimal) -> str:
    """A rate written as the corrected invoice writes it ("20" stays "20", not "20.000000")."""
    for entry in invoice.vat_breakdown:
        if Decimal(entry["rate"]) == rate:
            return str(entry["rate"])
    return str(rate.normalize())


def _parse_amount(amount: str | Decimal | None, money: Currency) -> Decimal:
    try:
        value = amount if isinstance(amount, Decimal) else parse_decimal(str(amount))
    except (ValueError, ArithmeticError, InvalidOperation) as exc:
        raise InvalidInput.on("amount", "not a decimal amount") from exc
    if not value.is_finite() or value <= 0 or round_to_minor_unit(value, money) != value:
        raise InvalidInput.on("amount", f"a positive gross amount in {money.code} is expected")
    return value


def _line_credits(
    ctx: Ctx,
    source: list[InvoiceLine],
    requests: Sequence[Mapping[str, Any]] | None,
    money: Currency,
    mode: RoundingMode,
) -> list[_Credit]:
    """Whole lines or parts of their quantity (`requests` None: every line, whole)."""
    by_position = {line.position: line for line in source}
    done = _credited_lines(ctx, [line.id for line in source])
    void = requests is None
    if requests is None:  # a void: every line with something to credit
        requests = [{"position": line.position} for line in source if line.net_amount != 0]
    errors = ErrorCollector()
    credits: list[_Credit] = []
    seen: set[int] = set()
    for index, request in enumerate(requests):
        where = f"lines.{index}"
        position = request.get("position")
        line = by_position.get(position) if isinstance(position, int) else None
        if line is None:
            errors.add(f"{where}.position", f"the invoice has no line {position}")
            continue
        if line.position in seen:
            errors.add(f"{where}.position", f"line {line.position} is given twice")
            continue
        seen.add(line.position)
        if line.net_amount < 0 and not void:
            # Crediting a credit (or discount) line would charge it again: a void takes it
            # with the rest of the invoice, a credit note asked line by line does not.
            errors.add(
                f"{where}.position",
                f"line {line.position} is a credit of "
                f"{round_to_minor_unit(line.net_amount, money)}: it cannot be credited",
            )
            continue
        credited_quantity, credited_net = done.get(line.id, (Decimal(0), Decimal(0)))
        left_net = line.net_amount - credited_net
        if left_net == 0:
            done_already = "is already credited in full" if line.net_amount else "is zero"
            errors.add(f"{where}.position", f"line {line.position} {done_already}")
            continue
        whole = line.quantity
        left = whole - credited_quantity
        raw = request.get("quantity")
        if raw is None or str(raw).strip() == "":
            part = left if whole > 0 else whole
        else:
            try:
                part = parse_decimal(str(raw))
            except (ValueError, ArithmeticError, InvalidOperation):
                errors.add(f"{where}.quantity", "not a decimal quantity")
                continue
            if whole <= 0:
                errors.add(f"{where}.quantity", "this line is credited whole only")
                continue
            if not part.is_finite() or part <= 0 or part > left:
                errors.add(f"{where}.quantity", f"a quantity above 0 and at most {left}")
                continue
        if whole <= 0 or part == left:
            # The last part of a line takes what is left of its net: it cancels to the cent.
            exact = net = left_net
        else:
            exact, net = prorated_net(line.net_amount, part, whole, money, mode)
        discount = Decimal(0)
        if line.discount_amount and whole > 0:
            discount = (line.discount_amount * part / whole).quantize(Decimal("0.000001"))
        credits.append(
            _Credit(
                net=net,
                exact=exact,
                quantity=part,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                vat_category=line.vat_category,
                description=line.description,
                source_line=line,
                discount=discount,
            )
        )
    errors.raise_if_any()
    return credits


def _left_by_rate(ctx: Ctx, invoice: Invoice) -> dict[Decimal, Decimal]:
    """What each VAT rate of the invoice has left to credit: its gross less the gross the
    credit notes against the invoice already took at that rate."""
    left: dict[Decimal, Decimal] = {}
    breakdowns = [invoice.vat_breakdown] + [
        n.vat_breakdown for n in credit_notes_of(ctx, invoice.id)
    ]
    for breakdown in breakdowns:
        for entry in breakdown:
            rate = Decimal(entry["rate"])
            left[rate] = left.get(rate, Decimal(0)) + Decimal(entry["base"]) + Decimal(entry["vat"])
    return left


def _amount_credits(
    ctx: Ctx,
    invoice: Invoice,
    source: list[InvoiceLine],
    amount: Decimal,
    money: Currency,
) -> list[_Credit]:
    """A gross amount split over the invoice's VAT rates in proportion of what each rate has
    left to credit (its gross, less the earlier credit notes at that rate): a rate an earlier
    credit note already cancelled takes no more, so no rate is credited beyond what it billed."""
    weights = _left_by_rate(ctx, invoice)
    positive = [(rate, gross) for rate, gross in weights.items() if gross > 0]
    if not positive:
        raise InvalidInput.on("amount", "the invoice has nothing to credit")
    categories = {line.vat_rate: line.vat_category for line in source}
    label = invoice.number or invoice.id
    credits = []
    for rate, share in split_gross(amount, positive, money):
        if share <= 0:
            continue
        net = net_for_gross(share, rate, money)
        if net <= 0:
            continue
        credits.append(
            _Credit(
                net=net,
                exact=net,
                quantity=Decimal(1),
                unit_price=net,
                vat_rate=rate,
                vat_category=categories.get(rate, "standard"),
                description=f"Credit on invoice {label} ({rate.normalize():f} % VAT)",
            )
        )
    return credits


def _line_row(ctx: Ctx, note: Invoice, position: int, credit: _Credit, net: Decimal) -> InvoiceLine:
    """A credit note's line, stored negative. It carries no contract id: it is not a charge the
    billing core reconciles (the credited line's contract is reached through
    `credits_line_id`)."""
    origin = credit.source_line
    return InvoiceLine(
        id=new_id("inl"),
        organization_id=ctx.organization_id,
        invoice_id=note.id,
        position=position,
        source=CREDIT_NOTE,
        contract_id=None,
        contract_version=origin.contract_version if origin else None,
        line_key=origin.line_key if origin else None,
        product_id=origin.product_id if origin else None,
        kind="credit",
        adjustment=False,
        period_start=origin.period_start if origin else None,
        period_end=origin.period_end if origin else None,
        full_period_start=origin.full_period_start if origin else None,
        full_period_end=origin.full_period_end if origin else None,
        due_on=None,
        quantity=credit.quantity,
        unit_price=-credit.unit_price,
        exact_net=str(-credit.exact),
        discount_amount=-credit.discount,
        net_amount=net,
        vat_rate=credit.vat_rate,
        vat_category=credit.vat_category,
        price_source=origin.price_source if origin else CREDIT_NOTE,
        discounts=[],
        amendment_id=None,
        description=credit.description,
        credits_line_id=origin.id if origin else None,
    )


def _settle(
    ctx: Ctx, invoice: Invoice, note: Invoice, gross: Decimal, settlement: Settlement
) -> None:
    """First what the invoice still owes, then a refund or the customer's balance."""
    applied = min(gross, max(amount_due(invoice), Decimal(0)))
    invoice.amount_credited = (invoice.amount_credited or Decimal(0)) + applied
    rest = gross - applied
    note.applied_to_invoice = applied
    note.refunded = Decimal(0)
    note.to_balance = Decimal(0)
    if rest <= 0:
        return
    if settlement is Settlement.REFUND:
        record_refund(
            ctx,
            customer_id=invoice.customer_id,
            currency_code=invoice.currency,
            amount=rest,
            credit_note_id=note.id,
            method="transfer",
            reference=note.number or "",
        )
        note.refunded = rest
    else:
        # The customer's credit balance, owned by `balance.py` (imported late: it imports us).
        balance = importlib.import_module("tarif.invoicing.balance")
        balance.add_credit(
            ctx,
            customer_id=invoice.customer_id,
            currency=invoice.currency,
            amount=rest,
            kind="credit_note",
            reason=note.reason or "",
            credit_note_id=note.id,
        )
        note.to_balance = rest


# --- credits found by a billing run (the contract setting `corrections`) ---------------------


def seal_credit_note_draft(ctx: Ctx, note: Invoice) -> None:
    """Finalizing a credit note a billing run drafted (called by `seal_invoice` once its number
    is drawn): it is issued, and its money settled like any credit note's — first what the
    corrected invoice still owes, then the customer's balance."""
    note.status = ISSUED
    note.due_date = note.issue_date
    note.reason = note.reason or "Credit for a period already invoiced (contract change)"
    gross = -note.gross_total
    if note.corrects_invoice_id is None or gross <= 0:
        return
    invoice = _lock_invoice(ctx, note.corrects_invoice_id)
    before = {"status": invoice.status, "amount_credited": str(invoice.amount_credited)}
    _settle(ctx, invoice, note, gross, Settlement.BALANCE)
    if invoice.status in CORRECTABLE:
        invoice.status = settled_status(invoice)
    invoice.updated_at = ctx.clock.now()
    record(
        ctx,
        "credit",
        "invoice",
        invoice.id,
        before,
        {"status": invoice.status, "amount_credited": str(invoice.amount_credited)}
        | {"credit_note_id": note.id, "credit_note_number": note.number},
    )
