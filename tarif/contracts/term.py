"""Terms, renewals, notice and termination dates: pure functions of the dates passed in.

- The committed term ends `initial_term_months` after the start; an auto-renewing contract then
  renews for `renewal.months` at each term end. Term ends are counted from the start date as the
  anchor (start + 12, + 24… months), never chained: 31 Jan + 1 month = 28/29 Feb, + 2 = 31 Mar.
- A fixed end date is the last term end: nothing renews past it.
- Renewal happens on the term end itself (ends are exclusive), driven by the date the caller
  passes (the billing run's date), never by wall time.
- Notice: to end on day E, notice must be given on or before `notice_deadline(E)`, which is E
  minus the notice period (12-month term from 15 Jan 2026 ends 15 Jan 2027; one month of notice
  makes the deadline 15 Dec 2026). Every other notice rule derives from this one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tarif.contracts.dates import ONE_DAY, add_months, last_day, shift_back, shift_forward
from tarif.contracts.model import ContractTerms, NoticePeriod
from tarif.errors import InvalidInput


def term_ends(terms: ContractTerms) -> Iterator[date]:
    """Every term end in order (endless for an auto-renewing evergreen contract)."""
    months = terms.initial_term_months
    if months is not None:
        step = terms.renewal.months
        count = 0
        while True:
            end = add_months(terms.start_date, months + count * (step or 0))
            if terms.end_date is not None and end >= terms.end_date:
                break
            yield end
            if step is None:
                break
            count += 1
    if terms.end_date is not None:
        yield terms.end_date


@dataclass(frozen=True)
class TermState:
    """The term running on a day: how many renewals happened so far, and its bounds."""

    renewals: int
    start: date
    end: date | None  # None: evergreen and no longer committed


def term_as_of(terms: ContractTerms, on: date) -> TermState:
    """The term in force on `on` (a day before the start reports the first term)."""
    start, passed = terms.start_date, 0
    for end in term_ends(terms):
        if on < end:
            return TermState(_renewals(terms, passed), start, end)
        start, passed = end, passed + 1
    return TermState(_renewals(terms, passed), start, None)


def _renewals(terms: ContractTerms, term_ends_passed: int) -> int:
    # Only an auto-renewing contract renews; a fixed end date is never a renewal.
    return term_ends_passed if terms.renewal.auto_renews and terms.end_date is None else 0


def renewals_by(terms: ContractTerms, on: date) -> int:
    """How many automatic renewals have happened by `on` (one on each term end reached)."""
    return term_as_of(terms, on).renewals


def renewal_dates(terms: ContractTerms, after: date, until: date) -> list[date]:
    """The renewals in `(after, until]`: what a billing run on `until` records since the last."""
    if not terms.renewal.auto_renews or terms.end_date is not None:
        return []
    dates = []
    for end in term_ends(terms):
        if end > until:
            break
        if end > after:
            dates.append(end)
    return dates


def current_term_end(terms: ContractTerms, on: date) -> date | None:
    return term_as_of(terms, on).end


def notice_deadline(termination: date, notice: NoticePeriod) -> date:
    """The last day notice can be given to end on `termination` (exclusive end)."""
    return shift_back(termination, notice.months, notice.days)


def earliest_termination(notice_given_on: date, notice: NoticePeriod) -> date:
    """The first day a contract can end when notice is given on `notice_given_on`.

    It is the smallest E with `notice_deadline(E) >= notice_given_on`; clamped month ends make
    it differ from `notice_given_on + notice` by a day or two (notice on 31 Mar with one month:
    ending on 30 Apr needs notice by 30 Mar, so the earliest end is 1 May).
    """
    end = shift_forward(notice_given_on, notice.months, notice.days)
    while notice_deadline(end - ONE_DAY, notice) >= notice_given_on:
        end -= ONE_DAY
    while notice_deadline(end, notice) < notice_given_on:
        end += ONE_DAY
    return end


def termination_at_term_end(terms: ContractTerms, notice_given_on: date) -> date:
    """The first term end still reachable with notice given that day.

    Past the deadline of the current term, an auto-renewing contract ends at the next term end;
    an uncommitted evergreen contract ends as early as the notice allows; a fixed end date is
    never exceeded.
    """
    for end in term_ends(terms):
        if end > notice_given_on and notice_given_on <= notice_deadline(end, terms.notice):
            return end
    earliest = earliest_termination(notice_given_on, terms.notice)
    return earliest if terms.end_date is None else min(earliest, terms.end_date)


def is_early_termination(terms: ContractTerms, termination: date) -> bool:
    """True when the contract ends before the committed term running on its last day ends."""
    committed_end = current_term_end(terms, last_day(termination))
    return committed_end is not None and termination < committed_end


class TerminationMode(StrEnum):
    AT_TERM_END = "at_term_end"
    ON_DATE = "on_date"  # a chosen date respecting notice (or forced by an admin)
    IMMEDIATELY = "immediately"


@dataclass(frozen=True)
class TerminationPlan:
    """When a termination takes effect and what must be recorded about it.

    `effective` is the first day no longer covered. `notice_overridden` marks a forced or
    immediate termination skipping the notice period: the service reserves it to admins and
    records it. `early` says the committed term is cut short (an early-termination fee may apply).
    """

    mode: TerminationMode
    notice_given_on: date
    effective: date
    notice_overridden: bool
    early: bool


def plan_termination(
    terms: ContractTerms,
    *,
    mode: TerminationMode,
    today: date,
    requested: date | None = None,
    forced: bool = False,
) -> TerminationPlan:
    """The termination date for a request made `today`; `InvalidInput` when it is refused."""
    earliest = earliest_termination(today, terms.notice)
    if mode is TerminationMode.AT_TERM_END:
        effective = termination_at_term_end(terms, today)
    elif mode is TerminationMode.IMMEDIATELY:
        effective = today
    elif requested is None:
        raise InvalidInput.on("termination_date", "is required to terminate on a chosen date")
    else:
        effective = requested
        if effective < earliest and not forced:
            # without a notice period, say so plainly (not "no notice of notice given on …")
            given = (
                f"notice given on {today.isoformat()}"
                if terms.notice.is_zero
                else f"{terms.notice} of notice given on {today.isoformat()}"
            )
            raise InvalidInput.on(
                "termination_date",
                f"{given} allows ending on {earliest.isoformat()} at the earliest (last day "
                f"{last_day(earliest).isoformat()}); only an admin may force an earlier date",
            )
    if effective <= terms.start_date:
        raise InvalidInput.on(
            "termination_date",
            f"{effective.isoformat()} is not after the contract start "
            f"{terms.start_date.isoformat()}",
        )
    if terms.end_date is not None and effective > terms.end_date:
        raise InvalidInput.on(
            "termination_date",
            f"the contract already ends after {last_day(terms.end_date).isoformat()}",
        )
    return TerminationPlan(
        mode=mode,
        notice_given_on=today,
        effective=effective,
        notice_overridden=effective < earliest and effective != terms.end_date,
        early=is_early_termination(terms, effective),
    )
