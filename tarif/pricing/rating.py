"""Rating: from a period's usage of one metric to priced lines, each rounded once.

`rate_charge(spec, usage, currency, rounding)` prices one usage value (one group, or all usage
when the metric has no groups); `rate_groups` prices the groups of one period together, so free
units, prepaid units, the free amount and the minimum spend count once per period, not once per
group. Order of work:

1. units = the period's quantity; free units are used first, then the prepaid block still
   available (`prepaid_units − usage.prepaid_used_before`); what remains is billed;
2. the model prices the billed units, starting from the first tier (graduated, volume), with the
   group's prices when a group price matches the usage's group values;
3. each line's net is rounded once to the currency's minor unit (HALF_UP, or HALF_EVEN);
4. when the period's rounded lines add up to less than the minimum spend, a separate labelled
   line tops them up to it.

The percentage model bills `rate % × (amounts − free amount)` and `fixed fee × (transactions −
free transactions)` as two lines; with a per-transaction minimum or maximum fee it needs the
transactions split by bound (`TransactionBands`, see `tarif.pricing.percentage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Decimal, localcontext
from enum import StrEnum
from typing import Any, Protocol

from tarif.money import Currency, RoundingMode, round_to_minor_unit
from tarif.money import currency as currency_of
from tarif.pricing.percentage import HUNDRED, TransactionBands, bands_of
from tarif.pricing.spec import ZERO, ChargeModel, ChargePrices, ChargeSpec, GroupPrice, Tier


class ChargeError(ValueError):
    """The usage given cannot be rated with this charge (the message says what is missing)."""


class LineKind(StrEnum):
    USAGE = "usage"  # units × unit price (per unit, a graduated tier, the volume tier)
    FLAT_FEE = "flat_fee"  # a tier's flat fee
    PACKAGE = "package"  # packages × package price
    PERCENTAGE = "percentage"  # rate × transaction amounts
    TRANSACTION_FEE = "transaction_fee"  # fixed fee × transactions
    MINIMUM_FEE = "minimum_fee"  # transactions raised to the per-transaction minimum
    MAXIMUM_FEE = "maximum_fee"  # transactions lowered to the per-transaction maximum
    MINIMUM_SPEND = "minimum_spend"  # the period's top-up to the minimum spend
    SMARTCODE = "smartcode"  # a line returned by a pricing SmartCode


@dataclass(frozen=True)
class Usage:
    """What the aggregation measured for one period (and one group of values).

    `quantity` is the metric's aggregated quantity; `amount_sum` the sum of the transaction
    amounts (percentage model; the quantity when None, as for a `sum of amount` metric);
    `bands` the transactions split by fee bound when the charge bounds each transaction's fee;
    `prepaid_used_before` the prepaid units earlier periods already used.
    """

    quantity: Decimal = ZERO
    event_count: int = 0
    amount_sum: Decimal | None = None
    group: tuple[tuple[str, str], ...] = ()
    bands: TransactionBands | None = None
    prepaid_used_before: Decimal = ZERO
    # A pricing SmartCode sees the period's groups at once: quantity per group label.
    groups: tuple[tuple[str, Decimal], ...] = ()

    @property
    def group_values(self) -> dict[str, str]:
        return dict(self.group)


def whole_period(usages: Sequence[Usage]) -> Usage:
    """A period's groups as one usage: totals, and each group's quantity by its label."""
    ordered = sorted(usages, key=lambda u: u.group)
    return Usage(
        quantity=sum((u.quantity for u in ordered), ZERO),
        event_count=sum(u.event_count for u in ordered),
        prepaid_used_before=max((u.prepaid_used_before for u in ordered), default=ZERO),
        groups=tuple((group_label(u.group), u.quantity) for u in ordered if u.group),
    )


def group_label(group: tuple[tuple[str, str], ...]) -> str:
    """How a pricing SmartCode names a group: its value ("FR"), values joined by "/" when
    the metric groups by several properties ("eu/p1")."""
    return "/".join(value for _, value in group)


@dataclass(frozen=True)
class TierUse:
    """How much of one tier a period used: units in `(above, up_to]` at the tier's price."""

    number: int  # 1-based, as shown to people
    above: Decimal
    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal  # full precision, flat fee excluded
    flat_fee: Decimal

    def text(self) -> str:
        bound = "∞" if self.up_to is None else f"{self.up_to:f}"
        fee = f" + flat fee {self.flat_fee:f}" if self.flat_fee else ""
        return (
            f"tier {self.number} ({self.above:f}, {bound}]: "
            f"{self.quantity:f} × {self.unit_price:f} = {self.amount:f}{fee}"
        )


@dataclass(frozen=True)
class Explanation:
    """Why a charge's lines are what they are, for the invoice's explain panel."""

    metric: str
    model: ChargeModel
    group: tuple[tuple[str, str], ...] = ()
    group_priced: bool = False  # the group's own prices applied, not the default ones
    units: Decimal = ZERO
    free_units_used: Decimal = ZERO
    prepaid_units_used: Decimal = ZERO
    billed_units: Decimal = ZERO
    tiers: tuple[TierUse, ...] = ()
    free_amount_used: Decimal = ZERO
    bands: TransactionBands | None = None
    minimum_spend: Decimal | None = None
    smartcode_id: str | None = None
    notes: tuple[str, ...] = ()

    def text(self) -> list[str]:
        head = f"metric {self.metric}, {self.model.value} model"
        if self.group:
            values = ", ".join(f"{k}={v}" for k, v in self.group)
            head += f", group {values}" + (" (group prices)" if self.group_priced else "")
        out = [head]
        if self.model is not ChargeModel.PERCENTAGE:
            out.append(
                f"{self.units:f} units, {self.free_units_used:f} free, "
                f"{self.prepaid_units_used:f} prepaid → {self.billed_units:f} billed"
            )
        out += [tier.text() for tier in self.tiers]
        if self.free_amount_used:
            out.append(f"free amount used: {self.free_amount_used:f}")
        if self.bands is not None:
            b = self.bands
            out.append(
                f"{b.count} transactions: {b.below_count} at the minimum fee, "
                f"{b.between_count} totalling {b.between_sum:f} at the rate, "
                f"{b.above_count} at the maximum fee"
            )
        out += list(self.notes)
        if self.smartcode_id:
            out.append(f"priced by SmartCode {self.smartcode_id}")
        return out

    def to_json(self) -> dict[str, Any]:
        """The explanation as JSON (decimals as strings) to keep with an invoice line."""
        return {
            "metric": self.metric,
            "model": self.model.value,
            "group": dict(self.group),
            "group_priced": self.group_priced,
            "units": f"{self.units:f}",
            "free_units_used": f"{self.free_units_used:f}",
            "prepaid_units_used": f"{self.prepaid_units_used:f}",
            "billed_units": f"{self.billed_units:f}",
            "tiers": [
                {
                    "tier": t.number,
                    "above": f"{t.above:f}",
                    "up_to": None if t.up_to is None else f"{t.up_to:f}",
                    "quantity": f"{t.quantity:f}",
                    "unit_price": f"{t.unit_price:f}",
                    "amount": f"{t.amount:f}",
                    "flat_fee": f"{t.flat_fee:f}",
                }
                for t in self.tiers
            ],
            "free_amount_used": f"{self.free_amount_used:f}",
            "bands": None
            if self.bands is None
            else {
                "below_count": self.bands.below_count,
                "between_count": self.bands.between_count,
                "between_sum": f"{self.bands.between_sum:f}",
                "above_count": self.bands.above_count,
            },
            "minimum_spend": None if self.minimum_spend is None else f"{self.minimum_spend:f}",
            "smartcode_id": self.smartcode_id,
            "text": self.text(),
        }


@dataclass(frozen=True)
class RatedLine:
    """One invoice line of a charge: `net` is rounded once to the currency's minor unit."""

    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    explanation: Explanation = field(compare=True)


@dataclass(frozen=True)
class SmartCodeLine:
    """A line a pricing SmartCode returns; `net` None means quantity × unit price. `group`:
    the label (`group_label`) of the group it prices, if it names one."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal | None = None
    group: str | None = None


class PricingSmartCodes(Protocol):
    """Runs pricing SmartCodes (provided by `tarif.smartcodes`)."""

    def price(
        self, smartcode_id: str, *, spec: ChargeSpec, usage: Usage, currency: str
    ) -> Sequence[SmartCodeLine]: ...


@dataclass
class _Allowance:
    """What is left to give away in a period: free units, prepaid units, free amount."""

    free_units: Decimal
    prepaid_units: Decimal
    free_amount: Decimal

    @staticmethod
    def of(spec: ChargeSpec, prepaid_used_before: Decimal) -> _Allowance:
        prepaid = max(ZERO, spec.prepaid_units - prepaid_used_before)
        return _Allowance(spec.free_units, prepaid, spec.free_amount)

    def take_free(self, units: Decimal) -> Decimal:
        used = min(self.free_units, max(units, ZERO))
        self.free_units -= used
        return used

    def take_prepaid(self, units: Decimal) -> Decimal:
        used = min(self.prepaid_units, max(units, ZERO))
        self.prepaid_units -= used
        return used

    def take_amount(self, amount: Decimal) -> Decimal:
        used = min(self.free_amount, max(amount, ZERO))
        self.free_amount -= used
        return used


def rate_charge(
    spec: ChargeSpec,
    usage: Usage,
    currency: Currency | str,
    rounding: RoundingMode = RoundingMode.HALF_UP,
    *,
    smartcodes: PricingSmartCodes | None = None,
) -> list[RatedLine]:
    """The lines of one period's usage (one group); see the module's order of work."""
    return rate_groups(spec, [usage], currency, rounding, smartcodes=smartcodes)


def rate_groups(
    spec: ChargeSpec,
    usages: Sequence[Usage],
    currency: Currency | str,
    rounding: RoundingMode = RoundingMode.HALF_UP,
    *,
    smartcodes: PricingSmartCodes | None = None,
) -> list[RatedLine]:
    """The lines of one period whose usage comes in groups (e.g. one per region).

    Groups are rated in the order of their values, so the free and prepaid units go to the same
    groups every time; the minimum spend tops up the period's total once. The prepaid units used
    by earlier periods are the same for every group of a period: the largest given is taken.
    """
    money = currency if isinstance(currency, Currency) else currency_of(currency)
    ordered = sorted(usages, key=lambda u: u.group)
    before = max((u.prepaid_used_before for u in ordered), default=ZERO)
    allowance = _Allowance.of(spec, before)
    lines: list[RatedLine] = []
    if spec.smartcode_id is not None:
        # One call for the period, with every group's quantity (as the macro's docs say).
        lines += _smartcode_lines(spec, ordered, money, rounding, smartcodes)
    else:
        for usage in ordered:
            lines += _rate_one(spec, usage, money, rounding, allowance)
    return lines + _minimum_spend(spec, lines, money, rounding, ordered)


def _label(spec: ChargeSpec, usage: Usage) -> str:
    label = spec.description or spec.metric
    if usage.group:
        label += " [" + ", ".join(f"{k}={v}" for k, v in usage.group) + "]"
    return label


def _line(
    kind: LineKind,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
    explanation: Explanation,
    money: Currency,
    rounding: RoundingMode,
) -> RatedLine:
    net = round_to_minor_unit(amount, money, rounding)
    return RatedLine(kind, description, quantity, unit_price, net, explanation)


def _rate_one(
    spec: ChargeSpec,
    usage: Usage,
    money: Currency,
    rounding: RoundingMode,
    allowance: _Allowance,
) -> list[RatedLine]:
    prices, group_price = spec.prices_for(usage.group_values)
    if spec.model is ChargeModel.PERCENTAGE:
        return _percentage(spec, prices, group_price, usage, money, rounding, allowance)
    units = usage.quantity
    free = allowance.take_free(units)
    prepaid = allowance.take_prepaid(units - free)
    billed = max(ZERO, units - free - prepaid)
    explain = Explanation(
        metric=spec.metric,
        model=spec.model,
        group=usage.group,
        group_priced=group_price is not None,
        units=units,
        free_units_used=free,
        prepaid_units_used=prepaid,
        billed_units=billed,
        minimum_spend=spec.minimum_spend,
    )
    label = _label(spec, usage)

    def line(kind: LineKind, text: str, qty: Decimal, price: Decimal, amount: Decimal) -> RatedLine:
        return _line(kind, text, qty, price, amount, explain, money, rounding)

    if spec.model is ChargeModel.PER_UNIT:
        price = prices.unit_price or ZERO
        return [line(LineKind.USAGE, label, billed, price, billed * price)]
    if spec.model is ChargeModel.PACKAGE:
        size = prices.package_size or Decimal(1)
        price = prices.package_price or ZERO
        with localcontext() as context:
            context.prec = 60
            packages = (billed / size).to_integral_value(rounding=ROUND_CEILING)
        note = f"{billed:f} units in packages of {size:f}: {packages:f} × {price:f}"
        explain = replace(explain, notes=(note,))
        text = f"{label} — {packages:f} × package of {size:f}"
        return [
            _line(
                LineKind.PACKAGE, text, packages, price, packages * price, explain, money, rounding
            )
        ]
    uses = (
        graduated_uses(prices.tiers, billed)
        if spec.model is ChargeModel.GRADUATED
        else volume_uses(prices.tiers, billed)
    )
    explain = replace(explain, tiers=uses)
    if not uses:  # nothing billed: one line at the first tier's price says so
        first = prices.tiers[0].unit_price if prices.tiers else ZERO
        return [_line(LineKind.USAGE, label, ZERO, first, ZERO, explain, money, rounding)]
    lines: list[RatedLine] = []
    for use in uses:
        text = f"{label} — tier {use.number}"
        lines.append(
            _line(
                LineKind.USAGE,
                text,
                use.quantity,
                use.unit_price,
                use.amount,
                explain,
                money,
                rounding,
            )
        )
        if use.flat_fee:
            lines.append(
                _line(
                    LineKind.FLAT_FEE,
                    f"{text} flat fee",
                    Decimal(1),
                    use.flat_fee,
                    use.flat_fee,
                    explain,
                    money,
                    rounding,
                )
            )
    return lines


def graduated_uses(tiers: Sequence[Tier], units: Decimal) -> tuple[TierUse, ...]:
    """Each unit priced by the tier it falls in: the tiers the units reach, in order."""
    uses: list[TierUse] = []
    above = ZERO
    for number, tier in enumerate(tiers, start=1):
        if units <= above:
            break
        top = units if tier.up_to is None else min(units, tier.up_to)
        quantity = top - above
        uses.append(
            TierUse(
                number,
                above,
                tier.up_to,
                quantity,
                tier.unit_price,
                quantity * tier.unit_price,
                tier.flat_fee,
            )
        )
        if tier.up_to is None:
            break
        above = tier.up_to
    return tuple(uses)


def volume_uses(tiers: Sequence[Tier], units: Decimal) -> tuple[TierUse, ...]:
    """The tier containing the total prices all units (nothing when nothing is billed)."""
    if units <= 0:
        return ()
    above = ZERO
    for number, tier in enumerate(tiers, start=1):
        if tier.up_to is None or units <= tier.up_to:
            amount = units * tier.unit_price
            return (
                TierUse(number, above, tier.up_to, units, tier.unit_price, amount, tier.flat_fee),
            )
        above = tier.up_to
    return ()


def _percentage(
    spec: ChargeSpec,
    prices: ChargePrices,
    group_price: GroupPrice | None,
    usage: Usage,
    money: Currency,
    rounding: RoundingMode,
    allowance: _Allowance,
) -> list[RatedLine]:
    rate = prices.rate
    fixed = prices.fixed_fee
    label = _label(spec, usage)
    bands = usage.bands
    if prices.has_fee_bounds and bands is None:
        if rate and usage.event_count:
            raise ChargeError(
                f"charge on {spec.metric} bounds each transaction's fee: its usage needs the "
                "transactions split by bound (tarif.pricing.percentage.fee_thresholds)"
            )
        # No transaction (a period without events measures no row to split), or no rate
        # (every fee is the same bounded fixed fee): the count is enough.
        bands = bands_of([ZERO] * usage.event_count, prices)
    explain = Explanation(
        metric=spec.metric,
        model=spec.model,
        group=usage.group,
        group_priced=group_price is not None,
        units=usage.quantity,
        bands=bands,
        minimum_spend=spec.minimum_spend,
    )

    def line(kind: LineKind, text: str, qty: Decimal, price: Decimal, amount: Decimal) -> RatedLine:
        return _line(kind, text, qty, price, amount, explain, money, rounding)

    lines: list[RatedLine] = []
    if bands is not None:
        # Bounded fees (validation refuses free amount and free transactions here). The rate
        # and fixed-fee lines are left out when every transaction hit a bound.
        unbounded = bands.between_count > 0 or bands.count == 0
        if rate is not None and unbounded:
            base = bands.between_sum
            lines.append(
                line(
                    LineKind.PERCENTAGE,
                    f"{label} — {rate:f} % of {base:f}",
                    base,
                    rate / HUNDRED,
                    rate * base / HUNDRED,
                )
            )
        if fixed is not None and unbounded:
            count = Decimal(bands.between_count)
            text = f"{label} — {fixed:f} per transaction"
            lines.append(line(LineKind.TRANSACTION_FEE, text, count, fixed, count * fixed))
        if bands.below_count and prices.min_fee is not None:
            count = Decimal(bands.below_count)
            text = f"{label} — transactions at the minimum fee {prices.min_fee:f}"
            lines.append(
                line(LineKind.MINIMUM_FEE, text, count, prices.min_fee, count * prices.min_fee)
            )
        if bands.above_count and prices.max_fee is not None:
            count = Decimal(bands.above_count)
            text = f"{label} — transactions at the maximum fee {prices.max_fee:f}"
            lines.append(
                line(LineKind.MAXIMUM_FEE, text, count, prices.max_fee, count * prices.max_fee)
            )
        return lines
    amounts = usage.quantity if usage.amount_sum is None else usage.amount_sum
    free_amount = allowance.take_amount(amounts)
    free_count = allowance.take_free(Decimal(usage.event_count))
    explain = replace(
        explain,
        free_amount_used=free_amount,
        free_units_used=free_count,
        notes=(f"{usage.event_count} transactions totalling {amounts:f}",),
    )
    if rate is not None:
        base = max(ZERO, amounts - free_amount)
        lines.append(
            line(
                LineKind.PERCENTAGE,
                f"{label} — {rate:f} % of {base:f}",
                base,
                rate / HUNDRED,
                rate * base / HUNDRED,
            )
        )
    if fixed is not None:
        count = max(ZERO, Decimal(usage.event_count) - free_count)
        text = f"{label} — {fixed:f} per transaction"
        lines.append(line(LineKind.TRANSACTION_FEE, text, count, fixed, count * fixed))
    return lines


def _smartcode_lines(
    spec: ChargeSpec,
    groups: Sequence[Usage],
    money: Currency,
    rounding: RoundingMode,
    smartcodes: PricingSmartCodes | None,
) -> list[RatedLine]:
    assert spec.smartcode_id is not None
    usage = whole_period(groups)
    if smartcodes is None:
        raise ChargeError(
            f"charge on {spec.metric} is priced by SmartCode {spec.smartcode_id}: "
            "a SmartCode runner is needed"
        )
    explain = Explanation(
        metric=spec.metric,
        model=spec.model,
        group=usage.group,
        units=usage.quantity,
        billed_units=usage.quantity,
        minimum_spend=spec.minimum_spend,
        smartcode_id=spec.smartcode_id,
    )
    returned = smartcodes.price(spec.smartcode_id, spec=spec, usage=usage, currency=money.code)
    # A line naming its group explains that group only (its units, and the events a
    # statement shares it over); the others, the whole period.
    by_label = {group_label(u.group): u for u in groups if u.group}
    lines = []
    for item in returned:
        mine = by_label.get(item.group) if item.group is not None else None
        explained = explain
        if mine is not None:
            explained = replace(
                explain, group=mine.group, units=mine.quantity, billed_units=mine.quantity
            )
        net = item.quantity * item.unit_price if item.net is None else item.net
        lines.append(
            _line(
                LineKind.SMARTCODE,
                item.description,
                item.quantity,
                item.unit_price,
                net,
                explained,
                money,
                rounding,
            )
        )
    return lines


def _minimum_spend(
    spec: ChargeSpec,
    lines: Sequence[RatedLine],
    money: Currency,
    rounding: RoundingMode,
    usages: Sequence[Usage],
) -> list[RatedLine]:
    if spec.minimum_spend is None:
        return []
    minimum = round_to_minor_unit(spec.minimum_spend, money, rounding)
    spent = sum((line.net for line in lines), ZERO)
    if spent >= minimum:
        return []
    top_up = minimum - spent
    explain = Explanation(
        metric=spec.metric,
        model=spec.model,
        units=sum((u.quantity for u in usages), ZERO),
        minimum_spend=spec.minimum_spend,
        notes=(f"period total {spent:f} below the minimum spend {minimum:f}: top-up {top_up:f}",),
    )
    label = spec.description or spec.metric
    text = f"{label} — minimum spend top-up (minimum {minimum:f})"
    return [RatedLine(LineKind.MINIMUM_SPEND, text, Decimal(1), top_up, top_up, explain)]
