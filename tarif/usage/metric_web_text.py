"""The words of the metric pages and their French text. Messages from the services stay in
English (see docs/back-office.md)."""

from __future__ import annotations

FILTERS_HELP = (
    "One filter a line: property op value (eq, in, not_in, gt, gte, lt, lte), e.g. region in eu,us"
)

AGGREGATION_LABELS = {
    "count": "Count of events",
    "sum": "Sum",
    "max": "Maximum",
    "unique_count": "Count of distinct values",
    "latest": "Latest value",
    "weighted_sum": "Time-weighted sum",
}

# The shared words ("Active", "Archived", "Recurring", "None") keep the catalog's French text:
# the catalog of translations is one for every page.
FRENCH = {
    "Metrics": "Métriques",
    "Metric": "Métrique",
    "New metric": "Nouvelle métrique",
    "Code": "Code",
    "Name": "Nom",
    "Unit": "Unité",
    "Aggregation": "Agrégation",
    "Property read": "Propriété lue",
    "Filters": "Filtres",
    "Group by": "Regrouper par",
    "Carried over from one period to the next": "Reportée d'une période à la suivante",
    "Reset each period": "Remise à zéro à chaque période",
    "Valuation SmartCode": "SmartCode de valorisation",
    "Optional: a valuation SmartCode's code, giving each event's value instead of the property "
    "read": "Facultatif : le code d'un SmartCode de valorisation, qui donne la valeur de chaque "
    "événement au lieu de la propriété lue",
    "Count of events": "Nombre d'événements",
    "Sum": "Somme",
    "Maximum": "Maximum",
    "Count of distinct values": "Nombre de valeurs distinctes",
    "Latest value": "Dernière valeur",
    "Time-weighted sum": "Somme pondérée par le temps",
    "Archive": "Archiver",
    "Create": "Créer",
    "Save": "Enregistrer",
    "Status": "Statut",
    "No metric yet.": "Aucune métrique pour l'instant.",
    FILTERS_HELP: (
        "Un filtre par ligne : propriété opérateur valeur (eq, in, not_in, gt, gte, lt, lte), "
        "par exemple region in eu,us"
    ),
    "Property names separated by commas, e.g. region, project": (
        "Noms de propriétés séparés par des virgules, par exemple region, project"
    ),
    "Required for every aggregation but the count": "Obligatoire sauf pour le nombre d'événements",
    "Quantities": "Quantités",
    "Customer": "Client",
    "From": "Du",
    "To (excluded)": "Au (exclu)",
    "Compute": "Calculer",
    "Group": "Groupe",
    "Quantity": "Quantité",
    "Events": "Événements",
    "First event": "Premier événement",
    "Last event": "Dernier événement",
    "Events counted": "Événements comptés",
    "Occurred at": "Survenu le",
    "Local day": "Jour local",
    "Value": "Valeur",
    "Properties": "Propriétés",
    "Late": "En retard",
    "Next page": "Page suivante",
    "Definition": "Définition",
    "Edit": "Modifier",
}
