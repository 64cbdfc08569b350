"""`tarif alerts list|create|update|delete|history`: notify when a contract's usage reaches a
share of an included quota or a spending limit."""

from __future__ import annotations

from typing import Any

import typer

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    fail,
    one_line_errors,
    print_json,
    print_table,
    say,
    to_plain,
)
from tarif.contracts import service as contracts
from tarif.db.repository import PageRequest
from tarif.triggers import alerts_service as service
from tarif.triggers.alerts_schemas import AlertRead, FiringRead

app = typer.Typer(no_args_is_help=True)

# The table fits a terminal; `--json` has every field (contract, thresholds, instants).
ALERT_COLUMNS = ["id", "metric", "line", "measure", "limit", "levels"]
FIRING_COLUMNS = ["alert_id", "period_start", "period_end", "level", "value", "fired_at"]


def _row(read: AlertRead) -> dict[str, Any]:
    return {
        "id": read.id,
        "metric": read.metric_code,
        "line": read.line_key or "all",
        "measure": read.measure,
        "limit": f"{read.limit:f}",
        "levels": "/".join(str(level) for level in read.levels),
    }


@app.command("list")
@one_line_errors
def list_alerts(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The contract's usage alerts."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        reference = found.reference
        reads = [AlertRead.of(row) for row in service.list_alerts(ctx, found.id)]
    if as_json:
        print_json([to_plain(r) for r in reads])
        return
    print_table([_row(r) for r in reads], ALERT_COLUMNS, title=f"usage alerts of {reference}")


@app.command("create")
@one_line_errors
def create(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    metric: str = typer.Option(..., "--metric", help="The metric watched, e.g. turnover"),
    line: str = typer.Option(None, "--line", help="One usage line (default: every one)"),
    measure: str = typer.Option("amount", "--measure", help="amount (spending) or quantity"),
    limit: str = typer.Option(..., "--limit", help="The spending limit or included quota"),
    level: list[str] = typer.Option(
        None,
        "--level",
        "--levels",
        help="A percentage of the limit (repeatable, or 80,100; default 80 and 100)",
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Add an alert, e.g. `--metric turnover --measure amount --limit 1000 --level 80
    --level 100`. A level the period's usage has passed already fires at once."""
    data: dict[str, Any] = {"metric_code": metric, "measure": measure, "limit": limit}
    if line:
        data["line_key"] = line
    if level:
        data["levels"] = _levels(level)
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        reference = found.reference
        read = AlertRead.of(service.create_alert(ctx, found.id, data))
        ctx.session.commit()
    if as_json:
        print_json(to_plain(read))
        return
    say(f"{reference}: alert {_summary(read)}")


@app.command("update")
@one_line_errors
def update(
    alert_id: str = typer.Argument(..., help="The alert's id"),
    limit: str = typer.Option(None, "--limit", help="The new spending limit or included quota"),
    level: list[str] = typer.Option(
        None,
        "--level",
        "--levels",
        help="The new percentages of the limit (repeatable, or 80,100)",
    ),
    line: str = typer.Option(None, "--line", help="Watch this usage line only"),
    every_line: bool = typer.Option(
        False, "--every-line", help="Watch every usage line of the metric"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change an alert's limit, levels or line, e.g. `--limit 1200 --levels 50,80,100`; what is
    not given is kept. Levels fired already this period stay fired; one the new settings put
    the usage past fires at once."""
    data: dict[str, Any] = {}
    if limit is not None:
        data["limit"] = limit
    if level:
        data["levels"] = _levels(level)
    if line and every_line:
        fail("--line and --every-line exclude each other")
    if line:
        data["line_key"] = line
    if every_line:
        data["line_key"] = None
    with cli_ctx(org) as ctx:
        read = AlertRead.of(service.update_alert(ctx, alert_id, data))
        ctx.session.commit()
    if as_json:
        print_json(to_plain(read))
        return
    say(f"alert {_summary(read)}")


def _levels(given: list[str]) -> list[str]:
    """`--level 80 --level 100` or `--levels 80,100`: the percentages in order."""
    return [part.strip() for item in given for part in item.split(",") if part.strip()]


def _summary(read: AlertRead) -> str:
    levels = ", ".join(f"{lv} %" for lv in read.levels)
    line = f" line {read.line_key}" if read.line_key else ""
    return f"{read.id} on {read.metric_code}{line} {read.measure} {read.limit} ({levels})"


@app.command("delete")
@one_line_errors
def delete(
    alert_id: str = typer.Argument(..., help="The alert's id"),
    org: str = OrgOption,
) -> None:
    """Remove an alert and its history."""
    with cli_ctx(org) as ctx:
        service.delete_alert(ctx, alert_id)
        ctx.session.commit()
    say(f"alert {alert_id} removed")


@app.command("history")
@one_line_errors
def history(
    contract: str = typer.Argument(None, help="Contract id or reference (default: every one)"),
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The levels usage alerts reached, newest first: of one contract, or of all."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract) if contract else None
        title = f"alert history of {found.reference}" if found else "alert history"
        page = service.firings(
            ctx,
            found.id if found else None,
            PageRequest(limit=limit, starting_after=starting_after),
        )
        rows = [to_plain(FiringRead.of(row)) for row in page.items]
        next_cursor = page.next_cursor
    if as_json:
        print_json(rows)
        return
    columns = FIRING_COLUMNS if found else ["contract_id", *FIRING_COLUMNS]
    print_table(rows, columns, title=title)
    if next_cursor:
        say(f"more: --starting-after {next_cursor}")
