"""Usage rating in a billing run: N events of a month over C contracts priced like the seed
(399.00 a month in advance + 2 % of turnover + 0.25 per transaction), against the database's raw
`GROUP BY` of the same events measured in the same run.

Scenario. One organization (time zone UTC), C customers with one contract each from 1 Jan 2026,
calendar-aligned: hosting 399.00 monthly in advance and a usage line charged
`{"model": "percentage", "rate": "2", "fixed_fee": "0.25"}` on the metric `turnover` (sum of
`amount`). January was billed in advance by a run as of 1 Jan (drafts). January has N events
spread evenly over the customers and the month's days, each of 40.00 or 50.00 (five in six of
40.00). Measured: `run_billing(as_of=1 Feb 2026)`, first as a dry run (rolled back), then for
real (written and committed): one invoice per contract with February's 399.00, 2 % of January's
turnover and 0.25 per January transaction.

Seeding. One contract is made through the services and billed as of 1 Jan by a real run; the
other C - 1 are copies of its rows (`bench.recurring_billing`'s copier). Events go straight into
`usage_events` by one `INSERT … SELECT` over `generate_series` on PostgreSQL (the table's
secondary indexes dropped first and rebuilt after, which is faster than maintaining them row by
row) or over a recursive CTE on SQLite, then `ANALYZE`. After the real run every invoice is
checked against the raw sums: 399.00 + 2 % of the customer's sum + 0.25 × its count.

With `--import` (SQLite's embedded goal: a million events ingested and rated in 15 s) the events
are written to a Parquet file (not timed) and imported by `import_events`, as `tarif events
import` does, in one transaction; with `--ingest` they go through `parse_event` and
`tarif.usage.ingest.ingest` in batches of 1,000, committed per batch, as `POST /v1/events/batch`
does. Either way the ingestion time is reported beside the run's, and their sum.

Split of a run: aggregation (`SqlEventStore.aggregate_many`), the rest of usage rating (what is
due, history, watermarks, pricing, traces: `UsageRater.plan` and `finish` less aggregation),
the rest of the drafts (fixed lines, totals), writing (`_write_chunk`) and commit. Peak RSS is
the run's (VmHWM reset before each run), the process's own high-water mark beside it.

`python -m bench rating [--events 100000] [--contracts 1000] [--db sqlite,postgresql]
[--ingest | --import] [--profile]`.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.recurring_billing import (
    PG_URL,
    Phases,
    _copy,
    _peak_mib,
    _reachable,
    _reset_peak,
    _rows_of_original,
    database,
)
from tarif.catalog import service as catalog
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import ContractCreate, parse
from tarif.customers import service as customers
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.invoicing import service_runs, usage_rating
from tarif.tenancy.service import create_organization
from tarif.usage import metric_service
from tarif.usage.store import SqlEventStore

DEFAULT_EVENTS = 100_000
DEFAULT_CONTRACTS = 1_000
DEFAULT_DBS = ("sqlite", "postgresql")
JAN_1, FEB_1 = date(2026, 1, 1), date(2026, 2, 1)
SEED_BATCH = 1_000
INGEST_BATCH = 1_000
TURNOVER = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
RAW_SQL = """
SELECT customer_id, sum(value_micros), count(*) FROM usage_events
WHERE organization_id = :org AND metric_code = 'turnover'
  AND local_date >= :start AND local_date < :end
GROUP BY customer_id
"""


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def amount_micros(j: int) -> int:
    """The j-th event of a customer: 50.00 for one in six, 40.00 for the others."""
    return 50_000_000 if j % 6 == 5 else 40_000_000


# --- seeding -------------------------------------------------------------------------------------


def seed_contracts(engine: Engine, size: int) -> tuple[str, FixedClock]:
    clock = FixedClock(_at(date(2025, 12, 15)))
    with session_factory(engine)() as session:
        org, _key = create_organization(session, clock, "Bench SAS", timezone="UTC")
        ctx = Ctx(session, org.id, Actor.system("bench"), clock)
        pricelist = catalog.create_pricelist(
            ctx,
            {"name": "Standard", "currency": "EUR", "valid_from": "2025-01-01", "is_default": True},
        )
        hosting = catalog.create_product(
            ctx, {"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
        )
        payments = catalog.create_product(
            ctx, {"code": "payments", "name_en": "Payments", "kind": "usage"}
        )
        for product, terms in (
            (hosting, {"unit_price": "399.00", "periodicity": "monthly", "timing": "in_advance"}),
            (payments, {"unit_price": "0.25"}),
        ):
            catalog.add_entry(ctx, pricelist.id, {"product_id": product.id, **terms})
        metric_service.create_metric(
            ctx, {"code": "turnover", "name": "Turnover", "aggregation": "sum", "field": "amount"}
        )
        customer = customers.create_customer(
            ctx, {"legal_name": "Client 000000", "country": "FR", "kind": "company"}
        )
        body = {
            "customer_id": customer.id,
            "reference": "B-000000",
            "start_date": "2026-01-01",
            "billing_alignment": "calendar",
            "lines": [
                {"product_id": hosting.id},
                {"product_id": payments.id, "charge": TURNOVER},
            ],
        }
        contract = contracts.create_contract(ctx, data=parse(ContractCreate, body))
        contracts.submit(ctx, contract.id)
        contracts.activate(ctx, contract.id)
        session.commit()
        clock.advance(_at(JAN_1) - clock.now())
        service_runs.run_billing(ctx, JAN_1)
        session.commit()
        org_id, original = org.id, contract.id
    template = _rows_of_original(engine, org_id, original)
    for start in range(1, size, SEED_BATCH):
        batch: dict[str, list[dict[str, Any]]] = {}
        for index in range(start, min(size, start + SEED_BATCH)):
            for table, row in _copy(template, index):
                batch.setdefault(table.name, []).append(row)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                if table.name in batch:
                    conn.execute(table.insert(), batch[table.name])
    clock.advance(_at(FEB_1) - clock.now())
    return org_id, clock


def _secondary_indexes(conn: Any) -> list[tuple[str, str]]:
    """usage_events' indexes and unique constraints other than the primary key: (drop, create)."""
    found = []
    for name, definition in conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'usage_events'::regclass AND contype = 'u'"
        )
    ):
        found.append(
            (
                f'ALTER TABLE usage_events DROP CONSTRAINT "{name}"',
                f'ALTER TABLE usage_events ADD CONSTRAINT "{name}" {definition}',
            )
        )
    for name, definition in conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'usage_events' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'usage_events'::regclass)"
        )
    ):
        found.append((f'DROP INDEX "{name}"', definition))
    return found


PG_EVENTS = """
INSERT INTO usage_events (organization_id, source, transaction_id, metric_code, customer_id,
    occurred_at, local_date, value_micros, properties, received_at, late)
SELECT :org, '', 't' || g.i, 'turnover', c.id, e.at, e.at::date,
    CASE WHEN e.j % 6 = 5 THEN 50000000 ELSE 40000000 END,
    CASE WHEN e.j % 6 = 5 THEN '{"amount": "50.00"}' ELSE '{"amount": "40.00"}' END::json,
    e.at, false
FROM generate_series(0, :n - 1) AS g(i)
JOIN bench_customers c ON c.k = g.i % :c
CROSS JOIN LATERAL (
    SELECT g.i / :c AS j,
        timestamptz '2026-01-01 00:00:00+00' + ((g.i / :c) % 31) * interval '1 day'
        + (((g.i / :c) * 7919) % 86400) * interval '1 second' AS at
) e
"""

SQLITE_EVENTS = """
WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < :n - 1)
INSERT INTO usage_events (organization_id, source, transaction_id, metric_code, customer_id,
    occurred_at, local_date, value_micros, properties, received_at, late)
SELECT :org, '', 't' || i, 'turnover', c.id, at, substr(at, 1, 10),
    CASE WHEN j % 6 = 5 THEN 50000000 ELSE 40000000 END,
    CASE WHEN j % 6 = 5 THEN '{"amount": "50.00"}' ELSE '{"amount": "40.00"}' END,
    at, 0
FROM (
    SELECT i, i / :c AS j, i % :c AS ck,
        printf('2026-01-%02d %02d:%02d:%02d.000000', (i / :c) % 31 + 1,
            ((i / :c) * 7919) % 86400 / 3600, ((i / :c) * 7919) % 3600 / 60,
            ((i / :c) * 7919) % 60) AS at
    FROM g
) JOIN bench_customers c ON c.k = ck
"""


def seed_events_sql(engine: Engine, org_id: str, count: int) -> float:
    """`count` January events straight into the table (see the module)."""
    started = time.perf_counter()
    params = {"org": org_id}
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE TEMP TABLE bench_customers AS SELECT id, "
                    "(row_number() OVER (ORDER BY id) - 1)::int AS k "
                    "FROM customers WHERE organization_id = :org"
                ),
                params,
            )
            conn.execute(text("CREATE INDEX ON bench_customers (k)"))
            size = conn.execute(text("SELECT count(*) FROM bench_customers")).scalar_one()
            indexes = _secondary_indexes(conn)
            for drop, _create in indexes:
                conn.execute(text(drop))
            conn.execute(text(PG_EVENTS), params | {"n": count, "c": size})
            for _drop, create in indexes:
                conn.execute(text(create))
        else:
            conn.execute(text("CREATE TEMP TABLE bench_customers (k INTEGER PRIMARY KEY, id TEXT)"))
            conn.execute(
                text(
                    "INSERT INTO bench_customers (k, id) SELECT "
                    "row_number() OVER (ORDER BY id) - 1, id FROM customers "
                    "WHERE organization_id = :org"
                ),
                params,
            )
            size = conn.execute(text("SELECT count(*) FROM bench_customers")).scalar_one()
            conn.execute(text(SQLITE_EVENTS), params | {"n": count, "c": size})
        conn.execute(text("DROP TABLE bench_customers"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _customer_names(engine: Engine, org_id: str) -> list[str]:
    """The customers as events name them (their external ids), in id order."""
    with engine.connect() as conn:
        return list(
            conn.scalars(
                text("SELECT external_id FROM customers WHERE organization_id = :org ORDER BY id"),
                {"org": org_id},
            )
        )


def _event_at(i: int, size: int) -> tuple[str, str]:
    """The i-th event's timestamp and amount, as the SQL seeding spreads them: the j-th event
    of a customer (j = i // size) on day j % 31 + 1 of January, at second j × 7919 of the day."""
    j = i // size
    second = (j * 7919) % 86400
    at = (
        f"2026-01-{j % 31 + 1:02d}T{second // 3600:02d}:{second % 3600 // 60:02d}:"
        f"{second % 60:02d}Z"
    )
    return at, f"{amount_micros(j) // 1_000_000}.00"


def ingest_events(engine: Engine, org_id: str, count: int, clock: FixedClock) -> float:
    """The same events through `parse_event` and `ingest`, a batch of 1,000 a transaction."""
    from tarif.usage.event_rules import parse_event
    from tarif.usage.ingest import dumps, ingest

    names = _customer_names(engine, org_id)
    size = len(names)
    factory = session_factory(engine)
    started = time.perf_counter()
    with factory() as session:
        ctx = Ctx(session, org_id, Actor.system("bench"), clock)
        for first in range(0, count, INGEST_BATCH):
            batch = []
            for i in range(first, min(count, first + INGEST_BATCH)):
                at, amount = _event_at(i, size)
                batch.append(
                    {
                        "transaction_id": f"t{i}",
                        "metric": "turnover",
                        "customer": names[i % size],
                        "timestamp": at,
                        "properties": {"amount": amount},
                    }
                )
            parsed = [parse_event(n, event, dumps) for n, event in enumerate(batch)]
            result = ingest(ctx, parsed)
            if result.count(result.outcomes[0].status) != len(batch):
                raise AssertionError(f"batch at {first}: {result.outcomes[:3]}")
            session.commit()
    return time.perf_counter() - started


def import_events_file(engine: Engine, org_id: str, count: int, clock: FixedClock) -> float:
    """The same events written to a Parquet file (not timed), then imported by `import_events`
    (what `tarif events import` runs) and committed: the time of the import and its commit."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tarif.usage.event_import import import_events

    names = _customer_names(engine, org_id)
    size = len(names)
    columns: dict[str, list[str]] = {"transaction_id": [], "customer": [], "timestamp": []}
    amounts = []
    for i in range(count):
        at, amount = _event_at(i, size)
        columns["transaction_id"].append(f"t{i}")
        columns["customer"].append(names[i % size])
        columns["timestamp"].append(at)
        amounts.append(amount)
    table = pa.table(columns | {"metric": ["turnover"] * count, "amount": amounts})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        pq.write_table(table, path)
        del table, columns, amounts
        with session_factory(engine)() as session:
            ctx = Ctx(session, org_id, Actor.system("bench"), clock)
            started = time.perf_counter()
            report = import_events(ctx, path, rejected_path=Path(tmp) / "rejected.csv")
            session.commit()
            seconds = time.perf_counter() - started
    if report.accepted != count:
        raise AssertionError(f"imported {report.accepted} of {count}: {report.errors[:3]}")
    return seconds


# --- measuring -----------------------------------------------------------------------------------


def raw_group_by(engine: Engine, org_id: str) -> tuple[float, dict[str, tuple[int, int]]]:
    """The database's own limit: one GROUP BY of the month by customer, best of two."""
    best, sums = float("inf"), {}
    params = {"org": org_id, "start": JAN_1, "end": FEB_1}
    for _ in range(2):
        with engine.connect() as conn:
            started = time.perf_counter()
            sums = {c: (int(s), int(n)) for c, s, n in conn.execute(text(RAW_SQL), params)}
            best = min(best, time.perf_counter() - started)
    return best, sums


class CpuPhases(Phases):
    """Phases timed by the wall clock and by this process's CPU time (`cpu`): on a machine
    other jobs load, the CPU seconds of the Python side move far less than the wall clock."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        timed = super().wrap(name, fn)

        def counted(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return timed(*args, **kwargs)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - started

        return counted


def _instrument(phases: Phases) -> Callable[[], None]:
    """Wraps the run's steps with timers; returns what undoes it."""
    targets: list[tuple[Any, str, str]] = [
        (SqlEventStore, "aggregate_many", "aggregation"),
        (usage_rating.UsageRater, "plan", "usage"),
        (usage_rating.UsageRater, "finish", "usage"),
        (service_runs, "build_drafts", "drafts"),
        (service_runs, "_write_chunk", "write"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _phase in targets]
    for (owner, name, phase), (_o, _n, original) in zip(targets, saved, strict=True):
        setattr(owner, name, phases.wrap(phase, original))

    def undo() -> None:
        for owner, name, original in saved:
            setattr(owner, name, original)

    return undo


def measure(
    engine: Engine, org_id: str, clock: FixedClock, *, dry_run: bool, profile: bool
) -> dict[str, Any]:
    phases = CpuPhases()
    undo = _instrument(phases)
    gc.collect()
    reset = _reset_peak()
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        with session_factory(engine)() as session:
            ctx = Ctx(session, org_id, Actor.system("bench"), clock)
            if profiler:
                profiler.enable()
            outcome = service_runs.run_billing(ctx, FEB_1, dry_run=dry_run)
            invoices = len(outcome.invoices)
            lines = sum(len(d.lines) for d in outcome.invoices)
            del outcome
            with phases.phase("commit"):
                session.commit()
            if profiler:
                profiler.disable()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        undo()
    result: dict[str, Any] = {
        "seconds": seconds,
        "invoices": invoices,
        "lines": lines,
        "phases": phases.seconds,
        "cpu": cpu,
        "cpu_phases": phases.cpu,
        "peak_mib": _peak_mib() if reset else None,
        "process_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if profiler:
        dump = Path(tempfile.gettempdir()) / f"bench-rating-{os.getpid()}.prof"
        profiler.dump_stats(dump)
        result["profile_file"] = str(dump)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats("tarif", 40)
        result["profile"] = out.getvalue()
    return result


def check_invoices(engine: Engine, org_id: str, sums: dict[str, tuple[int, int]]) -> str:
    """Every February invoice is 399.00 + 2 % of its customer's sum + 0.25 × its count."""
    expected: dict[str, Decimal] = {}
    for customer_id, (micros, count) in sums.items():
        turnover = Decimal(micros) / 1_000_000
        percentage = (turnover * Decimal("0.02")).quantize(Decimal("0.01"))
        expected[customer_id] = Decimal("399.00") + percentage + Decimal("0.25") * count
    with engine.connect() as conn:
        got = {
            c: Decimal(str(n))
            for c, n in conn.execute(
                text(
                    "SELECT customer_id, net_total FROM invoices "
                    "WHERE organization_id = :org AND billing_date = :day"
                ),
                {"org": org_id, "day": FEB_1},
            )
        }
    wrong = [c for c in expected if got.get(c) != expected[c]]
    if wrong or len(got) != len(expected):
        raise AssertionError(
            f"{len(wrong)} invoices differ from the raw sums, e.g. {wrong[:1]}: "
            f"{[got.get(c) for c in wrong[:1]]} != {[expected[c] for c in wrong[:1]]}"
        )
    total = sum(got.values(), Decimal(0))
    return f"{len(got):,} invoices equal to the raw sums, net {total:,.2f}"


def one(kind: str, events: int, size: int, ingest: str, profile: bool) -> dict[str, Any]:
    with database(kind) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        started = time.perf_counter()
        org_id, clock = seed_contracts(engine, size)
        contracts_seconds = time.perf_counter() - started
        if ingest == "batches":
            events_seconds = ingest_events(engine, org_id, events, clock)
        elif ingest == "import":
            events_seconds = import_events_file(engine, org_id, events, clock)
        else:
            events_seconds = seed_events_sql(engine, org_id, events)
        raw_seconds, sums = raw_group_by(engine, org_id)
        if sum(n for _s, n in sums.values()) != events:
            raise AssertionError("the events stored are not the events seeded")
        dry = measure(engine, org_id, clock, dry_run=True, profile=profile)
        real = measure(engine, org_id, clock, dry_run=False, profile=False)
        check = check_invoices(engine, org_id, sums)
        raw_after, _ = raw_group_by(engine, org_id)
        with engine.connect() as conn:
            version = conn.execute(
                text("SELECT sqlite_version()" if kind == "sqlite" else "SHOW server_version")
            ).scalar_one()
        engine.dispose()
    return {
        "db": kind,
        "db_version": str(version),
        "events": events,
        "contracts": size,
        "ingest": ingest,
        "contracts_seconds": contracts_seconds,
        "events_seconds": events_seconds,
        "raw_seconds": min(raw_seconds, raw_after),
        "dry": dry,
        "real": real,
        "check": check,
        "load": os.getloadavg()[0],
    }


def row(result: dict[str, Any], which: str) -> str:
    r = result[which]
    p = r["phases"]
    aggregation = p.get("aggregation", 0.0)
    pricing = p.get("usage", 0.0) - aggregation
    other = p.get("drafts", 0.0) - p.get("usage", 0.0)
    writing = p.get("write", 0.0) + p.get("commit", 0.0)
    rest = r["seconds"] - p.get("drafts", 0.0) - writing
    split = (
        f"aggregation {aggregation:.2f}, rating and pricing {pricing:.2f}, fixed lines and "
        f"totals {other:.2f}, writing {writing:.2f}, other {rest:.2f}"
    )
    c = r["cpu_phases"]
    cpu = (
        f"{r['cpu']:.2f} (aggregation {c.get('aggregation', 0.0):.2f}, rating and pricing "
        f"{c.get('usage', 0.0) - c.get('aggregation', 0.0):.2f}, writing {c.get('write', 0.0):.2f})"
    )
    peak = r["peak_mib"] if r["peak_mib"] is not None else r["process_peak_mib"]
    how = {"batches": "ingest + ", "import": "import + "}.get(result["ingest"], "")
    label = "dry run" if which == "dry" else "run + commit"
    return (
        f"| {result['db']} {result['db_version']} | {how}{label} | {result['events']:,} "
        f"| {result['contracts']:,} | **{r['seconds']:.2f} s** "
        f"| {result['events'] / r['seconds']:,.0f} | {split} | {cpu} | {peak:,.0f} MiB "
        f"| {result['raw_seconds']:.2f} s | {result['load']:.1f} |"
    )


HEADER = (
    "| database | what | events | contracts | time | events/s | split (s) | this process's CPU s "
    "| peak RSS | raw GROUP BY (same run) | load (1 min) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench rating", description=__doc__)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--contracts", type=int, default=DEFAULT_CONTRACTS)
    parser.add_argument("--db", default=",".join(DEFAULT_DBS), help="sqlite,postgresql")
    parser.add_argument(
        "--ingest",
        action="store_const",
        const="batches",
        default="",
        help="events through ingestion, batches of 1,000 (as POST /v1/events/batch)",
    )
    parser.add_argument(
        "--import",
        dest="ingest",
        action="store_const",
        const="import",
        help="events imported from a Parquet file (as tarif events import)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile of the dry run")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = one(args.one, args.events, args.contracts, args.ingest, args.profile)
        print(json.dumps(result, default=str))
        return
    print(HEADER)
    for kind in args.db.split(","):
        if kind == "postgresql" and not _reachable(PG_URL):
            print(f"| postgresql | not reachable at {PG_URL} (TARIF_BENCH_PG_URL) |")
            continue
        command = [
            sys.executable,
            "-m",
            "bench.usage_rating",
            "--one",
            kind,
            "--events",
            str(args.events),
            "--contracts",
            str(args.contracts),
        ]
        command += {"batches": ["--ingest"], "import": ["--import"]}.get(args.ingest, [])
        command += ["--profile"] if args.profile else []
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"| {kind} | failed: {done.stderr.strip()[-500:]} |")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(row(result, "dry"))
        print(row(result, "real"))
        seeding = {
            "batches": "ingested in batches of 1,000",
            "import": "imported from a Parquet file",
        }.get(result["ingest"], "inserted by SQL")
        print(
            f"  seeding: contracts {result['contracts_seconds']:.1f} s, events {seeding} in "
            f"{result['events_seconds']:.1f} s "
            f"({result['events'] / result['events_seconds']:,.0f} events/s); {result['check']}",
            file=sys.stderr,
        )
        if result["ingest"]:
            both = result["events_seconds"] + result["real"]["seconds"]
            print(
                f"  {seeding} and rated (run + commit): {result['events_seconds']:.2f} + "
                f"{result['real']['seconds']:.2f} = **{both:.2f} s**",
                file=sys.stderr,
            )
        if args.profile:
            print(result["dry"]["profile"], file=sys.stderr)
            print(f"  profile kept in {result['dry']['profile_file']}", file=sys.stderr)


if __name__ == "__main__":
    main()
