"""Contract terms as plain, immutable values: what a customer subscribed to, line by line.

Pure: no database, no clock. Amounts, prices and quantities are `Decimal` (at most 6 decimals);
every range is half-open, `[start, end)` (see `tarif.contracts.dates` for how an inclusive last
day typed by a person maps to it). A line's `start`/`end` left empty follow the contract's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tarif.catalog.periodicity import Periodicity, Timing
from tarif.catalog.rules import ProductKind
from tarif.pricing.spec import ChargeSpec


class ContractStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


# Statuses a contract has until it ends: reaching its end date terminates it.
RUNNING_STATUSES = (ContractStatus.PENDING, ContractStatus.ACTIVE, ContractStatus.SUSPENDED)


class BillingAlignment(StrEnum):
    CALENDAR = "calendar"  # periods start on the 1st of the month/quarter/year
    ANNIVERSARY = "anniversary"  # periods start on the line's start date


class InvoiceGrouping(StrEnum):
    CUSTOMER = "customer"  # every contract of the customer due the same day on one invoice
    CONTRACT = "contract"  # one invoice per contract


class Corrections(StrEnum):
    """How a run bills credits for periods an already finalized invoice billed."""

    ADJUSTMENT = "adjustment"  # on the next invoice, as negative lines (the default)
    CREDIT_NOTE = "credit_note"  # on a credit note correcting that invoice


class ActivationCondition(StrEnum):
    AT_DATE = "at_date"
    ON_SIGNATURE = "on_signature"
    ON_FIRST_PAYMENT = "on_first_payment"
    MANUAL = "manual"


class LinePriceSource(StrEnum):
    PRICELIST = "pricelist"  # looked up in the contract's pricelist at the line's start
    OVERRIDE = "override"  # typed on the contract, flagged as such on invoices


class DiscountKind(StrEnum):
    PERCENTAGE = "percentage"
    FIXED = "fixed"  # an amount off each period, in the contract's currency


def plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


@dataclass(frozen=True)
class RenewalPolicy:
    """At each term end: renew automatically for `months` more, or (None) do not renew."""

    months: int | None = None

    @classmethod
    def auto(cls, months: int) -> RenewalPolicy:
        return cls(months)

    @property
    def auto_renews(self) -> bool:
        return self.months is not None

    def __str__(self) -> str:
        return "no renewal" if self.months is None else f"auto-renew {plural(self.months, 'month')}"


@dataclass(frozen=True)
class NoticePeriod:
    """How long before a termination date notice must be given (months first, then days)."""

    months: int = 0
    days: int = 0

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.days == 0

    def __str__(self) -> str:
        if self.is_zero:
            return "no notice"
        parts = [plural(self.months, "month")] if self.months else []
        parts += [plural(self.days, "day")] if self.days else []
        return " ".join(parts)


@dataclass(frozen=True)
class Activation:
    """When a pending contract becomes active; `on` is the date of an `at_date` condition."""

    condition: ActivationCondition = ActivationCondition.MANUAL
    on: date | None = None

    def __str__(self) -> str:
        if self.condition is ActivationCondition.AT_DATE and self.on is not None:
            return f"at {self.on.isoformat()}"
        return self.condition.value.replace("_", " ")


@dataclass(frozen=True)
class Discount:
    """A line discount for `periods` billing periods, or until `until` (exclusive), or forever.

    Periods are counted from `start`, the line's start when empty.
    """

    kind: DiscountKind
    value: Decimal
    periods: int | None = None
    until: date | None = None
    start: date | None = None

    def __str__(self) -> str:
        amount = (
            f"{self.value:f}%" if self.kind is DiscountKind.PERCENTAGE else f"{self.value:f} off"
        )
        since = f" from {self.start.isoformat()}" if self.start else ""
        if self.periods is not None:
            return f"{amount} for {plural(self.periods, 'period')}{since}"
        if self.until is not None:
            return f"{amount}{since} until {self.until.isoformat()} (exclusive)"
        return f"{amount}{since} forever"


@dataclass(frozen=True)
class MinimumCommitment:
    """A minimum billed amount per period of `periodicity`, or over each term when empty."""

    amount: Decimal
    periodicity: Periodicity | None = None

    def __str__(self) -> str:
        per = f"per {self.periodicity} period" if self.periodicity else "per term"
        return f"minimum {self.amount:f} {per}"


class FeeKind(StrEnum):
    FIXED = "fixed"  # an amount in the contract's currency
    REMAINING = "remaining"  # the recurring charges left until the committed term's end
    PERCENTAGE_OF_REMAINING = "percentage_of_remaining"


@dataclass(frozen=True)
class EarlyTerminationFee:
    """What ending before the committed term's end costs (see `tarif.billing.fees`).

    `amount` is set for a fixed fee only, `percentage` for a percentage of the remaining charges.
    """

    kind: FeeKind
    amount: Decimal | None = None
    percentage: Decimal | None = None

    def __str__(self) -> str:
        if self.kind is FeeKind.FIXED:
            return f"fixed {self.amount:f}"
        if self.kind is FeeKind.REMAINING:
            return "remaining charges"
        return f"{self.percentage:f}% of remaining charges"


@dataclass(frozen=True)
class TemplateRef:
    """The template version a contract was instantiated from (kept for traceability)."""

    template_id: str
    version: int


@dataclass(frozen=True)
class ContractLine:
    """One product on a contract. `line_key` names the line across every version.

    `unit_price` is None only for usage lines, which are priced later by their charge:
    `charge` (usage lines only) is the line's own, copied from the pricelist entry when the line
    is made (`price_source` pricelist) or typed on the contract (`price_source` override); None
    means the pricelist entry's charge at rating time.
    """

    line_key: str
    product_id: str
    kind: ProductKind
    quantity: Decimal
    unit_price: Decimal | None
    price_source: LinePriceSource
    periodicity: Periodicity
    timing: Timing
    description: str = ""
    start: date | None = None
    end: date | None = None
    discounts: tuple[Discount, ...] = ()
    minimum_commitment: MinimumCommitment | None = None
    charge: ChargeSpec | None = None


@dataclass(frozen=True)
class ContractTerms:
    """Everything agreed in a contract as of one version (the lifecycle status lives apart).

    `end_date` None makes the contract evergreen. `initial_term_months` is the committed first
    term; `renewal` extends it at each term end (see `tarif.contracts.term`).
    """

    customer_id: str
    reference: str
    currency: str
    pricelist_id: str | None
    start_date: date
    end_date: date | None = None
    signed_on: date | None = None
    initial_term_months: int | None = None
    renewal: RenewalPolicy = RenewalPolicy()
    notice: NoticePeriod = NoticePeriod()
    billing_alignment: BillingAlignment = BillingAlignment.ANNIVERSARY
    invoice_grouping: InvoiceGrouping = InvoiceGrouping.CUSTOMER
    activation: Activation = Activation()
    purchase_order: str | None = None
    corrections: Corrections = Corrections.ADJUSTMENT
    # Ended mid-period, lines billed in advance credit their unused days (False: they stay billed).
    credit_on_termination: bool = True
    payment_terms_days: int | None = None  # overrides the customer's payment terms
    metadata: tuple[tuple[str, str], ...] = ()
    lines: tuple[ContractLine, ...] = ()
    minimum_commitment: MinimumCommitment | None = None
    template: TemplateRef | None = None
    early_termination_fee: EarlyTerminationFee | None = None

    def line(self, line_key: str) -> ContractLine | None:
        return next((line for line in self.lines if line.line_key == line_key), None)

    def line_start(self, line: ContractLine) -> date:
        return line.start or self.start_date

    def line_end(self, line: ContractLine) -> date | None:
        """The line's half-open end: its own, else the contract's (None: open-ended)."""
        if line.end is None:
            return self.end_date
        if self.end_date is None:
            return line.end
        return min(line.end, self.end_date)

    def with_line(self, line: ContractLine) -> ContractTerms:
        """These terms with the line of the same key replaced (or appended when new)."""
        if self.line(line.line_key) is None:
            return replace(self, lines=(*self.lines, line))
        lines = tuple(line if old.line_key == line.line_key else old for old in self.lines)
        return replace(self, lines=lines)

    def without_line(self, line_key: str) -> ContractTerms:
        return replace(self, lines=tuple(x for x in self.lines if x.line_key != line_key))


def metadata_of(values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Free-form metadata as a sorted tuple of pairs, so equal metadata compare equal."""
    return tuple(sorted(values.items()))
