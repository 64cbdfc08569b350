"""Pure tenancy rules: key generation, hashing and the visible prefix."""

from __future__ import annotations

import hashlib

from tarif.tenancy.rules import hash_api_key, new_api_key, visible_prefix


def test_keys_carry_256_random_bits_after_their_prefix() -> None:
    key = new_api_key()
    assert key.startswith("tk_")
    # 32 random bytes in URL-safe base64 without padding: ceil(32 × 4 / 3) = 43 characters.
    assert len(key) == 3 + 43
    assert new_api_key() != key


def test_hash_is_sha256_hex() -> None:
    assert hash_api_key("tk_abc") == hashlib.sha256(b"tk_abc").hexdigest()
    assert len(hash_api_key("tk_abc")) == 64


def test_visible_prefix_is_tk_and_eight_characters() -> None:
    assert visible_prefix("tk_ABCDEFGHijklmnop") == "tk_ABCDEFGH"
