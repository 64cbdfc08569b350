"""`tarif smartcodes list|push|show|versions|check|test`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
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
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tarif.smartcodes import service
from tarif.smartcodes.failures import MacroFailed, SourceRefused
from tarif.smartcodes.rules import MAX_DRY_RUN_EVENTS
from tarif.smartcodes.runner import EventFailure, MacroSource, default_runner
from tarif.smartcodes.schemas import DryRunRead, SmartCodeRead, VersionRead
from tarif.smartcodes.values import Valuation

app = typer.Typer(no_args_is_help=True)

COLUMNS = ["id", "code", "name", "kind", "latest_version", "updated_at"]
VERSION_COLUMNS = ["number", "author", "created_at", "source_hash"]
SmartCodeArgument = typer.Argument(..., metavar="CODE", help="The SmartCode's code or id")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
        raise AssertionError from None  # unreachable: fail() exits


def _guess_kind(source: str) -> str:
    return "pricing" if "def price(" in source and "def value(" not in source else "valuation"


@app.command("list")
@one_line_errors
def list_smartcodes(
    kind: str = typer.Option(None, "--kind", help="valuation or pricing"),
    q: str = typer.Option(None, "--q", help="Search the code and the name"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """SmartCodes in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_smartcodes(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            kind=kind,
        )
        rows = [to_plain(SmartCodeRead.of(s)) for s in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, COLUMNS)
    say_next_page(page)


@app.command("push")
@one_line_errors
def push(
    file: Path = typer.Argument(..., help="The macro's Python file"),
    code: str = typer.Option(None, "--code", help="The SmartCode's code (default: file name)"),
    kind: str = typer.Option(
        None, "--kind", help="valuation or pricing (new SmartCodes; default: from the source)"
    ),
    name: str = typer.Option(None, "--name", help="Name of a new SmartCode (default: the code)"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create the SmartCode with the file as version 1, or save it as its next version."""
    source = _read_text(file)
    code = code or file.stem
    with cli_ctx(org) as ctx:
        existing = service.find_by_code(ctx, code)
        if existing is None:
            data = {"code": code, "name": name, "kind": kind or _guess_kind(source)}
            smartcode, version = service.create_smartcode(ctx, data | {"source": source})
        else:
            if kind and kind != existing.kind:
                fail(f"smartcode '{code}' is a {existing.kind} SmartCode, not {kind}")
            smartcode = existing
            try:
                version = service.add_version(ctx, existing.id, source)
            except service.Unchanged:
                say(f"{code}: unchanged (version {existing.latest_version})")
                return
        ctx.session.commit()
        read = to_plain(VersionRead.of(version)) | {"code": smartcode.code}
    if as_json:
        print_json(read)
        return
    say(f"{smartcode.code}: version {version.number} saved ({smartcode.id})")


@app.command("show")
@one_line_errors
def show(
    smartcode: str = SmartCodeArgument,
    version: int = typer.Option(None, "--version", min=1, help="Version number (default latest)"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """A SmartCode and the source of one version."""
    with cli_ctx(org) as ctx:
        found = service.resolve_smartcode(ctx, smartcode)
        read = to_plain(SmartCodeRead.of(found))
        shown = to_plain(VersionRead.of(service.get_version(ctx, found.id, version)))
    if as_json:
        print_json(read | {"version": shown})
        return
    print_record(read | {"version": shown["number"], "author": shown["author"]})
    say(shown["source"])


@app.command("versions")
@one_line_errors
def versions(
    smartcode: str = SmartCodeArgument, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    """The versions of a SmartCode, the newest first."""
    with cli_ctx(org) as ctx:
        found = service.resolve_smartcode(ctx, smartcode)
        rows = [to_plain(VersionRead.of(v)) for v in service.versions_of(ctx, found.id)]
    if as_json:
        print_json(rows)
        return
    print_table(rows, VERSION_COLUMNS, title=found.code)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            fail(f"{path}:{number}: not JSON: {exc.msg}")
        if not isinstance(row, dict):
            fail(f"{path}:{number}: each line must be a JSON object")
        yield row


@app.command("test")
@one_line_errors
def test(
    smartcode: str = SmartCodeArgument,
    events: Path = typer.Option(None, "--events", help="Sample events, one JSON object a line"),
    usage: Path = typer.Option(None, "--usage", help="Sample usage (and contract), one JSON"),
    version: int = typer.Option(None, "--version", min=1, help="Version number (default latest)"),
    contract: str = typer.Option(
        None, "--contract", help="Run on this contract's period instead (id or reference)"
    ),
    line: str = typer.Option(None, "--line", help="The contract's usage line (line key)"),
    period_from: str = typer.Option(None, "--from", help="First day of the period, YYYY-MM-DD"),
    period_to: str = typer.Option(None, "--to", help="First day after the period, YYYY-MM-DD"),
    as_of: str = typer.Option(None, "--as-of", help="The line's period containing this day"),
    limit: int = typer.Option(None, "--limit", min=1, max=1000, help="Events shown (50)"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Dry run: a version on sample events (valuation) or usage (pricing), or on a real
    contract's period (--contract with --from/--to or --as-of). Stores nothing."""
    if contract is not None:
        if events is not None or usage is not None:
            fail("--contract runs on the contract's own events or usage: no --events/--usage")
        # a bad day named as its option, like `bill run --as-of`
        for text, option in ((period_from, "--from"), (period_to, "--to"), (as_of, "--as-of")):
            parse_day(text or None, option)
        given = {
            "contract_id": contract,
            "line_key": line,
            "period_start": period_from,
            "period_end": period_to,
            "as_of": as_of,
            "limit": limit,
        }
        data = {k: v for k, v in given.items() if v is not None}
        _test_contract(org, smartcode, version, data, as_json)
        return
    with cli_ctx(org) as ctx:
        found = service.resolve_smartcode(ctx, smartcode)
        chosen = service.get_version(ctx, found.id, version)
        kind, source, digest = chosen.kind, chosen.source, chosen.source_hash
    macro = MacroSource(kind, source, digest)
    if kind == "valuation":
        if events is None:
            fail("a valuation SmartCode is tested on events: give --events FILE.jsonl")
        _test_events(macro, events, as_json)
    else:
        if usage is None:
            fail("a pricing SmartCode is tested on usage: give --usage FILE.json")
        _test_usage(macro, usage, as_json)


def _test_events(macro: Any, path: Path, as_json: bool) -> None:
    rows = list(_jsonl(path))
    results: list[Valuation | EventFailure] = []
    runner = default_runner()
    with Progress(transient=True, disable=as_json or len(rows) <= MAX_DRY_RUN_EVENTS) as bar:
        task = bar.add_task("valuing events", total=len(rows))
        for start in range(0, len(rows), MAX_DRY_RUN_EVENTS):
            sample = service.as_events(rows[start : start + MAX_DRY_RUN_EVENTS])
            try:
                chunk = runner.dry_run_events(macro, sample)
            except SourceRefused as exc:
                fail(f"the source is refused: {exc}")
                return
            except MacroFailed as exc:
                fail(str(exc))
                return
            results += [
                EventFailure(start + r.index, r.error) if isinstance(r, EventFailure) else r
                for r in chunk
            ]
            bar.advance(task, len(sample))
    plain = []
    total = Decimal(0)
    for index, item in enumerate(results):
        if isinstance(item, EventFailure):
            plain.append({"index": index, "value": None, "error": str(item.error)})
        else:
            total += item.value
            fields = {k: str(v) for k, v in item.fields.items()}
            plain.append({"index": index, "value": format(item.value, "f"), "fields": fields})
    if as_json:
        print_json({"results": plain, "total": format(total, "f")})
        return
    shown = [r | {"fields": json.dumps(r.get("fields") or {})} for r in plain]
    print_table(shown, ["index", "value", "fields", "error"])
    failed = sum(1 for r in plain if r.get("error"))
    say(f"total {format(total, 'f')} over {len(plain)} events ({failed} failed)")


def _test_usage(macro: Any, path: Path, as_json: bool) -> None:
    try:
        data = json.loads(_read_text(path), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        fail(f"{path}: not JSON: {exc.msg}")
    if not isinstance(data, dict):
        fail(f"{path}: must be a JSON object with usage (and contract)")
    usage, contract = service.as_usage(data)
    try:
        lines = default_runner().price_usage(macro, usage, contract)
    except SourceRefused as exc:
        fail(f"the source is refused: {exc}")
        return
    except MacroFailed as exc:
        fail(str(exc))
        return
    rows = [
        {
            "description": line.description,
            "quantity": format(line.quantity, "f"),
            "unit_price": format(line.unit_price, "f"),
            "amount": format(line.amount, "f"),
        }
        for line in lines
    ]
    total = sum((line.amount for line in lines), Decimal(0))
    if as_json:
        print_json({"lines": rows, "total": format(total, "f")})
        return
    print_table(rows, ["description", "quantity", "unit_price", "amount"])
    say(f"total {format(total, 'f')}")


_OPTIONS = {
    "contract_id": "--contract",
    "line_key": "--line",
    "period_start": "--from",
    "period_end": "--to",
    "as_of": "--as-of",
    "limit": "--limit",
}


def _test_contract(
    org: str | None, smartcode: str, version: int | None, data: dict[str, Any], as_json: bool
) -> None:
    with cli_ctx(org) as ctx:
        found = service.resolve_smartcode(ctx, smartcode)
        try:
            run = service.dry_run(ctx, found.id, data, number=version)
        except InvalidInput as exc:  # name the options, as typed
            fail("; ".join(f"{_OPTIONS.get(e.field, e.field)}: {e.message}" for e in exc.errors))
            return
        read = to_plain(DryRunRead.of(run))
    if as_json:
        print_json(read)
        return
    measured = read["contract"]
    say(
        f"{measured['reference']} line {measured['line_key']}: {measured['metric']} "
        f"({measured['aggregation']}) from {measured['period_start']} to "
        f"{measured['period_end']} (exclusive)"
    )
    if read["error"]:
        fail(read["error"]["message"])
    if read["kind"] == "valuation":
        rows = [
            {
                "event": e["id"],
                "occurred_at": e["occurred_at"],
                "stored": e["stored_value"],
                "value": e["value"],
                "error": (e["error"] or {}).get("message"),
            }
            for e in measured["events"]
        ]
        print_table(rows, ["event", "occurred_at", "stored", "value", "error"])
        say(
            f"{measured['event_count']} events ({measured['failed']} failed): total "
            f"{read['total']} (stored {measured['stored_total']}), quantity "
            f"{measured['quantity'] if measured['quantity'] is not None else '-'}"
        )
        return
    usages = [
        u | {"group": ", ".join(f"{k}={v}" for k, v in u["group"].items()) or "-"}
        for u in measured["usages"]
    ]
    print_table(usages, ["group", "quantity", "event_count"], title="Usage")
    print_table(read["lines"], ["description", "quantity", "unit_price", "amount"])
    say(f"total {read['total']}")


@app.command("check")
@one_line_errors
def check(
    file: Path = typer.Argument(..., help="The macro's Python file"),
    kind: str = typer.Option(None, "--kind", help="valuation or pricing (default: guessed)"),
) -> None:
    """Compile a file without saving it: every problem with its line and column."""
    source = _read_text(file)
    problems = service.check(kind or _guess_kind(source), source)
    if problems:
        for problem in problems:
            say(f"{file}:{problem.line}:{problem.column}: {problem.message}")
        raise typer.Exit(1)
    say(f"{file}: ok")
