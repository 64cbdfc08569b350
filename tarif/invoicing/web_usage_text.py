"""French words of the contract's "Usage" section (keys no other module registers)."""

from __future__ import annotations

FRENCH = {
    "Current usage of the contract": "Consommation en cours du contrat",
    "Current period": "Période en cours",
    "Measured so far": "Mesuré jusqu'ici",
    "Measured through": "Mesuré jusqu'au (inclus)",
    "Amount so far": "Montant à ce jour",
    "Billed on": "Facturé le",
    "Events counted": "Événements comptés",
    "Group": "Groupe",
    "No usage line in force on this day.": "Aucune ligne de consommation en vigueur ce jour-là.",
    "Total so far of the current periods": "Total à ce jour des périodes en cours",
    "Nothing is billed: a billing run rates the period once it ends.": (
        "Rien n'est facturé : une facturation valorise la période une fois terminée."
    ),
}
