"""Finalizing the invoices of a billing run as they are written, instead of reading them back.

A run asked to finalize (`run_billing(finalize=True)`, or an organization whose drafts are
finalized 0 hours after they are made) used to write drafts, then read every draft, its lines
and customer back and write it again finalized. Here each chunk of invoices is sealed before
its INSERT, from the values about to be written: the number is drawn, the due date, snapshot
and content hash are computed by the same functions `seal_invoice` uses, and the rows go in
finalized, with their audit records. The result is the one `finalize_run` gives (tested).

Two kinds of invoices still take `seal_invoice` itself, right after the chunk's INSERT and
with the number drawn for them in billing order: credit notes drafted by the run (their money
is settled against the corrected invoice) and invoices of a customer with money on a credit
balance (it pays what it can), or with a negative total (its amount due goes to the balance).
Everything else, nearly every invoice of a run, is sealed here.

Numbers are drawn per chunk inside the chunk's savepoint: a chunk a concurrent run refuses is
rolled back with its numbers and written again invoice by invoice, so the sequence stays
gap-free.

What neither the number nor the database can change is worked out a chunk ahead, while
PostgreSQL stores the current chunk's lines (`read_ahead` between the chunk's two COPYs, then
`work_ahead` meanwhile): the next chunk's customers, and each of its invoices' document and
due date. The server inserts on one core while the snapshots are made on the other; sealing
then draws the numbers, reads the balances (after the current chunk's deferred drafts took
theirs) and computes the content hashes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, select

from tarif.audit.models import AuditEvent
from tarif.audit.service import event_values
from tarif.context import Ctx
from tarif.contracts.service_store import of_tenant, today
from tarif.customers.models import Customer
from tarif.db.among import among, dialect_of
from tarif.db.bulk import insert_rows
from tarif.db.reads import rows
from tarif.db.types import read_back
from tarif.ids import new_ids
from tarif.invoicing import balance
from tarif.invoicing.issued import prefetch_contract_terms, seller_of, terms_and_snapshot
from tarif.invoicing.mailing import queue_email
from tarif.invoicing.render_jobs import render_later
from tarif.invoicing.service_invoices import InvoiceStatus, content_hash
from tarif.invoicing.usage_pricing import kept_as_draft
from tarif.tenancy.models import Organization
from tarif.webhooks.events import invoice_sealed

# The columns read back as `ExactDecimal`: written values take the same canonical form here, so
# the content hash is the one a draft read back from the database would give.
_INVOICE_DECIMALS = ("net_total", "vat_total", "gross_total", "amount_paid")
_CUSTOMER_COLUMNS = (
    Customer.id,
    Customer.legal_name,
    Customer.address_line1,
    Customer.address_line2,
    Customer.postal_code,
    Customer.city,
    Customer.country,
    Customer.siren,
    Customer.vat_number,
    Customer.language,
    Customer.invoice_emails,
    Customer.payment_terms_days,
    Customer.payment_terms_end_of_month,
)


@dataclass
class InlineSealer:
    """Seals a run's invoices chunk by chunk as they are written; counts what it finalized."""

    org: Organization
    issued: date
    finalized: int = 0
    first_number: str | None = None
    last_number: str | None = None
    # Credit notes stay drafts (finalizing on the organization's setting, not on request).
    invoices_only: bool = False
    # Drafts of the current chunk left to `seal_invoice`, with their numbers, in billing order.
    _deferred: list[tuple[str, str, str]] = field(default_factory=list)
    _events: list[dict[str, Any]] = field(default_factory=list)
    # The next chunk's customers and, by invoice id, its documents worked out ahead.
    _ahead_customers: dict[str, Any] = field(default_factory=dict)
    _ahead: dict[str, _Sealing] = field(default_factory=dict)

    @classmethod
    def for_run(cls, ctx: Ctx, *, invoices_only: bool = False) -> InlineSealer:
        org = ctx.session.get_one(Organization, ctx.organization_id)
        return cls(org, today(ctx), invoices_only=invoices_only)

    def seal(
        self,
        ctx: Ctx,
        invoices: Sequence[dict[str, Any]],
        lines_by_invoice: dict[str, list[dict[str, Any]]],
    ) -> None:
        """Finalizes, in place, the column values of a chunk's invoices (in billing order)
        before their INSERT; the ones `seal_invoice` must take are kept for `after_insert`."""
        from tarif.invoicing.service_credit_notes import over_credit
        from tarif.invoicing.service_finalize import draw_numbers

        self._deferred, self._events = [], []
        # Empty drafts, drafts of 0.00 usage lines only when the organization keeps those,
        # and credit notes that would credit too much stay drafts (as with `finalize_run`): no
        # number is drawn for them.
        zero = self.org.finalize_zero_usage_invoices
        with_lines = [
            values
            for values in invoices
            if lines_by_invoice.get(values["id"])
            and not kept_as_draft(
                zero, [(x["source"], x["net_amount"]) for x in lines_by_invoice[values["id"]]]
            )
            and not (self.invoices_only and values["kind"] != "invoice")
            and over_credit(ctx, values["corrects_invoice_id"], values["gross_total"], stored=False)
            is None
        ]
        if not with_lines:
            return
        numbers = draw_numbers(
            ctx, self.org, [(values["id"], values["series"]) for values in with_lines], self.issued
        )
        wanted = {values["customer_id"] for values in with_lines}
        customers = (
            self._ahead_customers
            if wanted <= self._ahead_customers.keys()
            else _customers(ctx, wanted)
        )
        contract_ids = (
            line["contract_id"] for values in with_lines for line in lines_by_invoice[values["id"]]
        )
        prefetch_contract_terms(ctx, contract_ids, self.issued)
        balance.prefetch(ctx, customers)
        seller = seller_of(self.org)  # the same on every document of the chunk
        now = ctx.clock.now()
        event_ids = new_ids("aud", len(with_lines))
        for values, event_id in zip(with_lines, event_ids, strict=True):
            number = numbers[values["id"]]
            self._count(number)
            self._events.append(
                event_values(
                    ctx,
                    "finalize",
                    "invoice",
                    values["id"],
                    None,
                    {"number": number},
                    event_id=event_id,
                )
            )
            if (
                values["kind"] != "invoice"
                or values["gross_total"] < 0  # its amount due goes to the balance
                or balance.may_have_money(ctx, values["customer_id"], values["currency"])
            ):
                self._deferred.append((values["id"], values["series"], number))
                continue
            early = self._ahead.pop(values["id"], None) or self._early(
                ctx, values, lines_by_invoice[values["id"]], customers, seller
            )
            self._seal_values(ctx, values, number, now, early)

    def read_ahead(self, ctx: Ctx, invoices: Sequence[Any]) -> None:
        """Reads what sealing the next chunk's invoices (drafts of the run, `key` and `lines`)
        needs from the database and does not change during the run: its customers and its
        contracts' payment terms (known already in a run)."""
        self._ahead_customers = _customers(ctx, {draft.key.customer_id for draft in invoices})
        contract_ids = {line.contract_id for draft in invoices for line in draft.lines}
        prefetch_contract_terms(ctx, contract_ids, self.issued)

    def work_ahead(
        self,
        ctx: Ctx,
        invoices: Sequence[dict[str, Any]],
        lines_by_invoice: dict[str, list[dict[str, Any]]],
    ) -> None:
        """Works out, without the database, the documents of the next chunk's invoices that
        will be sealed here (what `read_ahead` read is all it needs)."""
        seller = seller_of(self.org)
        self._ahead = {}
        for values in invoices:
            lines = lines_by_invoice.get(values["id"])
            if (
                lines
                and values["kind"] == "invoice"
                and values["gross_total"] >= 0
                and values["customer_id"] in self._ahead_customers
            ):
                self._ahead[values["id"]] = self._early(
                    ctx, values, lines, self._ahead_customers, seller
                )

    def after_insert(self, ctx: Ctx) -> None:
        """Seals the chunk's deferred drafts, now stored, then writes the chunk's audit records
        (in billing order, as `finalize_run` writes them)."""
        from tarif.invoicing.service_finalize import seal_drafts

        if self._deferred:
            drafts = [SimpleNamespace(id=i, series=s) for i, s, _ in self._deferred]
            seal_drafts(ctx, drafts, {i: n for i, _, n in self._deferred}, self.issued, self.org)
        if self._events:
            insert_rows(ctx.session, cast(Table, AuditEvent.__table__), self._events)
        self._deferred, self._events = [], []

    def _early(
        self,
        ctx: Ctx,
        values: dict[str, Any],
        lines: list[dict[str, Any]],
        customers: dict[str, Any],
        seller: dict[str, Any],
    ) -> _Sealing:
        """What sealing sets that the number does not change: the document and due date."""
        invoice = _as_read_back(values, _INVOICE_DECIMALS, notes=None, purchase_order=None)
        stored_lines = [_line_read_back(line) for line in lines]
        customer = customers[values["customer_id"]]
        terms, document = terms_and_snapshot(
            ctx, invoice, stored_lines, self.org, customer, self.issued, seller
        )
        invoice.due_date = terms.due_date(self.issued)
        return _Sealing(invoice, stored_lines, document, customer.invoice_emails)

    def _seal_values(
        self, ctx: Ctx, values: dict[str, Any], number: str, now: Any, early: _Sealing
    ) -> None:
        # What `seal_invoice` sets, computed by the functions it calls, on plain values.
        values.update(number=number, issue_date=self.issued)
        invoice = early.invoice
        invoice.number, invoice.issue_date = number, self.issued
        values.update(
            document=early.document,
            due_date=invoice.due_date,
            status=InvoiceStatus.FINALIZED.value,
            finalized_at=now,
            updated_at=now,
            content_hash=content_hash(invoice, early.lines),
        )
        invoice_sealed(ctx, invoice)  # as `seal_invoice` does: one event per invoice
        render_later(ctx, invoice.id)
        queue_email(ctx, invoice.id, early.invoice_emails)  # and one e-mail job

    def _count(self, number: str) -> None:
        self.finalized += 1
        self.first_number = self.first_number or number
        self.last_number = number


@dataclass(frozen=True, slots=True)
class _Sealing:
    """An invoice's sealing worked out before its number: the invoice and its lines as they
    read back (the content hash's input, once numbered), its document and who gets it."""

    invoice: Any
    lines: list[Any]
    document: dict[str, Any]
    invoice_emails: Sequence[str] | None


def _as_read_back(values: dict[str, Any], decimals: Sequence[str], **extra: Any) -> Any:
    """The values as attributes, decimals in the form the database gives them back."""
    read = dict(values)
    for name in decimals:
        value = read.get(name)
        if value is not None:
            read[name] = read_back(value)
    read.update(extra)
    return SimpleNamespace(**read)


def _line_read_back(line: dict[str, Any]) -> Any:
    """What sealing reads of a line (the content hash's fields and the contract's, a line's
    origin), decimals in the form the database gives them back. A reduced view: a field the
    hash comes to need fails loudly here (AttributeError), in every sealing test."""
    return SimpleNamespace(
        description=line["description"],
        contract_id=line["contract_id"],
        line_key=line["line_key"],
        source=line["source"],
        period_start=line["period_start"],
        period_end=line["period_end"],
        quantity=read_back(line["quantity"]),
        unit_price=read_back(line["unit_price"]),
        net_amount=read_back(line["net_amount"]),
        vat_rate=read_back(line["vat_rate"]),
    )


def _customers(ctx: Ctx, ids: set[str]) -> dict[str, Any]:
    """What the snapshot and the payment terms read of each customer, in one query."""
    stmt = select(*_CUSTOMER_COLUMNS).where(
        of_tenant(Customer.organization_id, ctx.organization_id),
        among(Customer.id, ids, dialect_of(ctx.session)),
    )
    with ctx.session.no_autoflush:  # Core rows: no ORM loading layer for plain columns
        return {row.id: row for row in rows(ctx.session, stmt)}


def lines_by_invoice(lines: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        grouped[line["invoice_id"]].append(line)
    return grouped
