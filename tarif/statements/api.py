"""REST routes of consumption statements: an invoice's, a customer's over a period.

JSON by default; `format=csv` (a header row, one line per statement row) or `format=pdf`
(in the customer's language).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from starlette.responses import Response

from tarif.api.deps import CtxDep
from tarif.context import Ctx
from tarif.statements import outputs, service
from tarif.statements.rules import Statement

router = APIRouter(tags=["statements"])

GroupByQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="metric (always), then day or month and event properties: 'metric,day,site'",
    ),
]
FormatQuery = Annotated[str | None, Query(max_length=10, description="json (default), csv, pdf")]
STATEMENT_SCHEMA: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The statement as JSON, CSV or PDF",
        "content": {"application/json": {}, "text/csv": {}, "application/pdf": {}},
    }
}


def _respond(ctx: Ctx, statement: Statement, fmt: str) -> Response:
    if fmt == "json":
        return JSONResponse(outputs.as_json(statement))
    out = outputs.as_file(ctx, statement, fmt)
    return Response(
        out.content,
        media_type=out.media_type,
        headers={"Content-Disposition": f'attachment; filename="{out.file_name}"'},
    )


@router.get("/invoices/{invoice_id}/statement", responses=STATEMENT_SCHEMA)
def invoice_statement(
    invoice_id: str, ctx: CtxDep, group_by: GroupByQuery = None, format: FormatQuery = None
) -> Response:
    """The invoice's usage lines split by `group_by`; rows add up to each line to the cent."""
    grouping, fmt = outputs.parse_options(group_by, format)
    return _respond(ctx, service.invoice_statement(ctx, invoice_id, grouping), fmt)


@router.get("/customers/{customer_id}/statement", responses=STATEMENT_SCHEMA)
def customer_statement(
    customer_id: str,
    ctx: CtxDep,
    period_from: Annotated[
        date | None, Query(alias="from", description="First day of the period")
    ] = None,
    period_to: Annotated[
        date | None, Query(alias="to", description="The day after the period")
    ] = None,
    contract_id: Annotated[str | None, Query(max_length=40)] = None,
    group_by: GroupByQuery = None,
    format: FormatQuery = None,
) -> Response:
    """The usage billed for the periods starting in `[from, to)`, by `group_by`."""
    grouping, fmt = outputs.parse_options(group_by, format)
    statement = service.customer_statement(
        ctx, customer_id, period_from, period_to, grouping, contract_id=contract_id
    )
    return _respond(ctx, statement, fmt)
