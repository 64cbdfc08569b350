"""The list of capability demo loaders (each takes a Ctx and is idempotent)."""

from __future__ import annotations

from collections.abc import Callable

from tarif.catalog.demo import load_demo_catalog
from tarif.context import Ctx
from tarif.contracts.demo import load_demo_contracts
from tarif.coupons.demo import load_demo_coupons
from tarif.customers.demo import load_demo_customers
from tarif.invoicing.demo import load_demo_invoices
from tarif.smartcodes.demo import load_demo_smartcodes
from tarif.tenancy.documents import load_demo_documents
from tarif.usage.metric_demo import load_demo_metrics

DEMO_LOADERS: list[Callable[[Ctx], None]] = []
DEMO_LOADERS.append(load_demo_customers)
DEMO_LOADERS.append(load_demo_catalog)
DEMO_LOADERS.append(load_demo_contracts)
DEMO_LOADERS.append(load_demo_coupons)
DEMO_LOADERS.append(load_demo_metrics)
DEMO_LOADERS.append(load_demo_smartcodes)
DEMO_LOADERS.append(load_demo_documents)
DEMO_LOADERS.append(load_demo_invoices)  # last: bills the contracts with the documents set
# Before the invoices: the seed case's contract and January events, billed by their replay.
from tarif.invoicing.usage_demo import load_demo_usage_contract  # noqa: E402

DEMO_LOADERS.insert(DEMO_LOADERS.index(load_demo_invoices), load_demo_usage_contract)
# After the invoices: the seed case's usage trigger and alert, set once its months are billed.
from tarif.triggers.demo import load_demo_usage_triggers  # noqa: E402

DEMO_LOADERS.append(load_demo_usage_triggers)
