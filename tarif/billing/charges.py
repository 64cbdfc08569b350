"""What a contract owes as of a day: charges and credits, line by line, period by period.

The rule is a reconciliation, so billing twice never bills twice. For each line and each version
of its terms, the days that *should* be billed by now (due periods, minus suspensions, cut to the
line's dates and to the days that version was in force) are compared with the days already
billed under that version (`already_billed`, the charges returned by earlier runs):

- due days not billed yet → a charge (an *adjustment* when its period was already billed in
  part, e.g. the new price after a mid-period upgrade);
- billed days that should no longer be billed under that version (a later version took over, a
  suspension, a termination) → a credit, prorated like the charge it cancels.

In advance a period is due on its start; in arrears on its end (or on the line's end when that
cuts it). So a mid-period change billed in advance gives a credit for the unused days of the old
version and a charge for the remaining days of the new one; in arrears each version is billed for
the days it was in force. Consecutive versions whose line terms are the same for billing count
as one, so an amendment that changes something else does not credit and re-charge a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tarif.billing.commitments import (
    CommitmentPeriod,
    billed_within,
    commitment_grid,
    commitment_periods,
    top_ups,
)
from tarif.billing.discounts import apply_discounts, discount_pieces
from tarif.billing.fees import early_termination_fee
from tarif.billing.periods import (
    ONE_DAY,
    Period,
    Ranges,
    Schedule,
    Slice,
    normalized,
    schedule_of,
    subtract,
)
from tarif.billing.proration import prorate
from tarif.catalog.periodicity import Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.amendments import ContractVersion
from tarif.contracts.changes import Terminate, cut_discounts
from tarif.contracts.dates import last_day
from tarif.contracts.model import ContractLine, ContractTerms, Discount, LinePriceSource
from tarif.money import currency, round_to_minor_unit


class ChargeKind(StrEnum):
    CHARGE = "charge"
    CREDIT = "credit"
    MINIMUM = "minimum"  # a minimum commitment's top-up (`tarif.billing.commitments`)
    FEE = "fee"  # an early-termination fee (`tarif.billing.fees`)
    USAGE = "usage"  # a usage line's rated amount (`tarif.invoicing.usage_rating`)


# The kinds that bill a line's days; the others are amounts reconciled on their own.
DAY_KINDS = (ChargeKind.CHARGE, ChargeKind.CREDIT)


@dataclass(frozen=True)
class Charge:
    """One billable piece with its origin. `net` is full precision, negative for a credit."""

    line_key: str
    version: int
    amendment_id: str | None
    kind: ChargeKind
    period: Period
    full_period: Period
    due_on: date
    quantity: Decimal
    unit_price: Decimal
    price_source: LinePriceSource
    gross: Decimal
    discount_amount: Decimal
    discounts: tuple[Discount, ...]
    net: Decimal
    adjustment: bool
    description: str = ""


@dataclass(frozen=True)
class _Segment:
    """A run of consecutive versions in which a line's billing terms stayed the same."""

    version: ContractVersion  # the first of the run: charges name it
    line: ContractLine
    schedule: Schedule  # with the line's end as the run's last version has it
    in_force: Period | None  # the days the run bills; None when it bills none


def charges_as_of(
    versions: Sequence[ContractVersion],
    as_of: date,
    *,
    already_billed: Iterable[Charge] = (),
    suspensions: Iterable[Period] = (),
    credit_on_termination: bool = True,
) -> list[Charge]:
    """The charges and credits due up to `as_of` that `already_billed` does not hold yet.

    Versions effective after `as_of` are not known yet. Usage lines (no unit price) are priced
    elsewhere and skipped. Suspended days are never billed (one-off lines are not suspended).
    With `credit_on_termination` False, days billed in advance after the contract's end stay
    billed (days billed in arrears after it are still credited).
    """
    known = [v for v in versions if v.effective_from <= as_of]
    if not known:
        return []
    billed = list(already_billed)
    paused = normalized(suspensions)
    result: list[Charge] = []
    for line_key, segments in _segments(known).items():
        line_billed = [c for c in billed if c.line_key == line_key and c.kind in DAY_KINDS]
        billed_anywhere = _coverage(line_billed)
        # Only asked for when the days billed after the end stay billed.
        ended_on = None if credit_on_termination else _termination_day(known[-1], line_key)
        for segment in segments:
            have = _coverage(c for c in line_billed if c.version == segment.version.number)
            wanted = _wanted(segment, paused)
            no_longer = subtract(have, wanted)
            # Only days billed in advance stay billed: days billed in arrears after the end
            # (a backdated termination) were never in force, so they are credited.
            if (
                not credit_on_termination
                and ended_on is not None
                and segment.line.timing is Timing.IN_ADVANCE
            ):
                no_longer = subtract(no_longer, [Period(ended_on, date.max)])
            if no_longer:  # rare: most runs credit nothing
                # Billed days past the line's (new) end are still sliced on the line's grid.
                for piece in _slices(replace(segment.schedule, end=None), no_longer):
                    # Dated on the piece's first day, even where a discount's date cuts it.
                    for part in discount_pieces(segment.line.discounts, piece):
                        credit = _charge(segment, part, ChargeKind.CREDIT, piece.part.start, True)
                        result.append(credit)
            horizon = segment.schedule.full_period(as_of).end
            reached = _not_billed_whole(
                segment.schedule, subtract(wanted, [Period(horizon, date.max)]), have
            )
            candidates = _slices(segment.schedule, reached)
            due = [s.part for s in candidates if _due_on(segment.schedule, s, segment) <= as_of]
            for piece in _slices(segment.schedule, subtract(due, have)):
                adjustment = _overlaps(billed_anywhere, piece.full)
                due_on = _due_on(segment.schedule, piece, segment)
                # A discount dated inside the piece cuts it; the parts stay due with the piece.
                for part in discount_pieces(segment.line.discounts, piece):
                    result.append(_charge(segment, part, ChargeKind.CHARGE, due_on, adjustment))
    result += minimum_charges(known, as_of, billed, result)
    result += fee_charges(known, billed)
    # A credit comes before the charge that replaces it.
    result.sort(key=lambda c: (c.due_on, c.line_key, c.period.start, c.kind is ChargeKind.CHARGE))
    return result


def _not_billed_whole(schedule: Schedule, wanted: Ranges, have: Ranges) -> Ranges:
    """The wanted days from the grid period of the first day not billed yet on: the periods
    before it are billed whole, so slicing them again finds nothing due (a line's history grows
    with its age; only its end changes). Their pieces from there are the same, as the grid's
    boundaries cut them. Nothing when every wanted day is billed."""
    missing = subtract(wanted, have)
    if not missing:
        return ()
    if schedule.periodicity.is_one_off:
        return wanted
    first = schedule.full_period(missing[0].start).start
    if not wanted or first <= wanted[0].start:
        return wanted
    return subtract(wanted, [Period(date.min, first)])


def _billing_terms(version: ContractVersion, line: ContractLine) -> tuple[object, ...]:
    terms = version.terms
    return (
        line.product_id,
        line.kind,
        line.quantity,
        line.unit_price,
        line.price_source,
        line.periodicity,
        line.timing,
        line.discounts,
        terms.line_start(line),
        terms.billing_alignment,
    )


@dataclass
class _Run:
    first: ContractVersion
    last: ContractVersion
    line: ContractLine
    since: date
    until: date


def _same_for_billing(previous: _Run, version: ContractVersion, line: ContractLine) -> bool:
    """The line bills as in the run: the same terms, or the same once the run's discounts are
    cut at the end the new version gives the line (ending a line cuts its discounts)."""
    now = _billing_terms(version, line)
    if _billing_terms(previous.first, previous.line) == now:
        return True
    end = version.terms.line_end(line)
    if end is None:
        return False
    cut = replace(previous.line, discounts=cut_discounts(previous.line.discounts, end))
    return _billing_terms(previous.first, cut) == now


def _segments(known: Sequence[ContractVersion]) -> dict[str, list[_Segment]]:
    runs: dict[str, list[_Run]] = {}
    for index, version in enumerate(known):
        until = known[index + 1].effective_from if index + 1 < len(known) else date.max
        for line in version.terms.lines:
            if line.unit_price is None:
                continue
            line_runs = runs.setdefault(line.line_key, [])
            previous = line_runs[-1] if line_runs else None
            if (
                previous is not None
                and previous.until == version.effective_from
                and _same_for_billing(previous, version, line)
            ):
                # The run's days were billed with its first discounts: a termination that cut
                # them (`cut_discounts`) changes no day before the end, and the days after it
                # billed in advance are credited as they were billed.
                kept = previous.line.discounts
                previous.last, previous.until = version, until
                previous.line = line if line.discounts == kept else replace(line, discounts=kept)
                continue
            line_runs.append(_Run(version, version, line, version.effective_from, until))
    segments: dict[str, list[_Segment]] = {}
    for line_key, line_runs in runs.items():
        for run in line_runs:
            schedule = schedule_of(run.last.terms, run.line)
            low = max(run.since, schedule.start)
            high = run.until if schedule.end is None else min(run.until, schedule.end)
            in_force = Period(low, high) if low < high else None
            segments.setdefault(line_key, []).append(
                _Segment(run.first, run.line, schedule, in_force)
            )
    return segments


def _termination_day(latest: ContractVersion, line_key: str) -> date | None:
    """Where the line now ends (contract or line end); a removed line is a plan change."""
    line = latest.terms.line(line_key)
    if line is None:
        return None
    return latest.terms.line_end(line)


def _wanted(segment: _Segment, paused: Ranges) -> Ranges:
    if segment.in_force is None:
        return ()
    if not paused or segment.schedule.periodicity.is_one_off:
        return (segment.in_force,)
    return subtract([segment.in_force], paused)


def _slices(schedule: Schedule, ranges: Iterable[Period]) -> list[Slice]:
    return [piece for r in ranges for piece in schedule.slices(r.start, r.end)]


def _due_on(schedule: Schedule, piece: Slice, segment: _Segment) -> date:
    """In advance: the piece's start. In arrears: its full period's end, or the line's end."""
    if segment.line.timing is Timing.IN_ADVANCE:
        return piece.part.start
    if schedule.end is not None and piece.part.end == schedule.end:
        return piece.part.end
    return piece.full.end


def _coverage(charges: Iterable[Charge]) -> Ranges:
    """The days billed, replaying charges and credits in the order they were issued."""
    covered: Ranges = ()
    for charge in charges:
        if charge.kind is ChargeKind.CHARGE:
            covered = _covered_with(covered, charge.period)
        else:
            covered = subtract(covered, [charge.period])
    return covered


def _covered_with(covered: Ranges, period: Period) -> Ranges:
    """`normalized([*covered, period])`, without sorting in the usual case: charges are issued
    in order, so a charge mostly bills days from the start of the last range on."""
    if not covered:
        return (period,)
    last = covered[-1]
    if period.start > last.end:  # after every range, not even adjacent: it goes last
        return (*covered, period)
    if period.start >= last.start:  # within or adjacent to the last range: it extends it
        if period.end <= last.end:
            return covered
        return (*covered[:-1], Period(last.start, period.end))
    return normalized([*covered, period])


def _overlaps(ranges: Ranges, period: Period) -> bool:
    return any(r.start < period.end and period.start < r.end for r in ranges)


def _charge(
    segment: _Segment, piece: Slice, kind: ChargeKind, due_on: date, adjustment: bool
) -> Charge:
    line = segment.line
    if line.unit_price is None:  # pragma: no cover - usage lines never reach here
        raise ValueError(f"line {line.line_key} has no unit price")
    full_amount = line.quantity * line.unit_price
    gross = prorate(full_amount, piece.part, piece.full)
    outcome = apply_discounts(gross, line.discounts, segment.schedule, piece)
    sign = Decimal(-1) if kind is ChargeKind.CREDIT else Decimal(1)
    amendment = segment.version.amendment
    return Charge(
        line_key=line.line_key,
        version=segment.version.number,
        amendment_id=amendment.id if amendment is not None else None,
        kind=kind,
        period=piece.part,
        full_period=piece.full,
        due_on=due_on,
        quantity=line.quantity,
        unit_price=line.unit_price,
        price_source=line.price_source,
        gross=sign * gross,
        discount_amount=sign * outcome.amount_off,
        discounts=outcome.applied,
        net=sign * outcome.net,
        adjustment=adjustment,
        description=line.description,
    )


# --- minimum commitments and early-termination fees ---------------------------------------------
# Both are amounts reconciled against what was already billed of their kind: the amount due now
# minus the amount billed so far, when not zero, is a new charge (an adjustment after the first).


def minimum_charges(
    known: Sequence[ContractVersion],
    as_of: date,
    billed: Sequence[Charge],
    issued: Sequence[Charge],
) -> list[Charge]:
    """Top-ups of the commitment periods due by `as_of`, less the top-ups already billed.

    The commitment in force on a commitment period's last day applies to the whole period; what
    the line billed is read from `billed` and `issued` (this run's charges and credits).
    """
    if all(line.minimum_commitment is None for v in known for line in v.terms.lines):
        return []  # most contracts commit to nothing
    latest: dict[str, tuple[ContractVersion, ContractLine]] = {}
    for version in known:
        for line in version.terms.lines:
            latest[line.line_key] = (version, line)
    result: list[Charge] = []
    for line_key, (last, line) in latest.items():
        if line.unit_price is None or line.kind is ProductKind.ONE_OFF:
            continue  # usage lines are topped up once priced; a one-off has no period
        periods = _commitment_periods(known, as_of, last.terms, line)
        if not periods:
            continue
        days_billed = [
            (c.period, c.net)
            for c in (*billed, *issued)
            if c.line_key == line_key and c.kind in DAY_KINDS
        ]
        amounts = {p.full: billed_within(days_billed, p.full) for _, p in periods}
        short = {t.period.full: t.amount for t in top_ups([p for _, p in periods], amounts)}
        for version, period in periods:
            done = [
                c
                for c in billed
                if c.kind is ChargeKind.MINIMUM
                and c.line_key == line_key
                and c.full_period == period.full
            ]
            missing = short.get(period.full, Decimal(0)) - sum((c.net for c in done), Decimal(0))
            if missing == 0:
                continue
            text = _top_up_text(period, amounts[period.full], missing, last.terms.currency)
            result.append(
                _amount_charge(
                    version,
                    line,
                    ChargeKind.MINIMUM,
                    Slice(period.part, period.full),
                    period.due_on,
                    missing,
                    bool(done),
                    text,
                )
            )
    return result


def _commitment_periods(
    known: Sequence[ContractVersion], as_of: date, terms: ContractTerms, line: ContractLine
) -> list[tuple[ContractVersion, CommitmentPeriod]]:
    billing = schedule_of(terms, line)
    result = []
    for index, version in enumerate(known):
        in_force = version.terms.line(line.line_key)
        if in_force is None or in_force.minimum_commitment is None:
            continue
        until = known[index + 1].effective_from if index + 1 < len(known) else date.max
        pieces = commitment_grid(
            in_force.minimum_commitment,
            terms,
            line,
            committed=_before_termination(known, index),
            until=as_of + ONE_DAY,
        )
        closed = [
            p
            for p in pieces
            if p.part.end <= as_of and version.effective_from <= p.part.end - ONE_DAY < until
        ]
        for period in commitment_periods(in_force.minimum_commitment, closed, billing, line.timing):
            if period.due_on <= as_of:
                result.append((version, period))
    return result


def _top_up_text(period: CommitmentPeriod, billed: Decimal, amount: Decimal, code: str) -> str:
    commitment = period.commitment
    per = f"{commitment.periodicity} period" if commitment.periodicity else "term"
    minimum = _money(commitment.amount, code)
    if period.part != period.full:
        minimum = (
            f"{minimum} × {period.part.days}/{period.full.days} = {_money(period.minimum, code)}"
        )
    head = (
        f"Minimum commitment per {per}, {period.part.start.isoformat()} to "
        f"{last_day(period.part.end).isoformat()}: minimum {minimum}, billed {_money(billed, code)}"
    )
    return f"{head}, top-up {_money(amount, code)}"


def _before_termination(known: Sequence[ContractVersion], index: int) -> ContractTerms:
    """The terms of version `index`, or of the one before when `index` terminates the contract."""
    if index > 0 and _termination(known[index]) is not None:
        return known[index - 1].terms
    return known[index].terms


def _termination(version: ContractVersion) -> Terminate | None:
    if version.amendment is None:
        return None
    return next((c for c in version.amendment.changes if isinstance(c, Terminate)), None)


def fee_charges(known: Sequence[ContractVersion], billed: Sequence[Charge]) -> list[Charge]:
    """The early-termination fee once the terminating version is known, less fees billed.

    It is stored on the contract's first line (whose product gives its VAT category).
    """
    last = known[-1]
    done = [c for c in billed if c.kind is ChargeKind.FEE]
    terminate = _termination(last)
    end = last.terms.end_date
    outcome = None
    if terminate is not None and not terminate.waive_fee and end is not None and len(known) > 1:
        outcome = early_termination_fee(known[-2].terms, end)
    due = outcome.amount if outcome is not None else Decimal(0)
    missing = due - sum((c.net for c in done), Decimal(0))
    if missing == 0:
        return []
    if outcome is not None and end is not None and last.terms.lines:
        day = Period(last_day(end), end)
        text = outcome.description if not done else f"{outcome.description} (adjustment)"
        fee_line = last.terms.lines[0]
        return [
            _amount_charge(
                last, fee_line, ChargeKind.FEE, Slice(day, day), end, missing, bool(done), text
            )
        ]
    if not done:
        return []  # a fee with no line to carry it is not billed
    previous = done[-1]
    return [
        replace(
            previous,
            version=last.number,
            amendment_id=last.amendment.id if last.amendment is not None else None,
            unit_price=round_to_minor_unit(missing, currency(last.terms.currency)),
            gross=missing,
            net=missing,
            adjustment=True,
            description="Early termination fee withdrawn",
        )
    ]


def _amount_charge(
    version: ContractVersion,
    line: ContractLine,
    kind: ChargeKind,
    piece: Slice,
    due_on: date,
    amount: Decimal,
    adjustment: bool,
    description: str,
) -> Charge:
    """A charge of an amount (not of a line's days): quantity 1 at that amount, rounded to the
    currency's minor unit (the net keeps full precision, like any charge's)."""
    amendment = version.amendment
    unit_price = round_to_minor_unit(amount, currency(version.terms.currency))
    return Charge(
        line_key=line.line_key,
        version=version.number,
        amendment_id=amendment.id if amendment is not None else None,
        kind=kind,
        period=piece.part,
        full_period=piece.full,
        due_on=due_on,
        quantity=Decimal(1),
        unit_price=unit_price,
        price_source=LinePriceSource.OVERRIDE,
        gross=amount,
        discount_amount=Decimal(0),
        discounts=(),
        net=amount,
        adjustment=adjustment,
        description=description,
    )


def _money(amount: Decimal, code: str) -> str:
    return f"{round_to_minor_unit(amount, currency(code)):,}"
