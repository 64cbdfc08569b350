"""`tarif credit-notes list|show|create|explain` and `tarif invoices void`."""

from __future__ import annotations

import typer

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
    one_line_errors,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
    say_next_page,
    to_plain,
)
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.invoicing import service
from tarif.invoicing.api_credit_notes import read_credit_note

credit_notes_app = typer.Typer(no_args_is_help=True)

COLUMNS = ["id", "number", "corrects_invoice_number", "customer_id", "issue_date", "gross_total"]
LINE_COLUMNS = ["position", "description", "quantity", "net_amount", "vat_rate", "credits_line_id"]


def parse_line(text: str, index: int) -> dict[str, object]:
    """`3` (line 3 whole) or `3:0.5` (half of line 3's quantity)."""
    position, _, quantity = text.partition(":")
    try:
        number = int(position)
    except ValueError as exc:
        raise InvalidInput.on(
            f"lines.{index}.position", f"'{text}' is not POSITION[:QUANTITY]"
        ) from exc
    return {"position": number, "quantity": quantity or None}


@credit_notes_app.command("list")
@one_line_errors
def list_credit_notes(
    customer: str = typer.Option(None, "--customer", help="Customer id or external id"),
    invoice: str = typer.Option(None, "--invoice", help="Corrected invoice id"),
    q: str = typer.Option(None, "--q", "-q", help="Search the number"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Credit notes in the order issued."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_credit_notes(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            customer_id=customers.resolve_customer(ctx, customer).id if customer else None,
            invoice_id=invoice,
        )
        rows = [to_plain(read_credit_note(ctx, n)) for n in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, COLUMNS)
    say_next_page(page)


@credit_notes_app.command("show")
@one_line_errors
def show(credit_note_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """A credit note with its lines and where its money went."""
    with cli_ctx(org) as ctx:
        read = to_plain(read_credit_note(ctx, service.get_credit_note(ctx, credit_note_id)))
    if as_json:
        print_json(read)
        return
    lines = read.pop("lines")
    read.pop("refunds")
    settlement = read.pop("settlement")
    print_record(read | settlement)
    print_table(lines, LINE_COLUMNS)


@credit_notes_app.command("explain")
@one_line_errors
def explain(credit_note_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Which invoice line each line of the credit note credits."""
    with cli_ctx(org) as ctx:
        lines = service.explain_credit_note(ctx, credit_note_id)
    if as_json:
        print_json(lines)
        return
    rows = [
        {
            "position": e["position"],
            "description": e["description"],
            "net_amount": e["net_amount"],
            "credits_invoice": e["corrects_invoice_number"],
            "credits_position": (e["credits"] or {}).get("position"),
            "contract_id": (e["credits"] or {}).get("contract_id"),
            "line_key": (e["credits"] or {}).get("line_key"),
        }
        for e in lines
    ]
    print_table(rows, list(rows[0]) if rows else ["position"])


@credit_notes_app.command("create")
@one_line_errors
def create(
    invoice: str = typer.Option(..., "--invoice", help="The finalized invoice to credit"),
    reason: str = typer.Option(..., "--reason", help="Why (printed and kept in the audit log)"),
    amount: str = typer.Option(None, "--amount", help="A gross amount, e.g. 100.00"),
    line: list[str] = typer.Option(
        None, "--line", help="POSITION[:QUANTITY], repeatable: a line whole, or part of it"
    ),
    refund: bool = typer.Option(
        False,
        "--refund/--to-balance",
        help="What the invoice no longer owes: refunded, or (default) kept on the balance",
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Issue a credit note against a finalized invoice (lines or an amount, not both)."""
    lines = [parse_line(text, i) for i, text in enumerate(line)] if line else None
    with cli_ctx(org) as ctx:
        note = service.issue_credit_note(
            ctx,
            invoice,
            reason=reason,
            lines=lines,
            amount=amount,
            settlement="refund" if refund else "balance",
        )
        ctx.session.commit()
        read = to_plain(read_credit_note(ctx, note))
    if as_json:
        print_json(read)
        return
    say(f"issued {read['number']} ({read['gross_total']} {read['currency']}) on {invoice}")


@one_line_errors
def void(
    invoice_id: str,
    reason: str = typer.Option(..., "--reason", help="Why the invoice is cancelled"),
    refund: bool = typer.Option(
        False,
        "--refund/--to-balance",
        help="What was already paid: refunded, or (default) kept on the balance",
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Cancel a finalized invoice with a credit note of everything still creditable."""
    with cli_ctx(org) as ctx:
        note = service.void_invoice(
            ctx, invoice_id, reason=reason, settlement="refund" if refund else "balance"
        )
        ctx.session.commit()
        read = to_plain(read_credit_note(ctx, note))
    if as_json:
        print_json(read)
        return
    say(f"voided {invoice_id} with {read['number']} ({read['gross_total']} {read['currency']})")
