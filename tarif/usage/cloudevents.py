"""CloudEvents 1.0 (JSON format, structured and batch modes) read as usage events.

Mapping (see docs/usage.md, "Sending events"):

| CloudEvents attribute | usage event |
|---|---|
| `source` + `id` | deduplication key (`source`, `transaction_id`) |
| `type` | the metric's code |
| `subject` | the customer's external id |
| `tarifcontract` (extension) | the contract id, instead of or with `subject` |
| `time` | `timestamp` (required: usage belongs to the moment it happened) |
| `data` | `properties` (a JSON object; `datacontenttype`, if given, must be JSON) |
"""

from __future__ import annotations

from typing import Any

from tarif.usage.event_rules import (
    DEFAULT_MAX_PROPERTIES_BYTES,
    MAX_METRIC_CODE,
    MAX_REFERENCE,
    MAX_TEXT,
    Candidate,
    Rejection,
    _FieldError,
    _properties,
    _text,
    parse_timestamp,
)

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
CONTRACT_EXTENSION = "tarifcontract"
_JSON_DATA = ("application/json", "text/json")


def parse_cloudevent(
    index: int,
    event: object,
    dumps: Any,
    *,
    max_properties_bytes: int = DEFAULT_MAX_PROPERTIES_BYTES,
) -> Candidate | Rejection:
    """A CloudEvent (JSON format) as a usage event candidate, or why it is refused."""
    if not isinstance(event, dict):
        return Rejection(index, "", "must be a JSON object (a CloudEvent)")
    source: str | None = None
    event_id: str | None = None
    try:
        source = _text(event, "source", MAX_TEXT, True)
        event_id = _text(event, "id", MAX_TEXT, True)
        if event.get("specversion") != "1.0":
            raise _FieldError("specversion", "must be '1.0'")
        metric = _text(event, "type", MAX_METRIC_CODE, True)
        customer = _text(event, "subject", MAX_REFERENCE, False)
        contract = _text(event, CONTRACT_EXTENSION, MAX_REFERENCE, False)
        if customer is None and contract is None:
            raise _FieldError("subject", f"is required (the customer, or {CONTRACT_EXTENSION})")
        if "time" not in event:
            raise _FieldError("time", "is required")
        try:
            occurred_at = parse_timestamp(event["time"])
        except ValueError as exc:
            raise _FieldError("time", str(exc)) from None
        content_type = event.get("datacontenttype")
        if content_type is not None and (
            not isinstance(content_type, str)
            or (
                not content_type.split(";")[0].strip().lower().endswith(_JSON_DATA)
                and not content_type.split(";")[0].strip().lower().endswith("+json")
            )
        ):
            raise _FieldError("datacontenttype", "must be a JSON media type")
        if "data_base64" in event:
            raise _FieldError("data_base64", "binary data is not usage: send `data` as JSON")
        try:
            properties, properties_json = _properties(
                event.get("data"), dumps, max_properties_bytes
            )
        except _FieldError as exc:
            raise _FieldError("data", exc.detail, exc.too_large) from None
    except _FieldError as exc:
        return Rejection(index, exc.field, exc.detail, source, event_id, exc.too_large)
    assert source is not None and event_id is not None and metric is not None
    return Candidate(
        index,
        source,
        event_id,
        metric,
        customer,
        contract,
        occurred_at,
        properties,
        properties_json,
    )


def cloudevent_field(field: str) -> str:
    """The CloudEvents attribute a usage-event field came from, for the answer's `field`."""
    if field.startswith("properties"):
        return "data" + field.removeprefix("properties")
    return {
        "metric": "type",
        "customer": "subject",
        "contract": CONTRACT_EXTENSION,
        "timestamp": "time",
        "transaction_id": "id",
    }.get(field, field)
