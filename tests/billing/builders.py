"""Small builders for billing tests: lines, terms, versions and successive billing runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from tarif.billing.charges import Charge, charges_as_of
from tarif.billing.periods import Period
from tarif.catalog.periodicity import Timing, parse_periodicity
from tarif.catalog.rules import ProductKind
from tarif.contracts.amendments import Amendment, AmendmentStatus, ContractVersion
from tarif.contracts.model import (
    BillingAlignment,
    ContractLine,
    ContractTerms,
    Discount,
    LinePriceSource,
)
from tarif.money import RoundingMode, currency, round_to_minor_unit

CAL = BillingAlignment.CALENDAR
ANNIV = BillingAlignment.ANNIVERSARY
ADVANCE = Timing.IN_ADVANCE
ARREARS = Timing.IN_ARREARS


def line(
    price: str | None = "399.00",
    periodicity: str = "monthly",
    timing: Timing = ADVANCE,
    *,
    key: str = "hosting",
    quantity: str = "1",
    discounts: tuple[Discount, ...] = (),
    kind: ProductKind = ProductKind.RECURRING,
) -> ContractLine:
    return ContractLine(
        line_key=key,
        product_id=f"prd_{key}",
        kind=kind,
        quantity=Decimal(quantity),
        unit_price=None if price is None else Decimal(price),
        price_source=LinePriceSource.OVERRIDE,
        periodicity=parse_periodicity(periodicity),
        timing=timing,
        discounts=discounts,
    )


def terms(
    start: date,
    *lines: ContractLine,
    alignment: BillingAlignment = CAL,
    end: date | None = None,
    code: str = "EUR",
    initial_term_months: int | None = None,
) -> ContractTerms:
    return ContractTerms(
        customer_id="cus_acme",
        reference="C-2026-001",
        currency=code,
        pricelist_id=None,
        start_date=start,
        end_date=end,
        initial_term_months=initial_term_months,
        billing_alignment=alignment,
        lines=lines,
    )


def contract(
    original: ContractTerms, *changes: tuple[date, ContractTerms]
) -> list[ContractVersion]:
    """Version 1 from `original`, then one version per (effective date, new terms)."""
    versions = [ContractVersion(1, original.start_date, original)]
    for number, (effective, new_terms) in enumerate(changes, start=2):
        amendment = Amendment(
            id=f"amd_{number}",
            sequence=number,
            effective_date=effective,
            reason="change",
            author="finance",
            changes=(),
            status=AmendmentStatus.APPLIED,
        )
        versions.append(ContractVersion(number, effective, new_terms, amendment))
    return versions


def with_lines(base: ContractTerms, *lines: ContractLine, end: date | None = None) -> ContractTerms:
    return replace(base, lines=lines, end_date=end if end is not None else base.end_date)


def bill(
    versions: Sequence[ContractVersion],
    runs: Iterable[date],
    *,
    suspensions: Sequence[Period] = (),
    credit_on_termination: bool = True,
) -> list[Charge]:
    """Every charge of successive billing runs, each run seeing what the earlier ones billed."""
    billed: list[Charge] = []
    for as_of in runs:
        billed += charges_as_of(
            versions,
            as_of,
            already_billed=billed,
            suspensions=suspensions,
            credit_on_termination=credit_on_termination,
        )
    return billed


def rounded(amount: Decimal, code: str = "EUR", mode: RoundingMode = RoundingMode.HALF_UP) -> str:
    return str(round_to_minor_unit(amount, currency(code), mode))


def summary(charges: Iterable[Charge], code: str = "EUR") -> list[tuple[date, date, str]]:
    """(start, end, rounded net) per charge, in the order issued."""
    return [(c.period.start, c.period.end, rounded(c.net, code)) for c in charges]
