"""`tarif orgs|users|keys …`"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import select

from tarif.api.schemas import parse
from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
    factory,
    one_line_errors,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
    say_next_page,
    to_plain,
)
from tarif.clock import SystemClock
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.tenancy import service
from tarif.tenancy.documents import set_logo
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Role
from tarif.tenancy.schemas import ApiKeyRead, OrganizationRead, OrganizationUpdate, UserRead

orgs_app = typer.Typer(no_args_is_help=True)
users_app = typer.Typer(no_args_is_help=True)
keys_app = typer.Typer(no_args_is_help=True)

LimitOption = typer.Option(50, min=1, max=100, help="Page size")
AfterOption = typer.Option(None, "--starting-after", help="Continue after this id")


@orgs_app.command("create")
@one_line_errors
def create_org(
    name: str = typer.Argument(..., help="Legal name"),
    currency: str = typer.Option("EUR", help="Default currency (ISO 4217)"),
    locale: str = typer.Option("fr", help="fr or en"),
    country: str = typer.Option("FR"),
    timezone: str = typer.Option("Europe/Paris"),
    siren: str = typer.Option(None),
    vat_number: str = typer.Option(None),
) -> None:
    """Create an organization; the last line printed is its first API key (admin)."""
    with factory()() as session:
        org, issued = service.create_organization(
            session,
            SystemClock(),
            name,
            default_currency=currency,
            locale=locale,
            country=country,
            timezone=timezone,
            siren=siren,
            vat_number=vat_number,
        )
        session.commit()
    say(f"organization {org.id} created: {org.legal_name}")
    say("API key (shown once, keep it safe):")
    print(issued.secret)


@orgs_app.command("list")
@one_line_errors
def list_orgs(as_json: bool = JsonOption) -> None:
    with factory()() as session:
        orgs = [
            to_plain(OrganizationRead.model_validate(o))
            for o in session.scalars(select(Organization).order_by(Organization.id))
        ]
    if as_json:
        print_json(orgs)
    else:
        print_table(orgs, ["id", "legal_name", "default_currency", "locale", "timezone"])


@orgs_app.command("update")
@one_line_errors
def update_org(
    settings: list[str] = typer.Option(
        None,
        "--set",
        help="NAME=VALUE, repeatable: late_penalty_rate=12.15, rcs='RCS Lyon 732 829 320', "
        "auto_finalize_after_hours=24, NAME= clears it (see `tarif orgs show` for the names)",
    ),
    logo: Path = typer.Option(None, "--logo", help="A PNG, JPEG or SVG file printed on documents"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change organization settings (legal identity, numbering, documents, finalization)."""
    changes: dict[str, str | None] = {}
    for item in settings or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput.on("--set", f"expected NAME=VALUE, got {item!r}")
        changes[name.strip()] = value if value != "" else None
    with cli_ctx(org) as ctx:
        body = parse(OrganizationUpdate, changes)
        updated = service.update_organization(ctx, body.model_dump(exclude_unset=True))
        if logo is not None:
            updated = set_logo(ctx, logo.read_bytes())
        data = to_plain(OrganizationRead.model_validate(updated))
        ctx.session.commit()
    print_json(data) if as_json else print_record(data)


@orgs_app.command("show")
@one_line_errors
def show_org(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    with cli_ctx(org) as ctx:
        data = to_plain(OrganizationRead.model_validate(service.get_organization(ctx)))
    print_json(data) if as_json else print_record(data)


@users_app.command("create")
@one_line_errors
def create_user(
    email: str = typer.Option(..., help="Login e-mail"),
    name: str = typer.Option(..., help="Full name"),
    role: Role = typer.Option(Role.READ_ONLY, help="admin, finance, sales or read_only"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="TARIF_PASSWORD"
    ),
    locale: str = typer.Option(None, help="fr or en (default: the organization's)"),
    org: str = OrgOption,
) -> None:
    with cli_ctx(org) as ctx:
        user = service.create_user(
            ctx, email=email, name=name, password=password, role=role, locale=locale
        )
        ctx.session.commit()
    say(f"user {user.id} created: {user.email} ({user.role})")


@users_app.command("list")
@one_line_errors
def list_users(
    q: str = typer.Option(None, "--q", "-q", help="Search e-mail and name"),
    updated_since: str = UpdatedSinceOption,
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Back-office users, in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.page_users(
            ctx, PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q)
        )
        users = [to_plain(UserRead.model_validate(u)) for u in page.items]
    if as_json:
        print_json(users)
        return
    print_table(users, ["id", "email", "name", "role", "active"])
    say_next_page(page)


@keys_app.command("create")
@one_line_errors
def create_key(
    name: str = typer.Argument(...),
    role: Role = typer.Option(Role.ADMIN),
    org: str = OrgOption,
) -> None:
    """Create an API key; the last line printed is the key itself (shown once)."""
    with cli_ctx(org) as ctx:
        issued = service.create_api_key(ctx, name=name, role=role)
        ctx.session.commit()
    say(f"API key {issued.api_key.id} ({issued.api_key.role}) created:")
    print(issued.secret)


@keys_app.command("list")
@one_line_errors
def list_keys(
    q: str = typer.Option(None, "--q", "-q", help="Search name and prefix"),
    updated_since: str = UpdatedSinceOption,
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """API keys, revoked ones included, in creation order (never their secrets)."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.page_api_keys(
            ctx, PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q)
        )
        keys = [to_plain(ApiKeyRead.model_validate(k)) for k in page.items]
    if as_json:
        print_json(keys)
        return
    print_table(keys, ["id", "name", "prefix", "role", "last_used_at", "revoked_at"])
    say_next_page(page)


@keys_app.command("revoke")
@one_line_errors
def revoke_key(key_id: str, org: str = OrgOption) -> None:
    with cli_ctx(org) as ctx:
        service.revoke_api_key(ctx, key_id)
        ctx.session.commit()
    say(f"API key {key_id} revoked")
