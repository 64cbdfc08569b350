from dataclasses import replace
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from tarif.invoicing import TaxTreatment
from tarif.invoicing.rendering import build_cii_xml, check_cii_xml
from tarif.invoicing.rendering.facturx import NAMESPACES
from tests.invoicing import documents
from tests.invoicing.rendering.conftest import SAMPLES

D = Decimal


def embedded_xml(facturx_pdf, name: str) -> etree._Element:
    filename, xml = facturx.get_facturx_xml_from_pdf(facturx_pdf(name), check_xsd=True)
    assert filename == "factur-x.xml"
    check_cii_xml(xml)
    return etree.fromstring(xml)


def values(root: etree._Element, path: str) -> list[str]:
    return [element.text for element in root.xpath(path, namespaces=NAMESPACES)]


def one(root: etree._Element, path: str) -> str:
    (found,) = values(root, path)
    return found


SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
HEADER_TAX = f"{SETTLEMENT}/ram:ApplicableTradeTax"
SELLER = "//ram:SellerTradeParty"
BUYER = "//ram:BuyerTradeParty"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_embedded_xml_is_valid_en16931_and_matches_the_document(name, facturx_pdf):
    document = SAMPLES[name]()
    root = embedded_xml(facturx_pdf, name)
    assert one(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    assert one(root, "/*/rsm:ExchangedDocument/ram:ID") == document.number
    assert one(root, "//ram:IssueDateTime/udt:DateTimeString") == (
        document.issue_date.strftime("%Y%m%d")
    )
    assert one(root, "//ram:DueDateDateTime/udt:DateTimeString") == (
        document.due_date.strftime("%Y%m%d")
    )
    assert one(root, f"{SELLER}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == (
        "732829320"
    )
    assert one(root, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "FR44732829320"
    )
    assert one(root, f"{BUYER}/ram:Name") == document.buyer.name
    assert one(root, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == document.currency
    totals = document.totals
    assert D(one(root, f"{SUMMATION}/ram:LineTotalAmount")) == totals.net
    assert D(one(root, f"{SUMMATION}/ram:TaxBasisTotalAmount")) == totals.net
    assert D(one(root, f"{SUMMATION}/ram:TaxTotalAmount[@currencyID]")) == totals.vat
    assert D(one(root, f"{SUMMATION}/ram:GrandTotalAmount")) == totals.gross
    assert D(one(root, f"{SUMMATION}/ram:DuePayableAmount")) == totals.gross
    line_nets = values(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/*")
    assert [D(net) for net in line_nets] == [line.net_amount for line in document.lines]
    prices = values(root, "//ram:NetPriceProductTradePrice/ram:ChargeAmount")
    assert [D(price) for price in prices] == [line.unit_price for line in document.lines]
    quantities = values(root, "//ram:BilledQuantity[@unitCode='C62']")
    assert [D(quantity) for quantity in quantities] == [line.quantity for line in document.lines]
    breakdown = [
        (
            D(one(tax, "ram:RateApplicablePercent")),
            D(one(tax, "ram:BasisAmount")),
            D(one(tax, "ram:CalculatedAmount")),
        )
        for tax in root.xpath(HEADER_TAX, namespaces=NAMESPACES)
    ]
    assert breakdown == [(entry.rate, entry.base, entry.amount) for entry in document.vat_breakdown]


def test_french_invoice_xml(facturx_pdf):
    root = embedded_xml(facturx_pdf, "french")
    assert one(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    # 617.81 at 20 % -> 123.56 and 50.00 at 10 % -> 5.00, both standard rate
    assert values(root, f"{HEADER_TAX}/ram:CategoryCode") == ["S", "S"]
    assert values(root, f"{HEADER_TAX}/ram:CalculatedAmount") == ["123.56", "5.00"]
    assert values(root, f"{SUMMATION}/ram:GrandTotalAmount") == ["796.37"]
    assert values(root, f"{HEADER_TAX}/ram:ExemptionReason") == []
    assert one(root, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID") == "FR40552100554"
    assert one(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "PO-4471"
    # the service period is inclusive in EN 16931 (BT-73/74): 15/01 -> 14/02
    period = f"{SETTLEMENT}/ram:BillingSpecifiedPeriod"
    assert one(root, f"{period}/ram:StartDateTime/udt:DateTimeString") == "20260115"
    assert one(root, f"{period}/ram:EndDateTime/udt:DateTimeString") == "20260214"
    assert values(root, "//ram:PostalTradeAddress/ram:LineTwo") == ["Bâtiment B"]


def test_reverse_charge_xml(facturx_pdf):
    root = embedded_xml(facturx_pdf, "reverse_charge")
    assert values(root, "//ram:ApplicableTradeTax/ram:CategoryCode") == ["AE", "AE"]
    assert one(root, f"{HEADER_TAX}/ram:ExemptionReason") == (
        "Autoliquidation : article 196 de la directive 2006/112/CE"
    )
    assert one(root, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID") == "DE136695976"
    assert one(root, f"{BUYER}/ram:PostalTradeAddress/ram:CountryID") == "DE"


def test_export_xml(facturx_pdf):
    root = embedded_xml(facturx_pdf, "export")
    assert values(root, "//ram:ApplicableTradeTax/ram:CategoryCode") == ["G", "G"]
    assert root.xpath(f"{SUMMATION}/ram:TaxTotalAmount/@currencyID", namespaces=NAMESPACES) == [
        "USD"
    ]
    assert values(root, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID") == []


def test_credit_note_xml(facturx_pdf):
    root = embedded_xml(facturx_pdf, "credit_note")
    assert one(root, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert one(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "F-2026-0001"
    # 133.00 at 20 % -> 26.60; gross 159.60
    assert values(root, f"{SUMMATION}/ram:GrandTotalAmount") == ["159.60"]


def test_exempt_xml_uses_category_e_with_its_reason():
    document = replace(
        documents.export_invoice(),
        tax_treatment=TaxTreatment.EXEMPT,
        exemption_text="article 261-4-4° du CGI",
    )
    xml = build_cii_xml(document)
    check_cii_xml(xml)
    root = etree.fromstring(xml)
    assert values(root, "//ram:ApplicableTradeTax/ram:CategoryCode") == ["E", "E"]
    assert one(root, f"{HEADER_TAX}/ram:ExemptionReason") == (
        "Exonération de TVA : article 261-4-4° du CGI"
    )


def test_xsd_check_refuses_an_invalid_xml():
    root = etree.fromstring(build_cii_xml(documents.french_invoice()))
    (type_code,) = root.xpath("//rsm:ExchangedDocument/ram:TypeCode", namespaces=NAMESPACES)
    type_code.getparent().remove(type_code)
    with pytest.raises(Exception, match=r"TypeCode|IssueDateTime"):
        check_cii_xml(etree.tostring(root))
