"""The demo catalog: the products of a small SaaS company and its default EUR pricelist.

Idempotent: products are looked up by code, the pricelist by name and currency, prices by
product; what is already there is left as it is.
"""

from __future__ import annotations

from typing import Any

from tarif.catalog import service
from tarif.catalog.models import Pricelist
from tarif.context import Ctx
from tarif.db.repository import scoped

DEMO_PRODUCTS: list[dict[str, Any]] = [
    {
        "code": "hosting",
        "name_en": "Managed hosting",
        "name_fr": "Hébergement infogéré",
        "kind": "recurring",
        "unit_label": "month",
        "revenue_account": "706100",
    },
    {
        "code": "licence",
        "name_en": "Software licence",
        "name_fr": "Licence logicielle",
        "kind": "recurring",
        "unit_label": "year",
        "revenue_account": "706200",
    },
    {
        "code": "setup",
        "name_en": "Set-up fee",
        "name_fr": "Frais de mise en service",
        "kind": "one_off",
        "revenue_account": "706300",
    },
    {
        "code": "api-calls",
        "name_en": "API calls",
        "name_fr": "Appels d'API",
        "kind": "usage",
        "unit_label": "call",
        "revenue_account": "706400",
    },
    {
        "code": "turnover-fee",
        "name_en": "Turnover fee",
        "name_fr": "Commission sur le chiffre d'affaires",
        "description_en": "Priced per euro of the customer's turnover: 0.02 is 2 %.",
        "description_fr": "Prix par euro de chiffre d'affaires du client : 0,02 vaut 2 %.",
        "kind": "usage",
        "unit_label": "EUR",
        "revenue_account": "706400",
    },
]

DEMO_PRICELIST = {
    "name": "Standard",
    "currency": "EUR",
    "valid_from": "2025-01-01",
    "is_default": True,
}
DEMO_PRICES: dict[str, dict[str, Any]] = {
    "hosting": {"unit_price": "399.00", "periodicity": "monthly", "timing": "in_advance"},
    "licence": {"unit_price": "4800.00", "periodicity": "annual", "timing": "in_advance"},
    "setup": {"unit_price": "1500.00"},
    "api-calls": {
        "unit_price": "0.0025",
        "charge": {"metric": "api_calls", "model": "per_unit", "unit_price": "0.0025"},
    },
    # The product's headline case (docs/charges.md): 2 % of the turnover + 0.25 per transaction.
    "turnover-fee": {
        "unit_price": "0.02",
        "charge": {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"},
    },
}


def load_demo_catalog(ctx: Ctx) -> None:
    product_ids: dict[str, str] = {}
    for values in DEMO_PRODUCTS:
        product = service.find_product_by_code(ctx, values["code"])
        product_ids[values["code"]] = (product or service.create_product(ctx, values)).id
    pricelist = ctx.session.scalars(
        scoped(Pricelist, ctx.organization_id).where(
            Pricelist.name == DEMO_PRICELIST["name"],
            Pricelist.currency == DEMO_PRICELIST["currency"],
        )
    ).first() or service.create_pricelist(ctx, DEMO_PRICELIST)
    for code, terms in DEMO_PRICES.items():
        product_id = product_ids[code]
        entry = service.find_entry_for_product(ctx, pricelist.id, product_id)
        if entry is None:
            service.add_entry(ctx, pricelist.id, {"product_id": product_id, **terms})
        elif entry.charge is None and "charge" in terms:  # a demo loaded before charges existed
            service.update_entry(ctx, pricelist.id, entry.id, {"charge": terms["charge"]})
