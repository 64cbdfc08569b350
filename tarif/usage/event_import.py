"""Bulk import of usage events from CSV, JSON Lines or Parquet files.

Rows are read in chunks; each chunk goes through the same rules as the API (`event_rules`)
with one read of the metrics, customers, contracts and watermarks it names, then is written:
on PostgreSQL by COPY into a temporary staging table and one `INSERT … SELECT … ON CONFLICT DO
NOTHING`, elsewhere by the batch writer. Refused rows go to the rejected-rows file with their
line and reason; the others are stored. The first row of a key in the file wins; later ones,
and keys already stored, are duplicates.

File shapes:
- CSV and Parquet: columns `transaction_id`, `customer` (or `contract`), `metric`,
  `timestamp`, optionally `source` (CloudEvents-style key) and `properties` (a JSON object as
  text); every other column is a property (empty cells are left out).
- JSON Lines: one native event object per line (`transaction_id`, `customer`, `metric`,
  `timestamp`, `properties`, …), like `POST /v1/events`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tarif.context import Ctx
from tarif.errors import InvalidInput
from tarif.tenancy.rules import Permission
from tarif.usage.event_rules import (
    Candidate,
    Rejection,
    parse_event,
)
from tarif.usage.ingest import check_candidates, dumps, loads, policy_of
from tarif.usage.ingest_store import PostgresEventWriter, writer_for

CHUNK_ROWS = 50_000
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
    writer = writer_for(ctx.session)
    writer.prepare()
    policy = policy_of(ctx)
    seen: set[tuple[str, str]] = set()
    with rejected_path.open("w", newline="", encoding="utf-8") as out:
        rejected = csv.writer(out)
        rejected.writerow(["line", "field", "reason", "row"])
        for chunk in _chunks(READERS[fmt](path)):
            report.read += len(chunk)
            lines = [number for number, _ in chunk]
            parsed = [_parse(i, raw) for i, (_, raw) in enumerate(chunk)]
            candidates = [p for p in parsed if isinstance(p, Candidate)]
            refused = [p for p in parsed if isinstance(p, Rejection)]
            rows, more_refused = check_candidates(ctx, candidates, policy)
            refused += more_refused
            firsts = []
            for row in rows:
                if row.key in seen:
                    report.duplicates += 1
                else:
                    seen.add(row.key)
                    firsts.append(row)
            if isinstance(writer, PostgresEventWriter):
                stored = writer.copy_rows(ctx.organization_id, firsts, policy.received_at)
            else:
                stored = len(writer.insert(ctx.organization_id, firsts, policy.received_at))
            report.accepted += stored
            report.duplicates += len(firsts) - stored
            for rejection in sorted(refused, key=lambda r: r.index):
                line = lines[rejection.index]
                raw = chunk[rejection.index][1]
                rejected.writerow(
                    [line, rejection.field, rejection.detail, json.dumps(raw, default=str)]
                )
                report.rejected += 1
                if len(report.errors) < 20:
                    report.errors.append((line, rejection.field, rejection.detail))
            if progress is not None:
                progress(len(chunk))
    return report


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
