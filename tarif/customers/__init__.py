"""Customers (who is billed) and their contacts."""
