"""The arithmetic of credit notes: prorating a line, splitting a gross amount over VAT rates.

Pure code (no database). Amounts here are positive magnitudes; the service stores a credit note
with every amount negative.

A credit by gross amount is split over the invoice's VAT rates in proportion of what each rate
has left to credit (its gross when nothing was credited yet), each share rounded HALF_UP to the
minor unit and the last rate taking the remainder, so the shares add up to the amount exactly.
Each share is then turned into a net whose VAT, computed the way every document computes it
(the rate applied to the net, rounded once HALF_UP, EN 16931 BR-CO-17), gives that share back:
100.00 at 20 % → net 100 / 1.2 = 83.333… → 83.33, VAT 83.33 × 20 % = 16.666 → 16.67, and
83.33 + 16.67 = 100.00. Some gross amounts have no such net (at 20 %, a net of 0.02 gives 0.02
gross and 0.03 gives 0.04: nothing gives 0.03); the share then takes the nearest reachable
amount below, so a credit never exceeds what was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tarif.money import Currency, RoundingMode, round_to_minor_unit

HUNDRED = Decimal(100)


def vat_of(net: Decimal, rate: Decimal, money: Currency) -> Decimal:
    """The VAT of a net at a rate in percent, rounded once HALF_UP (BR-CO-17)."""
    return round_to_minor_unit(net * rate / HUNDRED, money, RoundingMode.HALF_UP)


def gross_of(net: Decimal, rate: Decimal, money: Currency) -> Decimal:
    return net + vat_of(net, rate, money)


def net_for_gross(gross: Decimal, rate: Decimal, money: Currency) -> Decimal:
    """The net whose gross (net + its VAT) is `gross`, or the nearest one below when none is.

    `net_for_gross(100.00, 20) == 83.33` (83.33 + 16.67); `net_for_gross(0.03, 20) == 0.02`.
    """
    if gross < 0:
        raise ValueError("a positive gross amount is expected")
    step = Decimal(1).scaleb(-money.minor_unit)
    first = round_to_minor_unit(gross * HUNDRED / (HUNDRED + rate), money, RoundingMode.HALF_UP)
    candidates = [n for n in (first, first - step, first + step) if n >= 0]
    for net in candidates:
        if gross_of(net, rate, money) == gross:
            return net
    below = [n for n in candidates if gross_of(n, rate, money) <= gross]
    return max(below) if below else round_to_minor_unit(Decimal(0), money)


def split_gross(
    amount: Decimal, weights: Sequence[tuple[Decimal, Decimal]], money: Currency
) -> list[tuple[Decimal, Decimal]]:
    """`amount` shared over `(rate, gross)` weights in proportion of the gross, the last share
    taking the remainder so the shares add up to `amount` exactly.

    `split_gross(100, [(20, 300), (5.5, 100)])` → `[(20, 75.00), (5.5, 25.00)]`.
    """
    total = sum((gross for _, gross in weights), Decimal(0))
    if not weights or total <= 0:
        raise ValueError("nothing to share the amount over")
    shares: list[tuple[Decimal, Decimal]] = []
    given = Decimal(0)
    for index, (rate, gross) in enumerate(weights):
        if index == len(weights) - 1:
            share = amount - given
        else:
            share = round_to_minor_unit(amount * gross / total, money, RoundingMode.HALF_UP)
            given += share
        shares.append((rate, share))
    return shares


def prorated_net(
    net: Decimal,
    part: Decimal,
    whole: Decimal,
    money: Currency,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> tuple[Decimal, Decimal]:
    """A line's net for `part` of its `whole` quantity: (full precision, rounded once).

    The whole quantity gives the line's net back exactly, so crediting every line whole cancels
    the invoice to the cent. `prorated_net(399.00, 1, 3, EUR) == (133.00, 133.00)`.
    """
    if whole <= 0 or part <= 0 or part > whole:
        raise ValueError("a part between zero and the whole quantity is expected")
    if part == whole:
        return net, net
    exact = net * part / whole
    return exact, round_to_minor_unit(exact, money, mode)
