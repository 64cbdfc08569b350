"""HTML forms of the contract pages ↔ the service's inputs, and the service's errors ↔ form fields.

Form fields are named like the inputs' paths (`lines.0.quantity`, `parameters.seats`), so an
error the service names by path lands beside its input. Where the form's shape differs from the
input's (blank line rows skipped, one fieldset per kind of change), the path is mapped back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tarif.catalog.periodicity import format_periodicity
from tarif.contracts.dates import last_day
from tarif.contracts.model import ContractLine, ContractTerms, LinePriceSource
from tarif.contracts.parameters import Param
from tarif.errors import FieldError, InvalidInput

LINE_ROWS = 3  # line rows of a new contract or template; more come with "?rows="
MAX_ROWS = 20
PARAMETER_ROWS = 3
LINE_FIELDS = (
    "product_id",
    "quantity",
    "unit_price",
    "periodicity",
    "timing",
    "description",
    "start_date",
    "end_date",
    "minimum_commitment.amount",
    "minimum_commitment.periodicity",
)
HEADER_FIELDS = (
    "customer_id",
    "reference",
    "currency",
    "pricelist_id",
    "start_date",
    "end_date",
    "signed_on",
    "initial_term_months",
    "renewal_months",
    "notice_months",
    "notice_days",
    "billing_alignment",
    "invoice_grouping",
    "corrections",
    "credit_on_termination",
    "activation.condition",
    "activation.on",
    "purchase_order",
    "payment_terms_days",
    "early_termination_fee.kind",
    "early_termination_fee.amount",
    "early_termination_fee.percentage",
)
_PARAM = re.compile(r"^\{\s*([A-Za-z0-9_]+)\s*\}$")


def _text(form: dict[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _ticked(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("on", "1", "true")


def row_count(form: dict[str, str], prefix: str, requested: str | None, default: int) -> int:
    """How many rows a form shows: what was asked, or as many as were posted."""
    posted = {int(m.group(1)) for k in form if (m := re.match(rf"{prefix}\.(\d+)\.", k))}
    wanted = default
    if requested and requested.isdigit():
        wanted = int(requested)
    return max(1, min(MAX_ROWS, max([wanted, *(i + 1 for i in posted)])))


# --- errors → fields ---------------------------------------------------------------------------


def place_errors(errors: dict[str, str], known: set[str]) -> dict[str, str]:
    """Each error under the longest known field its path starts with; the rest above the form,
    named by their path so nothing is lost."""
    placed: dict[str, str] = {}
    loose: list[str] = []
    for path, message in errors.items():
        target = path
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target:
            placed.setdefault(target, message)
        elif path:
            loose.append(f"{path}: {message}")
        else:
            loose.insert(0, message)
    if loose:
        placed[""] = "; ".join(loose)
    return placed


def page_error(field_name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field_name}: {message}", [FieldError(field_name, message)])


# --- contracts ---------------------------------------------------------------------------------


@dataclass
class LineRows:
    """The line rows of a form that were filled in, and where each one sits in the form."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def rename(self, prefix: str = "lines") -> dict[str, str]:
        """Paths of the input (`lines.1`) renamed to the form's rows (`lines.2`)."""
        return {f"{prefix}.{i}": f"{prefix}.{row}" for i, row in enumerate(self.rows)}


def line_rows(form: dict[str, str], count: int) -> LineRows:
    out = LineRows()
    for row in range(count):
        values = {name: _text(form, f"lines.{row}.{name}") for name in LINE_FIELDS}
        if not any(values.values()):
            continue  # a blank row is not a line
        out.lines.append(_nested(values))
        out.rows.append(row)
    return out


def _nested(values: dict[str, str | None]) -> dict[str, Any]:
    """`{"a.b": v}` as `{"a": {"b": v}}`, blank boxes left out."""
    result: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        head, _, rest = name.partition(".")
        if rest:
            result.setdefault(head, {})[rest] = value
        else:
            result[name] = value
    return result


def fee_values(form: dict[str, str], prefix: str) -> dict[str, str] | None:
    """The early-termination fee boxes (`<prefix>.kind`, `.amount`, `.percentage`), or None."""
    kind = _text(form, f"{prefix}.kind")
    if kind is None:
        return None
    fee = {"kind": kind}
    for name in ("amount", "percentage"):
        if value := _text(form, f"{prefix}.{name}"):
            fee[name] = value
    return fee


def contract_values(form: dict[str, str], rows: LineRows) -> dict[str, Any]:
    """A `ContractCreate` as plain data: blank boxes are left out (the input's defaults)."""
    values: dict[str, Any] = {}
    for name in HEADER_FIELDS:
        value = _text(form, name)
        if value is None or name.startswith(("activation.", "early_termination_fee.")):
            continue
        values[name] = value
    if fee := fee_values(form, "early_termination_fee"):
        values["early_termination_fee"] = fee
    condition = _text(form, "activation.condition")
    if condition:
        values["activation"] = {"condition": condition}
        if on := _text(form, "activation.on"):
            values["activation"]["on"] = on
    values["lines"] = rows.lines
    return values


def rename_nested(errors: dict[str, str], rows: LineRows) -> dict[str, str]:
    """`lines.1.quantity` of the input → `lines.2.quantity` of the form."""
    renamed: dict[str, str] = {}
    mapping = rows.rename()
    for path, message in errors.items():
        parts = path.split(".")
        if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
            head = mapping.get(f"lines.{parts[1]}", f"lines.{parts[1]}")
            path = ".".join([head, *parts[2:]])
        renamed.setdefault(path, message)
    return renamed


def contract_fields(count: int) -> set[str]:
    return set(HEADER_FIELDS) | {
        f"lines.{row}.{name}" for row in range(count) for name in LINE_FIELDS
    }


# --- drafts, edited in place -------------------------------------------------------------------

# The boxes of a draft's line form (`LineUpdate`); adding a line also asks for the product.
LINE_EDIT_FIELDS = (
    "quantity",
    "unit_price",
    "periodicity",
    "timing",
    "description",
    "start_date",
    "end_date",
    "minimum_commitment.amount",
    "minimum_commitment.periodicity",
)
NEW_LINE_FIELDS = ("product_id", "line_key", *LINE_EDIT_FIELDS)
# Boxes a line always has: emptied, they are refused here, since the service keeps a line's
# value when the field comes empty (PATCH), which a form would show as saved.
_LINE_REQUIRED = ("quantity", "periodicity")


def _day_text(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _number_text(value: Any) -> str:
    return "" if value is None else str(value)


def header_values(terms: ContractTerms) -> dict[str, str]:
    """A draft's header as the edit form shows it: end dates as last days, empty boxes for
    what is not set."""
    fee = terms.early_termination_fee
    return {
        "customer_id": terms.customer_id,
        "reference": terms.reference,
        "currency": terms.currency,
        "pricelist_id": terms.pricelist_id or "",
        "start_date": terms.start_date.isoformat(),
        "end_date": last_day_text(terms.end_date),
        "signed_on": _day_text(terms.signed_on),
        "initial_term_months": _number_text(terms.initial_term_months),
        "renewal_months": _number_text(terms.renewal.months),
        "notice_months": str(terms.notice.months),
        "notice_days": str(terms.notice.days),
        "billing_alignment": terms.billing_alignment.value,
        "invoice_grouping": terms.invoice_grouping.value,
        "corrections": terms.corrections.value,
        "credit_on_termination": "true" if terms.credit_on_termination else "false",
        "activation.condition": terms.activation.condition.value,
        "activation.on": _day_text(terms.activation.on),
        "purchase_order": terms.purchase_order or "",
        "payment_terms_days": _number_text(terms.payment_terms_days),
        "early_termination_fee.kind": fee.kind.value if fee else "",
        "early_termination_fee.amount": _number_text(fee.amount) if fee else "",
        "early_termination_fee.percentage": _number_text(fee.percentage) if fee else "",
    }


def _changed(form: dict[str, str], shown: dict[str, str], names: tuple[str, ...]) -> set[str]:
    return {name for name in names if form.get(name, "").strip() != shown.get(name, "")}


def header_changes(form: dict[str, str], shown: dict[str, str]) -> dict[str, Any]:
    """A `ContractUpdate` as plain data: only the boxes changed from what the form showed (the
    API's PATCH), so what was not touched is not re-decided. An emptied box is null: no end
    (evergreen), no renewal, no fee…; an emptied notice is none."""
    changed = _changed(form, shown, HEADER_FIELDS)
    values: dict[str, Any] = {}
    for name in changed:
        if name.startswith(("activation.", "early_termination_fee.")):
            continue
        value = _text(form, name)
        values[name] = "0" if value is None and name.startswith("notice_") else value
    if changed & {"activation.condition", "activation.on"}:
        activation: dict[str, str] = {}
        if condition := _text(form, "activation.condition"):
            activation["condition"] = condition
        if on := _text(form, "activation.on"):
            activation["on"] = on
        values["activation"] = activation
    if any(name.startswith("early_termination_fee.") for name in changed):
        values["early_termination_fee"] = fee_values(form, "early_termination_fee")
    return values


def line_values(line: ContractLine) -> dict[str, str]:
    """A draft's line as its form shows it: the unit price only when it is an override (empty:
    the pricelist's), its own dates (empty: the contract's), the end as the last day."""
    override = line.price_source is LinePriceSource.OVERRIDE and line.unit_price is not None
    commitment = line.minimum_commitment
    commitment_periodicity = commitment.periodicity if commitment else None
    return {
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price) if override else "",
        "periodicity": format_periodicity(line.periodicity),
        "timing": line.timing.value,
        "description": line.description,
        "start_date": _day_text(line.start),
        "end_date": last_day_text(line.end),
        "minimum_commitment.amount": _number_text(commitment.amount) if commitment else "",
        "minimum_commitment.periodicity": (
            format_periodicity(commitment_periodicity) if commitment_periodicity else ""
        ),
    }


def line_changes(form: dict[str, str], shown: dict[str, str]) -> dict[str, Any]:
    """A `LineUpdate` as plain data: the boxes changed from what the form showed. An emptied
    unit price goes back to the pricelist's, emptied dates to the contract's, an emptied minimum
    amount removes the minimum."""
    changed = _changed(form, shown, LINE_EDIT_FIELDS)
    for name in _LINE_REQUIRED:
        if name in changed and _text(form, name) is None:
            raise page_error(name, "is required")
    values: dict[str, Any] = {}
    for name in changed:
        if name.startswith("minimum_commitment."):
            continue
        # An emptied description is an empty one, not "keep it" as null would be.
        values[name] = form.get(name, "").strip() if name == "description" else _text(form, name)
    if changed & {"minimum_commitment.amount", "minimum_commitment.periodicity"}:
        amount = _text(form, "minimum_commitment.amount")
        commitment: dict[str, str] | None = None
        if amount is not None:
            commitment = {"amount": amount}
            if periodicity := _text(form, "minimum_commitment.periodicity"):
                commitment["periodicity"] = periodicity
        values["minimum_commitment"] = commitment
    return values


def new_line_values(form: dict[str, str]) -> dict[str, Any]:
    """A `LineInput` as plain data: blank boxes are left out (the input's defaults)."""
    return _nested({name: _text(form, name) for name in NEW_LINE_FIELDS})


# --- amendments --------------------------------------------------------------------------------

# Fieldsets of the amendment form, in the order their changes are made, with their fields.
CHANGE_KINDS: dict[str, tuple[str, ...]] = {
    "add_line": ("line_key", "product_id", "quantity", "unit_price", "periodicity", "timing"),
    "remove_line": ("line_key",),
    "change_quantity": ("line_key", "quantity"),
    "change_price": ("line_key", "unit_price"),
    "change_periodicity": ("line_key", "periodicity", "timing"),
    "change_discount": ("line_key", "kind", "value", "periods", "until"),
    "change_pricelist": ("pricelist_id",),
    "change_term": (
        "end_date",
        "initial_term_months",
        "renewal_months",
        "no_renewal",
        "notice_months",
        "notice_days",
        "early_termination_fee.kind",
        "early_termination_fee.amount",
        "early_termination_fee.percentage",
        "no_early_termination_fee",
    ),
    "terminate": (),
}
AMENDMENT_FIELDS = {"effective_date", "reason", "signed_document_ref", "schedule"} | {
    f"{kind}.{name}" for kind, names in CHANGE_KINDS.items() for name in ("enabled", *names)
}


@dataclass
class AmendmentForm:
    """An amendment as plain data, and which fieldset made each change (by index)."""

    values: dict[str, Any]
    kinds: list[str]
    terminate: bool


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Blank boxes left out: the input's defaults apply."""
    return {k: v for k, v in values.items() if v is not None}


def _change(form: dict[str, str], kind: str) -> dict[str, Any]:
    def get(name: str) -> str | None:
        return _text(form, f"{kind}.{name}")

    if kind == "add_line":
        return {"type": kind, "line": _present({name: get(name) for name in CHANGE_KINDS[kind]})}
    if kind == "change_discount":
        discounts: list[dict[str, Any]] = []
        if get("value") is not None:  # an empty value removes the line's discounts
            discount = {name: get(name) for name in ("kind", "value", "periods", "until")}
            discounts.append(_present(discount | {"kind": get("kind") or "percentage"}))
        return {"type": kind, "line_key": get("line_key"), "discounts": discounts}
    values: dict[str, Any] = {name: get(name) for name in CHANGE_KINDS[kind] if "." not in name}
    if kind == "change_term":
        values["no_renewal"] = _ticked(form, f"{kind}.no_renewal") or None
        fee_ended = _ticked(form, f"{kind}.no_early_termination_fee")
        values["no_early_termination_fee"] = fee_ended or None
        values["early_termination_fee"] = fee_values(form, f"{kind}.early_termination_fee")
    # An empty `unit_price` on a price change is left out: the pricelist's price.
    return {"type": kind, **_present(values)}


def amendment_form(form: dict[str, str]) -> AmendmentForm:
    kinds = [
        kind for kind in CHANGE_KINDS if kind != "terminate" and _ticked(form, f"{kind}.enabled")
    ]
    values: dict[str, Any] = {
        "effective_date": _text(form, "effective_date"),
        "reason": form.get("reason", "").strip(),
        "changes": [_change(form, kind) for kind in kinds],
        "schedule": form.get("schedule") == "1",
    }
    if ref := _text(form, "signed_document_ref"):
        values["signed_document_ref"] = ref
    return AmendmentForm(values, kinds, _ticked(form, "terminate.enabled"))


def amendment_errors(errors: dict[str, str], amendment: AmendmentForm) -> dict[str, str]:
    """The service's paths (`changes.1.line.quantity`, `lines.0.quantity`) → the form's fields
    (`add_line.quantity`, `change_quantity.quantity`)."""
    renamed: dict[str, str] = {}
    for path, message in errors.items():
        renamed.setdefault(_amendment_field(path, amendment.kinds), message)
    return place_errors(renamed, AMENDMENT_FIELDS)


def _amendment_field(path: str, kinds: list[str]) -> str:
    parts = path.split(".")
    if parts[0] == "changes" and len(parts) > 1 and parts[1].isdigit():
        index = int(parts[1])
        if index >= len(kinds):
            return path
        kind, rest = kinds[index], parts[2:]
        if rest and rest[0] == kind:  # a discriminated union names the tag in its paths
            rest = rest[1:]
        if rest and rest[0] in ("line", "discounts"):
            rest = [r for r in rest[1:] if not r.isdigit()]
        name = rest[0] if rest else "enabled"
        if name == "early_termination_fee" and len(rest) > 1:
            name = f"{name}.{rest[1]}"
        return f"{kind}.{name}" if name in CHANGE_KINDS[kind] else f"{kind}.enabled"
    if parts[0] == "lines" and len(parts) > 2:
        # A problem of the resulting terms: beside the change that sets that value.
        for kind in kinds:
            if parts[2] in CHANGE_KINDS[kind]:
                return f"{kind}.{parts[2]}"
    return path


# --- termination -------------------------------------------------------------------------------

TERMINATION_FIELDS = {
    "mode",
    "date",
    "forced",
    "with_credit",
    "waive_fee",
    "reason",
    "fee_line.product_id",
    "fee_line.unit_price",
}


def termination_values(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "action": "terminate",
        "mode": _text(form, "mode") or "at_term_end",
        "date": _text(form, "date"),
        "forced": _ticked(form, "forced"),
        "with_credit": _ticked(form, "with_credit"),
        "waive_fee": _ticked(form, "waive_fee"),
        "reason": form.get("reason", "").strip(),
    }
    product, amount = _text(form, "fee_line.product_id"), _text(form, "fee_line.unit_price")
    if product or amount:
        fee = {"product_id": product or "", "line_key": "termination-fee"}
        if amount:
            fee["unit_price"] = amount
        values["fee_line"] = fee
    return values


# --- templates ---------------------------------------------------------------------------------

TEMPLATE_LINE_FIELDS = (
    "line_key",
    "product",
    "kind",
    "quantity",
    "periodicity",
    "timing",
    "unit_price",
    "description",
)
PARAMETER_FIELDS = ("name", "type", "default", "choices", "label")
TEMPLATE_TERM_FIELDS = (
    "start_date",
    "initial_term_months",
    "renewal_months",
    "notice_months",
    "notice_days",
    "billing_alignment",
    "invoice_grouping",
    "activation.condition",
)


def param_or_value(text: str | None) -> Any:
    """`{seats}` names a parameter; anything else is a literal value."""
    if text is None:
        return None
    match = _PARAM.match(text)
    return {"param": match.group(1)} if match else text


def shown(value: Any) -> str:
    """A template value as typed in the form: a parameter as `{name}`."""
    if value is None:
        return ""
    if isinstance(value, Param):
        return "{" + value.name + "}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def template_fields(lines: int, parameters: int) -> set[str]:
    return (
        {"name", "description"}
        | {f"terms.{name}" for name in TEMPLATE_TERM_FIELDS}
        | {f"lines.{r}.{name}" for r in range(lines) for name in TEMPLATE_LINE_FIELDS}
        | {f"parameters.{r}.{name}" for r in range(parameters) for name in PARAMETER_FIELDS}
    )


def template_values(
    form: dict[str, str],
    lines: int,
    parameters: int,
    kept: dict[str, dict[str, Any]] | None = None,
    kept_terms: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], LineRows, LineRows]:
    """A `TemplateCreate` as plain data. `kept` holds what each line (by key) had that the form
    does not show (discounts, dates, commitments), `kept_terms` the same for the terms, so a
    new version does not lose them."""
    parameter_rows = LineRows()
    for row in range(parameters):
        got = {name: _text(form, f"parameters.{row}.{name}") for name in PARAMETER_FIELDS}
        if not got["name"] and not got["default"] and not got["choices"] and not got["label"]:
            continue
        parameter: dict[str, Any] = {"name": got["name"] or "", "type": got["type"] or "string"}
        if got["default"] is not None:
            parameter["default"] = got["default"]
        if got["choices"]:
            parameter["choices"] = [c.strip() for c in got["choices"].split(",") if c.strip()]
        if got["label"]:
            parameter["label"] = got["label"]
        parameter_rows.lines.append(parameter)
        parameter_rows.rows.append(row)
    line_rows_ = LineRows()
    for row in range(lines):
        got = {name: _text(form, f"lines.{row}.{name}") for name in TEMPLATE_LINE_FIELDS}
        if not got["line_key"] and not got["product"]:
            continue
        line: dict[str, Any] = {
            "line_key": got["line_key"] or "",
            "product": param_or_value(got["product"]) or "",
            "kind": got["kind"] or "recurring",
        }
        for name in ("quantity", "periodicity", "unit_price"):
            if got[name] is not None:
                line[name] = param_or_value(got[name])
        if got["timing"]:
            line["timing"] = got["timing"]
        if got["description"]:
            line["description"] = got["description"]
        line = (kept or {}).get(line["line_key"], {}) | line
        line_rows_.lines.append(line)
        line_rows_.rows.append(row)
    terms: dict[str, Any] = dict(kept_terms or {})
    for name in TEMPLATE_TERM_FIELDS:
        value = _text(form, f"terms.{name}")
        if value is None:
            continue
        if name == "activation.condition":
            terms["activation"] = {"condition": value}
        elif name in ("start_date", "initial_term_months"):
            terms[name] = param_or_value(value)
        else:
            terms[name] = value
    values = {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "parameters": parameter_rows.lines,
        "terms": terms,
        "lines": line_rows_.lines,
    }
    return values, line_rows_, parameter_rows


def template_errors(
    errors: dict[str, str], lines: LineRows, parameters: LineRows, known: set[str]
) -> dict[str, str]:
    rename = lines.rename() | parameters.rename("parameters")
    renamed: dict[str, str] = {}
    for path, message in errors.items():
        parts = path.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and f"{parts[0]}.{parts[1]}" in rename:
            path = ".".join([rename[f"{parts[0]}.{parts[1]}"], *parts[2:]])
        if parts[0] == "terms" and len(parts) > 1 and parts[1] == "activation":
            path = "terms.activation.condition"
        renamed.setdefault(path, message)
    return place_errors(renamed, known)


def last_day_text(end: date | None) -> str:
    return "" if end is None else last_day(end).isoformat()


def instantiate_values(form: dict[str, str], names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: v
        for name in ("customer_id", "reference", "pricelist_id", "purchase_order", "version")
        if (v := _text(form, name)) is not None
    }
    values["parameters"] = {
        name: v for name in names if (v := _text(form, f"parameters.{name}")) is not None
    }
    return values
