"""Valuing usage events with a SmartCode, against the same function in plain Python.

The macro is the simplest useful one, billable minutes: `math.ceil(duration / 60)`. Three
figures over N events (default 1,000,000), each the best of three runs:

- **plain Python**: the same function, not sandboxed, called in a loop in this process (the
  raw limit);
- **sandboxed, in process**: the compiled macro called directly, with its guards (attribute
  and item access through RestrictedPython's hooks, the input frozen, the result checked), but
  no worker: the cost of the sandbox itself;
- **`value_events`**: the real entry point: events sent to the worker process in chunks, valued
  there under its limits, the results sent back and turned into `Valuation`s.

Each figure gives the wall-clock time and the CPU time spent (this process plus the worker's):
events per CPU second is the rate per core, which a loaded machine disturbs far less than the
wall clock. `python -m bench smartcodes [--events N]`.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tarif.smartcodes.guards import load_macro
from tarif.smartcodes.policy import Kind, compile_macro
from tarif.smartcodes.runner import MacroRunner, MacroSource
from tarif.smartcodes.values import MacroEvent, check_valuation, frozen_mapping

SOURCE = """\
import math


def value(event):
    return math.ceil(event.properties["duration"] / 60)
"""


def plain_value(event: MacroEvent) -> int:
    return math.ceil(event.properties["duration"] / 60)


def make_events(count: int) -> list[tuple[Any, ...]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        (start + timedelta(seconds=i), {"duration": i % 3_600}, "calls", f"C{i % 100}")
        for i in range(count)
    ]


def cpu_seconds(pid: int | None) -> float:
    """CPU time of another process so far (user + system), from /proc."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def best_of(
    runs: int, job: Callable[[], object], pid: Callable[[], int | None] = lambda: None
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the fastest of `runs` runs."""
    best = (math.inf, math.inf)
    for _ in range(runs):
        gc.collect()
        wall, cpu, other = time.perf_counter(), time.process_time(), cpu_seconds(pid())
        job()
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu + cpu_seconds(pid()) - other
        best = min(best, (wall, cpu), key=lambda figures: figures[1])
    return best


def run(count: int) -> list[str]:
    events = make_events(count)
    macro = load_macro(compile_macro(SOURCE, Kind.VALUATION), Kind.VALUATION)

    def plain() -> list[Decimal]:
        return [
            Decimal(plain_value(MacroEvent(t, p, m, c)))  # the same input and output types
            for t, p, m, c in events
        ]

    def in_process() -> list[Any]:
        new = tuple.__new__
        return [
            check_valuation(macro(new(MacroEvent, (t, frozen_mapping(p), m, c))))
            for t, p, m, c in events
        ]

    runner = MacroRunner()
    version = MacroSource.of("valuation", SOURCE)
    try:
        expected = [Decimal(math.ceil((i % 3_600) / 60)) for i in range(count)]
        got = [v.value for v in runner.value_events(version, events)]  # also warms the worker
        assert got == expected, "value_events disagrees with plain Python"
        figures = [
            ("plain Python (raw limit)", best_of(3, plain)),
            ("sandboxed, in process", best_of(3, in_process)),
            (
                "`value_events` (worker process)",
                best_of(3, lambda: runner.value_events(version, events), runner.worker_pid),
            ),
        ]
    finally:
        runner.close()
    rows = [
        "| SmartCode valuation | events | wall s | events/s (wall) | CPU s | events/s per core |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (wall, cpu) in figures:
        rows.append(
            f"| {name} | {count:,} | {wall:.2f} | {count / wall:,.0f} | {cpu:.2f} "
            f"| {count / cpu:,.0f} |"
        )
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench smartcodes")
    parser.add_argument("--events", type=int, default=1_000_000)
    args, _ = parser.parse_known_args(argv)
    for row in run(args.events):
        print(row)
