"""Readable differences between two versions of the terms, one line of text per change.

Pure. Dates are shown as people read them: an end is the last day covered (the day before the
half-open end), so moving the end from 1 Jan 2027 to 1 Jul 2027 reads
`end date 2026-12-31 → 2027-06-30`. Prices show at least the currency's minor unit (`399.00`,
`0.0025`) whatever form they were stored in, so a price read back from the catalog (`399`) and
one typed (`399.00`) read alike. Lines are matched by their key; an added line is named by its
product's code, which the caller looks up (`product_codes`, id → code).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

from tarif.catalog.periodicity import Timing
from tarif.catalog.rules import ProductKind, price_text
from tarif.contracts.dates import last_day
from tarif.contracts.model import ContractLine, ContractTerms, LinePriceSource
from tarif.money import UnknownCurrency


def _day(value: date | None, empty: str = "none") -> str:
    return value.isoformat() if value else empty


def _end(value: date | None, empty: str) -> str:
    return last_day(value).isoformat() if value else empty


def _number(value: Decimal | int | None, empty: str = "none") -> str:
    if value is None:
        return empty
    # Normalized: 1 and 1.00 are the same quantity and must not read as a change.
    return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)


def _text(value: object, empty: str = "none") -> str:
    return empty if value is None or value == "" else str(value)


_CONTRACT_FIELDS: list[tuple[str, Callable[[ContractTerms], str]]] = [
    ("customer", lambda t: t.customer_id),
    ("reference", lambda t: t.reference),
    ("currency", lambda t: t.currency),
    ("pricelist", lambda t: _text(t.pricelist_id)),
    ("signature date", lambda t: _day(t.signed_on)),
    ("start date", lambda t: _day(t.start_date)),
    ("end date", lambda t: _end(t.end_date, "evergreen")),
    ("initial term", lambda t: _text(t.initial_term_months and f"{t.initial_term_months} months")),
    ("renewal", lambda t: str(t.renewal)),
    ("notice", lambda t: str(t.notice)),
    ("billing alignment", lambda t: t.billing_alignment.value),
    ("invoice grouping", lambda t: t.invoice_grouping.value),
    ("corrections", lambda t: t.corrections.value),
    ("credit on termination", lambda t: "yes" if t.credit_on_termination else "no"),
    ("activation", lambda t: str(t.activation)),
    ("purchase order", lambda t: _text(t.purchase_order)),
    ("payment terms", lambda t: _text(t.payment_terms_days and f"{t.payment_terms_days} days")),
    ("minimum commitment", lambda t: _text(t.minimum_commitment)),
    ("early-termination fee", lambda t: _text(t.early_termination_fee)),
    ("template", lambda t: _text(t.template and f"{t.template.template_id} v{t.template.version}")),
]


def _amount(value: Decimal, currency: str) -> str:
    try:
        return price_text(value, currency)
    except UnknownCurrency:  # invalid terms are reported elsewhere; still say what changed
        return f"{value:f}"


def _price(line: ContractLine, currency: str) -> str:
    if line.unit_price is None:
        return "priced by usage"
    return _amount(line.unit_price, currency)


def _priced(line: ContractLine, currency: str) -> str:
    if line.unit_price is None:
        return _price(line, currency)
    return f"{_price(line, currency)} ({line.price_source.value})"


def _charge(line: ContractLine) -> str:
    if line.charge is None:
        return "pricelist's" if line.kind is ProductKind.USAGE else "none"
    return json.dumps(line.charge.to_json(), sort_keys=True, ensure_ascii=False)


_LINE_FIELDS: list[tuple[str, Callable[[ContractLine, str], str]]] = [
    ("product", lambda x, _: x.product_id),
    ("kind", lambda x, _: x.kind.value),
    ("description", lambda x, _: _text(x.description)),
    ("quantity", lambda x, _: _number(x.quantity)),
    ("unit price", _priced),
    ("periodicity", lambda x, _: str(x.periodicity)),
    ("timing", lambda x, _: x.timing.value),
    ("start", lambda x, _: _day(x.start, "contract start")),
    ("end date", lambda x, _: _end(x.end, "contract end")),
    ("discounts", lambda x, _: "; ".join(str(d) for d in x.discounts) or "none"),
    ("minimum commitment", lambda x, _: _text(x.minimum_commitment)),
    ("charge", lambda x, _: _charge(x)),
]


def diff(
    old: ContractTerms, new: ContractTerms, *, product_codes: Mapping[str, str] | None = None
) -> list[str]:
    """What changed from `old` to `new`, e.g. `line hosting: quantity 1 → 3`.

    `product_codes` (product id → code) names added lines; an id without a code shows as is.
    """
    changes = [
        f"{label} {before} → {after}"
        for label, show in _CONTRACT_FIELDS
        if (before := show(old)) != (after := show(new))
    ]
    changes += _metadata_diff(dict(old.metadata), dict(new.metadata))
    old_keys = [line.line_key for line in old.lines]
    for line in old.lines:
        counterpart = new.line(line.line_key)
        if counterpart is None:
            changes.append(f"line {line.line_key}: removed")
            continue
        changes += [
            f"line {line.line_key}: {label} {before} → {after}"
            for label, show in _LINE_FIELDS
            if (before := show(line, old.currency)) != (after := show(counterpart, new.currency))
        ]
    changes += [
        describe_added_line(line, new.currency, product_codes or {})
        for line in new.lines
        if line.line_key not in old_keys
    ]
    return changes


def describe_added_line(line: ContractLine, currency: str, product_codes: Mapping[str, str]) -> str:
    """`line added: setup (one_off) 1 × 500.00 from 2026-03-01`: the product's code, then the
    line key when it differs, the periodicity, quantity × price (flagged when an override) and
    what differs from the usual (billed in arrears, its dates)."""
    code = product_codes.get(line.product_id, line.product_id)
    named = code if line.line_key == code else f"{code} as line {line.line_key}"
    if line.unit_price is None:
        amount = f"{_number(line.quantity)}, priced by usage"
    else:
        override = (
            f" ({line.price_source.value})" if line.price_source is LinePriceSource.OVERRIDE else ""
        )
        amount = f"{_number(line.quantity)} × {_price(line, currency)}{override}"
    arrears = ", billed in arrears" if line.timing is Timing.IN_ARREARS else ""
    start = f" from {line.start.isoformat()}" if line.start else ""
    end = f", last day {last_day(line.end).isoformat()}" if line.end else ""
    return f"line added: {named} ({line.periodicity}) {amount}{arrears}{start}{end}"


def _metadata_diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return [
        f"metadata {key}: {old.get(key, 'none')} → {new.get(key, 'none')}"
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]
