"""The `data` of each business event, and the calls the capabilities make when it happens.

Each function is one line at the place of the change (finalizing, issuing a credit note, a
contract's transition) and costs one cached read of the organization's endpoints when none is
subscribed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tarif.context import Ctx
from tarif.money import currency, round_to_minor_unit
from tarif.webhooks.service import emit, subscribed


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _money(amount: Any, code: str) -> str | None:
    # As the invoice API writes amounts: to the currency's minor unit ("399.00", not "399").
    if amount is None:
        return None
    return str(round_to_minor_unit(Decimal(amount), currency(code)))


def invoice_data(invoice: Any) -> dict[str, Any]:
    """What a receiver needs to fetch or match an invoice (an ORM row or its column values)."""
    code = invoice.currency
    return {
        "id": invoice.id,
        "object": "credit_note" if invoice.kind == "credit_note" else "invoice",
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "contract_id": invoice.contract_id,
        "currency": invoice.currency,
        "net_total": _money(invoice.net_total, code),
        "vat_total": _money(invoice.vat_total, code),
        "gross_total": _money(invoice.gross_total, code),
        "issue_date": _text(invoice.issue_date),
        "due_date": _text(invoice.due_date),
        "corrects_invoice_id": getattr(invoice, "corrects_invoice_id", None),
    }


def invoices_created(ctx: Ctx, rows: list[dict[str, Any]]) -> None:
    """`invoice.created` for each invoice (or credit note) a billing run writes, from its
    column values; a draft has no number yet."""
    from types import SimpleNamespace

    if not subscribed(ctx, "invoice.created"):
        return
    for row in rows:
        invoice_created(ctx, SimpleNamespace(**row))


def invoice_created(ctx: Ctx, invoice: Any) -> None:
    if subscribed(ctx, "invoice.created"):
        emit(ctx, "invoice.created", invoice_data(invoice))


def invoice_sealed(ctx: Ctx, invoice: Any) -> None:
    """An invoice finalized, or a credit note a run drafted now issued."""
    kind = "credit_note.created" if invoice.kind == "credit_note" else "invoice.finalized"
    if subscribed(ctx, kind):
        emit(ctx, kind, invoice_data(invoice))


def credit_note_issued(ctx: Ctx, note: Any) -> None:
    emit(ctx, "credit_note.created", invoice_data(note))


def contract_transition(
    ctx: Ctx, contract: Any, from_status: str, to_status: str, on: date
) -> None:
    """`contract.activated` when a contract starts (not when it resumes after a suspension),
    `contract.terminated` when it ends."""
    if to_status == "active" and from_status != "suspended":
        event = "contract.activated"
    elif to_status == "terminated":
        event = "contract.terminated"
    else:
        return
    emit(
        ctx,
        event,
        {
            "id": contract.id,
            "object": "contract",
            "reference": contract.reference,
            "customer_id": contract.customer_id,
            "status": to_status,
            "previous_status": from_status,
            "date": on.isoformat(),
        },
    )
