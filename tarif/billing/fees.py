"""Early-termination fees: what ending a contract before its committed term's end costs.

The contract's `early_termination_fee` term says how much:

- `fixed`: the amount agreed;
- `remaining`: the recurring charges the customer would still have paid from the termination
  date to the end of the committed term running on the contract's last day, under the terms in
  force before the termination: each line's periods over `[end, committed end)`, prorated by days
  like any charge (a termination on 15 Jun of a monthly line: 16/30 of June, then whole months),
  after the line's discounts; one-off and usage lines count for nothing;
- `percentage_of_remaining`: that percentage of the remaining charges.

No fee when the contract ends on or after the committed term's end, or when nothing is committed
(an evergreen contract past its initial term, or with none). The fee's description explains its
arithmetic, so an invoice reader can check it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tarif.billing.discounts import apply_discounts, discount_pieces
from tarif.billing.periods import schedule_of
from tarif.billing.proration import prorate
from tarif.catalog.rules import ProductKind
from tarif.contracts.dates import last_day
from tarif.contracts.model import ContractTerms, EarlyTerminationFee, FeeKind
from tarif.contracts.term import current_term_end
from tarif.money import currency, round_to_minor_unit

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class FeeOutcome:
    amount: Decimal  # full precision; rounded once on the invoice line
    committed_end: date  # the exclusive end of the committed term cut short
    description: str


def committed_end_cut_short(terms: ContractTerms, end: date) -> date | None:
    """The committed term end (exclusive) that ending on `end` cuts short, or None."""
    committed = current_term_end(terms, last_day(end))
    if committed is None or end >= committed:
        return None
    return committed


def remaining_charges(
    terms: ContractTerms, end: date, committed_end: date
) -> list[tuple[str, Decimal, str]]:
    """Per recurring line: (line key, what `[end, committed_end)` would have billed, arithmetic)."""
    code = terms.currency
    result = []
    for line in terms.lines:
        if line.unit_price is None or line.kind is ProductKind.ONE_OFF:
            continue
        schedule = schedule_of(terms, line)
        if schedule.periodicity.is_one_off:
            continue
        full_amount = line.quantity * line.unit_price
        whole: Counter[Decimal] = Counter()
        parts: list[str] = []
        total = ZERO
        for piece in schedule.slices(end, committed_end):
            gross = prorate(full_amount, piece.part, piece.full)
            # A discount dated inside the piece applies to its own days only.
            net = sum(
                (
                    apply_discounts(
                        prorate(full_amount, part.part, part.full), line.discounts, schedule, part
                    ).net
                    for part in discount_pieces(line.discounts, piece)
                ),
                ZERO,
            )
            total += net
            if piece.is_whole:
                whole[net] += 1
            elif net == gross:
                parts.append(f"{piece.part.days}/{piece.full.days} × {_money(full_amount, code)}")
            else:
                parts.append(_money(net, code))
        if not whole and not parts:
            continue
        terms_text = [f"{count} × {_money(net, code)}" for net, count in whole.items()]
        arithmetic = " + ".join([*parts, *terms_text])
        result.append((line.line_key, total, arithmetic))
    return result


def early_termination_fee(before: ContractTerms, end: date) -> FeeOutcome | None:
    """The fee for ending on `end` (exclusive) a contract whose terms were `before`.

    None when the terms have no fee, or `end` does not cut a committed term short.
    """
    fee = before.early_termination_fee
    if fee is None:
        return None
    committed_end = committed_end_cut_short(before, end)
    if committed_end is None:
        return None
    code = before.currency
    head = (
        f"Early termination on {end.isoformat()}, committed term to "
        f"{last_day(committed_end).isoformat()}"
    )
    if fee.kind is FeeKind.FIXED:
        amount = fee.amount or ZERO
        return FeeOutcome(amount, committed_end, f"{head}: fixed fee {_money(amount, code)}")
    remaining = remaining_charges(before, end, committed_end)
    total = sum((amount for _, amount, _ in remaining), ZERO)
    if len(remaining) == 1:
        _, _, arithmetic = remaining[0]
        detail = f"{arithmetic} = {_money(total, code)}"
    else:
        lines = [
            f"{key} {arithmetic} = {_money(amount, code)}" for key, amount, arithmetic in remaining
        ]
        detail = "; ".join(lines) + f"; total {_money(total, code)}" if lines else "nothing"
    text = f"{head}: remaining charges {detail}"
    if fee.kind is FeeKind.REMAINING:
        return FeeOutcome(total, committed_end, text)
    share = _share(fee)
    amount = total * share / HUNDRED
    return FeeOutcome(amount, committed_end, f"{text}; {share:f}% = {_money(amount, code)}")


def _share(fee: EarlyTerminationFee) -> Decimal:
    return fee.percentage if fee.percentage is not None else HUNDRED


def _money(amount: Decimal, code: str) -> str:
    return f"{round_to_minor_unit(amount, currency(code)):,}"
