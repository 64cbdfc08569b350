"""The words of the SmartCode pages and their French text. Messages from the sandbox and the
services stay in English (see docs/back-office.md)."""

from __future__ import annotations

KIND_LABELS = {"valuation": "Valuation (per event)", "pricing": "Pricing (per period)"}

FRENCH = {
    "SmartCodes": "SmartCodes",
    "SmartCode": "SmartCode",
    "New SmartCode": "Nouveau SmartCode",
    "Code": "Code",
    "Name": "Nom",
    "Kind": "Type",
    "Source": "Source",
    "Version": "Version",
    "Versions": "Versions",
    "Latest version": "Dernière version",
    "Author": "Auteur",
    "Saved on": "Enregistrée le",
    "Create": "Créer",
    "Save as a new version": "Enregistrer une nouvelle version",
    "Check": "Vérifier",
    "The source compiles.": "La source compile.",
    "Line": "Ligne",
    "Column": "Colonne",
    "Problem": "Problème",
    "Compare": "Comparer",
    "Differences": "Différences",
    "with": "avec",
    "Dry run": "Essai à blanc",
    "Run": "Lancer",
    "Sample events (JSON list)": "Événements d'exemple (liste JSON)",
    "Sample usage (JSON)": "Consommation d'exemple (JSON)",
    "Nothing is billed nor stored.": "Rien n'est facturé ni enregistré.",
    "Event": "Événement",
    "Value": "Valeur",
    "Fields": "Champs",
    "Error": "Erreur",
    "Total": "Total",
    "Quantity": "Quantité",
    "Unit price": "Prix unitaire",
    "Amount": "Montant",
    "Filter": "Filtrer",
    "No SmartCode yet.": "Aucun SmartCode pour l'instant.",
    "Next page": "Page suivante",
    "Valuation (per event)": "Valorisation (par événement)",
    "Pricing (per period)": "Tarification (par période)",
    "Version saved.": "Version enregistrée.",
    "Unchanged: no new version.": "Inchangée : aucune nouvelle version.",
    "Showing version": "Version affichée",
    "Please fix the source.": "Corrigez la source.",
    "On a contract's period": "Sur la période d'un contrat",
    "The contract's stored events (valuation) or its line's usage (pricing) over the period, "
    "or over the line's period containing the day given.": (
        "Les événements enregistrés du contrat (valorisation) ou la consommation de sa ligne "
        "(tarification) sur la période, ou sur la période de la ligne contenant le jour donné."
    ),
    "Contract (id or reference)": "Contrat (id ou référence)",
    "Line key (optional)": "Clé de ligne (facultative)",
    "To (exclusive)": "Au (exclu)",
    "Or the period containing": "Ou la période contenant le",
    "end excluded": "fin exclue",
    "events valued": "événements valorisés",
    "failed": "en échec",
    "Stored total": "Total enregistré",
    "Stored value": "Valeur enregistrée",
}
