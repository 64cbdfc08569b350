"""Back-office page of a customer's credit balance: what is available per currency, the history
with the balance after each entry, a goodwill form and a refund form.

`/customers/{id}/balance` is linked from the customer's page and from an invoice a credit paid.
Messages from the services stay in English (see docs/back-office.md); the page's words are
French through `FRENCH`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.customers.models import Customer
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.invoicing import balance
from tarif.invoicing.balance_rules import RefundMethod
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

PAGE_SIZE = 25
KIND_LABELS = {
    "credit_note": "Credit note",
    "goodwill": "Goodwill credit",
    "applied": "Credit applied",
    "negative_invoice": "Negative invoice",
    "refund": "Refund",
}
METHOD_LABELS = {
    "transfer": "Bank transfer",
    "card": "Card",
    "direct_debit": "Direct debit",
    "cheque": "Cheque",
    "cash": "Cash",
    "other": "Other",
}
FRENCH = {
    "Credit balance": "Solde créditeur",
    "Credit balance of": "Solde créditeur de",
    "Available": "Disponible",
    "No credit balance yet.": "Aucun solde créditeur pour l'instant.",
    "History": "Historique",
    "Balance after": "Solde après",
    "Kind": "Type",
    "Reason": "Motif",
    "By": "Par",
    "Credit note": "Avoir",
    "Goodwill credit": "Geste commercial",
    "Credit applied": "Avoir appliqué",
    "Negative invoice": "Facture négative",
    "Refund": "Remboursement",
    "Grant a goodwill credit": "Accorder un geste commercial",
    "Refund the balance": "Rembourser le solde",
    "Refund method": "Mode de remboursement",
    "Bank transfer": "Virement",
    "Card": "Carte",
    "Direct debit": "Prélèvement",
    "Cheque": "Chèque",
    "Cash": "Espèces",
    "Other": "Autre",
    "Used first, oldest credit first, by the next invoices finalized in its currency.": (
        "Utilisé en premier, crédit le plus ancien d'abord, par les prochaines factures émises "
        "dans sa devise."
    ),
    "Recorded.": "Enregistré.",
}

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    ctx: Ctx,
    customer: Customer,
    *,
    starting_after: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    history = balance.history(
        ctx, customer.id, PageRequest(limit=PAGE_SIZE, starting_after=starting_after)
    )
    base = f"/customers/{customer.id}/balance"
    context = {
        "customer": customer,
        "balances": balance.balances(ctx, customer.id),
        "rows": history.rows,
        "kind_labels": KIND_LABELS,
        "methods": [(m.value, METHOD_LABELS[m.value]) for m in RefundMethod],
        "next_url": (
            f"{base}?{urlencode({'starting_after': history.next_cursor})}"
            if history.has_more
            else None
        ),
        "first_url": base,
        "is_first_page": not starting_after,
        "goodwill_values": {"currency": customer.currency},
        "goodwill_errors": {},
        "refund_values": {"currency": customer.currency, "method": RefundMethod.TRANSFER.value},
        "refund_errors": {},
        "saved": request.query_params.get("saved") == "1",
    } | extra
    return render(request, "invoicing/balance.html", context, status_code)


@router.get("/customers/{customer_id}/balance")
def balance_page(
    request: Request, customer_id: str, ctx: WebCtx, starting_after: str | None = None
) -> Response:
    customer = customers.get_customer(ctx, customer_id)
    return _page(request, ctx, customer, starting_after=starting_after)


def _saved(customer: Customer) -> Response:
    return RedirectResponse(f"/customers/{customer.id}/balance?saved=1", status_code=303)


@router.post("/customers/{customer_id}/balance/goodwill")
async def grant_goodwill(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    customer = customers.get_customer(ctx, customer_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        balance.grant_goodwill(
            ctx,
            customer.id,
            amount=form.get("amount", "").strip(),
            currency=form.get("currency", ""),
            reason=form.get("reason", ""),
        )
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        customer = customers.get_customer(ctx, customer_id)
        values, errors = form, field_errors(exc)
        return _page(
            request, ctx, customer, status_code=422, goodwill_values=values, goodwill_errors=errors
        )
    return _saved(customer)


@router.post("/customers/{customer_id}/balance/refunds")
async def refund_balance(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    customer = customers.get_customer(ctx, customer_id)
    ctx.require(Permission.WRITE_BILLING)
    form = await form_data(request)
    try:
        balance.refund_balance(
            ctx,
            customer.id,
            amount=form.get("amount", "").strip(),
            currency=form.get("currency", ""),
            reference=form.get("reference", ""),
            method=form.get("method", RefundMethod.TRANSFER.value),
        )
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        customer = customers.get_customer(ctx, customer_id)
        values, errors = form, field_errors(exc)
        return _page(
            request, ctx, customer, status_code=422, refund_values=values, refund_errors=errors
        )
    return _saved(customer)
