"""`tarif products …` and `tarif pricelists …`.

A product is named by its id or its code; a pricelist by its id.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tarif.catalog import service
from tarif.catalog.imports import (
    ENTRY_COLUMNS,
    PRODUCT_COLUMNS,
    CsvTable,
    ImportReport,
    import_entries,
    import_products,
    read_csv,
    report_csv,
)
from tarif.catalog.schemas import (
    EntryRead,
    PricelistDetail,
    PricelistRead,
    PriceQuoteRead,
    ProductRead,
)
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
from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.pricing.inputs import charge_option

products_app = typer.Typer(no_args_is_help=True)
pricelists_app = typer.Typer(no_args_is_help=True)

PRODUCT_COLUMNS_SHOWN = ["id", "code", "name_en", "name_fr", "kind", "unit_label", "active"]
PRICELIST_COLUMNS_SHOWN = ["id", "name", "currency", "valid_from", "valid_to", "is_default"]
ENTRY_COLUMNS_SHOWN = [
    "id",
    "product_code",
    "unit_price",
    "currency",
    "periodicity",
    "timing",
    "charge_summary",
]

LimitOption = typer.Option(50, min=1, max=100, help="Page size")
AfterOption = typer.Option(None, "--starting-after", help="Continue after this id")
ReportOption = typer.Option(None, "--report", help="Write the per-row report to this CSV file")
DryRunOption = typer.Option(False, "--dry-run", help="Check every row, save nothing")
ChargeOption = typer.Option(
    None, "--charge", help='Usage products: the charge as JSON, e.g. \'{"metric": "calls", …}\''
)
ChargeFileOption = typer.Option(
    None, "--charge-file", help="Usage products: a JSON file holding the charge (docs/charges.md)"
)


def _given(**options: Any) -> dict[str, Any]:
    """The options typed on the command line (None = not given; "" clears an optional field)."""
    return {k: v for k, v in options.items() if v is not None}


# --- products ----------------------------------------------------------------------------------


@products_app.command("list")
@one_line_errors
def list_products(
    q: str = typer.Option(None, "--q", "-q", help="Search code and names"),
    kind: str = typer.Option(None, help="recurring, one_off or usage"),
    archived: bool = typer.Option(
        None, "--archived/--active", help="Only archived / only active (default: all)"
    ),
    updated_since: str = UpdatedSinceOption,
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """List products, in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_products(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            kind=kind,
            active=None if archived is None else not archived,
        )
        rows = [to_plain(ProductRead.model_validate(p)) for p in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, PRODUCT_COLUMNS_SHOWN)
    say_next_page(page)


@products_app.command("show")
@one_line_errors
def show_product(
    product: str = typer.Argument(..., help="Id or code"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a product and its price in every pricelist."""
    with cli_ctx(org) as ctx:
        found = service.find_product(ctx, product)
        data = to_plain(ProductRead.model_validate(found))
        prices = [
            to_plain(EntryRead.of(e)) | {"pricelist_name": e.pricelist.name}
            for e in service.entries_of_product(ctx, found.id)
        ]
    if as_json:
        print_json(data | {"prices": prices})
        return
    print_record(data)
    if prices:
        columns = ["pricelist_name", "unit_price", "currency", "periodicity", "timing"]
        print_table(prices, columns, title="Prices")


@products_app.command("create")
@one_line_errors
def create_product(
    code: str = typer.Option(..., help="Unique code, e.g. hosting"),
    kind: str = typer.Option(..., help="recurring, one_off or usage"),
    name_en: str = typer.Option(None, help="English name (this or --name-fr is needed)"),
    name_fr: str = typer.Option(None, help="French name"),
    description_en: str = typer.Option(None),
    description_fr: str = typer.Option(None),
    unit_label: str = typer.Option(None, help="e.g. month, call, GB"),
    revenue_account: str = typer.Option(None, help="e.g. 706000"),
    vat_category: str = typer.Option(
        None, help="standard (default), intermediate, reduced, super_reduced or exempt"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a product."""
    values = _given(
        code=code,
        kind=kind,
        name_en=name_en,
        name_fr=name_fr,
        description_en=description_en,
        description_fr=description_fr,
        unit_label=unit_label,
        revenue_account=revenue_account,
        vat_category=vat_category,
    )
    with cli_ctx(org) as ctx:
        created = service.create_product(ctx, values)
        ctx.session.commit()
        data = to_plain(ProductRead.model_validate(created))
    print_json(data) if as_json else say(f"product {created.id} created: {created.code}")


@products_app.command("update")
@one_line_errors
def update_product(
    product: str = typer.Argument(..., help="Id or code"),
    code: str = typer.Option(None),
    kind: str = typer.Option(None),
    name_en: str = typer.Option(None, help='"" removes it'),
    name_fr: str = typer.Option(None, help='"" removes it'),
    description_en: str = typer.Option(None, help='"" removes it'),
    description_fr: str = typer.Option(None, help='"" removes it'),
    unit_label: str = typer.Option(None, help='"" removes it'),
    revenue_account: str = typer.Option(None, help='"" removes it'),
    vat_category: str = typer.Option(None),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change only the options given."""
    changes = _given(
        code=code,
        kind=kind,
        name_en=name_en,
        name_fr=name_fr,
        description_en=description_en,
        description_fr=description_fr,
        unit_label=unit_label,
        revenue_account=revenue_account,
        vat_category=vat_category,
    )
    with cli_ctx(org) as ctx:
        updated = service.update_product(ctx, service.find_product(ctx, product).id, changes)
        ctx.session.commit()
        data = to_plain(ProductRead.model_validate(updated))
    print_json(data) if as_json else say(f"product {updated.id} updated: {updated.code}")


@products_app.command("archive")
@one_line_errors
def archive_product(
    product: str = typer.Argument(..., help="Id or code"),
    undo: bool = typer.Option(False, "--undo", help="Bring an archived product back"),
    org: str = OrgOption,
) -> None:
    """Archive a product: it keeps its prices and history but is no longer offered."""
    with cli_ctx(org) as ctx:
        found = service.find_product(ctx, product)
        change = service.unarchive_product if undo else service.archive_product
        change(ctx, found.id)
        ctx.session.commit()
    say(f"product {found.code} {'restored' if undo else 'archived'}")


@products_app.command("delete")
@one_line_errors
def delete_product(
    product: str = typer.Argument(..., help="Id or code"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    org: str = OrgOption,
) -> None:
    """Delete a product nothing refers to (a priced or sold product can only be archived)."""
    with cli_ctx(org) as ctx:
        found = service.find_product(ctx, product)
        if not yes and not typer.confirm(f"Delete product {found.code} ({found.id})?"):
            fail("not deleted")
        service.delete_product(ctx, found.id)
        ctx.session.commit()
    say(f"product {found.code} deleted")


def _read(file: Path, columns: tuple[str, ...], required: tuple[str, ...]) -> CsvTable:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
        raise AssertionError from None  # unreachable: fail() exits
    return read_csv(text, columns, required)


def _run_import(
    ctx: Ctx,
    table: CsvTable,
    run: Callable[[Callable[[int], None]], ImportReport],
    report_file: Path | None,
    dry_run: bool,
) -> None:
    with Progress(
        TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("import", total=len(table.rows))
        report = run(lambda _line: progress.advance(task))
    if not dry_run:
        ctx.session.commit()
    for row in report.rejected:
        say(f"line {row.line} ({row.key or 'no key'}): " + "; ".join(row.errors))
    if report_file is not None:
        report_file.write_text(report_csv(report), encoding="utf-8")
        say(f"report written to {report_file}")
    say(report.summary() + (" (dry run: nothing saved)" if dry_run else ""))
    if report.rejected:
        fail(f"{len(report.rejected)} of {len(report.rows)} rows were not imported")


@products_app.command("import")
@one_line_errors
def import_products_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    report: Path = ReportOption,
    dry_run: bool = DryRunOption,
    org: str = OrgOption,
) -> None:
    """Import products from CSV (columns: code, name_en, name_fr, description_en,
    description_fr, kind, unit_label, revenue_account, vat_category, active).

    Known codes are updated, new ones created; an empty cell keeps the current value. Rows with
    errors are skipped and reported, the others saved; the exit code is 1 if any row failed.
    """
    table = _read(file, PRODUCT_COLUMNS, ("code",))
    with cli_ctx(org) as ctx:
        _run_import(ctx, table, lambda tick: import_products(ctx, table, tick), report, dry_run)


# --- pricelists --------------------------------------------------------------------------------


@pricelists_app.command("list")
@one_line_errors
def list_pricelists(
    q: str = typer.Option(None, "--q", "-q", help="Search names"),
    currency: str = typer.Option(None, help="Only this currency (ISO 4217)"),
    default: bool = typer.Option(
        None, "--default/--not-default", help="Only default / only other pricelists"
    ),
    updated_since: str = UpdatedSinceOption,
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """List pricelists, in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_pricelists(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            currency=currency,
            is_default=default,
        )
        rows = [to_plain(PricelistRead.model_validate(p)) for p in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, PRICELIST_COLUMNS_SHOWN)
    say_next_page(page)


@pricelists_app.command("show")
@one_line_errors
def show_pricelist(
    pricelist: str = typer.Argument(..., help="Id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a pricelist and all its entries."""
    with cli_ctx(org) as ctx:
        found = service.get_pricelist(ctx, pricelist)
        data = to_plain(PricelistDetail.of(found, service.list_all_entries(ctx, found.id)))
    if as_json:
        print_json(data)
        return
    entries = data.pop("entries")
    print_record(data)
    print_table(entries, ENTRY_COLUMNS_SHOWN, title="Entries")


@pricelists_app.command("entries")
@one_line_errors
def list_pricelist_entries(
    pricelist: str = typer.Argument(..., help="Id"),
    q: str = typer.Option(None, "--q", "-q", help="Search the products' codes and names"),
    updated_since: str = UpdatedSinceOption,
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """A pricelist's entries, a page at a time in id order (GET /v1/pricelists/{id}/entries)."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_entries(
            ctx,
            pricelist,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
        )
        rows = [to_plain(EntryRead.of(e)) for e in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ENTRY_COLUMNS_SHOWN)
    say_next_page(page)


@pricelists_app.command("lookup")
@one_line_errors
def lookup_price(
    customer: str = typer.Option(..., "--customer", help="Customer id or external id"),
    product: str = typer.Option(..., "--product", help="Product id or code"),
    on: str = typer.Option(..., "--date", help="The day to price, YYYY-MM-DD"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The unit price a customer pays for a product on a day, the pricelist it came from and
    why (as GET /v1/prices/lookup)."""
    day = parse_day(on, "--date")
    with cli_ctx(org) as ctx:
        customer_id = customers.resolve_customer(ctx, customer).id
        product_id = service.find_product(ctx, product).id
        quote = service.resolve_price(ctx, customer_id, product_id, day)
        data = to_plain(PriceQuoteRead.of(customer_id, product_id, day, quote))
    if as_json:
        print_json(data)
        return
    print_record(data)


def _check_days(**days: str | None) -> None:
    """A bad day is named as its option, like `bill run --as-of` ("" clears: not a day)."""
    for name, text in days.items():
        if text:
            parse_day(text, "--" + name.replace("_", "-"))


@pricelists_app.command("create")
@one_line_errors
def create_pricelist(
    name: str = typer.Option(...),
    currency: str = typer.Option(..., help="ISO 4217, e.g. EUR"),
    valid_from: str = typer.Option(None, help="First day, YYYY-MM-DD (inclusive)"),
    valid_to: str = typer.Option(None, help="Last day, YYYY-MM-DD (inclusive)"),
    default: bool = typer.Option(
        False, "--default", help="The default for customers without a pricelist of their own"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a pricelist."""
    _check_days(valid_from=valid_from, valid_to=valid_to)
    values = _given(
        name=name,
        currency=currency,
        valid_from=valid_from,
        valid_to=valid_to,
        is_default=default,
    )
    with cli_ctx(org) as ctx:
        created = service.create_pricelist(ctx, values)
        ctx.session.commit()
        data = to_plain(PricelistRead.model_validate(created))
    print_json(data) if as_json else say(f"pricelist {created.id} created: {created.name}")


@pricelists_app.command("update")
@one_line_errors
def update_pricelist(
    pricelist: str = typer.Argument(..., help="Id"),
    name: str = typer.Option(None),
    currency: str = typer.Option(None, help="Only while the pricelist has no prices"),
    valid_from: str = typer.Option(None, help='YYYY-MM-DD; "" = since always'),
    valid_to: str = typer.Option(None, help='YYYY-MM-DD; "" = open-ended'),
    default: bool = typer.Option(None, "--default/--not-default"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change only the options given."""
    _check_days(valid_from=valid_from, valid_to=valid_to)
    changes = _given(
        name=name,
        currency=currency,
        valid_from=valid_from,
        valid_to=valid_to,
        is_default=default,
    )
    with cli_ctx(org) as ctx:
        updated = service.update_pricelist(ctx, pricelist, changes)
        ctx.session.commit()
        data = to_plain(PricelistRead.model_validate(updated))
    print_json(data) if as_json else say(f"pricelist {updated.id} updated: {updated.name}")


@pricelists_app.command("delete")
@one_line_errors
def delete_pricelist(
    pricelist: str = typer.Argument(..., help="Id"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    org: str = OrgOption,
) -> None:
    """Delete a pricelist and its entries (refused while customers use it)."""
    with cli_ctx(org) as ctx:
        found = service.get_pricelist(ctx, pricelist)
        if not yes and not typer.confirm(f"Delete pricelist {found.name} ({found.id})?"):
            fail("not deleted")
        service.delete_pricelist(ctx, found.id)
        ctx.session.commit()
    say(f"pricelist {found.id} deleted")


@pricelists_app.command("add-entry")
@one_line_errors
def add_entry(
    pricelist: str = typer.Argument(..., help="Id"),
    product: str = typer.Option(..., help="Product id or code"),
    price: str = typer.Option(..., "--price", help="Unit price, e.g. 399.00 or 0.0025"),
    periodicity: str = typer.Option(
        None, help="Recurring products: monthly, quarterly, annual, every_2_weeks…"
    ),
    timing: str = typer.Option(None, help="Recurring products: in_advance or in_arrears"),
    charge: str = ChargeOption,
    charge_file: Path = ChargeFileOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Price a product in a pricelist."""
    with cli_ctx(org) as ctx:
        found = service.find_product(ctx, product)
        values = _given(
            product_id=found.id,
            unit_price=price,
            periodicity=periodicity,
            timing=timing,
            charge=charge_option(charge, charge_file),
        )
        entry = service.add_entry(ctx, pricelist, values)
        ctx.session.commit()
        data = to_plain(EntryRead.of(entry))
    # From `data`: the session is closed by now, and its rows expired with it.
    if as_json:
        print_json(data)
    else:
        say(f"{data['product_code']} priced {data['unit_price']} {data['currency']} ({data['id']})")


@pricelists_app.command("update-entry")
@one_line_errors
def update_entry(
    pricelist: str = typer.Argument(..., help="Id"),
    product: str = typer.Option(..., help="Product id or code"),
    price: str = typer.Option(None, "--price", help="Unit price, e.g. 399.00 or 0.0025"),
    periodicity: str = typer.Option(None, help="Recurring products: monthly, quarterly…"),
    timing: str = typer.Option(None, help="Recurring products: in_advance or in_arrears"),
    charge: str = ChargeOption,
    charge_file: Path = ChargeFileOption,
    no_charge: bool = typer.Option(False, "--no-charge", help="Remove the entry's charge"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a product's price, terms or charge in a pricelist (only the options given)."""
    with cli_ctx(org) as ctx:
        found = service.find_product(ctx, product)
        entry = service.entry_for_product(ctx, pricelist, found.id)
        changes = _given(
            unit_price=price,
            periodicity=periodicity,
            timing=timing,
            charge=charge_option(charge, charge_file),
        )
        if no_charge:
            changes["charge"] = None
        entry = service.update_entry(ctx, pricelist, entry.id, changes)
        ctx.session.commit()
        data = to_plain(EntryRead.of(entry))
    if as_json:
        print_json(data)
    else:
        say(f"{data['product_code']} priced {data['unit_price']} {data['currency']} ({data['id']})")


@pricelists_app.command("remove-entry")
@one_line_errors
def remove_entry(
    pricelist: str = typer.Argument(..., help="Id"),
    product: str = typer.Option(..., help="Product id or code"),
    org: str = OrgOption,
) -> None:
    """Remove a product's price from a pricelist."""
    with cli_ctx(org) as ctx:
        found = service.find_product(ctx, product)
        entry = service.entry_for_product(ctx, pricelist, found.id)
        service.remove_entry(ctx, pricelist, entry.id)
        ctx.session.commit()
    say(f"{found.code} removed from pricelist {pricelist}")


@pricelists_app.command("import-entries")
@one_line_errors
def import_entries_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    pricelist: str = typer.Option(..., "--pricelist", help="Id of the pricelist to fill"),
    report: Path = ReportOption,
    dry_run: bool = DryRunOption,
    org: str = OrgOption,
) -> None:
    """Import prices from CSV (columns: product_code, unit_price, periodicity, timing).

    Each row is a whole entry: a product already priced gets the row's values. Rows with errors
    are skipped and reported, the others saved; the exit code is 1 if any row failed.
    """
    table = _read(file, ENTRY_COLUMNS, ("product_code", "unit_price"))
    with cli_ctx(org) as ctx:
        _run_import(
            ctx,
            table,
            lambda tick: import_entries(ctx, pricelist, table, tick),
            report,
            dry_run,
        )
