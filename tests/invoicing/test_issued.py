"""Issued documents: the snapshot taken at finalization and the PDF stored from it.

The €399/month contract from 15 Jan 2026 (calendar) bills January as 399 × 17/31 = 218.81 net,
VAT 20 % 43.762 → 43.76, gross 262.57 (see docs/invoices.md).
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from tarif.context import Ctx
from tarif.errors import Conflict
from tarif.ids import new_id
from tarif.invoicing import issued, service
from tarif.invoicing.document import DocumentKind
from tarif.invoicing.models import Invoice, InvoiceLine, IssuedFile
from tarif.invoicing.rendering import check_cii_xml
from tarif.tenancy import documents
from tarif.tenancy import service as tenancy
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, JAN_15, hosting_contract
from tests.invoicing.rendering.conftest import missing, pdf_text


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="#c00"/></svg>'
)

SELLER = {
    "legal_name": "Tarif SAS",
    "address_line1": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "legal_form_and_capital": "SAS au capital de 10 000 €",
    "rcs": "RCS Paris 732 829 320",
    "late_penalty_rate": "12.15",
    "accent_colour": "#AA3300",
    "invoice_footer": "Tarif SAS, 12 rue de la Paix, 75002 Paris",
}


def complete_seller(ctx: Ctx, **changes: object) -> None:
    tenancy.update_organization(ctx, SELLER | changes)


def finalized_january(ctx: Ctx, world: World) -> Invoice:
    hosting_contract(world)
    [january] = service.run_billing(ctx, JAN_15).invoices
    return service.finalize_invoice(ctx, january.invoice_id or "")


def stored_count(ctx: Ctx) -> int:
    stmt = select(func.count()).select_from(IssuedFile)
    return int(ctx.session.scalar(stmt.where(IssuedFile.organization_id == ctx.organization_id)))


def test_finalizing_takes_a_snapshot_and_renders_nothing(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    invoice = finalized_january(ctx, world)
    snap = invoice.document
    assert snap is not None
    assert snap["seller"]["siren"] == "732829320"
    assert snap["seller"]["legal_form"] == "SAS au capital de 10 000 €"
    assert snap["buyer"]["name"] == "Acme SAS"
    assert snap["language"] == "fr"  # the customer's language
    assert snap["payment_terms"] == {
        "days": 30,
        "end_of_month": False,
        "text": "Paiement à 30 jours",
    }
    assert snap["late_penalty_rate"] == "12.15"
    assert snap["accent_colour"] == "#aa3300"
    # 15 Jan 2026 + 30 days = 14 Feb 2026
    assert invoice.due_date == date(2026, 2, 14)
    assert stored_count(ctx) == 0


def test_due_date_end_of_month_and_contract_override(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    world.customer.payment_terms_end_of_month = True
    invoice = finalized_january(ctx, world)
    # 15 Jan + 30 days = 14 Feb → end of month: 28 Feb 2026
    assert invoice.due_date == date(2026, 2, 28)
    assert invoice.document is not None
    assert invoice.document["payment_terms"]["text"] == "Paiement à 30 jours fin de mois"


def test_the_contracts_days_override_the_customers(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    hosting_contract(world, payment_terms_days=10, purchase_order="PO-7781")
    [january] = service.run_billing(ctx, JAN_15).invoices
    invoice = service.finalize_invoice(ctx, january.invoice_id or "")
    # 15 Jan + 10 days (the contract's, not the customer's 30) = 25 Jan 2026
    assert invoice.due_date == date(2026, 1, 25)
    assert invoice.document is not None
    assert invoice.document["purchase_order"] == "PO-7781"


def test_the_stored_pdf_is_served_byte_identical_whatever_changes(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    documents.set_logo(ctx, png())
    invoice = finalized_january(ctx, world)
    first = issued.issued_pdf(ctx, invoice)
    assert first.startswith(b"%PDF")
    assert stored_count(ctx) == 1
    assert issued.issued_pdf(ctx, invoice) == first
    # The organization moves, changes its rate and its logo: the issued document does not.
    tenancy.update_organization(
        ctx, {"address_line1": "1 place de la Bourse", "late_penalty_rate": "15"}
    )
    documents.set_logo(ctx, SVG)
    ctx.session.flush()
    again = issued.issued_pdf(ctx, invoice)
    assert again == first
    stored = issued.stored_file(ctx, invoice.id)
    assert stored is not None and stored.sha256 == hashlib.sha256(first).hexdigest()
    # Even rendered afresh, the snapshot gives the same bytes: old address, rate and logo.
    ctx.session.delete(stored)
    ctx.session.flush()
    assert issued.issued_pdf(ctx, invoice) == first


def test_the_pdf_prints_every_mandatory_mention(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    invoice = finalized_january(ctx, world)
    text = pdf_text(issued.issued_pdf(ctx, invoice))
    assert not missing(
        text,
        [
            "Facture",
            "F-2026-000001",
            "Tarif SAS",
            "12 rue de la Paix",
            "75002 Paris FR",
            "SIREN : 732829320",
            "N° TVA : FR44732829320",
            "SAS au capital de 10 000 €",
            "RCS Paris 732 829 320",
            "Acme SAS",
            "Date d'émission : 15/01/2026",
            "Date d'échéance : 14/02/2026",  # 15 Jan + 30 days
            "du 15/01/2026 au 31/01/2026",  # [15 Jan, 1 Feb) printed inclusive
            "218,81 €",  # 399 × 17/31 = 218.806… → 218.81
            "43,76 €",  # 218.81 × 20 % = 43.762 → 43.76
            "262,57 €",  # 218.81 + 43.76
            "Conditions de paiement : Paiement à 30 jours",
            "Pénalités de retard : taux annuel de 12,15 %",
            "Indemnité forfaitaire pour frais de recouvrement : 40,00 €",
            "Tarif SAS, 12 rue de la Paix, 75002 Paris",  # the footer
        ],
    ), text


def test_the_embedded_and_served_xml_validate(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    invoice = finalized_january(ctx, world)
    xml = issued.document_xml(ctx, invoice)
    check_cii_xml(xml)
    assert b"<ram:ID>F-2026-000001</ram:ID>" in xml
    assert b"<ram:GrandTotalAmount>262.57</ram:GrandTotalAmount>" in xml
    assert b"20260214" in xml  # the due date


def test_english_customer_gets_an_english_document(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    world.customer.language = "en"
    world.customer.payment_terms_end_of_month = True
    invoice = finalized_january(ctx, world)
    text = pdf_text(issued.issued_pdf(ctx, invoice))
    assert not missing(
        text,
        [
            "Invoice",
            "Payment terms: Payment within 30 days end of month",
            "Due date: 28 February 2026",  # 14 Feb → end of month
            "Late payment penalties: 12.15% per year",
        ],
    ), text


def test_a_missing_siren_is_named_in_a_conflict(ctx: Ctx, world: World) -> None:
    complete_seller(ctx, siren=None, vat_number=None)
    invoice = finalized_january(ctx, world)
    with pytest.raises(Conflict, match="SIREN, VAT number are missing"):
        issued.issued_pdf(ctx, invoice)
    assert stored_count(ctx) == 0
    # Identifiers set afterwards are used: they name the seller and never change.
    complete_seller(ctx)
    assert "732829320" in pdf_text(issued.issued_pdf(ctx, invoice))


def test_a_draft_is_previewed_and_never_stored(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    hosting_contract(world)
    [january] = service.run_billing(ctx, JAN_15).invoices
    draft = service.get_invoice(ctx, january.invoice_id or "")
    document = issued.document_for(ctx, draft)
    assert document.number == "BROUILLON / DRAFT"
    assert document.due_date == date(2026, 2, 14)  # as if issued today: 15 Jan + 30 days
    text = pdf_text(issued.document_pdf(ctx, draft))
    assert "BROUILLON / DRAFT" in text
    assert stored_count(ctx) == 0
    with pytest.raises(Conflict, match="draft"):
        issued.issued_pdf(ctx, draft)


def test_a_credit_note_prints_positive_amounts(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    invoice = finalized_january(ctx, world)
    # A credit note row as credit notes store it: every amount negative, naming the invoice;
    # its line records the credit as a positive unit price and a negative net.
    lines = service.invoice_lines(ctx, invoice.id)
    note = Invoice(
        id=new_id("inv"),
        organization_id=ctx.organization_id,
        customer_id=invoice.customer_id,
        currency="EUR",
        billing_date=JAN_15,
        status="finalized",
        series="credit_note",
        number="AV-2026-000001",
        issue_date=JAN_15,
        due_date=JAN_15,
        tax_treatment="standard",
        net_total=Decimal("-218.81"),
        vat_total=Decimal("-43.76"),
        gross_total=Decimal("-262.57"),
        vat_breakdown=[{"rate": "20", "base": "-218.81", "vat": "-43.76"}],
        kind="credit_note",
        corrects_invoice_id=invoice.id,
        document=invoice.document,
        created_at=ctx.clock.now(),
        updated_at=ctx.clock.now(),
    )
    ctx.session.add(note)
    ctx.session.add(
        InvoiceLine(
            id=new_id("ilin"),
            organization_id=ctx.organization_id,
            invoice_id=note.id,
            position=1,
            source="manual",
            kind="credit",
            quantity=Decimal(1),
            unit_price=Decimal("218.81"),
            exact_net="-218.81",
            discount_amount=Decimal(0),
            net_amount=Decimal("-218.81"),
            vat_rate=Decimal(20),
            vat_category="standard",
            price_source="manual",
            discounts=[],
            description=lines[0].description,
        )
    )
    ctx.session.flush()
    document = issued.document_for(ctx, note)
    assert document.kind is DocumentKind.CREDIT_NOTE
    assert document.corrected_invoice_number == "F-2026-000001"
    assert (document.totals.net, document.totals.vat, document.totals.gross) == (
        Decimal("218.81"),
        Decimal("43.76"),
        Decimal("262.57"),
    )
    assert document.lines[0].unit_price == Decimal("218.81")
    text = pdf_text(issued.issued_pdf(ctx, note))
    assert not missing(text, ["Avoir", "AV-2026-000001", "F-2026-000001", "262,57 €"]), text
    assert "-262,57" not in text and "−262,57" not in text


def test_february_gets_its_own_number_and_document(ctx: Ctx, world: World) -> None:
    complete_seller(ctx)
    hosting_contract(world)
    january, february = service.run_billing(ctx, FEB_1).invoices
    first = service.finalize_invoice(ctx, january.invoice_id or "")
    second = service.finalize_invoice(ctx, february.invoice_id or "")
    one, two = issued.issued_pdf(ctx, first), issued.issued_pdf(ctx, second)
    assert one != two
    assert "478,80 €" in pdf_text(two)  # 399.00 + 20 % (79.80)


def test_a_zero_penalty_rate_is_kept_as_zero(ctx: Ctx, world: World) -> None:
    complete_seller(ctx, late_penalty_rate="0")
    invoice = finalized_january(ctx, world)
    assert invoice.document is not None and invoice.document["late_penalty_rate"] == "0"


def test_a_customer_language_other_than_fr_or_en_takes_the_orgs_locale(
    ctx: Ctx, world: World
) -> None:
    complete_seller(ctx, locale="en")
    world.customer.language = "de"
    invoice = finalized_january(ctx, world)
    assert invoice.document is not None
    assert invoice.document["language"] == "en"
    assert invoice.document["payment_terms"]["text"] == "Payment within 30 days"
