"""Demo SmartCodes: `billable_minutes` (valuation) and `calls_by_country` (pricing).
Idempotent by code."""

from __future__ import annotations

from tarif.context import Ctx
from tarif.smartcodes import service

BILLABLE_MINUTES = '''\
"""Billable minutes of a call: every started minute counts (61 s -> 2 min)."""
import math


def value(event):
    seconds = event.properties["duration"]
    return math.ceil(seconds / 60)
'''

CALLS_BY_COUNTRY = '''\
"""Calls priced by destination country: minutes per country from the usage's groups."""
from decimal import Decimal

# Price of a minute by destination country (EUR); other countries at the default rate.
RATES = {"FR": Decimal("0.02"), "BE": Decimal("0.05"), "DE": Decimal("0.05"), "US": Decimal("0.09")}
DEFAULT_RATE = Decimal("0.25")


def price(usage, contract):
    lines = []
    for country in sorted(usage.groups):
        minutes = usage.groups[country]
        lines.append({
            "description": f"Appels vers {country}",
            "quantity": minutes,
            "unit_price": RATES.get(country, DEFAULT_RATE),
        })
    return lines
'''

DEMO_SMARTCODES = (
    {
        "code": "billable_minutes",
        "name": "Billable minutes (started minute)",
        "kind": "valuation",
        "source": BILLABLE_MINUTES,
    },
    {
        "code": "calls_by_country",
        "name": "Calls priced by destination country",
        "kind": "pricing",
        "source": CALLS_BY_COUNTRY,
    },
)


def load_demo_smartcodes(ctx: Ctx) -> None:
    for data in DEMO_SMARTCODES:
        if service.find_by_code(ctx, data["code"]) is None:
            service.create_smartcode(ctx, data)
