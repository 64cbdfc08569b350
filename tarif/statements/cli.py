"""`tarif statements show|export INVOICE`: an invoice's consumption statement;
`tarif statements customer|customer-export CUSTOMER [--from DAY --to DAY] [--contract ID]`: a
customer's over a period (default: last month)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    one_line_errors,
    parse_day,
    print_json,
    print_table,
    say,
)
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.statements import export, outputs, service
from tarif.statements.rules import Statement

app = typer.Typer(no_args_is_help=True)

InvoiceArgument = typer.Argument(..., help="An invoice id")
CustomerArgument = typer.Argument(..., help="A customer id or external id")
FromOption = typer.Option(None, "--from", help="First day of the period (YYYY-MM-DD)")
ToOption = typer.Option(None, "--to", help="The day after the period (YYYY-MM-DD)")
ContractOption = typer.Option(None, "--contract", help="Only this contract's usage")
FormatOption = typer.Option("csv", "--format", help="csv, pdf or json")
OutputOption = typer.Option(
    None, "-o", "--output", help="File to write ('-': standard output); default: its name"
)
GroupByOption = typer.Option(
    "metric", "--group-by", help="metric, then day or month and event properties: metric,day,site"
)


def _customer_statement(
    ctx: Ctx,
    customer: str,
    start: str | None,
    end: str | None,
    contract: str | None,
    group_by: str,
    fmt: str = "json",
) -> tuple[Statement, str]:
    grouping, chosen = outputs.parse_options(group_by, fmt)
    statement = service.customer_statement(
        ctx,
        customers.resolve_customer(ctx, customer).id,
        None if start is None else parse_day(start, "--from"),
        None if end is None else parse_day(end, "--to"),
        grouping,
        contract_id=contract,
    )
    return statement, chosen


def _invoice_statement(
    ctx: Ctx, invoice_id: str, group_by: str, fmt: str = "json"
) -> tuple[Statement, str]:
    grouping, chosen = outputs.parse_options(group_by, fmt)
    return service.invoice_statement(ctx, invoice_id, grouping), chosen


def _print(statement: Statement, as_json: bool) -> None:
    if as_json:
        print_json(export.as_json(statement))
        return
    columns = ["metric", "line", *statement.group_by.dimensions]
    columns += ["quantity", "events", "unit_price", "amount"]
    title = f"Consumption statement — total {statement.amount:f} {statement.currency}"
    print_table(_rows(statement), columns, title=title)


def _write(ctx: Ctx, statement: Statement, chosen: str, output: str | None) -> None:
    if chosen == "json":
        import json

        content = json.dumps(export.as_json(statement), indent=2).encode()
        name = export.file_name(statement, "json")
    else:
        out = outputs.as_file(ctx, statement, chosen)
        content, name = out.content, out.file_name
    if output == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    path = Path(output or name)
    path.write_bytes(content)
    say(f"wrote {path} ({len(content)} bytes)")


def _rows(statement: Statement) -> list[dict[str, Any]]:
    found = []
    for metric in statement.metrics:
        for line in metric.lines:
            for row in line.rows:
                keys = {d: row.keys.get(d) or "" for d in statement.group_by.dimensions}
                found.append(
                    {
                        "metric": metric.code,
                        "line": line.description,
                        **keys,
                        "quantity": "" if row.quantity is None else f"{row.quantity:f}",
                        "events": "" if row.event_count is None else row.event_count,
                        "unit_price": f"{row.unit_price:f}",
                        "amount": f"{row.amount:f}",
                    }
                )
    return found


@app.command("show")
@one_line_errors
def show(
    invoice_id: str = InvoiceArgument,
    group_by: str = GroupByOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show an invoice's statement: its rows add up to the invoice's usage lines."""
    with cli_ctx(org) as ctx:
        statement, _ = _invoice_statement(ctx, invoice_id, group_by)
    _print(statement, as_json)


@app.command("export")
@one_line_errors
def export_statement(
    invoice_id: str = InvoiceArgument,
    group_by: str = GroupByOption,
    fmt: str = FormatOption,
    output: str = OutputOption,
    org: str = OrgOption,
) -> None:
    """Write an invoice's statement as CSV, PDF (in the customer's language) or JSON."""
    with cli_ctx(org) as ctx:
        statement, chosen = _invoice_statement(ctx, invoice_id, group_by, fmt)
        _write(ctx, statement, chosen, output)


@app.command("customer")
@one_line_errors
def show_customer(
    customer: str = CustomerArgument,
    start: str = FromOption,
    end: str = ToOption,
    contract: str = ContractOption,
    group_by: str = GroupByOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a customer's statement over a period (default: last month)."""
    with cli_ctx(org) as ctx:
        statement, _ = _customer_statement(ctx, customer, start, end, contract, group_by)
    _print(statement, as_json)


@app.command("customer-export")
@one_line_errors
def export_customer(
    customer: str = CustomerArgument,
    start: str = FromOption,
    end: str = ToOption,
    contract: str = ContractOption,
    group_by: str = GroupByOption,
    fmt: str = FormatOption,
    output: str = OutputOption,
    org: str = OrgOption,
) -> None:
    """Write a customer's statement over a period as CSV, PDF or JSON."""
    with cli_ctx(org) as ctx:
        statement, chosen = _customer_statement(ctx, customer, start, end, contract, group_by, fmt)
        _write(ctx, statement, chosen, output)
