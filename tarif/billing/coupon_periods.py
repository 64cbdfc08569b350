"""Coupon periods: the billing periods of a contract a coupon discounts, and what it takes off each.

A coupon (`tarif.coupons`) discounts the billing periods of a contract, not its invoices. Most
periods are billed by one invoice, but an amendment inside a period bills its prorated credit
and charge on an extra invoice, a line added mid-period bills its first days on one, late usage
is re-rated on a later one: those lines belong to the period already billed. So:

- **Periods.** The invoice that first bills some days of the contract opens a period: from the
  first of those days to the end of the shortest billing period among its lines (a month for
  monthly hosting billed with an annual licence), `cycle` being that billing period's length.
  A line billed later belongs to the period holding its first day, unless that period's cycle
  is longer than the line's own billing period (a month of usage is not part of a year opened
  by an annual licence): then, like a line of days no period holds, it opens a period of its
  own. Lines of one day (one-off lines, fees) belong to the period holding their day.
- **Which periods.** The coupon decides which periods it discounts as they are opened (once: the
  first opened on or after its redemption; repeating: those opened before its end; forever:
  all); every later line of a discounted period is discounted too, and no line of a period it
  does not discount, whatever day that line is billed on.
- **Percentage**: that percentage of every charge of a discounted period on the invoice.
- **Fixed amount**: at most the amount per period, over all its invoices. `taken` is what the
  coupon already takes off the period: its discounts less what credits of the period's days
  gave back. A period's lines on an invoice get what is left of the amount, capped at their
  base, so a line never goes below zero.

Each case is in docs/discounts.md ("Coupons discount periods, not invoices").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tarif.billing.invoice_discounts import (
    CoveredLine,
    DiscountPart,
    InvoiceDiscountKind,
    invoice_discount,
)
from tarif.billing.periods import Period
from tarif.money import Currency, RoundingMode

# Months have 28 to 31 days: billing periods within this many days of each other are alike.
SLACK_DAYS = 3


@dataclass(frozen=True)
class Billed:
    """A contract line on an invoice, as a coupon sees it: the days it bills and the full
    period of its line they belong to."""

    period: Period
    full_period: Period


@dataclass(frozen=True)
class CouponPeriod:
    """A billing period of a contract: its days, the length of the billing period that ends
    it, and the billing date of the invoice that opened it."""

    days: Period
    cycle: int
    opened_on: date


def holds(period: CouponPeriod, line: Billed) -> bool:
    """Whether `line` belongs to `period`: its first day is one of the period's days, and the
    period is not of a longer cycle than the line's own."""
    if not period.days.start <= line.period.start < period.days.end:
        return False
    own = line.full_period.days
    return own <= 1 or period.cycle <= own + SLACK_DAYS


def period_of(periods: Sequence[CouponPeriod], line: Billed) -> int | None:
    """The index of the period `line` belongs to, None when none holds it. Of several, the one
    of the longest cycle (an annual line's change belongs to the year, not to the month it
    falls in), then the latest opened."""
    found: int | None = None
    for index, period in enumerate(periods):
        if holds(period, line) and (found is None or period.cycle >= periods[found].cycle):
            found = index
    return found


def place(periods: list[CouponPeriod], lines: Sequence[Billed], billing_date: date) -> list[int]:
    """The period of each line of an invoice billed on `billing_date`. Lines no period holds
    open new ones, appended to `periods`: from the first of their days to the end of the
    shortest full period holding that day (one-day lines count only when alone)."""
    placed = [period_of(periods, line) for line in lines]
    fresh = [i for i, index in enumerate(placed) if index is None]
    while fresh:
        start = min(lines[i].period.start for i in fresh)
        holding = [
            lines[i]
            for i in fresh
            if lines[i].full_period.start <= start < lines[i].full_period.end
        ] or [
            Billed(lines[i].period, lines[i].period)
            for i in fresh
            if lines[i].period.start == start
        ]
        recurring = [line for line in holding if line.full_period.days > 1] or holding
        ends = min(recurring, key=lambda line: (line.full_period.end, line.full_period.days))
        opened = CouponPeriod(
            Period(start, ends.full_period.end), ends.full_period.days, billing_date
        )
        periods.append(opened)
        for i in fresh:
            if opened.days.start <= lines[i].period.start < opened.days.end:
                placed[i] = len(periods) - 1
        fresh = [i for i in fresh if placed[i] is None]
    return [index for index in placed if index is not None]  # every line is placed by now


def replay(history: Iterable[tuple[date, Sequence[Billed]]]) -> list[CouponPeriod]:
    """The periods of a contract from the lines already billed, by billing date."""
    periods: list[CouponPeriod] = []
    for billing_date, lines in sorted(history, key=lambda entry: entry[0]):
        place(periods, lines, billing_date)
    return periods


@dataclass(frozen=True)
class CouponTake:
    """What a coupon takes off some lines of an invoice: `period` is the period whose amount it
    uses (for a percentage, the one opened by the invoice when there is one), `adjustment`
    that this period was discounted before (the take completes it), `lines` the indexes of
    the covered lines it reduces."""

    period: int
    adjustment: bool
    lines: tuple[int, ...]
    parts: tuple[DiscountPart, ...]


def coupon_takes(
    kind: InvoiceDiscountKind,
    value: Decimal,
    money: Currency,
    mode: RoundingMode,
    covered: Sequence[CoveredLine],
    placed: Sequence[int],
    discounted: Collection[int],
    opened: Collection[int],
    taken: Mapping[int, Decimal],
) -> list[CouponTake]:
    """The discount of one coupon over a contract's `covered` lines on an invoice (charges, not
    credits; `placed` their periods): a percentage in one take over every line of a
    `discounted` period; a fixed amount one take per discounted period, of what `taken` left
    of the amount for it. Periods `opened` by this invoice come first."""
    ordered = sorted({p for p in placed if p in discounted}, key=lambda p: (p not in opened, p))
    if not ordered:
        return []
    if kind is InvoiceDiscountKind.PERCENTAGE:
        indexes = tuple(i for i, p in enumerate(placed) if p in discounted)
        parts = invoice_discount([covered[i] for i in indexes], kind, value, money, mode)
        first = ordered[0]
        return [CouponTake(first, first not in opened, indexes, parts)] if parts else []
    takes = []
    for period in ordered:
        left = value - taken.get(period, Decimal(0))
        if left <= 0:
            continue
        indexes = tuple(i for i, p in enumerate(placed) if p == period)
        parts = invoice_discount([covered[i] for i in indexes], kind, left, money, mode)
        if parts:
            takes.append(CouponTake(period, period not in opened, indexes, parts))
    return takes
