"""Usage lines of one period: naming each rated line, and what a re-rating adds (pure).

A usage period gives several lines (a percentage and a transaction fee, one per tier, one per
group…), so each line is stored under a *part*: its kind, its group and its rank among the lines
of that kind and group (`percentage|turnover|1`, `usage|region=eu|2` for the second tier). The
period's first rating is revision 1; when late events arrive for a period already rated, the
period is rated again with every event and revision n+1 bills, part by part, the difference with
what revisions 1…n billed. So a period's lines always add up to one rating of all its events,
and rating again with nothing new bills nothing. Ratings made inside the period by a trigger
are revisions too, prefixed `p` (`p1|…`); the period-end rating then bills what they left, and
a period counts as rated once it has an `r` revision.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tarif.pricing.rating import RatedLine
from tarif.pricing.spec import ChargeModel

MAX_PART = 120  # stored in a 160-character column with its revision prefix


def part_names(lines: Sequence[RatedLine]) -> list[str]:
    """Each line's part, in order: kind, group and rank within that kind and group.

    A volume line's rank is its tier's number: the volume model bills one tier, and which one
    depends on the quantity, so a re-rating that moves the period to another tier must take the
    old tier's line back and bill the new one (each line quantity × its tier's price), not net
    the two into one line whose quantity and price no longer give its amount. (A graduated
    period's tiers are reached in order, so its rank already is the tier's number.)"""
    seen: Counter[str] = Counter()
    names = []
    for line in lines:
        group = ",".join(f"{k}={v}" for k, v in line.explanation.group)
        base = f"{line.kind.value}|{group}"
        seen[base] += 1
        rank = seen[base]
        tiers = line.explanation.tiers
        if line.explanation.model is ChargeModel.VOLUME and len(tiers) == 1:
            rank = tiers[0].number
        name = f"{base}|{rank}"
        if len(name) > MAX_PART:  # long group values: a digest keeps the part unique
            digest = hashlib.sha256(name.encode()).hexdigest()[:32]
            name = f"{line.kind.value}|#{digest}|{rank}"
        names.append(name)
    return names


# The part of the 0.00 line recording a rating that gave no line at all (a pricing SmartCode
# returning none): without it the period would not count as rated and would be rated again.
NOTHING = "none||1"

FINAL = "r"  # a rating at or after the period's end
PROGRESSIVE = "p"  # a rating inside the period, by a trigger (`tarif.billing.triggers`)


def revision_part(revision: int, part: str, prefix: str = FINAL) -> str:
    return f"{prefix}{revision}|{part}"


def split_part(stored: str) -> tuple[int, str]:
    """`r2|usage||1` → (2, `usage||1`)."""
    head, _, part = stored.partition("|")
    return int(head[1:]), part


@dataclass(frozen=True)
class BilledPart:
    """A stored usage line of a period, as far as re-rating needs it."""

    usage_part: str  # with its revision prefix
    quantity: Decimal
    net: Decimal
    # What a part that a new rating no longer has is taken back at (its line's unit price and
    # words as billed); None where the caller does not need them.
    unit_price: Decimal | None = None
    description: str | None = None


@dataclass(frozen=True)
class PartChange:
    """What a new rating of a period adds to one part: `net` and `quantity` deltas."""

    part: str
    line: RatedLine | None  # the part's line in the new rating; None when it disappeared
    quantity: Decimal
    net: Decimal
    # The line's words and unit price: the new rating's, else (a part no longer reached, such
    # as a tier or a minimum spend top-up) those it was last billed at, never the part's code.
    description: str = ""
    unit_price: Decimal = Decimal(0)


def next_revision(billed: Iterable[BilledPart]) -> int:
    return 1 + max((split_part(b.usage_part)[0] for b in billed), default=0)


def changes(rated: Sequence[RatedLine], billed: Iterable[BilledPart]) -> list[PartChange]:
    """Part by part, the new rating minus every revision billed so far; parts whose amount
    does not change are left out (a quantity change at the same amount bills nothing)."""
    billed_net: dict[str, Decimal] = defaultdict(Decimal)
    billed_quantity: dict[str, Decimal] = defaultdict(Decimal)
    # part → (revision, unit price, description) of its latest billed line
    last: dict[str, tuple[int, Decimal, str]] = {}
    for row in billed:
        revision, part = split_part(row.usage_part)
        billed_net[part] += row.net
        billed_quantity[part] += row.quantity
        if row.unit_price is not None and (part not in last or revision > last[part][0]):
            last[part] = (revision, row.unit_price, row.description or part)
    now = dict(zip(part_names(rated), rated, strict=True))
    result = []
    for part in [*now, *(p for p in billed_net if p not in now)]:
        line = now.get(part)
        net = (line.net if line else Decimal(0)) - billed_net.get(part, Decimal(0))
        if net == 0:
            continue
        quantity = (line.quantity if line else Decimal(0)) - billed_quantity.get(part, Decimal(0))
        if line is not None:
            text, price = line.description, line.unit_price
        else:
            _, price, text = last.get(part, (0, Decimal(0), part))
        result.append(PartChange(part, line, quantity, net, text, price))
    return result
