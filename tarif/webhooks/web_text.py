"""The words of the webhook pages and their French text."""

from __future__ import annotations

STATUS_BADGES = {"pending": "muted", "retrying": "", "delivered": "ok", "failed": "bad"}

FRENCH = {
    "Webhooks": "Webhooks",
    "Webhook endpoints": "Points de réception des webhooks",
    "Webhook endpoint": "Point de réception",
    "New endpoint": "Nouveau point de réception",
    "URL": "URL",
    "Event types": "Types d'événements",
    "Enabled": "Actif",
    "Disabled": "Inactif",
    "Signing secret": "Secret de signature",
    "Rotate the secret": "Changer le secret",
    "Send a test ping": "Envoyer un ping de test",
    "Deliveries": "Envois",
    "Delivery": "Envoi",
    "All deliveries": "Tous les envois",
    "Response": "Réponse",
    "Replay": "Renvoyer",
    "Delivery queued again.": "Envoi relancé.",
    "pending": "à envoyer",
    "retrying": "nouvelle tentative prévue",
    "delivered": "remis",
    "failed": "en échec",
    "No endpoint yet.": "Aucun point de réception pour l'instant.",
    "No delivery yet.": "Aucun envoi pour l'instant.",
    "Attempt log": "Journal des tentatives",
    "How to verify the signature": "Vérifier la signature",
}
