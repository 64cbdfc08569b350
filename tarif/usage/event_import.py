"""Bulk import of usage events from CSV, JSON Lines or Parquet files.

Rows are read in chunks, with one read of the metrics, customers, contracts and watermarks a
chunk names. CSV (read by pyarrow) and Parquet chunks are checked column-wise
(`event_columns`): the rows it cannot accept go through the same rules as the API
(`event_rules`), one by one, like every row of a JSON Lines file. A chunk's good rows, as
columns, are written on PostgreSQL by one block of COPY text straight into the events table
(once a block meets a stored key: into a temporary staging table and one `INSERT … SELECT …
ON CONFLICT DO NOTHING`), on SQLite by one `executemany`. Refused
rows go to the rejected-rows file with their line and reason. The first row of a key in the
file wins (within a chunk by its position, across chunks because the earlier chunk is stored
first); later ones, and keys already stored, are duplicates.

A CSV file pyarrow cannot read (a row with another number of cells than the header) is read
on by `csv.DictReader` from the first row not yet imported, row by row.

File shapes:
- CSV and Parquet: columns `transaction_id`, `customer` (or `contract`), `metric`,
  `timestamp`, optionally `source` (CloudEvents-style key) and `properties` (a JSON object as
  text); every other column is a property (empty cells are left out).
- JSON Lines: one native event object per line (`transaction_id`, `customer`, `metric`,
  `timestamp`, `properties`, …), like `POST /v1/events`.
"""

from __future__ import annotations

import csv
import itertools
import json
import mmap
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tarif.context import Ctx
from tarif.errors import InvalidInput
from tarif.tenancy.rules import Permission
from tarif.triggers.billing import queue_after_events, watching
from tarif.usage import event_columns
from tarif.usage.event_rules import Candidate, Directory, Rejection, parse_event
from tarif.usage.ingest import check_candidates, dumps, load_directory_for, loads, policy_of
from tarif.usage.ingest_store import writer_for

CHUNK_ROWS = 50_000
CSV_BLOCK_BYTES = 8 << 20  # about 100,000 rows of a usual file a chunk
FORMATS = ("csv", "jsonl", "parquet")
RESERVED = frozenset({"transaction_id", "customer", "contract", "metric", "timestamp", "source"})

# (line number in the file, the row as read, the event it makes)
Numbered = tuple[int, dict[str, Any], object]


@dataclass
class ImportReport:
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_file: Path | None = None
    formats: str = ""
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def format_of(path: Path, given: str | None = None) -> str:
    name = (given or path.suffix.lstrip(".")).lower()
    name = {"ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}.get(name, name)
    if name not in FORMATS:
        raise InvalidInput.on("format", "must be csv, jsonl or parquet (or a file named so)")
    return name


def _flat_event(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV or Parquet row as a native event: reserved columns, the rest as properties."""
    event: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or value == "":
            continue
        if name in RESERVED:
            event[name] = _instant(value) if isinstance(value, datetime) else value
        elif name == "properties":
            try:
                event["properties"] = loads(value) if isinstance(value, str) else value
            except ValueError:
                event["properties"] = value  # refused by the rules: "must be a JSON object"
        else:
            extra[name] = _plain(value)
    if extra:
        base = event.get("properties")
        if base is None:
            event["properties"] = extra
        elif isinstance(base, dict):
            event["properties"] = {**base, **extra}
    return event


def _instant(value: datetime) -> str:
    # Parquet timestamps without a zone are UTC by convention.
    return value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, _flat_event(row)


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, loads(line)
            except ValueError:
                yield number, {"__invalid__": line.strip()[:200]}


def read_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq  # only needed for Parquet files

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
        for row in batch.to_pylist():
            number += 1
            yield number, _flat_event(row)


READERS: dict[str, Callable[[Path], Iterator[tuple[int, dict[str, Any]]]]] = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
}


def _chunks(rows: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _csv_header(path: Path) -> list[str] | None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), None)


def _csv_is_one_row_a_line(path: Path) -> bool:
    """No quoted field (which may span lines) and no blank line: the n-th row (from 0) is
    then line n + 2, as `csv.DictReader` counts."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return (
            data.find(b'"') < 0
            and data.find(b"\n\n") < 0
            and data.find(b"\n\r\n") < 0
            and re.search(rb"\r(?!\n)", data) is None  # type: ignore[call-overload]
        )


def _csv_has_quotes(path: Path) -> bool:
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b'"') >= 0


def csv_tables(path: Path) -> Iterator[pa.Table]:
    """The CSV in blocks read by pyarrow, every column as text (as `csv.DictReader` reads
    it). Raises `pyarrow.ArrowInvalid` on a row pyarrow cannot read (a row with another
    number of cells than the header)."""
    import pyarrow.csv as pacsv

    header = _csv_header(path) or []
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
        # Reading values across lines is slower: only when a field is quoted.
        parse_options=pacsv.ParseOptions(newlines_in_values=_csv_has_quotes(path)),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )
    for batch in reader:
        yield pa.Table.from_batches([batch])


def parquet_tables(path: Path) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
        yield pa.Table.from_batches([batch])


class _Importer:
    """One import: checks chunks, writes the good rows and the rejected-rows file."""

    def __init__(self, ctx: Ctx, report: ImportReport, out: Any) -> None:
        self.ctx = ctx
        self.report = report
        self.rejected = csv.writer(out)
        self.rejected.writerow(["line", "field", "reason", "row"])
        self.writer = writer_for(ctx.session)
        self.writer.prepare()
        watched = watching(ctx)
        self.writer.unvalued = watched.itemizes
        self.policy = policy_of(ctx)
        self._triggers = watched.any

    def rows(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        """A chunk checked row by row (JSON Lines, and whatever `csv_tables` cannot read)."""
        self.report.read += len(chunk)
        checked, refused = self._one_by_one([(i, raw) for i, (_, raw) in enumerate(chunk)])
        self._store(checked)
        self._reject(refused, lambda i: chunk[i][0], lambda i: chunk[i][1])

    def table(self, table: pa.Table, line_of: Callable[[int], int]) -> None:
        """A chunk of a flat file checked column-wise; the rows the columns cannot accept are
        checked row by row. `line_of(i)`: the file line of the chunk's i-th row."""
        self.report.read += table.num_rows
        checked = event_columns.check_chunk(table, self._directory(table), self.policy)
        raws = {}
        refused: list[Rejection] = []
        if checked.others:
            others = table.take(checked.others).to_pylist()
            raws = {i: _flat_event(row) for i, row in zip(checked.others, others, strict=True)}
            more, refused = self._one_by_one(list(raws.items()))
            checked = event_columns.Checked(
                pa.concat_tables([checked.rows, more]).sort_by("index"), []
            )
        self._store(checked.rows)
        self._reject(refused, line_of, raws.__getitem__)

    def _directory(self, table: pa.Table) -> Directory:
        def values(name: str) -> set[str]:
            if name not in table.column_names:
                return set()
            column = table.column(name)
            if not pa.types.is_string(column.type):
                return set()
            return {v for v in pc.unique(column).to_pylist() if v}

        return load_directory_for(self.ctx, values("metric"), values("customer"), set())

    def _one_by_one(
        self, items: list[tuple[int, dict[str, Any]]]
    ) -> tuple[pa.Table, list[Rejection]]:
        parsed = [_parse(i, raw) for i, raw in items]
        candidates = [p for p in parsed if isinstance(p, Candidate)]
        refused = [p for p in parsed if isinstance(p, Rejection)]
        rows, more = check_candidates(self.ctx, candidates, self.policy)
        return event_columns.table_of_rows(rows), refused + more

    def _store(self, rows: pa.Table) -> None:
        """The first row of each key is written; the database skips keys already stored
        (by this import's earlier chunks too): both counted as duplicates."""
        firsts = event_columns.first_of_each_key(rows)
        stored = self.writer.insert_table(self.ctx.organization_id, firsts, self.policy.received_at)
        self.report.accepted += stored
        self.report.duplicates += rows.num_rows - stored
        if stored and self._triggers:
            # Usage triggers look at the customers' metrics and days this chunk touched.
            keys = firsts.group_by(["customer_id", "metric_code", "local_date"]).aggregate([])
            touched = set(zip(*keys.to_pydict().values(), strict=True))
            queue_after_events(self.ctx, touched, watched=True)

    def _reject(
        self,
        refused: list[Rejection],
        line_of: Callable[[int], int],
        raw_of: Callable[[int], dict[str, Any]],
    ) -> None:
        for rejection in sorted(refused, key=lambda r: r.index):
            line = line_of(rejection.index)
            raw = raw_of(rejection.index)
            self.rejected.writerow(
                [line, rejection.field, rejection.detail, json.dumps(raw, default=str)]
            )
            self.report.rejected += 1
            if len(self.report.errors) < 20:
                self.report.errors.append((line, rejection.field, rejection.detail))


def import_events(
    ctx: Ctx,
    path: Path,
    *,
    file_format: str | None = None,
    rejected_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Imports the file; the caller commits. Refused rows are written to `rejected_path`
    (default: `<input>.rejected.csv` beside the input) as `line,field,reason,row`."""
    ctx.require(Permission.WRITE_BILLING)
    fmt = format_of(path, file_format)
    if not path.is_file():
        raise InvalidInput.on("file", f"no such file: {path}")
    rejected_path = rejected_path or path.with_name(path.name + ".rejected.csv")
    report = ImportReport(rejected_file=rejected_path, formats=fmt)
    advance = progress or (lambda n: None)
    with rejected_path.open("w", newline="", encoding="utf-8") as out:
        importer = _Importer(ctx, report, out)
        done = 0
        if fmt == "parquet":
            for table in parquet_tables(path):
                importer.table(table, lambda i, first=done: first + i + 1)
                done += table.num_rows
                advance(table.num_rows)
        elif fmt == "csv" and _csv_columns_are_distinct(path):
            lines = _CsvLines(path)
            tables = csv_tables(path)
            while True:
                try:
                    table = next(tables)
                except StopIteration:
                    break
                except pa.ArrowInvalid:
                    # A row pyarrow cannot read: the rest of the file row by row.
                    for chunk in _chunks(itertools.islice(read_csv(path), done, None)):
                        importer.rows(chunk)
                        advance(len(chunk))
                    break
                importer.table(table, lambda i, first=done: lines.of(first + i))
                done += table.num_rows
                advance(table.num_rows)
        else:
            for chunk in _chunks(READERS[fmt](path)):
                importer.rows(chunk)
                advance(len(chunk))
    return report


def _csv_columns_are_distinct(path: Path) -> bool:
    header = _csv_header(path)
    return bool(header) and len(set(header)) == len(header)  # type: ignore[arg-type]


class _CsvLines:
    """The line of a CSV row as `csv.DictReader` counts it, worked out only when a refused
    row needs it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.simple: bool | None = None
        self.lines: list[int] = []

    def of(self, row: int) -> int:
        if self.simple is None:
            self.simple = _csv_is_one_row_a_line(self.path)
            if not self.simple:
                self.lines = [line for line, _ in read_csv(self.path)]
        return row + 2 if self.simple else self.lines[row]


def _parse(index: int, raw: dict[str, Any]) -> Candidate | Rejection:
    if "__invalid__" in raw:
        return Rejection(index, "", "is not valid JSON")
    return parse_event(index, raw, dumps)


def count_rows(path: Path, fmt: str) -> int | None:
    """How many rows the file holds, for the progress bar (None when unknown cheaply)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - (1 if fmt == "csv" else 0), 0)
