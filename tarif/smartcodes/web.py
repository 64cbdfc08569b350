"""Back-office pages of SmartCodes: `/smartcodes` (list, new), a SmartCode's page (editor with
line numbers, "Vérifier" by htmx, save as a new version, versions, diff between two versions,
dry run on sample events or usage)."""

from __future__ import annotations

import difflib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, InvalidInput
from tarif.smartcodes import service
from tarif.smartcodes.failures import SourceProblem
from tarif.smartcodes.models import SmartCode
from tarif.smartcodes.policy import Kind
from tarif.smartcodes.schemas import DryRunRead
from tarif.smartcodes.web_text import FRENCH, KIND_LABELS
from tarif.tenancy.rules import Permission
from tarif.usage.metric_web_text import AGGREGATION_LABELS
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
SAMPLE_EVENTS = '[\n  {"timestamp": "2026-01-15T09:30:00Z", "properties": {"duration": 61}}\n]'
SAMPLE_USAGE = (
    '{\n  "usage": {"quantity": "100", "event_count": 3, "groups": {"FR": "100"},\n'
    '            "period": {"start": "2026-01-01", "end": "2026-02-01"}},\n'
    '  "contract": {"reference": "C-1", "currency": "EUR"}\n}'
)


def _common(**extra: Any) -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "aggregation_labels": AGGREGATION_LABELS, **extra}


@router.get("/smartcodes")
def smartcodes_page(
    request: Request, ctx: WebCtx, q: str | None = None, starting_after: str | None = None
) -> Response:
    page = service.list_smartcodes(
        ctx, PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q or None)
    )
    next_url = None
    if page.has_more:
        next_url = f"/smartcodes?starting_after={page.next_cursor}" + (f"&q={q}" if q else "")
    context = _common(smartcodes=page.items, q=q or "", next_url=next_url)
    return render(request, "smartcodes/list.html", context)


def _problems_by_line(problems: list[SourceProblem]) -> dict[int, list[str]]:
    by_line: dict[int, list[str]] = {}
    for problem in problems:
        by_line.setdefault(problem.line, []).append(f"{problem.column}: {problem.message}")
    return by_line


def _new_form(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    problems: list[SourceProblem],
    status_code: int = 200,
) -> Response:
    context = _common(
        values=values, errors=errors, problems=problems, lines=values.get("source", "").split("\n")
    )
    return render(request, "smartcodes/new.html", context, status_code)


@router.get("/smartcodes/new")
def new_smartcode_page(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_CATALOG)
    values = {"kind": "valuation", "source": _example(Kind.VALUATION)}
    return _new_form(request, values, {}, [])


def _example(kind: Kind) -> str:
    if kind is Kind.VALUATION:
        return (
            "import math\n\n\ndef value(event):\n"
            "    return math.ceil(event.properties['duration'] / 60)\n"
        )
    return (
        "def price(usage, contract):\n"
        '    return [{"description": "Usage", "quantity": usage.quantity, "unit_price": "0.01"}]\n'
    )


@router.post("/smartcodes/new")
async def create_smartcode(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_CATALOG)
    form = await form_data(request)
    values = {k: form.get(k, "") for k in ("code", "name", "kind", "source")}
    try:
        smartcode, _ = service.create_smartcode(ctx, values)
        ctx.session.commit()
    except service.SourceInvalid as exc:
        ctx.session.rollback()
        return _new_form(request, values, field_errors(exc), exc.problems, 422)
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        return _new_form(request, values, field_errors(exc), [], 422)
    return RedirectResponse(f"/smartcodes/{smartcode.id}", status_code=303)


@router.post("/smartcodes/check")
async def check_source(request: Request, ctx: WebCtx) -> Response:
    """The "Vérifier" button: the problems of the source typed, by line (an htmx fragment)."""
    form = await form_data(request)
    try:
        kind = Kind(form.get("kind", ""))
    except ValueError:
        kind = Kind.VALUATION
    source = form.get("source", "").replace("\r\n", "\n")
    problems = service.check(kind, source) if source.strip() else []
    context = {"problems": problems, "checked": True, "lines": source.split("\n")}
    return render(request, "smartcodes/_problems.html", context)


def _detail(
    request: Request,
    ctx: Ctx,
    smartcode: SmartCode,
    status_code: int = 200,
    *,
    number: int | None = None,
    **extra: Any,
) -> Response:
    versions = service.versions_of(ctx, smartcode.id)
    shown = service.get_version(ctx, smartcode.id, number)
    problems: list[SourceProblem] = extra.pop("problems", [])
    source = extra.pop("source", shown.source)
    context = _common(
        smartcode=smartcode,
        versions=versions,
        shown=shown,
        source=source,
        lines=source.split("\n"),
        problems=problems,
        problem_lines=_problems_by_line(problems),
        checked=bool(problems),
        audit_events=events_for_object(ctx, smartcode.id),
        sample=SAMPLE_EVENTS if smartcode.kind == Kind.VALUATION else SAMPLE_USAGE,
        **({"saved": None, "dry_run": None, "dry_run_error": None, "contract_values": {}} | extra),
    )
    return render(request, "smartcodes/detail.html", context, status_code)


def _version_number(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit():
        return None
    return min(int(raw), 10**9)


@router.get("/smartcodes/{smartcode_id}")
def smartcode_page(
    request: Request,
    smartcode_id: str,
    ctx: WebCtx,
    version: str | None = None,
    saved: str | None = None,
) -> Response:
    smartcode = service.get_smartcode(ctx, smartcode_id)
    return _detail(request, ctx, smartcode, number=_version_number(version), saved=saved)


@router.post("/smartcodes/{smartcode_id}/versions")
async def save_version(request: Request, smartcode_id: str, ctx: WebCtx) -> Response:
    smartcode = service.get_smartcode(ctx, smartcode_id)
    ctx.require(Permission.WRITE_CATALOG)
    form = await form_data(request)
    source = form.get("source", "")
    try:
        service.add_version(ctx, smartcode.id, source)
        ctx.session.commit()
    except service.SourceInvalid as exc:
        ctx.session.rollback()
        smartcode = service.get_smartcode(ctx, smartcode_id)
        return _detail(request, ctx, smartcode, 422, problems=exc.problems, source=source)
    except service.Unchanged:
        ctx.session.rollback()
        return RedirectResponse(f"/smartcodes/{smartcode.id}?saved=unchanged", status_code=303)
    except InvalidInput as exc:
        ctx.session.rollback()
        smartcode = service.get_smartcode(ctx, smartcode_id)
        problems = [SourceProblem(1, 1, m) for m in field_errors(exc).values()]
        return _detail(request, ctx, smartcode, 422, problems=problems, source=source)
    return RedirectResponse(f"/smartcodes/{smartcode.id}?saved=1", status_code=303)


@router.get("/smartcodes/{smartcode_id}/diff")
def diff_page(
    request: Request,
    smartcode_id: str,
    ctx: WebCtx,
    from_version: str | None = None,
    to_version: str | None = None,
) -> Response:
    """The lines changed between two versions (default: the latest and the one before)."""
    smartcode = service.get_smartcode(ctx, smartcode_id)
    latest = smartcode.latest_version
    newer = _version_number(to_version) or latest
    older = _version_number(from_version) or max(1, newer - 1)
    old = service.get_version(ctx, smartcode.id, older)
    new = service.get_version(ctx, smartcode.id, newer)
    table = difflib.HtmlDiff(tabsize=4, wrapcolumn=90).make_table(
        old.source.split("\n"),
        new.source.split("\n"),
        f"v{old.number}",
        f"v{new.number}",
        context=False,
    )
    context = _common(
        smartcode=smartcode,
        old=old,
        new=new,
        table=table,
        versions=service.versions_of(ctx, smartcode.id),
    )
    name = "smartcodes/_diff.html" if request.headers.get("HX-Request") else "smartcodes/diff.html"
    return render(request, name, context)


@router.post("/smartcodes/{smartcode_id}/test")
async def dry_run(request: Request, smartcode_id: str, ctx: WebCtx) -> Response:
    """The dry-run form: sample events (or usage) as JSON; the results, nothing stored."""
    smartcode = service.get_smartcode(ctx, smartcode_id)
    form = await form_data(request)
    number = _version_number(form.get("version"))
    sample = form.get("sample", "")
    fragment = bool(request.headers.get("HX-Request"))
    result: DryRunRead | None = None
    error = None
    try:
        data = json.loads(sample or "null", parse_float=Decimal)
        if smartcode.kind == Kind.VALUATION:
            body = {"events": data}
        else:
            body = data if isinstance(data, dict) else {"usage": data}
        result = DryRunRead.of(service.dry_run(ctx, smartcode.id, body, number=number))
    except json.JSONDecodeError as exc:
        error = f"JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except InvalidInput as exc:
        error = exc.detail
    status_code = 200 if error is None else 422
    if fragment:
        context = _common(dry_run=result, dry_run_error=error)
        return render(request, "smartcodes/_dry_run.html", context, status_code)
    return _detail(
        request,
        ctx,
        smartcode,
        status_code,
        number=number,
        sample_text=sample,
        dry_run=result,
        dry_run_error=error,
    )


CONTRACT_FIELDS = ("contract_id", "line_key", "period_start", "period_end", "as_of")


@router.post("/smartcodes/{smartcode_id}/test-contract")
async def dry_run_on_contract(request: Request, smartcode_id: str, ctx: WebCtx) -> Response:
    """The dry run on a real contract's period: its stored events (valuation) or its line's
    usage (pricing); nothing billed nor stored."""
    smartcode = service.get_smartcode(ctx, smartcode_id)
    form = await form_data(request)
    number = _version_number(form.get("version"))
    values = {name: form.get(name, "").strip() for name in CONTRACT_FIELDS}
    body = {name: value for name, value in values.items() if value}
    body.setdefault("contract_id", "")
    result: DryRunRead | None = None
    error = None
    try:
        result = DryRunRead.of(service.dry_run(ctx, smartcode.id, body, number=number))
    except InvalidInput as exc:
        error = exc.detail
    status_code = 200 if error is None else 422
    if request.headers.get("HX-Request"):
        context = _common(dry_run=result, dry_run_error=error)
        return render(request, "smartcodes/_dry_run.html", context, status_code)
    return _detail(
        request,
        ctx,
        smartcode,
        status_code,
        number=number,
        contract_values=values,
        dry_run=result,
        dry_run_error=error,
    )
