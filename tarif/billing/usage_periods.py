"""Which usage periods of a contract are due for rating as of a day (pure).

A usage line is measured over the periods of its own grid (periodicity and the contract's
alignment, as a fixed line) and billed in arrears: a period is due on its end, or on the line's
end when the contract or the line stops inside it. Rules:

- Versions in a row that keep the line's charge, product, periodicity and start are one stretch:
  a period inside it is rated once, with the whole period's quantity (tiers see all of it).
- When an amendment changes the charge inside a period, the period is cut at the change: each
  part is measured on its own days and rated with the charge then in force, and both parts are
  due on the period's end, so they land on the same invoice. Tiers and free units then count
  per part (stated on the line's explanation); the minimum spend is prorated by days and a
  weighted sum counts a part for its share of the period (`tarif.invoicing.usage_pricing`).
- Suspension does not stop measuring: events are facts, and usage during a suspension is billed.
- A period already rated (the caller passes the `(line_key, start, end)` of stored usage lines)
  is not due again; late events for it are billed as adjustments by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tarif.billing.periods import Period, schedule_of
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.model import ContractLine, ContractTerms

UsageKey = tuple[str, date, date]  # line_key, period start, period end (exclusive)


@dataclass(frozen=True)
class UsageDue:
    """One part of one usage period to measure and rate with `line.charge`."""

    line_key: str
    version: int  # the version whose line (and charge) prices this part
    line: ContractLine
    period: Period  # the days measured
    full_period: Period  # the line's whole period on its grid
    due_on: date

    @property
    def key(self) -> UsageKey:
        return (self.line_key, self.period.start, self.period.end)


@dataclass
class _Stretch:
    version: ContractVersion
    line: ContractLine
    since: date
    until: date


def _pricing_terms(terms: ContractTerms, line: ContractLine) -> tuple[Any, ...]:
    return (
        line.product_id,
        line.charge,
        line.periodicity,
        terms.line_start(line),
        terms.billing_alignment,
    )


def _stretches(known: Sequence[ContractVersion]) -> dict[str, list[_Stretch]]:
    stretches: dict[str, list[_Stretch]] = {}
    for index, version in enumerate(known):
        until = known[index + 1].effective_from if index + 1 < len(known) else date.max
        for line in version.terms.lines:
            if line.unit_price is not None:
                continue  # a fixed line: `charges_as_of` bills it
            runs = stretches.setdefault(line.line_key, [])
            previous = runs[-1] if runs else None
            if (
                previous is not None
                and previous.until == version.effective_from
                and _pricing_terms(previous.version.terms, previous.line)
                == _pricing_terms(version.terms, line)
            ):
                previous.line, previous.until = line, until
                continue
            runs.append(_Stretch(version, line, version.effective_from, until))
    return stretches


def usage_due(
    versions: Sequence[ContractVersion], as_of: date, *, rated: Iterable[UsageKey] = ()
) -> list[UsageDue]:
    """The usage parts due by `as_of` that are not `rated` yet, in due order."""
    known = [v for v in versions if v.effective_from <= as_of]
    if not known:
        return []
    done = set(rated)
    result: list[UsageDue] = []
    for line_key, stretches in _stretches(known).items():
        for stretch in stretches:
            schedule = schedule_of(stretch.version.terms, stretch.line)
            # The line's end as the latest version says (a termination moves it).
            latest_line = known[-1].terms.line(line_key)
            line_end = known[-1].terms.line_end(latest_line) if latest_line else stretch.until
            ends = [e for e in (schedule.end, line_end) if e is not None]
            # Nothing after the period that holds `as_of` can be due yet.
            horizon = schedule.full_period(as_of).end
            end = min([stretch.until, horizon, *ends])
            low = max(stretch.since, schedule.start)
            if low >= end:
                continue
            for piece in schedule.slices(low, end):
                due_on = piece.part.end if piece.part.end in ends else piece.full.end
                due = UsageDue(
                    line_key,
                    stretch.version.number,
                    stretch.line,
                    piece.part,
                    piece.full,
                    due_on,
                )
                if due_on <= as_of and due.key not in done:
                    result.append(due)
    result.sort(key=lambda d: (d.due_on, d.line_key, d.period.start))
    return result
