"""Use cases of invoicing: billing runs, invoices, numbering, payments (never committing).

The work is done in `service_runs.py` (billing runs, upcoming invoice) and
`service_invoices.py` (reads, finalize, payments); this module is the one import for the API
and the CLI.
"""

from __future__ import annotations

from tarif.invoicing.service_invoices import (
    InvoiceStatus,
    content_hash,
    explain,
    finalize_invoice,
    get_invoice,
    invoice_lines,
    invoice_payments,
    is_overdue,
    list_invoices,
    record_payment,
)
from tarif.invoicing.service_runs import (
    DraftInvoice,
    RunOutcome,
    get_run,
    last_run_date,
    list_runs,
    run_billing,
    upcoming_invoice,
)

__all__ = [
    "DraftInvoice",
    "InvoiceStatus",
    "RunOutcome",
    "content_hash",
    "explain",
    "finalize_invoice",
    "get_invoice",
    "get_run",
    "invoice_lines",
    "invoice_payments",
    "is_overdue",
    "last_run_date",
    "list_invoices",
    "list_runs",
    "record_payment",
    "run_billing",
    "upcoming_invoice",
]
