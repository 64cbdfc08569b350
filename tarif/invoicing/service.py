"""Use cases of invoicing: billing runs, invoices, numbering, payments (never committing).

The work is done in `service_runs.py` (billing runs, upcoming invoice),
`service_invoices.py` (reads, finalize, payments) and `service_drafts.py` (editing drafts,
automatic finalization); this module is the one import for the API
and the CLI.
"""

from __future__ import annotations

from datetime import date

from tarif.context import Ctx
from tarif.errors import InvalidInput
from tarif.invoicing import service_runs
from tarif.invoicing.service_credit_notes import (
    Settlement,
    credit_notes_of,
    explain_credit_note,
    get_credit_note,
    issue_credit_note,
    list_credit_notes,
    record_refund,
    refunds_of,
    remaining_creditable,
    void_invoice,
)
from tarif.invoicing.service_drafts import (
    FinalizedDue,
    Regenerated,
    add_line,
    delete_draft,
    ensure_draft,
    finalize_due,
    finalize_due_drafts,
    recompute_totals,
    regenerate_draft,
    remove_line,
    update_draft,
)
from tarif.invoicing.service_finalize import RunFinalized, finalize_run
from tarif.invoicing.service_invoices import (
    InvoiceStatus,
    content_hash,
    explain,
    finalize_invoice,
    get_invoice,
    invoice_lines,
    invoice_payments,
    invoice_payments_page,
    is_overdue,
    list_invoices,
    record_payment,
)
from tarif.invoicing.service_runs import (
    DraftInvoice,
    Progress,
    RunOutcome,
    check_run_date,
    get_run,
    last_run_date,
    list_runs,
    upcoming_invoice,
    upcoming_invoices,
)

__all__ = [
    "DraftInvoice",
    "FinalizedDue",
    "InvoiceStatus",
    "Regenerated",
    "RunFinalized",
    "RunOutcome",
    "Settlement",
    "add_line",
    "check_run_date",
    "content_hash",
    "credit_notes_of",
    "delete_draft",
    "ensure_draft",
    "explain",
    "explain_credit_note",
    "finalize_due",
    "finalize_due_drafts",
    "finalize_invoice",
    "finalize_run",
    "get_credit_note",
    "get_invoice",
    "get_run",
    "invoice_lines",
    "invoice_payments",
    "invoice_payments_page",
    "is_overdue",
    "issue_credit_note",
    "last_run_date",
    "list_credit_notes",
    "list_invoices",
    "list_runs",
    "recompute_totals",
    "record_payment",
    "record_refund",
    "refunds_of",
    "regenerate_draft",
    "remaining_creditable",
    "remove_line",
    "run_billing",
    "upcoming_invoice",
    "upcoming_invoices",
    "update_draft",
    "void_invoice",
]


def run_billing(
    ctx: Ctx,
    as_of: date,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    customer_id: str | None = None,
    finalize: bool = False,
) -> RunOutcome:
    """`service_runs.run_billing`, refusing a dry run asked to finalize: the preview would win
    and the caller, believing its invoices sealed, would never learn nothing was finalized.
    Checked here, the one entry of the API, the CLI and the pages, before anything is read."""
    if dry_run and finalize:
        raise InvalidInput.on(
            "finalize", "a dry run writes nothing, so nothing can be finalized: drop one of the two"
        )
    return service_runs.run_billing(
        ctx,
        as_of,
        dry_run=dry_run,
        progress=progress,
        customer_id=customer_id,
        finalize=finalize,
    )
