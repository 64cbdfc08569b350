"""REST routes of issued documents: `GET /v1/invoices/{invoice_id}/pdf` and
`GET /v1/credit-notes/{credit_note_id}/pdf` (and `?format=xml`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response

from tarif.api.deps import CtxDep
from tarif.context import Ctx
from tarif.invoicing import issued
from tarif.invoicing.models import Invoice
from tarif.invoicing.service_credit_notes import get_credit_note
from tarif.invoicing.service_invoices import get_invoice

router = APIRouter(tags=["invoicing"])


class FileFormat(StrEnum):
    PDF = "pdf"
    XML = "xml"


_FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {issued.PDF: {}, issued.XML: {}},
        "description": "The Factur-X PDF (or its CII XML with `format=xml`)",
    }
}


@router.get("/invoices/{invoice_id}/pdf", response_class=Response, responses=_FILE_RESPONSES)
def invoice_pdf(
    invoice_id: str,
    ctx: CtxDep,
    format: Annotated[
        FileFormat, Query(description="pdf (Factur-X PDF/A-3) or xml (the CII XML alone)")
    ] = FileFormat.PDF,
) -> Response:
    """The document of an invoice or credit note. Finalized: the Factur-X PDF rendered at the
    first request and stored, then served byte for byte. Draft: a preview with a placeholder
    number, never stored. A document the organization's data cannot make valid is a 409 naming
    what is missing."""
    return _file(ctx, get_invoice(ctx, invoice_id), format)


@router.get(
    "/credit-notes/{credit_note_id}/pdf",
    response_class=Response,
    responses=_FILE_RESPONSES,
    tags=["credit notes"],
)
def credit_note_pdf(
    credit_note_id: str,
    ctx: CtxDep,
    format: Annotated[
        FileFormat, Query(description="pdf (Factur-X PDF/A-3) or xml (the CII XML alone)")
    ] = FileFormat.PDF,
) -> Response:
    """The credit note's Factur-X PDF (type 381, amounts printed positive, naming the invoice it
    corrects), stored at the first request and served byte for byte since."""
    return _file(ctx, get_credit_note(ctx, credit_note_id), format)


def _file(ctx: Ctx, invoice: Invoice, format: FileFormat) -> Response:
    if format is FileFormat.XML:
        content, media_type = issued.document_xml(ctx, invoice), issued.XML
    else:
        content, media_type = issued.document_pdf(ctx, invoice), issued.PDF
    ctx.session.commit()  # the first download of a finalized document stores it
    name = issued.file_name(invoice, format.value)
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
