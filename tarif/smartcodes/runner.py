"""Running macros: the entry points other packages call.

    value_events(version, events)          -> list[Valuation]       (valuation SmartCodes)
    price_usage(version, usage, contract)  -> list[PriceLine]       (pricing SmartCodes)
    MacroRunner().dry_run_events(version, events) -> list[Valuation | EventFailure]  (per event)

`version` is anything with `kind`, `source` and `source_hash` (a `SmartCodeVersion` row or a
`MacroSource`). Macros never run in this process: one long-lived worker process
(`worker.py`) per process runs them under memory and CPU limits, compiled once per version, with
events sent in chunks. A chunk that takes longer than the wall-clock limit kills the worker (the
next call starts a new one) and raises `LimitExceeded`.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from tarif.collector import collections_paused
from tarif.smartcodes.failures import (
    LimitExceeded,
    MacroFailed,
    ResultRefused,
    SourceProblem,
    SourceRefused,
)
from tarif.smartcodes.policy import Kind, compile_macro
from tarif.smartcodes.values import (
    EPOCH,
    MICROSECOND,
    MacroContract,
    MacroEvent,
    MacroUsage,
    PriceLine,
    Valuation,
    wire_timestamp,
)
from tarif.smartcodes.worker import HEADER


class MacroVersion(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def source_hash(self) -> str: ...


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


class MacroSource(NamedTuple):
    """A macro not (yet) stored: what `dry_run` and the "check" button run."""

    kind: str
    source: str
    source_hash: str

    @classmethod
    def of(cls, kind: str, source: str) -> MacroSource:
        return cls(kind, source, source_hash(source))


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 1 << 30  # the worker's address space
    cpu_seconds: int = 10  # CPU time per chunk of events (or per pricing)
    wall_seconds: float = 10.0  # wall-clock time per chunk of events (or per pricing)
    chunk_size: int = 10_000  # events sent to the worker at once


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class EventFailure:
    """A failed event in a dry run: the error and where it happened."""

    index: int
    error: MacroFailed


class _WorkerGone(Exception):
    pass


class _Worker:
    """One child process and the macro keys it has loaded."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "PYTHONHASHSEED": "0"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-B",
                "-m",
                "tarif.smartcodes.worker",
                str(limits.memory_bytes),
                str(limits.cpu_seconds),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self.loaded: set[str] = set()

    def call(self, request: tuple[Any, ...], timeout: float) -> Any:
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(HEADER.pack(len(payload)) + payload)
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise _WorkerGone from None
        deadline = time.monotonic() + timeout
        header = self._read(stdout.fileno(), HEADER.size, deadline)
        (size,) = HEADER.unpack(header)
        return pickle.loads(self._read(stdout.fileno(), size, deadline))

    def _read(self, fd: int, size: int, deadline: float) -> bytes:
        parts: list[bytes] = []
        missing = size
        while missing:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise _WorkerGone
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class MacroRunner:
    """Runs macros in one reusable worker process, one request at a time."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._compiled: set[str] = set()

    def worker_pid(self) -> int | None:
        """The worker process's id, if one runs (for measurements)."""
        worker = self._worker
        return worker.process.pid if worker is not None and worker.alive() else None

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def _check_source(self, version: MacroVersion) -> tuple[str, Kind]:
        try:
            kind = Kind(version.kind)
        except ValueError:
            raise SourceRefused([SourceProblem(1, 1, f"unknown kind {version.kind!r}")]) from None
        key = f"{kind.value}:{version.source_hash}"
        if key not in self._compiled:
            compile_macro(version.source, kind)  # raises SourceRefused with every problem
            self._compiled.add(key)
        return key, kind

    def _request(self, action: str, version: MacroVersion, payload: Any, collect: bool) -> Any:
        key, kind = self._check_source(version)
        with self._lock:
            worker = self._worker
            if worker is None or not worker.alive():
                if worker is not None:
                    worker.stop()
                worker = self._worker = _Worker(self.limits)
            source = None if key in worker.loaded else version.source
            request = (action, key, kind.value, source, payload, collect)
            try:
                answer = worker.call(request, self.limits.wall_seconds)
                if answer[0] == "unknown":
                    answer = worker.call(
                        (action, key, kind.value, version.source, payload, collect),
                        self.limits.wall_seconds,
                    )
            except TimeoutError:
                worker.stop()
                self._worker = None
                raise LimitExceeded(
                    f"time limit exceeded: took longer than {self.limits.wall_seconds:g} s"
                ) from None
            except _WorkerGone:
                worker.stop()
                self._worker = None
                raise LimitExceeded(
                    "CPU or memory limit exceeded: the macro's process was stopped"
                ) from None
            worker.loaded.add(key)
            if answer[0] == "failed" and answer[1] == "limit":
                worker.stop()
                self._worker = None
        return answer

    def value_events(
        self, version: MacroVersion, events: Iterable[MacroEvent | Sequence[Any]]
    ) -> list[Valuation]:
        results: list[Valuation] = []
        with collections_paused():
            for offset, chunk in _chunks(events, self.limits.chunk_size):
                answer = self._request("value", version, chunk, False)
                if answer[0] != "ok":
                    raise _failure(answer, offset)
                results.extend(_valuations(answer[1], answer[2]))
        return results

    def dry_run_events(
        self, version: MacroVersion, events: Iterable[MacroEvent | Sequence[Any]]
    ) -> list[Valuation | EventFailure]:
        """Like `value_events`, but a failing event gives its error instead of stopping the run
        (a limit that stops the worker still stops the run)."""
        results: list[Valuation | EventFailure] = []
        for offset, chunk in _chunks(events, self.limits.chunk_size):
            answer = self._request("value", version, chunk, True)
            if answer[0] != "ok":
                raise _failure(answer, offset)
            plain = _valuations(answer[1], {})
            valuations: list[Valuation | EventFailure] = list(plain)
            for position, extra in answer[2].items():
                index = offset + position
                if type(extra) is tuple and extra[0] == "failed":
                    valuations[position] = EventFailure(index, _failure(extra, offset, index))
                else:
                    valuations[position] = Valuation(plain[position].value, MappingProxyType(extra))
            results.extend(valuations)
        return results

    def price_usage(
        self, version: MacroVersion, usage: MacroUsage, contract: MacroContract
    ) -> list[PriceLine]:
        period = usage.period
        payload = (
            (usage.quantity, usage.event_count, dict(usage.groups), period.start, period.end),
            (contract.reference, contract.currency, dict(contract.terms)),
        )
        answer = self._request("price", version, payload, False)
        if answer[0] != "ok":
            raise _failure(answer, 0)
        return [PriceLine(*line) for line in answer[1]]


_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})


def _valuations(values: list[int | str], extras: dict[int, dict[str, Any]]) -> list[Valuation]:
    """Valuations from a worker's answer: the values, and the other fields by index."""
    new, make, no_fields = tuple.__new__, Valuation, _NO_FIELDS
    valuations = [new(make, (Decimal(value), no_fields)) for value in values]
    for position, fields in extras.items():
        valuations[position] = make(valuations[position].value, MappingProxyType(fields))
    return valuations


Columns = tuple[list[int], list[dict[str, Any]], list[Any], list[Any]]


def _chunks(
    events: Iterable[MacroEvent | Sequence[Any]], size: int
) -> Iterable[tuple[int, Columns]]:
    """Events in chunks of `size`, each as four columns (timestamps in microseconds,
    properties, metrics, customers): four lists pickle far cheaper than a tuple per event."""
    stamps: list[int] = []
    props: list[dict[str, Any]] = []
    metrics: list[Any] = []
    customers: list[Any] = []
    offset = 0
    epoch, micro, aware = EPOCH, MICROSECOND, datetime
    for event in events:
        try:
            timestamp, properties, metric, customer = event
        except ValueError:
            timestamp, properties, metric, customer = _padded(event)
        if type(timestamp) is aware and timestamp.tzinfo is not None:
            stamps.append((timestamp - epoch) // micro)  # `wire_timestamp` inlined: hot loop
        else:
            stamps.append(wire_timestamp(timestamp))
        props.append(properties if type(properties) is dict else dict(properties))
        metrics.append(metric)
        customers.append(customer)
        if len(stamps) == size:
            yield offset, (stamps, props, metrics, customers)
            offset += size
            stamps, props, metrics, customers = [], [], [], []
    if stamps:
        yield offset, (stamps, props, metrics, customers)


def _padded(event: Sequence[Any]) -> tuple[Any, ...]:
    values = tuple(event)
    if not 2 <= len(values) <= 4:
        raise ValueError("an event is (timestamp, properties[, metric[, customer]])")
    return values + (None,) * (4 - len(values))


def _failure(answer: tuple[Any, ...], offset: int, index: int | None = None) -> MacroFailed:
    if answer[0] == "source":
        raise SourceRefused([SourceProblem(*p) for p in answer[1]])
    _, failure, message, line, position, field = answer
    if index is None and position is not None:
        index = offset + position
    if failure == "result":
        return ResultRefused(field or "value", message, index)
    if failure == "limit":
        return LimitExceeded(message, line, index)
    return MacroFailed(message, line, index)


_default: MacroRunner | None = None
_default_lock = threading.Lock()


def default_runner() -> MacroRunner:
    """The process's runner (its worker starts on first use and stops at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MacroRunner()
            atexit.register(_default.close)
        return _default


def value_events(
    version: MacroVersion, events: Iterable[MacroEvent | Sequence[Any]]
) -> list[Valuation]:
    """The valuation of each event, in order; the first failure raises (with its index)."""
    return default_runner().value_events(version, events)


def price_usage(
    version: MacroVersion, usage: MacroUsage, contract: MacroContract
) -> list[PriceLine]:
    """The lines a pricing macro asks for the usage of one period of a contract."""
    return default_runner().price_usage(version, usage, contract)
