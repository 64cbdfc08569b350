"""Validation of charges: every problem at once, each naming its field (`tiers.1.up_to`)."""

from __future__ import annotations

from decimal import Decimal

from tarif.errors import FieldError
from tarif.money import minor_unit_problem
from tarif.money.number import MAX_DECIMALS, decimals_of
from tarif.pricing.percentage import FeeThresholds, fee_thresholds
from tarif.pricing.spec import ChargeModel, ChargePrices, ChargeSpec

HUNDRED = Decimal(100)
# Far above any real price or quantity; keeps a typo such as 1E+999999 from being written out.
MAX_AMOUNT = Decimal(10) ** 15
# A rate of 2.5 % becomes the unit price 0.025 of the rate line; 4 decimals of percent keep
# that unit price within the 6 decimals a unit price may carry.
RATE_DECIMALS = 4

# The price fields each model reads; any other one set is a mistake worth refusing.
MODEL_FIELDS: dict[ChargeModel, frozenset[str]] = {
    ChargeModel.PER_UNIT: frozenset({"unit_price"}),
    ChargeModel.GRADUATED: frozenset({"tiers"}),
    ChargeModel.VOLUME: frozenset({"tiers"}),
    ChargeModel.PACKAGE: frozenset({"package_size", "package_price"}),
    ChargeModel.PERCENTAGE: frozenset({"rate", "fixed_fee", "min_fee", "max_fee"}),
}
ALL_PRICE_FIELDS = (
    "unit_price",
    "tiers",
    "package_size",
    "package_price",
    "rate",
    "fixed_fee",
    "min_fee",
    "max_fee",
)


def amount_problem(value: Decimal | None, *, positive: bool = False) -> str | None:
    """Why a price or quantity is refused: negative (or zero when `positive`), > 6 decimals."""
    if value is None:
        return None
    if positive and value <= 0:
        return "must be greater than 0"
    if value < 0:
        return "must not be negative"
    if value >= MAX_AMOUNT:
        return "must be less than 10^15"
    if decimals_of(value) > MAX_DECIMALS:
        return f"at most {MAX_DECIMALS} decimals"
    return None


def charge_problems(spec: ChargeSpec, *, currency: str | None = None) -> list[FieldError]:
    """Every problem of the charge; with the `currency` it bills in, also its amounts billed as
    they are that have more decimals than the currency's minor unit (`money_problems`)."""
    problems: list[FieldError] = []

    def check(path: str, value: Decimal | None, *, positive: bool = False) -> None:
        message = amount_problem(value, positive=positive)
        if message:
            problems.append(FieldError(path, message))

    if not spec.metric.strip():
        problems.append(FieldError("metric", "required: the code of the metric this charge prices"))
    elif len(spec.metric) > 60:
        problems.append(FieldError("metric", "at most 60 characters"))
    if spec.smartcode_id is not None and not spec.smartcode_id.strip():
        problems.append(FieldError("smartcode_id", "must not be empty (omit it instead)"))
    elif spec.smartcode_id is not None and len(spec.smartcode_id) > 40:
        problems.append(FieldError("smartcode_id", "at most 40 characters"))
    if len(spec.description) > 200:
        problems.append(FieldError("description", "at most 200 characters"))
    check("free_units", spec.free_units)
    check("prepaid_units", spec.prepaid_units)
    check("free_amount", spec.free_amount)
    check("minimum_spend", spec.minimum_spend)
    percentage = spec.model is ChargeModel.PERCENTAGE
    if spec.free_amount and not percentage:
        problems.append(FieldError("free_amount", "only the percentage model has a free amount"))
    if spec.prepaid_units and percentage:
        problems.append(
            FieldError(
                "prepaid_units", "the percentage model has no prepaid units: use free_amount"
            )
        )
    problems += prices_problems(spec.model, spec.prices, "")
    seen: set[tuple[tuple[str, str], ...]] = set()
    for index, group in enumerate(spec.group_prices):
        prefix = f"group_prices.{index}."
        if not group.group:
            problems.append(FieldError(f"{prefix}group", "needs at least one group value"))
        if any(len(k) > 60 or len(v) > 200 for k, v in group.group):
            problems.append(
                FieldError(f"{prefix}group", "names: at most 60 characters, values: at most 200")
            )
        if group.group in seen:
            problems.append(FieldError(f"{prefix}group", "the same group is priced twice"))
        seen.add(group.group)
        problems += prices_problems(spec.model, group.prices, prefix)
    if percentage:
        problems += _group_bound_problems(spec)
    if percentage and (spec.free_amount or spec.free_units):
        bounded = [spec.prices, *(g.prices for g in spec.group_prices)]
        if any(p.has_fee_bounds for p in bounded):
            # A free amount or free transactions belong to no particular transaction, so they
            # cannot be applied before each transaction's fee is bounded.
            field = "free_amount" if spec.free_amount else "free_units"
            problems.append(
                FieldError(field, "cannot be combined with a per-transaction min_fee or max_fee")
            )
    if currency is not None:
        already = {p.field for p in problems}
        problems += [p for p in money_problems(spec, currency) if p.field not in already]
    return problems


def _group_bound_problems(spec: ChargeSpec) -> list[FieldError]:
    """With per-transaction fee bounds, the store splits each period's transactions by bound in
    the same query for every group (`tarif.pricing.percentage`): each group price must bound
    its fees at the transaction amounts where the charge's own prices do (its rate, fixed fee
    and bounds may differ only in ways that keep those amounts). Otherwise a group would be
    billed by another group's bands."""
    if not any(p.has_fee_bounds for p in (spec.prices, *(g.prices for g in spec.group_prices))):
        return []
    own = fee_thresholds(spec.prices) if spec.prices.has_fee_bounds else None
    problems: list[FieldError] = []
    for index, group in enumerate(spec.group_prices):
        prices = group.prices
        bounded = prices.has_fee_bounds
        if bounded == spec.prices.has_fee_bounds and fee_thresholds(prices) == own:
            continue
        field = f"group_prices.{index}." + ("min_fee" if prices.min_fee is not None else "rate")
        if not spec.prices.has_fee_bounds:
            message = "a group price may bound fees only when the charge's own prices do"
        elif not bounded:
            message = (
                "the charge's own prices bound each transaction's fee: bound this group's "
                "too, at the same transaction amounts"
            )
        else:
            message = (
                "bounds each transaction's fee at other amounts than the charge's own prices "
                f"({_bound_amounts(fee_thresholds(prices))} against "
                f"{_bound_amounts(own)}): give it the same rate, fixed fee and bounds"
            )
        problems.append(FieldError(field, message))
    return problems


def _bound_amounts(thresholds: FeeThresholds | None) -> str:
    """Where a price's bounds split transactions, for a message."""
    if thresholds is None:
        return "every transaction alike"
    sides = []
    if thresholds.below_micros is not None:
        sides.append(f"min_fee below {_amount(thresholds.below_micros)}")
    if thresholds.above_micros is not None:
        sides.append(f"max_fee above {_amount(thresholds.above_micros)}")
    return ", ".join(sides)


def _amount(micros: int) -> str:
    return f"{(Decimal(micros) / 1_000_000).normalize():f}"


def money_problems(spec: ChargeSpec, currency: str) -> list[FieldError]:
    """The charge's amounts billed as they are, each on a line of its own (a minimum spend's
    top-up, a tier's flat fee, a package's price: ceil(units ÷ size) × price), with more decimals
    than `currency`'s minor unit: 50.001 EUR, 9.5 JPY. A line's amount is rounded once to the
    minor unit, so such a price would be billed as another amount than the one written. Unit
    prices, fixed fees and fee bounds (per unit or per transaction, multiplied or summed before
    rounding) keep their 6 decimals.

    Separate from `charge_problems` because a charge alone does not know its currency: the
    pricelist entry or the contract holding it does, and asks."""
    problems: list[FieldError] = []

    def check(path: str, value: Decimal | None) -> None:
        message = None if value is None else minor_unit_problem(value, currency)
        if message:
            problems.append(FieldError(path, message))

    check("minimum_spend", spec.minimum_spend)
    priced = [("", spec.prices)]
    priced += [(f"group_prices.{i}.", g.prices) for i, g in enumerate(spec.group_prices)]
    for prefix, prices in priced:
        check(f"{prefix}package_price", prices.package_price)
        for index, tier in enumerate(prices.tiers):
            check(f"{prefix}tiers.{index}.flat_fee", tier.flat_fee)
    return problems


def prices_problems(model: ChargeModel, prices: ChargePrices, prefix: str) -> list[FieldError]:
    problems: list[FieldError] = []

    def fail(name: str, message: str) -> None:
        problems.append(FieldError(f"{prefix}{name}", message))

    def check(name: str, value: Decimal | None, *, positive: bool = False) -> None:
        message = amount_problem(value, positive=positive)
        if message:
            fail(name, message)

    used = MODEL_FIELDS[model]
    for name in ALL_PRICE_FIELDS:
        value = getattr(prices, name)
        if name not in used and value not in (None, ()):
            fail(name, f"not used by the {model.value} model")
    if model is ChargeModel.PER_UNIT:
        if prices.unit_price is None:
            fail("unit_price", "required by the per_unit model")
        check("unit_price", prices.unit_price)
    elif model in (ChargeModel.GRADUATED, ChargeModel.VOLUME):
        problems += tiers_problems(prices, prefix)
    elif model is ChargeModel.PACKAGE:
        if prices.package_size is None:
            fail("package_size", "required by the package model")
        if prices.package_price is None:
            fail("package_price", "required by the package model")
        check("package_size", prices.package_size, positive=True)
        check("package_price", prices.package_price)
    else:
        if prices.rate is None and prices.fixed_fee is None:
            fail("rate", "a percentage charge needs a rate, a fixed_fee or both")
        if prices.rate is not None:
            if not 0 <= prices.rate <= HUNDRED:
                fail("rate", "must lie between 0 and 100 (percent)")
            elif decimals_of(prices.rate) > RATE_DECIMALS:
                fail("rate", f"at most {RATE_DECIMALS} decimals")
        check("fixed_fee", prices.fixed_fee)
        check("min_fee", prices.min_fee)
        check("max_fee", prices.max_fee)
        low, high = prices.min_fee, prices.max_fee
        if low is not None and high is not None and low > high:
            fail("min_fee", "must not exceed max_fee")
    return problems


def tiers_problems(prices: ChargePrices, prefix: str) -> list[FieldError]:
    problems: list[FieldError] = []
    tiers = prices.tiers
    if not tiers:
        return [FieldError(f"{prefix}tiers", "at least one tier is required")]
    previous = Decimal(0)
    for index, tier in enumerate(tiers):
        at = f"{prefix}tiers.{index}."
        last = index == len(tiers) - 1
        for name, value in (("unit_price", tier.unit_price), ("flat_fee", tier.flat_fee)):
            message = amount_problem(value)
            if message:
                problems.append(FieldError(at + name, message))
        if tier.up_to is None:
            if not last:
                problems.append(FieldError(at + "up_to", "only the last tier is open (null)"))
            continue
        if last:
            problems.append(
                FieldError(at + "up_to", "the last tier must be open: up_to null (no upper bound)")
            )
        message = amount_problem(tier.up_to, positive=True)
        if message:
            problems.append(FieldError(at + "up_to", message))
        elif tier.up_to <= previous:
            problems.append(
                FieldError(at + "up_to", f"tiers must increase: {tier.up_to:f} ≤ {previous:f}")
            )
        else:
            previous = tier.up_to
    return problems
