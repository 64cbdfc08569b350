"""`tarif invoices add-line|remove-line|update|regenerate|delete|finalize-due`: editing drafts.

The commands join the `invoices` group (`add_draft_commands`); a finalized invoice refuses every
edit with the one-line error "invoice F-… is finalized: issue a credit note".
"""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tarif.catalog import service as catalog
from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    console,
    fail,
    one_line_errors,
    parse_day,
    print_json,
    print_table,
    say,
    to_plain,
)
from tarif.invoicing import service
from tarif.invoicing.schemas import InvoiceLineRead, InvoiceRead


def _lines_table(ctx: Any, invoice_id: str) -> None:
    invoice = service.get_invoice(ctx, invoice_id)
    rows = [
        to_plain(InvoiceLineRead.of(line, invoice.currency))
        for line in service.invoice_lines(ctx, invoice.id)
    ]
    print_table(rows, ["position", "source", "description", "quantity", "net_amount", "vat_rate"])
    say(
        f"net {invoice.net_total} VAT {invoice.vat_total} gross {invoice.gross_total} "
        f"{invoice.currency}"
    )


def add_line(
    invoice_id: str,
    description: str = typer.Option(None, "--description", help="Default: the product's name"),
    quantity: str = typer.Option("1", "--quantity", help="Positive, e.g. 2 or 1.5"),
    price: str = typer.Option(..., "--unit-price", help="Net unit price, e.g. 75.50"),
    vat_category: str = typer.Option(
        None, "--vat-category", help="standard, intermediate, reduced, super_reduced, exempt"
    ),
    product: str = typer.Option(None, "--product", help="Product id or code (VAT, description)"),
    period_start: str = typer.Option(None, "--period-start", help="YYYY-MM-DD"),
    period_last_day: str = typer.Option(None, "--period-last-day", help="YYYY-MM-DD, inclusive"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Add a one-off line to a draft invoice."""
    # a bad day named as its option, like `bill run --as-of`
    parse_day(period_start or None, "--period-start")
    parse_day(period_last_day or None, "--period-last-day")
    with cli_ctx(org) as ctx:
        service.get_invoice(ctx, invoice_id)  # an unknown invoice is named before the product
        values: dict[str, Any] = {
            "description": description,
            "quantity": quantity,
            "unit_price": price,
            "vat_category": vat_category,
            "period_start": period_start,
            "period_last_day": period_last_day,
        }
        if product:
            values["product_id"] = catalog.find_product(ctx, product).id
        line = service.add_line(ctx, invoice_id, values)
        code = service.get_invoice(ctx, invoice_id).currency
        read = to_plain(InvoiceLineRead.of(line, code))
        ctx.session.commit()
        if as_json:
            print_json(read)
            return
        say(f"added line {read['position']} to {invoice_id}: {read['net_amount']} {code}")
        _lines_table(ctx, invoice_id)


def remove_line(invoice_id: str, position: int, org: str = OrgOption) -> None:
    """Remove a one-off line from a draft invoice (contract lines: regenerate instead)."""
    with cli_ctx(org) as ctx:
        service.remove_line(ctx, invoice_id, position)
        ctx.session.commit()
        say(f"removed line {position} from {invoice_id}")
        _lines_table(ctx, invoice_id)


def update(
    invoice_id: str,
    notes: str = typer.Option(None, "--notes", help="Printed on the invoice ('' clears)"),
    purchase_order: str = typer.Option(None, "--purchase-order", help="'' clears"),
    org: str = OrgOption,
) -> None:
    """Set a draft invoice's notes and purchase order."""
    changes = {
        name: value
        for name, value in (("notes", notes), ("purchase_order", purchase_order))
        if value is not None
    }
    with cli_ctx(org) as ctx:
        service.get_invoice(ctx, invoice_id)
        if not changes:
            fail("nothing to change: give --notes or --purchase-order")
        invoice = service.update_draft(ctx, invoice_id, changes)
        ctx.session.commit()
        say(f"updated {invoice.id}")


def regenerate(invoice_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Rebuild a draft's contract lines from the contracts as they are now."""
    with cli_ctx(org) as ctx:
        done = service.regenerate_draft(ctx, invoice_id)
        read = None
        if done.invoice is not None:
            lines = service.invoice_lines(ctx, done.invoice.id)
            read = to_plain(InvoiceRead.of(done.invoice, lines, False))
        ctx.session.commit()
    if as_json:
        print_json({"invoice_id": invoice_id, "outcome": done.outcome, "invoice": read})
        return
    if read is None:
        say(f"{invoice_id}: nothing is due any more and it had no one-off line: deleted")
    elif done.outcome == "manual_lines_only":
        say(
            f"{invoice_id}: nothing is due any more; its one-off lines stay ({read['gross_total']})"
        )
    else:
        say(f"{invoice_id}: {done.contract_lines} contract line(s), gross {read['gross_total']}")


def delete(
    invoice_id: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    org: str = OrgOption,
) -> None:
    """Delete a draft invoice: its charges are billed again by the next run."""
    with cli_ctx(org) as ctx:
        invoice = service.get_invoice(ctx, invoice_id)
        if invoice.status == "draft" and not yes:
            typer.confirm(f"delete draft {invoice.id} ({invoice.gross_total})?", abort=True)
        service.delete_draft(ctx, invoice.id)
        ctx.session.commit()
    say(f"deleted draft {invoice_id}")


def finalize_due(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Finalize the drafts older than the organization's auto_finalize_after_hours."""
    with cli_ctx(org) as ctx:
        with Progress(
            TextColumn("drafts"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            disable=as_json,
        ) as progress:
            task = progress.add_task("finalize", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            outcome = service.finalize_due(ctx, progress=advance)
        rows = [
            {"id": i.id, "number": i.number, "gross_total": str(i.gross_total)}
            for i in outcome.finalized
        ]
        ctx.session.commit()
    if as_json:
        print_json(
            {
                "after_hours": outcome.after_hours,
                "finalized": rows,
                "skipped_empty": outcome.skipped_empty,
            }
        )
        return
    if outcome.after_hours is None:
        say("auto-finalization is off (auto_finalize_after_hours is not set): nothing done")
        return
    print_table(rows, ["id", "number", "gross_total"], title="finalized")
    say(f"{len(rows)} invoice(s) finalized")
    for draft_id in outcome.skipped_empty:
        say(f"skipped {draft_id}: an empty draft is not finalized")


def add_discount(
    invoice_id: str,
    percent: str = typer.Option(None, "--percent", help="Percentage off every line, e.g. 10"),
    amount: str = typer.Option(None, "--amount", help="Amount off, in the invoice's currency"),
    description: str = typer.Option("", "--description", help="Printed on the discount lines"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Add a discount over a whole draft: one negative line per VAT rate, never below zero."""
    from tarif.coupons import service as coupons  # coupons build on invoicing, not the reverse

    with cli_ctx(org) as ctx:
        service.get_invoice(ctx, invoice_id)  # an unknown invoice is named first
        if (percent is None) == (amount is None):
            fail("give --percent or --amount (one of them)")
        kind, value = ("percentage", percent) if percent is not None else ("fixed", amount)
        lines = coupons.add_invoice_discount(ctx, invoice_id, kind, value, description)
        code = service.get_invoice(ctx, invoice_id).currency
        read = [to_plain(InvoiceLineRead.of(line, code)) for line in lines]
        ctx.session.commit()
        if as_json:
            print_json(read)
            return
        say(f"added {len(read)} discount line(s) to {invoice_id}")
        _lines_table(ctx, invoice_id)


def add_draft_commands(app: typer.Typer) -> None:
    """Adds the draft commands to the `invoices` group."""
    for name, fn in (
        ("add-line", add_line),
        ("add-discount", add_discount),
        ("remove-line", remove_line),
        ("update", update),
        ("regenerate", regenerate),
        ("delete", delete),
        ("finalize-due", finalize_due),
    ):
        app.command(name)(one_line_errors(fn))
