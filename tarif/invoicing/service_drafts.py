"""Editing draft invoices, and finalizing drafts automatically.

A draft is the one moment an invoice may change: a person adds one-off lines ("manual" lines,
priced as typed), removes them, writes notes and a purchase order, regenerates the contract
lines from the contracts as they are now, or deletes the draft (its charges come back at the
next run). A finalized invoice never changes: every edit of one is refused (409), and the way to
correct it is a credit note.

Totals are never patched: after every edit `recompute_totals` prices the draft again from its
stored lines, exactly as a billing run does (`tarif.billing.totals.invoice_totals`: each line net
rounded once in the organization's mode, VAT per rate on the sum of the nets).

Organizations choose when drafts become invoices (`auto_finalize_after_hours`): None, a person
finalizes them; 0, the billing run finalizes what it writes; N, `finalize_due` finalizes every
draft made at least N hours ago (run from the API, the CLI, later by a scheduled worker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import IntegrityError

from tarif.audit.service import record, snapshot
from tarif.billing.invoice_discounts import CoveredLine, InvoiceDiscountKind, invoice_discount
from tarif.billing.totals import TaxedLine, invoice_totals, vat_rate
from tarif.catalog.models import Product
from tarif.catalog.rules import VatCategory
from tarif.context import Ctx
from tarif.contracts.service_catalog import product_name
from tarif.customers.models import Customer
from tarif.customers.rules import TaxTreatment
from tarif.customers.service import treatment_of
from tarif.db.repository import scoped
from tarif.errors import Conflict, ErrorCollector, NotFound
from tarif.ids import new_id
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.invoicing.service_invoices import (
    INVOICE_SERIES,
    InvoiceStatus,
    finalize_invoice,
    get_invoice,
    invoice_lines,
)
from tarif.invoicing.service_runs import GroupKey, build_drafts, write_lines
from tarif.invoicing.usage_pricing import kept_as_draft
from tarif.money import RoundingMode, currency, parse_decimal
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission

CONTRACT_SOURCE = "contract"
MANUAL_SOURCE = "manual"
# Lines a billing run derives from contracts (charges and credits, coupon discounts): a
# regeneration deletes and rebuilds them; lines typed on the draft stay.
RUN_SOURCES = (CONTRACT_SOURCE, "coupon", "usage")
DISCOUNT_SOURCE = "discount"  # a discount typed on the draft (`coupons.service`)
MAX_DESCRIPTION = 1000
MAX_NOTES = 2000
MAX_PURCHASE_ORDER = 100
# A one-off line's amount stays far below what NUMERIC(20, 6) totals can hold.
MAX_LINE_AMOUNT = Decimal(10) ** 12
SIX_DECIMALS = Decimal("0.000001")

Progress = Callable[[int, int], None]


# --- guards and totals -------------------------------------------------------------------------


def ensure_draft(invoice: Invoice, *, deleting: bool = False) -> None:
    """Refuses any edit of an invoice that is no longer a draft: it takes a credit note.
    `deleting`: a credit note a billing run drafted may go too (one held back because it would
    credit more than its invoice has left waits for a person to delete it, docs/invoices.md);
    it takes no other edit."""
    if invoice.status != InvoiceStatus.DRAFT.value:
        raise Conflict(f"invoice {invoice.number or invoice.id} is finalized: issue a credit note")
    if deleting and getattr(invoice, "kind", None) == "credit_note":
        return
    if invoice.series != INVOICE_SERIES or getattr(invoice, "kind", None) not in (None, "invoice"):
        raise Conflict(f"'{invoice.id}' is not an invoice: only draft invoices are edited here")


def editable_draft(ctx: Ctx, invoice_id: str) -> Invoice:
    """The draft invoice to edit: 404 when it is not this organization's, 409 when finalized."""
    ctx.require(Permission.WRITE_BILLING)
    invoice = get_invoice(ctx, invoice_id)
    ensure_draft(invoice)
    return invoice


def plain_rate(rate: Decimal) -> str:
    """A rate as the runs write it in the breakdown: `20`, `5.5`, `0` (whatever the storage)."""
    text = format(rate.normalize(), "f")
    return text if text != "-0" else "0"


def line_rate(category: str, treatment: str) -> Decimal:
    """A line's VAT rate: the category's French rate, or 0 for reverse charge, export, exempt.

    The same rule as the billing run's contract lines (`service_runs._rate`).
    """
    if TaxTreatment(treatment) is not TaxTreatment.STANDARD:
        return Decimal(0)
    return vat_rate(VatCategory(category))


def recompute_totals(ctx: Ctx, invoice: Invoice) -> list[InvoiceLine]:
    """Prices a draft again from its stored lines (line nets, VAT per rate, totals).

    Every edit of a draft ends here, so a draft's totals are always those of its lines.
    """
    lines = invoice_lines(ctx, invoice.id)
    org = ctx.session.get_one(Organization, ctx.organization_id)
    totals = invoice_totals(
        [TaxedLine(Decimal(line.exact_net), line.vat_rate) for line in lines],
        invoice.currency,
        RoundingMode(org.rounding_mode),
    )
    for line, net in zip(lines, totals.line_nets, strict=True):
        line.net_amount = net
    invoice.net_total, invoice.vat_total = totals.net, totals.vat
    invoice.gross_total = totals.gross
    invoice.vat_breakdown = [
        {"rate": plain_rate(b.rate), "base": str(b.base), "vat": str(b.vat)}
        for b in totals.vat_by_rate
    ]
    invoice.updated_at = ctx.clock.now()
    ctx.session.flush()
    return lines


def _renumber(lines: list[InvoiceLine]) -> None:
    for position, line in enumerate(sorted(lines, key=lambda row: row.position), 1):
        line.position = position


def _totals(invoice: Invoice) -> dict[str, str]:
    return {
        "net_total": str(invoice.net_total),
        "vat_total": str(invoice.vat_total),
        "gross_total": str(invoice.gross_total),
    }


# --- one-off lines -----------------------------------------------------------------------------


def _decimal(errors: ErrorCollector, name: str, value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(name, "is required")
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = parse_decimal(str(value).strip())
        except (ValueError, ArithmeticError, InvalidOperation):
            errors.add(name, "not a decimal number")
            return None
    if not number.is_finite():
        errors.add(name, "not a decimal number")
        return None
    if number != number.quantize(SIX_DECIMALS, rounding="ROUND_DOWN"):
        errors.add(name, "at most 6 decimals")
        return None
    return number


def _day(errors: ErrorCollector, name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(name, "not a date (YYYY-MM-DD)")
        return None


@dataclass(frozen=True)
class ManualLine:
    """A one-off line as checked: what `add_line` stores."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_category: str
    product_id: str | None
    period: tuple[date, date] | None  # [start, end) with end exclusive


def check_manual_line(ctx: Ctx, values: dict[str, Any]) -> ManualLine:
    """Checks a one-off line (strings from a form or typed values from the API), every field.

    `product_id` gives the VAT category and the default description; a given `vat_category` or
    `description` wins over them. Quantities and prices are never negative: a reduction is a
    discount or a credit note.
    """
    errors = ErrorCollector()
    product: Product | None = None
    product_id = values.get("product_id") or None
    if product_id is not None:
        # A reference in the body is a bad field (422 naming it), as for a contract's lines;
        # another organization's product reads exactly like a missing one.
        product = ctx.session.scalars(
            scoped(Product, ctx.organization_id).where(Product.id == str(product_id))
        ).one_or_none()
        if product is None:
            errors.add("product_id", f"no product '{product_id}' in this organization")
    # An unknown product is the one problem: not also the description and VAT it would give.
    unknown_product = product_id is not None and product is None
    description = str(values.get("description") or "").strip()
    if not description and product is not None:
        description = product_name(product)
    if not description and not unknown_product:
        errors.add("description", "is required (or give a product_id)")
    elif len(description) > MAX_DESCRIPTION:
        errors.add("description", f"at most {MAX_DESCRIPTION} characters")
    quantity = _decimal(errors, "quantity", values.get("quantity"))
    if quantity is not None and quantity < 0:
        errors.add("quantity", "must not be negative: a reduction is a discount or a credit note")
    elif quantity is not None and quantity == 0:
        errors.add("quantity", "must be greater than zero")
    unit_price = _decimal(errors, "unit_price", values.get("unit_price"))
    if unit_price is not None and unit_price < 0:
        errors.add("unit_price", "must not be negative: a reduction is a discount or a credit note")
    elif (
        quantity is not None and unit_price is not None and quantity * unit_price > MAX_LINE_AMOUNT
    ):
        errors.add("unit_price", f"the line's amount exceeds {MAX_LINE_AMOUNT}")
    category = values.get("vat_category") or None
    if category is None and product is not None:
        category = product.vat_category
    if category is None and not unknown_product:
        errors.add("vat_category", "is required (or give a product_id)")
    elif category is not None and str(category) not in {c.value for c in VatCategory}:
        choices = ", ".join(c.value for c in VatCategory)
        errors.add("vat_category", f"must be one of {choices}")
    start = _day(errors, "period_start", values.get("period_start"))
    last = _day(errors, "period_last_day", values.get("period_last_day"))
    bad_days = {e.field for e in errors.errors} & {"period_start", "period_last_day"}
    if not bad_days and (start is None) != (last is None):
        missing = "period_last_day" if last is None else "period_start"
        errors.add(missing, "give both period_start and period_last_day, or neither")
    elif start is not None and last is not None and last < start:
        errors.add("period_last_day", "must not be before period_start")
    errors.raise_if_any()
    assert quantity is not None and unit_price is not None and category is not None
    period = (start, last + timedelta(days=1)) if start is not None and last is not None else None
    return ManualLine(
        description,
        quantity,
        unit_price,
        VatCategory(str(category)).value,
        product.id if product is not None else None,
        period,
    )


def add_line(ctx: Ctx, invoice_id: str, values: dict[str, Any]) -> InvoiceLine:
    """Adds a one-off line at the end of a draft; its VAT follows the invoice's tax treatment."""
    invoice = editable_draft(ctx, invoice_id)
    checked = check_manual_line(ctx, values)
    lines = invoice_lines(ctx, invoice.id)
    exact = checked.quantity * checked.unit_price
    start, end = checked.period if checked.period is not None else (None, None)
    line = InvoiceLine(
        id=new_id("inl"),
        organization_id=ctx.organization_id,
        invoice_id=invoice.id,
        position=max((row.position for row in lines), default=0) + 1,
        source=MANUAL_SOURCE,
        contract_id=None,
        contract_version=None,
        line_key=None,
        product_id=checked.product_id,
        kind="charge",
        adjustment=False,
        period_start=start,
        period_end=end,
        full_period_start=start,
        full_period_end=end,
        due_on=None,
        quantity=checked.quantity,
        unit_price=checked.unit_price,
        exact_net=str(exact),
        discount_amount=Decimal(0),
        net_amount=Decimal(0),  # set by recompute_totals
        vat_rate=line_rate(checked.vat_category, invoice.tax_treatment),
        vat_category=checked.vat_category,
        price_source=MANUAL_SOURCE,
        discounts=[],
        amendment_id=None,
        description=checked.description,
    )
    ctx.session.add(line)
    ctx.session.flush()
    recompute_totals(ctx, invoice)
    record(
        ctx, "add_line", "invoice", invoice.id, None, {"line": snapshot(line)} | _totals(invoice)
    )
    return line


def remove_line(ctx: Ctx, invoice_id: str, position: int) -> Invoice:
    """Removes a one-off line; the lines after it move up one position."""
    invoice = editable_draft(ctx, invoice_id)
    lines = invoice_lines(ctx, invoice.id)
    line = next((row for row in lines if row.position == position), None)
    if line is None:
        raise NotFound(f"invoice '{invoice.id}' has no line {position}")
    if line.source == CONTRACT_SOURCE:
        raise Conflict(
            f"line {position} comes from contract '{line.contract_id}': regenerate or amend the "
            "contract"
        )
    if line.source != MANUAL_SOURCE:
        raise Conflict(
            f"line {position} is a {line.source} line: only one-off (manual) lines are removed"
        )
    before = {"line": snapshot(line)} | _totals(invoice)
    ctx.session.delete(line)
    ctx.session.flush()
    _renumber([row for row in lines if row is not line])
    recompute_totals(ctx, invoice)
    record(ctx, "remove_line", "invoice", invoice.id, before, _totals(invoice))
    return invoice


# --- notes and purchase order ------------------------------------------------------------------

DRAFT_FIELDS = {"notes": MAX_NOTES, "purchase_order": MAX_PURCHASE_ORDER}


def update_draft(ctx: Ctx, invoice_id: str, changes: dict[str, Any]) -> Invoice:
    """Sets the notes and the purchase order printed on the invoice (blank clears them)."""
    invoice = editable_draft(ctx, invoice_id)
    errors = ErrorCollector()
    values: dict[str, str | None] = {}
    for name, value in changes.items():
        if name not in DRAFT_FIELDS:
            errors.add(name, "cannot be changed on a draft")
            continue
        text = str(value).strip() if value is not None else ""
        if len(text) > DRAFT_FIELDS[name]:
            errors.add(name, f"at most {DRAFT_FIELDS[name]} characters")
        values[name] = text or None
    errors.raise_if_any()
    before = snapshot(invoice)
    for name, value in values.items():
        setattr(invoice, name, value)
    invoice.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "update", "invoice", invoice.id, before, snapshot(invoice))
    return invoice


# --- regenerate and delete ---------------------------------------------------------------------


@dataclass
class Regenerated:
    """What regenerating a draft did: `regenerated` (contract lines written again),
    `manual_lines_only` (nothing is due any more; the one-off lines stay) or `deleted`."""

    invoice_id: str
    outcome: str
    invoice: Invoice | None
    contract_lines: int = 0


def regenerate_draft(ctx: Ctx, invoice_id: str) -> Regenerated:
    """Rebuilds a draft's contract lines from the contracts as they are now.

    The draft's contract lines (and the coupon lines a run derived from them) are removed, then
    the billing core says again what is due for the draft's customer on its billing date; the
    group with this draft's key (customer, currency, billing date, contract when the contract
    groups its own invoices) is written after the lines typed on the draft: one-off lines keep
    their amounts, discounts are priced again over the lines they cover. The tax treatment is
    read again from the customer and typed lines follow it, except on a draft a run made of
    what a former treatment gives back (every run line negative, the draft's treatment no
    longer the customer's): it is rebuilt with that treatment. Due contract changes are not
    applied here: a billing run applies them.
    """
    invoice = editable_draft(ctx, invoice_id)
    before = _totals(invoice)
    lines = invoice_lines(ctx, invoice.id)
    kept = [row for row in lines if row.source not in RUN_SOURCES]
    run_lines = [row for row in lines if row.source in RUN_SOURCES]
    for row in run_lines:
        ctx.session.delete(row)
    ctx.session.flush()
    _renumber(kept)
    ctx.session.flush()
    org = ctx.session.get_one(Organization, ctx.organization_id)
    customer = ctx.session.get_one(Customer, invoice.customer_id)
    today = treatment_of(customer, org.country).value
    # A draft of credits given back under a treatment the customer no longer has (or a credit
    # note) is its own group of the run (`credit_origin`): rebuilt with that treatment.
    former = (
        invoice.tax_treatment
        if invoice.tax_treatment != today
        and run_lines
        and all(row.net_amount < 0 for row in run_lines)
        else None
    )
    key = GroupKey(
        invoice.customer_id,
        invoice.currency,
        invoice.billing_date,
        invoice.contract_id,
        invoice.corrects_invoice_id,
        former,
    )
    drafts = build_drafts(ctx, invoice.billing_date, customer_id=invoice.customer_id)
    draft = next((d for d in drafts if d.key == key), None)
    invoice.tax_treatment = draft.tax_treatment if draft is not None else former or today
    for row in kept:
        row.vat_rate = line_rate(row.vat_category, invoice.tax_treatment)
    if draft is None and not kept:
        delete_draft(ctx, invoice.id, reason="nothing is due any more")
        return Regenerated(invoice_id, "deleted", None)
    if draft is not None:
        try:
            with ctx.session.begin_nested():
                write_lines(ctx, invoice, draft, first_position=len(kept) + 1)
        except IntegrityError as exc:
            # A concurrent run stored one of these charges first (the unique key refused it).
            raise Conflict(
                f"invoice '{invoice.id}': another billing run billed these charges meanwhile; "
                "try again"
            ) from exc
    # Nets first: the typed discounts are priced again over the lines' nets.
    recompute_totals(ctx, invoice)
    if _reprice_typed_discounts(ctx, invoice, RoundingMode(org.rounding_mode)):
        recompute_totals(ctx, invoice)
    written = len(draft.lines) if draft is not None else 0
    outcome = "regenerated" if draft is not None else "manual_lines_only"
    record(
        ctx, "regenerate", "invoice", invoice.id, before, _totals(invoice) | {"outcome": outcome}
    )
    return Regenerated(invoice.id, outcome, invoice, written)


def reprice_draft(ctx: Ctx, invoice: Invoice) -> None:
    """Prices a draft again after a billing run added its lines to it (`add_run_lines`): the
    line nets, then each discount typed on the draft over the lines now on it (as a
    regeneration does: "-10 %" stays 10 % of the whole, an amount is capped at what is left),
    then the totals. Every line keeps its place."""
    recompute_totals(ctx, invoice)
    org = ctx.session.get_one(Organization, ctx.organization_id)
    mode = RoundingMode(org.rounding_mode)
    if _reprice_typed_discounts(ctx, invoice, mode, run_lines_last=False):
        recompute_totals(ctx, invoice)


def _reprice_typed_discounts(
    ctx: Ctx, invoice: Invoice, mode: RoundingMode, *, run_lines_last: bool = True
) -> bool:
    """Prices each discount typed on the draft again, in the order typed, over the lines it
    covered: the contract lines (rebuilt, or added by a run) and the typed lines before it. A
    discount is a percentage or an amount off those lines, so after a regeneration "-10 %"
    still takes 10 % and an amount still never takes the draft below zero. A regeneration
    writes the contract lines after the typed ones (`run_lines_last`); lines a run added stay
    where they are. True when there was one."""
    lines = invoice_lines(ctx, invoice.id)
    # One discount typed is one group of lines, one per VAT rate: "discount:<group>:<rate>".
    groups: dict[str, list[InvoiceLine]] = {}
    for row in lines:
        if row.source == DISCOUNT_SOURCE:
            groups.setdefault((row.line_key or row.id).rsplit(":", 1)[0], []).append(row)
    if not groups:
        return False
    money = currency(invoice.currency)
    ordered: list[InvoiceLine] = []  # the lines in their new order
    covered: list[InvoiceLine] = [row for row in lines if row.source in RUN_SOURCES]
    for row in lines:
        if row.source in RUN_SOURCES:
            if not run_lines_last:
                ordered.append(row)
            continue
        if row.source != DISCOUNT_SOURCE:
            ordered.append(row)
            covered.append(row)
            continue
        group = (row.line_key or row.id).rsplit(":", 1)[0]
        old = groups.pop(group, None)
        if old is None:  # priced with the group's first line
            continue
        if not old[0].discounts:  # its kind and value unknown: kept as it is
            ordered += old
            covered += old
            continue
        terms = old[0].discounts[0]
        parts = invoice_discount(
            [CoveredLine(line.net_amount, line.vat_rate) for line in covered],
            InvoiceDiscountKind(terms["kind"]),
            Decimal(terms["value"]),
            money,
            mode,
        )
        categories = {line.vat_rate: line.vat_category for line in covered}
        for stale in old:
            ctx.session.delete(stale)
        for part in parts:
            priced = InvoiceLine(
                **{column: getattr(old[0], column) for column in _DISCOUNT_COPIED},
                id=new_id("inl"),
                position=0,
                line_key=f"{group}:{plain_rate(part.vat_rate)}",
                unit_price=-part.amount,
                exact_net=str(-part.amount),
                net_amount=-part.amount,
                vat_rate=part.vat_rate,
                vat_category=categories.get(part.vat_rate, old[0].vat_category),
            )
            ctx.session.add(priced)
            ordered.append(priced)
            covered.append(priced)
    ctx.session.flush()
    if run_lines_last:
        ordered += [row for row in lines if row.source in RUN_SOURCES]
    for position, row in enumerate(ordered, 1):
        row.position = position
    ctx.session.flush()
    return True


# What a discount line priced again keeps of the line it replaces.
_DISCOUNT_COPIED = (
    "organization_id",
    "invoice_id",
    "source",
    "contract_id",
    "contract_version",
    "product_id",
    "kind",
    "adjustment",
    "period_start",
    "period_end",
    "full_period_start",
    "full_period_end",
    "due_on",
    "quantity",
    "discount_amount",
    "price_source",
    "discounts",
    "amendment_id",
    "description",
)


def delete_draft(ctx: Ctx, invoice_id: str, *, reason: str | None = None) -> None:
    """Deletes a draft (or a drafted credit note) and its lines: what it billed or credited
    from contracts is billed or credited again by the next run."""
    ctx.require(Permission.WRITE_BILLING)
    invoice = get_invoice(ctx, invoice_id)
    ensure_draft(invoice, deleting=True)
    before = snapshot(invoice)
    for row in invoice_lines(ctx, invoice.id):
        ctx.session.delete(row)
    ctx.session.flush()
    ctx.session.delete(invoice)
    ctx.session.flush()
    record(ctx, "delete", "invoice", invoice_id, before, {"reason": reason} if reason else None)


# --- automatic finalization --------------------------------------------------------------------


@dataclass
class FinalizedDue:
    """What `finalize_due` did: the organization's setting, the invoices finalized (oldest
    first) and the empty drafts it left alone."""

    after_hours: int | None
    finalized: list[Invoice] = field(default_factory=list)
    skipped_empty: list[str] = field(default_factory=list)


def due_drafts(ctx: Ctx, after_hours: int) -> list[Invoice]:
    """Draft invoices made at least `after_hours` hours before now, oldest first."""
    cutoff = ctx.clock.now() - timedelta(hours=after_hours)
    stmt = (
        scoped(Invoice, ctx.organization_id)
        .where(
            Invoice.status == InvoiceStatus.DRAFT.value,
            Invoice.series == INVOICE_SERIES,
            Invoice.created_at <= cutoff,
        )
        .order_by(Invoice.created_at, Invoice.id)
    )
    return list(ctx.session.scalars(stmt))


def finalize_due(ctx: Ctx, *, progress: Progress | None = None) -> FinalizedDue:
    """Finalizes every non-empty draft older than the organization's `auto_finalize_after_hours`.

    Nothing happens when the setting is None (drafts wait for a person). An empty draft is not
    an invoice: it is skipped and reported. Numbers are drawn oldest draft first.
    """
    ctx.require(Permission.WRITE_BILLING)
    org = ctx.session.get_one(Organization, ctx.organization_id)
    outcome = FinalizedDue(org.auto_finalize_after_hours)
    if org.auto_finalize_after_hours is None:
        return outcome
    drafts = due_drafts(ctx, org.auto_finalize_after_hours)
    for done, draft in enumerate(drafts, 1):
        lines = ctx.session.execute(
            scoped(InvoiceLine, ctx.organization_id)
            .where(InvoiceLine.invoice_id == draft.id)
            .with_only_columns(InvoiceLine.source, InvoiceLine.net_amount)
        ).all()
        # Nothing to invoice: no line, or 0.00 usage lines the organization keeps as a draft.
        zero = org.finalize_zero_usage_invoices
        if not lines or kept_as_draft(zero, [(source, net) for source, net in lines]):
            outcome.skipped_empty.append(draft.id)
        else:
            outcome.finalized.append(finalize_invoice(ctx, draft.id))
        if progress is not None:
            progress(done, len(drafts))
    return outcome


def finalize_due_drafts(ctx: Ctx) -> list[Invoice]:
    """The invoices `finalize_due` finalized (see there)."""
    return finalize_due(ctx).finalized


def finalizes_on_run(ctx: Ctx) -> bool:
    """Whether the organization's billing runs finalize the drafts they write (setting 0)."""
    org = ctx.session.get(Organization, ctx.organization_id)
    return org is not None and org.auto_finalize_after_hours == 0
