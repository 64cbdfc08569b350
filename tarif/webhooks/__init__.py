"""Webhooks: signed notifications of business events to endpoints an organization registers."""
