"""CSV imports of products and of pricelist entries: good rows are saved, bad rows reported.

Files may be comma- or semicolon-separated (the header line decides) and may start with a UTF-8
byte order mark, as spreadsheet exports do. In a semicolon-separated file a price may use a
decimal comma (`0,0025`), the French spreadsheet habit; in a comma-separated file it cannot, so
`1,500` is never silently read as 1.5.

The services check a row completely before writing anything, so a rejected row leaves nothing
behind and never stops the others; the caller commits once at the end. (No per-row savepoint:
under SQLite's Python driver, releasing a savepoint opened outside a transaction commits it.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tarif.audit.service import snapshot
from tarif.catalog import service
from tarif.catalog.fields import PRODUCT_FIELDS, is_blank
from tarif.context import Ctx
from tarif.errors import InvalidInput, TarifError

PRODUCT_COLUMNS = PRODUCT_FIELDS
ENTRY_COLUMNS = ("product_code", "unit_price", "periodicity", "timing")

OnRow = Callable[[int], None]


@dataclass(frozen=True)
class CsvTable:
    """Data rows keyed by (lower-case) column name, with their line number in the file."""

    rows: list[tuple[int, dict[str, str]]]
    delimiter: str


@dataclass(frozen=True)
class RowOutcome:
    line: int
    key: str
    status: str  # created | updated | unchanged | rejected
    errors: tuple[str, ...] = ()


@dataclass
class ImportReport:
    rows: list[RowOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def rejected(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.status == "rejected"]

    def summary(self) -> str:
        counts = (f"{self.count(s)} {s}" for s in ("created", "updated", "unchanged", "rejected"))
        return f"{len(self.rows)} rows: " + ", ".join(counts)


def read_csv(text: str, columns: tuple[str, ...], required: tuple[str, ...]) -> CsvTable:
    """Parses a CSV file's text; an unknown or missing column refuses the whole file."""
    text = text.removeprefix("\ufeff")
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise InvalidInput.on("file", "is empty: the first line must name the columns")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    names = [name.strip().lower() for name in next(reader)]
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise InvalidInput.on(
            "file", f"unknown column(s) {', '.join(unknown)}; expected: {', '.join(columns)}"
        )
    missing = [n for n in required if n not in names]
    if missing:
        raise InvalidInput.on("file", f"missing column(s): {', '.join(missing)}")
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        row = dict(zip(names, cells, strict=False))
        if len(cells) > len(names):
            row["__extra__"] = "|".join(cells[len(names) :])
        rows.append((reader.line_num, row))
    return CsvTable(rows, delimiter)


def report_csv(report: ImportReport) -> str:
    """The per-row report as CSV: line, key, status, errors (joined with " | ")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line", "key", "status", "errors"])
    for row in report.rows:
        writer.writerow([row.line, row.key, row.status, " | ".join(row.errors)])
    return out.getvalue()


def _row_errors(exc: TarifError) -> tuple[str, ...]:
    return tuple(f"{e.field}: {e.message}" for e in exc.errors) or (exc.detail,)


def _run_rows(
    ctx: Ctx,
    table: CsvTable,
    key_column: str,
    save: Callable[[dict[str, str]], str],
    on_row: OnRow | None,
) -> ImportReport:
    report = ImportReport()
    for line, row in table.rows:
        key = row.get(key_column, "").strip()
        try:
            if "__extra__" in row:
                raise InvalidInput("the row has more cells than the header has columns")
            report.rows.append(RowOutcome(line, key, save(row)))
        except TarifError as exc:
            report.rows.append(RowOutcome(line, key, "rejected", _row_errors(exc)))
        if on_row is not None:
            on_row(line)
    return report


def import_products(ctx: Ctx, table: CsvTable, on_row: OnRow | None = None) -> ImportReport:
    """Creates new codes and updates known ones. An empty cell keeps the current value (or the
    default for a new product), so a partial file never wipes data."""

    def save(row: dict[str, str]) -> str:
        values: dict[str, Any] = {k: v for k, v in row.items() if not is_blank(v)}
        code = values.get("code", "").strip()
        existing = service.find_product_by_code(ctx, code) if code else None
        if existing is None:
            service.create_product(ctx, values)
            return "created"
        before = snapshot(existing)
        service.update_product(ctx, existing.id, {k: v for k, v in values.items() if k != "code"})
        return "unchanged" if snapshot(existing) == before else "updated"

    return _run_rows(ctx, table, "code", save, on_row)


def _price_text(value: str, delimiter: str) -> str:
    if delimiter == ";" and "," in value and "." not in value:
        return value.replace(",", ".")
    return value


def import_entries(
    ctx: Ctx, pricelist_id: str, table: CsvTable, on_row: OnRow | None = None
) -> ImportReport:
    """Prices products (by code) in one pricelist. Each row describes the whole entry: an empty
    periodicity or timing means none (one-off and usage products)."""
    pricelist = service.get_pricelist(ctx, pricelist_id)

    def save(row: dict[str, str]) -> str:
        code = row.get("product_code", "").strip()
        if not code:
            raise InvalidInput.on("product_code", "is required")
        product = service.find_product_by_code(ctx, code)
        if product is None:
            raise InvalidInput.on("product_code", f"no product '{code}'")
        terms = {
            "unit_price": _price_text(row.get("unit_price", ""), table.delimiter),
            "periodicity": row.get("periodicity"),
            "timing": row.get("timing"),
        }
        existing = service.find_entry_for_product(ctx, pricelist.id, product.id)
        if existing is None:
            service.add_entry(ctx, pricelist.id, {"product_id": product.id, **terms})
            return "created"
        before = snapshot(existing)
        service.update_entry(ctx, pricelist.id, existing.id, terms)
        return "unchanged" if snapshot(existing) == before else "updated"

    return _run_rows(ctx, table, "product_code", save, on_row)
