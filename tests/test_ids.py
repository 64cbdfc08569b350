"""Public ids: prefixed, time-ordered, unique, in creation order even within a millisecond."""

from __future__ import annotations

import re

import pytest

from tarif.ids import new_id, new_ids


def test_ids_are_prefixed_lowercase_crockford() -> None:
    value = new_id("cus")
    # prefix + "_" + 10 characters of milliseconds + 16 of randomness.
    assert re.fullmatch(r"cus_[0-9a-hjkmnp-tv-z]{26}", value)


def test_ids_follow_creation_order_within_one_millisecond() -> None:
    ids = [new_id("aud") for _ in range(2000)]  # thousands per millisecond on this machine
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_a_batch_of_ids_follows_and_precedes_single_ones() -> None:
    before = new_id("inl")
    batch = new_ids("inl", 500)
    after = new_id("inl")
    made = [before, *batch, after]
    assert made == sorted(made)
    assert len(set(made)) == 502
    assert all(re.fullmatch(r"inl_[0-9a-hjkmnp-tv-z]{26}", value) for value in batch)
    assert new_ids("inl", 0) == []


def test_a_batch_fits_in_the_random_part_whatever_is_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    import tarif.ids as ids

    monkeypatch.setattr(ids, "_last", (0, 0))
    # Drawn 2**80 - 4, just below the top: 2**80 - 4 < 2**80 - 3 (the room a batch of 3
    # needs), so the batch takes 2**80 - 4, - 3 and - 2 and its last id is in range.
    monkeypatch.setattr(ids.os, "urandom", lambda n: b"\xff" * (n - 1) + b"\xfc")
    batch = new_ids("inv", 3)
    assert ids._last[1] == 2**80 - 2
    # The largest draw, 2**80 - 1, would overflow: it wraps to (2**80 - 1) mod (2**80 - 3) = 2.
    monkeypatch.setattr(ids, "_last", (0, 0))
    monkeypatch.setattr(ids.os, "urandom", lambda n: b"\xff" * n)
    wrapped = new_ids("inv", 3)
    assert ids._last[1] == 4
    assert batch == sorted(batch) and wrapped == sorted(wrapped) and len(set(batch)) == 3
