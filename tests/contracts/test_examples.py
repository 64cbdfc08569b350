"""The examples of docs/contracts.md, checked so the documentation cannot drift."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tarif.catalog.periodicity import Timing, parse_periodicity
from tarif.catalog.rules import ProductKind
from tarif.contracts.amendments import Amendment, amend, as_of, confirm, versions_from
from tarif.contracts.changes import ChangePrice, ChangeQuantity, Terminate
from tarif.contracts.dates import exclusive_end
from tarif.contracts.diff import diff
from tarif.contracts.model import (
    BillingAlignment,
    ContractLine,
    ContractTerms,
    LinePriceSource,
    NoticePeriod,
    RenewalPolicy,
)
from tarif.contracts.rules import validate_terms
from tarif.contracts.term import (
    TerminationMode,
    current_term_end,
    notice_deadline,
    plan_termination,
    termination_at_term_end,
)

HOSTING = ContractLine(
    line_key="hosting",
    product_id="prd_hosting_growth",
    kind=ProductKind.RECURRING,
    quantity=Decimal(1),
    unit_price=Decimal("399.00"),
    price_source=LinePriceSource.OVERRIDE,
    periodicity=parse_periodicity("monthly"),
    timing=Timing.IN_ADVANCE,
    description="Growth hosting",
)
GROWTH = ContractTerms(
    customer_id="cus_acme",
    reference="C-2026-001",
    currency="EUR",
    pricelist_id="pl_eur_2026",
    start_date=date(2026, 1, 1),
    initial_term_months=12,
    renewal=RenewalPolicy.auto(12),
    notice=NoticePeriod(months=1),
    lines=(HOSTING,),
)


def test_growth_contract() -> None:
    assert validate_terms(GROWTH) == []
    # 1 Jan 2026 + 12 months = 1 Jan 2027 (last day 31 Dec 2026); notice by 1 Dec 2026.
    assert current_term_end(GROWTH, date(2026, 6, 1)) == date(2027, 1, 1)
    assert notice_deadline(date(2027, 1, 1), GROWTH.notice) == date(2026, 12, 1)


def test_monthly_annual_one_off_and_usage_lines() -> None:
    lines = (
        HOSTING,
        ContractLine(
            "licence", "prd_licence", ProductKind.RECURRING, Decimal(10), Decimal("120.00"),
            LinePriceSource.PRICELIST, parse_periodicity("annual"), Timing.IN_ADVANCE,
        ),
        ContractLine(
            "setup", "prd_setup", ProductKind.ONE_OFF, Decimal(1), Decimal("500.00"),
            LinePriceSource.PRICELIST, parse_periodicity("one_off"), Timing.IN_ADVANCE,
        ),
        ContractLine(
            "api-calls", "prd_api_calls", ProductKind.USAGE, Decimal(1), None,
            LinePriceSource.PRICELIST, parse_periodicity("monthly"), Timing.IN_ARREARS,
        ),
    )  # fmt: skip
    assert validate_terms(replace(GROWTH, lines=lines)) == []


def test_contract_starting_mid_month() -> None:
    mid_month = replace(
        GROWTH, start_date=date(2026, 1, 15), billing_alignment=BillingAlignment.CALENDAR
    )
    # 15 Jan 2026 + 12 months = 15 Jan 2027 (last day 14 Jan 2027); notice by 15 Dec 2026.
    assert current_term_end(mid_month, date(2026, 1, 15)) == date(2027, 1, 15)
    assert notice_deadline(date(2027, 1, 15), mid_month.notice) == date(2026, 12, 15)


def test_scheduled_upgrade_next_month() -> None:
    today = date(2026, 2, 20)
    upgrade = confirm(
        Amendment(
            id="AM-1",
            sequence=1,
            effective_date=date(2026, 3, 1),
            reason="upgrade to 3 servers",
            author="alice@acme.test",
            changes=(
                ChangeQuantity("hosting", Decimal(3)),
                ChangePrice("hosting", Decimal("379.00")),
            ),
        ),
        today,
    )
    assert upgrade.status == "scheduled"
    versions = amend(versions_from(GROWTH, []), upgrade)
    assert as_of(versions, date(2026, 2, 28)) == versions[0]
    assert as_of(versions, date(2026, 3, 1)) == versions[1]
    assert versions[1].projected
    assert diff(versions[0].terms, versions[1].terms) == [
        "line hosting: quantity 1 → 3",
        "line hosting: unit price 399.00 (override) → 379.00 (override)",
    ]


def test_termination_with_notice() -> None:
    # Notice on 10 Nov 2026 reaches the 1 Jan 2027 term end (deadline 1 Dec 2026).
    assert termination_at_term_end(GROWTH, date(2026, 11, 10)) == date(2027, 1, 1)
    # Notice on 5 Dec 2026 is too late: the contract renews and ends on 1 Jan 2028.
    assert termination_at_term_end(GROWTH, date(2026, 12, 5)) == date(2028, 1, 1)
    # Ending on a chosen day, last day 14 Dec 2026: notice on 10 Nov allows 10 Dec onwards.
    plan = plan_termination(
        GROWTH,
        mode=TerminationMode.ON_DATE,
        today=date(2026, 11, 10),
        requested=exclusive_end(date(2026, 12, 14)),
    )
    assert (plan.effective, plan.notice_overridden, plan.early) == (date(2026, 12, 15), False, True)
    termination = confirm(
        Amendment("AM-2", 2, plan.effective, "customer leaves", "bob@acme.test", (Terminate(),)),
        date(2026, 11, 10),
    )
    versions = amend(versions_from(GROWTH, []), termination)
    assert diff(versions[0].terms, versions[1].terms) == [
        "end date evergreen → 2026-12-14",
        "renewal auto-renew 12 months → no renewal",
    ]
