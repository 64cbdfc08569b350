"""The words of the usage alerts section (on the usage triggers page) and their French text."""

from __future__ import annotations

ALERT_MEASURE_LABELS = {
    "amount": "Spending limit (amount so far)",
    "quantity": "Included quota (quantity so far)",
}

FRENCH = {
    "Usage alerts": "Alertes de consommation",
    "Notified once per period and level when usage reaches a share of a limit.": (
        "Notifiées une fois par période et par palier quand la consommation atteint une part "
        "d'une limite."
    ),
    "Spending limit (amount so far)": "Plafond de dépense (montant à ce jour)",
    "Included quota (quantity so far)": "Quota inclus (quantité cumulée)",
    "Watched metric": "Métrique surveillée",
    "Every line of the metric": "Toutes les lignes de la métrique",
    "Levels (% of the limit)": "Paliers (% de la limite)",
    "Add the alert": "Ajouter l'alerte",
    "Remove the alert": "Supprimer l'alerte",
    "Edit the alert": "Modifier l'alerte",
    "Save the alert": "Enregistrer l'alerte",
    "Levels fired this period stay fired; a level the new settings reach fires at once.": (
        "Les paliers déjà déclenchés sur la période le restent ; un palier atteint avec les "
        "nouveaux réglages se déclenche aussitôt."
    ),
    "No usage alert on this contract.": "Aucune alerte de consommation sur ce contrat.",
    "Alert history": "Historique des alertes",
    "No alert fired yet.": "Aucune alerte déclenchée pour l'instant.",
    "Fired on": "Déclenchée le",
    "Alert added.": "Alerte ajoutée.",
    "Alert updated.": "Alerte modifiée.",
    "Alert removed.": "Alerte supprimée.",
}
