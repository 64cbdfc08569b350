"""`tarif events send|list|show|import`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import or_, select

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    fail,
    one_line_errors,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
)
from tarif.contracts.service_contracts import find_contract
from tarif.customers.models import Customer
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.usage import event_import, event_reads
from tarif.usage.event_rules import Status, parse_event
from tarif.usage.event_schemas import EventRead
from tarif.usage.ingest import dumps, ingest, loads
from tarif.usage.models import Metric

app = typer.Typer(no_args_is_help=True)

EVENT_COLUMNS = ["id", "transaction_id", "metric", "timestamp", "local_date", "value", "late"]


@app.command("send")
@one_line_errors
def send(
    transaction_id: str = typer.Option(..., "--transaction-id", help="Unique per organization"),
    metric: str = typer.Option(..., "--metric", help="The metric's code"),
    customer: str = typer.Option(None, "--customer", help="The customer's external id"),
    contract: str = typer.Option(None, "--contract", help="A contract's id or reference"),
    timestamp: str = typer.Option(
        None, "--timestamp", help="RFC 3339 instant, e.g. 2026-01-31T23:30:00Z (default: now)"
    ),
    prop: list[str] = typer.Option(
        None,
        "--prop",
        help=(
            "NAME=VALUE, repeatable: a property (e.g. tokens=12.5). A VALUE written as a JSON "
            "integer or decimal (61, -2, 12.50) is sent as that exact number; anything else "
            "(007, 1e3, 12,5, abc) as text"
        ),
    ),
    properties: str = typer.Option(None, "--properties", help="The properties as a JSON object"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Send one usage event (as `POST /v1/events` does)."""
    props: dict[str, Any] = {}
    if properties:
        try:
            props = loads(properties)
        except ValueError:
            raise InvalidInput.on("--properties", "is not valid JSON") from None
        if not isinstance(props, dict):
            raise InvalidInput.on("--properties", "must be a JSON object")
    for item in prop or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput.on("--prop", f"expected NAME=VALUE, got {item!r}")
        props[name.strip()] = prop_value(value)
    with cli_ctx(org) as ctx:
        event: dict[str, Any] = {
            "transaction_id": transaction_id,
            "metric": metric,
            "timestamp": timestamp or ctx.clock.now().isoformat(),
            "properties": props,
        }
        if customer:
            event["customer"] = customer
        if contract:
            event["contract"] = contract
        parsed = parse_event(0, event, dumps)
        outcome = ingest(ctx, [parsed]).outcomes[0]
        if outcome.status is Status.REJECTED:
            fail(f"refused: {outcome.field}: {outcome.detail}")
        ctx.session.commit()
        stored = event_reads.get_by_key(ctx, "", transaction_id.strip())
        data = EventRead.of(stored, outcome.status.value).model_dump(mode="json")
    print_json(data) if as_json else print_record(data)


# A JSON integer or decimal, no exponent: "007" is not a JSON number and stays text (an id, a
# code), and "1e3" stays text so a value is never read as something it does not spell out.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def prop_value(text: str) -> int | Decimal | str:
    """A `--prop` value as `POST /v1/events` would get it in JSON: a number as an exact `int`
    or `Decimal` (never a float), so a SmartCode can compute with it; anything else as text."""
    if not _NUMBER.fullmatch(text):
        return text
    try:
        return Decimal(text) if "." in text else int(text)
    except ValueError:  # an integer too long for Python to read: kept as written
        return text


@app.command("list")
@one_line_errors
def list_events(
    customer: str = typer.Option(None, "--customer", help="A customer's id or external id"),
    contract: str = typer.Option(None, "--contract", help="A contract's id or reference"),
    metric: str = typer.Option(None, "--metric", help="A metric's code"),
    since_text: str = typer.Option(None, "--from", help="Timestamp at or after (RFC 3339)"),
    until_text: str = typer.Option(None, "--to", help="Timestamp before (RFC 3339)"),
    late: bool = typer.Option(
        None, "--late/--not-late", help="Late events only, or on-time events only"
    ),
    q: str = typer.Option(None, "--q", "-q", help="Search the transaction id"),
    received_since: str = typer.Option(
        None,
        "--updated-since",
        help="Only events received at or after this instant (RFC 3339; no offset: UTC)",
    ),
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Stored usage events in arrival order."""
    since, until = _instant(since_text, "--from"), _instant(until_text, "--to")
    received = parse_instant(received_since, "--updated-since")
    with cli_ctx(org) as ctx:
        contract_id = find_contract(ctx, contract).id if contract else None
        customer_id = None
        if customer:
            customer_id = ctx.session.scalar(
                select(Customer.id).where(
                    Customer.organization_id == ctx.organization_id,
                    or_(Customer.id == customer, Customer.external_id == customer),
                )
            )
            if customer_id is None:
                fail(f"customer '{customer}' not found")
        if metric and not ctx.session.scalar(
            select(Metric.id).where(
                Metric.organization_id == ctx.organization_id, Metric.code == metric
            )
        ):
            fail(f"metric '{metric}' not found")
        page = event_reads.list_events(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=received, q=q),
            event_reads.EventFilters(
                customer_id,
                metric,
                _utc(since),
                _utc(until),
                late,
                contract_id=contract_id,
            ),
        )
        rows = [EventRead.of(e).model_dump(mode="json") for e in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, EVENT_COLUMNS)
    if page.has_more:
        say(f"more: --starting-after {page.next_cursor}")


@app.command("show")
@one_line_errors
def show(event_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One stored event (evt_…)."""
    with cli_ctx(org) as ctx:
        data = EventRead.of(event_reads.get_event(ctx, event_id)).model_dump(mode="json")
    print_json(data) if as_json else print_record(data)


@app.command("import")
@one_line_errors
def import_file(
    file: Path = typer.Argument(..., help="A CSV, JSON Lines (.jsonl) or Parquet file"),
    file_format: str = typer.Option(None, "--format", help="csv, jsonl or parquet"),
    rejected: Path = typer.Option(
        None, "--rejected", help="Where refused rows go (default: FILE.rejected.csv beside it)"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Import usage events in bulk; refused rows are listed with their reason in --rejected."""
    fmt = event_import.format_of(file, file_format)
    if not file.is_file():
        fail(f"no such file: {file}")
    total = event_import.count_rows(file, fmt)
    with cli_ctx(org) as ctx:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=as_json,
        ) as progress:
            task = progress.add_task("import", total=total)
            report = event_import.import_events(
                ctx,
                file,
                file_format=fmt,
                rejected_path=rejected,
                progress=lambda n: progress.advance(task, n),
            )
        ctx.session.commit()
    data = {
        "read": report.read,
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": report.rejected,
        "rejected_file": str(report.rejected_file),
    }
    if as_json:
        print_json(data)
        return
    print_record(data)
    if report.errors:
        print_table(
            [{"line": line, "field": f, "reason": r} for line, f, r in report.errors],
            ["line", "field", "reason"],
            title="first refused rows",
        )


def _instant(text: str | None, option: str) -> datetime | None:
    """A timestamp option; a bad one is one line naming the option, like the date options."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option}: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), got '{text}'")
        raise AssertionError from None  # unreachable: fail() exits


def _utc(instant: datetime | None) -> datetime | None:
    if instant is not None and instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant
