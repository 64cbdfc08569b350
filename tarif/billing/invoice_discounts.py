"""Invoice discounts: a percentage or an amount off a set of invoice lines, one part per VAT rate.

A line discount (`discounts.py`) lowers the price of one contract line period by period. An
invoice discount (a coupon on a contract, a discount typed on a draft) lowers what a set of lines
of one invoice add up to. VAT is computed per rate on the sum of the line nets at that rate
(BR-CO-17), so a discount must say which rate's base it reduces: it becomes one negative line per
VAT rate, at that rate.

Rules:

- The covered base of a rate is the sum of the (rounded) nets of the covered lines at that rate;
  a rate whose base is zero or negative (credits only) is not covered and gets no line.
- **percentage** `p`: each rate's part is its base × p / 100, rounded once to the minor unit.
- **fixed** amount `a`: capped at the total covered base (a discount never takes the invoice
  below zero), then split across the rates in proportion to their bases. Each part is rounded
  down to the minor unit; the cents left over go to the largest base (ties: the higher rate),
  then to the next largest when a part already equals its base, so the parts add up exactly to
  the (capped) amount and no part exceeds its base.
- Parts are returned positive (the amount taken off), highest rate first; the caller stores
  them as negative nets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from tarif.money import Currency, RoundingMode, round_to_minor_unit

HUNDRED = Decimal(100)


class InvoiceDiscountKind(StrEnum):
    PERCENTAGE = "percentage"  # value in percent, 0 < value <= 100
    FIXED = "fixed"  # value is an amount in the invoice's currency


@dataclass(frozen=True)
class CoveredLine:
    """A line an invoice discount covers: its net (rounded as on the invoice) and VAT rate."""

    net: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class DiscountPart:
    """What the discount takes off the base of one VAT rate (positive), and that base."""

    vat_rate: Decimal
    base: Decimal
    amount: Decimal


def covered_bases(lines: Iterable[CoveredLine]) -> dict[Decimal, Decimal]:
    """The positive base of each VAT rate, highest rate first; other rates are left out."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        # Equal rates share a key whatever their exponent (20 == 20.0).
        bases[line.vat_rate] = bases.get(line.vat_rate, Decimal(0)) + line.net
    return {rate: bases[rate] for rate in sorted(bases, reverse=True) if bases[rate] > 0}


def invoice_discount(
    lines: Iterable[CoveredLine],
    kind: InvoiceDiscountKind,
    value: Decimal,
    money: Currency,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> tuple[DiscountPart, ...]:
    """The parts of a discount over `lines`, one per VAT rate with a positive base."""
    if value < 0:
        raise ValueError(f"a discount cannot be negative: {value}")
    if kind is InvoiceDiscountKind.PERCENTAGE and value > HUNDRED:
        raise ValueError(f"a percentage discount is at most 100: {value}")
    bases = {
        rate: round_to_minor_unit(base, money, mode) for rate, base in covered_bases(lines).items()
    }
    bases = {rate: base for rate, base in bases.items() if base > 0}
    if kind is InvoiceDiscountKind.PERCENTAGE:
        parts = {
            rate: min(round_to_minor_unit(base * value / HUNDRED, money, mode), base)
            for rate, base in bases.items()
        }
    else:
        parts = _split(round_to_minor_unit(value, money, mode), bases, money)
    return tuple(DiscountPart(rate, bases[rate], parts[rate]) for rate in bases if parts[rate] > 0)


def _split(
    amount: Decimal, bases: dict[Decimal, Decimal], money: Currency
) -> dict[Decimal, Decimal]:
    total = sum(bases.values(), Decimal(0))
    if total <= 0:
        return {}
    amount = min(amount, total)
    quantum = Decimal(1).scaleb(-money.minor_unit)
    parts = {
        rate: (amount * base / total).quantize(quantum, rounding=ROUND_DOWN)
        for rate, base in bases.items()
    }
    left = amount - sum(parts.values(), Decimal(0))
    # Largest base first (ties: the higher rate); a part never goes beyond its base. Rounding
    # down leaves fewer cents than there are rates, and at least that much room under the bases.
    order = sorted(bases, key=lambda rate: (bases[rate], rate), reverse=True)
    for rate in order:
        step = min(bases[rate] - parts[rate], left)
        parts[rate] += step
        left -= step
    return parts
