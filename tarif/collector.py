"""Pausing Python's garbage collections while a batch job builds a large heap.

A billing run keeps hundreds of thousands of objects alive until it ends (contracts, their
versions, charges, drafts, the rows about to be written), and so does a chunk's usage rating or
a batch of SmartCode valuations. The cyclic collector walks them again and again (its full
collections every time the heap has grown by a quarter, its young ones every 700 new
containers) and frees almost nothing: these jobs make no reference cycles, what they drop is
freed by reference counting. Measured on the billing run: at 30,000 contracts, 9.0–9.4 s with
every collection paused against 9.9–10.4 s with the full ones only, and the same peak memory.

`collections_paused` pauses every automatic collection for the block; the collector runs again
when it ends. The collector belongs to the process: blocks in several threads (two runs served
at once) share one pause, which ends when the last of them ends, whatever the order.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()


class _SharedPause:
    """A change to the collector shared by the blocks running in every thread: the first to
    begin makes it (`begin` returns what to restore), the last to end undoes it (`end`)."""

    def __init__(self, begin: Callable[[], Any], end: Callable[[Any], None]) -> None:
        self._begin, self._end = begin, end
        self._open = 0  # blocks running now
        self._saved: Any = None  # what the first block found, restored by the last one

    @contextmanager
    def block(self) -> Iterator[None]:
        with _lock:
            if self._open == 0:
                self._saved = self._begin()
            self._open += 1
        try:
            yield
        finally:
            with _lock:
                self._open -= 1
                if self._open == 0:
                    self._end(self._saved)


def _pause_all() -> bool:
    enabled = gc.isenabled()
    gc.disable()
    return enabled


def _resume_all(enabled: bool) -> None:
    if enabled:
        gc.enable()


_all = _SharedPause(_pause_all, _resume_all)


@contextmanager
def collections_paused() -> Iterator[None]:
    """Within the block the collector makes no automatic collection at all (gc.collect() still
    does); when the last block running ends, even on an exception, it runs again if it ran
    when the first one began."""
    with _all.block():
        yield
