"""Pausing Python's garbage collections while a batch job builds a large heap.

A billing run keeps hundreds of thousands of objects alive until it ends (contracts, their
versions, charges, drafts, the rows about to be written). The cyclic collector's full
collections walk every one of them again each time the heap has grown by a quarter, so at
100,000 contracts they cost a sixth of the run and more the larger it gets, and free almost
nothing: what the run drops is freed by reference counting. Young collections still run, so
short-lived cycles are freed as usual; the full collections resume when the block ends.

`collections_paused` pauses every automatic collection, young ones too, for a tight loop that
makes hundreds of thousands of small objects and no cycles (a chunk's usage rating, a batch of
SmartCode valuations): a young collection would walk them all again and free nothing.

The collector belongs to the process: blocks in several threads (two runs served at once) share
one pause of each kind, which ends when the last of them ends, whatever the order.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# The number of young-generation collections before a full one: never reached by a run.
_NEVER = 2**30

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


def _pause_full() -> int:
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)
    return full


def _resume_full(full: int) -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, full)


def _pause_all() -> bool:
    enabled = gc.isenabled()
    gc.disable()
    return enabled


def _resume_all(enabled: bool) -> None:
    if enabled:
        gc.enable()


_full = _SharedPause(_pause_full, _resume_full)
_all = _SharedPause(_pause_all, _resume_all)


@contextmanager
def full_collections_paused() -> Iterator[None]:
    """Within the block, the collector makes no automatic full collection (gc.collect() still
    does); when the last block running ends, even on an exception, the full collections'
    threshold is restored as the first block found it."""
    with _full.block():
        yield


@contextmanager
def collections_paused() -> Iterator[None]:
    """Within the block the collector makes no automatic collection at all (gc.collect() still
    does); when the last block running ends, even on an exception, it runs again if it ran
    when the first one began."""
    with _all.block():
        yield
