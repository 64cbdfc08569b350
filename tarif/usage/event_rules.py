"""Pure rules of usage event ingestion: what a well-formed event is, and what is extracted from it.

Two stages, both plain functions over plain values (no database, no HTTP, no clock):
- `parse_event` checks an event's shape (fields, types, timestamp, properties size) and gives a
  `Candidate`, or a `Rejection` naming the field;
- `resolve` checks it against the organization's metrics, customers and contracts and computes
  what aggregation needs (`value_micros`, `unique_key`, `local_date`, `late`), giving a `Row`.

Errors are values: a batch reports every bad event at once and keeps the good ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import Any

MICROS = 1_000_000
MAX_MICROS = 2**63 - 1  # a BIGINT column
MAX_TEXT = 200  # transaction ids, sources, unique keys: the columns' width
MAX_METRIC_CODE = 60
MAX_REFERENCE = 100
DEFAULT_FUTURE_TOLERANCE_SECONDS = 300
MAX_FUTURE_TOLERANCE_SECONDS = 7 * 24 * 3600
DEFAULT_MAX_PROPERTIES_BYTES = 8 * 1024
NOT_FOUND = "not found in this organization"

NATIVE_FIELDS = frozenset(
    {"transaction_id", "customer", "contract", "metric", "timestamp", "properties"}
)


class LatePolicy(StrEnum):
    ADJUST = "adjust"  # stored with late = true, billed as an adjustment on the next invoice
    REJECT = "reject"  # refused: the period is closed


class Status(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


# `Rejection`, `Candidate` and `Row` are values, never changed once made, yet not declared
# frozen: a frozen dataclass sets each field through `object.__setattr__`, and a batch makes
# two or three of them per event (a tenth of the server's time on a batch of 1,000 events).


@dataclass(slots=True)
class Rejection:
    """Why one event was refused: `field` is a dotted path into the event."""

    index: int
    field: str
    detail: str
    # The event's identity when it was readable: a refused event may still be a duplicate.
    source: str | None = None
    transaction_id: str | None = None
    # 413 rather than 422 when a single event is posted.
    too_large: bool = False


@dataclass(slots=True)
class Candidate:
    """A well-formed event, not yet checked against the organization's data."""

    index: int
    source: str
    transaction_id: str
    metric: str
    customer: str | None
    contract: str | None
    occurred_at: datetime  # UTC
    properties: dict[str, Any]
    properties_json: str


@dataclass(frozen=True, slots=True)
class MetricSpec:
    code: str
    aggregation: str
    field: str | None
    archived: bool
    valuation_smartcode_id: str | None = None

    @property
    def valued_by_smartcode(self) -> bool:
        return self.valuation_smartcode_id is not None


@dataclass(frozen=True, slots=True)
class Policy:
    """The organization's ingestion settings and the instant the batch arrived."""

    timezone: tzinfo
    received_at: datetime
    future_tolerance: timedelta = timedelta(seconds=DEFAULT_FUTURE_TOLERANCE_SECONDS)
    late_policy: LatePolicy = LatePolicy.ADJUST
    valuation_available: bool = False


@dataclass(slots=True)
class Row:
    """What is stored: one `usage_events` row, its id excepted."""

    index: int
    source: str
    transaction_id: str
    metric_code: str
    customer_id: str
    contract_id: str | None
    occurred_at: datetime
    local_date: date
    value_micros: int | None
    unique_key: str | None
    properties_json: str
    late: bool
    # Set when a valuation SmartCode computed `value_micros`.
    smartcode_version_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.transaction_id)


@dataclass(frozen=True, slots=True)
class Directory:
    """The organization's data a batch refers to, read once per batch."""

    metrics: Mapping[str, MetricSpec]
    customers_by_external_id: Mapping[str, str]
    # A contract's id or reference → (contract id, customer id)
    contracts: Mapping[str, tuple[str, str]]
    # (customer id, metric code) → first local day not yet invoiced
    watermarks: Mapping[tuple[str, str], date]


# --- values ---------------------------------------------------------------------------------


def value_micros(value: object) -> int:
    """An exact quantity as an integer count of millionths: "0.000001" → 1, "12.5" → 12500000.

    Accepts a JSON number (parsed as `Decimal`, never a float) or a decimal string; refuses
    what millionths cannot hold exactly (more than 6 decimals), booleans, NaN and infinities.
    """
    if isinstance(value, str):
        fast = _plain_decimal_micros(value)
        if fast is not None and -MAX_MICROS <= fast <= MAX_MICROS:
            return fast
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a number")
    if isinstance(value, int):
        micros = value * MICROS
    else:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise ValueError(f"must be a number, got {value[:40]!r}") from None
        elif isinstance(value, float):
            # Only from Python callers: the float's shortest repr is the number they wrote.
            number = Decimal(repr(value))
        else:
            raise ValueError("must be a number")
        if not number.is_finite():
            raise ValueError("must be a finite number")
        # Checked before scaling: an exponent like 1e1000000 would overflow the context.
        if number and number.adjusted() > 18:
            raise ValueError("is too large")
        scaled = number.scaleb(6)
        if scaled != scaled.to_integral_value():
            raise ValueError("has more than 6 decimals")
        micros = int(scaled)
    if not -MAX_MICROS <= micros <= MAX_MICROS:
        raise ValueError("is too large")
    return micros


def _plain_decimal_micros(text: str) -> int | None:
    """Millionths of a plain decimal string ("-12.5") without going through `Decimal`: most
    values look like this, and this is the one per-event cost that adds up. None when the text
    is anything else (left to the general path)."""
    whole, _, fraction = text.partition(".")
    negative = whole.startswith("-")
    digits = whole[1:] if negative else whole
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 13):
        return None
    if fraction and not (fraction.isascii() and fraction.isdigit() and len(fraction) <= 6):
        return None
    micros = int(digits) * MICROS + (int(fraction.ljust(6, "0")) if fraction else 0)
    return -micros if negative else micros


def micros_to_decimal(micros: int) -> Decimal:
    """The stored integer back as the exact quantity, without trailing zeros: 12500000 → 12.5."""
    number = Decimal(micros).scaleb(-6)
    return (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )


def parse_timestamp(value: object) -> datetime:
    """An RFC 3339 instant with its offset ("2026-01-31T23:30:00Z"), as UTC."""
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 timestamp string, e.g. 2026-01-31T23:30:00Z")
    text = value.strip()
    # RFC 3339 has a full date and time; fromisoformat alone would also take "2026-01-31".
    if len(text) < 16 or text[10] not in "Tt ":
        raise ValueError("must be an RFC 3339 timestamp with a time, e.g. 2026-01-31T23:30:00Z")
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"is not an RFC 3339 timestamp: {value[:40]!r} (e.g. 2026-01-31T23:30:00Z)"
        ) from None
    if instant.tzinfo is None:
        raise ValueError("needs an offset (Z or +01:00): the instant is ambiguous without it")
    return instant.astimezone(UTC)


def local_date(instant: datetime, timezone: tzinfo) -> date:
    """The organization's day of a UTC instant: 2026-01-31T23:30Z is 1 February in Paris."""
    day = _day_of_quarter_hour(timezone, int(instant.timestamp() // _QUARTER_HOUR))
    return day if day is not None else instant.astimezone(timezone).date()


_QUARTER_HOUR = 900  # seconds


@lru_cache(maxsize=4096)
def _day_of_quarter_hour(timezone: tzinfo, quarter: int) -> date | None:
    """The local day of every instant of a UTC quarter hour, or None when it holds a change of
    day (an offset like +05:45 turns the day within one): converting each event's instant
    through the time zone is a slow call, and a batch's events share a few quarter hours."""
    try:
        start = datetime.fromtimestamp(quarter * _QUARTER_HOUR, UTC)
        first = start.astimezone(timezone).date()
        last = (start + timedelta(seconds=_QUARTER_HOUR, microseconds=-1)).astimezone(timezone)
    except (OverflowError, OSError, ValueError):  # the first or last years a datetime holds
        return None
    return first if last.date() == first else None


def check_future_tolerance(value: object) -> int:
    """The organization setting: seconds an event may be ahead of the clock (0 to 7 days)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number of seconds")
    try:
        seconds = int(value.strip()) if isinstance(value, str) else value
    except ValueError:
        raise ValueError("must be a whole number of seconds") from None
    if not isinstance(seconds, int):
        raise ValueError("must be a whole number of seconds")
    if not 0 <= seconds <= MAX_FUTURE_TOLERANCE_SECONDS:
        raise ValueError(f"must be between 0 and {MAX_FUTURE_TOLERANCE_SECONDS} seconds")
    return seconds


def check_late_policy(value: object) -> str:
    if value not in {p.value for p in LatePolicy}:
        raise ValueError("must be 'adjust' or 'reject'")
    return str(value)


# --- stage 1: shape -------------------------------------------------------------------------


def _text(event: Mapping[str, Any], name: str, limit: int, required: bool) -> str | None:
    value = event.get(name)
    if value is None:
        if required:
            raise _FieldError(name, "is required")
        return None
    if not isinstance(value, str):
        raise _FieldError(name, "must be a string")
    value = value.strip()
    if not value:
        if required:
            raise _FieldError(name, "is required")
        return None
    if len(value) > limit:
        raise _FieldError(name, f"at most {limit} characters")
    if "\x00" in value:
        raise _FieldError(name, "must not contain the NUL character (U+0000)")
    return value


class _FieldError(Exception):
    def __init__(self, field: str, detail: str, too_large: bool = False) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail
        self.too_large = too_large


def _properties(value: object, dumps: Any, max_bytes: int) -> tuple[dict[str, Any], str]:
    if value is None:
        return {}, "{}"
    if not isinstance(value, dict):
        raise _FieldError("properties", "must be a JSON object")
    text: str = dumps(value)
    if len(text) > max_bytes and len(text.encode()) > max_bytes:
        raise _FieldError("properties", f"larger than {max_bytes} bytes", too_large=True)
    if "\\u0000" in text:
        raise _FieldError("properties", "must not contain the NUL character (U+0000)")
    return value, text


def parse_event(
    index: int,
    event: object,
    dumps: Any,
    *,
    max_properties_bytes: int = DEFAULT_MAX_PROPERTIES_BYTES,
) -> Candidate | Rejection:
    """An event of `POST /v1/events` (or an import row) checked for shape. `dumps` writes the
    properties as JSON text (what is stored), so their size is measured on what is kept."""
    if not isinstance(event, dict):
        return Rejection(index, "", "must be a JSON object")
    transaction_id: str | None = None
    try:
        transaction_id = _text(event, "transaction_id", MAX_TEXT, True)
        unknown = event.keys() - NATIVE_FIELDS
        if unknown:
            raise _FieldError(sorted(unknown)[0], "unknown field")
        metric = _text(event, "metric", MAX_METRIC_CODE, True)
        customer = _text(event, "customer", MAX_REFERENCE, False)
        contract = _text(event, "contract", MAX_REFERENCE, False)
        if customer is None and contract is None:
            raise _FieldError("customer", "is required (or contract)")
        if "timestamp" not in event:
            raise _FieldError("timestamp", "is required")
        try:
            occurred_at = parse_timestamp(event["timestamp"])
        except ValueError as exc:
            raise _FieldError("timestamp", str(exc)) from None
        properties, properties_json = _properties(
            event.get("properties"), dumps, max_properties_bytes
        )
    except _FieldError as exc:
        return Rejection(index, exc.field, exc.detail, "", transaction_id, exc.too_large)
    assert transaction_id is not None and metric is not None
    return Candidate(
        index,
        "",
        transaction_id,
        metric,
        customer,
        contract,
        occurred_at,
        properties,
        properties_json,
    )


# --- stage 2: against the organization's data -----------------------------------------------


def _value_of(candidate: Candidate, metric: MetricSpec) -> tuple[int | None, str | None]:
    """(value_micros, unique_key) of the event for its metric."""
    name = metric.field
    if metric.aggregation == "count" or not name:
        return None, None
    raw = candidate.properties.get(name)
    where = f"properties.{name}"
    if raw is None:
        raise _FieldError(where, f"is required by metric '{metric.code}'")
    if metric.aggregation == "unique_count":
        if isinstance(raw, dict | list):
            raise _FieldError(where, "must be a string or a number")
        key = (
            raw if isinstance(raw, str) else str(raw).lower() if isinstance(raw, bool) else str(raw)
        )
        if not key or len(key) > MAX_TEXT:
            raise _FieldError(where, f"must have 1 to {MAX_TEXT} characters")
        return None, key
    try:
        return value_micros(raw), None
    except ValueError as exc:
        raise _FieldError(where, str(exc)) from None


def resolve(candidate: Candidate, directory: Directory, policy: Policy) -> Row | Rejection:
    """The stored row of a well-formed event, or why the organization's data refuses it."""
    try:
        metric = directory.metrics.get(candidate.metric)
        if metric is None:
            raise _FieldError(
                "metric", f"unknown metric '{candidate.metric}': not found in this organization"
            )
        if metric.archived:
            raise _FieldError("metric", f"metric '{candidate.metric}' is archived")
        if metric.valued_by_smartcode and not policy.valuation_available:
            raise _FieldError(
                "metric",
                f"metric '{candidate.metric}' is valued by a SmartCode: "
                "valuation SmartCodes are not available",
            )
        customer_id: str | None = None
        if candidate.customer is not None:
            customer_id = directory.customers_by_external_id.get(candidate.customer)
            if customer_id is None:
                raise _FieldError(
                    "customer",
                    f"unknown customer '{candidate.customer}': not found in this organization",
                )
        contract_id: str | None = None
        if candidate.contract is not None:
            contract = directory.contracts.get(candidate.contract)
            if contract is None:
                raise _FieldError(
                    "contract",
                    f"unknown contract '{candidate.contract}': not found in this organization",
                )
            contract_id, owner = contract
            if customer_id is not None and owner != customer_id:
                raise _FieldError("contract", "belongs to another customer than 'customer'")
            customer_id = owner
        assert customer_id is not None
        if candidate.occurred_at > policy.received_at + policy.future_tolerance:
            seconds = int(policy.future_tolerance.total_seconds())
            raise _FieldError("timestamp", f"is more than {seconds} seconds in the future")
        value, unique_key = (
            (None, None) if metric.valued_by_smartcode else _value_of(candidate, metric)
        )
        day = local_date(candidate.occurred_at, policy.timezone)
        billed_until = directory.watermarks.get((customer_id, metric.code))
        late = billed_until is not None and day < billed_until
        if late and policy.late_policy is LatePolicy.REJECT:
            raise _FieldError(
                "timestamp",
                f"its day {day.isoformat()} is already invoiced (usage billed until "
                f"{billed_until.isoformat() if billed_until else ''}) and late events are refused",
            )
    except _FieldError as exc:
        return Rejection(
            candidate.index, exc.field, exc.detail, candidate.source, candidate.transaction_id
        )
    return Row(
        candidate.index,
        candidate.source,
        candidate.transaction_id,
        metric.code,
        customer_id,
        contract_id,
        candidate.occurred_at,
        day,
        value,
        unique_key,
        candidate.properties_json,
        late,
    )


def first_of_each_key(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """(the first row of each (source, transaction_id), the repeats within the batch)."""
    seen: set[tuple[str, str]] = set()
    firsts: list[Row] = []
    repeats: list[Row] = []
    for row in rows:
        key = (row.source, row.transaction_id)
        if key in seen:
            repeats.append(row)
        else:
            seen.add(key)
            firsts.append(row)
    return firsts, repeats
