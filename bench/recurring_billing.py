"""One monthly billing run over N contracts, finalized, against the database's raw insert rate.

The organization bills N customers, one contract each, calendar-aligned from 1 Jan 2026 with
three lines: hosting 399.00 monthly in advance, a licence 1,200.00 annual in advance and support
300.00 quarterly in arrears. One contract in ten has 10 % off hosting, one in ten an amendment
on 15 March (hosting × 2). January to March were billed by earlier runs (drafts). The measured
run is the April one: `run_billing(as_of=1 Apr 2026, finalize=True)`, committed once; it
bills April's hosting and the first quarter's support, credits and re-charges the amended days.

Seeding: three contracts (plain, discounted, amended) are made through the services, with
their history billed by real runs; the other N - 3 are copies of their rows (every table that
refers to the customer or the contract, ids renamed) written by multi-row INSERTs, which takes
seconds instead of minutes. The copies are checked against the service-made originals: every
contract of a kind must get exactly the invoice its original gets, total for total.

Each size runs in a child process of its own, so its peak memory (VmHWM, reset before the run)
is the run's. `python -m bench recurring --sizes 1000,10000 --db sqlite --profile` prints the
top functions of cProfile as well.
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
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, create_engine, func, select, text
from sqlalchemy.engine import make_url

from tarif.catalog import service as catalog
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.contracts import service as contracts
from tarif.contracts.models import Contract
from tarif.contracts.schemas import AmendmentCreate, ContractCreate, parse
from tarif.customers import service as customers
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.ids import new_id
from tarif.invoicing import service_finalize, service_runs
from tarif.tenancy.service import create_organization

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_DBS = ("sqlite", "postgresql")
PG_URL = os.environ.get(
    "TARIF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RUN_DAY = date(2026, 4, 1)
HISTORY = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
SEED_BATCH = 1_000  # copies per INSERT batch
RAW_ROWS = 100_000
# Tables never copied: the organization's own rows, not its customers' or contracts'.
NOT_COPIED = {"audit_events", "organizations", "billing_runs"}


def kind_of(index: int) -> int:
    """0 plain, 1 discounted, 2 amended: one contract in ten of each of the last two."""
    rest = index % 10
    return rest if rest in (1, 2) else 0


# --- seeding -------------------------------------------------------------------------------------


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


def seed(engine: Engine, size: int) -> tuple[str, FixedClock, list[str]]:
    """The organization with `size` contracts and their January-March history."""
    clock = FixedClock(_at(date(2025, 12, 15)))
    factory = session_factory(engine)
    with factory() as session:
        org, _key = create_organization(session, clock, "Bench SAS")
        ctx = Ctx(session, org.id, Actor.system("bench"), clock)
        pricelist = catalog.create_pricelist(
            ctx,
            {"name": "Standard", "currency": "EUR", "valid_from": "2025-01-01", "is_default": True},
        )
        lines = []
        for code, amount, periodicity, timing in (
            ("hosting", "399.00", "monthly", "in_advance"),
            ("licence", "1200.00", "annual", "in_advance"),
            ("support", "300.00", "quarterly", "in_arrears"),
        ):
            product = catalog.create_product(
                ctx, {"code": code, "name_en": code.title(), "kind": "recurring"}
            )
            catalog.add_entry(
                ctx,
                pricelist.id,
                {
                    "product_id": product.id,
                    "unit_price": amount,
                    "periodicity": periodicity,
                    "timing": timing,
                },
            )
            lines.append({"product_id": product.id})
        originals: list[str] = []
        for kind in range(3):
            customer = customers.create_customer(
                ctx, {"legal_name": f"Client {kind:06d}", "country": "FR", "kind": "company"}
            )
            contract_lines = [dict(line) for line in lines]
            if kind == 1:
                contract_lines[0]["discounts"] = [{"kind": "percentage", "value": "10"}]
            body = {
                "customer_id": customer.id,
                "reference": f"B-{kind:06d}",
                "start_date": "2026-01-01",
                "billing_alignment": "calendar",
                "lines": contract_lines,
            }
            contract = contracts.create_contract(ctx, data=parse(ContractCreate, body))
            contracts.submit(ctx, contract.id)
            contracts.activate(ctx, contract.id)
            originals.append(contract.id)
        session.commit()
        for day in HISTORY:
            clock.advance(_at(day) - clock.now())
            service_runs.run_billing(ctx, day)
            session.commit()
        clock.advance(_at(date(2026, 3, 10)) - clock.now())
        change = {"type": "change_quantity", "line_key": "hosting", "quantity": "2"}
        amendment = contracts.create_amendment(
            ctx,
            originals[2],
            data=parse(
                AmendmentCreate,
                {"effective_date": "2026-03-15", "reason": "growth", "changes": [change]},
            ),
        )
        contracts.schedule_amendment(ctx, amendment.id)
        session.commit()
        org_id = org.id
    _copy_contracts(engine, org_id, originals, size)
    clock.advance(_at(RUN_DAY) - clock.now())
    return org_id, clock, originals


def _rows_of_original(engine: Engine, org_id: str, contract_id: str) -> list[tuple[Table, list]]:
    """Every row that belongs to the contract or its customer, table by table (FK order)."""
    with engine.connect() as conn:
        customer_id = conn.execute(
            text("SELECT customer_id FROM contracts WHERE id = :id"), {"id": contract_id}
        ).scalar_one()
        owned: set[str] = {customer_id, contract_id}
        result: list[tuple[Table, list]] = []
        for table in metadata.sorted_tables:
            if table.name in NOT_COPIED or "organization_id" not in table.c:
                continue
            refs = [
                fk.parent
                for fk in table.foreign_keys
                if fk.column.table.name not in ("organizations",)
            ]
            if table.name == "customers":
                condition: Any = table.c.id == customer_id
            elif refs:
                condition = refs[0].in_(owned)
                for column in refs[1:]:
                    condition = condition | column.in_(owned)
            else:
                continue
            rows = [
                dict(r._mapping)
                for r in conn.execute(
                    select(table)
                    .where(table.c.organization_id == org_id, condition)
                    .order_by(*table.primary_key.columns)
                )
            ]
            if rows:
                result.append((table, rows))
                owned |= {row["id"] for row in rows if isinstance(row.get("id"), str)}
    return result


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return value


def _copy(rows: list[tuple[Table, list]], index: int) -> Iterator[tuple[Table, dict[str, Any]]]:
    names: dict[str, str] = {}
    for _table, table_rows in rows:
        for row in table_rows:
            old = row.get("id")
            if isinstance(old, str) and "_" in old:
                # new ids keep the originals' order (stored lines are replayed in id order)
                names[old] = new_id(old.split("_", 1)[0])
    reference = f"B-{index:06d}"
    for table, table_rows in rows:
        for row in table_rows:
            copy = {key: _renamed(value, names) for key, value in row.items()}
            if table.name == "customers":
                copy["legal_name"] = f"Client {index:06d}"
                if copy.get("external_id") == row.get("external_id"):
                    copy["external_id"] = f"{row['external_id']}-{index}"
            elif table.name == "contracts":
                copy["reference"] = reference
            elif table.name == "contract_versions":
                copy["terms"] = copy["terms"] | {"reference": reference}
            yield table, copy


def _copy_contracts(engine: Engine, org_id: str, originals: list[str], size: int) -> None:
    templates = [_rows_of_original(engine, org_id, contract_id) for contract_id in originals]
    for start in range(3, size, SEED_BATCH):
        batch: dict[str, list[dict[str, Any]]] = {}
        for index in range(start, min(size, start + SEED_BATCH)):
            for table, row in _copy(templates[kind_of(index)], index):
                batch.setdefault(table.name, []).append(row)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                if table.name in batch:
                    conn.execute(table.insert(), batch[table.name])


# --- measuring -----------------------------------------------------------------------------------


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return timed

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_run(engine: Engine, org_id: str, clock: FixedClock, profile: bool) -> dict[str, Any]:
    phases = Phases()
    service_runs.contracts.apply_due = phases.wrap("apply_due", contracts.apply_due)  # type: ignore[attr-defined]
    service_runs.build_drafts = phases.wrap("load+compute", service_runs.build_drafts)  # type: ignore[assignment]
    service_runs._write_chunk = phases.wrap("write", service_runs._write_chunk)  # type: ignore[assignment]
    # What the run leaves to `finalize_run` after sealing as it writes (nothing, here).
    service_finalize.finalize_run = phases.wrap("finalize", service_finalize.finalize_run)  # type: ignore[assignment]
    gc.collect()
    reset = _reset_peak()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    cpu_started = time.process_time()  # this process's CPU: the run's Python, not the server's
    with session_factory(engine)() as session:
        ctx = Ctx(session, org_id, Actor.system("bench"), clock)
        if profiler:
            profiler.enable()
        # As `tarif bill run --finalize` does: every invoice is finalized as it is written.
        outcome = service_runs.run_billing(ctx, RUN_DAY, finalize=True)
        assert outcome.run is not None
        finalized = outcome.finalized
        with phases.phase("commit"):
            session.commit()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        run_id = outcome.run.id
        invoices = len(outcome.invoices)
        lines = sum(len(d.lines) for d in outcome.invoices)
        del outcome
    peak = _peak_mib()
    result: dict[str, Any] = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "invoices": invoices,
        "lines": lines,
        "finalized": finalized,
        "peak_mib": peak if reset else None,
        "process_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "phases": phases.seconds,
        "run_id": run_id,
    }
    if profiler:
        out = io.StringIO()
        dump = Path(tempfile.gettempdir()) / f"bench-recurring-{os.getpid()}.prof"
        profiler.dump_stats(dump)
        result["profile_file"] = str(dump)
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats("tarif", 40)
        result["profile"] = out.getvalue()
    return result


def check_copies(engine: Engine, org_id: str, run_id: str, originals: list[str], size: int) -> str:
    """Every contract of a kind got the invoices its service-made original got, total for total."""
    invoices = metadata.tables["invoices"]
    in_run = (invoices.c.organization_id == org_id) & (invoices.c.billing_run_id == run_id)
    with engine.connect() as conn:
        got = Counter(
            Decimal(total) for total in conn.scalars(select(invoices.c.gross_total).where(in_run))
        )
        numbers = conn.execute(
            select(func.count(invoices.c.number.distinct())).where(in_run)
        ).scalar_one()
        per_kind = []
        for contract_id in originals:
            customer = select(Contract.customer_id).where(Contract.id == contract_id)
            stmt = select(invoices.c.gross_total).where(
                in_run, invoices.c.customer_id == customer.scalar_subquery()
            )
            per_kind.append([Decimal(total) for total in conn.scalars(stmt)])
    expected: Counter[Decimal] = Counter()
    for index in range(size):
        expected.update(per_kind[kind_of(index)])
    if got != expected:
        raise AssertionError(f"copies billed differently from their originals: {got}")
    if numbers != got.total():
        raise AssertionError(f"{numbers} distinct numbers for {got.total()} invoices")
    totals = ", ".join(f"{total} × {count}" for total, count in sorted(got.items()))
    return f"gross totals as the originals': {totals}; {numbers} numbers"


def raw_insert_rates(engine: Engine, template_rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Rows/s of invoice-line-shaped rows into a bare table (no index, no constraint), in one
    transaction: the driver's own executemany of ready values, and SQLAlchemy Core's
    executemany of the same rows as Python values (what the run's writes go through)."""
    source = metadata.tables["invoice_lines"]
    raw = Table(
        f"bench_raw_lines_{uuid.uuid4().hex[:8]}",
        MetaData(),
        *[Column(c.name, c.type) for c in source.c],
    )
    rows = []
    for i in range(RAW_ROWS):
        row = dict(template_rows[i % len(template_rows)])
        row["id"] = f"inl_{i:026d}"
        rows.append(row)
    dialect = engine.dialect
    processors = [c.type._cached_bind_processor(dialect) for c in raw.c]
    ready = [
        tuple(p(row[c.name]) if p else row[c.name] for c, p in zip(raw.c, processors, strict=True))
        for row in rows
    ]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {raw.name} ({', '.join(c.name for c in raw.c)}) "
        f"VALUES ({', '.join(mark for _ in raw.c)})"
    )
    raw.create(engine)
    try:
        with engine.begin() as conn:
            started = time.perf_counter()
            conn.exec_driver_sql(sql, ready)
            driver = RAW_ROWS / (time.perf_counter() - started)
        with engine.begin() as conn:
            conn.execute(raw.delete())
        with engine.begin() as conn:
            started = time.perf_counter()
            for start in range(0, RAW_ROWS, 5_000):
                conn.execute(raw.insert(), rows[start : start + 5_000])
            core = RAW_ROWS / (time.perf_counter() - started)
    finally:
        raw.drop(engine)
    return driver, core


# --- one size on one database (a child process) -------------------------------------------------


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


def one(kind: str, size: int, profile: bool) -> dict[str, Any]:
    with database(kind) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        started = time.perf_counter()
        org_id, clock, originals = seed(engine, size)
        seeded = time.perf_counter() - started
        if kind == "postgresql":
            # The months billed before are old rows in a real database, which autovacuum has
            # analyzed long since; here they were written a minute ago. Without statistics, or
            # with those of a table half-seeded, the planner misjudges the run's first reads.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        webhook = os.environ.get("TARIF_BENCH_WEBHOOK") == "1"
        if webhook:
            _subscribe(engine, org_id, clock)
        result = measure_run(engine, org_id, clock, profile)
        result["check"] = check_copies(engine, org_id, result["run_id"], originals, size)
        if webhook:
            result["deliveries"] = _deliveries(url, org_id)
        with engine.connect() as conn:
            lines = [
                dict(r._mapping)
                for r in conn.execute(select(metadata.tables["invoice_lines"]).limit(100))
            ]
            version = conn.execute(
                text("SELECT sqlite_version()" if kind == "sqlite" else "SHOW server_version")
            ).scalar_one()
        driver, core = raw_insert_rates(engine, lines)
        result["raw_rows_per_second"], result["core_rows_per_second"] = driver, core
        engine.dispose()
    result |= {"db": kind, "size": size, "seed_seconds": seeded, "db_version": str(version)}
    if webhook:  # every invoice finalized also writes a webhook delivery and its job
        result["db"] += " + webhook"

    result["load"] = os.getloadavg()[0]
    return result


def _subscribe(engine: Engine, org_id: str, clock: FixedClock) -> None:
    """One webhook endpoint subscribed to `invoice.finalized` (TARIF_BENCH_WEBHOOK=1)."""
    from tarif.webhooks.service import create_endpoint

    with session_factory(engine)() as session:
        ctx = Ctx(session, org_id, Actor.system("bench"), clock)
        create_endpoint(
            ctx, {"url": "https://erp.example/hooks", "event_types": ["invoice.finalized"]}
        )
        session.commit()


def _deliveries(url: str, org_id: str) -> int:
    engine = make_engine(url)
    table = metadata.tables["webhook_deliveries"]
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(table).where(table.c.organization_id == org_id)
        ).scalar_one()
    engine.dispose()
    return int(count)


def row(result: dict[str, Any]) -> str:
    phases = result["phases"]
    split = ", ".join(
        f"{name} {phases.get(name, 0.0):.1f}"
        for name in ("apply_due", "load+compute", "write", "finalize", "commit")
    )
    other = result["seconds"] - sum(phases.values())
    peak = result["peak_mib"] or result["process_peak_mib"]
    written = result["invoices"] + result["lines"]
    write_rate = written / phases["write"] if phases.get("write") else 0.0
    return (
        f"| {result['db']} {result['db_version']} | {result['size']:,} "
        f"| **{result['seconds']:.1f} s** | {split}, other {other:.1f} | {peak:,.0f} MiB "
        f"| {write_rate:,.0f} | {result['raw_rows_per_second']:,.0f} "
        f"| {result['core_rows_per_second']:,.0f} | {result['load']:.1f} |"
    )


HEADER = (
    "| database | contracts | run + finalize + commit | phases (s) | peak RSS "
    "| run's INSERT rows/s | raw driver executemany rows/s | Core executemany rows/s "
    "| load (1 min) |\n|---|---|---|---|---|---|---|---|---|"
)


def _reachable(url: str) -> bool:
    try:
        engine = create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # any reason: the row says it was not measured
        return False
    return True


def run(
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    dbs: tuple[str, ...] = DEFAULT_DBS,
    profile: bool = False,
) -> list[str]:
    """Each size on each database in a child process; Markdown rows for docs/benchmarks.md."""
    out = [HEADER]
    for kind in dbs:
        if kind == "postgresql" and not _reachable(PG_URL):
            out.append(f"| postgresql | – | not reachable at {PG_URL} (TARIF_BENCH_PG_URL) |")
            continue
        for size in sizes:
            command = [sys.executable, "-m", "bench.recurring_billing", "--one", kind, str(size)]
            if profile:
                command.append("--profile")
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                out.append(f"| {kind} | {size:,} | failed: {done.stderr.strip()[-300:]} |")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            out.append(row(result))
            print(row(result), file=sys.stderr, flush=True)
            print(
                f"  check: {result['check']}; seeding {result['seed_seconds']:.0f} s; "
                f"the run's Python CPU {result['cpu_seconds']:.1f} s"
                + (f"; {result['deliveries']} deliveries" if "deliveries" in result else ""),
                file=sys.stderr,
            )
            if profile:
                print(result["profile"], file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench recurring", description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--db", default=",".join(DEFAULT_DBS), help="sqlite,postgresql")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--one", nargs=2, metavar=("DB", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = one(args.one[0], int(args.one[1]), args.profile)
        print(json.dumps(result, default=str))
        return
    sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(","))
    dbs = tuple(args.db.split(","))
    for line in run(sizes, dbs, args.profile):
        print(line)


if __name__ == "__main__":
    main()
