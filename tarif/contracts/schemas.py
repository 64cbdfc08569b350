"""Shapes of contracts, amendments, transitions and templates: inputs and reads.

The inputs are shared by the API, the CLI's JSON files and the pages (`parse(Model, data)` makes
one from a plain dict, or raises `InvalidInput` naming each bad field). Dates that end a range
are **the last day covered** (inclusive), as people say them: the service turns them into the
core's half-open ends. An amendment's or transition's `date`/`effective_date` is the first day
the change applies (a termination: the first day no longer covered).
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field

from tarif.api.schemas import DecimalString, ReadModel, StrictModel
from tarif.api.schemas import parse as parse  # re-exported: contract callers use it
from tarif.catalog.periodicity import ACCEPTED, Timing, format_periodicity
from tarif.catalog.rules import ProductKind
from tarif.contracts.dates import last_day
from tarif.contracts.lifecycle import Action
from tarif.contracts.model import (
    ActivationCondition,
    BillingAlignment,
    ContractLine,
    ContractTerms,
    Corrections,
    DiscountKind,
    EarlyTerminationFee,
    FeeKind,
    InvoiceGrouping,
    LinePriceSource,
    MinimumCommitment,
)
from tarif.contracts.parameters import ParameterType
from tarif.contracts.term import TerminationMode

M = TypeVar("M", bound=BaseModel)

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def _sane_day(value: date) -> date:
    # Terms add up to a century to dates: far-off years would overflow the calendar.
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


Day = Annotated[date, AfterValidator(_sane_day)]
Months = Annotated[int, Field(ge=0, le=1200)]
Id = Annotated[str, Field(min_length=1, max_length=40)]
PERIODICITY_HELP = f"{ACCEPTED}; empty: the pricelist's, else monthly (one_off for one-off)"


# --- inputs ------------------------------------------------------------------------------------


class DiscountInput(StrictModel):
    kind: DiscountKind
    value: DecimalString = Field(description="A percentage (0..100) or an amount off each period")
    periods: int | None = Field(None, ge=1, le=1200, description="For this many billing periods")
    until: Day | None = Field(None, description="Last day the discount applies (inclusive)")
    start: Day | None = Field(None, description="First day (default: the line's start)")


class CommitmentInput(StrictModel):
    amount: DecimalString
    periodicity: str | None = Field(None, max_length=40, description="Per period; empty: per term")


class FeeInput(StrictModel):
    """An early-termination fee: `fixed` (with `amount`), `remaining` (the recurring charges left
    until the committed term's end) or `percentage_of_remaining` (with `percentage`)."""

    kind: FeeKind
    amount: DecimalString | None = Field(None, description="fixed: in the contract's currency")
    percentage: DecimalString | None = Field(
        None, description="percentage_of_remaining: 0 < percentage <= 100"
    )


class LineInput(StrictModel):
    """A line: its price comes from the pricelist at the line's start unless `unit_price` is
    given, which makes it an override (flagged as such)."""

    line_key: str | None = Field(
        None, max_length=40, description="Names the line in every version (default: from the code)"
    )
    product_id: Id
    kind: ProductKind | None = Field(None, description="Default: the product's kind")
    quantity: DecimalString = Decimal(1)
    unit_price: DecimalString | None = Field(None, description="An override of the pricelist")
    periodicity: str | None = Field(None, max_length=40, description=PERIODICITY_HELP)
    timing: Timing | None = None
    description: str = Field("", max_length=200)
    start_date: Day | None = Field(None, description="Default: the contract's start")
    end_date: Day | None = Field(None, description="Last day covered (default: the contract's)")
    discounts: list[DiscountInput] = Field(default_factory=list, max_length=20)
    minimum_commitment: CommitmentInput | None = None
    charge: dict[str, Any] | None = Field(
        None,
        description=(
            "Usage lines only: the line's own charge (docs/charges.md); default: the pricelist "
            "entry's"
        ),
    )


class LineUpdate(StrictModel):
    """Only the fields given change; `unit_price: null` goes back to the pricelist's price,
    `charge: null` to the pricelist entry's charge."""

    quantity: DecimalString | None = None
    unit_price: DecimalString | None = None
    periodicity: str | None = Field(None, max_length=40)
    timing: Timing | None = None
    description: str | None = Field(None, max_length=200)
    start_date: Day | None = None
    end_date: Day | None = None
    discounts: list[DiscountInput] | None = Field(None, max_length=20)
    minimum_commitment: CommitmentInput | None = None
    charge: dict[str, Any] | None = None


class ActivationInput(StrictModel):
    condition: ActivationCondition = ActivationCondition.MANUAL
    on: Day | None = Field(None, description="The day, for at_date")


class ContractFields(StrictModel):
    """Header fields shared by creation and draft edits."""

    pricelist_id: Id | None = Field(
        None, description="Default: the customer's, else the default pricelist of the currency"
    )
    end_date: Day | None = Field(None, description="Last day covered; empty: evergreen")
    signed_on: Day | None = None
    initial_term_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    renewal_months: Annotated[int, Field(ge=1, le=1200)] | None = Field(
        None, description="Auto-renew for this many months at each term end; empty: no renewal"
    )
    notice_months: Months = 0
    notice_days: Annotated[int, Field(ge=0, le=3650)] = 0
    billing_alignment: BillingAlignment = BillingAlignment.ANNIVERSARY
    invoice_grouping: InvoiceGrouping = InvoiceGrouping.CUSTOMER
    activation: ActivationInput = Field(default_factory=ActivationInput)
    purchase_order: str | None = Field(None, max_length=200)
    corrections: Corrections = Field(
        Corrections.ADJUSTMENT,
        description="Credits for periods a finalized invoice billed: on the next invoice "
        "(adjustment) or on a credit note correcting that invoice (credit_note)",
    )
    credit_on_termination: bool = Field(
        True,
        description="Ended mid-period, lines billed in advance credit their unused days; "
        "false: the days billed in advance stay billed",
    )
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    metadata: dict[Annotated[str, Field(max_length=60)], Annotated[str, Field(max_length=500)]] = (
        Field(default_factory=dict, max_length=50)
    )
    minimum_commitment: CommitmentInput | None = None
    early_termination_fee: FeeInput | None = None


class ContractCreate(ContractFields):
    customer_id: Id
    reference: str = Field(min_length=1, max_length=60, description="Unique in the organization")
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="Default: the customer's"
    )
    start_date: Day
    lines: list[LineInput] = Field(default_factory=list, max_length=100)


class ContractUpdate(StrictModel):
    """A draft's header; only the fields given change (lines have their own routes)."""

    customer_id: Id | None = None
    reference: str | None = Field(None, min_length=1, max_length=60)
    currency: str | None = Field(None, min_length=3, max_length=3)
    pricelist_id: Id | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    signed_on: Day | None = None
    initial_term_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    renewal_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    notice_months: Months | None = None
    notice_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    billing_alignment: BillingAlignment | None = None
    invoice_grouping: InvoiceGrouping | None = None
    activation: ActivationInput | None = None
    purchase_order: str | None = Field(None, max_length=200)
    corrections: Corrections | None = None
    credit_on_termination: bool | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    metadata: (
        dict[Annotated[str, Field(max_length=60)], Annotated[str, Field(max_length=500)]] | None
    ) = Field(None, max_length=50)
    minimum_commitment: CommitmentInput | None = None
    early_termination_fee: FeeInput | None = Field(None, description="null removes it")


class AddLineChange(StrictModel):
    type: Literal["add_line"]
    line: LineInput


class RemoveLineChange(StrictModel):
    type: Literal["remove_line"]
    line_key: str = Field(min_length=1, max_length=40)


class QuantityChange(StrictModel):
    type: Literal["change_quantity"]
    line_key: str = Field(min_length=1, max_length=40)
    quantity: DecimalString


class PriceChange(StrictModel):
    type: Literal["change_price"]
    line_key: str = Field(min_length=1, max_length=40)
    unit_price: DecimalString | None = Field(
        None, description="An override; empty: the pricelist's price on the effective date"
    )


class ChargeChange(StrictModel):
    """A usage line's new charge; empty: the pricelist entry's charge on the effective date."""

    type: Literal["change_charge"]
    line_key: str = Field(min_length=1, max_length=40)
    charge: dict[str, Any] | None = Field(None, description="An override (docs/charges.md)")


class PeriodicityChange(StrictModel):
    type: Literal["change_periodicity"]
    line_key: str = Field(min_length=1, max_length=40)
    periodicity: str | None = Field(None, max_length=40)
    timing: Timing | None = None


class DiscountChange(StrictModel):
    type: Literal["change_discount"]
    line_key: str = Field(min_length=1, max_length=40)
    discounts: list[DiscountInput] = Field(max_length=20)


class PricelistChange(StrictModel):
    """Lines priced from the pricelist take the new pricelist's price on the effective date."""

    type: Literal["change_pricelist"]
    pricelist_id: Id


class TermChange(StrictModel):
    type: Literal["change_term"]
    end_date: Day | None = Field(None, description="New last day covered")
    initial_term_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    renewal_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    no_renewal: bool = Field(False, description="Stop renewing")
    notice_months: Months | None = None
    notice_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    early_termination_fee: FeeInput | None = Field(None, description="A new fee")
    no_early_termination_fee: bool = Field(False, description="Remove the fee")


ChangeInput = Annotated[
    AddLineChange
    | RemoveLineChange
    | QuantityChange
    | PriceChange
    | ChargeChange
    | PeriodicityChange
    | DiscountChange
    | PricelistChange
    | TermChange,
    Field(discriminator="type"),
]


class AmendmentCreate(StrictModel):
    """A dated change set; terminations go through the `terminate` transition instead."""

    effective_date: Day = Field(description="First day of the new terms")
    reason: str = Field(min_length=1, max_length=2000)
    changes: list[ChangeInput] = Field(min_length=1, max_length=50)
    signed_document_ref: str | None = Field(None, max_length=200)
    schedule: bool = Field(False, description="Confirm at once (scheduled, or applied if due)")


class TransitionCreate(StrictModel):
    action: Action
    date: Day | None = Field(
        None,
        description="When it takes effect (default: today); for terminate on_date, the first "
        "day no longer covered",
    )
    reason: str = Field("", max_length=2000)
    forced: bool = Field(False, description="Admins only: override a condition or the notice")
    mode: TerminationMode | None = Field(None, description="terminate only (at_term_end)")
    with_credit: bool = Field(False, description="terminate only: credit invoiced days")
    fee_line: LineInput | None = Field(None, description="terminate only: early-termination fee")
    waive_fee: bool = Field(
        False, description="terminate only, admins only: waive the contract's early-termination fee"
    )


class SignatureCreate(StrictModel):
    signed_on: Day | None = Field(None, description="Default: today")


class FirstPaymentCreate(StrictModel):
    paid_on: Day | None = Field(None, description="Default: today")


class ParamRef(StrictModel):
    """Stands for a template parameter's value."""

    param: str = Field(min_length=1, max_length=40)


class ParameterInput(StrictModel):
    name: str = Field(min_length=1, max_length=40)
    type: ParameterType
    default: str | int | None = None
    choices: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=50)
    label: str = Field("", max_length=200)


class TemplateTermsInput(StrictModel):
    start_date: Day | ParamRef = Field(default_factory=lambda: ParamRef(param="start_date"))
    end_date: Day | None = Field(None, description="Last day covered")
    initial_term_months: Annotated[int, Field(ge=1, le=1200)] | ParamRef | None = None
    renewal_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    notice_months: Months = 0
    notice_days: Annotated[int, Field(ge=0, le=3650)] = 0
    billing_alignment: BillingAlignment = BillingAlignment.ANNIVERSARY
    invoice_grouping: InvoiceGrouping = InvoiceGrouping.CUSTOMER
    activation: ActivationInput = Field(default_factory=ActivationInput)
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    minimum_commitment: CommitmentInput | None = None
    metadata: dict[Annotated[str, Field(max_length=60)], Annotated[str, Field(max_length=500)]] = (
        Field(default_factory=dict, max_length=50)
    )
    corrections: Corrections = Field(
        Corrections.ADJUSTMENT,
        description="Credits for finalized periods: on the next invoice, or a credit note",
    )
    credit_on_termination: bool = Field(
        True, description="Credit the unused days billed in advance when a contract ends early"
    )
    early_termination_fee: FeeInput | None = None


class TemplateLineInput(StrictModel):
    line_key: str = Field(min_length=1, max_length=40)
    product: Annotated[str, Field(min_length=1, max_length=60)] | ParamRef = Field(
        description="A product code, or a parameter naming one"
    )
    kind: ProductKind
    quantity: DecimalString | ParamRef = Decimal(1)
    periodicity: Annotated[str, Field(max_length=40)] | ParamRef | None = Field(
        None, description="Default: monthly (one_off for one-off)"
    )
    timing: Timing | None = Field(None, description="Default: in_advance (usage: in_arrears)")
    unit_price: DecimalString | ParamRef | None = Field(
        None, description="Empty: the pricelist's price at the line's start"
    )
    description: str = Field("", max_length=200)
    start: Day | ParamRef | None = None
    end_date: Day | None = Field(None, description="Last day covered")
    discounts: list[DiscountInput] = Field(default_factory=list, max_length=20)
    minimum_commitment: CommitmentInput | None = None


class TemplateCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    parameters: list[ParameterInput] = Field(default_factory=list, max_length=30)
    terms: TemplateTermsInput = Field(default_factory=TemplateTermsInput)
    lines: list[TemplateLineInput] = Field(default_factory=list, max_length=50)


class TemplateUpdate(StrictModel):
    """The next version: the fields given replace the latest version's."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    parameters: list[ParameterInput] | None = Field(None, max_length=30)
    terms: TemplateTermsInput | None = None
    lines: list[TemplateLineInput] | None = Field(None, max_length=50)


class TemplateInstantiate(StrictModel):
    customer_id: Id
    reference: str = Field(min_length=1, max_length=60)
    currency: str | None = Field(None, min_length=3, max_length=3)
    pricelist_id: Id | None = None
    parameters: dict[Annotated[str, Field(max_length=40)], str | int] = Field(
        default_factory=dict, max_length=30
    )
    version: Annotated[int, Field(ge=1)] | None = Field(None, description="Default: the latest")
    purchase_order: str | None = Field(None, max_length=200)


class ApplyDue(StrictModel):
    as_of: Day


# --- reads -------------------------------------------------------------------------------------


class DiscountRead(BaseModel):
    kind: DiscountKind
    value: str
    periods: int | None
    until: dt.date | None = Field(description="Last day (inclusive)")
    start: dt.date | None


class CommitmentRead(BaseModel):
    amount: str
    periodicity: str | None


class LineRead(BaseModel):
    line_key: str
    product_id: str
    kind: ProductKind
    quantity: str
    unit_price: str | None
    price_source: LinePriceSource
    periodicity: str
    timing: Timing
    description: str
    start_date: dt.date = Field(description="First day (the contract's start when not its own)")
    end_date: dt.date | None = Field(description="Last day covered; null: open-ended")
    discounts: list[DiscountRead]
    minimum_commitment: CommitmentRead | None
    charge: dict[str, Any] | None = Field(
        None, description="Usage lines: the line's charge (null: the pricelist entry's)"
    )


class FeeRead(BaseModel):
    kind: FeeKind
    amount: str | None
    percentage: str | None


class TemplateRefRead(BaseModel):
    template_id: str
    version: int


class TermsRead(BaseModel):
    customer_id: str
    reference: str
    currency: str
    pricelist_id: str | None
    start_date: dt.date
    end_date: dt.date | None = Field(description="Last day covered; null: evergreen")
    signed_on: dt.date | None
    initial_term_months: int | None
    renewal_months: int | None
    notice_months: int
    notice_days: int
    billing_alignment: BillingAlignment
    invoice_grouping: InvoiceGrouping
    activation: ActivationCondition
    activation_on: dt.date | None
    purchase_order: str | None
    corrections: Corrections
    credit_on_termination: bool
    payment_terms_days: int | None
    metadata: dict[str, str]
    minimum_commitment: CommitmentRead | None
    early_termination_fee: FeeRead | None
    template: TemplateRefRead | None
    lines: list[LineRead]


class ContractRead(ReadModel):
    id: str
    reference: str
    customer_id: str
    status: str
    currency: str
    pricelist_id: str | None
    template_version_id: str | None
    signed_on: dt.date | None
    first_paid_on: dt.date | None
    renewal_count: int
    last_renewed_on: dt.date | None
    created_at: datetime
    updated_at: datetime


class TermRead(BaseModel):
    start: dt.date
    end: dt.date | None = Field(description="Last day of the term; null: not committed")
    renewals: int


class ContractDetail(ContractRead):
    as_of: dt.date
    status_as_of: str = Field(description="The status at the end of `as_of`")
    version: int
    version_effective_from: dt.date
    projected: bool = Field(description="The version comes from a scheduled amendment")
    terms: TermsRead
    current_term: TermRead
    notice_deadline: dt.date | None = Field(description="Last day to give notice for term end")
    allowed_actions: list[Action]
    scheduled_amendments: list[str]


class VersionRead(BaseModel):
    number: int
    effective_from: dt.date
    amendment_id: str | None
    projected: bool
    changes: list[str] = Field(description="What changed from the previous version")
    terms: TermsRead


class AmendmentRead(BaseModel):
    id: str
    contract_id: str
    sequence: int
    effective_date: dt.date
    reason: str
    author: str
    status: str
    changes: list[dict[str, Any]] = Field(description="The changes, shaped as when created")
    diff: list[str] = Field(description="Readable changes to the contract")
    signed_document_ref: str | None
    created_at: datetime
    scheduled_at: datetime | None
    applied_at: datetime | None
    cancelled_at: datetime | None


class TransitionRead(ReadModel):
    id: str
    action: str
    from_status: str
    to_status: str
    effective_date: dt.date
    recorded_at: datetime
    actor: str
    forced: bool
    reason: str


class TemplateRead(ReadModel):
    id: str
    name: str
    latest_version: int
    created_at: datetime
    updated_at: datetime


class TemplateVersionRead(BaseModel):
    """`parameters`, `terms` and `lines` are shaped as `TemplateCreate` takes them."""

    id: str
    template_id: str
    version: int
    name: str
    description: str
    parameters: list[dict[str, Any]]
    terms: dict[str, Any]
    lines: list[dict[str, Any]]
    author: str
    created_at: datetime


class TemplateDetail(TemplateRead):
    versions: list[int]
    latest: TemplateVersionRead


class DueSummaryRead(BaseModel):
    as_of: dt.date
    amendments_applied: list[str]
    renewals: list[str]
    activated: list[str]
    terminated: list[str]


# --- core values → reads -----------------------------------------------------------------------


def _last(end: dt.date | None) -> dt.date | None:
    return None if end is None else last_day(end)


def _commitment_read(commitment: MinimumCommitment | None) -> CommitmentRead | None:
    if commitment is None:
        return None
    periodicity = format_periodicity(commitment.periodicity) if commitment.periodicity else None
    return CommitmentRead(amount=str(commitment.amount), periodicity=periodicity)


def _fee_read(fee: EarlyTerminationFee | None) -> FeeRead | None:
    if fee is None:
        return None
    return FeeRead(
        kind=fee.kind,
        amount=None if fee.amount is None else str(fee.amount),
        percentage=None if fee.percentage is None else str(fee.percentage),
    )


def line_read(terms: ContractTerms, line: ContractLine) -> LineRead:
    return LineRead(
        line_key=line.line_key,
        product_id=line.product_id,
        kind=line.kind,
        quantity=str(line.quantity),
        unit_price=None if line.unit_price is None else str(line.unit_price),
        price_source=line.price_source,
        periodicity=format_periodicity(line.periodicity),
        timing=line.timing,
        description=line.description,
        start_date=terms.line_start(line),
        end_date=_last(terms.line_end(line)),
        discounts=[
            DiscountRead(
                kind=d.kind,
                value=str(d.value),
                periods=d.periods,
                until=_last(d.until),
                start=d.start,
            )
            for d in line.discounts
        ],
        minimum_commitment=_commitment_read(line.minimum_commitment),
        charge=None if line.charge is None else line.charge.to_json(),
    )


def terms_read(terms: ContractTerms) -> TermsRead:
    template = terms.template
    return TermsRead(
        customer_id=terms.customer_id,
        reference=terms.reference,
        currency=terms.currency,
        pricelist_id=terms.pricelist_id,
        start_date=terms.start_date,
        end_date=_last(terms.end_date),
        signed_on=terms.signed_on,
        initial_term_months=terms.initial_term_months,
        renewal_months=terms.renewal.months,
        notice_months=terms.notice.months,
        notice_days=terms.notice.days,
        billing_alignment=terms.billing_alignment,
        invoice_grouping=terms.invoice_grouping,
        activation=terms.activation.condition,
        activation_on=terms.activation.on,
        purchase_order=terms.purchase_order,
        corrections=terms.corrections,
        credit_on_termination=terms.credit_on_termination,
        payment_terms_days=terms.payment_terms_days,
        metadata=dict(terms.metadata),
        minimum_commitment=_commitment_read(terms.minimum_commitment),
        early_termination_fee=_fee_read(terms.early_termination_fee),
        template=(
            None
            if template is None
            else TemplateRefRead(template_id=template.template_id, version=template.version)
        ),
        lines=[line_read(terms, line) for line in terms.lines],
    )
