"""Pausing Python's full garbage collections while a batch job builds a large heap.

A billing run keeps hundreds of thousands of objects alive until it ends (contracts, their
versions, charges, drafts, the rows about to be written). The cyclic collector's full
collections walk every one of them again each time the heap has grown by a quarter, so at
100,000 contracts they cost a sixth of the run and more the larger it gets, and free almost
nothing: what the run drops is freed by reference counting. Young collections still run, so
short-lived cycles are freed as usual; the full collections resume when the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# The number of young-generation collections before a full one: never reached by a run.
_NEVER = 2**30


@contextmanager
def full_collections_paused() -> Iterator[None]:
    """Within the block, the collector makes no automatic full collection (gc.collect() still
    does); the thresholds are restored as they were when it ends, even on an exception."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)
