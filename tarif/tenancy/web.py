"""Back-office routes of the organization's logo, shown and changed on the settings page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile
from starlette.responses import Response

from tarif.errors import InvalidInput
from tarif.tenancy import documents
from tarif.tenancy import service as tenancy
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors
from tarif.web.i18n import register
from tarif.web.templating import render

register(
    "fr",
    {
        "Documents": "Documents",
        "Legal form and share capital": "Forme juridique et capital social",
        "e.g. SAS au capital de 10 000 €": "par ex. SAS au capital de 10 000 €",
        "Trade register (RCS)": "Registre du commerce (RCS)",
        "e.g. RCS Paris 123 456 789": "par ex. RCS Paris 123 456 789",
        "Late-payment penalty rate (% a year)": "Taux des pénalités de retard (% par an)",
        "e.g. 12.15: the ECB rate plus 10 points": (
            "par ex. 12,15 : le taux BCE majoré de 10 points"
        ),
        "Accent colour": "Couleur d'accent",
        "#rrggbb, e.g. #1f4e79": "#rrggbb, par ex. #1f4e79",
        "Document footer": "Pied de page des documents",
        "Issued invoices keep the values they were finalized with.": (
            "Les factures émises gardent les valeurs de leur émission."
        ),
        "Logo": "Logo",
        "No logo yet.": "Pas encore de logo.",
        "PNG, JPEG or SVG image, at most 512 KB": "Image PNG, JPEG ou SVG, 512 Ko au plus",
        "Upload the logo": "Envoyer le logo",
        "Remove the logo": "Retirer le logo",
    },
)

router = APIRouter(include_in_schema=False)


# Shown where an organization has no logo: an empty picture rather than a broken one.
NO_LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


@router.get("/settings/logo")
def logo(ctx: WebCtx) -> Response:
    """The current logo (an empty picture when there is none)."""
    row = documents.logo_row(ctx, tenancy.get_organization(ctx).logo_sha256)
    headers = {"Cache-Control": "no-store"}
    if row is None:
        return Response(NO_LOGO, media_type="image/svg+xml", headers=headers)
    return Response(row.content, media_type=row.media_type, headers=headers)


@router.post("/settings/logo")
async def upload_logo(request: Request, ctx: WebCtx) -> Response:
    form = await request.form()
    upload = form.get("logo")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        documents.set_logo(ctx, content)
        ctx.session.commit()
    except InvalidInput as exc:
        org = tenancy.get_organization(ctx)
        message = next(iter(field_errors(exc).values()))
        context = {"org": org, "values": None, "errors": {}, "logo_error": message}
        return render(request, "settings.html", context, 422)
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/logo/remove")
def remove_logo(ctx: WebCtx) -> Response:
    documents.remove_logo(ctx)
    ctx.session.commit()
    return RedirectResponse("/settings", status_code=303)
