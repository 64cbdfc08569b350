"""`aggregate_many` of a sum metric over 10,000 customers for one month, against the database's
own `SELECT customer_id, sum(value_micros) … GROUP BY customer_id` on the same rows.

Seeding: N usage events (1,000,000 by default, `--events 10000000` for ten million) of one
metric in one organization, spread evenly over `--customers` customers (10,000) and over
January 2026, with a value of 0.000001 to 100 and a small `properties` object each. They are
written straight into `usage_events` with the database's fastest plain path: `COPY … FROM STDIN`
on PostgreSQL, `executemany` on SQLite, then `ANALYZE`.

Measured (best of `--repeat` runs, 3 by default):
- Tarif: `SqlEventStore.aggregate_many(org, turnover, January, <the 10,000 customer ids>)`,
  i.e. one SQL query grouped by customer, and the conversion of every sum into `Decimal`; and
  the same without the list (every customer with events), which spares the database the
  membership test of each row;
- raw: the same sums by one hand-written `GROUP BY` through the driver (no customer list).
The three answers are checked equal, customer by customer.

`python -m bench usage --events 1000000,10000000 --db sqlite,postgresql`.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from bench.recurring_billing import PG_URL, _reachable, database
from tarif.clock import FixedClock
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.tenancy.service import create_organization
from tarif.usage.aggregates import UsagePeriod
from tarif.usage.metric_rules import Aggregation, MetricDefinition
from tarif.usage.store import SqlEventStore

DEFAULT_EVENTS = (1_000_000,)
DEFAULT_DBS = ("sqlite", "postgresql")
CUSTOMERS = 10_000
BATCH = 100_000
MONTH_SECONDS = 31 * 86_400
MONTH = UsagePeriod(date(2026, 1, 1), date(2026, 2, 1))
TURNOVER = MetricDefinition("turnover", Aggregation.SUM, "amount")
COLUMNS = (
    "organization_id",
    "source",
    "transaction_id",
    "metric_code",
    "customer_id",
    "occurred_at",
    "local_date",
    "value_micros",
    "properties",
    "received_at",
    "late",
)
RAW_SQL = """
SELECT customer_id, sum(value_micros) FROM usage_events
WHERE organization_id = :org AND metric_code = 'turnover'
  AND local_date >= :start AND local_date < :end
GROUP BY customer_id
"""


def customer_ids(count: int) -> list[str]:
    return [f"cus_bench{i:08d}" for i in range(count)]


def rows(org_id: str, count: int, customers: list[str], sqlite: bool) -> Iterator[tuple[Any, ...]]:
    """Events in January 2026, customers in turn, instants and values drawn from a fixed seed.
    Text forms are built by hand (SQLAlchemy's on SQLite, PostgreSQL's input syntax for COPY):
    formatting a million datetimes would take longer than writing them."""
    draw = random.Random(2026)
    zone = "" if sqlite else "+00"
    late: Any = 0 if sqlite else False
    regions = ("eu", "us")
    for i in range(count):
        seconds = draw.randrange(MONTH_SECONDS)
        day, rest = divmod(seconds, 86_400)
        hour, rest = divmod(rest, 3_600)
        minute, second = divmod(rest, 60)
        local_date = f"2026-01-{day + 1:02d}"
        instant = f"{local_date} {hour:02d}:{minute:02d}:{second:02d}.000000{zone}"
        micros = draw.randrange(1, 100_000_001)
        props = f'{{"amount":{micros / 1_000_000},"region":"{regions[i % 2]}"}}'
        customer = customers[i % len(customers)]
        yield (
            org_id,
            "",
            f"t{i}",
            "turnover",
            customer,
            instant,
            local_date,
            micros,
            props,
            instant,
            late,
        )


def seed(engine: Engine, count: int, customers: list[str]) -> tuple[str, float]:
    factory = session_factory(engine)
    with factory() as session:
        org, _key = create_organization(
            session, FixedClock(datetime(2026, 2, 1, tzinfo=UTC)), "Bench SAS", timezone="UTC"
        )
        session.commit()
        org_id = org.id
    started = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:
            placeholders = ", ".join("?" for _ in COLUMNS)
            sql = f"INSERT INTO usage_events ({', '.join(COLUMNS)}) VALUES ({placeholders})"
            # The engine's connections run in autocommit (Tarif begins its own transactions):
            # one explicit transaction, or SQLite would sync each row to disk.
            cursor.execute("BEGIN")
            batch: list[tuple[Any, ...]] = []
            for row in rows(org_id, count, customers, sqlite):
                batch.append(row)
                if len(batch) == BATCH:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
        else:
            # COPY's text format written by blocks: no value holds a tab, newline or backslash.
            with cursor.copy(f"COPY usage_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                lines: list[str] = []
                for row in rows(org_id, count, customers, sqlite):
                    lines.append("\t".join(map(str, row)))
                    if len(lines) == BATCH:
                        copy.write("\n".join(lines) + "\n")
                        lines.clear()
                if lines:
                    copy.write("\n".join(lines) + "\n")
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return org_id, time.perf_counter() - started


def best(repeat: int, fn: Any) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def one(kind: str, count: int, customers_count: int, repeat: int) -> dict[str, Any]:
    customers = customer_ids(customers_count)
    with database(kind) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        org_id, seeded = seed(engine, count, customers)
        factory = session_factory(engine)

        def tarif(listed: list[str] | None) -> dict[str, Decimal]:
            with factory() as session:
                found = SqlEventStore(session).aggregate_many(org_id, TURNOVER, MONTH, listed)
            return {c: found_rows[0].quantity for c, found_rows in found.items()}

        def raw_sql() -> dict[str, Decimal]:
            with engine.connect() as conn:
                params = {"org": org_id, "start": MONTH.start, "end": MONTH.end}
                return {
                    c: Decimal(int(s)) / 1_000_000 for c, s in conn.execute(text(RAW_SQL), params)
                }

        tarif_s, tarif_result = best(repeat, lambda: tarif(customers))
        every_s, every_result = best(repeat, lambda: tarif(None))
        raw_s, raw_result = best(repeat, raw_sql)
        engine.dispose()
    assert tarif_result == every_result == raw_result, "aggregate_many and GROUP BY disagree"
    return {
        "seeded": seeded,
        "tarif": tarif_s,
        "every": every_s,
        "raw": raw_s,
        "customers": len(tarif_result),
    }


def run(counts: tuple[int, ...], dbs: tuple[str, ...], customers: int, repeat: int) -> list[str]:
    out = [
        "| database | events | insert (raw) | aggregate_many, 10,000 ids listed "
        "| aggregate_many, every customer | raw GROUP BY | customers |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in dbs:
        if kind == "postgresql" and not _reachable(PG_URL):
            out.append(f"| postgresql | – | not reachable at {PG_URL} (TARIF_BENCH_PG_URL) |")
            continue
        for count in counts:
            r = one(kind, count, customers, repeat)
            out.append(
                f"| {kind} | {count:,} | {r['seeded']:.1f} s ({count / r['seeded']:,.0f} rows/s) "
                f"| {r['tarif'] * 1000:,.0f} ms | {r['every'] * 1000:,.0f} ms "
                f"| {r['raw'] * 1000:,.0f} ms | {r['customers']:,} |"
            )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench usage", description=__doc__)
    parser.add_argument("--events", default=",".join(map(str, DEFAULT_EVENTS)))
    parser.add_argument("--db", default=",".join(DEFAULT_DBS), help="sqlite,postgresql")
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    counts = tuple(int(s.replace("_", "")) for s in args.events.split(","))
    for line in run(counts, tuple(args.db.split(",")), args.customers, args.repeat):
        print(line)


if __name__ == "__main__":
    main()
