"""The words of the catalog pages: labels of kinds, VAT categories, timings and periodicities,
and their French text (including the rules' fixed error messages, shown under form fields)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from tarif.pricing.spec import ChargeSpec
from tarif.pricing.summary import charge_summary
from tarif.web.i18n import translate

KIND_LABELS = {"recurring": "Recurring", "one_off": "One-off", "usage": "Usage-based"}
VAT_LABELS = {
    "standard": "Standard rate",
    "intermediate": "Intermediate rate",
    "reduced": "Reduced rate",
    "super_reduced": "Super-reduced rate",
    "exempt": "VAT exempt",
}
TIMING_LABELS = {"in_advance": "In advance", "in_arrears": "In arrears"}
NAMED_PERIODICITIES = {
    "one_off": "one-off",
    "daily": "daily",
    "weekly": "weekly",
    "monthly": "monthly",
    "quarterly": "quarterly",
    "semi_annual": "semi-annual",
    "annual": "annual",
    "biennial": "biennial",
}
_EVERY = re.compile(r"every_(\d+)_(days|weeks|months|years)")

FRENCH = {
    # Pages and fields
    "New product": "Nouveau produit",
    "Edit product": "Modifier le produit",
    "New pricelist": "Nouvelle liste de prix",
    "Edit pricelist": "Modifier la liste de prix",
    "Edit price": "Modifier le prix",
    "Product": "Produit",
    "Code": "Code",
    "Name (English)": "Nom (anglais)",
    "Name (French)": "Nom (français)",
    "Description (English)": "Description (anglais)",
    "Description (French)": "Description (français)",
    "Kind": "Type",
    "Unit label": "Unité",
    "e.g. month, call, GB": "ex. mois, appel, Go",
    "Revenue account": "Compte de produits",
    "VAT category": "Catégorie de TVA",
    "Status": "Statut",
    "Active": "Actif",
    "Archived": "Archivé",
    "All": "Tous",
    "Restore": "Restaurer",
    "Delete…": "Supprimer…",
    "Yes, delete": "Oui, supprimer",
    "Delete this product for good?": "Supprimer définitivement ce produit ?",
    "Delete this pricelist and its prices for good?": (
        "Supprimer définitivement cette liste de prix et ses prix ?"
    ),
    "Products priced or sold cannot be deleted: archive them.": (
        "Un produit tarifé ou vendu ne peut pas être supprimé : archivez-le."
    ),
    "A pricelist assigned to customers cannot be deleted.": (
        "Une liste de prix attribuée à des clients ne peut pas être supprimée."
    ),
    "This product is archived: it keeps its prices but is no longer offered.": (
        "Ce produit est archivé : il garde ses prix mais n'est plus proposé."
    ),
    "No product yet.": "Aucun produit pour l'instant.",
    "No product matches.": "Aucun produit ne correspond.",
    "No pricelist yet.": "Aucune liste de prix pour l'instant.",
    "Search by code or name": "Rechercher par code ou nom",
    "Search by name": "Rechercher par nom",
    "First page": "Première page",
    "Prices": "Prix",
    "Not priced in any pricelist yet.": "Ce produit n'a encore de prix dans aucune liste.",
    "Pricelist": "Liste de prix",
    "Currency": "Devise",
    "Valid from": "Valable du",
    "Valid to": "Valable jusqu'au",
    "Validity": "Validité",
    "always": "toujours",
    "open-ended": "sans fin",
    "Default pricelist": "Liste de prix par défaut",
    "Default": "Par défaut",
    "Applies to customers without a pricelist of their own, in its currency.": (
        "S'applique aux clients sans liste de prix attribuée, dans sa devise."
    ),
    "Inclusive dates; leave empty for no limit.": "Dates incluses ; vide = sans limite.",
    "Unit price": "Prix unitaire",
    "Periodicity": "Périodicité",
    "Timing": "Facturation",
    "Price for a customer": "Prix pour un client",
    "Customer (id or external id)": "Client (identifiant ou identifiant externe)",
    "Customer": "Client",
    "On": "Le",
    "Look up": "Chercher",
    "Why": "Pourquoi",
    "A date is required (YYYY-MM-DD).": "Une date est requise (AAAA-MM-JJ).",
    "Recurring products only": "Produits récurrents uniquement",
    "Add a price": "Ajouter un prix",
    "Charge (JSON)": "Tarification variable (JSON)",
    "Usage products only: how the usage is priced (per_unit, graduated, volume, package, "
    "percentage).": (
        "Produits à l'usage uniquement : comment la consommation est tarifée (per_unit, "
        "graduated, volume, package, percentage)."
    ),
    "Add": "Ajouter",
    "Remove": "Retirer",
    "Every product is priced.": "Tous les produits ont un prix.",
    "Price history": "Historique des prix",
    "Yes": "Oui",
    "No": "Non",
    # Labels
    "Recurring": "Récurrent",
    "One-off": "Ponctuel",
    "Usage-based": "À l'usage",
    "Standard rate": "Taux normal",
    "Intermediate rate": "Taux intermédiaire",
    "Reduced rate": "Taux réduit",
    "Super-reduced rate": "Taux particulier",
    "VAT exempt": "Exonéré de TVA",
    "In advance": "À échoir",
    "In arrears": "Terme échu",
    "one-off": "ponctuel",
    "daily": "quotidien",
    "weekly": "hebdomadaire",
    "monthly": "mensuel",
    "quarterly": "trimestriel",
    "semi-annual": "semestriel",
    "annual": "annuel",
    "biennial": "biennal",
    # The rules' fixed messages
    "is required": "obligatoire",
    "unknown field": "champ inconnu",
    "must be true or false": "doit valoir oui ou non",
    "must be zero or more": "doit être positif ou nul",
    "must be a date written YYYY-MM-DD": "date attendue au format AAAA-MM-JJ",
    "is already used by another product": "déjà utilisé par un autre produit",
    "give the product a name in English or in French (or both)": (
        "donnez au produit un nom en anglais ou en français (ou les deux)"
    ),
    "must be one of recurring, one_off, usage": "choisissez récurrent, ponctuel ou à l'usage",
    "use 1 to 60 letters, digits, '.', '_' or '-', starting with a letter or a digit": (
        "1 à 60 lettres, chiffres, « . », « _ » ou « - », en commençant par une lettre ou un "
        "chiffre"
    ),
    "use 1 to 20 letters, digits, '.' or '-' (e.g. 706000)": (
        "1 à 20 lettres, chiffres, « . » ou « - » (ex. 706000)"
    ),
    "valid_to must be on or after valid_from": "la fin doit suivre ou égaler le début",
    "is required for a recurring product": "obligatoire pour un produit récurrent",
    "is required for a recurring product (in_advance or in_arrears)": (
        "obligatoire pour un produit récurrent (à échoir ou terme échu)"
    ),
    "a recurring product needs a repeating periodicity": (
        "un produit récurrent demande une périodicité répétée"
    ),
    "must be empty for a one-off product": "à laisser vide pour un produit ponctuel",
    "must be empty for a usage product": "à laisser vide pour un produit à l'usage",
    "already priced in this pricelist; update that entry": (
        "déjà tarifé dans cette liste ; modifiez ce prix"
    ),
}

_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_US"}
_FRENCH_EVERY = {
    "days": "tous les {n} jours",
    "weeks": "toutes les {n} semaines",
    "months": "tous les {n} mois",
    "years": "tous les {n} ans",
}


@dataclass(frozen=True)
class Labels:
    """Display words in one locale, for the templates."""

    locale: str

    def _options(self, labels: dict[str, str]) -> list[tuple[str, str]]:
        return [(value, translate(self.locale, label)) for value, label in labels.items()]

    def kind_options(self) -> list[tuple[str, str]]:
        return self._options(KIND_LABELS)

    def vat_options(self) -> list[tuple[str, str]]:
        return self._options(VAT_LABELS)

    def timing_options(self) -> list[tuple[str, str]]:
        return self._options(TIMING_LABELS)

    def charge(self, charge: dict[str, Any], currency_code: str) -> str:
        """A stored charge in words: "turnover : 2 % + 0,25 € par transaction"."""
        return charge_summary(ChargeSpec.from_json(charge), currency_code)

    def price(self, value: Decimal, currency_code: str) -> str:
        """A unit price with every decimal it has (0,0025 €), never rounded to the cent."""
        text = format_currency(
            value,
            currency_code,
            locale=_BABEL_LOCALES.get(self.locale, self.locale),
            decimal_quantization=False,
        )
        return text.replace("\u202f", "\u00a0")  # as tarif.money.format_money does

    def name(self, product: Any) -> str:
        """A product's name in the page's language, else in the other one."""
        names = (product.name_fr, product.name_en)
        return next((n for n in (names if self.locale == "fr" else names[::-1]) if n), "")

    def kind(self, value: str) -> str:
        return translate(self.locale, KIND_LABELS.get(value, value))

    def vat(self, value: str) -> str:
        return translate(self.locale, VAT_LABELS.get(value, value))

    def timing(self, value: str | None) -> str:
        return translate(self.locale, TIMING_LABELS[value]) if value else ""

    def periodicity(self, name: str | None) -> str:
        """`monthly` → "monthly" / "mensuel"; `every_2_weeks` → "every 2 weeks" / "toutes les
        2 semaines"."""
        if not name:
            return ""
        if name in NAMED_PERIODICITIES:
            return translate(self.locale, NAMED_PERIODICITIES[name])
        match = _EVERY.fullmatch(name)
        if match is None:
            return name
        count, unit = match.groups()
        if self.locale == "fr":
            return _FRENCH_EVERY[unit].format(n=count)
        return f"every {count} {unit}"
