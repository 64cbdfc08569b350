"""Invoice documents: the printed model, its PDF and its Factur-X (EN 16931) XML."""

from tarif.invoicing.document import (
    DocumentKind,
    DocumentLine,
    InconsistentDocument,
    InvoiceDocument,
    Party,
    Period,
    TaxTreatment,
    Totals,
    VatBreakdown,
)

__all__ = [
    "DocumentKind",
    "DocumentLine",
    "InconsistentDocument",
    "InvoiceDocument",
    "Party",
    "Period",
    "TaxTreatment",
    "Totals",
    "VatBreakdown",
]
