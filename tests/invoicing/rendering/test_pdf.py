import re
import subprocess
import time
from dataclasses import replace

import facturx.facturx as facturx_module
import pytest

from tarif.invoicing.rendering import Branding, render_facturx_pdf, render_pdf
from tarif.invoicing.rendering.pdf import render_html
from tests.invoicing import documents
from tests.invoicing.rendering.conftest import missing, pdf_text

LIBRARY_METADATA_CLOCK = facturx_module._get_metadata_timestamp
LIBRARY_PDF_CLOCK = facturx_module._get_pdf_timestamp
SELLER_MENTIONS = ["Tarif SAS", "12 rue de la Paix", "75002 Paris FR"]
FRENCH_SELLER_IDS = ["SIREN : 732829320", "N° TVA : FR44732829320"]
FRENCH_LEGAL = [
    "Pénalités de retard : taux annuel de 10,15 %",
    "Indemnité forfaitaire pour frais de recouvrement : 40,00 €",
]
ACME = ["Acme SARL", "3 avenue Foch", "Bâtiment B", "69006 Lyon FR"]

MENTIONS = {
    "french": [
        *SELLER_MENTIONS,
        *FRENCH_SELLER_IDS,
        *ACME,
        "SIREN : 552100554",
        "N° TVA : FR40552100554",
        "Facture",
        "N° F-2026-0001",
        "Date d'émission : 15/01/2026",
        "Date d'échéance : 14/02/2026",
        # the stored end 15/02 is exclusive: the document shows the last day covered
        "Période de service : du 15/01/2026 au 14/02/2026",
        "Bon de commande : PO-4471",
        "Total HT 667,81 €",
        "TVA 20 % sur 617,81 € 123,56 €",
        "TVA 10 % sur 50,00 € 5,00 €",
        "Total TVA 128,56 €",
        "Total TTC 796,37 €",
        "Conditions de paiement : 30 jours fin de période",
        *FRENCH_LEGAL,
    ],
    "reverse_charge": [
        *SELLER_MENTIONS,
        *FRENCH_SELLER_IDS,
        "Beispiel GmbH",
        "Friedrichstraße 10",
        "10117 Berlin DE",
        "N° TVA : DE136695976",
        "N° F-2026-0002",
        "Date d'émission : 15/01/2026",
        "Date d'échéance : 14/02/2026",
        "Période de service : du 15/01/2026 au 14/02/2026",
        "TVA 0 % sur 1 200,00 € 0,00 €",
        "Total TTC 1 200,00 €",
        "Autoliquidation : article 196 de la directive 2006/112/CE",
        *FRENCH_LEGAL,
    ],
    "export": [
        *SELLER_MENTIONS,
        *FRENCH_SELLER_IDS,
        "Example Inc.",
        "500 Market Street",
        "94105 San Francisco US",
        "N° F-2026-0003",
        "Date d'émission : 01/03/2026",
        "Date d'échéance : 31/03/2026",
        "Période de service : du 01/03/2026 au 31/03/2026",
        "TVA 0 % sur 502,00 $US 0,00 $US",
        "Total TTC 502,00 $US",
        "Exportation : TVA non applicable, article 259-1 du CGI",
        *FRENCH_LEGAL,
    ],
    "english": [
        *SELLER_MENTIONS,
        "SIREN: 732829320",
        "VAT no.: FR44732829320",
        *ACME,
        "VAT no.: FR40552100554",
        "Invoice",
        "No. F-2026-0004",
        "Issue date: 15 January 2026",
        "Due date: 14 February 2026",
        "Service period: 15 January 2026 to 14 February 2026",
        "Total net €99.99",
        "VAT 5.5% on €99.99 €5.50",
        "Total VAT €5.50",
        "Total gross €105.49",
        "Late payment penalties: 12% per year",
        "Fixed indemnity for recovery costs: €40.00",
        "Thank you for your business.",
    ],
    "credit_note": [
        *SELLER_MENTIONS,
        *FRENCH_SELLER_IDS,
        *ACME,
        "Avoir",
        "N° AV-2026-0001",
        "Avoir sur la facture n° F-2026-0001",
        "Date d'émission : 20/01/2026",
        "Période de service : du 15/01/2026 au 14/02/2026",
        "TVA 20 % sur 133,00 € 26,60 €",
        "Total TTC 159,60 €",
        *FRENCH_LEGAL,
    ],
}

# Each line: description, quantity, unit price net, VAT rate and net amount on one row.
ROWS = {
    "french": [
        r"Abonnement Pro 1 218,81 € 20 ?% 218,81 €",
        r"Sièges supplémentaires 3 133,00 € 20 ?% 399,00 €",
        r"Formation 1 50,00 € 10 ?% 50,00 €",
    ],
    "reverse_charge": [r"Licences Entreprise 2 600,00 € 0 ?% 1 200,00 €"],
    "export": [r"Abonnement Équipe 4 125,50 \$US 0 ?% 502,00 \$US"],
    "english": [r"E-books 3 €33\.33 5\.5% €99\.99"],
    "credit_note": [r"Siège annulé 1 133,00 € 20 ?% 133,00 €"],
}


@pytest.mark.parametrize("name", sorted(MENTIONS))
def test_pdf_shows_every_mandatory_mention(name, facturx_pdf):
    text = pdf_text(facturx_pdf(name))
    assert missing(text, MENTIONS[name]) == []
    for row in ROWS[name]:
        assert re.search(row, text), row


def test_line_period_is_shown_inclusive():
    text = pdf_text(render_pdf(documents.english_invoice()))
    # stored 2026-01-15 .. 2026-02-15 (exclusive) -> printed up to 14 February
    assert "15 January 2026 to 14 February 2026" in text.split("E-books", 1)[1]


def test_two_renders_are_byte_identical(monkeypatch):
    document = documents.english_invoice()
    branding = Branding(logo=SVG_LOGO, accent_colour="#aa3300")
    first = render_facturx_pdf(document, branding)
    # The second render an hour later: nothing in the file may come from the time of rendering
    # (fontTools stamps the fonts it subsets with it, when HarfBuzz's subsetter is missing).
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert render_facturx_pdf(document, branding) == first


def test_pdf_dates_are_the_issue_date_and_library_clock_is_restored(facturx_pdf):
    pdf = facturx_pdf("export")
    info = subprocess.run(
        ["pdfinfo", "-isodates", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    # issued 2026-03-01: creation and modification stamps are that day, midnight UTC
    assert re.search(r"CreationDate:\s+2026-03-01T00:00:00Z", info)
    assert re.search(r"ModDate:\s+2026-03-01T00:00:00Z", info)
    assert facturx_module._get_metadata_timestamp is LIBRARY_METADATA_CLOCK
    assert facturx_module._get_pdf_timestamp is LIBRARY_PDF_CLOCK


SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    b'<rect width="40" height="20" fill="#aa3300"/></svg>'
)


def test_logo_and_accent_colour_are_used():
    html = render_html(documents.french_invoice(), Branding(SVG_LOGO, "#aa3300"))
    assert 'src="data:image/svg+xml;base64,' in html
    assert "color: #aa3300" in html


def test_other_documents_use_the_default_look():
    html = render_html(documents.french_invoice())
    assert "<img" not in html
    assert "color: #1f4e79" in html


@pytest.mark.parametrize("colour", ["red", "#12345", "#123456; background: url(x)"])
def test_accent_colour_must_be_a_hex_colour(colour):
    with pytest.raises(ValueError, match="#RRGGBB"):
        Branding(accent_colour=colour)


def test_logo_must_be_png_jpeg_or_svg():
    with pytest.raises(ValueError, match="PNG, JPEG or SVG"):
        Branding(logo=b"GIF89a")


def test_text_is_escaped():
    document = documents.french_invoice()
    document = replace(document, notes=("<script>alert(1)</script>",))
    assert "&lt;script&gt;" in render_html(document)
