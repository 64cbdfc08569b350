"""The words of the statement page and of the usage part of an invoice's "why this amount"
panel, and their French text (only keys no other module registers)."""

from __future__ import annotations

RULE = (
    "Amounts are the invoices' usage lines; a line split over several rows is shared in "
    "proportion to quantities (transactions for per-transaction fees), to the cent, by the "
    "largest remainder method."
)

FRENCH = {
    "Consumption statement": "Relevé de consommation",
    "Download CSV": "Télécharger en CSV",
    "Download PDF": "Télécharger en PDF",
    "To (exclusive)": "Au (exclu)",
    "All contracts": "Tous les contrats",
    "Late usage adjustment": "Régularisation de consommation tardive",
    "Total usage": "Total de la consommation",
    "No usage billed in the period.": "Aucune consommation facturée sur la période.",
    "Day": "Jour",
    "Month": "Mois",
    "List them": "Les lister",
    "Tiers": "Paliers",
    "SmartCode versions": "Versions de SmartCode",
    "Valued by": "Valorisé par",
    "Revision": "Révision",
    "Free units used": "Unités gratuites utilisées",
    "Prepaid units used": "Unités prépayées utilisées",
    "Minimum spend": "Minimum de consommation",
    "metric, then day or month and event properties": (
        "metric, puis day ou month et des propriétés des événements"
    ),
    RULE: (
        "Les montants sont ceux des lignes de consommation des factures ; une ligne répartie "
        "sur plusieurs lignes est partagée au prorata des quantités (des transactions pour les "
        "frais par transaction), au centime près, par la méthode du plus fort reste."
    ),
}
