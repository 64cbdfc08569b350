"""French text of the customers pages, and French wording of the rules' field errors.

The rules speak English (the API's language); the pages show their messages in the user's
language. A message not listed here is shown as it is.
"""

from __future__ import annotations

import re

FRENCH = {
    "New customer": "Nouveau client",
    "Edit customer": "Modifier le client",
    "Customer": "Client",
    "External id": "Identifiant externe",
    "Default: the Tarif id": "Par défaut : l'identifiant Tarif",
    "Kind": "Type",
    "Company": "Entreprise",
    "Person": "Particulier",
    "State / region": "État / région",
    "Invoice e-mails": "E-mails de facturation",
    "Separated by commas": "Séparés par des virgules",
    "Currency": "Devise",
    "Payment terms (days)": "Délai de paiement (jours)",
    "End of month": "Fin de mois",
    "Due at the end of the month": "Échéance en fin de mois",
    "With its country prefix, e.g. FR44732829320": "Avec le préfixe du pays, ex. FR44732829320",
    "Payment terms": "Conditions de paiement",
    "days": "jours",
    "end of month": "fin de mois",
    "Tax status": "Statut TVA",
    "Standard": "Standard",
    "Exempt": "Exonéré",
    "Tax treatment": "Régime de TVA",
    "VAT charged": "TVA facturée",
    "Reverse charge (0 %)": "Autoliquidation (0 %)",
    "Export: no VAT": "Export : sans TVA",
    "VAT exempt": "Exonéré de TVA",
    "Computed from the country, the kind and the VAT number.": (
        "Déduit du pays, du type et du numéro de TVA."
    ),
    "Pricelist": "Liste de prix",
    "None": "Aucune",
    "Notes": "Notes",
    "Metadata": "Métadonnées",
    "One key=value per line": "Une ligne clé=valeur par entrée",
    "Identity": "Identité",
    "Billing address": "Adresse de facturation",
    "Legal ids": "Identifiants légaux",
    "Invoicing": "Facturation",
    "Other": "Autre",
    "Contacts": "Contacts",
    "Add a contact": "Ajouter un contact",
    "Edit contact": "Modifier le contact",
    "Phone": "Téléphone",
    "Add": "Ajouter",
    "Remove": "Retirer",
    "Archived": "Archivé",
    "Restore": "Restaurer",
    "Include archived": "Inclure les archivés",
    "First page": "Première page",
    "Search by name, external id, VAT number or e-mail": (
        "Rechercher par nom, identifiant externe, numéro de TVA ou e-mail"
    ),
    "No customer matches.": "Aucun client ne correspond.",
    "No customer yet.": "Aucun client pour l'instant.",
    "Delete…": "Supprimer…",
    "Delete this customer and its contacts for good?": (
        "Supprimer définitivement ce client et ses contacts ?"
    ),
    "Yes, delete": "Oui, supprimer",
    "Customers with contracts or invoices cannot be deleted: archive them.": (
        "Un client qui a des contrats ou des factures ne peut pas être supprimé : archivez-le."
    ),
    "This customer is archived.": "Ce client est archivé.",
}

_EXACT = {
    "is required": "est obligatoire",
    "unknown field": "champ inconnu",
    "must be text": "doit être du texte",
    "must be true or false": "doit être vrai ou faux",
    "must not contain control characters": "ne doit pas contenir de caractères de contrôle",
    "must be a whole number of days": "doit être un nombre entier de jours",
    "only a company has a VAT number": "seule une entreprise a un numéro de TVA",
    "only a French company (kind 'company', country FR) has one": (
        "réservé aux entreprises françaises (type entreprise, pays FR)"
    ),
    "cannot be removed, only changed": "ne peut pas être retiré, seulement modifié",
    "is not a phone number (digits, spaces, + ( ) . - /)": (
        "n'est pas un numéro de téléphone (chiffres, espaces, + ( ) . - /)"
    ),
    "must be 'company' or 'person'": "doit être « entreprise » ou « particulier »",
    "must be 'standard' or 'exempt'": "doit être « standard » ou « exonéré »",
}

_PATTERNS = [
    (
        r"invalid VAT number '(.*)': .*",
        "numéro de TVA « {0} » invalide (format ou clé de contrôle)",
    ),
    (r"invalid SIREN '(.*)': .*", "SIREN « {0} » invalide (format ou clé de contrôle)"),
    (r"invalid SIRET '(.*)': .*", "SIRET « {0} » invalide (format ou clé de contrôle)"),
    (r"'(.*)' is not an ISO 3166-1 alpha-2 country code", "« {0} » n'est pas un code pays ISO"),
    (r"unknown ISO 4217 currency '(.*)'", "devise ISO 4217 inconnue : « {0} »"),
    (r"unknown time zone '(.*)' .*", "fuseau horaire inconnu : « {0} » (ex. Europe/Paris)"),
    (r"'(.*)' is not an e-mail address", "« {0} » n'est pas une adresse e-mail"),
    (r"must be between 0 and (\d+) days", "doit être compris entre 0 et {0} jours"),
    (r"does not belong to SIREN (\d+)", "n'appartient pas au SIREN {0}"),
    (
        r"a French VAT number ends with the SIREN \((\d+)\)",
        "un numéro de TVA français se termine par le SIREN ({0})",
    ),
    (r"already used by customer (.+)", "déjà utilisé par le client {0}"),
    (r"must have at most (\d+) characters", "doit avoir au plus {0} caractères"),
    (r"line (\d+) is not key=value", "la ligne {0} n'est pas de la forme clé=valeur"),
    (r"at most (\d+) addresses", "au plus {0} adresses"),
    (r"at most (\d+) keys", "au plus {0} clés"),
    (
        r"the pricelist is in (\w+), the customer in (\w+)",
        "la liste de prix est en {0}, le client en {1}",
    ),
    (r"no pricelist '(.*)' in this organization", "aucune liste de prix « {0} » ici"),
    (r"must be '(\w+)' or '(\w+)'", "doit être « {0} » ou « {1} »"),
]
_COMPILED = [(re.compile(pattern), french) for pattern, french in _PATTERNS]


def localize_error(locale: str, message: str) -> str:
    if locale != "fr":
        return message
    if message in _EXACT:
        return _EXACT[message]
    for pattern, french in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            return french.format(*match.groups())
    return message
