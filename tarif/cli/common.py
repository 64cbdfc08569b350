"""What every CLI command shares: the organization's unit of work, output and one-line errors."""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar, overload

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from tarif.clock import SystemClock
from tarif.config import Settings
from tarif.context import Actor, Ctx
from tarif.db.repository import Page
from tarif.db.session import engine_for, session_factory
from tarif.errors import TarifError
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Role

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

OrgOption = typer.Option(
    None, "--org", envvar="TARIF_ORG", help="Organization id (default: the only one there is)"
)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")
# The `updated_since` every `GET /v1/…` list takes; read with `parse_instant`.
UpdatedSinceOption = typer.Option(
    None,
    "--updated-since",
    help="Only what changed at or after this instant (RFC 3339; no offset: UTC)",
)


def fail(message: str, code: int = 1) -> None:
    """One line on stderr and a non-zero exit: scripts can rely on both."""
    # Text, not markup: a message quoting user input ("Acme [EU]") must print as written.
    one_line = " ".join(message.split())
    err_console.print(Text.assemble(("error:", "red"), " ", one_line), soft_wrap=True)
    raise typer.Exit(code)


def one_line_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TarifError as exc:
            fail(exc.detail)
        except ValueError as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            # Typically a database that is not reachable or not migrated yet.
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            fail(f"database error: {reason} (is the database up and `tarif db upgrade` done?)")

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    return Settings.from_env()


def factory() -> Any:
    return session_factory(engine_for(settings().database_url))


def _resolve_org(session: Any, org: str | None) -> str:
    if org:
        if session.get(Organization, org) is None:
            fail(f"organization '{org}' not found")
        return org
    ids = list(session.scalars(select(Organization.id).limit(2)))
    if len(ids) == 1:
        return str(ids[0])
    if not ids:
        fail("no organization yet: run `tarif demo load` or `tarif orgs create NAME`")
    fail("several organizations exist: pass --org ID (or set TARIF_ORG)")
    raise AssertionError  # unreachable: fail() exits


@contextmanager
def cli_ctx(org: str | None) -> Iterator[Ctx]:
    """One command, one transaction; the command calls `ctx.session.commit()` when done."""
    session = factory()()
    try:
        organization_id = _resolve_org(session, org)
        actor = Actor(kind="cli", id=None, label=f"cli:{_os_user()}", role=Role.ADMIN)
        yield Ctx(session, organization_id, actor, SystemClock())
    finally:
        # Detached as loaded, not expired by the rollback: what the command read stays readable
        # once the session is gone (a list prints its next cursor after the block).
        session.expunge_all()
        session.rollback()
        session.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def to_plain(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_table(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> None:
    table = Table(title=title)
    for col in columns:
        # Ids are copied into the next command: never split across lines.
        table.add_column(col, no_wrap=col == "id" or col.endswith("_id"))
    for row in rows:
        table.add_row(*(Text("" if row.get(c) is None else str(row.get(c))) for c in columns))
    console.print(table)


def print_record(data: dict[str, Any]) -> None:
    table = Table(show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in data.items():
        shown = (
            ""
            if value is None
            else json.dumps(value, ensure_ascii=False)
            if isinstance(value, dict | list)
            else str(value)
        )
        table.add_row(key, Text(shown))
    console.print(table)


def say(message: str) -> None:
    """A line on stdout that may quote user data: printed as is, never read as Rich markup."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def say_next_page(page: Page[Any]) -> None:
    """After a table, how to ask for the next page (list commands share one cursor option)."""
    if page.has_more:
        say(f"more: --starting-after {page.next_cursor}")


@overload
def parse_day(text: str, option: str) -> date: ...
@overload
def parse_day(text: None, option: str) -> None: ...
def parse_day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value; a bad one is the usual one-line error naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option}: expected a date YYYY-MM-DD, got '{text}'")
        raise AssertionError from None  # unreachable: fail() exits


@overload
def parse_instant(text: str, option: str) -> datetime: ...
@overload
def parse_instant(text: None, option: str) -> None: ...
def parse_instant(text: str | None, option: str) -> datetime | None:
    """An RFC 3339 instant option (`2026-01-31T23:30:00Z`; a date alone is its midnight), read
    as the API reads `updated_since`: without an offset, UTC. A bad one is the usual one-line
    error naming the option, like `parse_day`."""
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option}: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), got '{text}'")
        raise AssertionError from None  # unreachable: fail() exits
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
