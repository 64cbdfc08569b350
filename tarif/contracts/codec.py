"""JSON encoding of contract values, for the database's JSON columns; round-trips exactly.

Pure. Decimals travel as strings (`"399.00"` stays `399.00`), dates as ISO strings,
periodicities by their readable name (`monthly`), enums by value, and a template's `Param` as
`{"param": "seats"}`. `decode_x(encode_x(v)) == v` for every value (checked by tests).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from tarif.catalog.periodicity import Periodicity, Timing, format_periodicity, parse_periodicity
from tarif.catalog.rules import ProductKind
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
    Terminate,
)
from tarif.contracts.model import (
    Activation,
    ActivationCondition,
    BillingAlignment,
    ContractLine,
    ContractTerms,
    Corrections,
    Discount,
    DiscountKind,
    EarlyTerminationFee,
    FeeKind,
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
    ParameterValue,
    TemplateParameter,
    coerce,
)
from tarif.contracts.templates import TemplateLine, TemplateTerms, TemplateVersion
from tarif.pricing.spec import ChargeSpec

JSON = dict[str, Any]
T = TypeVar("T")
V = TypeVar("V")


# --- scalars -----------------------------------------------------------------------------------


def _maybe(value: Any, encode: Callable[[Any], T]) -> T | None:
    return None if value is None else encode(value)


def _day(value: date) -> str:
    return value.isoformat()


def _parse_day(value: Any) -> date:
    return date.fromisoformat(str(value))


def _number(value: Decimal) -> str:
    return str(value)


def _parse_number(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"a decimal is stored as a string, not {value!r}")
    return Decimal(value)


def _period(value: Periodicity) -> str:
    return format_periodicity(value)


def _or_param(value: Any, encode: Callable[[Any], Any]) -> Any:
    return {"param": value.name} if isinstance(value, Param) else encode(value)


def _is_param(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"param"}


def _parse_or_param(value: Any, decode: Callable[[Any], V]) -> V | Param:
    return Param(str(value["param"])) if _is_param(value) else decode(value)


# --- terms -------------------------------------------------------------------------------------


def encode_discount(discount: Discount) -> JSON:
    return {
        "kind": discount.kind.value,
        "value": _number(discount.value),
        "periods": discount.periods,
        "until": _maybe(discount.until, _day),
        "start": _maybe(discount.start, _day),
    }


def decode_discount(data: JSON) -> Discount:
    return Discount(
        kind=DiscountKind(data["kind"]),
        value=_parse_number(data["value"]),
        periods=data.get("periods"),
        until=_maybe(data.get("until"), _parse_day),
        start=_maybe(data.get("start"), _parse_day),
    )


def encode_commitment(commitment: MinimumCommitment) -> JSON:
    return {
        "amount": _number(commitment.amount),
        "periodicity": _maybe(commitment.periodicity, _period),
    }


def decode_commitment(data: JSON) -> MinimumCommitment:
    return MinimumCommitment(
        amount=_parse_number(data["amount"]),
        periodicity=_maybe(data.get("periodicity"), parse_periodicity),
    )


def encode_fee(fee: EarlyTerminationFee) -> JSON:
    return {
        "kind": fee.kind.value,
        "amount": _maybe(fee.amount, _number),
        "percentage": _maybe(fee.percentage, _number),
    }


def decode_fee(data: JSON) -> EarlyTerminationFee:
    return EarlyTerminationFee(
        kind=FeeKind(data["kind"]),
        amount=_maybe(data.get("amount"), _parse_number),
        percentage=_maybe(data.get("percentage"), _parse_number),
    )


def encode_line(line: ContractLine) -> JSON:
    return {
        "line_key": line.line_key,
        "product_id": line.product_id,
        "kind": line.kind.value,
        "quantity": _number(line.quantity),
        "unit_price": _maybe(line.unit_price, _number),
        "price_source": line.price_source.value,
        "periodicity": _period(line.periodicity),
        "timing": line.timing.value,
        "description": line.description,
        "start": _maybe(line.start, _day),
        "end": _maybe(line.end, _day),
        "discounts": [encode_discount(d) for d in line.discounts],
        "minimum_commitment": _maybe(line.minimum_commitment, encode_commitment),
        # Only when set, so lines stored before charges existed read back unchanged.
        **({"charge": line.charge.to_json()} if line.charge is not None else {}),
    }


def decode_line(data: JSON) -> ContractLine:
    return ContractLine(
        line_key=data["line_key"],
        product_id=data["product_id"],
        kind=ProductKind(data["kind"]),
        quantity=_parse_number(data["quantity"]),
        unit_price=_maybe(data.get("unit_price"), _parse_number),
        price_source=LinePriceSource(data["price_source"]),
        periodicity=parse_periodicity(data["periodicity"]),
        timing=Timing(data["timing"]),
        description=data.get("description", ""),
        start=_maybe(data.get("start"), _parse_day),
        end=_maybe(data.get("end"), _parse_day),
        discounts=tuple(decode_discount(d) for d in data.get("discounts", [])),
        minimum_commitment=_maybe(data.get("minimum_commitment"), decode_commitment),
        charge=_maybe(data.get("charge"), ChargeSpec.from_json),
    )


def _notice(notice: NoticePeriod) -> JSON:
    return {"months": notice.months, "days": notice.days}


def _parse_notice(data: JSON) -> NoticePeriod:
    return NoticePeriod(months=int(data.get("months", 0)), days=int(data.get("days", 0)))


def _activation(activation: Activation) -> JSON:
    return {"condition": activation.condition.value, "on": _maybe(activation.on, _day)}


def _parse_activation(data: JSON) -> Activation:
    return Activation(
        condition=ActivationCondition(data["condition"]),
        on=_maybe(data.get("on"), _parse_day),
    )


def encode_terms(terms: ContractTerms) -> JSON:
    return {
        "customer_id": terms.customer_id,
        "reference": terms.reference,
        "currency": terms.currency,
        "pricelist_id": terms.pricelist_id,
        "start_date": _day(terms.start_date),
        "end_date": _maybe(terms.end_date, _day),
        "signed_on": _maybe(terms.signed_on, _day),
        "initial_term_months": terms.initial_term_months,
        "renewal_months": terms.renewal.months,
        "notice": _notice(terms.notice),
        "billing_alignment": terms.billing_alignment.value,
        "invoice_grouping": terms.invoice_grouping.value,
        "activation": _activation(terms.activation),
        "purchase_order": terms.purchase_order,
        # Written only when not the default, so terms stored before it read the same.
        **(
            {"corrections": terms.corrections.value}
            if terms.corrections is not Corrections.ADJUSTMENT
            else {}
        ),
        **({} if terms.credit_on_termination else {"credit_on_termination": False}),
        "payment_terms_days": terms.payment_terms_days,
        "metadata": [[key, value] for key, value in terms.metadata],
        "lines": [encode_line(line) for line in terms.lines],
        "minimum_commitment": _maybe(terms.minimum_commitment, encode_commitment),
        "early_termination_fee": _maybe(terms.early_termination_fee, encode_fee),
        "template": _maybe(
            terms.template, lambda t: {"template_id": t.template_id, "version": t.version}
        ),
    }


def decode_terms(data: JSON, lines_seen: dict[Any, ContractLine] | None = None) -> ContractTerms:
    """The terms stored as `data`. `lines_seen` (kept by a caller decoding many contracts)
    gives the line already decoded from the same JSON: contracts of a plan share their lines
    (one immutable `ContractLine` for all of them), decoded once."""
    template = data.get("template")
    line_data = data.get("lines", [])
    if lines_seen is None:
        lines = tuple(decode_line(line) for line in line_data)
    else:
        lines = tuple(_decode_line_once(line, lines_seen) for line in line_data)
    return ContractTerms(
        customer_id=data["customer_id"],
        reference=data["reference"],
        currency=data["currency"],
        pricelist_id=data.get("pricelist_id"),
        start_date=_parse_day(data["start_date"]),
        end_date=_maybe(data.get("end_date"), _parse_day),
        signed_on=_maybe(data.get("signed_on"), _parse_day),
        initial_term_months=data.get("initial_term_months"),
        renewal=RenewalPolicy(data.get("renewal_months")),
        notice=_parse_notice(data.get("notice") or {}),
        billing_alignment=BillingAlignment(data["billing_alignment"]),
        invoice_grouping=InvoiceGrouping(data["invoice_grouping"]),
        activation=_parse_activation(data["activation"]),
        purchase_order=data.get("purchase_order"),
        corrections=Corrections(data.get("corrections", Corrections.ADJUSTMENT.value)),
        credit_on_termination=bool(data.get("credit_on_termination", True)),
        payment_terms_days=data.get("payment_terms_days"),
        metadata=tuple((str(k), str(v)) for k, v in data.get("metadata", [])),
        lines=lines,
        minimum_commitment=_maybe(data.get("minimum_commitment"), decode_commitment),
        early_termination_fee=_maybe(data.get("early_termination_fee"), decode_fee),
        template=(
            None if template is None else TemplateRef(template["template_id"], template["version"])
        ),
    )


def _decode_line_once(data: JSON, seen: dict[Any, ContractLine]) -> ContractLine:
    # `repr` of parsed JSON tells apart what JSON tells apart (1, 1.0 and true; "1" and 1) and
    # is built in C: a recursive key in Python cost more than decoding the line.
    key = repr(data)
    line = seen.get(key)
    if line is None:
        line = seen[key] = decode_line(data)
    return line


# --- changes -----------------------------------------------------------------------------------


def encode_change(change: Change) -> JSON:
    if isinstance(change, AddLine):
        return {"type": "add_line", "line": encode_line(change.line)}
    if isinstance(change, RemoveLine):
        return {"type": "remove_line", "line_key": change.line_key}
    if isinstance(change, ChangeQuantity):
        return {
            "type": "change_quantity",
            "line_key": change.line_key,
            "quantity": _number(change.quantity),
        }
    if isinstance(change, ChangePrice):
        return {
            "type": "change_price",
            "line_key": change.line_key,
            "unit_price": _number(change.unit_price),
            "source": change.source.value,
        }
    if isinstance(change, ChangePeriodicity):
        return {
            "type": "change_periodicity",
            "line_key": change.line_key,
            "periodicity": _maybe(change.periodicity, _period),
            "timing": _maybe(change.timing, lambda t: t.value),
        }
    if isinstance(change, ChangeDiscount):
        return {
            "type": "change_discount",
            "line_key": change.line_key,
            "discounts": [encode_discount(d) for d in change.discounts],
        }
    if isinstance(change, ChangePricelist):
        return {
            "type": "change_pricelist",
            "pricelist_id": change.pricelist_id,
            "repriced": [[key, _number(price)] for key, price in change.repriced],
        }
    if isinstance(change, ChangeCharge):
        return {
            "type": "change_charge",
            "line_key": change.line_key,
            "charge": _maybe(change.charge, lambda c: c.to_json()),
            "source": change.source.value,
        }
    if isinstance(change, ChangeTerm):
        return {
            "type": "change_term",
            "end_date": _maybe(change.end_date, _day),
            "initial_term_months": change.initial_term_months,
            "renewal": _maybe(change.renewal, lambda r: {"months": r.months}),
            "notice": _maybe(change.notice, _notice),
            "early_termination_fee": _maybe(change.early_termination_fee, encode_fee),
            "no_early_termination_fee": change.no_early_termination_fee,
        }
    return {
        "type": "terminate",
        "fee_line": _maybe(change.fee_line, encode_line),
        "waive_fee": change.waive_fee,
    }


def decode_change(data: JSON) -> Change:
    kind = data["type"]
    if kind == "add_line":
        return AddLine(decode_line(data["line"]))
    if kind == "remove_line":
        return RemoveLine(data["line_key"])
    if kind == "change_quantity":
        return ChangeQuantity(data["line_key"], _parse_number(data["quantity"]))
    if kind == "change_price":
        return ChangePrice(
            data["line_key"], _parse_number(data["unit_price"]), LinePriceSource(data["source"])
        )
    if kind == "change_periodicity":
        return ChangePeriodicity(
            data["line_key"],
            _maybe(data.get("periodicity"), parse_periodicity),
            _maybe(data.get("timing"), Timing),
        )
    if kind == "change_discount":
        return ChangeDiscount(
            data["line_key"], tuple(decode_discount(d) for d in data.get("discounts", []))
        )
    if kind == "change_pricelist":
        repriced = tuple((str(k), _parse_number(p)) for k, p in data.get("repriced", []))
        return ChangePricelist(data["pricelist_id"], repriced)
    if kind == "change_charge":
        return ChangeCharge(
            data["line_key"],
            _maybe(data.get("charge"), ChargeSpec.from_json),
            LinePriceSource(data["source"]),
        )
    if kind == "change_term":
        renewal = data.get("renewal")
        return ChangeTerm(
            end_date=_maybe(data.get("end_date"), _parse_day),
            initial_term_months=data.get("initial_term_months"),
            renewal=None if renewal is None else RenewalPolicy(renewal.get("months")),
            notice=_maybe(data.get("notice"), _parse_notice),
            early_termination_fee=_maybe(data.get("early_termination_fee"), decode_fee),
            no_early_termination_fee=bool(data.get("no_early_termination_fee", False)),
        )
    if kind == "terminate":
        return Terminate(
            _maybe(data.get("fee_line"), decode_line), bool(data.get("waive_fee", False))
        )
    raise ValueError(f"unknown change type {kind!r}")


def encode_changes(changes: tuple[Change, ...]) -> list[JSON]:
    return [encode_change(c) for c in changes]


def decode_changes(data: list[JSON]) -> tuple[Change, ...]:
    return tuple(decode_change(c) for c in data)


# --- templates ---------------------------------------------------------------------------------


def _parameter_value(value: ParameterValue) -> Any:
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, date):
        return _day(value)
    return value


def encode_parameter(parameter: TemplateParameter) -> JSON:
    return {
        "name": parameter.name,
        "type": parameter.type.value,
        "default": _maybe(parameter.default, _parameter_value),
        "choices": list(parameter.choices),
        "label": parameter.label,
    }


def decode_parameter(data: JSON) -> TemplateParameter:
    parameter = TemplateParameter(
        name=data["name"],
        type=ParameterType(data["type"]),
        choices=tuple(data.get("choices", [])),
        label=data.get("label", ""),
    )
    default = data.get("default")
    if default is None:
        return parameter
    return TemplateParameter(
        name=parameter.name,
        type=parameter.type,
        default=coerce(parameter, default),
        choices=parameter.choices,
        label=parameter.label,
    )


def encode_template_terms(terms: TemplateTerms) -> JSON:
    return {
        "start_date": _or_param(terms.start_date, _day),
        "end_date": _maybe(terms.end_date, lambda v: _or_param(v, _day)),
        "initial_term_months": _maybe(terms.initial_term_months, lambda v: _or_param(v, int)),
        "renewal_months": terms.renewal.months,
        "notice": _notice(terms.notice),
        "billing_alignment": terms.billing_alignment.value,
        "invoice_grouping": terms.invoice_grouping.value,
        "activation": _activation(terms.activation),
        "payment_terms_days": terms.payment_terms_days,
        "minimum_commitment": _maybe(terms.minimum_commitment, encode_commitment),
        "metadata": [[key, value] for key, value in terms.metadata],
        "corrections": terms.corrections.value,
        "credit_on_termination": terms.credit_on_termination,
        "early_termination_fee": _maybe(terms.early_termination_fee, encode_fee),
    }


def decode_template_terms(data: JSON) -> TemplateTerms:
    end, term = data.get("end_date"), data.get("initial_term_months")
    return TemplateTerms(
        start_date=_parse_or_param(data["start_date"], _parse_day),
        end_date=None if end is None else _parse_or_param(end, _parse_day),
        initial_term_months=None if term is None else _parse_or_param(term, int),
        renewal=RenewalPolicy(data.get("renewal_months")),
        notice=_parse_notice(data.get("notice") or {}),
        billing_alignment=BillingAlignment(data["billing_alignment"]),
        invoice_grouping=InvoiceGrouping(data["invoice_grouping"]),
        activation=_parse_activation(data["activation"]),
        payment_terms_days=data.get("payment_terms_days"),
        minimum_commitment=_maybe(data.get("minimum_commitment"), decode_commitment),
        metadata=tuple((str(k), str(v)) for k, v in data.get("metadata", [])),
        # Versions stored before these existed read as the defaults.
        corrections=Corrections(data.get("corrections", Corrections.ADJUSTMENT.value)),
        credit_on_termination=bool(data.get("credit_on_termination", True)),
        early_termination_fee=_maybe(data.get("early_termination_fee"), decode_fee),
    )


def encode_template_line(line: TemplateLine) -> JSON:
    return {
        "line_key": line.line_key,
        "product": _or_param(line.product, str),
        "kind": line.kind.value,
        "quantity": _or_param(line.quantity, _number),
        "periodicity": _or_param(line.periodicity, _period),
        "timing": line.timing.value,
        "unit_price": _maybe(line.unit_price, lambda v: _or_param(v, _number)),
        "description": line.description,
        "start": _maybe(line.start, lambda v: _or_param(v, _day)),
        "end": _maybe(line.end, lambda v: _or_param(v, _day)),
        "discounts": [encode_discount(d) for d in line.discounts],
        "minimum_commitment": _maybe(line.minimum_commitment, encode_commitment),
    }


def decode_template_line(data: JSON) -> TemplateLine:
    price, start, end = data.get("unit_price"), data.get("start"), data.get("end")
    return TemplateLine(
        line_key=data["line_key"],
        product=_parse_or_param(data["product"], str),
        kind=ProductKind(data["kind"]),
        quantity=_parse_or_param(data["quantity"], _parse_number),
        periodicity=_parse_or_param(data["periodicity"], parse_periodicity),
        timing=Timing(data["timing"]),
        unit_price=None if price is None else _parse_or_param(price, _parse_number),
        description=data.get("description", ""),
        start=None if start is None else _parse_or_param(start, _parse_day),
        end=None if end is None else _parse_or_param(end, _parse_day),
        discounts=tuple(decode_discount(d) for d in data.get("discounts", [])),
        minimum_commitment=_maybe(data.get("minimum_commitment"), decode_commitment),
    )


def encode_template(version: TemplateVersion) -> JSON:
    return {
        "template_id": version.template_id,
        "version": version.version,
        "name": version.name,
        "description": version.description,
        "parameters": [encode_parameter(p) for p in version.parameters],
        "terms": encode_template_terms(version.terms),
        "lines": [encode_template_line(line) for line in version.lines],
    }


def decode_template(data: JSON) -> TemplateVersion:
    return TemplateVersion(
        template_id=data["template_id"],
        version=int(data["version"]),
        name=data["name"],
        description=data.get("description", ""),
        parameters=tuple(decode_parameter(p) for p in data.get("parameters", [])),
        terms=decode_template_terms(data["terms"]),
        lines=tuple(decode_template_line(line) for line in data.get("lines", [])),
    )
