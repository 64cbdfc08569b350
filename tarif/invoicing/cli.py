"""`tarif bill run|finalize|list|show` and
`tarif invoices list|show|upcoming|finalize|explain|pay|payments`."""

from __future__ import annotations

from datetime import date

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

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
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.invoicing import run_jobs, service
from tarif.invoicing.cli_drafts import add_draft_commands
from tarif.invoicing.schemas import BillingRunRead, InvoicePreview, InvoiceRead, PaymentRead
from tarif.jobs.schemas import JobRead

bill_app = typer.Typer(no_args_is_help=True)
invoices_app = typer.Typer(no_args_is_help=True)
add_draft_commands(invoices_app)  # add-line, remove-line, update, regenerate, delete, finalize-due

INVOICE_COLUMNS = ["id", "number", "status", "customer_id", "billing_date", "gross_total"]
PREVIEW_COLUMNS = ["id", "customer_id", "billing_date", "net_total", "vat_total", "gross_total"]


@bill_app.command("run")
@one_line_errors
def run(
    as_of: str = typer.Option(..., "--as-of", help="Invoice everything due up to this day"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the invoices, write nothing"),
    finalize: bool = typer.Option(
        False, "--finalize", help="Finalize the drafts written, numbered in billing order"
    ),
    background: bool = typer.Option(
        False, "--background", help="Queue the run for a worker (tarif worker) and return"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Make the draft invoices of everything due up to a day (once: a rerun adds nothing)."""
    day = parse_day(as_of, "--as-of")
    if dry_run and finalize:  # refused before the progress bar prints anything
        fail("--finalize: a dry run writes nothing, so nothing can be finalized: drop one")
    if background:
        _queue(day, dry_run, finalize, org, as_json)
        return
    with cli_ctx(org) as ctx:
        with Progress(
            TextColumn("contracts"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            disable=as_json,  # stdout is the JSON document
        ) as progress:
            task = progress.add_task("bill", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            outcome = service.run_billing(
                ctx, day, dry_run=dry_run, progress=advance, finalize=finalize
            )
        ctx.session.commit()
        previews = [to_plain(InvoicePreview.of(d)) for d in outcome.invoices]
        run_read = to_plain(BillingRunRead.of(outcome.run)) if outcome.run else None
    if as_json:
        print_json(
            {
                "run": run_read,
                "dry_run": dry_run,
                "invoices": previews,
                "finalized": outcome.finalized,
            }
        )
        return
    # A dry run's groups that would go on an open draft (an earlier run of the day) name it.
    joining = ["joins_draft_id"] if any(p["joins_draft_id"] for p in previews) else []
    made = PREVIEW_COLUMNS if not dry_run else PREVIEW_COLUMNS[1:]  # a preview has no id
    columns = made + joining
    print_table(previews, columns, title="would invoice" if dry_run else "invoiced")
    say(f"{len(previews)} invoice(s) {'would be made' if dry_run else 'made'}")
    if outcome.finalized:
        say(f"{outcome.finalized} invoice(s) finalized")


def _queue(day: date, dry_run: bool, finalize: bool, org: str, as_json: bool) -> None:
    if dry_run:
        raise typer.BadParameter("a dry run is shown at once: drop --background")
    with cli_ctx(org) as ctx:
        job = run_jobs.queue_run(ctx, day, finalize=finalize)
        ctx.session.commit()
        read = to_plain(JobRead.of(job))
    if as_json:
        print_json(read)
        return
    say(f"billing run as of {day.isoformat()} queued: job {read['id']}")
    say(f"a worker runs it (tarif worker); follow it with: tarif jobs show {read['id']}")


@invoices_app.command("list")
@one_line_errors
def list_invoices(
    # The enum, as the API's query parameter: a mistyped status is refused, not an empty list
    status: service.InvoiceStatus = typer.Option(
        None, "--status", help="draft, finalized, partially_paid, paid, credited, voided"
    ),
    customer: str = typer.Option(None, "--customer", help="Customer id or external id"),
    billed_from: str = typer.Option(None, "--from", help="Billing date on or after (YYYY-MM-DD)"),
    billed_to: str = typer.Option(None, "--to", help="Billing date on or before (YYYY-MM-DD)"),
    overdue: bool = typer.Option(None, "--overdue/--not-overdue", help="Past due and unpaid"),
    q: str = typer.Option(None, "--q", "-q", help="Search the number"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Invoices in creation order."""
    from_day, to_day = parse_day(billed_from, "--from"), parse_day(billed_to, "--to")
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_invoices(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            status=status.value if status else None,
            customer_id=customers.resolve_customer(ctx, customer).id if customer else None,
            billed_from=from_day,
            billed_to=to_day,
            overdue=overdue,
        )
        rows = [to_plain(InvoiceRead.of(i, [], service.is_overdue(ctx, i))) for i in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, INVOICE_COLUMNS)
    say_next_page(page)


@invoices_app.command("upcoming")
@one_line_errors
def upcoming(
    customer: str = typer.Argument(..., help="Customer id or external id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The customer's next invoice(s) as a billing run would make them; nothing is written."""
    with cli_ctx(org) as ctx:
        drafts = service.upcoming_invoices(ctx, customers.resolve_customer(ctx, customer).id)
        ctx.session.rollback()
        previews = [to_plain(InvoicePreview.of(d)) for d in drafts]
    if as_json:
        print_json(previews)
        return
    if not previews:
        say("nothing to invoice")
        return
    for preview in previews:
        print_record({k: v for k, v in preview.items() if k not in ("lines", "vat_breakdown")})
        print_table(
            preview["lines"], ["kind", "period_start", "period_last_day", "net_amount", "vat_rate"]
        )


@invoices_app.command("show")
@one_line_errors
def show(invoice_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An invoice with its lines."""
    with cli_ctx(org) as ctx:
        invoice = service.get_invoice(ctx, invoice_id)
        read = to_plain(
            InvoiceRead.of(
                invoice, service.invoice_lines(ctx, invoice.id), service.is_overdue(ctx, invoice)
            )
        )
    if as_json:
        print_json(read)
        return
    lines = read.pop("lines")
    print_record(read)
    print_table(lines, ["position", "description", "period_start", "net_amount", "vat_rate"])


@invoices_app.command("finalize")
@one_line_errors
def finalize(invoice_id: str, org: str = OrgOption) -> None:
    """Number a draft and seal it: it can no longer change (a whole run: `tarif bill finalize`)."""
    with cli_ctx(org) as ctx:
        invoice = service.finalize_invoice(ctx, invoice_id)
        number = invoice.number
        ctx.session.commit()
    say(f"finalized {invoice_id} as {number}")


@bill_app.command("finalize")
@one_line_errors
def finalize_run(run_id: str, org: str = OrgOption) -> None:
    """Finalize every draft of a billing run at once, numbered in billing order."""
    _finalize_run(run_id, org)


def _finalize_run(run_id: str, org: str) -> None:
    with cli_ctx(org) as ctx:
        service.get_run(ctx, run_id)  # an unknown run is refused before the progress bar shows
        with Progress(
            TextColumn("invoices"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task("finalize", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            done = service.finalize_run(ctx, run_id, progress=advance)
        ctx.session.commit()
    if done.finalized:
        say(f"finalized {done.finalized} invoice(s): {done.first_number} to {done.last_number}")
    else:
        say("no draft to finalize in this run")
    if done.skipped_empty:
        say(f"{len(done.skipped_empty)} empty draft(s) left as drafts")
    for note_id in done.held_back:
        say(f"credit note {note_id} left as a draft: it credits more than its invoice has left")


RUN_COLUMNS = ["id", "as_of", "status", "invoices_created", "lines_created", "started_at"]


@bill_app.command("list")
@one_line_errors
def list_runs(
    q: str = typer.Option(None, "--q", "-q", help="Search who started the run"),
    updated_since: str = typer.Option(
        None,
        "--updated-since",
        help="Only runs started at or after this instant (RFC 3339; no offset: UTC)",
    ),
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Billing runs in the order they were made (as GET /v1/billing-runs)."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_runs(
            ctx, PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q)
        )
        rows = [to_plain(BillingRunRead.of(r)) for r in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, RUN_COLUMNS)
    say_next_page(page)


@bill_app.command("show")
@one_line_errors
def show_run(run_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One billing run: its day, status and what it made (as GET /v1/billing-runs/{id})."""
    with cli_ctx(org) as ctx:
        read = to_plain(BillingRunRead.of(service.get_run(ctx, run_id)))
    print_json(read) if as_json else print_record(read)


@invoices_app.command("explain")
@one_line_errors
def explain(invoice_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Where each line comes from: contract, version, line, price source, discounts."""
    with cli_ctx(org) as ctx:
        lines = service.explain(ctx, invoice_id)
    if as_json:
        print_json(lines)
        return
    print_table(
        lines,
        [
            "position",
            "contract_id",
            "contract_version",
            "line_key",
            "period_start",
            "period_end",
            "price_source",
            "exact_net",
            "net_amount",
            "vat_rate",
        ],
    )


@invoices_app.command("pay")
@one_line_errors
def pay(
    invoice_id: str,
    amount: str = typer.Option(..., "--amount", help="Amount received, e.g. 100.00"),
    on: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)"),
    reference: str = typer.Option("", "--reference", help="Bank reference"),
    org: str = OrgOption,
) -> None:
    """Record a payment received for a finalized invoice."""
    day = parse_day(on, "--date") if on else None
    with cli_ctx(org) as ctx:
        payment = service.record_payment(
            ctx, invoice_id, amount=amount, paid_on=day, reference=reference
        )
        read = PaymentRead.of(payment, service.get_invoice(ctx, invoice_id))
        ctx.session.commit()
    say(f"recorded {read.amount} on {invoice_id}: now {read.invoice_status}")


@invoices_app.command("payments")
@one_line_errors
def payments(
    invoice_id: str,
    q: str = typer.Option(None, "--q", "-q", help="Search the payment's reference"),
    updated_since: str = typer.Option(
        None,
        "--updated-since",
        help="Only payments recorded at or after this instant (RFC 3339; no offset: UTC)",
    ),
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """An invoice's payments in the order recorded, the credit balance used included."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        invoice = service.get_invoice(ctx, invoice_id)
        page = service.invoice_payments_page(
            ctx,
            invoice.id,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
        )
        rows = [to_plain(PaymentRead.of(p, invoice)) for p in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["id", "paid_on", "amount", "method", "reference"])
    say_next_page(page)
