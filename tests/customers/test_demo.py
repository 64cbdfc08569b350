"""The demo customers: valid, one of each tax treatment, loaded once however often it runs."""

from __future__ import annotations

from tarif.audit.models import AuditEvent
from tarif.context import Ctx
from tarif.customers import service
from tarif.customers.demo import load_demo_customers
from tarif.db.repository import PageRequest, scoped
from tarif.demo.records import DEMO_LOADERS


def test_demo_customers_cover_every_tax_treatment_and_load_once(ctx: Ctx) -> None:
    load_demo_customers(ctx)
    events_after_first_load = len(
        list(ctx.session.scalars(scoped(AuditEvent, ctx.organization_id)))
    )
    load_demo_customers(ctx)
    customers = service.list_customers(ctx, PageRequest(limit=100)).items
    seller = service.organization(ctx).country
    treatments = {c.external_id: service.treatment_of(c, seller).value for c in customers}
    assert treatments == {
        "DEMO-BOULANGERIE": "standard",
        "DEMO-ATELIER": "standard",
        "DEMO-FONDATION": "exempt",
        "DEMO-DATENWERK": "reverse_charge",
        "DEMO-ACME": "export",
        "DEMO-CLAIRE": "standard",
    }
    events = list(ctx.session.scalars(scoped(AuditEvent, ctx.organization_id)))
    assert len(events) == events_after_first_load  # the second run wrote nothing
    boulangerie = service.get_by_external_id(ctx, "DEMO-BOULANGERIE")
    assert [c.name for c in service.all_contacts(ctx, boulangerie.id)] == ["Sophie Martin"]
    assert load_demo_customers in DEMO_LOADERS
