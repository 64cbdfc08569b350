"""Back-office editing of draft invoices: one-off lines, notes and purchase order, regenerate,
delete. The forms live on the invoice page (`templates/invoicing/_draft_edit.html`) and show only
on drafts; errors come back inline on that page. Regenerating and deleting ask for a confirmation
page first (no script needed).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.catalog import service as catalog
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.invoicing import service
from tarif.invoicing.models import Invoice
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import render

router = APIRouter(include_in_schema=False)

PRODUCT_CHOICES = 100
LINE_FIELDS = (
    "description",
    "quantity",
    "unit_price",
    "vat_category",
    "product_id",
    "period_start",
    "period_last_day",
)
VAT_LABELS = {
    "standard": "Standard rate",
    "intermediate": "Intermediate rate",
    "reduced": "Reduced rate",
    "super_reduced": "Super-reduced rate",
    "exempt": "Exempt",
}
REGENERATED = {
    "regenerated": "The contract lines were computed again from the contracts.",
    "manual_lines_only": "Nothing is due from the contracts any more: only the one-off lines stay.",
}
CONFIRMATIONS = {
    "delete": (
        "Delete this draft?",
        "The draft and its lines are deleted. What it billed from contracts is billed again by "
        "the next billing run.",
        "Delete the draft",
    ),
    "regenerate": (
        "Regenerate this draft?",
        "Its contract lines are computed again from the contracts as they are now; one-off lines "
        "stay. If nothing is due any more and it has no one-off line, the draft is deleted.",
        "Regenerate",
    ),
}

FRENCH = {
    "Edit the draft": "Modifier le brouillon",
    "Add a line": "Ajouter une ligne",
    "Product (optional)": "Produit (facultatif)",
    "No product": "Aucun produit",
    "VAT category": "Catégorie de TVA",
    "From the product (standard without one)": "Celle du produit (normal sans produit)",
    "Period start": "Début de période",
    "Period last day": "Dernier jour de la période",
    "Remove": "Retirer",
    "Notes": "Notes",
    "Purchase order": "Bon de commande",
    "Save": "Enregistrer",
    "Regenerate": "Régénérer",
    "Delete the draft": "Supprimer le brouillon",
    "Cancel": "Annuler",
    "Delete this draft?": "Supprimer ce brouillon ?",
    "Regenerate this draft?": "Régénérer ce brouillon ?",
    "The draft and its lines are deleted. What it billed from contracts is billed again by "
    "the next billing run.": (
        "Le brouillon et ses lignes sont supprimés. Ce qu'il facturait au titre des contrats "
        "sera facturé par la prochaine facturation."
    ),
    "Its contract lines are computed again from the contracts as they are now; one-off lines "
    "stay. If nothing is due any more and it has no one-off line, the draft is deleted.": (
        "Ses lignes de contrat sont recalculées à partir des contrats tels qu'ils sont "
        "aujourd'hui ; les lignes ponctuelles restent. Si plus rien n'est dû et qu'il n'a aucune "
        "ligne ponctuelle, le brouillon est supprimé."
    ),
    "The contract lines were computed again from the contracts.": (
        "Les lignes de contrat ont été recalculées à partir des contrats."
    ),
    "Nothing is due from the contracts any more: only the one-off lines stay.": (
        "Plus rien n'est dû au titre des contrats : seules les lignes ponctuelles restent."
    ),
    "One-off line": "Ligne ponctuelle",
    "Finalize due drafts": "Émettre les brouillons échus",
    "Automatic finalization is off: choose a delay in the settings.": (
        "L'émission automatique est désactivée : choisissez un délai dans les paramètres."
    ),
    "Drafts finalized:": "Brouillons émis :",
    "empty drafts left alone:": "brouillons vides laissés de côté :",
    "Standard rate": "Taux normal",
    "Intermediate rate": "Taux intermédiaire",
    "Reduced rate": "Taux réduit",
    "Super-reduced rate": "Taux particulier",
    "Exempt": "Exonéré",
    "Finalize drafts automatically after (hours)": (
        "Émettre les brouillons automatiquement après (heures)"
    ),
    "Empty: drafts wait for a person. 0: the billing run finalizes its invoices.": (
        "Vide : les brouillons attendent une personne. 0 : la facturation émet ses factures."
    ),
}
register("fr", FRENCH)


def draft_context(ctx: Ctx, invoice: Invoice) -> dict[str, Any]:
    """What the invoice page needs for the draft forms (empty values and errors, choices)."""
    context: dict[str, Any] = {
        "line_values": {},
        "line_errors": {},
        "details_values": None,
        "details_errors": {},
        "vat_choices": list(VAT_LABELS.items()),
        "product_choices": [],
        "regenerated_labels": REGENERATED,
    }
    if invoice.status == "draft":
        page = catalog.list_products(ctx, PageRequest(limit=PRODUCT_CHOICES), active=True)
        context["product_choices"] = [
            (p.id, f"{p.code} · {p.name_en or p.name_fr or ''}") for p in page.items
        ]
    return context


def _invoice_page(
    request: Request, ctx: Ctx, invoice_id: str, status: int, **extra: Any
) -> Response:
    from tarif.invoicing.web import _detail  # the invoice page owns the layout

    ctx.session.rollback()
    return _detail(request, ctx, service.get_invoice(ctx, invoice_id), status, **extra)


# Other capabilities' draft forms (invoice discounts) show their errors on the invoice page too.
invoice_page_with = _invoice_page


def _status(exc: Exception) -> int:
    return 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 422


def _back(invoice_id: str, anchor: str = "", **query: str) -> Response:
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return RedirectResponse(f"/invoices/{invoice_id}{suffix}{anchor}", status_code=303)


@router.post("/invoices/finalize-due")
def finalize_due(ctx: WebCtx) -> Response:
    """Finalizes the drafts older than the organization's setting, then lists the invoices."""
    outcome = service.finalize_due(ctx)
    ctx.session.commit()
    if outcome.after_hours is None:
        return RedirectResponse("/invoices?finalized_due=off", status_code=303)
    query = f"finalized_due={len(outcome.finalized)}"
    if outcome.skipped_empty:
        query += f"&skipped={len(outcome.skipped_empty)}"
    return RedirectResponse(f"/invoices?status=finalized&{query}", status_code=303)


@router.post("/invoices/{invoice_id}/lines")
async def add_line(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    values = {name: form.get(name, "").strip() or None for name in LINE_FIELDS}
    if values["vat_category"] is None and values["product_id"] is None:
        values["vat_category"] = "standard"  # the form's default: a plain line at the normal rate
    try:
        service.add_line(ctx, invoice.id, values)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        return _invoice_page(
            request,
            ctx,
            invoice_id,
            _status(exc),
            line_values=form,
            line_errors=field_errors(exc),
            problem=exc.detail if isinstance(exc, Conflict) else None,
        )
    return _back(invoice.id, "#lines")


@router.post("/invoices/{invoice_id}/lines/{position}/delete")
def remove_line(request: Request, invoice_id: str, position: int, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    try:
        service.remove_line(ctx, invoice.id, position)
        ctx.session.commit()
    except (Conflict, NotFound) as exc:
        return _invoice_page(request, ctx, invoice_id, _status(exc), problem=exc.detail)
    return _back(invoice.id, "#lines")


@router.post("/invoices/{invoice_id}/details")
async def update_details(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    changes = {name: form.get(name, "") for name in ("notes", "purchase_order")}
    try:
        service.update_draft(ctx, invoice.id, changes)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        return _invoice_page(
            request,
            ctx,
            invoice_id,
            _status(exc),
            details_values=form,
            details_errors=field_errors(exc),
            problem=exc.detail if isinstance(exc, Conflict) else None,
        )
    return _back(invoice.id, "#draft-details")


def _confirm(request: Request, invoice: Invoice, action: str) -> Response:
    title, text, button = CONFIRMATIONS[action]
    context = {"invoice": invoice, "action": action, "title": title, "text": text, "button": button}
    return render(request, "invoicing/draft_confirm.html", context)


@router.post("/invoices/{invoice_id}/regenerate")
async def regenerate(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        if form.get("confirmed") != "yes":
            service.ensure_draft(invoice)
            return _confirm(request, invoice, "regenerate")
        done = service.regenerate_draft(ctx, invoice.id)
        ctx.session.commit()
    except Conflict as exc:
        return _invoice_page(request, ctx, invoice_id, 409, problem=exc.detail)
    if done.invoice is None:
        return RedirectResponse("/invoices?status=draft", status_code=303)
    return _back(invoice_id, "#lines", regenerated=done.outcome)


@router.post("/invoices/{invoice_id}/delete")
async def delete(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        if form.get("confirmed") != "yes":
            service.ensure_draft(invoice, deleting=True)
            return _confirm(request, invoice, "delete")
        service.delete_draft(ctx, invoice.id)
        ctx.session.commit()
    except Conflict as exc:
        return _invoice_page(request, ctx, invoice_id, 409, problem=exc.detail)
    return RedirectResponse("/invoices?status=draft", status_code=303)
