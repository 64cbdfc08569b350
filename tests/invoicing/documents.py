"""Sample documents for the invoicing tests; every total is worked out by hand beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tarif.invoicing import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    Period,
    TaxTreatment,
    Totals,
    VatBreakdown,
)

D = Decimal
JANUARY = Period(date(2026, 1, 15), date(2026, 2, 15))  # shown 15/01/2026 -> 14/02/2026

SELLER = Party(
    name="Tarif SAS",
    address_lines=("12 rue de la Paix",),
    postal_code="75002",
    city="Paris",
    country="FR",
    siren="732829320",
    vat_number="FR44732829320",
)
FRENCH_BUYER = Party(
    name="Acme SARL",
    address_lines=("3 avenue Foch", "Bâtiment B"),
    postal_code="69006",
    city="Lyon",
    country="FR",
    siren="552100554",
    vat_number="FR40552100554",
)
GERMAN_BUYER = Party(
    name="Beispiel GmbH",
    address_lines=("Friedrichstraße 10",),
    postal_code="10117",
    city="Berlin",
    country="DE",
    vat_number="DE136695976",
)
AMERICAN_BUYER = Party(
    name="Example Inc.",
    address_lines=("500 Market Street",),
    postal_code="94105",
    city="San Francisco",
    country="US",
)


def french_invoice() -> InvoiceDocument:
    # 20 %: base 218.81 + 399.00 = 617.81; VAT 617.81 × 0.20 = 123.562 -> 123.56
    # 10 %: base 50.00; VAT 50.00 × 0.10 = 5.00
    # net 617.81 + 50.00 = 667.81; VAT 123.56 + 5.00 = 128.56; gross 667.81 + 128.56 = 796.37
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number="F-2026-0001",
        issue_date=date(2026, 1, 15),
        due_date=date(2026, 2, 14),
        currency="EUR",
        language="fr",
        seller=SELLER,
        buyer=FRENCH_BUYER,
        service_period=JANUARY,
        lines=(
            DocumentLine("Abonnement Pro", D("1"), D("218.81"), D("218.81"), D("20"), JANUARY),
            DocumentLine("Sièges supplémentaires", D("3"), D("133.00"), D("399.00"), D("20")),
            DocumentLine("Formation", D("1"), D("50.00"), D("50.00"), D("10")),
        ),
        vat_breakdown=(
            VatBreakdown(D("20"), D("617.81"), D("123.56")),
            VatBreakdown(D("10"), D("50.00"), D("5.00")),
        ),
        totals=Totals(D("667.81"), D("128.56"), D("796.37")),
        late_penalty_rate=D("10.15"),
        payment_terms="30 jours fin de période",
        purchase_order="PO-4471",
    )


def reverse_charge_invoice() -> InvoiceDocument:
    # 0 %: 2 × 600.00 = 1200.00; VAT 0.00; gross 1200.00
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number="F-2026-0002",
        issue_date=date(2026, 1, 15),
        due_date=date(2026, 2, 14),
        currency="EUR",
        language="fr",
        seller=SELLER,
        buyer=GERMAN_BUYER,
        service_period=JANUARY,
        lines=(DocumentLine("Licences Entreprise", D("2"), D("600.00"), D("1200.00"), D("0")),),
        vat_breakdown=(VatBreakdown(D("0"), D("1200.00"), D("0.00")),),
        totals=Totals(D("1200.00"), D("0.00"), D("1200.00")),
        late_penalty_rate=D("10.15"),
        payment_terms="30 jours",
        tax_treatment=TaxTreatment.REVERSE_CHARGE,
    )


def export_invoice() -> InvoiceDocument:
    # 0 %, in US dollars: 4 × 125.50 = 502.00; VAT 0.00; gross 502.00
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number="F-2026-0003",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        currency="USD",
        language="fr",
        seller=SELLER,
        buyer=AMERICAN_BUYER,
        service_period=Period(date(2026, 3, 1), date(2026, 4, 1)),  # shown 01/03 -> 31/03
        lines=(DocumentLine("Abonnement Équipe", D("4"), D("125.50"), D("502.00"), D("0")),),
        vat_breakdown=(VatBreakdown(D("0"), D("502.00"), D("0.00")),),
        totals=Totals(D("502.00"), D("0.00"), D("502.00")),
        late_penalty_rate=D("10.15"),
        payment_terms="30 jours",
        tax_treatment=TaxTreatment.EXPORT,
    )


def english_invoice() -> InvoiceDocument:
    # 5.5 %: 3 × 33.33 = 99.99; VAT 99.99 × 0.055 = 5.49945 -> 5.50 (HALF_UP)
    # gross 99.99 + 5.50 = 105.49
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number="F-2026-0004",
        issue_date=date(2026, 1, 15),
        due_date=date(2026, 2, 14),
        currency="EUR",
        language="en",
        seller=SELLER,
        buyer=FRENCH_BUYER,
        service_period=JANUARY,
        lines=(DocumentLine("E-books", D("3"), D("33.33"), D("99.99"), D("5.5"), JANUARY),),
        vat_breakdown=(VatBreakdown(D("5.5"), D("99.99"), D("5.50")),),
        totals=Totals(D("99.99"), D("5.50"), D("105.49")),
        late_penalty_rate=D("12"),
        payment_terms="Net 30",
        notes=("Thank you for your business.",),
    )


def credit_note() -> InvoiceDocument:
    # 20 %: 1 × 133.00 = 133.00; VAT 133.00 × 0.20 = 26.60; gross 133.00 + 26.60 = 159.60
    return InvoiceDocument(
        kind=DocumentKind.CREDIT_NOTE,
        number="AV-2026-0001",
        issue_date=date(2026, 1, 20),
        due_date=date(2026, 1, 20),
        currency="EUR",
        language="fr",
        seller=SELLER,
        buyer=FRENCH_BUYER,
        service_period=JANUARY,
        lines=(DocumentLine("Siège annulé", D("1"), D("133.00"), D("133.00"), D("20")),),
        vat_breakdown=(VatBreakdown(D("20"), D("133.00"), D("26.60")),),
        totals=Totals(D("133.00"), D("26.60"), D("159.60")),
        late_penalty_rate=D("10.15"),
        payment_terms="Remboursement sous 15 jours",
        corrected_invoice_number="F-2026-0001",
    )
