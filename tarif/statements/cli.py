"""`tarif statements show|export`: an invoice's consumption statement, or a customer's over a
period (`--customer ID --from DAY --to DAY [--contract ID]`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    fail,
    one_line_errors,
    parse_day,
    print_json,
    print_table,
    say,
)
from tarif.context import Ctx
from tarif.statements import export, outputs, service
from tarif.statements.rules import Statement

app = typer.Typer(no_args_is_help=True)

InvoiceArgument = typer.Argument(None, help="An invoice id (or use --customer, --from, --to)")
CustomerOption = typer.Option(None, "--customer", help="A customer id")
FromOption = typer.Option(None, "--from", help="First day of the period (YYYY-MM-DD)")
ToOption = typer.Option(None, "--to", help="The day after the period (YYYY-MM-DD)")
ContractOption = typer.Option(None, "--contract", help="Only this contract's usage")
GroupByOption = typer.Option(
    "metric", "--group-by", help="metric, then day or month and event properties: metric,day,site"
)


def _statement(
    ctx: Ctx,
    invoice_id: str | None,
    customer: str | None,
    start: str | None,
    end: str | None,
    contract: str | None,
    group_by: str,
    fmt: str = "json",
) -> tuple[Statement, str]:
    grouping, chosen = outputs.parse_options(group_by, fmt)
    if invoice_id is not None and customer is not None:
        fail("give an invoice id or --customer, not both")
    if invoice_id is not None:
        return service.invoice_statement(ctx, invoice_id, grouping), chosen
    if customer is None:
        fail("give an invoice id, or --customer with --from and --to")
    assert customer is not None
    statement = service.customer_statement(
        ctx,
        customer,
        parse_day(start, "--from"),
        parse_day(end, "--to"),
        grouping,
        contract_id=contract,
    )
    return statement, chosen


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
    customer: str = CustomerOption,
    start: str = FromOption,
    end: str = ToOption,
    contract: str = ContractOption,
    group_by: str = GroupByOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a statement: its rows add up to the invoices' usage lines."""
    with cli_ctx(org) as ctx:
        statement, _ = _statement(ctx, invoice_id, customer, start, end, contract, group_by)
    if as_json:
        print_json(export.as_json(statement))
        return
    columns = ["metric", "line", *statement.group_by.dimensions]
    columns += ["quantity", "events", "unit_price", "amount"]
    title = f"Consumption statement — total {statement.amount:f} {statement.currency}"
    print_table(_rows(statement), columns, title=title)


@app.command("export")
@one_line_errors
def export_statement(
    invoice_id: str = InvoiceArgument,
    customer: str = CustomerOption,
    start: str = FromOption,
    end: str = ToOption,
    contract: str = ContractOption,
    group_by: str = GroupByOption,
    fmt: str = typer.Option("csv", "--format", help="csv, pdf or json"),
    output: str = typer.Option(
        None, "-o", "--output", help="File to write ('-': standard output); default: its name"
    ),
    org: str = OrgOption,
) -> None:
    """Write a statement as CSV, PDF (in the customer's language) or JSON."""
    with cli_ctx(org) as ctx:
        statement, chosen = _statement(
            ctx, invoice_id, customer, start, end, contract, group_by, fmt
        )
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
