"""Turns an `InvoiceDocument` into a PDF (WeasyPrint) and a Factur-X PDF/A-3 (CII XML inside)."""

from tarif.invoicing.rendering.facturx import build_cii_xml, check_cii_xml, render_facturx_pdf
from tarif.invoicing.rendering.pdf import Branding, render_pdf

__all__ = ["Branding", "build_cii_xml", "check_cii_xml", "render_facturx_pdf", "render_pdf"]
