"""Valuing events one by one, as an event trigger does (pure).

An event trigger turns each accepted event into a billable item at once. Its amount is what the
event adds to the period's rated amount: the rating of the period's usage with it, minus the
rating without it, both by the line's charge (`rate_groups`, so tiers, free and prepaid units,
group prices and fee bounds apply as at period end). Events are valued in the order they come,
each on top of the ones before, so the amounts of a period's items add up to the rating of
all of them: a graduated tier crossed by an event is split inside that event's amount.

Only metrics whose events each add to the quantity take an event trigger: `count` (one per
event) and `sum` (the event's value). The minimum spend is left to the period's end, as for
every rating made inside a period.

Worked example (`docs/usage-triggers.md`): a per-minute charge of 0.10 with 100 free minutes,
calls valued in whole minutes (a valuation SmartCode rounds 7 min 12 s up to 8). With 96
minutes so far, a call of 8 minutes brings 104: 4 billed minutes, 0.40; the next call of 3
minutes adds 0.30.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from tarif.pricing.percentage import TransactionBands, bands_of
from tarif.pricing.rating import RatedLine, Usage
from tarif.pricing.spec import ChargeSpec

ZERO = Decimal(0)
NO_TRANSACTIONS = TransactionBands()

Group = tuple[tuple[str, str], ...]
# The lines of one period's usages (by group): `rate_groups` with its currency, rounding and
# SmartCodes bound.
Rate = Callable[[ChargeSpec, Sequence[Usage]], list[RatedLine]]


@dataclass(frozen=True)
class EventUse:
    """One event as its item sees it: its id, what it adds to its group's quantity (1 for a
    count metric), and its group's values (empty without group-by)."""

    event_id: int
    quantity: Decimal
    group: Group = ()


@dataclass(frozen=True)
class GroupSoFar:
    """One group's usage in the period so far."""

    quantity: Decimal = ZERO
    event_count: int = 0
    bands: TransactionBands = NO_TRANSACTIONS


@dataclass(frozen=True)
class ValuedEvent:
    event_id: int
    group: Group
    quantity: Decimal  # what the event adds
    period_quantity: Decimal  # its group's quantity with it
    period_amount: Decimal  # the period's rated amount with it (net)
    amount: Decimal  # what it adds to the period's rated amount
    band: str = ""  # its fee band (below, between, above) when the charge bounds fees


def value_events(
    spec: ChargeSpec,
    so_far: Mapping[Group, GroupSoFar],
    events: Sequence[EventUse],
    rate: Rate,
    prepaid_used_before: Decimal = ZERO,
) -> list[ValuedEvent]:
    """Each event's item, in order, on top of `so_far` (the period's usage before them)."""
    spec = replace(spec, minimum_spend=None)
    state = dict(so_far)

    def total() -> Decimal:
        usages = [
            Usage(
                quantity=g.quantity,
                event_count=g.event_count,
                group=group,
                bands=g.bands if spec.prices_for(dict(group))[0].has_fee_bounds else None,
                prepaid_used_before=prepaid_used_before,
            )
            for group, g in state.items()
        ]
        return sum((line.net for line in rate(spec, usages)), ZERO)

    before = total() if state else ZERO
    valued = []
    for event in events:
        current = state.get(event.group, GroupSoFar())
        band = band_of(event, spec)
        state[event.group] = GroupSoFar(
            current.quantity + event.quantity,
            current.event_count + 1,
            with_transaction(current.bands, band, event.quantity),
        )
        after = total()
        valued.append(
            ValuedEvent(
                event.event_id,
                event.group,
                event.quantity,
                state[event.group].quantity,
                after,
                after - before,
                band,
            )
        )
        before = after
    return valued


def band_of(event: EventUse, spec: ChargeSpec) -> str:
    """The event's fee band as a transaction of the percentage model ("" when the charge
    bounds no fee)."""
    prices, _ = spec.prices_for(dict(event.group))
    if not prices.has_fee_bounds:
        return ""
    one = bands_of([event.quantity], prices)
    return "below" if one.below_count else "above" if one.above_count else "between"


def with_transaction(bands: TransactionBands, band: str, amount: Decimal) -> TransactionBands:
    """The bands with one more transaction of `amount` in `band` (unchanged for "")."""
    if band == "below":
        return replace(bands, below_count=bands.below_count + 1)
    if band == "above":
        return replace(bands, above_count=bands.above_count + 1)
    if band == "between":
        return replace(
            bands, between_count=bands.between_count + 1, between_sum=bands.between_sum + amount
        )
    return bands
