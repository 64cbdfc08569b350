"""Validation of contract terms: every problem at once, each with a field path.

Pure. `validate_terms` checks what the terms alone can tell (dates, quantities, prices,
discounts, term and renewal). Facts that live in the database (the pricelist's currency, archived
products, references already taken, what was already invoiced) are checked by the predicates of
`tarif.contracts.facts`, which answer in the same `FieldError` shape.
"""

from __future__ import annotations

import re
from decimal import Decimal

from tarif.catalog.periodicity import Timing
from tarif.catalog.rules import MAX_UNIT_PRICE, ProductKind
from tarif.contracts.dates import last_day
from tarif.contracts.model import (
    ActivationCondition,
    ContractLine,
    ContractTerms,
    Discount,
    DiscountKind,
    EarlyTerminationFee,
    FeeKind,
    LinePriceSource,
    MinimumCommitment,
)
from tarif.errors import ErrorCollector, FieldError
from tarif.money import is_known_currency, minor_unit_problem
from tarif.pricing.validation import charge_problems

LINE_KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MAX_REFERENCE_LENGTH = 60
MAX_TEXT_LENGTH = 200
MAX_TERM_MONTHS = 1200  # 100 years: beyond is a typing mistake
MAX_PAYMENT_TERMS_DAYS = 365
SIX_DECIMALS = Decimal("0.000001")
HUNDRED = Decimal(100)


def validate_terms(terms: ContractTerms) -> list[FieldError]:
    """Every problem of the terms, with paths such as `lines.2.quantity` (empty when valid)."""
    errors = ErrorCollector()
    _check_header(terms, errors)
    _check_term(terms, errors)
    _check_commitment(terms.minimum_commitment, terms.currency, "minimum_commitment", errors)
    _check_fee(terms.early_termination_fee, terms.currency, "early_termination_fee", errors)
    first_index_of: dict[str, int] = {}
    for index, line in enumerate(terms.lines):
        path = f"lines.{index}"
        if line.line_key in first_index_of:
            first = first_index_of[line.line_key]
            errors.add(f"{path}.line_key", f"'{line.line_key}' is already the key of lines.{first}")
        first_index_of.setdefault(line.line_key, index)
        _check_line(terms, line, path, errors)
    return errors.errors


def ensure_valid(terms: ContractTerms) -> None:
    """Raise `InvalidInput` listing every problem of the terms."""
    raise_if_any(validate_terms(terms), "The contract is not valid")


def _check_header(terms: ContractTerms, errors: ErrorCollector) -> None:
    if not terms.customer_id.strip():
        errors.add("customer_id", "is required")
    reference = terms.reference.strip()
    if not reference:
        errors.add("reference", "is required")
    elif len(reference) > MAX_REFERENCE_LENGTH:
        errors.add("reference", f"must be at most {MAX_REFERENCE_LENGTH} characters")
    if not is_known_currency(terms.currency):
        errors.add("currency", f"unknown ISO 4217 currency '{terms.currency}'")
    if terms.pricelist_id is None and any(
        line.price_source is LinePriceSource.PRICELIST for line in terms.lines
    ):
        errors.add("pricelist_id", "is required when a line takes its price from the pricelist")
    activation = terms.activation
    if activation.condition is ActivationCondition.AT_DATE and activation.on is None:
        errors.add("activation.on", "is required to activate at a date")
    if activation.condition is not ActivationCondition.AT_DATE and activation.on is not None:
        errors.add("activation.on", f"must be empty for activation {activation.condition.value}")
    if terms.payment_terms_days is not None and not (
        0 <= terms.payment_terms_days <= MAX_PAYMENT_TERMS_DAYS
    ):
        errors.add("payment_terms_days", f"must be between 0 and {MAX_PAYMENT_TERMS_DAYS} days")
    if terms.purchase_order is not None and len(terms.purchase_order) > MAX_TEXT_LENGTH:
        errors.add("purchase_order", f"must be at most {MAX_TEXT_LENGTH} characters")
    seen: set[str] = set()
    for index, (key, _value) in enumerate(terms.metadata):
        if not key.strip():
            errors.add(f"metadata.{index}", "a metadata key cannot be empty")
        elif key in seen:
            errors.add(f"metadata.{key}", "is given twice")
        seen.add(key)


def _check_term(terms: ContractTerms, errors: ErrorCollector) -> None:
    if terms.end_date is not None and terms.end_date <= terms.start_date:
        errors.add(
            "end_date",
            f"the contract would end (last day {last_day(terms.end_date).isoformat()}) before "
            f"it starts on {terms.start_date.isoformat()}",
        )
    months = terms.initial_term_months
    if months is not None and not 1 <= months <= MAX_TERM_MONTHS:
        errors.add("initial_term_months", f"must be between 1 and {MAX_TERM_MONTHS} months")
    renewal = terms.renewal
    if renewal.months is not None:
        if not 1 <= renewal.months <= MAX_TERM_MONTHS:
            errors.add("renewal.months", f"must be between 1 and {MAX_TERM_MONTHS} months")
        if months is None:
            errors.add("renewal", "an auto-renewing contract needs an initial term to renew")
        if terms.end_date is not None:
            errors.add(
                "renewal",
                "a contract with an end date does not renew: leave the end date empty "
                "(evergreen) to auto-renew",
            )
    if terms.notice.months < 0 or terms.notice.months > MAX_TERM_MONTHS:
        errors.add("notice.months", f"must be between 0 and {MAX_TERM_MONTHS}")
    if terms.notice.days < 0:
        errors.add("notice.days", "must be zero or more")


def _check_line(
    terms: ContractTerms, line: ContractLine, path: str, errors: ErrorCollector
) -> None:
    if not LINE_KEY_PATTERN.fullmatch(line.line_key):
        errors.add(
            f"{path}.line_key",
            "use 1 to 40 lowercase letters, digits, '_' or '-', starting with a letter or digit",
        )
    if not line.product_id.strip():
        errors.add(f"{path}.product_id", "is required")
    if len(line.description) > MAX_TEXT_LENGTH:
        errors.add(f"{path}.description", f"must be at most {MAX_TEXT_LENGTH} characters")
    problem = decimal_problem(line.quantity, positive=True)
    if problem:
        errors.add(f"{path}.quantity", problem)
    _check_price(line, terms.currency, path, errors)
    _check_periodicity(line, path, errors)
    _check_line_dates(terms, line, path, errors)
    for index, discount in enumerate(line.discounts):
        _check_discount(terms, line, discount, f"{path}.discounts.{index}", errors)
    _check_commitment(line.minimum_commitment, terms.currency, f"{path}.minimum_commitment", errors)


def _check_price(line: ContractLine, code: str, path: str, errors: ErrorCollector) -> None:
    if line.charge is not None and line.kind is not ProductKind.USAGE:
        errors.add(f"{path}.charge", "only usage lines have a charge")
    if line.charge is not None:
        # the line's own charge bills in the contract's currency (minimum spend, flat fees)
        for found in charge_problems(line.charge, currency=code):
            errors.add(f"{path}.charge.{found.field}", found.message)
    if line.kind is ProductKind.USAGE:
        if line.unit_price is not None:
            errors.add(f"{path}.unit_price", "must be empty: a usage line is priced by its charge")
        return
    if line.unit_price is None:
        errors.add(f"{path}.unit_price", "is required (from the pricelist or an override)")
        return
    problem = decimal_problem(line.unit_price, positive=False)
    if problem:
        errors.add(f"{path}.unit_price", problem)


def _check_periodicity(line: ContractLine, path: str, errors: ErrorCollector) -> None:
    if line.kind is ProductKind.ONE_OFF and not line.periodicity.is_one_off:
        errors.add(f"{path}.periodicity", "a one-off line is billed once: use one_off")
    if line.kind is not ProductKind.ONE_OFF and line.periodicity.is_one_off:
        errors.add(f"{path}.periodicity", f"a {line.kind.value} line needs a repeating periodicity")
    if line.kind is ProductKind.USAGE and line.timing is not Timing.IN_ARREARS:
        errors.add(f"{path}.timing", "usage is billed in arrears, once it is measured")


def _check_line_dates(
    terms: ContractTerms, line: ContractLine, path: str, errors: ErrorCollector
) -> None:
    start = terms.line_start(line)
    contract_end = terms.end_date
    if contract_end is not None and contract_end <= terms.start_date:
        contract_end = None  # reported once on end_date, not again on every line
    if line.start is not None and line.start < terms.start_date:
        errors.add(
            f"{path}.start",
            f"{line.start.isoformat()} is before the contract start {terms.start_date.isoformat()}",
        )
    if contract_end is not None and start >= contract_end:
        errors.add(
            f"{path}.start",
            f"{start.isoformat()} is after the contract's last day "
            f"{last_day(contract_end).isoformat()}",
        )
    if line.end is None:
        return
    if line.end <= start:
        errors.add(
            f"{path}.end",
            f"the line would end (last day {last_day(line.end).isoformat()}) before it starts "
            f"on {start.isoformat()}",
        )
    if contract_end is not None and line.end > contract_end:
        errors.add(
            f"{path}.end",
            f"last day {last_day(line.end).isoformat()} is after the contract's last day "
            f"{last_day(contract_end).isoformat()}",
        )


def _check_discount(
    terms: ContractTerms,
    line: ContractLine,
    discount: Discount,
    path: str,
    errors: ErrorCollector,
) -> None:
    problem = decimal_problem(discount.value, positive=False)
    if problem:
        errors.add(f"{path}.value", problem)
    elif discount.kind is DiscountKind.PERCENTAGE and discount.value > 100:
        errors.add(f"{path}.value", "a percentage must be between 0 and 100")
    elif discount.kind is DiscountKind.FIXED and (
        # an amount off is money of the contract's currency, like a fee or a coupon's amount
        minor := minor_unit_problem(discount.value, terms.currency)
    ):
        errors.add(f"{path}.value", minor)
    if discount.periods is not None and discount.until is not None:
        errors.add(path, "give either a number of periods or an end date, not both")
    if discount.periods is not None and discount.periods < 1:
        errors.add(f"{path}.periods", "must be 1 or more")
    line_start, line_end = terms.line_start(line), terms.line_end(line)
    start = discount.start or line_start
    if discount.start is not None and (
        discount.start < line_start or (line_end is not None and discount.start >= line_end)
    ):
        errors.add(f"{path}.start", f"{discount.start.isoformat()} is outside the line's dates")
    if discount.until is not None and discount.until <= start:
        errors.add(f"{path}.until", f"must be after the discount's start {start.isoformat()}")


def _money_problem(amount: Decimal, code: str) -> str | None:
    """Why `amount` is not a positive amount of the currency `code`: an amount billed as it is
    (a fee, a minimum topped up to) has at most the currency's minor unit of decimals."""
    return decimal_problem(amount, positive=True) or minor_unit_problem(amount, code)


def _check_commitment(
    commitment: MinimumCommitment | None, code: str, path: str, errors: ErrorCollector
) -> None:
    if commitment is None:
        return
    problem = _money_problem(commitment.amount, code)
    if problem:
        errors.add(f"{path}.amount", problem)
    if commitment.periodicity is not None and commitment.periodicity.is_one_off:
        errors.add(f"{path}.periodicity", "a minimum per period needs a repeating periodicity")


def _check_fee(
    fee: EarlyTerminationFee | None, code: str, path: str, errors: ErrorCollector
) -> None:
    if fee is None:
        return
    if fee.kind is FeeKind.FIXED:
        if fee.amount is None:
            errors.add(f"{path}.amount", "is required for a fixed fee")
        else:
            problem = _money_problem(fee.amount, code)
            if problem:
                errors.add(f"{path}.amount", problem)
    elif fee.amount is not None:
        errors.add(f"{path}.amount", "is only for a fixed fee")
    if fee.kind is FeeKind.PERCENTAGE_OF_REMAINING:
        if fee.percentage is None:
            errors.add(f"{path}.percentage", "is required for a percentage of the remaining")
        else:
            problem = decimal_problem(fee.percentage, positive=True)
            if problem is None and fee.percentage > HUNDRED:
                problem = "must be at most 100"
            if problem:
                errors.add(f"{path}.percentage", problem)
    elif fee.percentage is not None:
        errors.add(f"{path}.percentage", "is only for a percentage of the remaining")


def decimal_problem(value: Decimal, *, positive: bool) -> str | None:
    """What is wrong with a quantity, price or amount: sign, size, more than 6 decimals."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return "must be a finite decimal number"
    if positive and value <= 0:
        return "must be greater than 0"
    if value < 0:
        return "must be zero or more"
    if value >= MAX_UNIT_PRICE:
        return "is too large (at most 14 digits before the decimal point)"
    if value != value.quantize(SIX_DECIMALS):
        return "must have at most 6 decimals"
    return None


def submission_problems(terms: ContractTerms) -> list[FieldError]:
    """What keeps a draft from being submitted, on top of `validate_terms`."""
    if not terms.lines:
        return [FieldError("lines", "a contract needs at least one line")]
    return []


def raise_if_any(problems: list[FieldError], detail: str) -> None:
    """Raise `InvalidInput` carrying every problem, when there is any."""
    if problems:
        ErrorCollector(list(problems)).raise_if_any(detail)
