"""Consumption statements: usage detail per invoice or per customer and period (see README)."""
