"""Plain contract values for the tests: a hosting contract and lines to vary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from tarif.catalog.periodicity import Periodicity, PeriodUnit, Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.model import ContractLine, ContractTerms, LinePriceSource

MONTHLY = Periodicity(PeriodUnit.MONTH)
ANNUAL = Periodicity(PeriodUnit.MONTH, 12)
ONE_OFF = Periodicity.one_off()


def hosting(**fields: Any) -> ContractLine:
    """€399 per month, in advance, from the pricelist."""
    line = ContractLine(
        line_key="hosting",
        product_id="prd_hosting",
        kind=ProductKind.RECURRING,
        quantity=Decimal(1),
        unit_price=Decimal("399.00"),
        price_source=LinePriceSource.PRICELIST,
        periodicity=MONTHLY,
        timing=Timing.IN_ADVANCE,
        description="Hosting",
    )
    return replace(line, **fields)


def licence(**fields: Any) -> ContractLine:
    line = ContractLine(
        line_key="licence",
        product_id="prd_licence",
        kind=ProductKind.RECURRING,
        quantity=Decimal(10),
        unit_price=Decimal("120.00"),
        price_source=LinePriceSource.OVERRIDE,
        periodicity=ANNUAL,
        timing=Timing.IN_ADVANCE,
    )
    return replace(line, **fields)


def setup_fee(**fields: Any) -> ContractLine:
    line = ContractLine(
        line_key="setup",
        product_id="prd_setup",
        kind=ProductKind.ONE_OFF,
        quantity=Decimal(1),
        unit_price=Decimal("500.00"),
        price_source=LinePriceSource.PRICELIST,
        periodicity=ONE_OFF,
        timing=Timing.IN_ADVANCE,
    )
    return replace(line, **fields)


def api_calls(**fields: Any) -> ContractLine:
    line = ContractLine(
        line_key="api-calls",
        product_id="prd_api_calls",
        kind=ProductKind.USAGE,
        quantity=Decimal(1),
        unit_price=None,
        price_source=LinePriceSource.PRICELIST,
        periodicity=MONTHLY,
        timing=Timing.IN_ARREARS,
    )
    return replace(line, **fields)


def contract(**fields: Any) -> ContractTerms:
    """The 'Growth' contract: evergreen from 15 Jan 2026, hosting only."""
    terms = ContractTerms(
        customer_id="cus_1",
        reference="C-2026-001",
        currency="EUR",
        pricelist_id="pl_eur",
        start_date=date(2026, 1, 15),
        lines=(hosting(),),
    )
    return replace(terms, **fields)
