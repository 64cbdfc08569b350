"""Public identifiers: a readable prefix plus a time-ordered random part (ULID-like).

Ordering by id follows creation order, which gives cursor pagination a stable order. Within one
millisecond a process keeps that promise by incrementing the random part of its previous id
(ULID's "monotonic" mode) instead of drawing a new one.
"""

from __future__ import annotations

import os
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last: tuple[int, int] = (0, 0)  # (milliseconds, random part) of this process's latest id


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_CROCKFORD[rem])
    return "".join(reversed(chars))


def _forget_last() -> None:
    # A forked child must not continue its parent's sequence: both would make the same ids.
    global _last
    _last = (0, 0)


os.register_at_fork(after_in_child=_forget_last)


# Ten bits (two characters) at a time: what `_encode` gives, lower-cased, in a fraction of the
# time (a billing run makes an id for every invoice, line and audit event it writes).
_PAIRS = [(_CROCKFORD[i >> 5] + _CROCKFORD[i & 31]).lower() for i in range(1024)]
_SHIFTS = tuple(range(120, -1, -10))  # 26 characters: 10 for the milliseconds, 16 random


def new_id(prefix: str) -> str:
    return new_ids(prefix, 1)[0]


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` ids, in order, following this process's latest: within the same millisecond (or
    when the system clock stepped back) they count on from its random part, otherwise from a
    new random draw. The clock is read and the lock taken once for all of them (a billing run
    names a chunk's invoices and a draft's lines at once)."""
    if count <= 0:
        return []
    global _last
    millis = time.time_ns() // 1_000_000
    with _lock:
        last_millis, last_random = _last
        if millis <= last_millis and last_random + count < 2**_RANDOM_BITS:
            millis, first = last_millis, last_random + 1
        else:
            # Drawn low enough for the whole batch to follow it within the random part.
            drawn = int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
            first = drawn % (2**_RANDOM_BITS - count)
        _last = (millis, first + count - 1)
    start = (millis << _RANDOM_BITS) | first
    return [
        prefix + "_" + "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])
        for value in range(start, start + count)
    ]
