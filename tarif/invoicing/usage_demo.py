"""The seed case in the demo: a marketplace billed 399.00 a month plus 2 % of its turnover plus
0.25 per transaction, with January 2026's usage on its invoice of 1 February 2026.

The customer "Marché des Créateurs SAS" (DEMO-MARCHE) has a contract from 1 Jan 2026,
calendar-aligned, with the demo catalog's hosting (399.00 monthly in advance) and turnover fee
(the pricelist's charge on the metric `turnover`: 2 % + 0.25 per transaction). January 2026 has
1,200 transactions ingested through the real ingestion path (`tarif.usage.ingest`): 1,000 of
40.00 and 200 of 50.00, 50,000.00 in all. The demo's month-by-month replay
(`tarif.invoicing.demo`, loaded after this) then bills it like every contract; its invoice of
1 Feb 2026 is 399.00 + 1,000.00 + 300.00 = 1,699.00 net, 339.80 VAT, 2,038.80 in all.

Loaded only when the replay will bill it: the organization has no invoice yet (the replay runs
once) and, by the demo's clock, January 2026 is over. Idempotent: the contract is looked up by
reference, events by transaction id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from tarif.catalog import service as catalog
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import ContractCreate, parse
from tarif.customers import service as customers
from tarif.errors import NotFound
from tarif.invoicing.models import Invoice
from tarif.usage.event_rules import parse_event
from tarif.usage.ingest import dumps, ingest

SEED_CUSTOMER: dict[str, Any] = {
    "external_id": "DEMO-MARCHE",
    "legal_name": "Marché des Créateurs SAS",
    "address_line1": "21 rue des Halles",
    "postal_code": "33000",
    "city": "Bordeaux",
    "country": "FR",
    "kind": "company",
    "invoice_emails": ["compta@marche-createurs.example"],
}
SEED_REFERENCE = "MARKET-001"
SEED_START = date(2026, 1, 1)
SEED_BILLED = date(2026, 2, 1)  # January's usage is billed on this day's invoice
TRANSACTIONS = 1_200
BATCH = 1_000


def seed_transactions() -> list[dict[str, Any]]:
    """1,200 January transactions: 1,000 of 40.00 and 200 of 50.00 (40,000 + 10,000 =
    50,000.00), spread over the month's days at noon UTC (afternoon in Paris, same day)."""
    events = []
    for n in range(TRANSACTIONS):
        amount = "40.00" if n < 1_000 else "50.00"
        events.append(
            {
                "transaction_id": f"demo-market-2026-01-{n + 1:04d}",
                "metric": "turnover",
                "customer": SEED_CUSTOMER["external_id"],
                "timestamp": f"2026-01-{1 + n % 31:02d}T12:00:00Z",
                "properties": {"amount": amount},
            }
        )
    return events


def load_demo_usage_contract(ctx: Ctx) -> None:
    if contracts.today(ctx) < SEED_BILLED or _has_invoices(ctx):
        return
    customer = customers.find_by_external_id(ctx, SEED_CUSTOMER["external_id"])
    if customer is None:
        customer = customers.create_customer(ctx, dict(SEED_CUSTOMER))
    if _existing(ctx) is None:
        values = {
            "customer_id": customer.id,
            "reference": SEED_REFERENCE,
            "start_date": SEED_START.isoformat(),
            "billing_alignment": "calendar",
            "lines": [
                {"product_id": catalog.get_product_by_code(ctx, "hosting").id},
                {"product_id": catalog.get_product_by_code(ctx, "turnover-fee").id},
            ],
        }
        contract = contracts.create_contract(ctx, data=parse(ContractCreate, values))
        contracts.submit(ctx, contract.id, on=SEED_START)
        contracts.activate(ctx, contract.id, on=SEED_START)
    events = seed_transactions()
    for first in range(0, len(events), BATCH):
        batch = events[first : first + BATCH]
        # A repeat of a transaction id is answered as a duplicate: loading twice adds nothing.
        ingest(ctx, [parse_event(n, event, dumps) for n, event in enumerate(batch)])


def _has_invoices(ctx: Ctx) -> bool:
    stmt = select(func.count()).where(Invoice.organization_id == ctx.organization_id)
    return bool(ctx.session.scalar(stmt))


def _existing(ctx: Ctx) -> Any:
    try:
        return contracts.find_contract(ctx, SEED_REFERENCE)
    except NotFound:
        return None
