"""Use cases of SmartCodes: create, save versions, read, check a source, dry runs.

Every function takes `ctx` first and never commits. Writes need `write:catalog` (a SmartCode
prices things, like a pricelist); reads and dry runs need `read:data`. Saving a source identical
to the latest version is refused (409 `unchanged`): versions only record real changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from tarif.audit.service import record, snapshot
from tarif.context import Ctx
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, ErrorCollector, FieldError, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.smartcodes import rules
from tarif.smartcodes.failures import MacroFailed, SourceProblem, SourceRefused
from tarif.smartcodes.models import SmartCode, SmartCodeVersion
from tarif.smartcodes.policy import Kind, check_source
from tarif.smartcodes.runner import EventFailure, MacroSource, default_runner, source_hash
from tarif.smartcodes.values import (
    MacroContract,
    MacroEvent,
    MacroUsage,
    PriceLine,
    Valuation,
)
from tarif.tenancy.rules import Permission


@dataclass(frozen=True)
class SourceFieldError(FieldError):
    """A field error pointing into a source: its line and column (1-based)."""

    line: int = 1
    column: int = 1


class SourceInvalid(InvalidInput):
    """A source that does not compile or that the sandbox refuses: 422 naming `source`, each
    problem with its line and column."""

    def __init__(self, problems: Sequence[SourceProblem], field_name: str = "source") -> None:
        errors: list[FieldError] = [
            SourceFieldError(field_name, str(p), p.line, p.column) for p in problems
        ]
        summary = "; ".join(str(p) for p in problems)
        super().__init__(f"The source is refused: {summary}", errors)
        self.problems = list(problems)


class Unchanged(Conflict):
    """Saving the same source as the latest version: nothing to record."""


# --- reads -----------------------------------------------------------------------------------


def _searchable(value: str) -> bool:
    return "\x00" not in value


def get_smartcode(ctx: Ctx, smartcode_id: str) -> SmartCode:
    if not _searchable(smartcode_id):
        raise NotFound("smartcode not found")
    found: SmartCode = get_scoped(ctx.session, SmartCode, ctx.organization_id, smartcode_id)
    return found


def find_by_code(ctx: Ctx, code: str) -> SmartCode | None:
    if not _searchable(code):
        return None
    stmt = scoped(SmartCode, ctx.organization_id).where(SmartCode.code == code.strip())
    return ctx.session.scalars(stmt).one_or_none()


def resolve_smartcode(ctx: Ctx, id_or_code: str) -> SmartCode:
    """By id, else by code: people type codes, scripts pass ids."""
    try:
        return get_smartcode(ctx, id_or_code)
    except NotFound:
        found = find_by_code(ctx, id_or_code)
        if found is None:
            raise NotFound(f"smartcode '{id_or_code}' not found") from None
        return found


def list_smartcodes(ctx: Ctx, page: PageRequest, *, kind: str | None = None) -> Page[SmartCode]:
    """SmartCodes in creation order; `q` searches the code and the name."""
    for value in (page.q, page.starting_after, kind):
        if value is not None and not _searchable(value):
            return Page([], False)
    stmt = scoped(SmartCode, ctx.organization_id)
    if kind is not None:
        stmt = stmt.where(SmartCode.kind == kind)
    return paginate(
        ctx.session, stmt, SmartCode, page, search_columns=(SmartCode.code, SmartCode.name)
    )


def versions_of(ctx: Ctx, smartcode_id: str) -> list[SmartCodeVersion]:
    """Every version, the newest first."""
    smartcode = get_smartcode(ctx, smartcode_id)
    stmt = scoped(SmartCodeVersion, ctx.organization_id).where(
        SmartCodeVersion.smartcode_id == smartcode.id
    )
    return list(ctx.session.scalars(stmt.order_by(SmartCodeVersion.number.desc())))


def get_version(ctx: Ctx, smartcode_id: str, number: int | None = None) -> SmartCodeVersion:
    """One version by number (default: the latest)."""
    smartcode = get_smartcode(ctx, smartcode_id)
    wanted = smartcode.latest_version if number is None else number
    stmt = scoped(SmartCodeVersion, ctx.organization_id).where(
        SmartCodeVersion.smartcode_id == smartcode.id, SmartCodeVersion.number == wanted
    )
    found = ctx.session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound(f"version {wanted} of smartcode '{smartcode.code}' not found")
    return found


# --- writes ----------------------------------------------------------------------------------


def check(kind: str | Kind, source: str) -> list[SourceProblem]:
    """Every problem of a source for that kind, each with line and column; empty when valid."""
    return check_source(source, Kind(kind))


def _checked_source(raw: Any, kind: Kind | None, errors: ErrorCollector) -> str:
    if not isinstance(raw, str) or not raw.strip():
        errors.add("source", "is required")
        return ""
    source = raw.replace("\r\n", "\n")
    if kind is not None:
        problems = check_source(source, kind)
        if problems:
            errors.raise_if_any()  # the other fields first, named alongside
            raise SourceInvalid(problems)
    return source


def create_smartcode(ctx: Ctx, data: Mapping[str, Any]) -> tuple[SmartCode, SmartCodeVersion]:
    """A SmartCode with its first version, from `data` (`code`, `name`, `kind`, `source`)."""
    ctx.require(Permission.WRITE_CATALOG)
    errors = ErrorCollector()
    code = str(data.get("code") or "").strip()
    rules.check_code(code, errors)
    name = str(data.get("name") or "").strip() or code
    rules.check_name(name, errors)
    kind = rules.parse_kind(data.get("kind"), errors)
    source = _checked_source(data.get("source"), kind, errors)
    errors.raise_if_any("The SmartCode has invalid fields")
    assert kind is not None
    if find_by_code(ctx, code) is not None:
        raise Conflict(f"a smartcode with code '{code}' already exists")
    now = ctx.clock.now()
    smartcode = SmartCode(
        id=new_id("smc"),
        organization_id=ctx.organization_id,
        code=code,
        name=name,
        kind=kind.value,
        latest_version=1,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(smartcode)
    ctx.session.flush()
    record(ctx, "create", "smartcode", smartcode.id, None, snapshot(smartcode))
    return smartcode, _new_version(ctx, smartcode, 1, source)


def add_version(ctx: Ctx, smartcode_id: str, source: Any) -> SmartCodeVersion:
    """Saves `source` as version N+1; earlier versions never change. The same source as the
    latest version is refused (`Unchanged`, 409)."""
    ctx.require(Permission.WRITE_CATALOG)
    smartcode = get_smartcode(ctx, smartcode_id)
    errors = ErrorCollector()
    text = _checked_source(source, Kind(smartcode.kind), errors)
    errors.raise_if_any("The version has invalid fields")
    latest = get_version(ctx, smartcode.id)
    if latest.source_hash == source_hash(text):
        raise Unchanged(
            f"the source is the same as version {latest.number}: no new version saved",
            [FieldError("source", f"unchanged from version {latest.number}")],
        )
    number = latest.number + 1
    # Conditional: two saves racing for the same number cannot both succeed.
    moved = ctx.session.execute(
        update(SmartCode)
        .where(SmartCode.id == smartcode.id, SmartCode.latest_version == latest.number)
        .values(latest_version=number, updated_at=ctx.clock.now())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("another version was saved meanwhile; reload and try again")
    ctx.session.refresh(smartcode)
    record(
        ctx,
        "update",
        "smartcode",
        smartcode.id,
        {"latest_version": latest.number},
        {"latest_version": number},
    )
    return _new_version(ctx, smartcode, number, text)


def _new_version(ctx: Ctx, smartcode: SmartCode, number: int, source: str) -> SmartCodeVersion:
    version = SmartCodeVersion(
        id=new_id("scv"),
        organization_id=ctx.organization_id,
        smartcode_id=smartcode.id,
        number=number,
        kind=smartcode.kind,
        source=source,
        source_hash=source_hash(source),
        author=ctx.actor.label[:200],
        created_at=ctx.clock.now(),
    )
    ctx.session.add(version)
    ctx.session.flush()
    record(ctx, "create", "smartcode_version", version.id, None, snapshot(version))
    return version


# --- dry runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRun:
    """What a version gives on sample input: nothing is billed nor stored."""

    smartcode: SmartCode
    version: SmartCodeVersion
    valuations: list[Valuation | EventFailure] = field(default_factory=list)
    lines: list[PriceLine] = field(default_factory=list)
    error: MacroFailed | None = None  # a pricing failure, or a limit that stopped the run
    # Run against a real contract's period: what was measured (`contract_run.ContractRun`).
    contract: Any = None

    @property
    def total(self) -> Decimal:
        if self.version.kind == Kind.PRICING:
            return sum((line.amount for line in self.lines), Decimal(0))
        if self.contract is not None:  # every event of the period, not only those shown
            return Decimal(self.contract.total)
        return sum((v.value for v in self.valuations if isinstance(v, Valuation)), Decimal(0))


def dry_run(
    ctx: Ctx,
    smartcode_id: str,
    data: Mapping[str, Any],
    *,
    number: int | None = None,
) -> DryRun:
    """Runs a version (default: the latest) on sample events (valuation: `events`) or on a
    sample usage and contract (pricing: `usage`, `contract`), or on a real contract's period
    (`contract_id`, see `tarif.smartcodes.contract_run`), returning the results."""
    ctx.require(Permission.READ)
    smartcode = get_smartcode(ctx, smartcode_id)
    version = get_version(ctx, smartcode.id, number)
    if "contract_id" in data:
        return _dry_run_on_contract(ctx, smartcode, version, data)
    errors = ErrorCollector()
    runner = default_runner()
    if smartcode.kind == Kind.VALUATION:
        for name in sorted(set(data) - {"events"}):
            errors.add(name, "not used by a valuation SmartCode (give events)")
        events = rules.sample_events(data.get("events"), errors)
        errors.raise_if_any("The dry run has invalid fields")
        try:
            return DryRun(smartcode, version, valuations=runner.dry_run_events(version, events))
        except SourceRefused as exc:
            raise SourceInvalid(exc.problems) from None
        except MacroFailed as exc:
            return DryRun(smartcode, version, error=exc)
    for name in sorted(set(data) - {"usage", "contract"}):
        errors.add(name, "not used by a pricing SmartCode (give usage and contract)")
    usage = rules.sample_usage(data.get("usage"), errors)
    contract = rules.sample_contract(data.get("contract"), errors)
    errors.raise_if_any("The dry run has invalid fields")
    assert usage is not None
    try:
        return DryRun(smartcode, version, lines=runner.price_usage(version, usage, contract))
    except SourceRefused as exc:
        raise SourceInvalid(exc.problems) from None
    except MacroFailed as exc:
        return DryRun(smartcode, version, error=exc)


def _dry_run_on_contract(
    ctx: Ctx, smartcode: SmartCode, version: SmartCodeVersion, data: Mapping[str, Any]
) -> DryRun:
    from tarif.smartcodes.contract_run import run_on_contract

    try:
        run, valuations, lines = run_on_contract(ctx, smartcode, version, data)
    except SourceRefused as exc:
        raise SourceInvalid(exc.problems) from None
    except MacroFailed as exc:
        return DryRun(smartcode, version, error=exc)
    return DryRun(smartcode, version, valuations=valuations, lines=lines, contract=run)


def as_events(rows: Sequence[Mapping[str, Any]]) -> list[MacroEvent]:
    """Events from plain mappings (`timestamp`, `properties`, `metric`, `customer`), as the
    CLI's JSON Lines files give them; raises `InvalidInput` naming the bad fields."""
    errors = ErrorCollector()
    events = rules.sample_events(list(rows), errors)
    errors.raise_if_any("The events are invalid")
    return events


def as_usage(data: Mapping[str, Any]) -> tuple[MacroUsage, MacroContract]:
    errors = ErrorCollector()
    usage = rules.sample_usage(data.get("usage", data), errors)
    contract = rules.sample_contract(data.get("contract"), errors)
    errors.raise_if_any("The usage is invalid")
    assert usage is not None
    return usage, contract


def check_macro(kind: str, source: str) -> MacroSource:
    """A source to run without saving it (raises `SourceInvalid` when refused)."""
    problems = check(kind, source)
    if problems:
        raise SourceInvalid(problems)
    return MacroSource.of(kind, source)
