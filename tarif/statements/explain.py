"""What a usage line says about itself in the invoice's explanation: the metric, its filters
and group-by, the period, the events counted (with where to list them), the tiers, bands and
free units applied, the SmartCode versions that valued its events and priced it, and the
revision (2 and up: a late-usage adjustment). Pure: reads the line's stored trace.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode


def usage_explanation(
    trace: dict[str, Any] | None,
    customer_external_id: str | None,
    contract_id: str | None = None,
) -> dict[str, Any] | None:
    """The `usage` block of an explained line (None for a line that is not usage)."""
    if not trace:
        return None
    explanation: dict[str, Any] = dict(trace.get("explanation") or {})
    start, end = [*list(trace.get("period") or []), None, None][:2]
    revision = int(trace.get("revision") or 1)
    return {
        "metric": {
            "id": trace.get("metric_id"),
            "code": trace.get("metric"),
            "name": trace.get("metric_name"),
            "unit": trace.get("unit"),
            "aggregation": trace.get("aggregation"),
            "field": trace.get("field"),
        },
        "filters": list(trace.get("filters") or []),
        "group_by": list(trace.get("group_by") or []),
        "group": priced_group(trace, explanation),
        "period": {"from": start, "to": end, "timezone": trace.get("timezone")},
        "event_count": int(trace.get("event_count") or 0),
        "events_url": trace.get("events_url"),
        "events_page": events_page(trace, customer_external_id, contract_id),
        "rated_kind": trace.get("rated_kind"),
        "model": explanation.get("model"),
        "units": explanation.get("units"),
        "free_units_used": explanation.get("free_units_used"),
        "prepaid_units_used": explanation.get("prepaid_units_used"),
        "free_amount_used": explanation.get("free_amount_used"),
        "billed_units": explanation.get("billed_units"),
        "tiers": list(explanation.get("tiers") or []),
        "bands": explanation.get("bands"),
        "minimum_spend": explanation.get("minimum_spend"),
        "text": list(explanation.get("text") or []),
        "smartcode_versions": dict(trace.get("smartcode_versions") or {}),
        "valuation_versions": {
            k: list(v) for k, v in (trace.get("valuation_versions") or {}).items()
        },
        "revision": revision,
        "late_adjustment": revision > 1,
        "rated_at": trace.get("rated_at"),
    }


def priced_group(trace: dict[str, Any], explanation: dict[str, Any]) -> dict[str, Any]:
    """The group the line priced, as measured: pricing reads a missing property as "", the
    measured groups keep it null (as the metric's aggregate shows it), so the matching measured
    group is the one shown."""
    priced = {str(k): str(v) for k, v in (explanation.get("group") or {}).items()}
    for measured in trace.get("groups") or []:
        values = dict(measured.get("group") or {})
        if values.keys() == priced.keys() and all((values[k] or "") == priced[k] for k in priced):
            return values
    return dict(explanation.get("group") or {})


def events_page(
    trace: dict[str, Any], customer_external_id: str | None, contract_id: str | None = None
) -> str | None:
    """The back office's events page filtered like the line: customer, contract (a customer's
    contracts on one metric each count their own), metric, the period's days (its filter takes
    the last day, inclusive). The metric's property filters are not the page's: the API link
    (`events_url`) applies them."""
    period = list(trace.get("period") or [])
    if len(period) != 2 or not trace.get("metric"):
        return None
    last = date.fromisoformat(period[1]) - timedelta(days=1)
    query = {"metric": str(trace["metric"]), "first_day": period[0], "last_day": last.isoformat()}
    if contract_id:
        query = {"contract": contract_id} | query
    if customer_external_id:
        query = {"customer": customer_external_id} | query
    return "/events?" + urlencode(query)
