"""Imports every capability's tables so `Base.metadata` is complete (for Alembic and tests)."""

from __future__ import annotations

from tarif.audit import models as audit_models
from tarif.catalog import models as catalog_models
from tarif.contracts import models as contracts_models
from tarif.coupons import models as coupons_models
from tarif.customers import models as customers_models
from tarif.db.base import Base
from tarif.db.types import bytewise_text_on_postgresql
from tarif.invoicing import models as invoicing_models
from tarif.jobs import models as jobs_models
from tarif.smartcodes import models as smartcodes_models
from tarif.tenancy import models as tenancy_models
from tarif.triggers import alerts_models, items_models
from tarif.triggers import models as triggers_models
from tarif.usage import models as usage_models
from tarif.webhooks import models as webhooks_models

CAPABILITY_MODELS = (
    tenancy_models,
    audit_models,
    customers_models,
    catalog_models,
    contracts_models,
    invoicing_models,
    coupons_models,
    usage_models,
    smartcodes_models,
    jobs_models,
    webhooks_models,
    triggers_models,
    alerts_models,
    items_models,
)

metadata = Base.metadata
bytewise_text_on_postgresql(metadata)
