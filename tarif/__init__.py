"""Tarif: open-source billing for subscriptions and pay-as-you-go usage."""

__version__ = "0.1.0"
