"""The words of the usage trigger pages and their French text. Messages from the services stay
in English (see docs/back-office.md)."""

from __future__ import annotations

KIND_LABELS = {
    "period_end": "At period end (default)",
    "threshold": "When a threshold is reached",
    "event": "On each event",
}
MEASURE_LABELS = {"amount": "Amount so far", "quantity": "Quantity so far"}
CADENCE_LABELS = {
    "immediate": "One invoice per event",
    "daily": "Collected, invoiced each day",
    "weekly": "Collected, invoiced each Monday",
}

FRENCH = {
    "Usage triggers": "Déclencheurs de facturation",
    "Usage triggers of the contract": "Déclencheurs de facturation du contrat",
    "When is usage invoiced?": "Quand la consommation est-elle facturée ?",
    "At period end (default)": "En fin de période (par défaut)",
    "When a threshold is reached": "Au franchissement d'un seuil",
    "On each event": "À chaque événement",
    "Amount so far": "Montant à ce jour",
    "Quantity so far": "Quantité cumulée",
    "One invoice per event": "Une facture par événement",
    "Collected, invoiced each day": "Regroupés, facturés chaque jour",
    "Collected, invoiced each Monday": "Regroupés, facturés chaque lundi",
    "Thresholds, increasing": "Seuils, croissants",
    "Then every": "Puis tous les",
    "Measured on": "Mesuré sur",
    "First levels:": "Premiers paliers :",
    "Threshold history": "Historique des seuils",
    "No threshold crossed yet.": "Aucun seuil franchi pour l'instant.",
    "No usage line on this contract.": "Aucune ligne de consommation sur ce contrat.",
    "Level reached": "Palier atteint",
    "Measured value": "Valeur mesurée",
    "Crossed on": "Franchi le",
    "Last day": "Dernier jour",
    "Kept for a line no longer in the terms": "Conservé pour une ligne qui n'est plus au contrat",
    "Save the trigger": "Enregistrer le déclencheur",
    "Older crossings": "Franchissements plus anciens",
    "Billable items": "Éléments facturables",
    "Each event an event trigger values, and the invoice that billed it.": (
        "Chaque événement valorisé par un déclencheur à l'événement, et la facture qui l'a facturé."
    ),
    "No billable item yet.": "Aucun élément facturable pour l'instant.",
    "Event": "Événement",
    "Event day": "Jour de l'événement",
    "Amount added": "Montant ajouté",
    "Period total": "Total de la période",
    "Valued on": "Valorisé le",
    "Not invoiced yet": "Pas encore facturé",
    "The latest 50 items; the API and the command line list them all.": (
        "Les 50 derniers éléments ; l'API et la ligne de commande les listent tous."
    ),
}
