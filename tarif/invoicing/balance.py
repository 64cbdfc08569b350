"""A customer's credit balance: money the customer can use on later invoices, per currency.

Credits come in from credit notes (`add_credit`, called by the credit-note service), from
goodwill gestures (`grant_goodwill`) and from invoices of credits only, whose negative amount
due comes here when they are finalized (`credit_negative_invoice`); they go out when an
invoice is finalized (`apply_balance`, called by `seal_invoice`) and when money is paid back
(`refund_balance`). Each movement is one
row of `customer_balance_entries`, signed; nothing is ever updated or deleted, so the history
is the ledger and the balance is its sum.

Rules (see "Credit balance" in docs/invoices.md):

- a balance belongs to one customer and one currency, and is the `SUM` of its entries' integer
  minor units, one query, exact on every backend;
- it never goes negative: a refund cannot exceed it (422 on `amount`), an application takes at
  most what is available;
- it is used when an invoice in the same currency is finalized, up to the amount still due,
  oldest credit first; the payment it records (method `credit_balance`) and the "applied"
  entry name the credit entries used;
- a use or a refund that must not run twice against the same money locks the customer row
  (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has a single writer) and sums again under it.

Services never commit: the route, command or page does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from tarif.audit.service import record
from tarif.context import Ctx
from tarif.contracts.service_store import today
from tarif.customers import service as customers
from tarif.customers.models import Customer
from tarif.db.among import among, dialect_of
from tarif.db.repository import MAX_PAGE_SIZE, PageRequest, scoped
from tarif.errors import ErrorCollector, InvalidInput
from tarif.ids import new_id
from tarif.invoicing import service_invoices as invoices
from tarif.invoicing.balance_rules import (
    CREDIT_KINDS,
    Credit,
    EntryKind,
    RefundMethod,
    currency_code,
    describe_uses,
    from_minor,
    open_credits,
    payment_reference,
    positive_amount,
    running_balances,
    take_oldest_first,
    to_minor,
)
from tarif.invoicing.models import BalanceEntry, Invoice, InvoicePayment, Refund
from tarif.money import currency as currency_of
from tarif.tenancy.rules import Permission

CREDIT_BALANCE = "credit_balance"  # the payment method of a use of the balance
REASON_LENGTH = 1000
REFERENCE_LENGTH = 200
_CREDITS_BATCH = 50
_PREFETCHED = "tarif.invoicing.balance.prefetched"  # key in `Session.info`


@dataclass(frozen=True)
class HistoryPage:
    """A page of entries, newest first, each with the balance of its currency right after it."""

    rows: list[tuple[BalanceEntry, Decimal]]
    has_more: bool

    @property
    def next_cursor(self) -> str | None:
        return self.rows[-1][0].id if self.has_more and self.rows else None


# --- reads -----------------------------------------------------------------------------------


def _sum_minor(ctx: Ctx, customer_id: str, code: str) -> int:
    stmt = select(func.coalesce(func.sum(BalanceEntry.amount_minor), 0)).where(
        BalanceEntry.organization_id == ctx.organization_id,
        BalanceEntry.customer_id == customer_id,
        BalanceEntry.currency == code,
    )
    return int(ctx.session.scalar(stmt) or 0)


def available(ctx: Ctx, customer_id: str, currency: str) -> Decimal:
    """What the customer can use in that currency: one `SUM` (0.00 when nothing was credited)."""
    code = currency_code(currency)
    return from_minor(_sum_minor(ctx, customer_id, code), currency_of(code).minor_unit)


def balances(ctx: Ctx, customer_id: str) -> list[tuple[str, Decimal]]:
    """Every currency the customer has entries in, with what is available, by currency code."""
    customers.get_customer(ctx, customer_id)
    stmt = (
        select(BalanceEntry.currency, func.sum(BalanceEntry.amount_minor))
        .where(
            BalanceEntry.organization_id == ctx.organization_id,
            BalanceEntry.customer_id == customer_id,
        )
        .group_by(BalanceEntry.currency)
        .order_by(BalanceEntry.currency)
    )
    return [
        (code, from_minor(int(units), currency_of(code).minor_unit))
        for code, units in ctx.session.execute(stmt)
    ]


def history(
    ctx: Ctx, customer_id: str, page: PageRequest, *, currency: str | None = None
) -> HistoryPage:
    """Entries newest first, `page.starting_after` the last id of the previous page.

    The balance after each entry is computed for the page only: one grouped `SUM` of the entries
    up to the page's newest one gives each currency's balance after it, and going down the page
    each older entry's balance is the newer one's minus the newer entry's amount
    (`running_balances`). No entry beyond the page is loaded.
    """
    customers.get_customer(ctx, customer_id)
    limit = max(1, min(page.limit, MAX_PAGE_SIZE))
    stmt = scoped(BalanceEntry, ctx.organization_id).where(BalanceEntry.customer_id == customer_id)
    code = currency_code(currency) if currency else None
    if code is not None:
        stmt = stmt.where(BalanceEntry.currency == code)
    if page.starting_after:
        stmt = stmt.where(BalanceEntry.id < page.starting_after)
    entries = list(ctx.session.scalars(stmt.order_by(BalanceEntry.id.desc()).limit(limit + 1)))
    has_more = len(entries) > limit
    entries = entries[:limit]
    if not entries:
        return HistoryPage([], has_more)
    anchor = (
        select(BalanceEntry.currency, func.sum(BalanceEntry.amount_minor))
        .where(
            BalanceEntry.organization_id == ctx.organization_id,
            BalanceEntry.customer_id == customer_id,
            BalanceEntry.id <= entries[0].id,
        )
        .group_by(BalanceEntry.currency)
    )
    if code is not None:
        anchor = anchor.where(BalanceEntry.currency == code)
    after_first = {
        c: from_minor(int(units), currency_of(c).minor_unit)
        for c, units in ctx.session.execute(anchor)
    }
    after = running_balances([(e.currency, e.amount) for e in entries], after_first)
    return HistoryPage(list(zip(entries, after, strict=True)), has_more)


# --- writes ----------------------------------------------------------------------------------


def _checked(
    amount: Decimal | str, code_text: str, texts: dict[str, tuple[str, int]]
) -> tuple[Decimal, str]:
    """The amount and currency, and every text (`name: (value, max length)`) given and short
    enough; every bad field is reported at once."""
    errors = ErrorCollector()
    code: str | None = None
    value = Decimal(0)
    try:
        code = currency_code(code_text)
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
    try:
        value = positive_amount(amount, code or "EUR")
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
    for name, (text, length) in texts.items():
        if not text.strip():
            errors.add(name, "is required")
        elif len(text) > length:
            errors.add(name, f"at most {length} characters")
    errors.raise_if_any()
    assert code is not None
    return value, code


def _entry(
    ctx: Ctx, customer_id: str, code: str, amount: Decimal, kind: EntryKind, reason: str
) -> BalanceEntry:
    entry = BalanceEntry(
        id=new_id("bal"),
        organization_id=ctx.organization_id,
        customer_id=customer_id,
        currency=code,
        amount=amount,
        amount_minor=to_minor(amount, currency_of(code).minor_unit),
        kind=kind.value,
        reason=reason,
        actor=ctx.actor.label,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(entry)
    return entry


def _audit(entry: BalanceEntry) -> dict[str, str | None]:
    return {
        "entry_id": entry.id,
        "kind": entry.kind,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "reason": entry.reason,
    }


def add_credit(
    ctx: Ctx,
    *,
    customer_id: str,
    currency: str,
    amount: Decimal | str,
    kind: str,
    reason: str,
    credit_note_id: str | None = None,
) -> BalanceEntry:
    """Puts money on the customer's balance: `kind` "credit_note" (with `credit_note_id`) or
    "goodwill"; `amount` > 0 with at most the currency's minor unit of decimals."""
    ctx.require(Permission.WRITE_BILLING)
    customer = customers.get_customer(ctx, customer_id)
    try:
        entry_kind = EntryKind(kind)
    except ValueError:
        entry_kind = None
    if entry_kind not in CREDIT_KINDS:
        raise InvalidInput.on("kind", "a credit is 'credit_note' or 'goodwill'")
    assert entry_kind is not None
    if entry_kind is EntryKind.CREDIT_NOTE:
        if credit_note_id is None:
            raise InvalidInput.on("credit_note_id", "a credit note's credit names the credit note")
        note = invoices.get_invoice(ctx, credit_note_id)
        if note.kind != "credit_note" or note.customer_id != customer.id:
            raise InvalidInput.on("credit_note_id", "not a credit note of this customer")
        reason = reason.strip() or f"credit note {note.number or note.id}"
    elif credit_note_id is not None:
        raise InvalidInput.on("credit_note_id", "only a credit note's credit names one")
    value, code = _checked(amount, currency, {"reason": (reason, REASON_LENGTH)})
    entry = _entry(ctx, customer.id, code, value, entry_kind, reason.strip())
    entry.credit_note_id = credit_note_id
    ctx.session.info.pop(_PREFETCHED, None)  # this customer now has money
    ctx.session.flush()
    record(ctx, f"balance_{entry_kind.value}", "customer", customer.id, None, _audit(entry))
    return entry


def grant_goodwill(
    ctx: Ctx, customer_id: str, *, amount: Decimal | str, currency: str, reason: str
) -> BalanceEntry:
    """A one-off commercial gesture, credited to the balance; the reason is required."""
    return add_credit(
        ctx,
        customer_id=customer_id,
        currency=currency,
        amount=amount,
        kind=EntryKind.GOODWILL.value,
        reason=reason,
    )


def _lock_owner(ctx: Ctx, customer_id: str) -> None:
    """Serializes the uses of one customer's balances (PostgreSQL; SQLite has one writer)."""
    ctx.session.execute(
        select(Customer.id)
        .where(Customer.organization_id == ctx.organization_id, Customer.id == customer_id)
        .with_for_update()
    )


def refund_balance(
    ctx: Ctx,
    customer_id: str,
    *,
    amount: Decimal | str,
    currency: str,
    reference: str,
    method: str = RefundMethod.TRANSFER.value,
) -> BalanceEntry:
    """Pays money back out of the balance: a `refunds` row and a negative "refund" entry.

    At most what is available (422 on `amount`); like an application, it takes from the oldest
    credits first.
    """
    ctx.require(Permission.WRITE_BILLING)
    customer = customers.get_customer(ctx, customer_id)
    try:
        refund_method = RefundMethod(method)
    except ValueError:
        names = ", ".join(m.value for m in RefundMethod)
        raise InvalidInput.on("method", f"one of {names}") from None
    value, code = _checked(amount, currency, {"reference": (reference, REFERENCE_LENGTH)})
    _lock_owner(ctx, customer.id)
    minor = currency_of(code).minor_unit
    left = from_minor(_sum_minor(ctx, customer.id, code), minor)
    if value > left:
        raise InvalidInput.on("amount", f"more than the {left} {code} available")
    refund = Refund(
        id=new_id("rfd"),
        organization_id=ctx.organization_id,
        customer_id=customer.id,
        credit_note_id=None,
        amount=value,
        currency=code,
        refunded_on=today(ctx),
        method=refund_method.value,
        reference=reference.strip(),
        created_at=ctx.clock.now(),
    )
    ctx.session.add(refund)
    ctx.session.flush()  # before the entry that references it (no ORM relationship orders them)
    reason = f"refund by {refund_method.value}, reference {reference.strip()}"
    entry = _entry(ctx, customer.id, code, -value, EntryKind.REFUND, reason)
    entry.refund_id = refund.id
    ctx.session.flush()
    record(ctx, "balance_refund", "customer", customer.id, None, _audit(entry))
    return entry


def _credits_newest_first(ctx: Ctx, customer_id: str, code: str) -> Iterator[Credit]:
    """The customer's credits in that currency, newest first, read a batch at a time (the
    caller usually stops after the first few)."""
    minor = currency_of(code).minor_unit
    before: str | None = None
    while True:
        stmt = (
            select(BalanceEntry.id, BalanceEntry.amount_minor)
            .where(
                BalanceEntry.organization_id == ctx.organization_id,
                BalanceEntry.customer_id == customer_id,
                BalanceEntry.currency == code,
                BalanceEntry.amount_minor > 0,
            )
            .order_by(BalanceEntry.id.desc())
            .limit(_CREDITS_BATCH)
        )
        if before is not None:
            stmt = stmt.where(BalanceEntry.id < before)
        rows = list(ctx.session.execute(stmt))
        for entry_id, units in rows:
            yield Credit(entry_id, from_minor(int(units), minor))
        if len(rows) < _CREDITS_BATCH:
            return
        before = rows[-1][0]


def prefetch(ctx: Ctx, customer_ids: Iterable[str]) -> None:
    """For finalizing many invoices at once: one grouped query finds which of these customers
    have money on a balance; until the transaction ends, `apply_balance` then skips its `SUM`
    for the others (a credit added meanwhile through this module forgets what was found)."""
    ids = set(customer_ids)
    if not ids:
        return
    stmt = (
        select(BalanceEntry.customer_id, BalanceEntry.currency)
        .where(
            BalanceEntry.organization_id == ctx.organization_id,
            among(BalanceEntry.customer_id, ids, dialect_of(ctx.session)),
        )
        .group_by(BalanceEntry.customer_id, BalanceEntry.currency)
        .having(func.sum(BalanceEntry.amount_minor) > 0)
    )
    with ctx.session.no_autoflush:
        owners = {(customer_id, code) for customer_id, code in ctx.session.execute(stmt)}
    ctx.session.info[_PREFETCHED] = (ctx.session.get_transaction(), ids, owners)


def may_have_money(ctx: Ctx, customer_id: str, code: str) -> bool:
    """False only when `prefetch`, in this transaction, found no money for the customer."""
    return not _known_empty(ctx, customer_id, code)


def _known_empty(ctx: Ctx, customer_id: str, code: str) -> bool:
    """True when `prefetch`, in this transaction, found no money for the customer in `code`."""
    known = ctx.session.info.get(_PREFETCHED)
    if known is None:
        return False
    transaction, ids, owners = known
    if transaction is not ctx.session.get_transaction():
        del ctx.session.info[_PREFETCHED]
        return False
    return customer_id in ids and (customer_id, code) not in owners


def apply_balance(ctx: Ctx, invoice: Invoice) -> Decimal:
    """Uses the customer's balance in the invoice's currency on a just-finalized invoice, up to
    its amount due; returns the amount used (0 when there is no balance).

    Called by `seal_invoice` for every invoice finalized, one at a time or a whole run at once,
    so the usual case costs one `SUM` and nothing else: no lock, no flush (the sum runs without
    autoflush; every write of this module flushes itself, so no entry is ever pending). After
    `prefetch` for a chunk of invoices' customers, a customer without money costs no query.
    """
    if invoice.kind != "invoice" or invoice.status not in invoices.PAYABLE:
        return Decimal(0)
    due = invoices.amount_due(invoice)
    if due <= 0:
        return Decimal(0)
    if _known_empty(ctx, invoice.customer_id, invoice.currency):
        return Decimal(0)
    with ctx.session.no_autoflush:
        units = _sum_minor(ctx, invoice.customer_id, invoice.currency)
    if units <= 0:
        return Decimal(0)
    code = invoice.currency
    minor = currency_of(code).minor_unit
    _lock_owner(ctx, invoice.customer_id)
    left = from_minor(_sum_minor(ctx, invoice.customer_id, code), minor)  # again, locked
    used_total = min(left, due)
    if used_total <= 0:
        return Decimal(0)
    still_open = open_credits(_credits_newest_first(ctx, invoice.customer_id, code), left)
    used = take_oldest_first(still_open, used_total)
    number = invoice.number or invoice.id
    entry = _entry(
        ctx,
        invoice.customer_id,
        code,
        -used_total,
        EntryKind.APPLIED,
        f"applied to invoice {number}: {describe_uses(used, code)}",
    )
    entry.invoice_id = invoice.id
    payment = InvoicePayment(
        id=new_id("pay"),
        organization_id=ctx.organization_id,
        invoice_id=invoice.id,
        amount=used_total,
        paid_on=invoice.issue_date or today(ctx),
        reference=payment_reference(used, code, entry.id),
        method=CREDIT_BALANCE,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(payment)
    invoice.amount_paid = invoice.amount_paid + used_total
    invoice.status = invoices.settled_status(invoice)
    invoice.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(
        ctx,
        "credit_applied",
        "invoice",
        invoice.id,
        None,
        {"amount": str(used_total), "entry_id": entry.id, "payment_id": payment.id},
    )
    return used_total


def credit_negative_invoice(ctx: Ctx, invoice: Invoice) -> Decimal:
    """Puts the negative amount due of a just-finalized invoice (credits only, e.g. a
    termination's unused days with nothing else due) on the customer's balance, where later
    invoices use it; returns the amount (0 for any other invoice).

    Such an invoice takes no payment, void or credit note, so the money owed to the customer
    would otherwise stay on it. It then owes nothing (`amount_credited` takes the negative
    amount: gross − paid − credited = 0) and reads `credited`, never overdue. Called by
    `seal_invoice`: no permission check of its own, finalizing already checked one."""
    if invoice.kind != "invoice" or invoice.status not in invoices.PAYABLE:
        return Decimal(0)
    due = invoices.amount_due(invoice)
    if due >= 0:
        return Decimal(0)
    number = invoice.number or invoice.id
    code = invoice.currency
    entry = _entry(
        ctx,
        invoice.customer_id,
        code,
        -due,
        EntryKind.NEGATIVE_INVOICE,
        f"invoice {number}: amount due {due} {code} put on the balance",
    )
    entry.invoice_id = invoice.id
    invoice.amount_credited = (invoice.amount_credited or Decimal(0)) + due
    invoice.status = invoices.settled_status(invoice)
    invoice.updated_at = ctx.clock.now()
    ctx.session.info.pop(_PREFETCHED, None)  # this customer now has money
    ctx.session.flush()
    record(ctx, "balance_negative_invoice", "customer", invoice.customer_id, None, _audit(entry))
    return -due


def applied_entries(ctx: Ctx, invoice_id: str) -> list[BalanceEntry]:
    """The "applied" entries that paid an invoice (the invoice page links to the balance)."""
    stmt = scoped(BalanceEntry, ctx.organization_id).where(
        BalanceEntry.invoice_id == invoice_id, BalanceEntry.kind == EntryKind.APPLIED.value
    )
    return list(ctx.session.scalars(stmt.order_by(BalanceEntry.id)))
