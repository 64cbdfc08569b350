"""Readable differences between two versions of the terms, one line of text per change.

Pure. Dates are shown as people read them: an end is the last day covered (the day before the
half-open end), so moving the end from 1 Jan 2027 to 1 Jul 2027 reads
`end date 2026-12-31 → 2027-06-30`. Lines are matched by their key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from tarif.contracts.dates import last_day
from tarif.contracts.model import ContractLine, ContractTerms


def _day(value: date | None, empty: str = "none") -> str:
    return value.isoformat() if value else empty


def _end(value: date | None, empty: str) -> str:
    return last_day(value).isoformat() if value else empty


def _number(value: Decimal | int | None, empty: str = "none") -> str:
    if value is None:
        return empty
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


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
    ("activation", lambda t: str(t.activation)),
    ("purchase order", lambda t: _text(t.purchase_order)),
    ("payment terms", lambda t: _text(t.payment_terms_days and f"{t.payment_terms_days} days")),
    ("minimum commitment", lambda t: _text(t.minimum_commitment)),
    ("template", lambda t: _text(t.template and f"{t.template.template_id} v{t.template.version}")),
]


def _price(line: ContractLine) -> str:
    if line.unit_price is None:
        return "priced by usage"
    return f"{line.unit_price:f} ({line.price_source.value})"


_LINE_FIELDS: list[tuple[str, Callable[[ContractLine], str]]] = [
    ("product", lambda x: x.product_id),
    ("kind", lambda x: x.kind.value),
    ("description", lambda x: _text(x.description)),
    ("quantity", lambda x: _number(x.quantity)),
    ("unit price", _price),
    ("periodicity", lambda x: str(x.periodicity)),
    ("timing", lambda x: x.timing.value),
    ("start", lambda x: _day(x.start, "contract start")),
    ("end date", lambda x: _end(x.end, "contract end")),
    ("discounts", lambda x: "; ".join(str(d) for d in x.discounts) or "none"),
    ("minimum commitment", lambda x: _text(x.minimum_commitment)),
]


def diff(old: ContractTerms, new: ContractTerms) -> list[str]:
    """What changed from `old` to `new`, e.g. `line hosting: quantity 1 → 3`."""
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
            if (before := show(line)) != (after := show(counterpart))
        ]
    changes += [
        f"line {line.line_key}: added ({describe_line(line)})"
        for line in new.lines
        if line.line_key not in old_keys
    ]
    return changes


def describe_line(line: ContractLine) -> str:
    """One line summarised: `3 × product prd_hosting at 399.00 (override), monthly in_advance`."""
    start = f", from {line.start.isoformat()}" if line.start else ""
    end = f", last day {last_day(line.end).isoformat()}" if line.end else ""
    return (
        f"{_number(line.quantity)} × product {line.product_id} at {_price(line)}, "
        f"{line.periodicity} {line.timing.value}{start}{end}"
    )


def _metadata_diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return [
        f"metadata {key}: {old.get(key, 'none')} → {new.get(key, 'none')}"
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]
