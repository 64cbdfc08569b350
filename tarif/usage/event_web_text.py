"""The words of the events pages and their French text."""

from __future__ import annotations

FRENCH = {
    "Events": "Événements",
    "Usage events": "Événements de consommation",
    "Event": "Événement",
    "Metric": "Métrique",
    "Customer": "Client",
    "Contract": "Contrat",
    "Customer (external id)": "Client (identifiant externe)",
    "Contract (reference)": "Contrat (référence)",
    "Timestamp (UTC)": "Horodatage (UTC)",
    "Local date": "Date locale",
    "Value": "Valeur",
    "Unique key": "Clé unique",
    "Late": "En retard",
    "Late only": "En retard uniquement",
    "Received": "Reçu",
    "Source": "Source",
    "Transaction id": "Identifiant de transaction",
    "Properties": "Propriétés",
    "From": "Du",
    "To": "Au",
    "Filter": "Filtrer",
    "No event.": "Aucun événement.",
    "Unknown customer: no event.": "Client inconnu : aucun événement.",
    "Unknown contract: no event.": "Contrat inconnu : aucun événement.",
    "Billed as an adjustment on the next invoice": (
        "Facturé en régularisation sur la prochaine facture"
    ),
    "Events ahead of the clock accepted up to (seconds)": (
        "Événements en avance acceptés jusqu'à (secondes)"
    ),
    "Late events (day already invoiced)": "Événements en retard (jour déjà facturé)",
    "Adjust on the next invoice": "Régulariser sur la prochaine facture",
    "Refuse": "Refuser",
    "Invoices of 0.00 usage only (a period without usage)": (
        "Factures de consommation à 0,00 seulement (période sans consommation)"
    ),
    "Finalize and number them": "Les finaliser et les numéroter",
    "Keep them as drafts": "Les garder en brouillon",
}
