"""Pure tenancy rules: roles and what each may do, secret generation and hashing."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FINANCE = "finance"
    SALES = "sales"
    READ_ONLY = "read_only"


class Permission(StrEnum):
    READ = "read:data"
    WRITE_CUSTOMERS = "write:customers"
    WRITE_CATALOG = "write:catalog"
    WRITE_BILLING = "write:billing"
    MANAGE_SETTINGS = "manage:settings"
    MANAGE_USERS = "manage:users"
    MANAGE_KEYS = "manage:api keys"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.FINANCE: frozenset(
        {
            Permission.READ,
            Permission.WRITE_CUSTOMERS,
            Permission.WRITE_CATALOG,
            Permission.WRITE_BILLING,
        }
    ),
    # Sales owns the customer relationship (and later the CRM) but not prices or billing.
    Role.SALES: frozenset({Permission.READ, Permission.WRITE_CUSTOMERS}),
    Role.READ_ONLY: frozenset({Permission.READ}),
}


def can(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]


API_KEY_PREFIX = "tk_"
VISIBLE_PREFIX_LENGTH = 11  # "tk_" + 8 characters, enough to tell keys apart in a list


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is safe and keeps lookups O(1) per request.
    return hashlib.sha256(key.encode()).hexdigest()


def visible_prefix(key: str) -> str:
    return key[:VISIBLE_PREFIX_LENGTH]


# Auto-finalization of draft invoices: at most a year after a draft was made.
MAX_AUTO_FINALIZE_HOURS = 8760


def check_auto_finalize_hours(value: object) -> int:
    """Hours after which drafts are finalized: a whole number from 0 to a year (8760)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number of hours")
    try:
        hours = int(str(value).strip()) if isinstance(value, str) else value
    except ValueError as exc:
        raise ValueError("must be a whole number of hours") from exc
    if not isinstance(hours, int):
        raise ValueError("must be a whole number of hours")
    if not 0 <= hours <= MAX_AUTO_FINALIZE_HOURS:
        raise ValueError(f"must be between 0 and {MAX_AUTO_FINALIZE_HOURS} hours")
    return hours
