"""Contract templates: versioned patterns with typed parameters, instantiated as draft terms.

Pure. A template version is immutable; editing a template makes the next version (`revise`), so
contracts made from an earlier version never change, and each records the version it came from
(`ContractTerms.template`). Wherever a template holds a `Param`, instantiation puts the
parameter's value: line quantities, prices, dates, products (a choice such as `hosting_plan`
naming a product code), periodicities, and the contract's dates and initial term.

A line without a unit price takes the pricelist's price on the line's start date, and a line
without a description its product's name, looked up through the `Catalog` the caller passes
(the service loads it; tests use a dictionary).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Protocol

from tarif.catalog.periodicity import Periodicity, Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.model import (
    Activation,
    BillingAlignment,
    ContractLine,
    ContractTerms,
    Corrections,
    Discount,
    EarlyTerminationFee,
    InvoiceGrouping,
    LinePriceSource,
    MinimumCommitment,
    NoticePeriod,
    RenewalPolicy,
    TemplateRef,
)
from tarif.contracts.parameters import (
    Param,
    ParameterType,
    Substitution,
    TemplateParameter,
    parameter_problems,
    resolve_parameters,
)
from tarif.contracts.rules import raise_if_any, validate_terms
from tarif.errors import FieldError

T = ParameterType
NUMBER, DAY, TEXT = (T.INT, T.DECIMAL), (T.DATE,), (T.STRING, T.CHOICE)


@dataclass(frozen=True)
class TemplateLine:
    """A line pattern; `unit_price` None takes the pricelist's price."""

    line_key: str
    product: str | Param  # a product code
    kind: ProductKind
    quantity: Decimal | Param
    periodicity: Periodicity | Param
    timing: Timing
    unit_price: Decimal | Param | None = None
    description: str = ""
    start: date | Param | None = None
    end: date | Param | None = None  # exclusive, like every end
    discounts: tuple[Discount, ...] = ()
    minimum_commitment: MinimumCommitment | None = None


@dataclass(frozen=True)
class TemplateTerms:
    """The default terms a template gives every contract made from it."""

    start_date: date | Param = field(default_factory=lambda: Param("start_date"))
    end_date: date | Param | None = None
    initial_term_months: int | Param | None = None
    renewal: RenewalPolicy = field(default_factory=RenewalPolicy)
    notice: NoticePeriod = field(default_factory=NoticePeriod)
    billing_alignment: BillingAlignment = BillingAlignment.ANNIVERSARY
    invoice_grouping: InvoiceGrouping = InvoiceGrouping.CUSTOMER
    activation: Activation = field(default_factory=Activation)
    payment_terms_days: int | None = None
    minimum_commitment: MinimumCommitment | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    corrections: Corrections = Corrections.ADJUSTMENT
    credit_on_termination: bool = True
    early_termination_fee: EarlyTerminationFee | None = None


@dataclass(frozen=True)
class TemplateVersion:
    template_id: str
    version: int
    name: str
    description: str = ""
    parameters: tuple[TemplateParameter, ...] = ()
    terms: TemplateTerms = field(default_factory=TemplateTerms)
    lines: tuple[TemplateLine, ...] = ()


def revise(
    previous: TemplateVersion,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: tuple[TemplateParameter, ...] | None = None,
    terms: TemplateTerms | None = None,
    lines: tuple[TemplateLine, ...] | None = None,
) -> TemplateVersion:
    """The next version of a template; fields left None are kept."""
    return replace(
        previous,
        version=previous.version + 1,
        name=previous.name if name is None else name,
        description=previous.description if description is None else description,
        parameters=previous.parameters if parameters is None else parameters,
        terms=previous.terms if terms is None else terms,
        lines=previous.lines if lines is None else lines,
    )


class Catalog(Protocol):
    """What instantiation needs from the catalog, looked up beforehand by the caller."""

    def product_id(self, code: str) -> str | None: ...

    def product_name(self, product_id: str) -> str: ...

    def unit_price(self, product_id: str, on: date) -> Decimal | None: ...


def _slots(template: TemplateVersion) -> list[tuple[str, object, tuple[ParameterType, ...]]]:
    """(path, value, parameter types it accepts) for every place a `Param` may stand."""
    terms = template.terms
    slots: list[tuple[str, object, tuple[ParameterType, ...]]] = [
        ("terms.start_date", terms.start_date, DAY),
        ("terms.end_date", terms.end_date, DAY),
        ("terms.initial_term_months", terms.initial_term_months, (T.INT,)),
    ]
    for index, line in enumerate(template.lines):
        path = f"lines.{index}"
        slots += [
            (f"{path}.product", line.product, TEXT),
            (f"{path}.quantity", line.quantity, NUMBER),
            (f"{path}.unit_price", line.unit_price, NUMBER),
            (f"{path}.periodicity", line.periodicity, TEXT),
            (f"{path}.start", line.start, DAY),
            (f"{path}.end", line.end, DAY),
        ]
    return slots


def validate_template(template: TemplateVersion) -> list[FieldError]:
    """Every problem of a template version itself (before any parameter value is given)."""
    problems = []
    if not template.name.strip():
        problems.append(FieldError("name", "is required"))
    if template.version < 1:
        problems.append(FieldError("version", "versions are numbered from 1"))
    problems += parameter_problems(template.parameters)
    declared: dict[str, TemplateParameter] = {}
    for declaration in template.parameters:
        declared.setdefault(declaration.name, declaration)  # a repeated name is reported above
    for path, value, accepted in _slots(template):
        if not isinstance(value, Param):
            continue
        parameter = declared.get(value.name)
        if parameter is None:
            problems.append(FieldError(path, f"uses undeclared parameter '{value.name}'"))
        elif parameter.type not in accepted:
            wanted = " or ".join(t.value for t in accepted)
            problems.append(
                FieldError(
                    path, f"needs a parameter of type {wanted}; '{value.name}' is {parameter.type}"
                )
            )
    keys = [line.line_key for line in template.lines]
    problems += [
        FieldError(f"lines.{i}.line_key", f"'{key}' is used twice")
        for i, key in enumerate(keys)
        if key in keys[:i]
    ]
    return problems


def instantiate(
    template: TemplateVersion,
    parameter_values: Mapping[str, object],
    *,
    customer_id: str,
    reference: str,
    currency: str,
    pricelist_id: str | None,
    catalog: Catalog,
    purchase_order: str | None = None,
) -> ContractTerms:
    """Draft terms from a template version; `InvalidInput` names each parameter at fault."""
    raise_if_any(validate_template(template), "The template is not valid")
    resolved, problems = resolve_parameters(template.parameters, parameter_values)
    raise_if_any(problems, "The template parameters are not valid")
    sub = Substitution(resolved)
    defaults = template.terms
    start_date = sub.day(defaults.start_date, "start_date")
    end_date = sub.optional_day(defaults.end_date, "end_date")
    initial_term = defaults.initial_term_months
    terms = ContractTerms(
        customer_id=customer_id,
        reference=reference,
        currency=currency,
        pricelist_id=pricelist_id,
        start_date=start_date,
        end_date=end_date,
        initial_term_months=sub.integer(initial_term, "initial_term_months"),
        renewal=defaults.renewal,
        notice=defaults.notice,
        billing_alignment=defaults.billing_alignment,
        invoice_grouping=defaults.invoice_grouping,
        activation=defaults.activation,
        purchase_order=purchase_order,
        payment_terms_days=defaults.payment_terms_days,
        metadata=defaults.metadata,
        minimum_commitment=defaults.minimum_commitment,
        corrections=defaults.corrections,
        credit_on_termination=defaults.credit_on_termination,
        early_termination_fee=defaults.early_termination_fee,
        template=TemplateRef(template.template_id, template.version),
    )
    lines = tuple(
        _line(sub, line, f"lines.{i}", start_date, catalog) for i, line in enumerate(template.lines)
    )
    terms = replace(terms, lines=lines)
    problems = sub.problems + sub.attribute(validate_terms(terms))
    raise_if_any(problems, "The contract is not valid")
    return terms


def _line(
    sub: Substitution, line: TemplateLine, path: str, contract_start: date, catalog: Catalog
) -> ContractLine:
    start = sub.optional_day(line.start, f"{path}.start")
    code = sub.text(line.product, f"{path}.product")
    product_id = catalog.product_id(code)
    if product_id is None:
        sub.problem(f"{path}.product", f"unknown product code '{code}'")
        sub.reported.add(f"{path}.unit_price")  # no product, so no price to look up
    unit_price: Decimal | None = None
    source = LinePriceSource.OVERRIDE
    if line.unit_price is not None:
        unit_price = sub.number(line.unit_price, f"{path}.unit_price")
    else:
        source = LinePriceSource.PRICELIST
        if line.kind is not ProductKind.USAGE and product_id is not None:
            on = start or contract_start
            unit_price = catalog.unit_price(product_id, on)
            if unit_price is None:
                sub.problem(
                    f"{path}.unit_price",
                    f"the pricelist has no price for {code} on {on.isoformat()}",
                )
    return ContractLine(
        line_key=line.line_key,
        product_id=product_id or code,
        kind=line.kind,
        quantity=sub.number(line.quantity, f"{path}.quantity"),
        unit_price=unit_price,
        price_source=source,
        periodicity=sub.periodicity(line.periodicity, f"{path}.periodicity"),
        timing=line.timing,
        # As a contract made by hand: a line without a description shows its product's name.
        description=line.description or (catalog.product_name(product_id) if product_id else ""),
        start=start,
        end=sub.optional_day(line.end, f"{path}.end"),
        discounts=line.discounts,
        minimum_commitment=line.minimum_commitment,
    )
