"""Public ids: prefixed, time-ordered, unique, in creation order even within a millisecond."""

from __future__ import annotations

import re

from tarif.ids import new_id


def test_ids_are_prefixed_lowercase_crockford() -> None:
    value = new_id("cus")
    # prefix + "_" + 10 characters of milliseconds + 16 of randomness.
    assert re.fullmatch(r"cus_[0-9a-hjkmnp-tv-z]{26}", value)


def test_ids_follow_creation_order_within_one_millisecond() -> None:
    ids = [new_id("aud") for _ in range(2000)]  # thousands per millisecond on this machine
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
