"""`tarif balance show|goodwill|refund`: a customer's credit balance.

A customer is named by its id or its external id, whichever is handier.
"""

from __future__ import annotations

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
from tarif.customers import service as customers
from tarif.db.repository import MAX_PAGE_SIZE, PageRequest
from tarif.invoicing import balance
from tarif.invoicing.balance_rules import RefundMethod
from tarif.invoicing.balance_schemas import BalanceEntryRead, CustomerBalanceRead
from tarif.invoicing.models import BalanceEntry
from tarif.invoicing.schemas import money

balance_app = typer.Typer(no_args_is_help=True)

# Narrow enough for 80 columns; the reasons are in `--json`.
HISTORY_COLUMNS = ["id", "kind", "currency", "amount", "balance_after"]
CustomerArgument = typer.Argument(..., help="Id or external id")
AmountOption = typer.Option(..., "--amount", help="Positive, e.g. 50.00")


@balance_app.command("show")
@one_line_errors
def show(
    customer: str = CustomerArgument,
    currency: str = typer.Option(None, "--currency", help="Only this currency's history"),
    limit: int = typer.Option(20, min=1, max=MAX_PAGE_SIZE, help="History entries"),
    older_than: str = typer.Option(
        None, "--older-than", help="History before this entry (the last one shown)"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """What the customer can use per currency, and its history, newest first."""
    with cli_ctx(org) as ctx:
        found = customers.resolve_customer(ctx, customer)
        page = balance.history(
            ctx, found.id, PageRequest(limit=limit, starting_after=older_than), currency=currency
        )
        read = to_plain(CustomerBalanceRead.of(found.id, balance.balances(ctx, found.id), page))
    if as_json:
        print_json(read)
        return
    if not read["balances"]:
        say("no credit balance")
        return
    for line in read["balances"]:
        say(f"available: {line['available']} {line['currency']}")
    print_table(read["history"]["data"], HISTORY_COLUMNS, title="History")
    if read["history"]["has_more"]:
        say(f"more: --older-than {read['history']['next_cursor']}")


def _said(entry: BalanceEntry, after: str) -> str:
    amount = money(abs(entry.amount), entry.currency)
    return f"{entry.id}: {amount} {entry.currency}, now {after} {entry.currency} available"


@balance_app.command("goodwill")
@one_line_errors
def goodwill(
    customer: str = CustomerArgument,
    amount: str = AmountOption,
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code, e.g. EUR"),
    reason: str = typer.Option(..., "--reason", help="Why the gesture (required)"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Credit a one-off commercial gesture; the next invoices in that currency use it."""
    with cli_ctx(org) as ctx:
        found = customers.resolve_customer(ctx, customer)
        entry = balance.grant_goodwill(
            ctx, found.id, amount=amount, currency=currency, reason=reason
        )
        after = balance.available(ctx, found.id, entry.currency)
        read = to_plain(BalanceEntryRead.of(entry, after))
        line = _said(entry, str(after))
        ctx.session.commit()
    if as_json:
        print_json(read)
        return
    say(f"credited {line}")


@balance_app.command("refund")
@one_line_errors
def refund(
    customer: str = CustomerArgument,
    amount: str = AmountOption,
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code, e.g. EUR"),
    reference: str = typer.Option(..., "--reference", help="Bank or payment reference"),
    method: RefundMethod = typer.Option(RefundMethod.TRANSFER.value, "--method"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Pay money back out of the balance (at most what is available)."""
    with cli_ctx(org) as ctx:
        found = customers.resolve_customer(ctx, customer)
        entry = balance.refund_balance(
            ctx,
            found.id,
            amount=amount,
            currency=currency,
            reference=reference,
            method=method.value,
        )
        after = balance.available(ctx, found.id, entry.currency)
        read = to_plain(BalanceEntryRead.of(entry, after))
        line = _said(entry, str(after))
        ctx.session.commit()
    if as_json:
        print_json(read)
        return
    say(f"refunded {line}")
