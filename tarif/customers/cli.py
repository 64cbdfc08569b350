"""`tarif customers list|show|create|update|archive|delete|import` and
`… contacts add|list|update|remove`.

A customer is named by its id or its external id, whichever is handier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
    console,
    fail,
    one_line_errors,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
    say_next_page,
    to_plain,
)
from tarif.context import Ctx
from tarif.customers import service
from tarif.customers.csv_io import parse_csv, report_csv
from tarif.customers.models import Customer
from tarif.customers.schemas import ContactRead, CustomerRead
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput

app = typer.Typer(no_args_is_help=True)
contacts_app = typer.Typer(no_args_is_help=True)
app.add_typer(contacts_app, name="contacts", help="A customer's contacts")

LIST_COLUMNS = ["id", "external_id", "legal_name", "country", "currency", "tax_treatment"]


def _plain(ctx: Ctx, customer: Customer) -> dict[str, Any]:
    treatment = service.treatment_of(customer, service.organization(ctx).country)
    return to_plain(CustomerRead.of(customer, treatment))


def _metadata(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput.on("metadata", f"'{pair}' is not KEY=VALUE")
        out[key.strip()] = value
    return out


@app.command("list")
@one_line_errors
def list_customers(
    q: str = typer.Option(None, "--q", "-q", help="Search external id, name, VAT, e-mails"),
    country: str = typer.Option(None, help="Only this country (ISO 3166)"),
    currency: str = typer.Option(None, help="Only this currency (ISO 4217)"),
    archived: bool = typer.Option(
        None, "--archived/--active", help="Only archived / only active (default: all)"
    ),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100),
    starting_after: str = typer.Option(None, help="Continue after this customer id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """List customers, in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_customers(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            country=country,
            currency=currency,
            archived=archived,
        )
        seller_country = service.organization(ctx).country
        rows = [
            to_plain(CustomerRead.of(c, service.treatment_of(c, seller_country)))
            for c in page.items
        ]
    if as_json:
        print_json(rows)
        return
    print_table(rows, LIST_COLUMNS)
    say_next_page(page)


@app.command("show")
@one_line_errors
def show_customer(
    customer: str = typer.Argument(..., help="Id or external id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a customer, its computed tax treatment and its contacts."""
    with cli_ctx(org) as ctx:
        found = service.resolve_customer(ctx, customer)
        data = _plain(ctx, found)
        contacts = [to_plain(ContactRead.of(c)) for c in service.all_contacts(ctx, found.id)]
    if as_json:
        print_json(data | {"contacts": contacts})
        return
    print_record(data)
    if contacts:
        print_table(contacts, ["id", "name", "role", "email", "phone"], title="Contacts")


def _values(**given: Any) -> dict[str, Any]:
    """Options given on the command line (None = not given; "" clears a field)."""
    values = {k: v for k, v in given.items() if v is not None}
    if "invoice_emails" in values:
        values["invoice_emails"] = [e for e in values["invoice_emails"] if e.strip()]
    return {k: (None if v == "" else v) for k, v in values.items()}


@app.command("create")
@one_line_errors
def create_customer(
    legal_name: str = typer.Option(..., help="Legal name"),
    country: str = typer.Option(..., help="Billing country (ISO 3166, e.g. FR)"),
    external_id: str = typer.Option(None, help="Your id (default: the Tarif id)"),
    kind: str = typer.Option(None, help="company (default) or person"),
    address_line1: str = typer.Option(None),
    address_line2: str = typer.Option(None),
    postal_code: str = typer.Option(None),
    city: str = typer.Option(None),
    state: str = typer.Option(None),
    vat_number: str = typer.Option(None, help="EU VAT number, e.g. FR44732829320"),
    siren: str = typer.Option(None, help="French companies"),
    siret: str = typer.Option(None, help="French companies"),
    email: list[str] = typer.Option(None, "--email", help="Invoice e-mail (repeatable)"),
    currency: str = typer.Option(None, help="Default: the organization's"),
    language: str = typer.Option(None, help="fr or en (default: the organization's)"),
    timezone: str = typer.Option(None, help="Default: the organization's"),
    payment_terms_days: int = typer.Option(None, help="Default: 30"),
    end_of_month: bool = typer.Option(None, "--end-of-month/--no-end-of-month"),
    tax_status: str = typer.Option(None, help="standard (default) or exempt"),
    pricelist_id: str = typer.Option(None),
    notes: str = typer.Option(None),
    meta: list[str] = typer.Option(None, "--meta", help="KEY=VALUE metadata (repeatable)"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a customer; absent options take the organization's defaults."""
    values = _values(
        legal_name=legal_name,
        country=country,
        external_id=external_id,
        kind=kind,
        address_line1=address_line1,
        address_line2=address_line2,
        postal_code=postal_code,
        city=city,
        state=state,
        vat_number=vat_number,
        siren=siren,
        siret=siret,
        invoice_emails=email or None,
        currency=currency,
        language=language,
        timezone=timezone,
        payment_terms_days=payment_terms_days,
        payment_terms_end_of_month=end_of_month,
        tax_status=tax_status,
        pricelist_id=pricelist_id,
        notes=notes,
        metadata=_metadata(meta) or None,
    )
    with cli_ctx(org) as ctx:
        customer = service.create_customer(ctx, values)
        ctx.session.commit()
        data = _plain(ctx, customer)
    if as_json:
        print_json(data)
    else:
        # From `data`: the session is closed by now, and its rows expired with it.
        say(f"customer {data['id']} created: {data['legal_name']} ({data['tax_treatment']})")


@app.command("update")
@one_line_errors
def update_customer(
    customer: str = typer.Argument(..., help="Id or external id"),
    legal_name: str = typer.Option(None),
    country: str = typer.Option(None),
    external_id: str = typer.Option(None),
    kind: str = typer.Option(None),
    address_line1: str = typer.Option(None),
    address_line2: str = typer.Option(None),
    postal_code: str = typer.Option(None),
    city: str = typer.Option(None),
    state: str = typer.Option(None),
    vat_number: str = typer.Option(None, help='"" removes it'),
    siren: str = typer.Option(None, help='"" removes it'),
    siret: str = typer.Option(None, help='"" removes it'),
    email: list[str] = typer.Option(
        None, "--email", help='Replaces the invoice e-mails (repeatable; --email "" clears)'
    ),
    currency: str = typer.Option(None),
    language: str = typer.Option(None),
    timezone: str = typer.Option(None),
    payment_terms_days: int = typer.Option(None),
    end_of_month: bool = typer.Option(None, "--end-of-month/--no-end-of-month"),
    tax_status: str = typer.Option(None),
    pricelist_id: str = typer.Option(None, help='"" removes it'),
    notes: str = typer.Option(None, help='"" removes them'),
    meta: list[str] = typer.Option(
        None, "--meta", help="KEY=VALUE sets a key, KEY= removes it (repeatable)"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change only the options given."""
    changes = _values(
        legal_name=legal_name,
        country=country,
        external_id=external_id,
        kind=kind,
        address_line1=address_line1,
        address_line2=address_line2,
        postal_code=postal_code,
        city=city,
        state=state,
        vat_number=vat_number,
        siren=siren,
        siret=siret,
        invoice_emails=email or None,
        currency=currency,
        language=language,
        timezone=timezone,
        payment_terms_days=payment_terms_days,
        payment_terms_end_of_month=end_of_month,
        tax_status=tax_status,
        pricelist_id=pricelist_id,
        notes=notes,
    )
    with cli_ctx(org) as ctx:
        found = service.resolve_customer(ctx, customer)
        if meta:
            merged = dict(found.custom_metadata or {}) | _metadata(meta)
            changes["metadata"] = {k: v for k, v in merged.items() if v != ""}
        updated = service.update_customer(ctx, found.id, changes)
        ctx.session.commit()
        data = _plain(ctx, updated)
    if as_json:
        print_json(data)
    else:
        say(f"customer {data['id']} updated: {data['legal_name']}")


@app.command("archive")
@one_line_errors
def archive_customer(
    customer: str = typer.Argument(..., help="Id or external id"),
    undo: bool = typer.Option(False, "--undo", help="Bring an archived customer back"),
    org: str = OrgOption,
) -> None:
    """Archive a customer (it stays, out of the everyday lists)."""
    with cli_ctx(org) as ctx:
        found = service.set_archived(ctx, service.resolve_customer(ctx, customer).id, not undo)
        ctx.session.commit()
    say(f"customer {found.id} {'restored' if undo else 'archived'}")


@app.command("delete")
@one_line_errors
def delete_customer(
    customer: str = typer.Argument(..., help="Id or external id"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    org: str = OrgOption,
) -> None:
    """Delete a customer nothing refers to (with contracts or invoices: archive it)."""
    with cli_ctx(org) as ctx:
        found = service.resolve_customer(ctx, customer)
        if not yes and not typer.confirm(f"Delete {found.legal_name} ({found.id})?"):
            fail("not deleted")
        service.delete_customer(ctx, found.id)
        ctx.session.commit()
    say(f"customer {found.id} deleted")


@app.command("import")
@one_line_errors
def import_customers(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    update_existing: bool = typer.Option(
        False, "--update-existing", help="Update the customers whose external id exists"
    ),
    report: Path = typer.Option(None, "--report", help="Write the per-row report to this CSV"),
    org: str = OrgOption,
) -> None:
    """Import customers from a CSV file (columns: docs/customers.md).

    Rows with errors are reported and skipped, the others are imported; the exit code is 1
    when any row failed.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    rows = parse_csv(text)
    with cli_ctx(org) as ctx:
        with Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task("import", total=len(rows))
            result = service.import_customers(
                ctx,
                rows,
                update_existing=update_existing,
                on_row=lambda _row: progress.advance(task),
            )
            progress.update(task, completed=len(rows))
        ctx.session.commit()
    plain = [r.as_dict() for r in result.rows]
    _print_report(plain)
    if report is not None:
        report.write_text(report_csv(plain), encoding="utf-8")
        say(f"report written to {report}")
    counts = {s: result.count(s) for s in service.RowStatus}
    say(", ".join(f"{n} {s.value}" for s, n in counts.items()))
    if result.failed:
        fail(f"{result.failed} of {len(result.rows)} rows were not imported (see the report)")


def _print_report(rows: list[dict[str, Any]]) -> None:
    table = Table(title="Import report")
    for column in ("row", "external_id", "status", "customer_id", "messages"):
        table.add_column(column)
    styles = {"error": "red", "imported": "green", "updated": "cyan", "unchanged": "dim"}
    for row in rows:
        table.add_row(
            str(row["row"]),
            Text(str(row["external_id"] or "")),
            Text(str(row["status"]), style=styles.get(str(row["status"]), "")),
            Text(str(row["customer_id"] or "")),
            Text("\n".join(row["messages"])),
        )
    console.print(table)


# --- contacts --------------------------------------------------------------------------------


@contacts_app.command("add")
@one_line_errors
def add_contact(
    customer: str = typer.Argument(..., help="Id or external id"),
    name: str = typer.Option(...),
    role: str = typer.Option(None),
    email: str = typer.Option(None),
    phone: str = typer.Option(None),
    org: str = OrgOption,
) -> None:
    """Add a contact to a customer."""
    with cli_ctx(org) as ctx:
        found = service.resolve_customer(ctx, customer)
        contact = service.add_contact(
            ctx, found.id, _values(name=name, role=role, email=email, phone=phone)
        )
        ctx.session.commit()
    say(f"contact {contact.id} added to {found.legal_name}")


@contacts_app.command("list")
@one_line_errors
def list_contacts(
    customer: str = typer.Argument(..., help="Id or external id"),
    q: str = typer.Option(None, "--q", "-q", help="Search name and e-mail"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100),
    starting_after: str = typer.Option(None, help="Continue after this contact id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """List a customer's contacts, in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        found = service.resolve_customer(ctx, customer)
        page = service.list_contacts(
            ctx,
            found.id,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
        )
        rows = [to_plain(ContactRead.of(c)) for c in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["id", "name", "role", "email", "phone"])
    say_next_page(page)


@contacts_app.command("update")
@one_line_errors
def update_contact(
    customer: str = typer.Argument(..., help="Id or external id"),
    contact_id: str = typer.Argument(..., help="Contact id"),
    name: str = typer.Option(None),
    role: str = typer.Option(None, help='"" clears it'),
    email: str = typer.Option(None, help='"" clears it'),
    phone: str = typer.Option(None, help='"" clears it'),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a contact's name, role, e-mail or phone (only the options given)."""
    changes = _values(name=name, role=role, email=email, phone=phone)
    if not changes:
        fail("nothing to change: give --name, --role, --email or --phone")
    with cli_ctx(org) as ctx:
        found = service.resolve_customer(ctx, customer)
        contact = service.update_contact(ctx, found.id, contact_id, changes)
        ctx.session.commit()
        read = to_plain(ContactRead.of(contact))
    if as_json:
        print_json(read)
        return
    say(f"contact {read['id']} updated")


@contacts_app.command("remove")
@one_line_errors
def remove_contact(
    customer: str = typer.Argument(..., help="Id or external id"),
    contact_id: str = typer.Argument(..., help="Contact id"),
    org: str = OrgOption,
) -> None:
    """Remove a contact from a customer."""
    with cli_ctx(org) as ctx:
        found = service.resolve_customer(ctx, customer)
        service.remove_contact(ctx, found.id, contact_id)
        ctx.session.commit()
    say(f"contact {contact_id} removed")
