"""`tarif contracts …`, `tarif amendments …` and `tarif templates …`.

A contract is named by its id or its reference, a customer by its id or external id, a product
by its id or code. JSON files take the API's request bodies (see `docs/contracts.md`). Dates
are YYYY-MM-DD; an end date is the last day covered.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tarif.catalog import service as catalog
from tarif.catalog.rules import price_text
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
from tarif.contracts import reads, service
from tarif.contracts.amendments import AmendmentStatus
from tarif.contracts.model import BillingAlignment, ContractStatus
from tarif.contracts.schemas import (
    AmendmentCreate,
    ContractCreate,
    ContractUpdate,
    LineInput,
    LineUpdate,
    TemplateCreate,
    TemplateInstantiate,
    TemplateUpdate,
    TransitionCreate,
    parse,
)
from tarif.contracts.term import TerminationMode
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.pricing.inputs import charge_option

contracts_app = typer.Typer(no_args_is_help=True)
amendments_app = typer.Typer(no_args_is_help=True)
templates_app = typer.Typer(no_args_is_help=True)

LimitOption = typer.Option(50, min=1, max=100, help="Page size")
AfterOption = typer.Option(None, "--starting-after", help="Continue after this id")
DateOption = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)")
ReasonOption = typer.Option("", "--reason", help="Why (kept with the transition)")
CONTRACT_COLUMNS = ["id", "reference", "customer_id", "status", "currency", "renewal_count"]
LINE_COLUMNS = ["line_key", "product_id", "quantity", "unit_price", "price_source", "periodicity"]
AMENDMENT_COLUMNS = ["id", "contract_id", "effective_date", "status", "reason", "author"]


def _json_file(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{file}: not a readable JSON file ({exc})")


def _contract_id(ctx: Ctx, contract: str) -> str:
    return service.find_contract(ctx, contract).id


def fee_option(text: str) -> dict[str, str]:
    """`remaining`, `fixed:500.00` or `percentage_of_remaining:50` as the API's fee body."""
    kind, _, value = text.partition(":")
    if kind == "fixed":
        return {"kind": kind, "amount": value}
    if kind == "percentage_of_remaining":
        return {"kind": kind, "percentage": value}
    return {"kind": kind}


def _show(ctx: Ctx, contract_id: str, as_json: bool, as_of: date | None = None) -> None:
    detail = to_plain(reads.contract_detail(service.show_contract(ctx, contract_id, as_of=as_of)))
    if as_json:
        print_json(detail)
        return
    terms = detail.pop("terms")
    lines = terms.pop("lines")
    print_record(detail | {k: v for k, v in terms.items() if k not in detail})
    print_table(lines, [*LINE_COLUMNS, "start_date", "end_date"], title="Lines")


# --- contracts ---------------------------------------------------------------------------------


@contracts_app.command("list")
@one_line_errors
def list_contracts(
    q: str = typer.Option(None, "--q", "-q", help="Search the reference"),
    status: ContractStatus = typer.Option(None, help="draft, pending, active, suspended…"),
    customer: str = typer.Option(None, help="Customer id or external id"),
    renewal_due_before: str = typer.Option(
        None, help="Running contracts whose current term ends before this day"
    ),
    updated_since: str = UpdatedSinceOption,
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """List contracts, in creation order."""
    before = parse_day(renewal_due_before, "--renewal-due-before")
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        customer_id = customers.resolve_customer(ctx, customer).id if customer else None
        page = service.list_contracts(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            status=status,
            customer_id=customer_id,
            renewal_due_before=before,
        )
        rows = [to_plain(reads.contract_read(c)) for c in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, CONTRACT_COLUMNS)
    say_next_page(page)


@contracts_app.command("show")
@one_line_errors
def show_contract(
    contract: str = typer.Argument(..., help="Id or reference"),
    as_of: str = typer.Option(None, "--as-of", help="The contract as it stood that day"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a contract as of a day (default: today)."""
    with cli_ctx(org) as ctx:
        _show(ctx, _contract_id(ctx, contract), as_json, parse_day(as_of, "--as-of"))


@contracts_app.command("create")
@one_line_errors
def create_contract(
    file: Path = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="A JSON body, as POST /v1/contracts"
    ),
    customer: str = typer.Option(None, help="Customer id or external id"),
    reference: str = typer.Option(None, help="Unique in the organization"),
    start: str = typer.Option(None, help="First day, YYYY-MM-DD"),
    end: str = typer.Option(None, help="Last day covered (default: evergreen)"),
    currency: str = typer.Option(None, help="Default: the customer's"),
    pricelist: str = typer.Option(None, help="Pricelist id (default: the customer's)"),
    alignment: BillingAlignment = typer.Option(
        None,
        "--alignment",
        help="calendar (periods start on the 1st) or anniversary (on the line's start; default)",
    ),
    term_months: int = typer.Option(None, help="Initial term in months"),
    renew_months: int = typer.Option(None, help="Auto-renew for this many months"),
    notice_months: int = typer.Option(None, help="Notice period in months"),
    notice_days: int = typer.Option(None, help="Notice period in days (after the months)"),
    activation: str = typer.Option(
        None, help="manual (default), at_date, on_signature or on_first_payment"
    ),
    activation_date: str = typer.Option(None, help="For --activation at_date"),
    early_termination_fee: str = typer.Option(
        None,
        "--early-termination-fee",
        help="remaining, fixed:AMOUNT or percentage_of_remaining:PERCENT",
    ),
    line: list[str] = typer.Option(
        None, "--line", help="A product id or code, priced from the pricelist (repeatable)"
    ),
    corrections: str = typer.Option(
        None,
        "--corrections",
        help="Credits for finalized invoices: adjustment (next invoice, default) or credit_note",
    ),
    termination_credit: bool = typer.Option(
        None,
        "--termination-credit/--no-termination-credit",
        help="Ended mid-period, credit the unused days billed in advance (default) or not",
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a draft contract, from a JSON file or from options."""
    # Dates are read here, like `bill run --as-of`: a bad one is an error naming the option.
    first_day, last_day = parse_day(start, "--start"), parse_day(end, "--end")
    activation_day = parse_day(activation_date, "--activation-date")
    with cli_ctx(org) as ctx:
        if file is not None:
            data = _json_file(file)
        else:
            missing = [
                name
                for name, value in (("--customer", customer), ("--reference", reference))
                if value is None
            ] + (["--start"] if start is None else [])
            if missing:
                fail(f"missing {', '.join(missing)} (or give --file)")
            data = {
                "customer_id": customers.resolve_customer(ctx, customer).id,
                "reference": reference,
                "start_date": first_day,
                "lines": [{"product_id": catalog.find_product(ctx, p).id} for p in line or []],
            }
            options = {
                "end_date": last_day,
                "currency": currency,
                "pricelist_id": pricelist,
                "billing_alignment": alignment,
                "initial_term_months": term_months,
                "renewal_months": renew_months,
                "notice_months": notice_months,
                "notice_days": notice_days,
                "corrections": corrections,
                "credit_on_termination": termination_credit,
            }
            data |= {k: v for k, v in options.items() if v is not None}
            if activation is not None:
                data["activation"] = {"condition": activation, "on": activation_day}
            if early_termination_fee is not None:
                data["early_termination_fee"] = fee_option(early_termination_fee)
        created = service.create_contract(ctx, data=parse(ContractCreate, data))
        ctx.session.commit()
        if as_json:
            _show(ctx, created.id, as_json=True)
            return
        say(f"contract {created.id} created: {created.reference} (draft)")


@contracts_app.command("add-line")
@one_line_errors
def add_line(
    contract: str = typer.Argument(..., help="Id or reference of a draft"),
    product: str = typer.Option(..., help="Product id or code"),
    quantity: str = typer.Option("1", help="Greater than 0"),
    unit_price: str = typer.Option(None, help="An override (default: the pricelist's price)"),
    periodicity: str = typer.Option(None, help="monthly, annual… (default: the pricelist's)"),
    timing: str = typer.Option(None, help="in_advance or in_arrears"),
    start: str = typer.Option(None, help="First day (default: the contract's)"),
    end: str = typer.Option(None, help="Last day covered (default: the contract's)"),
    key: str = typer.Option(None, "--key", help="Line key (default: from the product code)"),
    description: str = typer.Option(None),
    minimum: str = typer.Option(None, "--minimum", help="A minimum billed amount (commitment)"),
    minimum_periodicity: str = typer.Option(
        None, "--minimum-periodicity", help="The minimum's period, e.g. monthly (default: per term)"
    ),
    charge: str = typer.Option(
        None, "--charge", help="Usage lines: the line's own charge as JSON (docs/charges.md)"
    ),
    charge_file: Path = typer.Option(
        None, "--charge-file", help="Usage lines: a JSON file holding the line's own charge"
    ),
    org: str = OrgOption,
) -> None:
    """Add a line to a draft contract."""
    first_day, last_day = parse_day(start, "--start"), parse_day(end, "--end")
    with cli_ctx(org) as ctx:
        contract_id = _contract_id(ctx, contract)
        values = {
            "product_id": catalog.find_product(ctx, product).id,
            "quantity": quantity,
            "unit_price": unit_price,
            "periodicity": periodicity,
            "timing": timing,
            "start_date": first_day,
            "end_date": last_day,
            "line_key": key,
            "description": description,
        }
        if minimum is not None:
            values["minimum_commitment"] = {"amount": minimum, "periodicity": minimum_periodicity}
        values["charge"] = charge_option(charge, charge_file)
        data = parse(LineInput, {k: v for k, v in values.items() if v is not None})
        service.add_line(ctx, contract_id, data=data)
        ctx.session.commit()
        terms = service.show_contract(ctx, contract_id).terms
        line = terms.lines[-1]
    price = "usage" if line.unit_price is None else price_text(line.unit_price, terms.currency)
    say(f"line {line.line_key} added: {line.quantity} × {price}")


@contracts_app.command("update")
@one_line_errors
def update_contract(
    contract: str = typer.Argument(..., help="Id or reference of a draft"),
    file: Path = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="A JSON body, as PATCH /v1/contracts/{id}"
    ),
    reference: str = typer.Option(None, help="Unique in the organization"),
    start: str = typer.Option(None, help="First day, YYYY-MM-DD"),
    end: str = typer.Option(None, help='Last day covered; "" = evergreen'),
    purchase_order: str = typer.Option(None, "--purchase-order", help='"" clears it'),
    term_months: int = typer.Option(None, help="Initial term in months"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a draft's header (only what is given); once submitted, amend it instead."""
    data: dict[str, Any] = {} if file is None else _json_file(file)
    if reference is not None:
        data["reference"] = reference
    if start is not None:
        data["start_date"] = parse_day(start, "--start")
    if end is not None:
        data["end_date"] = parse_day(end, "--end") if end.strip() else None
    if purchase_order is not None:
        data["purchase_order"] = purchase_order or None
    if term_months is not None:
        data["initial_term_months"] = term_months
    if not data:
        fail("nothing to change: give --file or an option (see --help)")
    with cli_ctx(org) as ctx:
        contract_id = _contract_id(ctx, contract)
        updated = service.update_contract(ctx, contract_id, data=parse(ContractUpdate, data))
        ctx.session.commit()
        if as_json:
            _show(ctx, contract_id, as_json=True)
            return
        say(f"contract {updated.reference} updated")


@contracts_app.command("update-line")
@one_line_errors
def update_line(
    contract: str = typer.Argument(..., help="Id or reference of a draft"),
    line_key: str = typer.Argument(..., help="The line's key"),
    quantity: str = typer.Option(None, help="Greater than 0"),
    unit_price: str = typer.Option(None, help='An override; "" = the pricelist\'s price'),
    description: str = typer.Option(None),
    start: str = typer.Option(None, help="First day"),
    end: str = typer.Option(None, help='Last day covered; "" = the contract\'s'),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a draft's line (only what is given)."""
    data: dict[str, Any] = {}
    if quantity is not None:
        data["quantity"] = quantity
    if unit_price is not None:
        data["unit_price"] = unit_price or None
    if description is not None:
        data["description"] = description
    if start is not None:
        data["start_date"] = parse_day(start, "--start")
    if end is not None:
        data["end_date"] = parse_day(end, "--end") if end.strip() else None
    if not data:
        fail("nothing to change: give --quantity, --unit-price, --description, --start or --end")
    with cli_ctx(org) as ctx:
        contract_id = _contract_id(ctx, contract)
        service.update_line(ctx, contract_id, line_key, data=parse(LineUpdate, data))
        ctx.session.commit()
        if as_json:
            _show(ctx, contract_id, as_json=True)
            return
        terms = service.show_contract(ctx, contract_id).terms
        line = next(x for x in terms.lines if x.line_key == line_key)
    price = "usage" if line.unit_price is None else price_text(line.unit_price, terms.currency)
    say(f"line {line_key} updated: {line.quantity} × {price}")


@contracts_app.command("remove-line")
@one_line_errors
def remove_line(
    contract: str = typer.Argument(..., help="Id or reference of a draft"),
    line_key: str = typer.Argument(..., help="The line's key"),
    org: str = OrgOption,
) -> None:
    """Remove a line from a draft contract."""
    with cli_ctx(org) as ctx:
        found = service.remove_line(ctx, _contract_id(ctx, contract), line_key)
        ctx.session.commit()
        reference = found.reference
    say(f"line {line_key} removed from {reference}")


@contracts_app.command("delete")
@one_line_errors
def delete_contract(
    contract: str = typer.Argument(..., help="Id or reference of a draft"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    org: str = OrgOption,
) -> None:
    """Delete a draft that was never submitted (anything later is kept for history)."""
    with cli_ctx(org) as ctx:
        found = service.find_contract(ctx, contract)
        contract_id, reference = found.id, found.reference
        if not yes and not typer.confirm(f"Delete {reference} ({contract_id})?"):
            fail("not deleted")
        service.delete_draft(ctx, contract_id)
        ctx.session.commit()
    say(f"contract {reference} deleted")


def _transition(org: str | None, contract: str, body: dict[str, Any]) -> None:
    body = body | {"date": parse_day(body["date"], "--date")}  # every transition's --date
    with cli_ctx(org) as ctx:
        contract_id = _contract_id(ctx, contract)
        done = service.transition(ctx, contract_id, data=parse(TransitionCreate, body))
        ctx.session.commit()
        view = service.show_contract(ctx, contract_id)
        scheduled = [a for a in view.scheduled if a.changes and a.effective_date > view.as_of]
        say(f"contract {done.reference} is {done.status}")
        for amendment in scheduled:
            say(f"scheduled: {amendment.id} effective {amendment.effective_date.isoformat()}")


@contracts_app.command("submit")
@one_line_errors
def submit(
    contract: str = typer.Argument(..., help="Id or reference"),
    on: str = DateOption,
    reason: str = ReasonOption,
    org: str = OrgOption,
) -> None:
    """Submit a draft: pending until it activates."""
    _transition(org, contract, {"action": "submit", "date": on, "reason": reason})


@contracts_app.command("activate")
@one_line_errors
def activate(
    contract: str = typer.Argument(..., help="Id or reference"),
    on: str = DateOption,
    force: bool = typer.Option(False, "--force", help="Override the condition (admins)"),
    reason: str = ReasonOption,
    org: str = OrgOption,
) -> None:
    """Activate a pending contract."""
    body = {"action": "activate", "date": on, "forced": force, "reason": reason}
    _transition(org, contract, body)


@contracts_app.command("suspend")
@one_line_errors
def suspend(
    contract: str = typer.Argument(..., help="Id or reference"),
    on: str = DateOption,
    reason: str = ReasonOption,
    org: str = OrgOption,
) -> None:
    """Suspend an active contract."""
    _transition(org, contract, {"action": "suspend", "date": on, "reason": reason})


@contracts_app.command("resume")
@one_line_errors
def resume(
    contract: str = typer.Argument(..., help="Id or reference"),
    on: str = DateOption,
    reason: str = ReasonOption,
    org: str = OrgOption,
) -> None:
    """Resume a suspended contract."""
    _transition(org, contract, {"action": "resume", "date": on, "reason": reason})


@contracts_app.command("terminate")
@one_line_errors
def terminate(
    contract: str = typer.Argument(..., help="Id or reference"),
    mode: TerminationMode = typer.Option(
        None, help="at_term_end (default), on_date (with --date) or immediately"
    ),
    on: str = typer.Option(None, "--date", help="First day no longer covered (on_date)"),
    force: bool = typer.Option(False, "--force", help="Skip the notice period (admins)"),
    with_credit: bool = typer.Option(False, "--with-credit", help="Credit invoiced days"),
    waive_fee: bool = typer.Option(
        False, "--waive-fee", help="Waive the early-termination fee (admins)"
    ),
    reason: str = ReasonOption,
    org: str = OrgOption,
) -> None:
    """Terminate a contract (scheduled until its date)."""
    body = {
        "action": "terminate",
        "mode": mode,
        "date": on,
        "forced": force,
        "with_credit": with_credit,
        "waive_fee": waive_fee,
        "reason": reason,
    }
    _transition(org, contract, body)


@contracts_app.command("sign")
@one_line_errors
def sign(
    contract: str = typer.Argument(..., help="Id or reference"),
    on: str = DateOption,
    org: str = OrgOption,
) -> None:
    """Record the signature (activates a pending contract that waits for it)."""
    with cli_ctx(org) as ctx:
        done = service.record_signature(
            ctx, _contract_id(ctx, contract), signed_on=parse_day(on, "--date")
        )
        ctx.session.commit()
        say(f"contract {done.reference} signed on {done.signed_on}; it is {done.status}")


@contracts_app.command("record-payment")
@one_line_errors
def record_payment(
    contract: str = typer.Argument(..., help="Id or reference"),
    on: str = DateOption,
    org: str = OrgOption,
) -> None:
    """Record the first payment (activates a pending contract that waits for it)."""
    with cli_ctx(org) as ctx:
        done = service.record_first_payment(
            ctx, _contract_id(ctx, contract), paid_on=parse_day(on, "--date")
        )
        ctx.session.commit()
        say(f"contract {done.reference} first paid on {done.first_paid_on}; it is {done.status}")


@contracts_app.command("versions")
@one_line_errors
def versions(
    contract: str = typer.Argument(..., help="Id or reference"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Every version of a contract, with what changed at each step."""
    with cli_ctx(org) as ctx:
        found = service.contract_versions(ctx, _contract_id(ctx, contract))
        rows = [to_plain(reads.version_read(v)) for v in found]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        origin = row["amendment_id"] or "original terms"
        projected = " (scheduled)" if row["projected"] else ""
        say(f"version {row['number']} from {row['effective_from']}: {origin}{projected}")
        for change in row["changes"]:
            say(f"  {change}")


@contracts_app.command("transitions")
@one_line_errors
def transitions(
    contract: str = typer.Argument(..., help="Id or reference"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The lifecycle history: dated, attributed, forced or not."""
    from tarif.contracts.schemas import TransitionRead

    with cli_ctx(org) as ctx:
        found = service.contract_transitions(ctx, _contract_id(ctx, contract))
        rows = [to_plain(TransitionRead.model_validate(t)) for t in found]
    if as_json:
        print_json(rows)
        return
    columns = ["effective_date", "action", "from_status", "to_status", "actor", "forced"]
    print_table(rows, [*columns, "reason"])


@contracts_app.command("usage")
@one_line_errors
def usage(
    contract: str = typer.Argument(..., help="Id or reference"),
    as_of: str = typer.Option(
        None, "--as-of", help="The day measured through, included (default: today)"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Current usage: each usage line's current period, measured and priced so far."""
    from tarif.invoicing.current_usage import contract_usage
    from tarif.invoicing.usage_reads import contract_usage_read

    with cli_ctx(org) as ctx:
        view = contract_usage(ctx, _contract_id(ctx, contract), as_of=parse_day(as_of, "--as-of"))
        read = to_plain(contract_usage_read(view))
    if as_json:
        print_json(read)
        return
    say(f"{read['reference']}: usage measured through {read['as_of']} ({read['timezone']})")
    for line in read["lines"]:
        measured = line["measured"]
        metric = line["metric"]
        what = f"{metric['code']} ({metric['aggregation']}, {metric['unit']})" if metric else "-"
        say(
            f"{line['line_key']}: period {line['period']['start']} to {line['period']['end']} "
            f"(exclusive), measured {measured['start']} to {measured['end']}; {what}; "
            f"{line['event_count']} events"
        )
        if line["problem"]:
            say(f"  problem: {line['problem']}")
        groups = [
            g | {"group": ", ".join(f"{k}={v}" for k, v in g["group"].items()) or "-"}
            for g in line["groups"]
        ]
        if groups:
            print_table(groups, ["group", "quantity", "event_count"], title="Quantities")
        if line["lines"]:
            columns = ["description", "quantity", "unit_price", "amount"]
            print_table(line["lines"], columns, title=f"Amount so far: {line['total']}")
    say(f"Total so far: {read['total']} {read['currency']}")


# --- amendments --------------------------------------------------------------------------------


def _pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            fail(f"{option}: expected NAME=VALUE, got '{value}'")
        pairs.append((key.strip(), rest.strip()))
    return pairs


@amendments_app.command("create")
@one_line_errors
def create_amendment(
    contract: str = typer.Argument(..., help="Id or reference"),
    file: Path = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="A JSON body, as POST …/amendments"
    ),
    effective: str = typer.Option(None, "--effective", help="First day of the new terms"),
    reason: str = typer.Option(None, help="Why (required)"),
    set_quantity: list[str] = typer.Option(None, "--set-quantity", help="LINE_KEY=QUANTITY"),
    set_price: list[str] = typer.Option(None, "--set-price", help="LINE_KEY=UNIT_PRICE"),
    set_charge: list[str] = typer.Option(
        None, "--set-charge", help="LINE_KEY=FILE.json: a usage line's new charge"
    ),
    remove_line: list[str] = typer.Option(None, "--remove-line", help="LINE_KEY"),
    add_product: list[str] = typer.Option(
        None, "--add-product", help="Product id or code, priced from the pricelist"
    ),
    early_termination_fee: str = typer.Option(
        None,
        "--early-termination-fee",
        help="A new fee: remaining, fixed:AMOUNT or percentage_of_remaining:PERCENT",
    ),
    no_early_termination_fee: bool = typer.Option(
        False, "--no-early-termination-fee", help="Remove the early-termination fee"
    ),
    schedule: bool = typer.Option(False, "--schedule", help="Confirm at once"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create an amendment (a draft unless --schedule), from a JSON file or from options."""
    effective_day = parse_day(effective, "--effective")
    with cli_ctx(org) as ctx:
        contract_id = _contract_id(ctx, contract)
        if file is not None:
            data = _json_file(file)
        else:
            # named as the options they are, not as "effective_date: Input should be…"
            if effective_day is None:
                fail("--effective: required, the first day of the new terms (YYYY-MM-DD)")
            if not reason:
                fail("--reason: required, why the terms change")
            changes: list[dict[str, Any]] = [
                {"type": "change_quantity", "line_key": k, "quantity": v}
                for k, v in _pairs(set_quantity, "--set-quantity")
            ]
            changes += [
                {"type": "change_price", "line_key": k, "unit_price": v}
                for k, v in _pairs(set_price, "--set-price")
            ]
            changes += [
                {"type": "change_charge", "line_key": k, "charge": charge_option(None, Path(v))}
                for k, v in _pairs(set_charge, "--set-charge")
            ]
            changes += [{"type": "remove_line", "line_key": k} for k in remove_line or []]
            changes += [
                {"type": "add_line", "line": {"product_id": catalog.find_product(ctx, p).id}}
                for p in add_product or []
            ]
            if early_termination_fee is not None or no_early_termination_fee:
                term: dict[str, Any] = {"type": "change_term"}
                if early_termination_fee is not None:
                    term["early_termination_fee"] = fee_option(early_termination_fee)
                if no_early_termination_fee:
                    term["no_early_termination_fee"] = True
                changes.append(term)
            data = {"effective_date": effective_day, "reason": reason, "changes": changes}
        if schedule:
            data["schedule"] = True
        row = service.create_amendment(ctx, contract_id, data=parse(AmendmentCreate, data))
        ctx.session.commit()
        read = to_plain(reads.amendment_read(service.amendment_view(ctx, row.id)))
        if as_json:
            print_json(read)
            return
        say(f"amendment {row.id} {row.status}, effective {row.effective_date.isoformat()}")
        for change in read["diff"]:
            say(f"  {change}")


@amendments_app.command("list")
@one_line_errors
def list_amendments(
    contract: str = typer.Option(None, "--contract", help="Id or reference"),
    status: AmendmentStatus = typer.Option(None, help="draft, scheduled, applied, cancelled"),
    q: str = typer.Option(None, "--q", "-q", help="Search the reason"),
    updated_since: str = typer.Option(
        None,
        "--updated-since",
        help="Only amendments made at or after this instant (RFC 3339; no offset: UTC)",
    ),
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """List amendments, in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        contract_id = _contract_id(ctx, contract) if contract else None
        page = service.list_amendments(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            contract_id=contract_id,
            status=status,
        )
        rows = [
            to_plain(reads.amendment_read(service.amendment_view(ctx, a.id))) for a in page.items
        ]
    if as_json:
        print_json(rows)
        return
    print_table(rows, AMENDMENT_COLUMNS)
    say_next_page(page)


@amendments_app.command("show")
@one_line_errors
def show_amendment(
    amendment: str = typer.Argument(..., help="Amendment id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """An amendment: its date, status, changes and what they do to the contract."""
    with cli_ctx(org) as ctx:
        read = to_plain(reads.amendment_read(service.amendment_view(ctx, amendment)))
    if as_json:
        print_json(read)
        return
    print_record({k: v for k, v in read.items() if k not in ("changes", "diff")})
    for change in read["diff"]:
        say(f"  {change}")


@amendments_app.command("schedule")
@one_line_errors
def schedule_amendment(
    amendment: str = typer.Argument(..., help="Amendment id"),
    org: str = OrgOption,
) -> None:
    """Confirm a draft amendment: applied if its date is reached, else scheduled."""
    with cli_ctx(org) as ctx:
        row = service.schedule_amendment(ctx, amendment)
        ctx.session.commit()
        say(f"amendment {row.id} {row.status}, effective {row.effective_date.isoformat()}")


@amendments_app.command("cancel")
@one_line_errors
def cancel_amendment(
    amendment: str = typer.Argument(..., help="Amendment id"),
    org: str = OrgOption,
) -> None:
    """Cancel a draft, or a scheduled amendment before its date."""
    with cli_ctx(org) as ctx:
        row = service.cancel_amendment(ctx, amendment)
        ctx.session.commit()
        say(f"amendment {row.id} cancelled")


@amendments_app.command("apply-due")
@one_line_errors
def apply_due(
    as_of: str = typer.Option(..., "--as-of", help="Apply what is due on this day"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Apply scheduled amendments, renewals, activations and terminations due by a day."""
    day = parse_day(as_of, "--as-of")
    assert day is not None
    with cli_ctx(org) as ctx:
        with Progress(
            TextColumn("contracts"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            disable=as_json,  # stdout is the JSON document
        ) as progress:
            task = progress.add_task("apply", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = service.apply_due(ctx, as_of=day, progress=advance)
        ctx.session.commit()
    if as_json:
        print_json(to_plain(reads.due_summary_read(summary)))
        return
    for label, items in (
        ("applied", summary.amendments_applied),
        ("renewed", summary.renewals),
        ("activated", summary.activated),
        ("terminated", summary.terminated),
    ):
        for item in items:
            say(f"{label}: {item}")
    say(str(summary))


# --- templates ---------------------------------------------------------------------------------


@templates_app.command("list")
@one_line_errors
def list_templates(
    q: str = typer.Option(None, "--q", "-q", help="Search the name"),
    updated_since: str = UpdatedSinceOption,
    limit: int = LimitOption,
    starting_after: str = AfterOption,
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """List contract templates, in creation order."""
    from tarif.contracts.schemas import TemplateRead

    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_templates(
            ctx, PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q)
        )
        rows = [to_plain(TemplateRead.model_validate(t)) for t in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["id", "name", "latest_version", "updated_at"])
    say_next_page(page)


@templates_app.command("show")
@one_line_errors
def show_template(
    template: str = typer.Argument(..., help="Template id"),
    version: int = typer.Option(None, "--version", help="Default: the latest"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a template version: parameters, terms and lines."""
    with cli_ctx(org) as ctx:
        view = service.template_version(ctx, template, number=version)
        data = to_plain(reads.template_version_read(view.row))
        data["versions"] = [v.number for v in service.template_versions(ctx, template)]
    if as_json:
        print_json(data)
        return
    print_record({k: v for k, v in data.items() if k not in ("lines", "parameters")})
    print_table(data["parameters"], ["name", "type", "default", "choices", "label"], "Parameters")
    print_table(data["lines"], ["line_key", "product", "kind", "quantity", "unit_price"], "Lines")


@templates_app.command("create")
@one_line_errors
def create_template(
    file: Path = typer.Option(
        ...,
        "--file",
        exists=True,
        dir_okay=False,
        help="A JSON body, as POST /v1/contract-templates",
    ),
    org: str = OrgOption,
) -> None:
    """Create a template (version 1) from a JSON file."""
    with cli_ctx(org) as ctx:
        created = service.create_template(ctx, data=parse(TemplateCreate, _json_file(file)))
        ctx.session.commit()
        say(f"template {created.id} created: {created.name} (version 1)")


@templates_app.command("update")
@one_line_errors
def update_template(
    template: str = typer.Argument(..., help="Template id"),
    file: Path = typer.Option(
        ..., "--file", exists=True, dir_okay=False, help="The fields to change, as JSON"
    ),
    org: str = OrgOption,
) -> None:
    """Store the next version of a template; existing contracts keep theirs."""
    with cli_ctx(org) as ctx:
        updated = service.update_template(
            ctx, template, data=parse(TemplateUpdate, _json_file(file))
        )
        ctx.session.commit()
        say(f"template {updated.id} is now at version {updated.latest_version}")


@templates_app.command("instantiate")
@one_line_errors
def instantiate_template(
    template: str = typer.Argument(..., help="Template id"),
    customer: str = typer.Option(..., help="Customer id or external id"),
    reference: str = typer.Option(..., help="The new contract's reference"),
    param: list[str] = typer.Option(None, "--param", help="NAME=VALUE (repeatable)"),
    version: int = typer.Option(None, "--version", help="Default: the latest"),
    currency: str = typer.Option(None),
    pricelist: str = typer.Option(None, help="Pricelist id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a draft contract from a template version."""
    with cli_ctx(org) as ctx:
        values = {
            "customer_id": customers.resolve_customer(ctx, customer).id,
            "reference": reference,
            "parameters": dict(_pairs(param, "--param")),
            "version": version,
            "currency": currency,
            "pricelist_id": pricelist,
        }
        data = parse(TemplateInstantiate, {k: v for k, v in values.items() if v is not None})
        created = service.instantiate_template(ctx, template, data=data)
        ctx.session.commit()
        if as_json:
            _show(ctx, created.id, as_json=True)
            return
        say(f"contract {created.id} created from template {template}: {created.reference} (draft)")
