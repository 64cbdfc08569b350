"""SmartCode rules (pure): what a valid code, name and kind are, and the dry-run inputs.

A SmartCode is identified in its organization by a `code` (`billable_minutes`): lower-case
letters, digits and underscores, starting with a letter, as a Python name would be, so that a
file `billable_minutes.py` can be pushed under its own name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tarif.errors import ErrorCollector
from tarif.smartcodes.policy import Kind
from tarif.smartcodes.values import MacroContract, MacroEvent, MacroPeriod, MacroUsage, freeze

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
_CODE_RE = re.compile(CODE_PATTERN)
MAX_NAME = 200
MAX_DRY_RUN_EVENTS = 1_000


def check_code(code: str, errors: ErrorCollector) -> None:
    if not _CODE_RE.fullmatch(code):
        errors.add(
            "code",
            "1 to 60 lower-case letters, digits or underscores, starting with a letter",
        )


def check_name(name: str, errors: ErrorCollector) -> None:
    if len(name) > MAX_NAME:
        errors.add("name", f"at most {MAX_NAME} characters")


def parse_kind(raw: Any, errors: ErrorCollector) -> Kind | None:
    try:
        return Kind(str(getattr(raw, "value", raw)))
    except ValueError:
        errors.add("kind", "must be one of: valuation, pricing")
        return None


def exact_json(value: Any) -> Any:
    """A JSON value with every non-integral number made an exact Decimal (from its text)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(k): exact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact_json(v) for v in value]
    return value


def _instant(raw: Any, where: str, errors: ErrorCollector) -> datetime | None:
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            errors.add(where, "must be an ISO 8601 instant such as 2026-01-15T09:30:00Z")
            return None
    if value.tzinfo is None:
        errors.add(where, "must carry a time zone (e.g. Z for UTC)")
        return None
    return value


def _day(raw: Any, where: str, errors: ErrorCollector) -> date | None:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors.add(where, "must be a date written YYYY-MM-DD")
        return None


def _number(raw: Any, where: str, errors: ErrorCollector) -> Decimal | None:
    if isinstance(raw, bool | float):
        errors.add(where, 'must be a decimal string such as "12.5"')
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        errors.add(where, 'must be a decimal string such as "12.5"')
        return None
    if not value.is_finite():
        errors.add(where, "must be a finite number")
        return None
    return value


def sample_events(raw: Any, errors: ErrorCollector, field: str = "events") -> list[MacroEvent]:
    """Dry-run events from JSON: `[{timestamp, properties, metric?, customer?}, …]`."""
    if not isinstance(raw, list) or not raw:
        errors.add(field, "must be a non-empty list of events")
        return []
    if len(raw) > MAX_DRY_RUN_EVENTS:
        errors.add(field, f"at most {MAX_DRY_RUN_EVENTS} events in a dry run")
        return []
    events: list[MacroEvent] = []
    for i, item in enumerate(raw):
        where = f"{field}.{i}"
        if not isinstance(item, Mapping):
            errors.add(where, "must be an object with timestamp and properties")
            continue
        unknown = sorted(set(item) - {"timestamp", "properties", "metric", "customer"})
        for name in unknown:
            errors.add(f"{where}.{name}", "unknown field")
        timestamp = _instant(item.get("timestamp"), f"{where}.timestamp", errors)
        properties = item.get("properties", {})
        if not isinstance(properties, Mapping):
            errors.add(f"{where}.properties", "must be an object")
            continue
        texts = [item.get("metric"), item.get("customer")]
        for name, text in zip(("metric", "customer"), texts, strict=True):
            if text is not None and not isinstance(text, str):
                errors.add(f"{where}.{name}", "must be a string")
        if timestamp is not None:
            events.append(
                MacroEvent(
                    timestamp,
                    exact_json(dict(properties)),
                    item.get("metric"),
                    item.get("customer"),
                )
            )
    return events


def sample_usage(raw: Any, errors: ErrorCollector, field: str = "usage") -> MacroUsage | None:
    """Dry-run usage from JSON: `{quantity, event_count?, groups?, period: {start, end}}`."""
    if not isinstance(raw, Mapping):
        errors.add(field, "must be an object with quantity and period")
        return None
    for name in sorted(set(raw) - {"quantity", "event_count", "groups", "period"}):
        errors.add(f"{field}.{name}", "unknown field")
    quantity = _number(raw.get("quantity"), f"{field}.quantity", errors)
    count = raw.get("event_count", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        errors.add(f"{field}.event_count", "must be a whole number, 0 or more")
        count = 0
    groups_raw = raw.get("groups") or {}
    groups: dict[str, Decimal] = {}
    if not isinstance(groups_raw, Mapping):
        errors.add(f"{field}.groups", "must be an object of decimal strings")
    else:
        for key, value in groups_raw.items():
            number = _number(value, f"{field}.groups.{key}", errors)
            if number is not None:
                groups[str(key)] = number
    period_raw = raw.get("period")
    if not isinstance(period_raw, Mapping):
        errors.add(f"{field}.period", "must be an object with start and end dates")
        return None
    start = _day(period_raw.get("start"), f"{field}.period.start", errors)
    end = _day(period_raw.get("end"), f"{field}.period.end", errors)
    if start and end and end <= start:
        errors.add(f"{field}.period.end", "must be after the start (the period is [start, end))")
    if quantity is None or start is None or end is None:
        return None
    return MacroUsage(quantity, count, groups, MacroPeriod(start, end))


def sample_contract(raw: Any, errors: ErrorCollector, field: str = "contract") -> MacroContract:
    """Dry-run contract from JSON: `{reference?, currency?, terms?}` (defaults: "DRY-RUN", EUR)."""
    raw = raw if raw is not None else {}
    if not isinstance(raw, Mapping):
        errors.add(field, "must be an object")
        raw = {}
    for name in sorted(set(raw) - {"reference", "currency", "terms"}):
        errors.add(f"{field}.{name}", "unknown field")
    reference = str(raw.get("reference") or "DRY-RUN")
    currency = str(raw.get("currency") or "EUR").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors.add(f"{field}.currency", "must be an ISO 4217 code such as EUR")
    terms = raw.get("terms") or {}
    if not isinstance(terms, Mapping):
        errors.add(f"{field}.terms", "must be an object")
        terms = {}
    return MacroContract(reference, currency, freeze(exact_json(dict(terms))))
