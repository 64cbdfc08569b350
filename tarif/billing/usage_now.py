"""Which usage period of each line is current on a day, and which days of it are measured so
far (pure).

For every usage line of the version in force on `as_of` that runs that day, the current part
is the usage part containing `as_of` exactly as a billing run will cut it (`usage_due`): the
line's period on its grid, cut by the line's start and end and where an amendment changes the
charge. The days measured so far are `[part start, min(as_of + 1 day, part end))`: `as_of`
itself is included, so "as of today" counts today's events received so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tarif.billing.periods import ONE_DAY, Period, schedule_of
from tarif.billing.usage_periods import usage_due
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.amendments import as_of as version_as_of
from tarif.contracts.model import ContractLine


@dataclass(frozen=True)
class CurrentUsage:
    """One usage line's current part on a day and the days of it measured so far."""

    line_key: str
    version: int  # the version whose line (and charge) prices the part
    line: ContractLine
    period: Period  # the part, as the billing run will rate it
    full_period: Period  # the line's whole period on its grid
    measured: Period  # [period.start, min(as_of + 1 day, period.end))
    due_on: date  # when a billing run rates it

    @property
    def complete(self) -> bool:
        """Every day of the part is measured (as_of is its last day or later)."""
        return self.measured == self.period


def current_usage(versions: Sequence[ContractVersion], as_of: date) -> list[CurrentUsage]:
    """The current part of each usage line in force and running on `as_of`, in line order."""
    in_force = version_as_of(versions, as_of)
    if in_force is None:
        return []
    terms = in_force.terms
    result: list[CurrentUsage] = []
    for line in terms.lines:
        if line.unit_price is not None:
            continue  # a fixed line
        start, end = terms.line_start(line), terms.line_end(line)
        if as_of < start or (end is not None and as_of >= end):
            continue
        grid_end = schedule_of(terms, line).full_period(as_of).end
        # Every part due by the grid period's end: the one containing as_of is among them.
        for due in usage_due(versions, grid_end):
            if due.line_key == line.line_key and due.period.start <= as_of < due.period.end:
                measured = Period(due.period.start, min(as_of + ONE_DAY, due.period.end))
                result.append(
                    CurrentUsage(
                        line.line_key,
                        due.version,
                        due.line,
                        due.period,
                        due.full_period,
                        measured,
                        due.due_on,
                    )
                )
                break
    return result
