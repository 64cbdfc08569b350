"""Back-office page route of issued documents: `/invoices/{invoice_id}/pdf` (and `?format=xml`),
shown inline on the invoice page and downloadable from there."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tarif.invoicing import issued
from tarif.invoicing.service_invoices import get_invoice
from tarif.web.auth import WebCtx
from tarif.web.i18n import register

register(
    "fr",
    {
        "Document": "Document",
        "Download the PDF": "Télécharger le PDF",
        "Download the XML (Factur-X)": "Télécharger le XML (Factur-X)",
        "Preview of the draft: the number is given at finalization.": (
            "Aperçu du brouillon : le numéro est attribué à l'émission."
        ),
        "The PDF as issued, stored at its first display and served unchanged since.": (
            "Le PDF tel qu'émis, enregistré à son premier affichage et servi tel quel depuis."
        ),
        "Your browser cannot show the PDF here.": (
            "Votre navigateur ne peut pas afficher le PDF ici."
        ),
    },
)

router = APIRouter(include_in_schema=False)


@router.get("/invoices/{invoice_id}/pdf")
def invoice_document(
    invoice_id: str, ctx: WebCtx, format: str = "pdf", download: bool = False
) -> Response:
    """The document shown in the invoice page (inline), or downloaded (`download=1`)."""
    invoice = get_invoice(ctx, invoice_id)
    if format == "xml":
        content, media_type, extension = issued.document_xml(ctx, invoice), issued.XML, "xml"
    else:
        content, media_type, extension = issued.document_pdf(ctx, invoice), issued.PDF, "pdf"
    ctx.session.commit()  # the first display of a finalized document stores it
    disposition = "attachment" if download else "inline"
    name = issued.file_name(invoice, extension)
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )
