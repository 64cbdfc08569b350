"""Demo customers: one of each tax treatment, with valid (made-up) legal identifiers.

Idempotent by external id: a customer already there is left as it is.
"""

from __future__ import annotations

from typing import Any

from tarif.context import Ctx
from tarif.customers import service

# SIRENs are 8 digits plus a Luhn digit, SIRETs add a 4-digit NIC and a Luhn digit, and a French
# VAT number is FR + (12 + 3 × (SIREN mod 97)) mod 97 + SIREN; the German number ends with its
# ISO 7064 (11, 10) check digit. python-stdnum checks them all on load.
DEMO_CUSTOMERS: list[tuple[dict[str, Any], list[dict[str, str]]]] = [
    (
        {
            "external_id": "DEMO-BOULANGERIE",
            "legal_name": "Boulangerie Numérique SAS",
            "address_line1": "8 rue du Four",
            "postal_code": "75006",
            "city": "Paris",
            "country": "FR",
            "siren": "412345670",
            "siret": "41234567000019",
            "vat_number": "FR96412345670",
            "invoice_emails": ["compta@boulangerie-numerique.example"],
            "metadata": {"segment": "smb"},
        },
        [
            {
                "name": "Sophie Martin",
                "role": "Directrice financière",
                "email": "sophie.martin@boulangerie-numerique.example",
                "phone": "+33 1 42 00 00 01",
            }
        ],
    ),
    (
        {
            "external_id": "DEMO-ATELIER",
            "legal_name": "Atelier Logiciel SARL",
            "address_line1": "3 quai Saint-Antoine",
            "postal_code": "69002",
            "city": "Lyon",
            "country": "FR",
            "siren": "802954784",
            "siret": "80295478400012",
            "vat_number": "FR23802954784",
            "invoice_emails": ["factures@atelier-logiciel.example"],
            "payment_terms_days": 45,
            "payment_terms_end_of_month": True,
        },
        [],
    ),
    (
        {
            "external_id": "DEMO-FONDATION",
            "legal_name": "Fondation Savoirs Ouverts",
            "address_line1": "1 cours de l'Intendance",
            "postal_code": "33000",
            "city": "Bordeaux",
            "country": "FR",
            "siren": "512345679",
            "siret": "51234567900017",
            "tax_status": "exempt",
            "invoice_emails": ["tresorerie@savoirs-ouverts.example"],
            "notes": "Exonérée de TVA : attestation reçue.",
        },
        [],
    ),
    (
        {
            "external_id": "DEMO-DATENWERK",
            "legal_name": "Datenwerk Berlin GmbH",
            "address_line1": "Invalidenstraße 12",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "vat_number": "DE812345673",
            "language": "en",
            "timezone": "Europe/Berlin",
            "invoice_emails": ["rechnungen@datenwerk.example"],
        },
        [
            {
                "name": "Jonas Weber",
                "role": "Head of Finance",
                "email": "jonas.weber@datenwerk.example",
            }
        ],
    ),
    (
        {
            "external_id": "DEMO-ACME",
            "legal_name": "Acme Analytics Inc.",
            "address_line1": "500 Howard Street",
            "postal_code": "94105",
            "city": "San Francisco",
            "state": "CA",
            "country": "US",
            "currency": "USD",
            "language": "en",
            "timezone": "America/Los_Angeles",
            "invoice_emails": ["ap@acme-analytics.example"],
            "payment_terms_days": 60,
        },
        [],
    ),
    (
        {
            "external_id": "DEMO-CLAIRE",
            "legal_name": "Claire Dubois",
            "kind": "person",
            "address_line1": "14 rue Crébillon",
            "postal_code": "44000",
            "city": "Nantes",
            "country": "FR",
            "invoice_emails": ["claire.dubois@courriel.example"],
            "payment_terms_days": 0,
        },
        [],
    ),
]


def load_demo_customers(ctx: Ctx) -> None:
    for values, contacts in DEMO_CUSTOMERS:
        if service.find_by_external_id(ctx, values["external_id"]) is not None:
            continue
        customer = service.create_customer(ctx, values)
        for contact in contacts:
            service.add_contact(ctx, customer.id, contact)
