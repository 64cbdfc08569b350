"""The "Usage" section of a contract's page: `/contracts/{id}/usage` (a fragment loaded by
htmx into the contract page, else a page of its own)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import Request
from fastapi.routing import APIRouter
from starlette.responses import Response

from tarif.contracts.web_common import day_of
from tarif.errors import InvalidInput, NotFound
from tarif.invoicing.current_usage import contract_usage
from tarif.invoicing.web_usage_text import FRENCH
from tarif.usage.metric_web_text import AGGREGATION_LABELS
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)


@router.get("/contracts/{contract_id}/usage")
def contract_usage_page(
    request: Request, contract_id: str, ctx: WebCtx, as_of: str | None = None
) -> Response:
    """Each usage line's current period, measured so far and priced so far."""
    if "\x00" in contract_id:
        raise NotFound("contract not found")
    fragment = bool(request.headers.get("HX-Request"))
    try:
        day = day_of(as_of, "as_of")
    except InvalidInput as exc:
        context = {"fragment": fragment, "view": None, "as_of_error": field_errors(exc)["as_of"]}
        return render(request, "invoicing/contract_usage.html", context, 422)
    view = contract_usage(ctx, contract_id, as_of=day)
    context = {
        "fragment": fragment,
        "view": view,
        "as_of_error": None,
        "one_day": timedelta(1),
        "aggregation_labels": AGGREGATION_LABELS,
    }
    return render(request, "invoicing/contract_usage.html", context)
