"""French and English UI text. Keys are the English text; French is looked up, English falls back.

A plain dictionary keeps translations reviewable in one diff; capabilities add their own with
`register`.
"""

from __future__ import annotations

from collections.abc import Mapping

SUPPORTED_LOCALES = ("fr", "en")

_FRENCH: dict[str, str] = {
    "Customers": "Clients",
    "Catalog": "Catalogue",
    "Products": "Produits",
    "Pricelists": "Listes de prix",
    "Contracts": "Contrats",
    "Usage": "Consommation",
    "Invoices": "Factures",
    "Revenue": "Revenus",
    "CRM": "CRM",
    "Payments": "Paiements",
    "Settings": "Paramètres",
    "API keys": "Clés d'API",
    "Audit log": "Journal d'audit",
    "Log in": "Se connecter",
    "Log out": "Se déconnecter",
    "E-mail": "E-mail",
    "Password": "Mot de passe",
    "Wrong e-mail or password": "E-mail ou mot de passe incorrect",
    "Dashboard": "Tableau de bord",
    "Save": "Enregistrer",
    "Cancel": "Annuler",
    "Create": "Créer",
    "Edit": "Modifier",
    "Delete": "Supprimer",
    "Archive": "Archiver",
    "Search": "Rechercher",
    "Next page": "Page suivante",
    "Name": "Nom",
    "Role": "Rôle",
    "Created": "Créée",
    "Last used": "Dernière utilisation",
    "Revoked": "Révoquée",
    "Revoke": "Révoquer",
    "Never": "Jamais",
    "Users": "Utilisateurs",
    "New user": "Nouvel utilisateur",
    "Last login": "Dernière connexion",
    "At least 10 characters": "Au moins 10 caractères",
    "New API key": "Nouvelle clé d'API",
    "Copy this key now: it will not be shown again.": (
        "Copiez cette clé maintenant : elle ne sera plus affichée."
    ),
    "Organization settings": "Paramètres de la société",
    "Legal name": "Raison sociale",
    "Address": "Adresse",
    "Postal code": "Code postal",
    "City": "Ville",
    "Country": "Pays",
    "VAT number": "Numéro de TVA",
    "Default currency": "Devise par défaut",
    "Language": "Langue",
    "Time zone": "Fuseau horaire",
    "Invoice number format": "Format des numéros de facture",
    "Credit note number format": "Format des numéros d'avoir",
    "Rounding mode": "Mode d'arrondi",
    "Saved.": "Enregistré.",
    "Please fix the highlighted fields.": "Veuillez corriger les champs signalés.",
    "Nothing here yet.": "Rien ici pour l'instant.",
    "This part of Tarif is coming soon.": "Cette partie de Tarif arrive bientôt.",
    "When": "Quand",
    "Who": "Qui",
    "Action": "Action",
    "Changes": "Modifications",
    "Object": "Objet",
    "You are not allowed to do this.": "Vous n'avez pas le droit de faire cela.",
    "Not found": "Introuvable",
    "Forbidden": "Accès refusé",
    "Unauthorized": "Non authentifié",
    "Conflict": "Conflit",
    "Invalid input": "Saisie invalide",
    "Bad request": "Requête invalide",
    "Method not allowed": "Méthode non autorisée",
    "Back to the dashboard": "Retour au tableau de bord",
    "Your session expired; please try again.": "Votre session a expiré ; veuillez réessayer.",
    "Billing for subscriptions and usage": "Facturation des abonnements et de la consommation",
    "Organization": "Société",
    "Company": "Entreprise",
    "Billing": "Facturation",
    "Address (line 2)": "Adresse (ligne 2)",
    "Your role may read these settings, not change them.": (
        "Votre rôle permet de lire ces paramètres, pas de les modifier."
    ),
    "Prefix": "Préfixe",
    "admin": "administrateur",
    "finance": "finance",
    "sales": "commercial",
    "read_only": "lecture seule",
    "Coming soon": "Bientôt disponible",
    "Who you bill, their contacts and legal ids": (
        "Qui vous facturez, leurs contacts et identifiants légaux"
    ),
    "What you sell: recurring, one-off or usage-based": (
        "Ce que vous vendez : récurrent, ponctuel ou à la consommation"
    ),
    "Prices per currency and validity range": "Les prix par devise et période de validité",
    "Your company, API keys and audit log": "Votre société, les clés d'API et le journal d'audit",
}

_CATALOGS: dict[str, dict[str, str]] = {"fr": _FRENCH, "en": {}}


def register(locale: str, messages: Mapping[str, str]) -> None:
    """Lets a capability package add its own UI strings."""
    _CATALOGS.setdefault(locale, {}).update(messages)


def translate(locale: str, text: str) -> str:
    return _CATALOGS.get(locale, {}).get(text, text)
