"""The organization settings of usage ingestion, checked with the other organization settings
(`tarif orgs update --set NAME=VALUE`, `PATCH /v1/organization`, the settings page)."""

from __future__ import annotations

from typing import Any

from tarif.errors import ErrorCollector
from tarif.usage.event_rules import (
    DEFAULT_FUTURE_TOLERANCE_SECONDS,
    LatePolicy,
    check_future_tolerance,
    check_late_policy,
)

USAGE_SETTING_DEFAULTS: dict[str, Any] = {
    "future_event_tolerance_seconds": DEFAULT_FUTURE_TOLERANCE_SECONDS,
    "late_usage_policy": LatePolicy.ADJUST.value,
    "finalize_zero_usage_invoices": True,
}


def check_yes_no(value: object) -> bool:
    """A yes/no setting as JSON sends it (a boolean) or as a form or `--set` does (text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ValueError("must be true or false")


def check_usage_settings(out: dict[str, Any], errors: ErrorCollector) -> None:
    """Normalizes the usage settings present in `out`, adding an error per bad field. Each
    always has a value: clearing one is refused (the default is a value to set)."""
    for name, check in (
        ("future_event_tolerance_seconds", check_future_tolerance),
        ("late_usage_policy", check_late_policy),
        ("finalize_zero_usage_invoices", check_yes_no),
    ):
        if name not in out:
            continue
        value = out[name]
        if value is None or (isinstance(value, str) and not value.strip()):
            default = USAGE_SETTING_DEFAULTS[name]
            shown = str(default).lower() if isinstance(default, bool) else default
            errors.add(name, f"is required (default: {shown})")
            continue
        try:
            out[name] = check(value.strip() if isinstance(value, str) else value)
        except ValueError as exc:
            errors.add(name, str(exc))
