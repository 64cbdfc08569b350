"""Minimum commitments: the top-up that brings what a line billed up to its agreed minimum.

A line's `MinimumCommitment(amount, periodicity)` is a minimum per commitment period:

- with a periodicity, the periods of that periodicity on the line's grid (same alignment, same
  start as its billing: a quarterly minimum on a calendar line runs 1 Jan/Apr/Jul/Oct);
- without one, each committed term of the contract (`tarif.contracts.term`), as the terms stood
  before a termination cut them; past the committed term, an evergreen contract that does not
  renew has no term, hence no minimum.

A line that starts or ends inside a commitment period owes the minimum × days in force ÷ days of
the whole commitment period. The top-up is that minimum less what the line billed net for the
days of the period (charges and credits, after discounts, each apportioned by its days), never
below zero. It is due in arrears, at the end of the commitment period (or the line's end), or
later when the line's own billing of the period's last day is due later (a monthly minimum on a
quarterly line billed in arrears waits for the quarter's charge).

"What was billed" is an input (`top_ups(periods, billed)`), so usage lines, priced elsewhere,
can feed it the same way fixed lines do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from tarif.billing.periods import ONE_DAY, Period, Schedule, Slice
from tarif.billing.proration import PRECISION, prorate
from tarif.catalog.periodicity import Timing
from tarif.contracts.model import ContractLine, ContractTerms, MinimumCommitment
from tarif.contracts.term import term_ends

ZERO = Decimal(0)


@dataclass(frozen=True)
class CommitmentPeriod:
    """The `part` of the `full` commitment period the line is in force, and what it owes."""

    part: Period
    full: Period
    commitment: MinimumCommitment
    minimum: Decimal  # commitment.amount prorated to `part`
    due_on: date


@dataclass(frozen=True)
class TopUp:
    period: CommitmentPeriod
    billed: Decimal
    amount: Decimal  # minimum − billed, never negative


def commitment_grid(
    commitment: MinimumCommitment,
    terms: ContractTerms,
    line: ContractLine,
    *,
    committed: ContractTerms | None = None,
    until: date,
) -> list[Slice]:
    """The commitment periods of a line that start before `until`, cut to the line's dates.

    `terms` give the line's dates and alignment; `committed` (the terms as they stood before a
    termination, `terms` when empty) give the committed terms of a per-term minimum.
    """
    start = terms.line_start(line)
    end = terms.line_end(line)
    high = until if end is None else min(until, end)
    if commitment.periodicity is not None:
        schedule = Schedule(commitment.periodicity, terms.billing_alignment, start, end)
        return schedule.slices(start, high)
    result: list[Slice] = []
    for full in _terms_of(committed or terms):
        if full.start >= high:
            break
        low, top = max(full.start, start), min(full.end, high)
        if low < top:
            result.append(Slice(Period(low, top), full))
    return result


def _terms_of(terms: ContractTerms) -> Iterator[Period]:
    low = terms.start_date
    for high in term_ends(terms):
        if low < high:
            yield Period(low, high)
        low = high


def prorated_minimum(commitment: MinimumCommitment, piece: Slice) -> Decimal:
    """The minimum owed for `piece`: amount × days in force ÷ days of the commitment period."""
    return prorate(commitment.amount, piece.part, piece.full)


def due_on(piece: Slice, billing: Schedule, timing: Timing) -> date:
    """The period's end (the line's end when it cuts it), or later when the line bills its
    last day later (in arrears, on a longer period)."""
    due = piece.part.end
    if timing is Timing.IN_ARREARS and not billing.periodicity.is_one_off:
        full = billing.full_period(piece.part.end - ONE_DAY)
        billed_on = billing.end if billing.end is not None and billing.end < full.end else full.end
        due = max(due, billed_on)
    return due


def commitment_periods(
    commitment: MinimumCommitment,
    pieces: Iterable[Slice],
    billing: Schedule,
    timing: Timing,
) -> list[CommitmentPeriod]:
    return [
        CommitmentPeriod(
            piece.part,
            piece.full,
            commitment,
            prorated_minimum(commitment, piece),
            due_on(piece, billing, timing),
        )
        for piece in pieces
    ]


def billed_within(billed: Iterable[tuple[Period, Decimal]], period: Period) -> Decimal:
    """What `(days, net)` pieces billed for the days of `period`, each apportioned by its days."""
    total = ZERO
    with localcontext() as context:
        context.prec = PRECISION
        for days, net in billed:
            low, high = max(days.start, period.start), min(days.end, period.end)
            if low >= high:
                continue
            if days.start >= period.start and days.end <= period.end:
                total += net
            else:
                total += net * (high - low).days / days.days
    return total


def top_ups(periods: Sequence[CommitmentPeriod], billed: Mapping[Period, Decimal]) -> list[TopUp]:
    """One top-up per commitment period billed below its minimum (`billed` keyed by the full
    commitment period; a period missing from it billed nothing)."""
    result = []
    for period in periods:
        amount = billed.get(period.full, ZERO)
        short = period.minimum - amount
        if short > 0:
            result.append(TopUp(period, amount, short))
    return result
