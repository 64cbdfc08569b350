"""`tarif triggers show|set|clear|history|items`: when a contract's usage lines are invoiced,
and what was billed early."""

from __future__ import annotations

from typing import Any

import typer

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    one_line_errors,
    print_json,
    print_table,
    say,
    to_plain,
)
from tarif.contracts import service as contracts
from tarif.db.repository import PageRequest
from tarif.triggers import service
from tarif.triggers.items_service import list_items
from tarif.triggers.schemas import CrossingRead, TriggerRead, UsageItemRead

app = typer.Typer(no_args_is_help=True)

TRIGGER_COLUMNS = ["line_key", "description", "kind", "summary", "updated_at"]
# The table fits a terminal; `--json` has every field (ids, instants).
CROSSING_COLUMNS = ["line_key", "period_start", "period_end", "measure", "level", "value"]
ITEM_COLUMNS = ["event_id", "line_key", "event_day", "quantity", "amount", "delay_ms", "invoice_id"]
# Two ids would not fit beside the others: the invoices are in one contract's table, or --json.
ALL_ITEM_COLUMNS = ["contract_id", "event_id", "event_day", "amount", "delay_ms"]


@app.command("show")
@one_line_errors
def show(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Every usage line of the contract with its trigger (period_end when none is set)."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        reference = found.reference
        rows = [to_plain(TriggerRead.of_item(i)) for i in service.line_triggers(ctx, found.id)]
    if as_json:
        print_json(rows)
        return
    print_table(rows, TRIGGER_COLUMNS, title=f"usage triggers of {reference}")


@app.command("set")
@one_line_errors
def set_trigger(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    line_key: str = typer.Argument(..., help="The usage line's key, e.g. api-calls"),
    kind: str = typer.Option(
        None, "--kind", help="threshold, event or period_end (default: from the options given)"
    ),
    threshold: list[str] = typer.Option(
        None, "--threshold", help="threshold: a level, e.g. 500 (repeatable, increasing)"
    ),
    every: str = typer.Option(None, "--every", help="threshold: then a level every this much"),
    measure: str = typer.Option(None, "--measure", help="threshold: amount (default) or quantity"),
    cadence: str = typer.Option(
        None, "--cadence", help="event: immediate (default), daily or weekly"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Set when a usage line is invoiced, e.g. `--kind threshold --threshold 500 --threshold
    1000 --every 1000` or `--kind event --cadence daily`."""
    data: dict[str, Any] = {"kind": kind or _kind_of(threshold, every, measure, cadence)}
    # Only the options given are sent: one that does not fit the kind is refused by name.
    for name, value in (
        ("thresholds", threshold or None),
        ("every", every),
        ("measure", measure),
        ("cadence", cadence),
    ):
        if value is not None:
            data[name] = value
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        reference = found.reference
        trigger = service.set_trigger(ctx, found.id, line_key, data)
        ctx.session.commit()
        read = to_plain(TriggerRead.of(line_key, trigger))
    if as_json:
        print_json(read)
        return
    say(f"{reference} {line_key}: {read['summary']}")


def _kind_of(
    threshold: list[str] | None, every: str | None, measure: str | None, cadence: str | None
) -> str:
    """The kind the options say: `--threshold 500` is a threshold trigger, `--cadence daily` an
    event one; with neither, the service refuses the missing kind by name."""
    if threshold or every or measure:
        return "threshold" if not cadence else ""
    return "event" if cadence else ""


@app.command("clear")
@one_line_errors
def clear(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    line_key: str = typer.Argument(..., help="The usage line's key"),
    org: str = OrgOption,
) -> None:
    """Back to the default: the line is invoiced at its period's end."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        reference = found.reference
        service.clear_trigger(ctx, found.id, line_key)
        ctx.session.commit()
    say(f"{reference} {line_key}: at period end")


@app.command("history")
@one_line_errors
def history(
    contract: str = typer.Argument(None, help="Contract id or reference (default: every one)"),
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The threshold levels usage reached, newest first: of one contract, or of all."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract) if contract else None
        title = f"threshold history of {found.reference}" if found else "threshold history"
        page = service.crossings(
            ctx,
            found.id if found else None,
            PageRequest(limit=limit, starting_after=starting_after),
        )
        rows = [to_plain(CrossingRead.of(row)) for row in page.items]
        next_cursor = page.next_cursor
    if as_json:
        print_json(rows)
        return
    columns = (
        CROSSING_COLUMNS if found else ["contract_id", *CROSSING_COLUMNS[:2], *CROSSING_COLUMNS[4:]]
    )
    print_table(rows, columns, title=title)
    if next_cursor:
        say(f"more: --starting-after {next_cursor}")


@app.command("items")
@one_line_errors
def items(
    contract: str = typer.Argument(None, help="Contract id or reference (default: every one)"),
    line_key: str = typer.Option(None, "--line", help="Only this usage line's items"),
    invoiced: bool = typer.Option(
        None, "--invoiced/--not-invoiced", help="Only items billed by an invoice, or not yet"
    ),
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The billable items of event triggers, newest event first: what each accepted event
    added, and the invoice that billed it; of one contract, or of all."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract) if contract else None
        title = f"billable items of {found.reference}" if found else "billable items"
        page = list_items(
            ctx,
            found.id if found else None,
            PageRequest(limit=limit, starting_after=starting_after),
            line_key=line_key,
            invoiced=invoiced,
        )
        rows = [to_plain(UsageItemRead.of(row)) for row in page.items]
        next_cursor = page.next_cursor
    if as_json:
        print_json(rows)
        return
    print_table(rows, ITEM_COLUMNS if found else ALL_ITEM_COLUMNS, title=title)
    if next_cursor:
        say(f"more: --starting-after {next_cursor}")
