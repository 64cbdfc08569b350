"""Factur-X, EN 16931 profile: the CII XML built from the document and embedded in the PDF/A-3.

The XML is checked against the official XSD shipped with the `factur-x` library before it is
embedded. The library stamps the embedding time in three places (the info dictionary, the XMP
packet and the attachment's /ModDate); those stamps are pinned to the issue date so the Factur-X
PDF stays byte-identical from one render to the next.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import facturx
import facturx.facturx as facturx_module
from lxml import etree

from tarif.invoicing.document import DocumentKind, InvoiceDocument, Party, Period, TaxTreatment
from tarif.invoicing.rendering.pdf import Branding, render_pdf, tax_mention
from tarif.money import currency

FLAVOR = "factur-x"
LEVEL = "en16931"
GUIDELINE = "urn:cen.eu:en16931:2017"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
TYPE_CODES = {DocumentKind.INVOICE: "380", DocumentKind.CREDIT_NOTE: "381"}
VAT_CATEGORIES = {
    None: "S",
    TaxTreatment.REVERSE_CHARGE: "AE",
    TaxTreatment.EXPORT: "G",
    TaxTreatment.EXEMPT: "E",
}
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the French SIREN
UNIT_CODE = "C62"  # UN/ECE rec. 20 "one": a unit without dimension
_library_clock = threading.Lock()


def build_cii_xml(document: InvoiceDocument) -> bytes:
    """The CII XML (UTF-8) of the document, in the EN 16931 profile."""
    root = etree.Element(_q(RSM, "CrossIndustryInvoice"), nsmap=NAMESPACES)
    context = _sub(root, RSM, "ExchangedDocumentContext")
    _sub(_sub(context, RAM, "GuidelineSpecifiedDocumentContextParameter"), RAM, "ID", GUIDELINE)
    _exchanged_document(_sub(root, RSM, "ExchangedDocument"), document)
    transaction = _sub(root, RSM, "SupplyChainTradeTransaction")
    for index, line in enumerate(document.lines, start=1):
        item = _sub(transaction, RAM, "IncludedSupplyChainTradeLineItem")
        _sub(_sub(item, RAM, "AssociatedDocumentLineDocument"), RAM, "LineID", str(index))
        _sub(_sub(item, RAM, "SpecifiedTradeProduct"), RAM, "Name", line.description)
        agreement = _sub(item, RAM, "SpecifiedLineTradeAgreement")
        price = _sub(agreement, RAM, "NetPriceProductTradePrice")
        _sub(price, RAM, "ChargeAmount", _decimal(line.unit_price))
        delivery = _sub(item, RAM, "SpecifiedLineTradeDelivery")
        _sub(delivery, RAM, "BilledQuantity", _decimal(line.quantity), unitCode=UNIT_CODE)
        settlement = _sub(item, RAM, "SpecifiedLineTradeSettlement")
        _line_tax(_sub(settlement, RAM, "ApplicableTradeTax"), document, line.vat_rate)
        if line.period is not None:
            _period(settlement, line.period)
        summation = _sub(settlement, RAM, "SpecifiedTradeSettlementLineMonetarySummation")
        _sub(summation, RAM, "LineTotalAmount", _amount(document, line.net_amount))
    _agreement(_sub(transaction, RAM, "ApplicableHeaderTradeAgreement"), document)
    _sub(transaction, RAM, "ApplicableHeaderTradeDelivery")
    _settlement(_sub(transaction, RAM, "ApplicableHeaderTradeSettlement"), document)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def check_cii_xml(xml: bytes) -> None:
    """Raises when the XML does not validate against the Factur-X EN 16931 XSD."""
    facturx.xml_check_xsd(xml, flavor=FLAVOR, level=LEVEL)


def render_facturx_pdf(document: InvoiceDocument, branding: Branding | None = None) -> bytes:
    """The invoice PDF/A-3 with its CII XML attached as factur-x.xml (AFRelationship Data)."""
    xml = build_cii_xml(document)
    check_cii_xml(xml)
    pdf = render_pdf(document, branding)
    metadata = {
        "author": document.seller.name,
        "keywords": "Factur-X",
        "title": f"{document.seller.name}: {document.number}",
        "subject": f"{document.number} {document.issue_date.isoformat()}",
    }
    with _library_time(document.issue_date):
        result: bytes = facturx.generate_from_binary(
            pdf,
            xml,
            flavor=FLAVOR,
            level=LEVEL,
            check_xsd=False,  # checked above, with a clearer error
            pdf_metadata=metadata,
            lang="fr-FR" if document.language == "fr" else "en-GB",
        )
    return result


@contextmanager
def _library_time(day: date) -> Iterator[None]:
    """Pins the library's "now" stamps to `day`, midnight UTC (it offers no parameter for it).

    The lock keeps two renders in different threads from seeing each other's date.
    """
    stamp = day.strftime("%Y%m%d")
    with _library_clock:
        pdf_timestamp = facturx_module._get_pdf_timestamp
        metadata_timestamp = facturx_module._get_metadata_timestamp
        facturx_module._get_pdf_timestamp = lambda date=None: f"D:{stamp}000000+00'00'"
        facturx_module._get_metadata_timestamp = lambda: f"{day.isoformat()}T00:00:00+00:00"
        try:
            yield
        finally:
            facturx_module._get_pdf_timestamp = pdf_timestamp
            facturx_module._get_metadata_timestamp = metadata_timestamp


def _exchanged_document(element: etree._Element, document: InvoiceDocument) -> None:
    _sub(element, RAM, "ID", document.number)
    _sub(element, RAM, "TypeCode", TYPE_CODES[document.kind])
    _date(_sub(element, RAM, "IssueDateTime"), document.issue_date)
    for note in document.notes:
        _sub(_sub(element, RAM, "IncludedNote"), RAM, "Content", note)


def _agreement(element: etree._Element, document: InvoiceDocument) -> None:
    _party(_sub(element, RAM, "SellerTradeParty"), document.seller)
    _party(_sub(element, RAM, "BuyerTradeParty"), document.buyer)
    if document.purchase_order:
        order = _sub(element, RAM, "BuyerOrderReferencedDocument")
        _sub(order, RAM, "IssuerAssignedID", document.purchase_order)


def _party(element: etree._Element, party: Party) -> None:
    _sub(element, RAM, "Name", party.name)
    if party.siren:
        legal = _sub(element, RAM, "SpecifiedLegalOrganization")
        _sub(legal, RAM, "ID", party.siren, schemeID=SIREN_SCHEME)
    address = _sub(element, RAM, "PostalTradeAddress")
    _sub(address, RAM, "PostcodeCode", party.postal_code)
    # CII has three address lines; any further ones are joined onto the third.
    lines = list(party.address_lines[:2])
    if len(party.address_lines) > 2:
        lines.append(", ".join(party.address_lines[2:]))
    for tag, text in zip(("LineOne", "LineTwo", "LineThree"), lines, strict=False):
        _sub(address, RAM, tag, text)
    _sub(address, RAM, "CityName", party.city)
    _sub(address, RAM, "CountryID", party.country)
    if party.vat_number:
        registration = _sub(element, RAM, "SpecifiedTaxRegistration")
        _sub(registration, RAM, "ID", party.vat_number, schemeID="VA")


def _settlement(element: etree._Element, document: InvoiceDocument) -> None:
    _sub(element, RAM, "InvoiceCurrencyCode", document.currency)
    for entry in document.vat_breakdown:
        tax = _sub(element, RAM, "ApplicableTradeTax")
        _sub(tax, RAM, "CalculatedAmount", _amount(document, entry.amount))
        _sub(tax, RAM, "TypeCode", "VAT")
        reason = tax_mention(document)
        if reason is not None:
            _sub(tax, RAM, "ExemptionReason", reason)
        _sub(tax, RAM, "BasisAmount", _amount(document, entry.base))
        _sub(tax, RAM, "CategoryCode", VAT_CATEGORIES[document.tax_treatment])
        _sub(tax, RAM, "RateApplicablePercent", _decimal(entry.rate))
    _period(element, document.service_period)
    terms = _sub(element, RAM, "SpecifiedTradePaymentTerms")
    _sub(terms, RAM, "Description", document.payment_terms)
    _date(_sub(terms, RAM, "DueDateDateTime"), document.due_date)
    totals = document.totals
    summation = _sub(element, RAM, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, RAM, "LineTotalAmount", _amount(document, totals.net))
    _sub(summation, RAM, "TaxBasisTotalAmount", _amount(document, totals.net))
    tax_total = _amount(document, totals.vat)
    _sub(summation, RAM, "TaxTotalAmount", tax_total, currencyID=document.currency)
    _sub(summation, RAM, "GrandTotalAmount", _amount(document, totals.gross))
    _sub(summation, RAM, "DuePayableAmount", _amount(document, totals.gross))
    if document.corrected_invoice_number:
        corrected = _sub(element, RAM, "InvoiceReferencedDocument")
        _sub(corrected, RAM, "IssuerAssignedID", document.corrected_invoice_number)


def _line_tax(element: etree._Element, document: InvoiceDocument, rate: Decimal) -> None:
    _sub(element, RAM, "TypeCode", "VAT")
    _sub(element, RAM, "CategoryCode", VAT_CATEGORIES[document.tax_treatment])
    _sub(element, RAM, "RateApplicablePercent", _decimal(rate))


def _period(parent: etree._Element, period: Period) -> None:
    """EN 16931 periods are inclusive (BT-73/BT-74): the stored exclusive end becomes end - 1."""
    element = _sub(parent, RAM, "BillingSpecifiedPeriod")
    _date(_sub(element, RAM, "StartDateTime"), period.start)
    _date(_sub(element, RAM, "EndDateTime"), date.fromordinal(period.end.toordinal() - 1))


def _date(parent: etree._Element, day: date) -> None:
    _sub(parent, UDT, "DateTimeString", day.strftime("%Y%m%d"), format="102")


def _amount(document: InvoiceDocument, amount: Decimal) -> str:
    digits = currency(document.currency).minor_unit
    return f"{amount:.{digits}f}"


def _decimal(value: Decimal) -> str:
    """A quantity, price or rate without trailing zeros: 20, 5.5, 218.81."""
    return f"{value.normalize():f}"


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _sub(
    parent: etree._Element, namespace: str, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, _q(namespace, tag), attrib=attributes or None)
    if text is not None:
        element.text = text
    return element
