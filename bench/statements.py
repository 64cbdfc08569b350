"""Consumption statements: one customer's month split by day and by a property, by
`SqlEventStore.breakdown` (what a statement row asks), against the database's own
`SELECT local_date, sum(value_micros), count(*) … GROUP BY local_date` on the same rows.

Seeding: N events (1,000,000 by default) of the `turnover` sum metric for ONE customer over
January 2026, a `region` property of `eu` or `us` each, written by `bench.usage_aggregation.seed`
(`COPY` on PostgreSQL, `executemany` on SQLite, then `ANALYZE`).

Measured (best of `--repeat` runs, 3 by default): `breakdown(…, ["day"])`, `breakdown(…,
["region"])`, and the raw `GROUP BY local_date` through the driver. The day answers are checked
equal, day by day.

`python -m bench statements --events 1000000 --db sqlite,postgresql`.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from bench.recurring_billing import PG_URL, _reachable, database
from bench.usage_aggregation import MONTH, TURNOVER, best, customer_ids, seed
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.usage.store import SqlEventStore

DEFAULT_EVENTS = (1_000_000,)
DEFAULT_DBS = ("sqlite", "postgresql")
RAW_SQL = """
SELECT local_date, sum(value_micros), count(*) FROM usage_events
WHERE organization_id = :org AND metric_code = 'turnover' AND customer_id = :customer
  AND local_date >= :start AND local_date < :end
GROUP BY local_date ORDER BY local_date
"""


def one(kind: str, count: int, repeat: int) -> dict[str, Any]:
    [customer] = customer_ids(1)
    with database(kind) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        org_id, seeded = seed(engine, count, [customer])
        factory = session_factory(engine)

        def tarif(dimensions: list[str]) -> dict[str, tuple[Decimal, int]]:
            with factory() as session:
                found = SqlEventStore(session).breakdown(
                    org_id, TURNOVER, MONTH, dimensions, customer_id=customer
                )
            key = dimensions[0]
            return {str(r.keys[key]): (r.quantity or Decimal(0), r.event_count) for r in found}

        def raw_sql() -> dict[str, tuple[Decimal, int]]:
            params = {"org": org_id, "customer": customer, "start": MONTH.start, "end": MONTH.end}
            with engine.connect() as conn:
                return {
                    str(day)[:10]: (Decimal(int(total)) / 1_000_000, int(n))
                    for day, total, n in conn.execute(text(RAW_SQL), params)
                }

        day_s, by_day = best(repeat, lambda: tarif(["day"]))
        region_s, by_region = best(repeat, lambda: tarif(["region"]))
        raw_s, raw = best(repeat, raw_sql)
        engine.dispose()
    assert by_day == raw, "breakdown by day and GROUP BY disagree"
    assert sum(n for _, n in by_region.values()) == count
    return {"seeded": seeded, "day": day_s, "region": region_s, "raw": raw_s, "days": len(by_day)}


def run(counts: tuple[int, ...], dbs: tuple[str, ...], repeat: int) -> list[str]:
    out = [
        "| database | events (one customer) | insert (raw) | breakdown by day "
        "| breakdown by region | raw GROUP BY local_date | rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in dbs:
        if kind == "postgresql" and not _reachable(PG_URL):
            out.append(f"| postgresql | – | not reachable at {PG_URL} (TARIF_BENCH_PG_URL) |")
            continue
        for count in counts:
            r = one(kind, count, repeat)
            out.append(
                f"| {kind} | {count:,} | {r['seeded']:.1f} s | {r['day'] * 1000:,.0f} ms "
                f"| {r['region'] * 1000:,.0f} ms | {r['raw'] * 1000:,.0f} ms | {r['days']} |"
            )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench statements", description=__doc__)
    parser.add_argument("--events", default=",".join(map(str, DEFAULT_EVENTS)))
    parser.add_argument("--db", default=",".join(DEFAULT_DBS), help="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    counts = tuple(int(s.replace("_", "")) for s in args.events.split(","))
    for line in run(counts, tuple(args.db.split(",")), args.repeat):
        print(line)


if __name__ == "__main__":
    main()
