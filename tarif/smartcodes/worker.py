"""The worker process that runs macros: `python -m tarif.smartcodes.worker`.

It limits itself first (address space, no new processes, no file writes, no core dumps), then
answers requests read from its standard input: each is one length-prefixed pickle, and so is each
answer. Macros are compiled once per worker and kept by key; a chunk of events is valued in one
tight loop. Before each request the CPU limit is moved to "used so far + budget", so a long-lived
worker gets a fresh CPU budget per chunk; past it the kernel kills the worker (SIGXCPU) and the
parent reports the limit.
"""

from __future__ import annotations

import decimal
import gc
import os
import pickle
import resource
import struct
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, BinaryIO

from tarif.smartcodes.failures import SourceRefused
from tarif.smartcodes.guards import Refused, load_macro
from tarif.smartcodes.policy import FILENAME, Kind, compile_macro
from tarif.smartcodes.values import (
    BadResult,
    MacroContract,
    MacroPeriod,
    MacroUsage,
    WireEvent,
    check_lines,
    check_valuation,
    frozen_mapping,
)

HEADER = struct.Struct(">Q")
RECURSION_LIMIT = 200


def read_message(stream: BinaryIO) -> Any:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    return pickle.loads(stream.read(size))


def write_message(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def limit_self(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def give_cpu_budget(seconds: int) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def macro_line(trace: TracebackType | None) -> int | None:
    """The line of the macro where an exception happened (its innermost frame in the macro)."""
    line = None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def describe(exc: BaseException) -> tuple[str, str, int | None]:
    """(kind of failure, message, line) for an exception raised while a macro ran."""
    line = macro_line(exc.__traceback__)
    if isinstance(exc, Refused):
        return "refused", str(exc), line
    if isinstance(exc, MemoryError):
        return "limit", "memory limit exceeded", line
    if isinstance(exc, RecursionError):
        return "limit", f"recursion deeper than {RECURSION_LIMIT} calls", line
    if isinstance(exc, BadResult):
        return "result", exc.message, None
    message = str(exc)
    return "error", f"{type(exc).__name__}: {message}" if message else type(exc).__name__, line


class Worker:
    def __init__(self) -> None:
        self.macros: dict[str, Callable[..., Any]] = {}

    def macro(self, key: str, kind: str, source: str | None) -> Callable[..., Any]:
        found = self.macros.get(key)
        if found is None:
            if source is None:
                raise LookupError(key)
            found = load_macro(compile_macro(source, Kind(kind)), Kind(kind))
            self.macros[key] = found
        return found

    def handle(self, request: tuple[Any, ...]) -> tuple[Any, ...]:
        action, key, kind, source, payload, collect = request
        try:
            macro = self.macro(key, kind, source)
        except LookupError:
            return ("unknown",)
        except SourceRefused as exc:
            return ("source", [(p.line, p.column, p.message) for p in exc.problems])
        except BaseException as exc:
            failure, message, line = describe(exc)
            return ("failed", failure, f"while loading: {message}", line, None, None)
        decimal.setcontext(decimal.Context())  # the same fresh context for every request
        if action == "value":
            return self.value(macro, payload, collect)
        return self.price(macro, payload)

    def value(
        self, macro: Callable[..., Any], events: list[tuple[Any, ...]], collect: bool
    ) -> tuple[Any, ...]:
        """Values a chunk: the answer is the values (ints as they are, Decimals as text: both far
        cheaper to send than Decimals) and, by index, the other fields of dict results (and,
        when collecting, the failures)."""
        values: list[int | str] = []
        append = values.append
        extras: dict[int, Any] = {}
        new, make, freeze, check = tuple.__new__, WireEvent, frozen_mapping, check_valuation
        index = 0
        gc.disable()  # the loop makes many small objects and no cycles: skip the collector
        try:
            rows = zip(*events, strict=True)
            for index, (timestamp, properties, metric, customer) in enumerate(rows):
                event = new(make, (timestamp, freeze(properties), metric, customer))
                try:
                    result: Any = check(macro(event))
                except (Exception, Refused) as exc:
                    if not collect:
                        raise
                    extras[index] = ("failed", *describe(exc), None, _field(exc))
                    append(0)
                    continue
                kind = type(result)
                if kind is int:
                    append(result)
                    continue
                if kind is tuple:
                    extras[index] = result[1]
                    result = result[0]
                append(str(result))
        except BaseException as exc:
            failure, message, line = describe(exc)
            return ("failed", failure, message, line, index, _field(exc))
        finally:
            gc.enable()
        return ("ok", values, extras)

    def price(self, macro: Callable[..., Any], payload: tuple[Any, ...]) -> tuple[Any, ...]:
        (quantity, event_count, groups, start, end), (reference, currency, terms) = payload
        usage = MacroUsage(quantity, event_count, frozen_mapping(groups), MacroPeriod(start, end))
        contract = MacroContract(reference, currency, frozen_mapping(terms))
        try:
            lines = check_lines(macro(usage, contract), groups)
        except BaseException as exc:
            failure, message, line = describe(exc)
            return ("failed", failure, message, line, None, _field(exc))
        return ("ok", [tuple(line) for line in lines])


def _field(exc: BaseException) -> str | None:
    return exc.field if isinstance(exc, BadResult) else None


def main() -> None:
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 30
    cpu_seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    # Nothing a macro could reach should write to the parent's channel.
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = sys.stderr
    sys.setrecursionlimit(RECURSION_LIMIT + 50)
    worker = Worker()
    limit_self(memory)
    while True:
        request = read_message(requests)
        if request is None:
            return
        give_cpu_budget(cpu_seconds)
        answer = worker.handle(request)
        write_message(answers, answer)
        if answer[0] == "failed" and answer[1] == "limit":
            return  # after a memory or recursion failure, start afresh


if __name__ == "__main__":
    main()
