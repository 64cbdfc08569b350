"""Demo templates and contracts: the "Growth" contract at the seed's own price, lines of every
periodicity on one contract, a mid-month start, a scheduled upgrade and a terminated contract.

Dates come from the loader's clock, so the demo reads the same whenever it is loaded: the
Growth and SaaS contracts started a year ago (the first of this month, twelve months back), so
the demo shows a year of invoices; the others start on the first of the previous month (never
before the demo pricelist, valid from 1 Jan 2025); the upgrade takes effect on the first of next
month. Idempotent: templates are
looked up by name, contracts by reference; what is there already is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from tarif.catalog import service as catalog
from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts.models import Contract, ContractTemplate
from tarif.contracts.schemas import (
    AmendmentCreate,
    ContractCreate,
    TemplateCreate,
    TemplateInstantiate,
    TransitionCreate,
    parse,
)
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import NotFound

Maker = Callable[[str, str], Contract]
PRICES_FROM = date(2025, 1, 1)  # the demo catalog's pricelist starts then

GROWTH_TEMPLATE: dict[str, Any] = {
    "name": "Growth",
    "description": "Managed hosting at 399.00 per month, billed in advance; usage parts (2 % "
    "of turnover, 0.25 per transaction) come with usage billing.",
    "parameters": [{"name": "start_date", "type": "date", "label": "Start date"}],
    "terms": {
        "start_date": {"param": "start_date"},
        "initial_term_months": 12,
        "renewal_months": 12,
        "notice_months": 1,
    },
    "lines": [
        {
            "line_key": "hosting",
            "product": "hosting",
            "kind": "recurring",
            "quantity": "1",
            "unit_price": "399.00",
            "periodicity": "monthly",
            "timing": "in_advance",
            "description": "Growth hosting",
        }
    ],
}
SAAS_TEMPLATE: dict[str, Any] = {
    "name": "SaaS standard",
    "description": "Hosting every month, a licence per seat every year and a set-up fee.",
    "parameters": [
        {"name": "seats", "type": "int", "default": 5, "label": "Seats"},
        {"name": "start_date", "type": "date", "label": "Start date"},
    ],
    "terms": {
        "start_date": {"param": "start_date"},
        "initial_term_months": 12,
        "renewal_months": 12,
        "notice_months": 2,
    },
    "lines": [
        {"line_key": "hosting", "product": "hosting", "kind": "recurring"},
        {
            "line_key": "licence",
            "product": "licence",
            "kind": "recurring",
            "quantity": {"param": "seats"},
            "periodicity": "annual",
        },
        {"line_key": "setup", "product": "setup", "kind": "one_off"},
    ],
}


def _first_of_previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _first_of_month_a_year_ago(day: date) -> date:
    return date(day.year - 1, day.month, 1)


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _template(ctx: Ctx, values: dict[str, Any]) -> ContractTemplate:
    for found in service.list_templates(ctx, PageRequest(limit=100, q=values["name"])).items:
        if found.name == values["name"]:
            return found
    return service.create_template(ctx, data=parse(TemplateCreate, values))


def _existing(ctx: Ctx, reference: str) -> Contract | None:
    try:
        return service.find_contract(ctx, reference)
    except NotFound:
        return None


def _customer_id(ctx: Ctx, external_id: str) -> str:
    customer = customers.find_by_external_id(ctx, external_id)
    if customer is None:
        raise NotFound(f"demo customer {external_id} is missing: load the customers demo first")
    return customer.id


def _running(ctx: Ctx, contract: Contract, start: date, today: date) -> None:
    """Submitted and activated on its start; a start still to come leaves it pending."""
    service.submit(ctx, contract.id, on=min(start, today))
    if start <= today:
        service.activate(ctx, contract.id, on=start)


def load_demo_contracts(ctx: Ctx) -> None:
    today = service.today(ctx)
    start = max(_first_of_previous_month(today), PRICES_FROM)
    year_ago = max(_first_of_month_a_year_ago(today), PRICES_FROM)
    growth = _template(ctx, GROWTH_TEMPLATE)
    saas = _template(ctx, SAAS_TEMPLATE)
    hosting = catalog.get_product_by_code(ctx, "hosting").id

    def from_template(template: ContractTemplate, parameters: dict[str, Any]) -> Maker:
        def make(customer_id: str, reference: str) -> Contract:
            data = {"customer_id": customer_id, "reference": reference, "parameters": parameters}
            return service.instantiate_template(
                ctx, template.id, data=parse(TemplateInstantiate, data)
            )

        return make

    def plain(**fields: Any) -> Maker:
        def make(customer_id: str, reference: str) -> Contract:
            values = {"customer_id": customer_id, "reference": reference} | fields
            return service.create_contract(ctx, data=parse(ContractCreate, values))

        return make

    # The 15th of this month once reached, else of the previous one: a running mid-month start.
    mid_month = today.replace(day=15) if today.day >= 15 else start.replace(day=15)
    mid_month = max(mid_month, PRICES_FROM.replace(day=15))
    demo: list[tuple[str, str, Maker, date, Callable[[Contract], None] | None]] = [
        (
            "GROWTH-001",
            "DEMO-BOULANGERIE",
            from_template(growth, {"start_date": year_ago.isoformat()}),
            year_ago,
            None,
        ),
        (
            "SAAS-001",
            "DEMO-ATELIER",
            from_template(saas, {"start_date": year_ago.isoformat(), "seats": "10"}),
            year_ago,
            None,
        ),
        (
            "MIDMONTH-001",
            "DEMO-FONDATION",
            plain(
                start_date=mid_month.isoformat(),
                billing_alignment="calendar",
                initial_term_months=12,
                notice_months=1,
                lines=[{"product_id": hosting}],
            ),
            mid_month,
            None,
        ),
        (
            "UPGRADE-001",
            "DEMO-DATENWERK",
            plain(start_date=start.isoformat(), lines=[{"product_id": hosting}]),
            start,
            lambda contract: _schedule_upgrade(ctx, contract, today),
        ),
        (
            "ENDED-001",
            "DEMO-CLAIRE",
            # Credits for days already invoiced go on a credit note, as French practice wants.
            plain(
                start_date=start.isoformat(),
                corrections="credit_note",
                lines=[{"product_id": hosting}],
            ),
            start,
            lambda contract: _terminate(ctx, contract, start, today),
        ),
    ]
    for reference, customer, make, begins, then in demo:
        if _existing(ctx, reference) is not None:
            continue
        contract = make(_customer_id(ctx, customer), reference)
        _running(ctx, contract, begins, today)
        if then is not None:
            then(contract)


def _schedule_upgrade(ctx: Ctx, contract: Contract, today: date) -> None:
    """From one server to three on the first of next month (scheduled until then)."""
    data = {
        "effective_date": _first_of_next_month(today).isoformat(),
        "reason": "Upgrade to 3 servers",
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
        "schedule": True,
    }
    service.create_amendment(ctx, contract.id, data=parse(AmendmentCreate, data))


def _terminate(ctx: Ctx, contract: Contract, start: date, today: date) -> None:
    """Ended today (no notice on this contract); on its first day nothing can end yet."""
    if today <= start:
        return
    data = {"action": "terminate", "mode": "immediately", "reason": "Customer closed the account"}
    service.transition(ctx, contract.id, data=parse(TransitionCreate, data))
