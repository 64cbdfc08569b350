"""Usage event ingestion: HTTP batches through a real uvicorn process, and bulk file import.

(a) `POST /v1/events/batch` with batches of 1,000 native events, sent by client threads over
    keep-alive connections to one uvicorn process (`tarif.api.app:create_app`), on PostgreSQL
    and on SQLite. 1,000 customers, four metrics; one event in fifty repeats an event of an
    earlier batch, so the duplicate path is exercised and checked: the table must end with
    exactly the distinct keys sent. Beside it, in the same run, the database's raw limit: the
    same rows written with no checks (PostgreSQL: COPY straight into `usage_events`; SQLite:
    one `executemany` INSERT), no HTTP.
(b) `tarif events import` of a 1,000,000-row CSV and Parquet file into PostgreSQL and SQLite
    (`event_import.import_events`, what the command runs, without its progress bar), beside
    the same rows written with no checks (PostgreSQL: a raw `COPY … FROM STDIN` into a
    temporary table and one `INSERT … SELECT`, and a raw `COPY` straight into `usage_events`
    of text built beforehand; SQLite: one `executemany`).

`python -m bench ingest [--events 200000] [--rows 1000000] [--db postgresql,sqlite]
[--skip-import] [--skip-http]`. PostgreSQL: `TARIF_BENCH_PG_URL` (default the local server),
where the benchmark creates and drops a database of its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tarif.clock import SystemClock
from tarif.context import Actor, Ctx
from tarif.customers.models import Customer
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.ids import new_id
from tarif.tenancy.service import create_organization
from tarif.usage import event_import
from tarif.usage.models import Metric

PG_URL = os.environ.get(
    "TARIF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CUSTOMERS = 1_000
BATCH = 1_000
CLIENT_THREADS = 3
REPEAT_EVERY = 50  # one event in fifty repeats an earlier one
METRICS = (
    ("api_calls", "count", None),
    ("tokens", "sum", "tokens"),
    ("users", "unique_count", "user_id"),
    ("storage_gb", "max", "gb"),
)


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"tarif_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(engine: Engine) -> tuple[str, str]:
    """An organization with its metrics and customers C0000…; (organization id, API key)."""
    metadata.create_all(engine)
    clock = SystemClock()
    factory = session_factory(engine)
    with factory() as session:
        org, key = create_organization(session, clock, "Bench SAS")
        now = clock.now()
        for code, aggregation, field in METRICS:
            session.add(
                Metric(
                    id=new_id("met"),
                    organization_id=org.id,
                    code=code,
                    name=code,
                    unit="unit",
                    aggregation=aggregation,
                    field=field,
                    filters=[],
                    group_by=[],
                    recurring=False,
                    archived=False,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.commit()
        rows = [
            {
                "id": new_id("cus"),
                "organization_id": org.id,
                "external_id": f"C{i:04d}",
                "legal_name": f"Client {i:04d}",
                "kind": "company",
                "country": "FR",
                "currency": "EUR",
                "language": "fr",
                "timezone": "Europe/Paris",
                "invoice_emails": [],
                "custom_metadata": {},
                "payment_terms_days": 30,
                "payment_terms_end_of_month": False,
                "tax_status": "standard",
                "archived": False,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(CUSTOMERS)
        ]
        session.execute(Customer.__table__.insert(), rows)
        session.commit()
    # A database in use has its planner statistics; without them PostgreSQL plans the batch's
    # lookup of a thousand customers blind (about 20 ms a batch instead of 1).
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return org.id, key.secret


def make_event(n: int, base: datetime) -> dict[str, Any]:
    metric, _, field = METRICS[n % len(METRICS)]
    properties: dict[str, Any] = {"region": "eu-west" if n % 3 else "us-east"}
    if field == "tokens":
        properties["tokens"] = f"{n % 997}.25"
    elif field == "user_id":
        properties["user_id"] = f"u{n % 5000}"
    elif field == "gb":
        properties["gb"] = n % 100
    return {
        "transaction_id": f"tx-{n:09d}",
        "customer": f"C{n % CUSTOMERS:04d}",
        "metric": metric,
        "timestamp": (base + timedelta(seconds=n % 86_400)).isoformat().replace("+00:00", "Z"),
        "properties": properties,
    }


def batches(total: int) -> tuple[list[bytes], int]:
    """Pre-encoded bodies (the client's own JSON work stays out of the timing) and the number
    of distinct keys among them."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    bodies = []
    n = 0
    for b in range(total // BATCH):
        events = []
        earlier = n  # events of earlier batches: 0 … earlier - 1
        for i in range(BATCH):
            if earlier and i % REPEAT_EVERY == 0:
                events.append(make_event((b * 7919 + i) % earlier, base))
            else:
                events.append(make_event(n, base))
                n += 1
        bodies.append(json.dumps({"events": events}).encode())
    return bodies, n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str) -> Iterator[str]:
    port = free_port()
    env = os.environ | {"TARIF_DATABASE_URL": url, "TARIF_SECRET_KEY": "bench"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tarif.api.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def http_ingestion(kind: str, total: int) -> list[str]:
    bodies, distinct = batches(total)
    with database(kind) as url:
        engine = make_engine(url)
        organization_id, key = seed(engine)
        answers: list[dict[str, int]] = []
        lock = threading.Lock()
        queue = list(enumerate(bodies))

        def client() -> None:
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
                while True:
                    with lock:
                        if not queue:
                            return
                        _, body = queue.pop(0)
                    response = http.post("/v1/events/batch", content=body)
                    assert response.status_code == 200, response.text[:300]
                    data = response.json()
                    with lock:
                        answers.append({k: data[k] for k in ("accepted", "duplicates", "rejected")})

        with server(url) as base:
            # One warm-up request (imports, connection pool, plans), not counted.
            warm = httpx.post(
                f"{base}/v1/events/batch",
                json={"events": [make_event(10**8, datetime.now(UTC) - timedelta(days=3))]},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert warm.status_code == 200, warm.text
            threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started
        accepted = sum(a["accepted"] for a in answers)
        duplicates = sum(a["duplicates"] for a in answers)
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*) FROM usage_events WHERE organization_id = :o"),
                {"o": organization_id},
            ).scalar_one()
        assert accepted == distinct and stored == distinct + 1, (accepted, distinct, stored)
        assert duplicates == total - distinct, (duplicates, total - distinct)
        raw_seconds = raw_insert(engine, organization_id, distinct)
        engine.dispose()
    sent = len(bodies) * BATCH
    return [
        f"| POST /v1/events/batch, batches of {BATCH:,} ({kind}, uvicorn, {CLIENT_THREADS} "
        f"client threads) | {sent / seconds:,.0f} events/s | {sent:,} events, "
        f"{duplicates:,} duplicates answered, {seconds:.1f} s |",
        f"| raw insert of the same rows, no checks ({kind}, same run) | "
        f"{distinct / raw_seconds:,.0f} rows/s | {distinct:,} rows, {raw_seconds:.1f} s |",
    ]


def _raw_rows(organization_id: str, count: int) -> Iterator[tuple[Any, ...]]:
    now = datetime.now(UTC)
    for n in range(count):
        yield (
            organization_id,
            "raw",
            f"raw-{n:09d}",
            "tokens",
            "cus_raw",
            None,
            now,
            now.date(),
            n,
            None,
            '{"tokens": 1}',
            now,
            False,
        )


RAW_COLUMNS = (
    "organization_id, source, transaction_id, metric_code, customer_id, contract_id, "
    "occurred_at, local_date, value_micros, unique_key, properties, received_at, late"
)


def raw_insert(engine: Engine, organization_id: str, count: int) -> float:
    """The same number of rows written with no checks at all: the database's own limit."""
    with engine.begin() as conn:
        driver: Any = conn.connection.driver_connection
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            sql = f"COPY usage_events ({RAW_COLUMNS}) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                for row in _raw_rows(organization_id, count):
                    copy.write_row(row)
        else:
            rows = [
                (
                    *r[:6],
                    r[6].replace(tzinfo=None).isoformat(" "),
                    r[7].isoformat(),
                    *r[8:11],
                    r[11].replace(tzinfo=None).isoformat(" "),
                    0,
                )
                for r in _raw_rows(organization_id, count)
            ]
            driver.executemany(
                f"INSERT INTO usage_events ({RAW_COLUMNS}) VALUES ({', '.join('?' * 13)})", rows
            )
    return time.perf_counter() - started


# --- (b) bulk import ----------------------------------------------------------------------


def write_files(directory: Path, rows: int) -> tuple[Path, Path]:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    csv_path = directory / "events.csv"
    names = ["transaction_id", "customer", "metric", "timestamp", "tokens", "region"]
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for n in range(rows):
            writer.writerow(
                [
                    f"tx-{n:09d}",
                    f"C{n % CUSTOMERS:04d}",
                    "tokens",
                    (base + timedelta(seconds=n % 86_400)).isoformat().replace("+00:00", "Z"),
                    f"{n % 997}.25",
                    "eu-west" if n % 3 else "us-east",
                ]
            )
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(
        csv_path,
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, "string")),
    )
    parquet_path = directory / "events.parquet"
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


def bulk_import(rows: int, kind: str) -> list[str]:
    out = []
    with tempfile.TemporaryDirectory() as tmp, database(kind) as url:
        csv_path, parquet_path = write_files(Path(tmp), rows)
        engine = make_engine(url)
        organization_id, _ = seed(engine)
        factory = session_factory(engine)
        label = "PostgreSQL" if kind == "postgresql" else "SQLite"
        for path in (csv_path, parquet_path):
            with factory() as session:
                # A second organization per file would need its own seed: clear instead, by
                # TRUNCATE on PostgreSQL, whose DELETE would leave the next file dead index
                # entries to step over (SQLite's unfiltered DELETE already empties the table).
                clear = "TRUNCATE" if kind == "postgresql" else "DELETE FROM"
                session.execute(text(f"{clear} usage_events"))
                session.commit()
                ctx = Ctx(session, organization_id, Actor.system("bench"), SystemClock())
                started = time.perf_counter()
                report = event_import.import_events(ctx, path, rejected_path=Path(tmp) / "rej.csv")
                session.commit()
                seconds = time.perf_counter() - started
            assert report.accepted == rows and report.rejected == 0, report
            out.append(
                f"| tarif events import, {rows:,}-row {path.suffix[1:].upper()} ({label}) | "
                f"{rows / seconds:,.0f} events/s | {seconds:.1f} s |"
            )
        with engine.begin() as conn:
            conn.execute(text(f"{clear} usage_events"))
        # `begin()`: on SQLite the engine emits BEGIN itself (the driver is in autocommit), so
        # rows written through the driver outside it would be a transaction each.
        with engine.begin() as conn:
            started = time.perf_counter()
            if kind == "postgresql":
                _raw_copy_csv(conn, csv_path, organization_id)
                how = "raw COPY of the same CSV into the table"
            else:
                _raw_sqlite_csv(conn, csv_path, organization_id)
                how = "raw executemany of the same CSV's rows (read by pyarrow)"
        raw_seconds = time.perf_counter() - started
        out.append(
            f"| {how}, no checks ({label}, same run) | "
            f"{rows / raw_seconds:,.0f} rows/s | {raw_seconds:.1f} s |"
        )
        if kind == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE usage_events"))
            seconds = _raw_copy_into_events(engine, csv_path, organization_id)
            out.append(
                "| raw COPY straight into the table, its text built beforehand, no checks "
                f"(PostgreSQL, same run) | {rows / seconds:,.0f} rows/s | {seconds:.1f} s |"
            )
        engine.dispose()
    return out


def _raw_copy_into_events(engine: Engine, csv_path: Path, organization_id: str) -> float:
    """PostgreSQL's own limit for the import's rows: COPY text made before the clock starts,
    written straight into `usage_events` (its unique key and indexes maintained)."""
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(csv_path)
    now = datetime.now(UTC).isoformat()
    lines = [
        f"{organization_id}\t\t{tx}\t{metric}\t{customer}\t\\N\t{ts.isoformat()}\t"
        f"{ts.date().isoformat()}\t0\t\\N\t{{}}\t{now}\tf\n"
        for tx, customer, metric, ts in zip(
            *(table.column(name).to_pylist() for name in ("transaction_id", "customer", "metric")),
            table.column("timestamp").to_pylist(),
            strict=True,
        )
    ]
    data = "".join(lines).encode()
    with engine.begin() as conn:
        driver: Any = conn.connection.driver_connection
        started = time.perf_counter()
        sql = f"COPY usage_events ({RAW_COLUMNS}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(data)
        seconds = time.perf_counter() - started
    return seconds


def _raw_copy_csv(conn: Any, csv_path: Path, organization_id: str) -> None:
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor, csv_path.open("rb") as handle:
        cursor.execute(
            "CREATE TEMPORARY TABLE raw_csv (transaction_id text, customer text, "
            "metric text, ts timestamptz, tokens text, region text)"
        )
        with cursor.copy("COPY raw_csv FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        cursor.execute(
            f"INSERT INTO usage_events ({RAW_COLUMNS}) SELECT %s, '', transaction_id, "
            "metric, customer, NULL, ts, ts::date, 0, NULL, '{}', now(), false "
            "FROM raw_csv",
            (organization_id,),
        )


def _raw_sqlite_csv(conn: Any, csv_path: Path, organization_id: str) -> None:
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(csv_path)
    driver: Any = conn.connection.driver_connection
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    n = table.num_rows
    stamps = [str(t)[:19].replace("T", " ") for t in table.column("timestamp").to_pylist()]
    driver.executemany(
        f"INSERT INTO usage_events ({RAW_COLUMNS}) VALUES ({', '.join('?' * 13)})",
        zip(
            [organization_id] * n,
            [""] * n,
            table.column("transaction_id").to_pylist(),
            table.column("metric").to_pylist(),
            table.column("customer").to_pylist(),
            [None] * n,
            stamps,
            [t[:10] for t in stamps],
            [0] * n,
            [None] * n,
            ["{}"] * n,
            [now] * n,
            [0] * n,
            strict=True,
        ),
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench ingest")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgresql,sqlite")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)
    print("| what | rate | detail |")
    print("|---|---|---|")
    for kind in [] if args.skip_http else args.db.split(","):
        for row in http_ingestion(kind, args.events):
            print(row, flush=True)
    if not args.skip_import:
        for kind in args.db.split(","):
            for row in bulk_import(args.rows, kind):
                print(row, flush=True)
