"""The customers CSV format: reading an import file and writing its report.

One column per customer field (the API's names), plus one `metadata.<key>` column per metadata
key. A blank cell means "not given": a new customer takes the default, an updated one keeps its
value. Commas, semicolons (what a French spreadsheet writes) and tabs are all understood, and a
UTF-8 byte-order mark is ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from tarif.customers.rules import CUSTOMER_FIELDS
from tarif.errors import ErrorCollector, InvalidInput

METADATA_PREFIX = "metadata."
# Where a row's cells beyond the header's last column go; such a row is reported as an error.
EXTRA_CELLS = "(extra cells)"
CSV_COLUMNS = tuple(name for name in CUSTOMER_FIELDS if name != "metadata")
REPORT_COLUMNS = ("row", "external_id", "status", "customer_id", "messages")


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_columns(header: list[str]) -> None:
    errors = ErrorCollector()
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.add(column, "column appears twice")
        seen.add(column)
        if column.startswith(METADATA_PREFIX):
            if not column[len(METADATA_PREFIX) :].strip():
                errors.add(column, "a metadata column needs a key: metadata.<key>")
        elif column not in CSV_COLUMNS:
            errors.add(column or "(blank)", "unknown column")
    errors.raise_if_any("The CSV header has problems")


def parse_csv(text: str) -> list[dict[str, str]]:
    """One dict per record after the header, in file order. Blank records stay as `{}` so
    position N is spreadsheet row N + 2 (the header is row 1)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InvalidInput.on("file", "is empty: the first line must name the columns")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text.splitlines()[0]))
    try:
        header = [name.strip() for name in next(reader)]
        check_columns(header)
        rows: list[dict[str, str]] = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                rows.append({})
                continue
            row = dict(zip(header, record, strict=False))
            extra = [cell for cell in record[len(header) :] if cell.strip()]
            if extra:
                row[EXTRA_CELLS] = ", ".join(extra)
            rows.append(row)
    except csv.Error as exc:
        raise InvalidInput.on("file", f"is not valid CSV: {exc}") from exc
    return rows


def row_values(row: Mapping[str, str | None]) -> dict[str, object]:
    """A CSV record as customer values: blank cells dropped, metadata columns gathered."""
    values: dict[str, object] = {}
    metadata: dict[str, str] = {}
    for column, cell in row.items():
        if cell is None or not cell.strip():
            continue
        if column.startswith(METADATA_PREFIX):
            metadata[column[len(METADATA_PREFIX) :].strip()] = cell.strip()
        else:
            values[column] = cell.strip()
    if metadata:
        values["metadata"] = metadata
    return values


def report_csv(rows: Iterable[Mapping[str, object]]) -> str:
    """The import report as CSV, one line per record of the file (messages joined by " | ")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for row in rows:
        messages = row.get("messages") or []
        assert isinstance(messages, list)
        writer.writerow(
            [
                row.get("row"),
                row.get("external_id") or "",
                row.get("status"),
                row.get("customer_id") or "",
                " | ".join(str(m) for m in messages),
            ]
        )
    return out.getvalue()
