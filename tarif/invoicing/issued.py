"""Issued documents: the snapshot taken at finalization, and the PDF stored from it.

Finalizing an invoice (one, or a whole billing run) only writes plain values: `seal_document`
sets the due date from the payment terms and stores on the invoice (`invoices.document`)
everything the printed document needs that could change later: the seller (the organization's
name, address, identifiers, legal mentions), the buyer (the customer's), the language, the
payment terms and their sentence, the late-payment penalty rate, the purchase order, notes,
footer, accent colour and the SHA-256 of the logo (the logo itself is kept, per content, in
`organization_logos`). Nothing is rendered then, so finalizing stays cheap.

The first request for a finalized document renders its Factur-X PDF from the invoice, its
lines and that snapshot, and stores the bytes (`issued_files`); every later request returns the
stored bytes, byte for byte, whatever changed in the organization or in the renderer since.
A draft is previewed: rendered on the fly with a placeholder number, never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tarif.context import Ctx
from tarif.contracts.amendments import ContractVersion as CoreVersion
from tarif.contracts.models import ContractVersion
from tarif.contracts.service_store import of_tenant, today
from tarif.customers.models import Customer
from tarif.db.among import among, dialect_of
from tarif.db.repository import scoped
from tarif.errors import Conflict
from tarif.ids import new_id
from tarif.invoicing.document import (
    LANGUAGES,
    DocumentKind,
    DocumentLine,
    InconsistentDocument,
    InvoiceDocument,
    Party,
    Period,
    TaxTreatment,
    Totals,
    UsageAnnexLine,
    VatBreakdown,
)
from tarif.invoicing.models import Invoice, InvoiceLine, IssuedFile
from tarif.invoicing.terms import PaymentTerms, single_contract, terms_for
from tarif.tenancy.documents import logo_row
from tarif.tenancy.models import DEFAULT_LATE_PENALTY_RATE, Organization

if TYPE_CHECKING:  # the renderers load Pango and factur-x: only documents being rendered need them
    from tarif.invoicing.rendering import Branding

PDF = "application/pdf"
XML = "application/xml"
DRAFT_NUMBER = "BROUILLON / DRAFT"
CREDIT_NOTE = "credit_note"
# Printed as the legal basis of an exempt document: the customer's exemption is a fact stated
# on the customer (`tax_status`), without a text of its own.
EXEMPTION_TEXT = {"fr": "client exonéré de TVA", "en": "customer exempt from VAT"}
CREDIT_NOTE_TERMS = {
    "fr": "Avoir : aucun paiement n'est dû",
    "en": "Credit note: no payment is due",
}
CREDIT_NOTE_REASON = {"fr": "Motif : {reason}", "en": "Reason: {reason}"}
SELLER_FIELDS = {
    "name": "legal name",
    "address_lines": "address",
    "postal_code": "postal code",
    "city": "city",
    "siren": "SIREN",
    "vat_number": "VAT number",
}


# --- at finalization -------------------------------------------------------------------------


def seal_document(
    ctx: Ctx,
    invoice: Invoice,
    lines: list[InvoiceLine],
    *,
    org: Organization,
    customer: Customer,
    issued: date,
) -> None:
    """Sets the due date and the document snapshot of an invoice being finalized (no flush)."""
    terms, invoice.document = terms_and_snapshot(ctx, invoice, lines, org, customer, issued)
    if is_credit_note(invoice):
        # Nothing is due on a credit note: it is dated, and "due", on its issue date.
        invoice.due_date = issued
        invoice.document["payment_terms"]["text"] = CREDIT_NOTE_TERMS[invoice.document["language"]]
    else:
        invoice.due_date = terms.due_date(issued)


def terms_and_snapshot(
    ctx: Ctx,
    invoice: Invoice,
    lines: list[InvoiceLine],
    org: Organization,
    customer: Customer,
    issued: date,
    seller: dict[str, Any] | None = None,
) -> tuple[PaymentTerms, dict[str, Any]]:
    """`seller`: `seller_of(org)`, when the caller seals many invoices of the organization."""
    contract_terms = _contract_terms(ctx, invoice, lines, issued)
    terms = terms_for(
        customer.payment_terms_days,
        customer.payment_terms_end_of_month,
        contract_terms.get("payment_terms_days"),
    )
    data = snapshot(
        invoice,
        org=org,
        customer=customer,
        terms=terms,
        purchase_order=contract_terms.get("purchase_order"),
        seller=seller,
    )
    return terms, data


def snapshot(
    invoice: Invoice,
    *,
    org: Organization,
    customer: Customer,
    terms: PaymentTerms,
    purchase_order: str | None = None,
    seller: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The plain values the document prints that do not live on the invoice and its lines.
    `seller`: `seller_of(org)` worked out beforehand (each document gets its own copy)."""
    language = customer.language if customer.language in LANGUAGES else org.locale
    language = language if language in LANGUAGES else "fr"
    notes = (invoice.notes or "").strip().splitlines()
    if is_credit_note(invoice) and invoice.reason:
        notes.insert(0, CREDIT_NOTE_REASON[language].format(reason=invoice.reason.strip()))
    rate = org.late_penalty_rate
    return {
        "language": language,
        "seller": seller_of(org) if seller is None else _copy_of(seller),
        "buyer": {
            "name": customer.legal_name,
            "address_lines": _present(customer.address_line1, customer.address_line2),
            "postal_code": customer.postal_code,
            "city": customer.city,
            "country": customer.country,
            "siren": customer.siren,
            "vat_number": customer.vat_number,
        },
        "payment_terms": {
            "days": terms.days,
            "end_of_month": terms.end_of_month,
            "text": terms.text(language),
        },
        "late_penalty_rate": str(rate if rate is not None else DEFAULT_LATE_PENALTY_RATE),
        "purchase_order": invoice.purchase_order or purchase_order,
        "notes": notes,
        "footer": org.invoice_footer or None,
        "exemption_text": EXEMPTION_TEXT[language],
        "accent_colour": org.accent_colour,
        "logo_sha256": org.logo_sha256,
    }


def seller_of(org: Organization) -> dict[str, Any]:
    """What a document prints of the organization issuing it."""
    return {
        "name": org.legal_name,
        "address_lines": _present(org.address_line1, org.address_line2),
        "postal_code": org.postal_code,
        "city": org.city,
        "country": org.country,
        "siren": org.siren,
        "vat_number": org.vat_number,
        "legal_form": org.legal_form_and_capital,
        "registration": org.rcs,
    }


def _copy_of(seller: dict[str, Any]) -> dict[str, Any]:
    return seller | {"address_lines": list(seller["address_lines"])}


def _present(*values: str | None) -> list[str]:
    return [value for value in values if value]


def _contract_terms(
    ctx: Ctx, invoice: Invoice, lines: list[InvoiceLine], day: date
) -> dict[str, Any]:
    """The terms of the invoice's one contract in force on `day` ({} when there is none)."""
    contract_id = single_contract(
        invoice.contract_id,
        (line.contract_id for line in lines if line.source in ("contract", "usage")),
    )
    if contract_id is None:
        return {}
    known = _known_terms(ctx, day)
    if contract_id in known:
        terms: dict[str, Any] = known[contract_id]
        return terms
    return contract_terms_on(ctx, {contract_id}, day).get(contract_id, {})


_TERMS_CACHE = "tarif.invoicing.issued.contract_terms"


def _known_terms(ctx: Ctx, day: date) -> dict[str, dict[str, Any]]:
    """The contracts' payment terms on `day` already read in this transaction (the cache is
    dropped when the transaction or the day changes: an amendment may come in between)."""
    cached = ctx.session.info.get(_TERMS_CACHE)
    transaction = ctx.session.get_transaction()
    if cached is None or cached[0] is not transaction or cached[1] != day:
        cached = (transaction, day, {})
        ctx.session.info[_TERMS_CACHE] = cached
    known: dict[str, dict[str, Any]] = cached[2]
    return known


def prefetch_contract_terms(ctx: Ctx, contract_ids: Iterable[str | None], day: date) -> None:
    """Reads, in one query, the terms of the contracts not known yet for the invoices about to
    be sealed (a billing run already knows its contracts' terms: `remember_contract_terms`)."""
    known = _known_terms(ctx, day)
    ids = {c for c in contract_ids if c is not None and c not in known}
    if ids:
        known.update(contract_terms_on(ctx, ids, day))


def remember_contract_terms(
    ctx: Ctx, contract_id: str, versions: Sequence[CoreVersion], day: date
) -> None:
    """Keeps what `contract_terms_on` would read for a contract whose versions are at hand."""
    if not versions:
        return
    terms = max(versions, key=lambda v: _rank(v.effective_from, v.number, day)).terms
    _known_terms(ctx, day)[contract_id] = {
        "payment_terms_days": terms.payment_terms_days,
        "purchase_order": terms.purchase_order,
    }


def _rank(effective_from: date, number: int, day: date) -> tuple[int, int, int]:
    """The latest version in force on `day` ranks first; before any is, the earliest."""
    if effective_from <= day:
        return (1, effective_from.toordinal(), number)
    return (0, -effective_from.toordinal(), -number)


def contract_terms_on(ctx: Ctx, contract_ids: set[str], day: date) -> dict[str, dict[str, Any]]:
    """Per contract, what its version in force on `day` says about payment: its payment terms
    days and purchase order (the first version when none is in force yet).

    Plain rows, no ORM objects and no autoflush: finalizing a run calls this for every chunk.
    """
    if not contract_ids:
        return {}
    stmt = select(
        ContractVersion.contract_id,
        ContractVersion.effective_from,
        ContractVersion.number,
        ContractVersion.terms,
    ).where(
        # Written so SQLite picks the contract index, not a scan of the tenant per chunk.
        of_tenant(ContractVersion.organization_id, ctx.organization_id),
        among(ContractVersion.contract_id, contract_ids, dialect_of(ctx.session)),
    )
    chosen: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
    with ctx.session.no_autoflush:
        rows = ctx.session.execute(stmt).all()
    for contract_id, effective_from, number, terms in rows:
        rank = _rank(effective_from, number, day)
        if contract_id not in chosen or rank > chosen[contract_id][0]:
            chosen[contract_id] = (rank, terms)
    return {
        contract_id: {
            "payment_terms_days": terms.get("payment_terms_days"),
            "purchase_order": terms.get("purchase_order"),
        }
        for contract_id, (_rank, terms) in chosen.items()
    }


# --- the document ----------------------------------------------------------------------------


def is_credit_note(invoice: Invoice) -> bool:
    return invoice.kind == CREDIT_NOTE


def document_for(
    ctx: Ctx, invoice: Invoice, *, organization: Organization | None = None
) -> InvoiceDocument:
    """The printed document of an invoice or credit note, from its rows and its snapshot.

    A draft has no snapshot yet: it is taken from today's organization and customer, with a
    placeholder number. A credit note prints its amounts positive (they are stored negative).
    Seller fields missing from the snapshot (a SIREN set only after finalizing) are taken from
    the organization: they identify the seller and never change.
    """
    from tarif.invoicing.service_invoices import invoice_lines  # it imports this module

    org = organization or ctx.session.get_one(Organization, ctx.organization_id)
    lines = invoice_lines(ctx, invoice.id)
    data = invoice.document
    issued = invoice.issue_date
    due = invoice.due_date
    if data is None or invoice.number is None:
        customer = ctx.session.get_one(Customer, invoice.customer_id)
        issued = issued or today(ctx)
        terms, data = terms_and_snapshot(ctx, invoice, lines, org, customer, issued)
        due = due or terms.due_date(issued)
    assert issued is not None and due is not None
    sign = Decimal(-1) if is_credit_note(invoice) else Decimal(1)
    missing = _missing_seller_fields(data["seller"], org)
    if missing:
        raise Conflict(
            "this document cannot be issued as a valid EN 16931 invoice: the organization's "
            + ", ".join(missing)
            + (" is" if len(missing) == 1 else " are")
            + " missing (set them in the organization settings)"
        )
    seller = _party(data["seller"], org)
    language = data["language"]
    treatment = None if invoice.tax_treatment == "standard" else TaxTreatment(invoice.tax_treatment)
    document_lines = tuple(_document_line(line, sign) for line in lines)
    periods = [line.period for line in document_lines if line.period is not None]
    service_period = (
        Period(min(p.start for p in periods), max(p.end for p in periods))
        if periods
        else Period(issued, issued + timedelta(days=1))
    )
    try:
        return InvoiceDocument(
            kind=DocumentKind.CREDIT_NOTE if is_credit_note(invoice) else DocumentKind.INVOICE,
            number=invoice.number or DRAFT_NUMBER,
            issue_date=issued,
            due_date=due,
            currency=invoice.currency,
            language=language,
            seller=seller,
            buyer=_party(data["buyer"]),
            service_period=service_period,
            lines=document_lines,
            vat_breakdown=tuple(
                VatBreakdown(
                    rate=Decimal(entry["rate"]),
                    base=sign * Decimal(entry["base"]),
                    amount=sign * Decimal(entry["vat"]),
                )
                for entry in invoice.vat_breakdown
            ),
            totals=Totals(
                net=sign * invoice.net_total,
                vat=sign * invoice.vat_total,
                gross=sign * invoice.gross_total,
            ),
            late_penalty_rate=Decimal(data["late_penalty_rate"]),
            payment_terms=data["payment_terms"]["text"],
            tax_treatment=treatment,
            exemption_text=data.get("exemption_text") if treatment is TaxTreatment.EXEMPT else None,
            corrected_invoice_number=_corrected_number(ctx, invoice),
            purchase_order=data.get("purchase_order"),
            notes=tuple(data.get("notes") or ()),
            footer=data.get("footer"),
            usage_annex=()
            if is_credit_note(invoice)
            else tuple(_annex_line(x) for x in lines if x.source == "usage" and x.usage),
        )
    except InconsistentDocument as exc:
        raise Conflict(f"this document cannot be issued: {exc}") from exc


def _document_line(line: InvoiceLine, sign: Decimal) -> DocumentLine:
    net = sign * line.net_amount
    unit_price = line.unit_price
    # The printed unit price carries the sign that makes quantity × price read like the net,
    # whichever way the stored line records a credit.
    if net * line.quantity * unit_price < 0:
        unit_price = -unit_price
    period = None
    if line.period_start is not None and line.period_end is not None:
        period = Period(line.period_start, line.period_end)
    return DocumentLine(
        description=line.description or line.line_key or "-",
        quantity=line.quantity,
        unit_price=unit_price,
        net_amount=net,
        vat_rate=line.vat_rate,
        period=period,
    )


def _annex_line(line: InvoiceLine) -> UsageAnnexLine:
    """From the line's trace only: the annex is rendered from what was sealed."""
    trace = line.usage or {}
    name = str(trace.get("metric_name") or trace.get("metric") or "")
    code = str(trace.get("metric") or "")
    assert line.period_start is not None and line.period_end is not None
    return UsageAnnexLine(
        metric=f"{name} ({code})" if code and name != code else name,
        description=line.description or line.line_key or "-",
        period=Period(line.period_start, line.period_end),
        event_count=int(trace.get("event_count") or 0),
        quantity=line.quantity,
        unit_price=line.unit_price,
        net_amount=line.net_amount,
        late_adjustment=line.adjustment,
    )


def _corrected_number(ctx: Ctx, invoice: Invoice) -> str | None:
    if not is_credit_note(invoice) or invoice.corrects_invoice_id is None:
        return None
    stmt = scoped(Invoice, ctx.organization_id).where(Invoice.id == invoice.corrects_invoice_id)
    corrected = ctx.session.scalars(stmt).one_or_none()
    return corrected.number if corrected is not None else None


def _missing_seller_fields(seller: dict[str, Any], org: Organization) -> list[str]:
    filled = _seller_with_identifiers(seller, org)
    return [label for name, label in SELLER_FIELDS.items() if not filled.get(name)]


def _seller_with_identifiers(seller: dict[str, Any], org: Organization) -> dict[str, Any]:
    return {
        **seller,
        "siren": seller.get("siren") or org.siren,
        "vat_number": seller.get("vat_number") or org.vat_number,
    }


def _party(data: dict[str, Any], org: Organization | None = None) -> Party:
    if org is not None:
        data = _seller_with_identifiers(data, org)
    return Party(
        name=data["name"],
        address_lines=tuple(data.get("address_lines") or ()),
        postal_code=data.get("postal_code") or "",
        city=data.get("city") or "",
        country=data.get("country") or "FR",
        siren=data.get("siren"),
        vat_number=data.get("vat_number"),
        legal_form=data.get("legal_form"),
        registration=data.get("registration"),
    )


def branding_for(ctx: Ctx, invoice: Invoice, org: Organization) -> Branding:
    """The accent colour and logo the document was finalized with (today's for a draft)."""
    from tarif.invoicing.rendering import Branding

    data = invoice.document if invoice.number is not None and invoice.document else None
    colour = data.get("accent_colour") if data is not None else org.accent_colour
    logo_sha = data.get("logo_sha256") if data is not None else org.logo_sha256
    row = logo_row(ctx, logo_sha)
    logo = row.content if row is not None else None
    return Branding(logo=logo, accent_colour=colour) if colour else Branding(logo=logo)


# --- files -----------------------------------------------------------------------------------


def is_draft(invoice: Invoice) -> bool:
    return invoice.number is None


def issued_pdf(ctx: Ctx, invoice: Invoice) -> bytes:
    """The stored Factur-X PDF of a finalized document, rendered and stored on first request.

    The caller commits (a route, a command, a page), so the first download is what is kept.
    """
    if is_draft(invoice):
        raise Conflict(f"invoice '{invoice.id}' is a draft: it has no issued document yet")
    stored = stored_file(ctx, invoice.id)
    if stored is not None:
        return stored.content
    return store_issued(ctx, invoice, render_issued(ctx, invoice))


def render_issued(ctx: Ctx, invoice: Invoice) -> bytes:
    """The Factur-X PDF of a finalized document, rendered (reads only; nothing stored)."""
    from tarif.invoicing.rendering import render_facturx_pdf

    org = ctx.session.get_one(Organization, ctx.organization_id)
    return render_facturx_pdf(
        document_for(ctx, invoice, organization=org), branding_for(ctx, invoice, org)
    )


def store_issued(ctx: Ctx, invoice: Invoice, content: bytes) -> bytes:
    """Stores a rendered document; the content stored first when another request or worker
    stored one meanwhile (what is served stays byte-identical)."""
    row = IssuedFile(
        id=new_id("file"),
        organization_id=ctx.organization_id,
        invoice_id=invoice.id,
        media_type=PDF,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=ctx.clock.now(),
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
    except IntegrityError:
        # A concurrent first download stored it first: serve what it stored.
        again = stored_file(ctx, invoice.id)
        assert again is not None
        return again.content
    return content


def stored_file(ctx: Ctx, invoice_id: str) -> IssuedFile | None:
    stmt = scoped(IssuedFile, ctx.organization_id).where(IssuedFile.invoice_id == invoice_id)
    found: IssuedFile | None = ctx.session.scalars(stmt).one_or_none()
    return found


def preview_pdf(ctx: Ctx, invoice: Invoice) -> bytes:
    """A draft's PDF, rendered now with a placeholder number; never stored."""
    from tarif.invoicing.rendering import render_facturx_pdf

    org = ctx.session.get_one(Organization, ctx.organization_id)
    return render_facturx_pdf(
        document_for(ctx, invoice, organization=org), branding_for(ctx, invoice, org)
    )


def document_pdf(ctx: Ctx, invoice: Invoice) -> bytes:
    """The PDF to show for an invoice: stored once finalized, a preview while a draft."""
    return preview_pdf(ctx, invoice) if is_draft(invoice) else issued_pdf(ctx, invoice)


def document_xml(ctx: Ctx, invoice: Invoice) -> bytes:
    """The CII XML alone (EN 16931): for a finalized document, the one inside its stored PDF;
    for a draft, built now and checked against the XSD."""
    import facturx

    from tarif.invoicing.rendering import build_cii_xml, check_cii_xml

    if is_draft(invoice):
        xml = build_cii_xml(document_for(ctx, invoice))
        check_cii_xml(xml)
        return xml
    _name, embedded = facturx.get_facturx_xml_from_pdf(issued_pdf(ctx, invoice), check_xsd=False)
    data: bytes = embedded
    return data


def file_name(invoice: Invoice, extension: str) -> str:
    """`F-2026-000001.pdf`; a draft is named after its id."""
    stem = invoice.number or f"draft-{invoice.id}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    return f"{safe}.{extension}"
