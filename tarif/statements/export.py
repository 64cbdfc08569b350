"""A statement as JSON-ready values and as CSV (one row per statement row, with a header).

Pure: takes a `Statement`, returns text or plain values. Decimals are strings, periods are
half-open `[from, to)` like the API's query.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from tarif.money import currency
from tarif.statements.rules import Statement, StatementLine, StatementRow

CSV_COLUMNS = [
    "metric",
    "invoice_id",
    "invoice_number",
    "line_position",
    "contract_id",
    "usage_part",
    "description",
    "from",
    "to",
    "late_adjustment",
]
CSV_TAIL = ["quantity", "event_count", "unit_price", "amount"]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _money(value: Decimal, code: str) -> str:
    """An amount with exactly the currency's minor unit of decimals (`1300.00`)."""
    return f"{value.quantize(Decimal(1).scaleb(-currency(code).minor_unit)):f}"


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _row(row: StatementRow, code: str) -> dict[str, Any]:
    return {
        "keys": dict(row.keys),
        "quantity": _text(row.quantity),
        "event_count": row.event_count,
        "unit_price": _text(row.unit_price),
        "amount": _money(row.amount, code),
        "late_adjustment": row.late_adjustment,
    }


def _line(line: StatementLine, code: str) -> dict[str, Any]:
    return {
        "invoice_id": line.invoice_id,
        "invoice_number": line.invoice_number,
        "position": line.position,
        "contract_id": line.contract_id,
        "usage_part": line.usage_part,
        "description": line.description,
        "rated_kind": line.rated_kind,
        "adjustment": line.adjustment,
        "from": _day(line.period_start),
        "to": _day(line.period_end),
        "quantity": _text(line.quantity),
        "unit_price": _text(line.unit_price),
        "amount": _money(line.amount, code),
        "event_count": line.event_count,
        "shared_by": line.basis,
        "rows": [_row(r, code) for r in line.rows],
    }


def as_json(statement: Statement) -> dict[str, Any]:
    return {
        "object": "statement",
        "customer_id": statement.customer_id,
        "customer_name": statement.customer_name,
        "contract_id": statement.contract_id,
        "invoice_id": statement.invoice_id,
        "invoice_number": statement.invoice_number,
        "language": statement.language,
        "currency": statement.currency,
        "from": _day(statement.period_start),
        "to": _day(statement.period_end),
        "group_by": statement.group_by.text,
        "amount": _money(statement.amount, statement.currency),
        "metrics": [
            {
                "metric": m.code,
                "metric_id": m.metric_id,
                "name": m.name,
                "unit": m.unit,
                "amount": _money(m.amount, statement.currency),
                "lines": [_line(x, statement.currency) for x in m.lines],
            }
            for m in statement.metrics
        ],
    }


def as_csv(statement: Statement) -> str:
    """One line per statement row; the grouping criteria are columns between the line's
    columns and the quantities."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    dimensions = list(statement.group_by.dimensions)
    writer.writerow([*CSV_COLUMNS, *dimensions, *CSV_TAIL])
    for metric in statement.metrics:
        for line in metric.lines:
            head = [
                metric.code,
                line.invoice_id,
                line.invoice_number or "",
                line.position,
                line.contract_id or "",
                line.usage_part or "",
                line.description,
                line.period_start.isoformat(),
                line.period_end.isoformat(),
            ]
            for row in line.rows:
                keys = [row.keys.get(d) or "" for d in dimensions]
                tail = [
                    _text(row.quantity) or "",
                    "" if row.event_count is None else row.event_count,
                    _text(row.unit_price),
                    _money(row.amount, statement.currency),
                ]
                late = "true" if row.late_adjustment else "false"
                writer.writerow([*head, late, *keys, *tail])
    return out.getvalue()


def file_name(statement: Statement, extension: str) -> str:
    """`statement-F-2026-000001.csv`, `statement-cus_…-2026-01-01-2026-02-01.pdf`."""
    if statement.invoice_id is not None:
        stem = statement.invoice_number or f"draft-{statement.invoice_id}"
    else:
        days = f"{_day(statement.period_start)}-{_day(statement.period_end)}"
        stem = f"{statement.customer_id}-{days}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    return f"statement-{safe}.{extension}"
