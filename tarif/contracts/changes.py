"""The changes an amendment can make, and how a set of them turns terms into new terms.

Pure. `apply_changes(terms, changes, effective)` returns the terms in force from `effective`:
- a quantity, price, periodicity or discount change replaces the value for the whole new version
  (billing prorates between versions, nothing is split here);
- removing a line effective D ends it on D (a line that had not started by D simply goes);
- whatever ends a line (removing it, terminating, an earlier end date) cuts its discounts to the
  end: one starting on or after it goes, one running past it stops there, so the new version
  says what applies and stays valid (`cut_discounts`);
- an added line starts on D unless it says later; it may not start before D;
- terminating effective D ends the contract and its lines on D and stops renewal;
- a discount given without a start is counted from D (or from the line's start if later).
Every problem is reported at once: the changes that cannot be made (`changes.1.line_key`), then
the problems of the terms the others make.
A problem of the resulting terms is named at the change that set the value when there is one (a
quantity of 0 set by change 1 is `changes.1.quantity`, a line added by change 0 with a bad start
is `changes.0.line.start`), else at the terms' own path (`lines.2.end`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from tarif.catalog.periodicity import Periodicity, Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.dates import last_day
from tarif.contracts.model import (
    ContractLine,
    ContractTerms,
    Discount,
    EarlyTerminationFee,
    LinePriceSource,
    NoticePeriod,
    RenewalPolicy,
)
from tarif.contracts.rules import validate_terms
from tarif.errors import ErrorCollector, FieldError, InvalidInput
from tarif.pricing.spec import ChargeSpec


@dataclass(frozen=True)
class AddLine:
    line: ContractLine


@dataclass(frozen=True)
class RemoveLine:
    line_key: str


@dataclass(frozen=True)
class ChangeQuantity:
    line_key: str
    quantity: Decimal


@dataclass(frozen=True)
class ChangePrice:
    """A new unit price: an override, or the pricelist's price looked up by the service."""

    line_key: str
    unit_price: Decimal
    source: LinePriceSource = LinePriceSource.OVERRIDE


@dataclass(frozen=True)
class ChangeCharge:
    """A usage line's new charge: an override, or the pricelist entry's (looked up by the
    service; None when the entry has none, so the entry's charge applies at rating time)."""

    line_key: str
    charge: ChargeSpec | None
    source: LinePriceSource = LinePriceSource.OVERRIDE


@dataclass(frozen=True)
class ChangePeriodicity:
    line_key: str
    periodicity: Periodicity | None = None
    timing: Timing | None = None


@dataclass(frozen=True)
class ChangeDiscount:
    """Replaces the line's discounts (an empty tuple removes them)."""

    line_key: str
    discounts: tuple[Discount, ...]


@dataclass(frozen=True)
class ChangePricelist:
    """Another pricelist; `repriced` holds its prices for the lines priced from the pricelist."""

    pricelist_id: str
    repriced: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class ChangeTerm:
    """Extend or shorten: each field left None is unchanged (an end date is exclusive).

    `no_early_termination_fee` removes the fee; `early_termination_fee` sets a new one.
    """

    end_date: date | None = None
    initial_term_months: int | None = None
    renewal: RenewalPolicy | None = None
    notice: NoticePeriod | None = None
    early_termination_fee: EarlyTerminationFee | None = None
    no_early_termination_fee: bool = False


@dataclass(frozen=True)
class Terminate:
    """End the contract on the effective date, optionally with an early-termination fee line.

    `waive_fee` waives the contract's `early_termination_fee` (an admin's decision).
    """

    fee_line: ContractLine | None = None
    waive_fee: bool = False


Change = (
    AddLine
    | RemoveLine
    | ChangeQuantity
    | ChangePrice
    | ChangeCharge
    | ChangePeriodicity
    | ChangeDiscount
    | ChangePricelist
    | ChangeTerm
    | Terminate
)
LineChange = ChangeQuantity | ChangePrice | ChangeCharge | ChangePeriodicity | ChangeDiscount
TermChange = ChangeTerm | Terminate


class AmendmentRefused(InvalidInput):
    """An amendment that cannot be applied; `errors` names every problem."""


class _Problem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def apply_changes(
    terms: ContractTerms, changes: Sequence[Change], effective: date
) -> ContractTerms:
    """The terms in force from `effective` once every change is made, in the order given."""
    errors = ErrorCollector()
    if effective < terms.start_date:
        errors.add(
            "effective_date",
            f"{effective.isoformat()} is before the contract start {terms.start_date.isoformat()}",
        )
    elif terms.end_date is not None and effective >= terms.end_date:
        errors.add(
            "effective_date",
            f"the contract ends after {last_day(terms.end_date).isoformat()}: nothing can change "
            f"on {effective.isoformat()}",
        )
    if not changes:
        errors.add("changes", "an amendment needs at least one change")
    if errors.errors:
        raise AmendmentRefused(_summary(errors), errors.errors)
    result = terms
    for index, change in enumerate(changes):
        try:
            result = _apply(result, change, effective)
        except _Problem as problem:
            suffix = f".{problem.field}" if problem.field else ""
            errors.add(f"changes.{index}{suffix}", problem.message)
    # A change that could not be made is left out, so what the others made is still checked:
    # one call names every problem.
    errors.errors.extend(_at_changes(validate_terms(result), result, changes))
    if errors.errors:
        raise AmendmentRefused(_summary(errors), errors.errors)
    return result


_FIELDS_SET: dict[type, tuple[str, ...]] = {
    ChangeQuantity: ("quantity",),
    ChangePrice: ("unit_price",),
    ChangeCharge: ("charge",),
    ChangePeriodicity: ("periodicity", "timing"),
    ChangeDiscount: ("discounts",),
}


def _at_changes(
    problems: list[FieldError], terms: ContractTerms, changes: Sequence[Change]
) -> list[FieldError]:
    """`lines.N.<field>` problems renamed to the change that set that field (the last one)."""
    setters: dict[tuple[str, str], str] = {}
    for index, change in enumerate(changes):
        if isinstance(change, AddLine):
            setters[(change.line.line_key, "")] = f"changes.{index}.line"
        elif isinstance(change, LineChange):
            for name in _FIELDS_SET[type(change)]:
                setters[(change.line_key, name)] = f"changes.{index}"
        elif isinstance(change, ChangeTerm) and change.early_termination_fee is not None:
            setters[("", "early_termination_fee")] = f"changes.{index}"
    result = []
    for problem in problems:
        parts = problem.field.split(".")
        if parts[0] == "early_termination_fee" and ("", parts[0]) in setters:
            problem = FieldError(f"{setters[('', parts[0])]}.{problem.field}", problem.message)
        if parts[0] == "lines" and len(parts) > 2 and parts[1].isdigit():
            key = terms.lines[int(parts[1])].line_key
            head = setters.get((key, parts[2])) or setters.get((key, ""))
            if head is not None:
                problem = FieldError(".".join([head, *parts[2:]]), problem.message)
        result.append(problem)
    return result


def _summary(errors: ErrorCollector) -> str:
    details = "; ".join(f"{e.field}: {e.message}" for e in errors.errors)
    return f"The amendment cannot be applied: {details}"


def _apply(terms: ContractTerms, change: Change, effective: date) -> ContractTerms:
    if isinstance(change, AddLine):
        return _add_line(terms, change.line, effective)
    if isinstance(change, RemoveLine):
        line = _running_line(terms, change.line_key, effective)
        if terms.line_start(line) >= effective:
            return terms.without_line(line.line_key)
        return terms.with_line(_cut(replace(line, end=effective), effective))
    if isinstance(change, ChangePricelist):
        return _change_pricelist(terms, change, effective)
    if isinstance(change, ChangeTerm):
        return _change_term(terms, change, effective)
    if isinstance(change, Terminate):
        return _terminate(terms, change, effective)
    return terms.with_line(_change_line(terms, change, effective))


def _running_line(terms: ContractTerms, line_key: str, effective: date) -> ContractLine:
    line = terms.line(line_key)
    if line is None:
        raise _Problem("line_key", f"the contract has no line '{line_key}'")
    end = terms.line_end(line)
    if end is not None and end <= effective:
        raise _Problem(
            "line_key", f"line '{line_key}' ended after {last_day(end).isoformat()} already"
        )
    return line


def _add_line(terms: ContractTerms, line: ContractLine, effective: date) -> ContractTerms:
    if terms.line(line.line_key) is not None:
        raise _Problem("line.line_key", f"'{line.line_key}' is already a line of this contract")
    if line.start is not None and line.start < effective:
        raise _Problem(
            "line.start",
            f"an added line starts on or after the amendment's date {effective.isoformat()}",
        )
    return terms.with_line(replace(line, start=line.start or effective))


def _change_line(terms: ContractTerms, change: LineChange, effective: date) -> ContractLine:
    line = _running_line(terms, change.line_key, effective)
    if isinstance(change, ChangeQuantity):
        return replace(line, quantity=change.quantity)
    if isinstance(change, ChangePrice):
        if line.kind is ProductKind.USAGE:
            raise _Problem("unit_price", "a usage line is priced by its charge, not a unit price")
        return replace(line, unit_price=change.unit_price, price_source=change.source)
    if isinstance(change, ChangeCharge):
        if line.kind is not ProductKind.USAGE:
            raise _Problem("charge", "only usage lines have a charge")
        return replace(line, charge=change.charge, price_source=change.source)
    if isinstance(change, ChangePeriodicity):
        if change.periodicity is None and change.timing is None:
            raise _Problem("", "give a new periodicity, a new timing or both")
        return replace(
            line,
            periodicity=change.periodicity or line.periodicity,
            timing=change.timing or line.timing,
        )
    counted_from = max(effective, terms.line_start(line))
    discounts = tuple(replace(d, start=d.start or counted_from) for d in change.discounts)
    return replace(line, discounts=discounts)


def _change_pricelist(
    terms: ContractTerms, change: ChangePricelist, effective: date
) -> ContractTerms:
    if not change.pricelist_id.strip():
        raise _Problem("pricelist_id", "is required")
    result = replace(terms, pricelist_id=change.pricelist_id)
    for index, (line_key, price) in enumerate(change.repriced):
        try:
            line = _running_line(result, line_key, effective)
        except _Problem as problem:
            raise _Problem(f"repriced.{index}", problem.message) from None
        if line.price_source is not LinePriceSource.PRICELIST or line.unit_price is None:
            raise _Problem(
                f"repriced.{index}", f"line '{line_key}' does not take its price from a pricelist"
            )
        result = result.with_line(replace(line, unit_price=price))
    return result


def _change_term(terms: ContractTerms, change: ChangeTerm, effective: date) -> ContractTerms:
    if change == ChangeTerm():
        raise _Problem(
            "", "give a new end date, initial term, renewal, notice or early-termination fee"
        )
    result = terms
    if change.no_early_termination_fee:
        result = replace(result, early_termination_fee=None)
    if change.early_termination_fee is not None:
        result = replace(result, early_termination_fee=change.early_termination_fee)
    if change.initial_term_months is not None:
        result = replace(result, initial_term_months=change.initial_term_months)
    if change.renewal is not None:
        result = replace(result, renewal=change.renewal)
    if change.notice is not None:
        result = replace(result, notice=change.notice)
    end = change.end_date
    if end is None:
        return result
    if end <= effective:
        raise _Problem(
            "end_date", "must be after the amendment's date (to end on that date, terminate)"
        )
    late = [line.line_key for line in terms.lines if terms.line_start(line) >= end]
    if late:
        raise _Problem(
            "end_date",
            f"line(s) {', '.join(late)} would start after the new last day "
            f"{last_day(end).isoformat()}: remove them first",
        )
    result = replace(result, end_date=end)
    if terms.end_date is not None and end > terms.end_date:
        # Extended: nothing ends, and a discount running past the old end keeps running.
        return result
    return _end_on(result, end)


def _terminate(terms: ContractTerms, change: Terminate, effective: date) -> ContractTerms:
    result = _end_on(replace(terms, end_date=effective, renewal=RenewalPolicy()), effective)
    if change.fee_line is None:
        return result
    # The fee is billed once, on the last day the contract covers.
    fee = replace(change.fee_line, start=change.fee_line.start or last_day(effective))
    if result.line(fee.line_key) is not None:
        raise _Problem("fee_line.line_key", f"'{fee.line_key}' is already a line of this contract")
    return result.with_line(fee)


def _end_on(terms: ContractTerms, end: date) -> ContractTerms:
    """Lines cut at the contract's new end; lines that would start on or after it go. A line
    with no end of its own follows the contract's: only its discounts are cut."""
    lines = tuple(
        line
        if line.end is not None and line.end <= end  # ended before: nothing of it changes
        else _cut(line if line.end is None else replace(line, end=end), end)
        for line in terms.lines
        if terms.line_start(line) < end
    )
    return replace(terms, lines=lines)


def _cut(line: ContractLine, end: date) -> ContractLine:
    """`line`, ending on `end`, with its discounts cut there."""
    discounts = cut_discounts(line.discounts, end)
    return line if discounts == line.discounts else replace(line, discounts=discounts)


def cut_discounts(discounts: Sequence[Discount], end: date) -> tuple[Discount, ...]:
    """A line's discounts once the line ends on `end` (exclusive): one starting on or after it
    goes, one whose `until` is later stops at it; the others (counted in periods, open-ended,
    over before) stay as they are.

    The days after an end are never billed, so nothing is priced differently; but a discount
    left starting after its line's end is invalid terms, which would refuse the termination
    itself, and one running past it would say more than the contract now does."""
    kept = []
    for discount in discounts:
        if discount.start is not None and discount.start >= end:
            continue
        if discount.until is not None and discount.until > end:
            discount = replace(discount, until=end)
        kept.append(discount)
    return tuple(kept)
