"""`tarif invoices pdf ID [-o FILE] [--xml]`: an invoice's or credit note's issued document;
`tarif credit-notes pdf ID …`: a credit note's (anything else is not found)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer

from tarif.cli.common import OrgOption, cli_ctx, one_line_errors, say
from tarif.context import Ctx
from tarif.invoicing import issued
from tarif.invoicing.models import Invoice
from tarif.invoicing.service_credit_notes import get_credit_note
from tarif.invoicing.service_invoices import get_invoice


@one_line_errors
def invoice_pdf(
    invoice_id: str,
    output: str = typer.Option(
        None, "-o", "--output", help="File to write ('-': standard output); default: NUMBER.pdf"
    ),
    xml: bool = typer.Option(False, "--xml", help="The CII XML (EN 16931) instead of the PDF"),
    org: str = OrgOption,
) -> None:
    """Write the Factur-X PDF (stored at the first request, then served as stored); a draft
    gives a preview that is not kept."""
    _write(invoice_id, output, xml, org, get_invoice)


@one_line_errors
def credit_note_pdf(
    credit_note_id: str,
    output: str = typer.Option(
        None, "-o", "--output", help="File to write ('-': standard output); default: NUMBER.pdf"
    ),
    xml: bool = typer.Option(False, "--xml", help="The CII XML (EN 16931) instead of the PDF"),
    org: str = OrgOption,
) -> None:
    """Write the credit note's Factur-X PDF (stored at the first request, then served as
    stored)."""
    _write(credit_note_id, output, xml, org, get_credit_note)


def _write(
    document_id: str, output: str | None, xml: bool, org: str, fetch: Callable[[Ctx, str], Invoice]
) -> None:
    with cli_ctx(org) as ctx:
        invoice = fetch(ctx, document_id)
        content = issued.document_xml(ctx, invoice) if xml else issued.document_pdf(ctx, invoice)
        name = issued.file_name(invoice, "xml" if xml else "pdf")
        ctx.session.commit()
    if output == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    path = Path(output or name)
    path.write_bytes(content)
    say(f"wrote {path} ({len(content)} bytes)")
