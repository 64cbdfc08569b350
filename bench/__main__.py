"""`make bench`: runs every benchmark, printing Markdown rows for docs/benchmarks.md.

`python -m bench` runs them all with their default sizes; `python -m bench api` only the API
reads; `python -m bench recurring --sizes 1000,10000 --db sqlite,postgresql [--profile]` only
the billing run (see `bench/recurring_billing.py`); `python -m bench ingest [--events N]
[--rows N] [--db …]` only usage event ingestion (see `bench/usage_ingestion.py`); `python -m bench
smartcodes [--events N]` only SmartCode valuation (see `bench/smartcodes.py`).
`python -m bench usage [--events N] [--db …]` only usage aggregation (see
`bench/usage_aggregation.py`). `python -m bench rating [--events N] [--contracts N] [--db …]
[--ingest | --import] [--profile]` only usage rating in a billing run (see `bench/usage_rating.py`).
`python -m bench statements [--events N] [--db …]` only the consumption statements' grouping
(see `bench/statements.py`). `python -m bench triggers [--events N] [--customers N] [--workers
N]` only on-event billing under ingestion load (see `bench/usage_triggers.py`).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from bench import (
    api_reads,
    recurring_billing,
    smartcodes,
    statements,
    usage_aggregation,
    usage_ingestion,
    usage_rating,
    usage_triggers,
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    load = ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return f"{cpu}, {cores} cores{memory}, Python {platform.python_version()}{load}"


def main(argv: list[str]) -> None:
    which = argv[0] if argv and not argv[0].startswith("-") else "all"
    rest = argv[1:] if which != "all" else argv
    print(f"machine: {machine()}")
    if which in ("all", "api"):
        for row in api_reads.run():
            print(row)
    if which in ("all", "recurring"):
        recurring_billing.main(rest)
    if which in ("all", "ingest"):
        usage_ingestion.main(rest)
    if which in ("all", "smartcodes"):
        smartcodes.main(rest)
    if which in ("all", "usage"):
        usage_aggregation.main(rest)
    if which in ("all", "rating"):
        usage_rating.main(rest)
    if which in ("all", "statements"):
        statements.main(rest)
    if which in ("all", "triggers"):
        usage_triggers.main(rest)
    known = (
        "all",
        "api",
        "recurring",
        "ingest",
        "smartcodes",
        "usage",
        "rating",
        "statements",
        "triggers",
    )
    if which not in known:
        sys.exit(f"unknown benchmark {which!r}: {', '.join(known)}")


if __name__ == "__main__":
    main(sys.argv[1:])
