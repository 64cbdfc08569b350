"""Password hashing with argon2 (the library's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (re-hash at sign-in)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_dummy_hash: str | None = None


def burn_a_verification(password: str) -> None:
    """Spends the time of one verification, so an unknown e-mail answers as slowly as a known
    one with a wrong password and sign-in does not reveal who has an account."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("not anyone's password")
    verify_password(_dummy_hash, password)
