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
from collections.abc import Iterator
from contextlib import contextmanager

# The number of young-generation collections before a full one: never reached by a run.
_NEVER = 2**30

_lock = threading.Lock()
_open = 0  # blocks running now, in every thread
_full_threshold = 10  # the threshold the first block found, restored by the last one


@contextmanager
def full_collections_paused() -> Iterator[None]:
    """Within the block, the collector makes no automatic full collection (gc.collect() still
    does); when the last block running ends, even on an exception, the full collections'
    threshold is restored as the first block found it."""
    global _open, _full_threshold
    with _lock:
        if _open == 0:
            young, middle, _full_threshold = gc.get_threshold()
            gc.set_threshold(young, middle, _NEVER)
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0:
                young, middle, _ = gc.get_threshold()
                gc.set_threshold(young, middle, _full_threshold)


_paused = 0  # `collections_paused` blocks running now, in every thread
_was_enabled = True  # whether the collector ran when the first of them began


@contextmanager
def collections_paused() -> Iterator[None]:
    """Within the block the collector makes no automatic collection at all (gc.collect() still
    does); when the last block running ends, even on an exception, it runs again if it ran
    when the first one began."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
