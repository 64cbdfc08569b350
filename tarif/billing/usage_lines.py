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

MAX_PART = 120  # stored in a 160-character column with its revision prefix


def part_names(lines: Sequence[RatedLine]) -> list[str]:
    """Each line's part, in order: kind, group and rank within that kind and group."""
    seen: Counter[str] = Counter()
    names = []
    for line in lines:
        group = ",".join(f"{k}={v}" for k, v in line.explanation.group)
        base = f"{line.kind.value}|{group}"
        seen[base] += 1
        name = f"{base}|{seen[base]}"
        if len(name) > MAX_PART:  # long group values: a digest keeps the part unique
            digest = hashlib.sha256(name.encode()).hexdigest()[:32]
            name = f"{line.kind.value}|#{digest}|{seen[base]}"
        names.append(name)
    return names


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


@dataclass(frozen=True)
class PartChange:
    """What a new rating of a period adds to one part: `net` and `quantity` deltas."""

    part: str
    line: RatedLine | None  # the part's line in the new rating; None when it disappeared
    quantity: Decimal
    net: Decimal


def next_revision(billed: Iterable[BilledPart]) -> int:
    return 1 + max((split_part(b.usage_part)[0] for b in billed), default=0)


def changes(rated: Sequence[RatedLine], billed: Iterable[BilledPart]) -> list[PartChange]:
    """Part by part, the new rating minus every revision billed so far; parts whose amount
    does not change are left out (a quantity change at the same amount bills nothing)."""
    billed_net: dict[str, Decimal] = defaultdict(Decimal)
    billed_quantity: dict[str, Decimal] = defaultdict(Decimal)
    for row in billed:
        part = split_part(row.usage_part)[1]
        billed_net[part] += row.net
        billed_quantity[part] += row.quantity
    now = dict(zip(part_names(rated), rated, strict=True))
    result = []
    for part in [*now, *(p for p in billed_net if p not in now)]:
        line = now.get(part)
        net = (line.net if line else Decimal(0)) - billed_net.get(part, Decimal(0))
        if net == 0:
            continue
        quantity = (line.quantity if line else Decimal(0)) - billed_quantity.get(part, Decimal(0))
        result.append(PartChange(part, line, quantity, net))
    return result
