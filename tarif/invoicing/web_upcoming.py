"""Back-office page of a customer's next invoice: what a billing run would make on the
customer's next billing date (every invoice of that day: one per currency, and one per
contract billed apart), lines and totals, written nowhere.

`/customers/{id}/upcoming-invoice` is linked from the customer's page; the page's words are
French through `FRENCH`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

from tarif.customers import service as customers
from tarif.invoicing import service
from tarif.invoicing.schemas import last_day
from tarif.web.auth import WebCtx
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

FRENCH = {
    "Next invoice": "Prochaine facture",
    "Next invoice of": "Prochaine facture de",
    "Nothing to invoice: no contract of this customer has anything due.": (
        "Rien à facturer : aucun contrat de ce client n'a d'échéance."
    ),
    "As a billing run would make it on": "Telle qu'une facturation la ferait le",
    "nothing is written.": "rien n'est enregistré.",
    "Contract billed apart": "Contrat facturé à part",
    "These lines go on the open draft": "Ces lignes s'ajoutent au brouillon ouvert",
    ", after its own lines; the figures below are theirs.": (
        ", après ses propres lignes ; les montants ci-dessous sont les leurs."
    ),
}

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)


@router.get("/customers/{customer_id}/upcoming-invoice")
def upcoming_invoice_page(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    customer = customers.get_customer(ctx, customer_id)
    drafts = service.upcoming_invoices(ctx, customer.id)
    context = {"customer": customer, "drafts": drafts, "last_day": last_day}
    return render(request, "invoicing/upcoming.html", context)
