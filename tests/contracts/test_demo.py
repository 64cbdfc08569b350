"""The demo contracts: loaded after the customers and the catalog, coherent with the clock, once.

The test clock reads 15 Jan 2026 (Paris), so the Growth and SaaS contracts started a year ago on
1 Jan 2025 (the demo pricelist's first day), the others on the first of the previous month,
1 Dec 2025, and the upgrade is due on 1 Feb 2026.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tarif.audit.models import AuditEvent
from tarif.catalog.demo import load_demo_catalog
from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts.demo import load_demo_contracts
from tarif.contracts.models import ContractAmendment, ContractTemplate
from tarif.customers.demo import load_demo_customers
from tarif.db.repository import scoped
from tarif.demo.records import DEMO_LOADERS


def audit_count(ctx: Ctx) -> int:
    stmt = select(func.count()).where(AuditEvent.organization_id == ctx.organization_id)
    return ctx.session.scalar(stmt) or 0


def load(ctx: Ctx) -> None:
    load_demo_customers(ctx)
    load_demo_catalog(ctx)
    load_demo_contracts(ctx)


def lines_of(ctx: Ctx, reference: str, day: date | None = None) -> dict[str, tuple[object, ...]]:
    """Each line as (quantity, unit price, price source, periodicity, timing)."""
    contract = service.find_contract(ctx, reference)
    view = service.show_contract(ctx, contract.id, as_of=day)
    return {
        line.line_key: (
            line.quantity,
            line.unit_price,
            line.price_source.value,
            str(line.periodicity),
            line.timing.value,
        )
        for line in view.terms.lines
    }


def test_the_demo_contracts_come_after_customers_and_catalog() -> None:
    loaders = DEMO_LOADERS
    assert loaders.index(load_demo_contracts) > loaders.index(load_demo_catalog)
    assert loaders.index(load_demo_contracts) > loaders.index(load_demo_customers)


def test_loading_the_demo_twice_changes_nothing(ctx: Ctx) -> None:
    load(ctx)
    events = audit_count(ctx)
    amendments = ctx.session.scalar(
        select(func.count()).select_from(scoped(ContractAmendment, ctx.organization_id).subquery())
    )
    load(ctx)
    assert audit_count(ctx) == events
    assert (
        ctx.session.scalar(
            select(func.count()).select_from(
                scoped(ContractAmendment, ctx.organization_id).subquery()
            )
        )
        == amendments
    )
    names = sorted(
        t.name for t in ctx.session.scalars(scoped(ContractTemplate, ctx.organization_id))
    )
    assert names == ["Growth", "SaaS standard"]


def test_the_demo_covers_the_contracts_finance_teams_meet(ctx: Ctx) -> None:
    load(ctx)
    status = {
        ref: service.find_contract(ctx, ref).status
        for ref in ("GROWTH-001", "SAAS-001", "MIDMONTH-001", "UPGRADE-001", "ENDED-001")
    }
    assert status == {
        "GROWTH-001": "active",
        "SAAS-001": "active",
        "MIDMONTH-001": "active",
        "UPGRADE-001": "active",
        "ENDED-001": "terminated",
    }

    # The seed's own price: 399.00 per month, fixed on the contract, billed in advance.
    assert lines_of(ctx, "GROWTH-001") == {
        "hosting": (1, Decimal("399.00"), "override", "monthly", "in_advance")
    }
    growth = service.show_contract(ctx, service.find_contract(ctx, "GROWTH-001").id)
    assert growth.terms.start_date == date(2025, 1, 1)
    assert growth.terms.template is not None and growth.terms.template.version == 1

    # Monthly, annual and one-off lines on one contract, priced from the demo pricelist; the
    # licence counts the template's 10 seats at 4800.00 a year each.
    assert lines_of(ctx, "SAAS-001") == {
        "hosting": (1, Decimal("399.00"), "pricelist", "monthly", "in_advance"),
        "licence": (10, Decimal("4800.00"), "pricelist", "annual", "in_advance"),
        "setup": (1, Decimal("1500.00"), "pricelist", "one_off", "in_advance"),
    }

    mid_month = service.show_contract(ctx, service.find_contract(ctx, "MIDMONTH-001").id)
    assert mid_month.terms.start_date == date(2026, 1, 15)
    assert mid_month.terms.billing_alignment.value == "calendar"
    # 12 months from 15 Jan 2026: the term ends on 15 Jan 2027 (last day 14 Jan 2027).
    assert mid_month.term.end == date(2027, 1, 15)


def test_the_upgrade_is_scheduled_for_the_first_of_next_month(ctx: Ctx) -> None:
    load(ctx)
    upgrade = service.find_contract(ctx, "UPGRADE-001")
    [amendment] = service.amendment_history(ctx, upgrade.id)
    assert (amendment.row.status, amendment.row.effective_date) == ("scheduled", date(2026, 2, 1))
    assert amendment.diff == ["line hosting: quantity 1 → 3"]
    # Still one server on the last day of January, three from 1 February.
    assert lines_of(ctx, "UPGRADE-001", date(2026, 1, 31))["hosting"][0] == 1
    assert lines_of(ctx, "UPGRADE-001", date(2026, 2, 1))["hosting"][0] == 3


def test_the_terminated_contract_ended_today(ctx: Ctx) -> None:
    load(ctx)
    ended = service.find_contract(ctx, "ENDED-001")
    transitions = service.contract_transitions(ctx, ended.id)
    assert [(t.action, t.effective_date) for t in transitions] == [
        ("submit", date(2025, 12, 1)),
        ("activate", date(2025, 12, 1)),
        ("terminate", date(2026, 1, 15)),
    ]
    # Ending on 15 Jan makes 14 Jan its last day covered, when it was still active.
    assert service.show_contract(ctx, ended.id).terms.end_date == date(2026, 1, 15)
    day_before = service.show_contract(ctx, ended.id, as_of=date(2026, 1, 14))
    assert day_before.status_as_of.value == "active"
