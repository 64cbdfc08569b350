"""Where a metric's valuation SmartCode computes each event's value at ingestion.

A metric with `valuation_smartcode_id` has its events valued by the latest version of that
SmartCode instead of reading its `field`. The values come from `tarif.smartcodes` in one batch
call per metric and batch (`MacroRunner.dry_run_events`, which runs in the SmartCodes worker
process and answers each event on its own): an event whose valuation fails, or gives more
than six decimals, is refused with the reason; the others are stored with the value and the
SmartCode version that computed it (`smartcode_version_id`).

When `tarif.smartcodes` is not installed, `available()` is false and events of such metrics are
refused ("valuation SmartCodes are not available") rather than stored without a value.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tarif.context import Ctx
from tarif.usage.event_rules import Rejection, Row, value_micros


def _smartcodes() -> tuple[Any, Any] | None:
    """(runner module, service module) of `tarif.smartcodes`, when they offer batch valuation."""
    try:
        runner = importlib.import_module("tarif.smartcodes.runner")
        service = importlib.import_module("tarif.smartcodes.service")
    except ImportError:
        return None
    if not callable(getattr(runner, "default_runner", None)) or not callable(
        getattr(service, "get_version", None)
    ):
        return None
    return runner, service


def available() -> bool:
    return _smartcodes() is not None


def _refuse(row: Row, detail: str) -> Rejection:
    return Rejection(row.index, "metric", detail, row.source, row.transaction_id)


def value_rows(
    ctx: Ctx,
    rows: list[Row],
    smartcodes: Mapping[str, str],
    external_ids: Mapping[str, str],
) -> tuple[list[Row], list[Rejection]]:
    """(the rows with the values their metric's SmartCode gave, the rows it refused).
    `smartcodes`: metric code → SmartCode id; `external_ids`: customer id → external id (what
    a macro sees as the customer). Rows of other metrics are returned as they are."""
    valued = {r.metric_code for r in rows if r.metric_code in smartcodes}
    if not valued:
        return rows, []
    modules = _smartcodes()
    if modules is None:  # `resolve` refuses these events when valuation is unavailable
        return [r for r in rows if r.metric_code not in valued], [
            _refuse(r, "valuation SmartCodes are not available")
            for r in rows
            if r.metric_code in valued
        ]
    runner, service = modules
    kept = [r for r in rows if r.metric_code not in valued]
    refused: list[Rejection] = []
    for code in sorted(valued):
        mine = [r for r in rows if r.metric_code == code]
        try:
            version = service.get_version(ctx, smartcodes[code])
            results = runner.default_runner().dry_run_events(
                version,
                [
                    (
                        r.occurred_at,
                        json.loads(r.properties_json),
                        code,
                        external_ids.get(r.customer_id),
                    )
                    for r in mine
                ],
            )
        except Exception as exc:  # the SmartCode is gone, its worker stopped, a limit hit
            reason = getattr(exc, "detail", None) or str(exc)
            refused += [_refuse(r, f"the valuation SmartCode failed: {reason}") for r in mine]
            continue
        for row, result in zip(mine, results, strict=True):
            error = getattr(result, "error", None)
            if error is not None:
                refused.append(_refuse(row, f"the valuation SmartCode failed: {error}"))
                continue
            try:
                micros = value_micros(result.value)
            except ValueError as exc:
                refused.append(_refuse(row, f"the valuation SmartCode's value {exc}"))
                continue
            kept.append(replace(row, value_micros=micros, smartcode_version_id=version.id))
    kept.sort(key=lambda r: r.index)
    return kept, refused
