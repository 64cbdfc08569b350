"""Invoice totals: each line net rounded once, VAT per rate on the sum of nets (EN 16931 BR-CO-17).

Line nets are rounded to the currency's minor unit in the organization's mode (HALF_UP by default,
HALF_EVEN as an option); the VAT of each rate is the rate applied to the sum of the rounded nets
at that rate, rounded HALF_UP; gross = net + VAT.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tarif.catalog.rules import VatCategory
from tarif.money import RoundingMode, currency, round_to_minor_unit

HUNDRED = Decimal(100)


class VatTreatment(StrEnum):
    DOMESTIC = "domestic"  # French VAT at the product's rate
    REVERSE_CHARGE = "reverse_charge"  # EU business with a valid VAT number: "Autoliquidation"
    EXPORT = "export"  # customer outside the EU: no French VAT


FRENCH_RATES = {
    VatCategory.STANDARD: Decimal("20"),
    VatCategory.INTERMEDIATE: Decimal("10"),
    VatCategory.REDUCED: Decimal("5.5"),
    VatCategory.SUPER_REDUCED: Decimal("2.1"),
    VatCategory.EXEMPT: Decimal("0"),
}


def vat_rate(category: VatCategory, treatment: VatTreatment = VatTreatment.DOMESTIC) -> Decimal:
    """French VAT in percent: 20 / 10 / 5.5 / 2.1, or 0 (exempt, reverse charge, export)."""
    if treatment is not VatTreatment.DOMESTIC:
        return Decimal(0)
    return FRENCH_RATES[category]


@dataclass(frozen=True)
class TaxedLine:
    """A line's net at full precision and its VAT rate in percent (`Decimal("5.5")`)."""

    net: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class VatBreakdown:
    rate: Decimal
    base: Decimal  # sum of the rounded line nets at this rate
    vat: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    currency: str
    line_nets: tuple[Decimal, ...]  # each line net, rounded once, in the order given
    net: Decimal
    vat_by_rate: tuple[VatBreakdown, ...]  # by rate, highest first
    vat: Decimal
    gross: Decimal


def invoice_totals(
    lines: Iterable[TaxedLine], currency_code: str, mode: RoundingMode = RoundingMode.HALF_UP
) -> InvoiceTotals:
    money = currency(currency_code)
    taxed = list(lines)
    nets = tuple(round_to_minor_unit(line.net, money, mode) for line in taxed)
    bases: dict[Decimal, Decimal] = {}
    for line, net in zip(taxed, nets, strict=True):
        # Equal rates share a key whatever their exponent (20 == 20.0).
        rate = line.vat_rate
        bases[rate] = bases.get(rate, Decimal(0)) + net
    breakdown = tuple(
        VatBreakdown(
            rate, base, round_to_minor_unit(base * rate / HUNDRED, money, RoundingMode.HALF_UP)
        )
        for rate, base in sorted(bases.items(), reverse=True)
    )
    net_total = sum(nets, Decimal(0))
    vat_total = sum((b.vat for b in breakdown), Decimal(0))
    zero = round_to_minor_unit(Decimal(0), money)
    return InvoiceTotals(
        currency_code,
        nets,
        net_total + zero,
        breakdown,
        vat_total + zero,
        net_total + vat_total + zero,
    )
