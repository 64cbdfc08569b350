"""Conflicts between scheduled amendments, found before they are scheduled side by side.

Pure. Two amendments conflict when one would undo or contradict the other whatever their order:
both remove (or add) the same line, one changes a line the other removes earlier (or the same
day), both change the term on the same day, one changes anything on or after the day the other
terminates, or both set the same thing (a line's quantity, price, periodicity or discounts; the
pricelist) on the same day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tarif.contracts.amendments import Amendment
from tarif.contracts.changes import (
    AddLine,
    ChangeCharge,
    ChangeDiscount,
    ChangePeriodicity,
    ChangePrice,
    ChangePricelist,
    ChangeQuantity,
    ChangeTerm,
    RemoveLine,
    Terminate,
)
from tarif.errors import Conflict


@dataclass(frozen=True)
class AmendmentConflict:
    first: Amendment  # the earlier one, by effective date then sequence
    second: Amendment
    reason: str

    def __str__(self) -> str:
        return f"amendments {self.first.id} and {self.second.id} conflict: {self.reason}"


def conflicts(amendments: Sequence[Amendment]) -> list[AmendmentConflict]:
    """Every conflicting pair among `amendments` (usually the scheduled ones plus a new one)."""
    ordered = sorted(amendments, key=lambda a: a.order)
    found = []
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            found += [AmendmentConflict(first, second, r) for r in _reasons(first, second)]
    return found


def refuse_conflicts(candidate: Amendment, scheduled: Sequence[Amendment]) -> None:
    """Raise `Conflict` naming both amendments when the candidate conflicts with a scheduled one."""
    others = [a for a in scheduled if a.id != candidate.id]
    clashes = [
        c for c in conflicts([*others, candidate]) if candidate.id in (c.first.id, c.second.id)
    ]
    if clashes:
        raise Conflict("; ".join(str(c) for c in clashes))


def _removed(amendment: Amendment) -> set[str]:
    return {c.line_key for c in amendment.changes if isinstance(c, RemoveLine)}


def _added(amendment: Amendment) -> set[str]:
    keys = {c.line.line_key for c in amendment.changes if isinstance(c, AddLine)}
    return keys | {
        c.fee_line.line_key for c in amendment.changes if isinstance(c, Terminate) and c.fee_line
    }


_WHAT = {
    ChangeQuantity: "quantity",
    ChangePrice: "price",
    ChangeCharge: "charge",
    ChangePeriodicity: "periodicity",
    ChangeDiscount: "discounts",
}


def _line_settings(amendment: Amendment) -> set[tuple[str, str]]:
    """(line key, what) for every line value the amendment sets."""
    settings = set()
    for change in amendment.changes:
        if isinstance(
            change, ChangeQuantity | ChangePrice | ChangeCharge | ChangePeriodicity | ChangeDiscount
        ):
            settings.add((change.line_key, _WHAT[type(change)]))
        elif isinstance(change, ChangePricelist):
            settings |= {(line_key, "price") for line_key, _ in change.repriced}
    return settings


def _changed_lines(amendment: Amendment) -> set[str]:
    return {line_key for line_key, _ in _line_settings(amendment)}


def _changes_term(amendment: Amendment) -> bool:
    return any(isinstance(c, ChangeTerm | Terminate) for c in amendment.changes)


def _terminates(amendment: Amendment) -> bool:
    return any(isinstance(c, Terminate) for c in amendment.changes)


def _reasons(first: Amendment, second: Amendment) -> list[str]:
    same_day = first.effective_date == second.effective_date
    day = first.effective_date.isoformat()
    reasons = [f"both remove line {key}" for key in sorted(_removed(first) & _removed(second))]
    reasons += [f"both add line {key}" for key in sorted(_added(first) & _added(second))]
    reasons += [
        f"{second.id} changes line {key}, which {first.id} removes on {day}"
        for key in sorted(_removed(first) & _changed_lines(second))
    ]
    if same_day:
        reasons += [
            f"{first.id} changes line {key} on the day {second.id} removes it"
            for key in sorted(_changed_lines(first) & _removed(second))
        ]
        reasons += [
            f"both set the {what} of line {key} on {day}"
            for key, what in sorted(_line_settings(first) & _line_settings(second))
        ]
        if _changes_term(first) and _changes_term(second):
            reasons.append(f"both change the term on {day}")
        pricelists = [
            a for a in (first, second) if any(isinstance(c, ChangePricelist) for c in a.changes)
        ]
        if len(pricelists) == 2:
            reasons.append(f"both change the pricelist on {day}")
    if _terminates(first):
        reasons.append(
            f"{second.id} takes effect on {second.effective_date.isoformat()}, once {first.id} "
            f"has terminated the contract on {day}"
        )
    elif same_day and _terminates(second):
        reasons.append(f"{first.id} changes the contract on the day {second.id} terminates it")
    return reasons
