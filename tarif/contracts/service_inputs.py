"""Inputs (`schemas.py`) turned into core values, with the catalog facts they need.

Only translation and look-ups happen here: inclusive last days become half-open ends, missing
prices come from the pricelist, missing periodicities and timings from the pricelist entry or
the product's kind. Whether the result is valid is the core's call (`validate_terms`,
`apply_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from tarif.catalog.periodicity import (
    Periodicity,
    PeriodicityError,
    PeriodUnit,
    Timing,
    parse_periodicity,
)
from tarif.catalog.rules import ProductKind
from tarif.context import Ctx
from tarif.contracts import service_catalog as cat
from tarif.contracts.changes import (
    AddLine,
    Change,
    ChangeCharge,
    ChangeDiscount,
    ChangePeriodicity,
    ChangePrice,
    ChangePricelist,
    ChangeQuantity,
    ChangeTerm,
    RemoveLine,
)
from tarif.contracts.dates import exclusive_end
from tarif.contracts.model import (
    Activation,
    ContractLine,
    ContractTerms,
    Discount,
    EarlyTerminationFee,
    LinePriceSource,
    MinimumCommitment,
    NoticePeriod,
    RenewalPolicy,
    metadata_of,
)
from tarif.contracts.schemas import (
    ActivationInput,
    AddLineChange,
    ChangeInput,
    ChargeChange,
    CommitmentInput,
    ContractCreate,
    DiscountChange,
    DiscountInput,
    FeeInput,
    LineInput,
    PeriodicityChange,
    PriceChange,
    PricelistChange,
    QuantityChange,
    RemoveLineChange,
    TermChange,
)
from tarif.errors import FieldError
from tarif.pricing.spec import ChargeSpec, InvalidCharge

MONTHLY = Periodicity(PeriodUnit.MONTH)


@dataclass
class Problems:
    """Field errors collected while translating, reported together with the core's."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))


# The core names a line's dates `start` and `end` (half-open) and groups the renewal and notice
# terms; the API's bodies say `start_date`, `end_date` (inclusive), `renewal_months`,
# `notice_months` and `notice_days`. A problem must point at the field the caller typed
# (docs/api-conventions.md: `pointer` is a JSON pointer into the request body).
_LINE_DATES = {"start": "start_date", "end": "end_date"}
_TERM_FIELDS = {
    "renewal": "renewal_months",
    "renewal.months": "renewal_months",
    "notice.months": "notice_months",
    "notice.days": "notice_days",
}


def input_field(path: str) -> str:
    """A core problem's path as the input names it: `lines.0.end` → `lines.0.end_date`,
    `changes.1.line.start` → `changes.1.line.start_date`; a discount's `start` stays."""
    if path in _TERM_FIELDS:
        return _TERM_FIELDS[path]
    parts = path.split(".")
    own_line = len(parts) >= 2 and (
        parts[-2] == "line" or (len(parts) >= 3 and parts[-3] == "lines" and parts[-2].isdigit())
    )
    if own_line and parts[-1] in _LINE_DATES:
        parts[-1] = _LINE_DATES[parts[-1]]
    return ".".join(parts)


def as_input_fields(problems: list[FieldError]) -> list[FieldError]:
    return [replace(p, field=input_field(p.field)) for p in problems]


def without_consequences(problems: list[FieldError]) -> list[FieldError]:
    """Drops what only follows from a reported unknown: no customer, so no default pricelist;
    no product, so no price."""
    fields = {p.field for p in problems}
    noise = {
        f"{f.removesuffix('product_id')}unit_price" for f in fields if f.endswith("product_id")
    }
    if "customer_id" in fields:
        noise.add("pricelist_id")
    return [p for p in problems if p.field not in noise]


def end_of(last_day: date | None) -> date | None:
    return None if last_day is None else exclusive_end(last_day)


def periodicity_of(text: str | None, path: str, problems: Problems) -> Periodicity | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_periodicity(text)
    except PeriodicityError as exc:
        problems.add(path, str(exc))
        return None


def discount_of(data: DiscountInput) -> Discount:
    return Discount(
        kind=data.kind,
        value=data.value,
        periods=data.periods,
        until=end_of(data.until),
        start=data.start,
    )


def commitment_of(
    data: CommitmentInput | None, path: str, problems: Problems
) -> MinimumCommitment | None:
    if data is None:
        return None
    periodicity = periodicity_of(data.periodicity, f"{path}.periodicity", problems)
    return MinimumCommitment(amount=data.amount, periodicity=periodicity)


def fee_of(data: FeeInput | None) -> EarlyTerminationFee | None:
    if data is None:
        return None
    return EarlyTerminationFee(kind=data.kind, amount=data.amount, percentage=data.percentage)


def activation_of(data: ActivationInput) -> Activation:
    return Activation(condition=data.condition, on=data.on)


@dataclass(frozen=True)
class PriceContext:
    """Where a line's pricelist price is looked up."""

    pricelist_id: str | None
    currency: str
    default_start: date  # the day a line without its own start is priced on


def charge_of(data: dict[str, object] | None, path: str, problems: Problems) -> ChargeSpec | None:
    """A charge from its JSON object; its problems are reported at `path.<field>`."""
    if data is None:
        return None
    try:
        return ChargeSpec.from_json(data)
    except InvalidCharge as exc:
        for problem in exc.problems:
            problems.add(f"{path}.{problem.field}", problem.message)
        return None


def default_timing(kind: ProductKind) -> Timing:
    return Timing.IN_ARREARS if kind is ProductKind.USAGE else Timing.IN_ADVANCE


def default_periodicity(kind: ProductKind) -> Periodicity:
    return Periodicity.one_off() if kind is ProductKind.ONE_OFF else MONTHLY


def line_of(
    ctx: Ctx, data: LineInput, path: str, prices: PriceContext, problems: Problems
) -> ContractLine:
    """A core line from its input; an unknown product is reported at `path.product_id`."""
    product = cat.products(ctx, [data.product_id]).get(data.product_id)
    if product is None:
        problems.add(f"{path}.product_id", f"no product '{data.product_id}' in this organization")
    kind = data.kind or (ProductKind(product.kind) if product else ProductKind.RECURRING)
    start = data.start_date
    periodicity = periodicity_of(data.periodicity, f"{path}.periodicity", problems)
    timing = data.timing
    on = start or prices.default_start
    found = None
    if product is not None and prices.pricelist_id is not None:
        found = cat.quote(
            ctx,
            pricelist_id=prices.pricelist_id,
            currency=prices.currency,
            product_id=product.id,
            on=on,
        )
    if found is not None:  # the entry's terms fill what the line leaves out
        periodicity = periodicity or found.periodicity
        timing = timing or found.timing
    unit_price, source = data.unit_price, LinePriceSource.OVERRIDE
    priced = kind is not ProductKind.USAGE  # a usage line is priced by its charge
    if data.unit_price is None:
        source = LinePriceSource.PRICELIST
        if found is not None and priced:
            unit_price = found.unit_price
        elif priced and product is not None and prices.pricelist_id is not None:
            problems.add(
                f"{path}.unit_price",
                f"the pricelist has no price for product {product.code} on {on.isoformat()}"
                f" in {prices.currency}: give a unit_price to override it",
            )
    # A usage line's charge: its own (an override), else the pricelist entry's, copied like a
    # price so that later pricelist changes leave signed contracts alone.
    charge = charge_of(data.charge, f"{path}.charge", problems)
    if data.charge is not None:
        source = LinePriceSource.OVERRIDE
    elif found is not None and not priced:
        charge = found.charge
    if periodicity is not None and kind is not ProductKind.ONE_OFF and periodicity.is_one_off:
        periodicity = None  # a one-off entry price does not make a recurring line one-off
    line_key = data.line_key or (cat.line_key_for(product.code) if product else "line")
    return ContractLine(
        line_key=line_key,
        product_id=data.product_id,
        kind=kind,
        quantity=data.quantity,
        unit_price=unit_price,
        price_source=source,
        periodicity=periodicity or default_periodicity(kind),
        timing=timing or default_timing(kind),
        description=data.description or cat.product_name(product),
        start=start,
        end=end_of(data.end_date),
        discounts=tuple(discount_of(d) for d in data.discounts),
        minimum_commitment=commitment_of(
            data.minimum_commitment, f"{path}.minimum_commitment", problems
        ),
        charge=charge,
    )


def terms_of(
    ctx: Ctx,
    data: ContractCreate,
    *,
    currency: str,
    pricelist_id: str | None,
    problems: Problems,
) -> ContractTerms:
    prices = PriceContext(pricelist_id, currency, data.start_date)
    lines = tuple(
        line_of(ctx, line, f"lines.{index}", prices, problems)
        for index, line in enumerate(data.lines)
    )
    return ContractTerms(
        customer_id=data.customer_id,
        reference=data.reference,
        currency=currency,
        pricelist_id=pricelist_id,
        start_date=data.start_date,
        end_date=end_of(data.end_date),
        signed_on=data.signed_on,
        initial_term_months=data.initial_term_months,
        renewal=RenewalPolicy(data.renewal_months),
        notice=NoticePeriod(data.notice_months, data.notice_days),
        billing_alignment=data.billing_alignment,
        invoice_grouping=data.invoice_grouping,
        activation=activation_of(data.activation),
        purchase_order=data.purchase_order or None,
        corrections=data.corrections,
        credit_on_termination=data.credit_on_termination,
        payment_terms_days=data.payment_terms_days,
        metadata=metadata_of(data.metadata),
        lines=lines,
        minimum_commitment=commitment_of(data.minimum_commitment, "minimum_commitment", problems),
        early_termination_fee=fee_of(data.early_termination_fee),
    )


def reprice(ctx: Ctx, terms: ContractTerms, problems: Problems) -> ContractTerms:
    """A draft's lines priced from the pricelist, looked up again (after a header change)."""
    result = terms
    for index, line in enumerate(terms.lines):
        if line.price_source is not LinePriceSource.PRICELIST:
            continue
        on = terms.line_start(line)
        if line.kind is ProductKind.USAGE:  # its charge is copied from the pricelist again
            found = cat.quote(
                ctx,
                pricelist_id=terms.pricelist_id,
                currency=terms.currency,
                product_id=line.product_id,
                on=on,
            )
            result = result.with_line(replace(line, charge=found.charge if found else None))
            continue
        price = None
        if terms.pricelist_id is not None:
            price = cat.unit_price(
                ctx,
                pricelist_id=terms.pricelist_id,
                currency=terms.currency,
                product_id=line.product_id,
                on=on,
            )
            if price is None:
                problems.add(
                    f"lines.{index}.unit_price",
                    f"the pricelist has no price for product {line.product_id} on "
                    f"{on.isoformat()} in {terms.currency}: give a unit_price to override it",
                )
        result = result.with_line(replace(line, unit_price=price))
    return result


# --- amendment changes -------------------------------------------------------------------------


def changes_of(
    ctx: Ctx,
    inputs: list[ChangeInput],
    *,
    terms: ContractTerms,
    effective: date,
    problems: Problems,
) -> tuple[tuple[Change, ...], set[str]]:
    """Core changes, and the keys of the lines they add (whose products are checked)."""
    changes: list[Change] = []
    added: set[str] = set()
    pricelist_id = terms.pricelist_id
    for index, data in enumerate(inputs):
        path = f"changes.{index}"
        change: Change
        if isinstance(data, AddLineChange):
            prices = PriceContext(pricelist_id, terms.currency, max(effective, terms.start_date))
            line = line_of(ctx, data.line, f"{path}.line", prices, problems)
            added.add(line.line_key)
            change = AddLine(line)
        elif isinstance(data, RemoveLineChange):
            change = RemoveLine(data.line_key)
        elif isinstance(data, QuantityChange):
            change = ChangeQuantity(data.line_key, data.quantity)
        elif isinstance(data, PriceChange):
            change = _price_change(ctx, data, terms, pricelist_id, effective, path, problems)
        elif isinstance(data, ChargeChange):
            change = _charge_change(ctx, data, terms, pricelist_id, effective, path, problems)
        elif isinstance(data, PeriodicityChange):
            periodicity = periodicity_of(data.periodicity, f"{path}.periodicity", problems)
            change = ChangePeriodicity(data.line_key, periodicity, data.timing)
        elif isinstance(data, DiscountChange):
            change = ChangeDiscount(data.line_key, tuple(discount_of(d) for d in data.discounts))
        elif isinstance(data, PricelistChange):
            change = _pricelist_change(ctx, data, terms, effective, path, problems)
            pricelist_id = data.pricelist_id
        else:
            change = _term_change(data)
        changes.append(change)
    return tuple(changes), added


def _price_change(
    ctx: Ctx,
    data: PriceChange,
    terms: ContractTerms,
    pricelist_id: str | None,
    effective: date,
    path: str,
    problems: Problems,
) -> ChangePrice:
    if data.unit_price is not None:
        return ChangePrice(data.line_key, data.unit_price, LinePriceSource.OVERRIDE)
    line = terms.line(data.line_key)
    price = None
    if line is not None and pricelist_id is not None:
        price = cat.unit_price(
            ctx,
            pricelist_id=pricelist_id,
            currency=terms.currency,
            product_id=line.product_id,
            on=effective,
        )
    if line is not None and price is None:
        problems.add(
            f"{path}.unit_price",
            f"the pricelist has no price for line {data.line_key} on {effective.isoformat()}: "
            "give a unit_price to override it",
        )
    # An unknown line is reported by the core at `line_key`; a missing price just above.
    return ChangePrice(
        data.line_key, Decimal(0) if price is None else price, LinePriceSource.PRICELIST
    )


def _charge_change(
    ctx: Ctx,
    data: ChargeChange,
    terms: ContractTerms,
    pricelist_id: str | None,
    effective: date,
    path: str,
    problems: Problems,
) -> ChangeCharge:
    if data.charge is not None:
        charge = charge_of(data.charge, f"{path}.charge", problems)
        return ChangeCharge(data.line_key, charge, LinePriceSource.OVERRIDE)
    line = terms.line(data.line_key)
    found = None
    if line is not None:
        found = cat.quote(
            ctx,
            pricelist_id=pricelist_id,
            currency=terms.currency,
            product_id=line.product_id,
            on=effective,
        )
    # No entry charge: None, and the entry's charge applies when the usage is rated.
    return ChangeCharge(data.line_key, found.charge if found else None, LinePriceSource.PRICELIST)


def _pricelist_change(
    ctx: Ctx,
    data: PricelistChange,
    terms: ContractTerms,
    effective: date,
    path: str,
    problems: Problems,
) -> ChangePricelist:
    pricelist = cat.pricelist_or_none(ctx, data.pricelist_id)
    if pricelist is None:
        problems.add(f"{path}.pricelist_id", f"no pricelist '{data.pricelist_id}' here")
        return ChangePricelist(data.pricelist_id)
    if pricelist.currency != terms.currency:
        problems.add(
            f"{path}.pricelist_id",
            f"the pricelist is in {pricelist.currency} but the contract is in {terms.currency}",
        )
        return ChangePricelist(data.pricelist_id)
    repriced = []
    for line in terms.lines:
        end = terms.line_end(line)
        ended = end is not None and end <= effective
        if line.price_source is not LinePriceSource.PRICELIST or line.unit_price is None or ended:
            continue
        price = cat.unit_price(
            ctx,
            pricelist_id=pricelist.id,
            currency=terms.currency,
            product_id=line.product_id,
            on=max(effective, terms.line_start(line)),
        )
        if price is None:
            problems.add(
                f"{path}.pricelist_id",
                f"pricelist {pricelist.id} has no price for line {line.line_key} on "
                f"{effective.isoformat()}",
            )
            continue
        repriced.append((line.line_key, price))
    return ChangePricelist(pricelist.id, tuple(repriced))


def _term_change(data: TermChange) -> ChangeTerm:
    renewal = None
    if data.no_renewal:
        renewal = RenewalPolicy()
    elif data.renewal_months is not None:
        renewal = RenewalPolicy(data.renewal_months)
    notice = None
    if data.notice_months is not None or data.notice_days is not None:
        notice = NoticePeriod(data.notice_months or 0, data.notice_days or 0)
    return ChangeTerm(
        end_date=end_of(data.end_date),
        initial_term_months=data.initial_term_months,
        renewal=renewal,
        notice=notice,
        early_termination_fee=fee_of(data.early_termination_fee),
        no_early_termination_fee=data.no_early_termination_fee,
    )
