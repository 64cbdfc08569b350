"""`tarif metrics list|show|create|update|archive|delete|aggregate|events`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
    console,
    fail,
    one_line_errors,
    parse_day,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
    say_next_page,
    to_plain,
)
from tarif.contracts.service_contracts import find_contract
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import ErrorCollector
from tarif.usage import metric_service as service
from tarif.usage.aggregates import AggregateRow, EventSelection, LateMode
from tarif.usage.metric_rules import parse_filter_lines
from tarif.usage.metric_schemas import AggregateGroupRead, MetricRead, UsageEventRead

app = typer.Typer(no_args_is_help=True)

METRIC_COLUMNS = ["id", "code", "name", "aggregation", "field", "unit", "recurring", "archived"]
FilterOption = typer.Option(
    None,
    "--filter",
    help="'property op value', repeatable: 'region in eu,us', 'amount gte 100'",
)
GroupByOption = typer.Option(None, "--group-by", help="A property to split by, repeatable")
LateOption = typer.Option("include", "--late", help="include, exclude or only late events")


def _filters(lines: list[str] | None) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    errors = ErrorCollector()
    parsed = parse_filter_lines("\n".join(lines), errors)
    errors.raise_if_any("Invalid --filter")
    return parsed


ReceivedAfterOption = typer.Option(
    None,
    "--received-after",
    help="With --late only: the late events received after this instant (RFC 3339)",
)


def _late(text: str, received_after: str | None = None) -> EventSelection:
    try:
        mode = LateMode(text)
    except ValueError:
        fail(f"--late: expected include, exclude or only, got '{text}'")
        raise AssertionError from None  # unreachable: fail() exits
    if received_after is None:
        return EventSelection(mode)
    try:
        instant = datetime.fromisoformat(received_after.strip())
    except ValueError:
        fail(
            "--received-after: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z), "
            f"got '{received_after}'"
        )
        raise AssertionError from None  # unreachable: fail() exits
    if mode is not LateMode.ONLY:
        fail("--received-after selects late events: use it with --late only")
    # a time without a zone is read as UTC, like the other timestamp options
    return EventSelection(mode, instant if instant.tzinfo else instant.replace(tzinfo=UTC))


def _group_rows(rows: list[AggregateRow]) -> list[dict[str, Any]]:
    return [to_plain(AggregateGroupRead.of(r)) for r in rows]


def _shown_groups(groups: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in groups.items()) or "—"


@app.command("list")
@one_line_errors
def list_metrics(
    q: str = typer.Option(None, "--q", help="Search the code and the name"),
    archived: bool = typer.Option(None, "--archived/--active", help="Archived or active only"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Metrics in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_metrics(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            archived=archived,
        )
        rows = [to_plain(MetricRead.of(m)) for m in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, METRIC_COLUMNS)
    say_next_page(page)


@app.command("show")
@one_line_errors
def show(metric: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """A metric (by id or code) and its definition."""
    with cli_ctx(org) as ctx:
        read = to_plain(MetricRead.of(service.resolve_metric(ctx, metric)))
    if as_json:
        print_json(read)
        return
    print_record(read)


@app.command("create")
@one_line_errors
def create(
    code: str = typer.Argument(..., help="The code events name, e.g. api_calls"),
    aggregation: str = typer.Option(
        ..., "--aggregation", help="count, sum, max, unique_count, latest or weighted_sum"
    ),
    field: str = typer.Option(None, "--field", help="The property read (all but count)"),
    name: str = typer.Option(None, "--name", help="Name shown in lists (default: the code)"),
    unit: str = typer.Option(None, "--unit", help="Unit of the quantity, e.g. GB, EUR"),
    filters: list[str] = FilterOption,
    group_by: list[str] = GroupByOption,
    recurring: bool = typer.Option(False, "--recurring", help="Carried over between periods"),
    valuation: str = typer.Option(
        None, "--valuation-smartcode", help="A valuation SmartCode (id or code) giving each value"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a metric: `--aggregation sum --field amount --unit EUR`."""
    data: dict[str, Any] = {
        "code": code,
        "aggregation": aggregation,
        "field": field,
        "name": name,
        "unit": unit,
        "filters": _filters(filters) or [],
        "group_by": list(group_by or []),
        "recurring": recurring,
        "valuation_smartcode_id": valuation,
    }
    with cli_ctx(org) as ctx:
        metric = service.create_metric(ctx, data)
        ctx.session.commit()
        read = to_plain(MetricRead.of(metric))
    if as_json:
        print_json(read)
        return
    say(f"metric {read['code']} created ({read['id']})")


@app.command("update")
@one_line_errors
def update(
    metric: str = typer.Argument(..., help="Metric id or code"),
    code: str = typer.Option(None, "--code", help="New code (only while no event names it)"),
    aggregation: str = typer.Option(None, "--aggregation", help="New aggregation"),
    field: str = typer.Option(None, "--field", help="New property read"),
    name: str = typer.Option(None, "--name", help="New name"),
    unit: str = typer.Option(None, "--unit", help="New unit"),
    filters: list[str] = FilterOption,
    clear_filters: bool = typer.Option(False, "--clear-filters", help="Remove every filter"),
    group_by: list[str] = GroupByOption,
    clear_group_by: bool = typer.Option(False, "--clear-group-by", help="No group-by"),
    recurring: bool = typer.Option(None, "--recurring/--reset", help="Carried over or reset"),
    valuation: str = typer.Option(
        None, "--valuation-smartcode", help="A valuation SmartCode (id or code); '' for none"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a metric; `--filter` and `--group-by` replace the lists."""
    data: dict[str, Any] = {
        k: v
        for k, v in {
            "code": code,
            "aggregation": aggregation,
            "field": field,
            "name": name,
            "unit": unit,
            "recurring": recurring,
            "valuation_smartcode_id": valuation,
        }.items()
        if v is not None
    }
    if filters or clear_filters:
        data["filters"] = _filters(filters) or []
    if group_by or clear_group_by:
        data["group_by"] = list(group_by or [])
    with cli_ctx(org) as ctx:
        found = service.resolve_metric(ctx, metric)
        if not data:
            fail("nothing to change: give at least one option")
        updated = service.update_metric(ctx, found.id, data)
        ctx.session.commit()
        read = to_plain(MetricRead.of(updated))
    if as_json:
        print_json(read)
        return
    say(f"metric {read['code']} updated")


@app.command("archive")
@one_line_errors
def archive(metric: str, org: str = OrgOption) -> None:
    """No new events are accepted for it; its events still count."""
    with cli_ctx(org) as ctx:
        found = service.archive_metric(ctx, service.resolve_metric(ctx, metric).id)
        ctx.session.commit()
        code = found.code
    say(f"metric {code} archived")


@app.command("delete")
@one_line_errors
def delete(metric: str, org: str = OrgOption) -> None:
    """Delete a metric no event names (else archive it)."""
    with cli_ctx(org) as ctx:
        found = service.resolve_metric(ctx, metric)
        code = found.code
        service.delete_metric(ctx, found.id)
        ctx.session.commit()
    say(f"metric {code} deleted")


@app.command("aggregate")
@one_line_errors
def aggregate(
    metric: str = typer.Argument(..., help="Metric id or code"),
    customer: str = typer.Option(
        None, "--customer", help="Customer id or external id (default: every customer)"
    ),
    period_from: str = typer.Option(..., "--from", help="First local day, YYYY-MM-DD"),
    period_to: str = typer.Option(
        ..., "--to", help="Day after the last (the period is [from, to))"
    ),
    late: str = LateOption,
    received_after: str = ReceivedAfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """A metric's quantities over [from, to): one customer's, or every customer's at once."""
    first, after = parse_day(period_from, "--from"), parse_day(period_to, "--to")
    selection = _late(late, received_after)
    with cli_ctx(org) as ctx:
        found = service.resolve_metric(ctx, metric)
        if customer is not None:
            who = customers.resolve_customer(ctx, customer)
            by_customer = {
                who.id: service.aggregate_metric(ctx, found.id, who.id, first, after, selection)
            }
        else:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=as_json,
            ) as progress:
                progress.add_task(f"aggregating {found.code}…", total=None)
                by_customer = service.aggregate_all_customers(
                    ctx, found.id, first, after, selection
                )
        code, unit = found.code, found.unit
    result = {c: _group_rows(rows) for c, rows in sorted(by_customer.items())}
    if as_json:
        print_json(result if customer is None else next(iter(result.values())))
        return
    rows = [
        {
            "customer_id": c,
            "groups": _shown_groups(row["groups"]),
            "quantity": row["quantity"],
            "unit": unit,
            "event_count": row["event_count"],
        }
        for c, groups in result.items()
        for row in groups
    ]
    print_table(rows, ["customer_id", "groups", "quantity", "unit", "event_count"], title=code)


@app.command("events")
@one_line_errors
def events(
    metric: str = typer.Argument(..., help="Metric id or code"),
    customer: str = typer.Option(..., "--customer", help="Customer id or external id"),
    period_from: str = typer.Option(..., "--from", help="First local day, YYYY-MM-DD"),
    period_to: str = typer.Option(
        ..., "--to", help="Day after the last (the period is [from, to))"
    ),
    late: str = LateOption,
    received_after: str = ReceivedAfterOption,
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    # Not named `starting_after`: an event cursor is a number, within one customer's period.
    after_event: int = typer.Option(None, "--starting-after", help="Continue after this event"),
    contract: str = typer.Option(
        None, "--contract", help="Only the events this contract counts (id or reference)"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The events a metric counts for a customer over [from, to) (or one of its contracts)."""
    first, after = parse_day(period_from, "--from"), parse_day(period_to, "--to")
    selection = _late(late, received_after)
    with cli_ctx(org) as ctx:
        found = service.resolve_metric(ctx, metric)
        who = customers.resolve_customer(ctx, customer)
        contract_id = find_contract(ctx, contract).id if contract else None
        page = service.events_counted(
            ctx,
            found.id,
            who.id,
            first,
            after,
            starting_after=after_event,
            limit=limit,
            selection=selection,
            contract_id=contract_id,
        )
        rows = [to_plain(UsageEventRead.of(e)) for e in page.events]
    if as_json:
        print_json(rows)
        return
    print_table(
        rows, ["id", "transaction_id", "occurred_at", "local_date", "value", "unique_key", "late"]
    )
    if page.has_more:
        say(f"more: --starting-after {page.next_cursor}")
