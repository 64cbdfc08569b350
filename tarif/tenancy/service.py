"""Use cases of tenancy: organizations, users and API keys."""

from __future__ import annotations

import re
import string
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tarif.audit.service import record, snapshot
from tarif.clock import Clock
from tarif.context import Actor, Ctx
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, ErrorCollector, InvalidInput, NotFound, Unauthorized
from tarif.ids import new_id
from tarif.legal_ids import (
    check_country,
    check_siren,
    check_siret,
    check_vat_number,
    vat_country,
)
from tarif.money import RoundingMode, is_known_currency
from tarif.tenancy.documents import DOCUMENT_FIELDS, check_document_settings
from tarif.tenancy.models import DEFAULT_LATE_PENALTY_RATE, ApiKey, Organization, User
from tarif.tenancy.passwords import (
    MIN_PASSWORD_LENGTH,
    burn_a_verification,
    hash_password,
    needs_rehash,
    verify_password,
)
from tarif.tenancy.rules import (
    Permission,
    Role,
    check_auto_finalize_hours,
    hash_api_key,
    new_api_key,
    visible_prefix,
)
from tarif.usage.org_settings import USAGE_SETTING_DEFAULTS, check_usage_settings

LOCALES = ("fr", "en")

ORGANIZATION_FIELDS = (
    "legal_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "siren",
    "siret",
    "vat_number",
    "default_currency",
    "locale",
    "timezone",
    "invoice_number_format",
    "credit_note_number_format",
    "rounding_mode",
    "auto_finalize_after_hours",
    "future_event_tolerance_seconds",
    "late_usage_policy",
    "finalize_zero_usage_invoices",
    *DOCUMENT_FIELDS,
)


NUMBER_FIELDS = ("year", "month", "seq")
_NUMBER_SPEC = re.compile(r"0?[1-9]?d?")  # "", "d", "06d", "2d": digits, padded at most to 9


def _check_number_format(fmt: str) -> None:
    """A document number format such as `F-{year}-{seq:06d}`: only {year}, {month} and {seq},
    integer specs only, so a setting can neither reach attributes nor build huge strings."""
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise ValueError(f"invalid number format: {exc}") from exc
    names = set()
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in NUMBER_FIELDS:
            raise ValueError(f"unknown placeholder {{{name}}}: use {{year}}, {{month}}, {{seq}}")
        if conversion or not _NUMBER_SPEC.fullmatch(spec or ""):
            raise ValueError(f"unsupported format for {{{name}}}: write e.g. {{seq:06d}}")
        names.add(name)
    if "seq" not in names:
        raise ValueError("the format needs a {seq} placeholder, e.g. F-{year}-{seq:06d}")


def validate_organization_fields(
    values: dict[str, Any], current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Normalizes organization settings; raises InvalidInput naming every bad field.

    `current` holds the organization's present values, so a change of one field is checked
    against the others (a new SIRET against the SIREN already on file).
    """
    errors = ErrorCollector()
    out = dict(values)
    # Codes are matched case-insensitively but stored in their canonical case.
    for name, normalize in (("default_currency", str.upper), ("locale", str.lower)):
        if isinstance(out.get(name), str):
            out[name] = normalize(out[name].strip())
    for name in ("legal_name", "timezone"):
        if isinstance(out.get(name), str):
            out[name] = out[name].strip()

    def check(name: str, fn: Any) -> None:
        if name not in out:
            return
        if out[name] in (None, ""):
            out[name] = None
            return
        try:
            out[name] = fn(out[name])
        except ValueError as exc:
            errors.add(name, str(exc))

    if "legal_name" in out and not (out["legal_name"] or "").strip():
        errors.add("legal_name", "is required")
    if "country" in out and not out["country"]:
        errors.add("country", "is required")  # the column is NOT NULL: an empty value is refused
    check("country", check_country)
    check("siren", check_siren)
    check("siret", check_siret)
    check("vat_number", check_vat_number)
    check("auto_finalize_after_hours", check_auto_finalize_hours)
    check_usage_settings(out, errors)
    check_document_settings(out, errors)
    # Cross-checks on the values the organization will have, blamed on the field being set.
    effective = {**(current or {}), **out}
    siren, siret, vat = effective.get("siren"), effective.get("siret"), effective.get("vat_number")
    bad = {e.field for e in errors.errors}
    touched = set(out)  # only a pair being changed is checked; stored values stand as they are
    if (
        siren
        and siret
        and touched & {"siren", "siret"}
        and not bad & {"siren", "siret"}
        and not siret.startswith(siren)
    ):
        errors.add("siret" if "siret" in out else "siren", "SIRET and SIREN do not match")
    if (
        siren
        and vat
        and touched & {"siren", "vat_number"}
        and not bad & {"siren", "vat_number"}
        and vat_country(vat) == "FR"
        and vat[-9:] != siren
    ):
        # A French VAT number is FR, a two-character key, then the SIREN.
        errors.add(
            "vat_number" if "vat_number" in out else "siren", "VAT number and SIREN do not match"
        )
    if "default_currency" in out and not is_known_currency(str(out["default_currency"])):
        errors.add("default_currency", f"unknown ISO 4217 currency '{out['default_currency']}'")
    if "locale" in out and out["locale"] not in LOCALES:
        errors.add("locale", "must be 'fr' or 'en'")
    if "timezone" in out:
        try:
            zoneinfo.ZoneInfo(str(out["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors.add("timezone", f"unknown time zone '{out['timezone']}'")
    if "rounding_mode" in out and out["rounding_mode"] not in {m.value for m in RoundingMode}:
        errors.add("rounding_mode", "must be HALF_UP or HALF_EVEN")
    for name in ("invoice_number_format", "credit_note_number_format"):
        if name in out:
            try:
                _check_number_format(str(out[name]))
            except ValueError as exc:
                errors.add(name, str(exc))
    errors.raise_if_any()
    return out


@dataclass(frozen=True)
class IssuedKey:
    """An API key as issued: `secret` exists only in this value, never in the database."""

    api_key: ApiKey
    secret: str


def create_organization(
    session: Session, clock: Clock, legal_name: str, **fields: Any
) -> tuple[Organization, IssuedKey]:
    values = validate_organization_fields({"legal_name": legal_name, **fields})
    now = clock.now()
    org = Organization(id=new_id("org"), created_at=now, updated_at=now)
    defaults = {
        "country": "FR",
        "default_currency": "EUR",
        "locale": "fr",
        "timezone": "Europe/Paris",
        "invoice_number_format": "F-{year}-{seq:06d}",
        "credit_note_number_format": "AV-{year}-{seq:06d}",
        "rounding_mode": "HALF_UP",
        "late_penalty_rate": DEFAULT_LATE_PENALTY_RATE,
        **USAGE_SETTING_DEFAULTS,
    }
    for name in ORGANIZATION_FIELDS:
        value = values.get(name)
        setattr(org, name, value if value is not None else defaults.get(name))
    session.add(org)
    session.flush()
    ctx = Ctx(session, org.id, Actor.system(), clock)
    record(ctx, "create", "organization", org.id, after=snapshot(org))
    issued = create_api_key(ctx, name="Initial admin key", role=Role.ADMIN)
    return org, issued


def get_organization(ctx: Ctx) -> Organization:
    org = ctx.session.get(Organization, ctx.organization_id)
    if org is None:
        raise NotFound("organization not found")
    return org


def update_organization(ctx: Ctx, changes: dict[str, Any]) -> Organization:
    ctx.require(Permission.MANAGE_SETTINGS)
    org = get_organization(ctx)
    before = snapshot(org)
    values = validate_organization_fields(changes, current=before)
    for name, value in values.items():
        if name in ORGANIZATION_FIELDS:
            setattr(org, name, value)
    org.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "update", "organization", org.id, before, snapshot(org))
    if org.auto_finalize_after_hours and (
        org.auto_finalize_after_hours != before.get("auto_finalize_after_hours")
    ):
        # The drafts already waiting get the worker's finalization at the new delay.
        from tarif.invoicing.finalize_jobs import schedule_waiting

        schedule_waiting(ctx)
    return org


# --- users -----------------------------------------------------------------------------------


def create_user(
    ctx: Ctx, *, email: str, name: str, password: str, role: Role, locale: str | None = None
) -> User:
    ctx.require(Permission.MANAGE_USERS)
    errors = ErrorCollector()
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        errors.add("email", "is not an e-mail address")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.add("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")
    if locale is not None and locale not in LOCALES:
        errors.add("locale", "must be 'fr' or 'en'")
    if not name.strip():
        errors.add("name", "is required")
    errors.raise_if_any()
    if ctx.session.scalars(select(User).where(User.email == email)).first() is not None:
        raise Conflict("a user with this e-mail already exists")
    now = ctx.clock.now()
    user = User(
        id=new_id("usr"),
        organization_id=ctx.organization_id,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=Role(role).value,
        locale=locale,
        active=True,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(user)
    ctx.session.flush()
    record(ctx, "create", "user", user.id, after=snapshot(user))
    return user


def list_users(ctx: Ctx) -> list[User]:
    return list(ctx.session.scalars(scoped(User, ctx.organization_id).order_by(User.id)))


def page_users(ctx: Ctx, page: PageRequest) -> Page[User]:
    """Users a page at a time, in creation order (`GET /v1/users`, `tarif users list`); `q`
    matches e-mail and name."""
    return paginate(
        ctx.session, scoped(User, ctx.organization_id), User, page, (User.email, User.name)
    )


def authenticate_user(session: Session, clock: Clock, email: str, password: str) -> User:
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        burn_a_verification(password)
        raise Unauthorized("wrong e-mail or password")
    if not verify_password(user.password_hash, password) or not user.active:
        raise Unauthorized("wrong e-mail or password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    return user


def actor_for_user(user: User) -> Actor:
    return Actor(kind="user", id=user.id, label=user.email, role=Role(user.role))


# --- API keys --------------------------------------------------------------------------------


def create_api_key(ctx: Ctx, *, name: str, role: Role = Role.ADMIN) -> IssuedKey:
    ctx.require(Permission.MANAGE_KEYS)
    if not name.strip():
        raise InvalidInput.on("name", "is required")
    secret = new_api_key()
    now = ctx.clock.now()
    key = ApiKey(
        id=new_id("key"),
        organization_id=ctx.organization_id,
        name=name.strip(),
        prefix=visible_prefix(secret),
        key_hash=hash_api_key(secret),
        role=Role(role).value,
        created_at=now,
        updated_at=now,
        created_by=ctx.actor.label,
    )
    ctx.session.add(key)
    ctx.session.flush()
    record(ctx, "create", "api_key", key.id, after=snapshot(key))
    return IssuedKey(key, secret)


def list_api_keys(ctx: Ctx) -> list[ApiKey]:
    return list(ctx.session.scalars(scoped(ApiKey, ctx.organization_id).order_by(ApiKey.id)))


def page_api_keys(ctx: Ctx, page: PageRequest) -> Page[ApiKey]:
    """API keys a page at a time, revoked ones included (`GET /v1/api-keys`, `tarif keys
    list`); `q` matches name and prefix."""
    stmt = scoped(ApiKey, ctx.organization_id)
    return paginate(ctx.session, stmt, ApiKey, page, (ApiKey.name, ApiKey.prefix))


def revoke_api_key(ctx: Ctx, key_id: str) -> ApiKey:
    ctx.require(Permission.MANAGE_KEYS)
    key: ApiKey = get_scoped(ctx.session, ApiKey, ctx.organization_id, key_id)
    if key.revoked_at is None:
        before = snapshot(key)
        key.revoked_at = key.updated_at = ctx.clock.now()
        record(ctx, "revoke", "api_key", key.id, before, snapshot(key))
    return key


def find_api_key(session: Session, secret: str) -> tuple[ApiKey, Actor]:
    """The key behind a bearer secret, read only. Revoked and unknown keys are refused alike."""
    key = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_api_key(secret))).first()
    if key is None or key.revoked_at is not None:
        raise Unauthorized("invalid or revoked API key")
    return key, Actor(kind="api_key", id=key.id, label=f"key {key.prefix}…", role=Role(key.role))


def key_use_due(key: ApiKey, now: datetime) -> bool:
    """Whether the key's last use is worth writing: at most once a minute, so busy keys do not
    turn every read into a write."""
    return key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60


def record_key_use(session: Session, key_id: str, now: datetime) -> None:
    """Marks a key used, by the caller's session (its own short transaction: the request's
    may be rolled back)."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
