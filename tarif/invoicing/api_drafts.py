"""REST routes editing draft invoices (lines, notes, regenerate, delete) and finalizing due drafts.

Every route refuses a finalized invoice with a 409: a finalized invoice is corrected by a
credit note, never edited.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Response, status

from tarif.api.deps import CtxDep
from tarif.context import Ctx
from tarif.invoicing import service
from tarif.invoicing.models import Invoice
from tarif.invoicing.schemas import InvoiceLineRead, InvoiceRead
from tarif.invoicing.schemas_drafts import (
    FinalizeDueRead,
    InvoiceLineCreate,
    InvoiceUpdate,
    RegenerateRead,
)

router = APIRouter(tags=["invoicing"])


def _read(ctx: Ctx, invoice: Invoice) -> InvoiceRead:
    lines = service.invoice_lines(ctx, invoice.id)
    return InvoiceRead.of(invoice, lines, service.is_overdue(ctx, invoice))


@router.post("/invoices/finalize-due", response_model=FinalizeDueRead)
def finalize_due(ctx: CtxDep) -> FinalizeDueRead:
    """Finalizes the drafts older than the organization's `auto_finalize_after_hours`."""
    outcome = service.finalize_due(ctx)
    ctx.session.commit()
    return FinalizeDueRead(
        after_hours=outcome.after_hours,
        finalized=[_read(ctx, i) for i in outcome.finalized],
        skipped_empty=outcome.skipped_empty,
    )


@router.post(
    "/invoices/{invoice_id}/lines",
    response_model=InvoiceLineRead,
    status_code=status.HTTP_201_CREATED,
)
def add_line(invoice_id: str, body: InvoiceLineCreate, ctx: CtxDep) -> InvoiceLineRead:
    """Adds a one-off ("manual") line to a draft; its VAT follows the invoice's tax treatment."""
    line = service.add_line(ctx, invoice_id, body.model_dump(exclude_unset=True))
    code = service.get_invoice(ctx, invoice_id).currency
    ctx.session.commit()
    return InvoiceLineRead.of(line, code)


@router.delete("/invoices/{invoice_id}/lines/{position}", response_model=InvoiceRead)
def remove_line(
    invoice_id: str, position: int = Path(ge=1, le=1_000_000), *, ctx: CtxDep
) -> InvoiceRead:
    """Removes a one-off line from a draft (a contract line: regenerate or amend the contract)."""
    invoice = service.remove_line(ctx, invoice_id, position)
    ctx.session.commit()
    return _read(ctx, invoice)


@router.patch("/invoices/{invoice_id}", response_model=InvoiceRead)
def update_invoice(invoice_id: str, body: InvoiceUpdate, ctx: CtxDep) -> InvoiceRead:
    """Sets a draft's notes and purchase order."""
    invoice = service.update_draft(ctx, invoice_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return _read(ctx, invoice)


@router.post("/invoices/{invoice_id}/regenerate", response_model=RegenerateRead)
def regenerate_invoice(invoice_id: str, ctx: CtxDep) -> RegenerateRead:
    """Rebuilds a draft's contract lines from the contracts as they are now."""
    done = service.regenerate_draft(ctx, invoice_id)
    ctx.session.commit()
    return RegenerateRead(
        invoice_id=done.invoice_id,
        outcome=done.outcome,
        contract_lines=done.contract_lines,
        invoice=_read(ctx, done.invoice) if done.invoice is not None else None,
    )


@router.delete("/invoices/{invoice_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_invoice(invoice_id: str, ctx: CtxDep) -> Response:
    """Deletes a draft; what it billed is billed again by the next run."""
    service.delete_draft(ctx, invoice_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
