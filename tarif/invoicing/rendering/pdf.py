"""The invoice PDF: a Jinja2 template rendered to HTML, then to PDF/A-3b by WeasyPrint.

Rendering is deterministic (same document and branding -> same bytes): the PDF dates come from
the issue date and the file identifier from the document number, so a stored PDF can always be
compared with, or replaced by, a fresh render.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tarif.invoicing.document import DocumentKind, InvoiceDocument, Period, TaxTreatment
from tarif.money import Money, format_money

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_ACCENT = "#1f4e79"
RECOVERY_INDEMNITY = Money.of("40", "EUR")  # fixed by article L441-10 of the Code de commerce
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DATE_FORMATS = {"fr": ("fr_FR", "dd/MM/yyyy"), "en": ("en_GB", "d MMMM yyyy")}

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "colon": "\u00a0:",
        "invoice": "Facture",
        "credit_note": "Avoir",
        "number": "N°",
        "issue_date": "Date d'émission",
        "due_date": "Date d'échéance",
        "corrects": "Avoir sur la facture n°",
        "period": "Période de service : du {start} au {end}",
        "seller": "Émetteur",
        "buyer": "Client",
        "siren": "SIREN",
        "vat_number": "N° TVA",
        "purchase_order": "Bon de commande",
        "description": "Description",
        "quantity": "Quantité",
        "unit_price": "Prix unitaire HT",
        "vat_rate": "TVA",
        "net_amount": "Montant HT",
        "line_period": "du {start} au {end}",
        "vat_on": "TVA {rate} sur {base}",
        "total_net": "Total HT",
        "total_vat": "Total TVA",
        "total_gross": "Total TTC",
        "payment_terms": "Conditions de paiement",
        "penalty": "Pénalités de retard : taux annuel de {rate}",
        "indemnity": "Indemnité forfaitaire pour frais de recouvrement : {amount}",
        "reverse_charge": "Autoliquidation : article 196 de la directive 2006/112/CE",
        "export": "Exportation : TVA non applicable, article 259-1 du CGI",
        "exempt": "Exonération de TVA : {text}",
        "usage_annex": "Relevé de consommation",
        "metric": "Métrique",
        "events": "Événements",
        "late_usage": "Régularisation tardive,",
        "usage_annex_note": (
            "Événements comptés sur la période de chaque ligne. Le relevé détaillé (par jour, "
            "par mois ou par critère) est disponible en JSON, CSV ou PDF."
        ),
    },
    "en": {
        "colon": ":",
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "number": "No.",
        "issue_date": "Issue date",
        "due_date": "Due date",
        "corrects": "Credit note for invoice no.",
        "period": "Service period: {start} to {end}",
        "seller": "From",
        "buyer": "Bill to",
        "siren": "SIREN",
        "vat_number": "VAT no.",
        "purchase_order": "Purchase order",
        "description": "Description",
        "quantity": "Quantity",
        "unit_price": "Unit price (net)",
        "vat_rate": "VAT",
        "net_amount": "Net amount",
        "line_period": "{start} to {end}",
        "vat_on": "VAT {rate} on {base}",
        "total_net": "Total net",
        "total_vat": "Total VAT",
        "total_gross": "Total gross",
        "payment_terms": "Payment terms",
        "penalty": "Late payment penalties: {rate} per year",
        "indemnity": "Fixed indemnity for recovery costs: {amount}",
        "reverse_charge": (
            "Reverse charge (Autoliquidation): article 196 of Council Directive 2006/112/EC"
        ),
        "export": "Export: VAT not applicable, article 259-1 of the French tax code (CGI)",
        "exempt": "VAT exemption: {text}",
        "usage_annex": "Consumption statement",
        "metric": "Metric",
        "events": "Events",
        "late_usage": "Late usage adjustment,",
        "usage_annex_note": (
            "Events counted over each line's period. The detailed statement (by day, month or "
            "any criterion) is available as JSON, CSV or PDF."
        ),
    },
}


@dataclass(frozen=True)
class Branding:
    """The organization's look: a PNG, JPEG or SVG logo and an accent colour (#RRGGBB)."""

    logo: bytes | None = None
    accent_colour: str = DEFAULT_ACCENT

    def __post_init__(self) -> None:
        if not _COLOUR.fullmatch(self.accent_colour):
            raise ValueError(f"the accent colour must be #RRGGBB, not {self.accent_colour!r}")
        if self.logo is not None:
            logo_media_type(self.logo)


def render_html(document: InvoiceDocument, branding: Branding | None = None) -> str:
    branding = branding or Branding()
    labels = LABELS[document.language]
    return (
        _environment()
        .get_template("invoice.html")
        .render(
            doc=document,
            text=_Texts(document),
            labels=labels,
            title=f"{labels[document.kind.value]} {document.number}",
            is_credit_note=document.kind is DocumentKind.CREDIT_NOTE,
            tax_mention=tax_mention(document),
            logo=_logo_data_uri(branding.logo),
            accent=branding.accent_colour,
            created=document.issue_date.isoformat(),
        )
    )


def render_pdf(document: InvoiceDocument, branding: Branding | None = None) -> bytes:
    """The visual PDF/A-3b, without the Factur-X XML (see `facturx.render_facturx_pdf`)."""
    from weasyprint import HTML  # imported late: loading Pango costs time at startup

    html = HTML(string=render_html(document, branding), base_url=str(TEMPLATES))
    with _fonts_stamped(document.issue_date):
        pdf: bytes = html.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_identifier=document_identifier(document),
            uncompressed_pdf=False,
        )
    return pdf


_font_clock = threading.Lock()


@contextmanager
def _fonts_stamped(day: date) -> Iterator[None]:
    """Pins the embedded fonts' "modified" stamp to `day`, midnight UTC.

    Without HarfBuzz's subsetter, WeasyPrint subsets fonts with fontTools, which stamps each
    subset with the second it was made: two renders a second apart would differ by those bytes.
    The lock keeps two renders in different threads from seeing each other's date.
    """
    from fontTools.misc.timeTools import timestampSinceEpoch
    from fontTools.ttLib.tables import _h_e_a_d as font_header

    stamp = timestampSinceEpoch(calendar.timegm(day.timetuple()))
    with _font_clock:
        now = font_header.timestampNow
        font_header.timestampNow = lambda: stamp
        try:
            yield
        finally:
            font_header.timestampNow = now


def document_identifier(document: InvoiceDocument) -> bytes:
    """The PDF file identifier: fixed per document so two renders are byte-identical."""
    key = f"{document.seller.siren}/{document.kind.value}/{document.number}"
    return hashlib.sha256(key.encode()).hexdigest()[:32].encode()


def tax_mention(document: InvoiceDocument) -> str | None:
    labels = LABELS[document.language]
    match document.tax_treatment:
        case None:
            return None
        case TaxTreatment.EXEMPT:
            return labels["exempt"].format(text=document.exemption_text)
        case treatment:
            return labels[treatment.value]


class _Texts:
    """Formatting helpers for the template, in the document's language."""

    def __init__(self, document: InvoiceDocument) -> None:
        self.language = document.language
        self.currency = document.currency

    def money(self, amount: Decimal) -> str:
        return format_money(Money.of(amount, self.currency), self.language)

    def date(self, day: date) -> str:
        locale, pattern = _DATE_FORMATS[self.language]
        return format_date(day, pattern, locale=locale)

    def period(self, period: Period, label: str) -> str:
        # Stored end is exclusive; the document shows the last day covered.
        last_day = period.end - timedelta(days=1)
        return LABELS[self.language][label].format(
            start=self.date(period.start), end=self.date(last_day)
        )

    def number(self, value: Decimal) -> str:
        locale = _DATE_FORMATS[self.language][0]
        return format_decimal(value, format="#,##0.######", locale=locale)

    def rate(self, value: Decimal) -> str:
        separator = "\u00a0" if self.language == "fr" else ""
        return f"{self.number(value)}{separator}%"

    def indemnity(self) -> str:
        return format_money(RECOVERY_INDEMNITY, self.language)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def logo_media_type(logo: bytes) -> str:
    """The media type of a logo, read from its first bytes; ValueError for anything else."""
    if logo.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if logo.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = logo[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    raise ValueError("the logo must be a PNG, JPEG or SVG image")


def _logo_data_uri(logo: bytes | None) -> str | None:
    if logo is None:
        return None
    return f"data:{logo_media_type(logo)};base64,{base64.b64encode(logo).decode()}"
