"""REST routes of credit notes: `/v1/credit-notes…` and `POST /v1/invoices/{id}/void`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.context import Ctx
from tarif.invoicing import service
from tarif.invoicing.models import Invoice
from tarif.invoicing.schemas_credit_notes import (
    CreditNoteCreate,
    CreditNoteExplanationRead,
    CreditNoteRead,
    VoidCreate,
)

router = APIRouter(tags=["credit notes"])


def read_credit_note(ctx: Ctx, note: Invoice) -> CreditNoteRead:
    corrected = (
        service.get_invoice(ctx, note.corrects_invoice_id).number
        if note.corrects_invoice_id
        else None
    )
    return CreditNoteRead.of(
        note, service.invoice_lines(ctx, note.id), corrected, service.refunds_of(ctx, note.id)
    )


@router.post("/credit-notes", response_model=CreditNoteRead, status_code=status.HTTP_201_CREATED)
def create_credit_note(body: CreditNoteCreate, ctx: CtxDep) -> CreditNoteRead:
    """Issues a credit note against a finalized invoice: whole `lines` or parts of their
    quantity, or a gross `amount`; what the invoice no longer owes is refunded or added to the
    customer's balance (`settlement`)."""
    note = service.issue_credit_note(
        ctx,
        body.invoice_id,
        reason=body.reason,
        lines=[line.model_dump() for line in body.lines] if body.lines is not None else None,
        amount=body.amount,
        settlement=body.settlement,
    )
    ctx.session.commit()
    return read_credit_note(ctx, note)


@router.get("/credit-notes", response_model=ListResponse[CreditNoteRead])
def list_credit_notes(
    ctx: CtxDep,
    page: PageDep,
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    invoice_id: Annotated[str | None, Query(max_length=40)] = None,
) -> ListResponse[CreditNoteRead]:
    result = service.list_credit_notes(ctx, page, customer_id=customer_id, invoice_id=invoice_id)
    return ListResponse(
        data=[read_credit_note(ctx, n) for n in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.get("/credit-notes/{credit_note_id}", response_model=CreditNoteRead)
def get_credit_note(credit_note_id: str, ctx: CtxDep) -> CreditNoteRead:
    return read_credit_note(ctx, service.get_credit_note(ctx, credit_note_id))


@router.get("/credit-notes/{credit_note_id}/explain", response_model=CreditNoteExplanationRead)
def explain_credit_note(credit_note_id: str, ctx: CtxDep) -> CreditNoteExplanationRead:
    """Which invoice line each line of the credit note credits."""
    return CreditNoteExplanationRead(
        credit_note_id=credit_note_id, lines=service.explain_credit_note(ctx, credit_note_id)
    )


@router.post(
    "/invoices/{invoice_id}/void",
    response_model=CreditNoteRead,
    status_code=status.HTTP_201_CREATED,
)
def void_invoice(invoice_id: str, body: VoidCreate, ctx: CtxDep) -> CreditNoteRead:
    """Cancels a finalized invoice with a credit note of everything still creditable; the
    invoice becomes `voided`. Answers the credit note."""
    note = service.void_invoice(ctx, invoice_id, reason=body.reason, settlement=body.settlement)
    ctx.session.commit()
    return read_credit_note(ctx, note)
