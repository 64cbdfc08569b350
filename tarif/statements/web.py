"""Back-office pages of consumption statements: an invoice's (linked from the invoice page)
and a customer's over a period (linked from the customer page), with CSV and PDF downloads."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tarif.contracts.models import Contract
from tarif.customers import service as customers
from tarif.db.repository import scoped
from tarif.errors import ErrorCollector, InvalidInput
from tarif.invoicing.service_invoices import get_invoice
from tarif.statements import outputs, service
from tarif.statements.rules import Statement, check_format, parse_group_by
from tarif.statements.web_text import FRENCH, RULE
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)


def _download(ctx: WebCtx, statement: Statement, fmt: str) -> Response:
    out = outputs.as_file(ctx, statement, fmt)
    return Response(
        out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'attachment; filename="{out.file_name}"'},
    )


def _page(
    request: Request,
    statement: Statement | None,
    base: str,
    query: dict[str, str],
    errors: dict[str, str],
    **extra: Any,
) -> Response:
    def link(fmt: str) -> str:
        return f"{base}?{urlencode({k: v for k, v in query.items() if v} | {'format': fmt})}"

    context = {
        "s": statement,
        "action": base,
        "query": query,
        "errors": errors,
        "csv_url": link("csv"),
        "pdf_url": link("pdf"),
        "rule": RULE,
        "invoice": None,
        "customer": None,
        "contracts": [],
        **extra,
    }
    return render(request, "statements/page.html", context, 422 if errors else 200)


def _errors(errors: ErrorCollector) -> dict[str, str]:
    return field_errors(InvalidInput("invalid", list(errors.errors)))


def _day(text: str | None, name: str, errors: ErrorCollector) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.add(name, "not a date (YYYY-MM-DD)")
        return None


@router.get("/invoices/{invoice_id}/statement")
def invoice_statement_page(
    request: Request,
    invoice_id: str,
    ctx: WebCtx,
    group_by: str | None = None,
    format: str | None = None,
) -> Response:
    invoice = get_invoice(ctx, invoice_id)  # another organization's: 404
    errors = ErrorCollector()
    grouping = parse_group_by(group_by, errors)
    fmt = check_format(format, errors) if format else "html"
    query = {"group_by": group_by or "metric"}
    base = f"/invoices/{invoice.id}/statement"
    if errors.errors:
        return _page(request, None, base, query, _errors(errors), invoice=invoice)
    statement = service.invoice_statement(ctx, invoice.id, grouping)
    if fmt in ("csv", "pdf"):
        return _download(ctx, statement, fmt)
    return _page(request, statement, base, query, {}, invoice=invoice)


@router.get("/customers/{customer_id}/statement")
def customer_statement_page(
    request: Request,
    customer_id: str,
    ctx: WebCtx,
    group_by: str | None = None,
    format: str | None = None,
    contract_id: str | None = None,
    period_from: Annotated[str | None, Query(alias="from")] = None,
    period_to: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    customer = customers.get_customer(ctx, customer_id)
    base = f"/customers/{customer.id}/statement"
    query = {
        "from": period_from or "",
        "to": period_to or "",
        "contract_id": contract_id or "",
        "group_by": group_by or "metric",
    }
    extra = {"customer": customer, "contracts": _contracts(ctx, customer.id)}
    if not period_from and not period_to:  # the form, before anything is asked
        return _page(request, None, base, query, {}, **extra)
    errors = ErrorCollector()
    start = _day(period_from, "from", errors)
    end = _day(period_to, "to", errors)
    grouping = parse_group_by(group_by, errors)
    fmt = check_format(format, errors) if format else "html"
    if errors.errors:
        return _page(request, None, base, query, _errors(errors), **extra)
    try:
        statement = service.customer_statement(
            ctx, customer.id, start, end, grouping, contract_id=contract_id or None
        )
    except InvalidInput as exc:
        return _page(request, None, base, query, field_errors(exc), **extra)
    if fmt in ("csv", "pdf"):
        return _download(ctx, statement, fmt)
    return _page(request, statement, base, query, {}, **extra)


def _contracts(ctx: WebCtx, customer_id: str) -> list[tuple[str, str]]:
    stmt = scoped(Contract, ctx.organization_id).where(Contract.customer_id == customer_id)
    return [(c.id, c.reference or c.id) for c in ctx.session.scalars(stmt.order_by(Contract.id))]
