"""Passwords are hashed with argon2id and the library's recommended parameters."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher, profiles
from sqlalchemy.orm import Session

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.tenancy.passwords import hash_password, needs_rehash, verify_password
from tarif.tenancy.rules import Role
from tarif.tenancy.service import authenticate_user, create_user


def test_hash_is_argon2id_with_the_recommended_parameters() -> None:
    hashed = hash_password("correct horse battery")
    # RFC 9106's second recommended option, argon2-cffi's default: 64 MiB, 3 passes, 4 lanes.
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse battery" not in hashed


def test_each_hash_is_salted() -> None:
    assert hash_password("same password") != hash_password("same password")


def test_verify_accepts_only_the_password() -> None:
    hashed = hash_password("correct horse battery")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse batterY")
    assert not verify_password("not a hash", "correct horse battery")


def test_hashes_made_with_other_parameters_need_a_rehash() -> None:
    old = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("correct horse battery")
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("correct horse battery"))
    assert needs_rehash("not a hash")


def test_sign_in_upgrades_an_old_hash(ctx: Ctx, session: Session, clock: FixedClock) -> None:
    email = f"old-{uuid.uuid4().hex[:8]}@example.com"
    user = create_user(ctx, email=email, name="Old", password="correct horse", role=Role.ADMIN)
    user.password_hash = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("correct horse")
    authenticate_user(session, clock, email, "correct horse")
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(user.password_hash, "correct horse")
