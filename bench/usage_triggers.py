"""On-event billing under ingestion load: the ingestion rate with an event trigger on, and the
delay from an event's acceptance to its billable item.

Scenario. One organization on PostgreSQL, C customers with one running contract each (from the
first of the current month, UTC) billing a `tokens` usage line (sum of `tokens`, 0.001 a
token). `POST /v1/events/batch` with batches of 1,000 `tokens` events spread over the
customers, sent by 3 client threads to one uvicorn process, three times in the same run, each
on a database of its own:

- plain: no trigger, the clients sending as fast as the server answers (the ingestion of the
  usage benchmark, same shape): the plain rate;
- on event, flat out: every contract's line has `{"kind": "event", "cadence": "daily"}`, W
  `tarif worker` processes (2 threads each) run the `usage.triggers` jobs the batches queue
  while the clients send as fast as the server answers: the on-event rate, against the plain
  one;
- on event, at half the plain rate: the same, the clients pacing their batches so that events
  arrive at 50 % of the plain rate (the load the rate goal promises): the delays.

After the clients finish, the workers drain the jobs; then every accepted event must have
exactly one item, and the delay of each item is `created_at - accepted_at` (the event's
acceptance, the start of its request). Goals (issue "Pay-as-you-go triggers"): the on-event
rate ≥ 50 % of the plain one, and the 99th percentile delay ≤ 2 s under that load. Flat out,
the clients outrun the workers on a small machine (they share its cores) and the delay grows
with the length of the run: reported too, for what it shows of the workers' throughput.

`python -m bench triggers [--events 100000] [--customers 100] [--workers 2]`. PostgreSQL:
`TARIF_BENCH_PG_URL` (default the local server), where the benchmark creates and drops its
databases.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from bench.usage_ingestion import BATCH, CLIENT_THREADS, database, server
from tarif.catalog import service as catalog
from tarif.clock import SystemClock
from tarif.context import Actor, Ctx
from tarif.contracts import service as contracts
from tarif.contracts.schemas import ContractCreate, parse
from tarif.customers import service as customers
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.tenancy.service import create_organization
from tarif.triggers import service as triggers
from tarif.usage import metric_service

CHARGE = {"metric": "tokens", "model": "per_unit", "unit_price": "0.001"}
EVENT_TRIGGER = {"kind": "event", "cadence": "daily"}
DRAIN_TIMEOUT = 600.0


def seed(engine: Engine, customer_count: int, with_trigger: bool) -> str:
    """The organization, its customers and contracts; its API key."""
    metadata.create_all(engine)
    clock = SystemClock()
    first_of_month = clock.now().date().replace(day=1).isoformat()
    with session_factory(engine)() as session:
        org, key = create_organization(session, clock, "Bench SAS", timezone="UTC")
        ctx = Ctx(session, org.id, Actor.system("bench"), clock)
        catalog.create_pricelist(
            ctx,
            {"name": "Standard", "currency": "EUR", "valid_from": "2025-01-01", "is_default": True},
        )
        product = catalog.create_product(
            ctx, {"code": "tokens", "name_en": "Tokens", "kind": "usage"}
        )
        metric_service.create_metric(
            ctx, {"code": "tokens", "name": "Tokens", "aggregation": "sum", "field": "tokens"}
        )
        for n in range(customer_count):
            customer = customers.create_customer(
                ctx,
                {
                    "legal_name": f"Client {n:04d}",
                    "external_id": f"C{n:04d}",
                    "country": "FR",
                    "kind": "company",
                },
            )
            body = {
                "customer_id": customer.id,
                "reference": f"B-{n:06d}",
                "start_date": first_of_month,
                "billing_alignment": "calendar",
                "lines": [{"product_id": product.id, "charge": CHARGE}],
            }
            contract = contracts.create_contract(ctx, data=parse(ContractCreate, body))
            contracts.submit(ctx, contract.id)
            contracts.activate(ctx, contract.id)
            if with_trigger:
                triggers.set_trigger(ctx, contract.id, "tokens", EVENT_TRIGGER)
        session.commit()
        return key.secret


def bodies(total: int, customer_count: int) -> list[bytes]:
    """Pre-encoded batches of `tokens` events, instants in the last minute (in the period)."""
    at = (datetime.now(UTC) - timedelta(seconds=60)).isoformat().replace("+00:00", "Z")
    out = []
    for b in range(total // BATCH):
        events = [
            {
                "transaction_id": f"tx-{b * BATCH + i:09d}",
                "customer": f"C{(b * BATCH + i) % customer_count:04d}",
                "metric": "tokens",
                "timestamp": at,
                "properties": {"tokens": (b * BATCH + i) % 997 + 1},
            }
            for i in range(BATCH)
        ]
        out.append(json.dumps({"events": events}).encode())
    return out


def send(base: str, key: str, batches: list[bytes], rate: float | None = None) -> float:
    """Seconds to send every batch with the client threads: as fast as the server answers,
    or paced so that events arrive at `rate` a second (batch n leaves n × 1,000 / rate
    seconds after the start, or as soon as a client is free if late)."""
    queue = list(enumerate(batches))
    lock = threading.Lock()
    started = time.perf_counter()

    def client() -> None:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    index, body = queue.pop(0)
                if rate is not None:
                    wait = started + index * BATCH / rate - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                response = http.post("/v1/events/batch", content=body)
                assert response.status_code == 200, response.text[:300]
                assert response.json()["accepted"] == BATCH, response.text[:300]

    threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    tarif = Path(sys.executable).parent / "tarif"
    env = os.environ | {"TARIF_DATABASE_URL": url, "TARIF_SECRET_KEY": "bench"}
    return [
        subprocess.Popen(
            [str(tarif), "worker", "--concurrency", "2", "--kind", "usage.triggers"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def drained(engine: Engine) -> float:
    """Seconds until no `usage.triggers` job is left to run."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_TIMEOUT:
        with engine.connect() as conn:
            left = conn.execute(
                text(
                    "SELECT count(*) FROM jobs WHERE kind = 'usage.triggers' "
                    "AND status IN ('queued', 'running')"
                )
            ).scalar_one()
        if not left:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise TimeoutError("the workers did not drain the jobs")


@dataclass(frozen=True)
class OnEvent:
    seconds: float
    jobs: int
    drain: float
    items: int
    p50: float
    p99: float
    worst: float


def on_event(
    batches: list[bytes], customer_count: int, worker_count: int, rate: float | None
) -> OnEvent:
    """A run with event triggers and workers beside; every event checked to have one item."""
    with database("postgresql") as url:
        engine = make_engine(url)
        key = seed(engine, customer_count, with_trigger=True)
        running = workers(url, worker_count)
        try:
            with server(url) as base:
                seconds = send(base, key, batches, rate)
            drain = drained(engine)
        finally:
            for process in running:
                process.terminate()
            for process in running:
                process.wait(timeout=30)
        with engine.connect() as conn:
            items, distinct, p50, p99, worst = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT event_id), "
                    "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "
                    "created_at - accepted_at)), "
                    "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "
                    "created_at - accepted_at)), "
                    "max(extract(epoch FROM created_at - accepted_at)) FROM usage_items"
                )
            ).one()
            jobs = conn.execute(
                text("SELECT count(*) FROM jobs WHERE kind = 'usage.triggers'")
            ).scalar_one()
        engine.dispose()
    sent = len(batches) * BATCH
    assert items == distinct == sent, (items, distinct, sent)
    return OnEvent(seconds, jobs, drain, items, float(p50), float(p99), float(worst))


def run(total: int, customer_count: int, worker_count: int) -> list[str]:
    batches = bodies(total, customer_count)
    with database("postgresql") as url:
        engine = make_engine(url)
        key = seed(engine, customer_count, with_trigger=False)
        with server(url) as base:
            plain = send(base, key, batches)
        engine.dispose()
    sent = len(batches) * BATCH
    plain_rate = sent / plain
    flat_out = on_event(batches, customer_count, worker_count, None)
    half = on_event(batches, customer_count, worker_count, plain_rate / 2)
    event_rate = sent / flat_out.seconds
    workers_text = f"{worker_count} `tarif worker` × 2 threads beside"
    return [
        f"| plain: POST /v1/events/batch, {customer_count} contracts, no trigger | "
        f"{plain_rate:,.0f} events/s | {sent:,} events, {plain:.1f} s |",
        f"| on event (daily), flat out, {workers_text} | "
        f"{event_rate:,.0f} events/s (**{event_rate / plain_rate:.0%}** of plain) | "
        f"{sent:,} events, {flat_out.seconds:.1f} s; {flat_out.jobs:,} jobs, drained "
        f"{flat_out.drain:.1f} s after; delay p50 {flat_out.p50:.2f} s, p99 "
        f"{flat_out.p99:.2f} s |",
        f"| on event (daily) at 50 % of the plain rate ({plain_rate / 2:,.0f} events/s "
        f"offered), acceptance → billable item | p50 {half.p50:.2f} s, **p99 "
        f"{half.p99:.2f} s**, max {half.worst:.2f} s | {half.items:,} items, one per event; "
        f"sent in {half.seconds:.1f} s; {half.jobs:,} jobs, drained {half.drain:.1f} s after |",
    ]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench triggers")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print("| what | figure | detail |")
    print("|---|---|---|")
    for row in run(args.events, args.customers, args.workers):
        print(row, flush=True)
