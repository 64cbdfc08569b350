"""Back-office pages of credit notes: the list, a credit note's page, the form that issues one
from an invoice's page, and voiding an invoice."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput
from tarif.invoicing import service
from tarif.invoicing.models import Invoice
from tarif.invoicing.schemas import last_day
from tarif.invoicing.service_credit_notes import Credited, credited
from tarif.invoicing.service_invoices import amount_due
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")

FRENCH = {
    "Credit notes": "Avoirs",
    "Credit note": "Avoir",
    "No credit note yet.": "Aucun avoir pour l'instant.",
    "Corrects invoice": "Corrige la facture",
    "Reason": "Motif",
    "Issue a credit note": "Émettre un avoir",
    "Issue the credit note": "Émettre l'avoir",
    "Void": "Annuler",
    "Void this invoice": "Annuler cette facture",
    "Voiding issues a credit note of everything still creditable.": (
        "L'annulation émet un avoir de tout ce qui reste à créditer."
    ),
    "Credit whole lines or part of their quantity, or give a gross amount:": (
        "Créditez des lignes entières ou une partie de leur quantité, ou un montant TTC :"
    ),
    "Credit": "Créditer",
    "Quantity to credit": "Quantité à créditer",
    "Gross amount to credit": "Montant TTC à créditer",
    "Still creditable": "Reste à créditer",
    "Reserved by drafted credit notes": "Réservé par des avoirs en brouillon",
    "What the invoice no longer owes": "Ce que la facture ne doit plus",
    "Keep on the customer's balance": "Garder au solde du client",
    "Refund the customer": "Rembourser le client",
    "Settlement": "Règlement",
    "Applied to the invoice": "Imputé sur la facture",
    "Refunded": "Remboursé",
    "To the customer's balance": "Au solde du client",
    "Credits line": "Crédite la ligne",
    "credit by amount": "crédit d'un montant",
    "Amount credited": "Montant crédité",
    "Refunds": "Remboursements",
    "issued": "émis",
    # The contract setting `corrections` (contract form and page).
    "Credits for finalized invoices": "Crédits sur factures émises",
    "On the next invoice": "Sur la prochaine facture",
    "On a credit note": "Sur un avoir",
}
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
CORRECTABLE = ("finalized", "partially_paid", "paid")  # "credited" has nothing left


def _names(ctx: Ctx, ids: set[str]) -> dict[str, str]:
    return {cid: customers.get_customer(ctx, cid).legal_name for cid in ids}


def _percent(rate: Decimal | str) -> str:
    return f"{Decimal(rate).normalize():f} %"


@router.get("/credit-notes")
def credit_notes_page(
    request: Request,
    ctx: WebCtx,
    customer_id: str | None = None,
    invoice_id: str | None = None,
    starting_after: str | None = None,
) -> Response:
    customer_id = customer_id or None
    invoice_id = invoice_id or None
    page = service.list_credit_notes(
        ctx,
        PageRequest(limit=PAGE_SIZE, starting_after=starting_after),
        customer_id=customer_id,
        invoice_id=invoice_id,
    )
    corrected = {
        n.corrects_invoice_id: service.get_invoice(ctx, n.corrects_invoice_id).number
        for n in page.items
        if n.corrects_invoice_id
    }
    query = {k: v for k, v in (("customer_id", customer_id), ("invoice_id", invoice_id)) if v}
    context = {
        "notes": page.items,
        "corrected": corrected,
        "names": _names(ctx, {n.customer_id for n in page.items}),
        "first_url": "/credit-notes" + (f"?{urlencode(query)}" if query else ""),
        "next_url": (
            "/credit-notes?" + urlencode(query | {"starting_after": page.next_cursor})
            if page.has_more
            else None
        ),
        "is_first_page": not starting_after,
    }
    return render(request, "invoicing/credit_notes.html", context)


@router.get("/credit-notes/{credit_note_id}")
def credit_note_page(request: Request, credit_note_id: str, ctx: WebCtx) -> Response:
    note = service.get_credit_note(ctx, credit_note_id)
    corrected = service.get_invoice(ctx, note.corrects_invoice_id or "")
    explained = {e["position"]: e for e in service.explain_credit_note(ctx, note.id)}
    lines = service.invoice_lines(ctx, note.id)
    context = {
        "note": note,
        "corrected": corrected,
        "customer_name": _names(ctx, {note.customer_id})[note.customer_id],
        "lines": [
            (line, last_day(line.period_end), (explained.get(line.position) or {}).get("credits"))
            for line in lines
        ],
        "refunds": service.refunds_of(ctx, note.id),
        "percent": _percent,
        "audit_events": events_for_object(ctx, note.id),
    }
    return render(request, "invoicing/credit_note.html", context)


def _form(
    request: Request,
    ctx: Ctx,
    invoice: Invoice,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
) -> Response:
    lines = service.invoice_lines(ctx, invoice.id)
    context = {
        "invoice": invoice,
        "customer_name": _names(ctx, {invoice.customer_id})[invoice.customer_id],
        "lines": [(line, last_day(line.period_end)) for line in lines],
        "remaining": service.remaining_creditable(ctx, invoice),
        "reserved": credited(ctx, [invoice.id]).get(invoice.id, Credited()).reserved,
        "due": amount_due(invoice),
        "percent": _percent,
        "values": values or {},
        "errors": errors or {},
        "problem": problem,
        "correctable": invoice.status in CORRECTABLE and invoice.kind == "invoice",
    }
    return render(request, "invoicing/credit_note_form.html", context, status_code)


@router.get("/invoices/{invoice_id}/credit-notes/new")
def credit_note_form(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    return _form(request, ctx, invoice)


def _requested_lines(form: dict[str, str]) -> list[dict[str, object]] | None:
    """The ticked lines (`line_3=on`) with their quantity (`quantity_3`, blank: whole)."""
    chosen = []
    for name in sorted(form, key=lambda n: (len(n), n)):
        if name.startswith("line_") and form[name] == "on":
            position = name.removeprefix("line_")
            if not position.isdigit():
                continue
            quantity = form.get(f"quantity_{position}", "").strip()
            chosen.append({"position": int(position), "quantity": quantity or None})
    return chosen or None


@router.post("/invoices/{invoice_id}/credit-notes")
async def issue_credit_note(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    amount = form.get("amount", "").strip() or None
    try:
        note = service.issue_credit_note(
            ctx,
            invoice.id,
            reason=form.get("reason", ""),
            lines=_requested_lines(form),
            amount=amount,
            settlement=form.get("settlement", "balance"),
        )
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        invoice = service.get_invoice(ctx, invoice_id)
        return _form(request, ctx, invoice, 422, values=form, errors=_flat(field_errors(exc)))
    except Conflict as exc:
        ctx.session.rollback()
        invoice = service.get_invoice(ctx, invoice_id)
        return _form(request, ctx, invoice, 409, values=form, problem=exc.detail)
    return RedirectResponse(f"/credit-notes/{note.id}", status_code=303)


def _flat(errors: dict[str, Any]) -> dict[str, str]:
    """Errors on `lines.0.quantity` shown on the form's `lines` field as well."""
    out = {str(k): str(v) for k, v in errors.items()}
    for key, message in list(out.items()):
        if key.startswith("lines."):
            out.setdefault("lines", message)
    return out


@router.post("/invoices/{invoice_id}/void")
async def void_invoice(request: Request, invoice_id: str, ctx: WebCtx) -> Response:
    invoice = service.get_invoice(ctx, invoice_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        note = service.void_invoice(
            ctx,
            invoice.id,
            reason=form.get("reason", ""),
            settlement=form.get("settlement", "balance"),
        )
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        invoice = service.get_invoice(ctx, invoice_id)
        errors = {f"void_{k}": v for k, v in _flat(field_errors(exc)).items()}
        return _form(request, ctx, invoice, 422, values=form, errors=errors)
    except Conflict as exc:
        ctx.session.rollback()
        invoice = service.get_invoice(ctx, invoice_id)
        return _form(request, ctx, invoice, 409, values=form, problem=exc.detail)
    return RedirectResponse(f"/credit-notes/{note.id}", status_code=303)
