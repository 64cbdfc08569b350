"""Back-office edits of a draft contract, in place as `PATCH /v1/contracts/{id}` and
`tarif contracts update|add-line|update-line|remove-line|delete` make them: the header, a line
(add, change, remove) and deleting the draft, which asks for a confirmation page first.

The contract page (`web.py`) shows the buttons on drafts to roles that may write billing; every
rule (drafts only, what a line may be) is the service's, and its errors come back beside the
box they name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts import web_forms as forms
from tarif.contracts.models import Contract
from tarif.contracts.schemas import ContractUpdate, LineInput, LineUpdate, parse
from tarif.contracts.web_common import (
    base_context,
    customer_choices,
    customers_by_id,
    options,
    pricelist_choices,
    product_choices,
    products_by_id,
)
from tarif.contracts.web_text import (
    ACTIVATION_LABELS,
    ALIGNMENT_LABELS,
    FEE_KIND_LABELS,
    GROUPING_LABELS,
    TIMING_LABELS,
)
from tarif.errors import Conflict, InvalidInput, NotFound, TarifError
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.templating import render

router = APIRouter(include_in_schema=False)


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _status(exc: TarifError) -> int:
    return 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 422


def _contract_page(request: Request, ctx: Ctx, contract_id: str, exc: TarifError) -> Response:
    """The contract page with the refusal above it (a contract no longer a draft, a line gone)."""
    from tarif.contracts.web import _detail  # the contract page owns its layout

    ctx.session.rollback()
    return _detail(request, ctx, contract_id, status_code=_status(exc), problem=exc.detail)


def _writable(ctx: Ctx, contract_id: str) -> Contract:
    """The contract (404 for another organization's), for a role that may write billing: a
    form one may not send is not shown."""
    ctx.require(Permission.WRITE_BILLING)
    return service.get_contract(ctx, contract_id)


# --- the header --------------------------------------------------------------------------------


def _edit_form(
    request: Request,
    ctx: Ctx,
    contract: Contract,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = base_context(
        request,
        ctx,
        contract=contract,
        editing=True,
        values=values,
        errors=errors,
        customers=customer_choices(ctx, keep=values.get("customer_id")),
        pricelists=pricelist_choices(ctx),
        alignments=options(request, ALIGNMENT_LABELS),
        groupings=options(request, GROUPING_LABELS),
        activations=options(request, ACTIVATION_LABELS),
        fee_kinds=options(request, FEE_KIND_LABELS),
    )
    return render(request, "contracts/edit.html", context, status_code)


def _shown_header(ctx: Ctx, contract_id: str) -> dict[str, str]:
    return forms.header_values(service.show_contract(ctx, contract_id).terms)


@router.get("/contracts/{contract_id}/edit")
def edit_page(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    contract = _writable(ctx, contract_id)
    try:
        service.ensure_draft(contract)
    except Conflict as exc:
        return _contract_page(request, ctx, contract_id, exc)
    return _edit_form(request, ctx, contract, _shown_header(ctx, contract.id), {})


@router.post("/contracts/{contract_id}/edit")
async def edit(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    contract = _writable(ctx, contract_id)
    form = await form_data(request)
    try:
        service.ensure_draft(contract)
        changes = forms.header_changes(form, _shown_header(ctx, contract.id))
        service.update_contract(ctx, contract.id, data=parse(ContractUpdate, changes))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        if isinstance(exc, Conflict) and not exc.errors:  # no longer a draft: said on its page
            return _contract_page(request, ctx, contract_id, exc)
        errors = forms.place_errors(field_errors(exc), set(forms.HEADER_FIELDS))
        contract = service.get_contract(ctx, contract_id)
        return _edit_form(request, ctx, contract, form, errors, _status(exc))
    return _redirect(f"/contracts/{contract.id}?saved=1")


# --- lines -------------------------------------------------------------------------------------


def _line_form(
    request: Request,
    ctx: Ctx,
    contract: Contract,
    line_key: str | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The form of one line (`line_key`), or of a new line (None: with its product)."""
    terms = service.show_contract(ctx, contract.id).terms
    line = terms.line(line_key) if line_key else None
    context = base_context(
        request,
        ctx,
        contract=contract,
        terms=terms,
        line=line,
        product=products_by_id(ctx, {line.product_id}).get(line.product_id) if line else None,
        values=values,
        errors=errors,
        products=[] if line else product_choices(ctx, request),
        timings=options(request, TIMING_LABELS),
    )
    return render(request, "contracts/line_form.html", context, status_code)


def _shown_line(ctx: Ctx, contract_id: str, line_key: str) -> dict[str, str]:
    line = service.show_contract(ctx, contract_id).terms.line(line_key)
    if line is None:
        raise NotFound(f"the contract has no line '{line_key}'")
    return forms.line_values(line)


@router.get("/contracts/{contract_id}/lines/new")
def new_line_page(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    contract = _writable(ctx, contract_id)
    try:
        service.ensure_draft(contract)
    except Conflict as exc:
        return _contract_page(request, ctx, contract_id, exc)
    return _line_form(request, ctx, contract, None, {"quantity": "1"}, {})


@router.post("/contracts/{contract_id}/lines/new")
async def add_line(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    contract = _writable(ctx, contract_id)
    form = await form_data(request)
    try:
        service.ensure_draft(contract)
        data = parse(LineInput, forms.new_line_values(form))
        service.add_line(ctx, contract.id, data=data)
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        if isinstance(exc, Conflict) and not exc.errors:
            return _contract_page(request, ctx, contract_id, exc)
        errors = forms.place_errors(field_errors(exc), set(forms.NEW_LINE_FIELDS))
        contract = service.get_contract(ctx, contract_id)
        return _line_form(request, ctx, contract, None, form, errors, _status(exc))
    return _redirect(f"/contracts/{contract.id}?saved=1#lines")


@router.get("/contracts/{contract_id}/lines/{line_key}/edit")
def edit_line_page(request: Request, contract_id: str, line_key: str, ctx: WebCtx) -> Response:
    contract = _writable(ctx, contract_id)
    try:
        service.ensure_draft(contract)
        values = _shown_line(ctx, contract.id, line_key)
    except (Conflict, NotFound) as exc:
        return _contract_page(request, ctx, contract_id, exc)
    return _line_form(request, ctx, contract, line_key, values, {})


@router.post("/contracts/{contract_id}/lines/{line_key}/edit")
async def edit_line(request: Request, contract_id: str, line_key: str, ctx: WebCtx) -> Response:
    contract = _writable(ctx, contract_id)
    form = await form_data(request)
    try:
        service.ensure_draft(contract)  # before the form is read against the line
        changes = forms.line_changes(form, _shown_line(ctx, contract.id, line_key))
        service.update_line(ctx, contract.id, line_key, data=parse(LineUpdate, changes))
        ctx.session.commit()
    except (InvalidInput, Conflict, NotFound) as exc:
        ctx.session.rollback()
        if isinstance(exc, NotFound) or (isinstance(exc, Conflict) and not exc.errors):
            return _contract_page(request, ctx, contract_id, exc)
        errors = forms.place_errors(field_errors(exc), set(forms.LINE_EDIT_FIELDS))
        contract = service.get_contract(ctx, contract_id)
        return _line_form(request, ctx, contract, line_key, form, errors, _status(exc))
    return _redirect(f"/contracts/{contract.id}?saved=1#lines")


@router.post("/contracts/{contract_id}/lines/{line_key}/remove")
def remove_line(request: Request, contract_id: str, line_key: str, ctx: WebCtx) -> Response:
    contract = _writable(ctx, contract_id)
    try:
        service.remove_line(ctx, contract.id, line_key)
        ctx.session.commit()
    except (InvalidInput, Conflict, NotFound) as exc:
        return _contract_page(request, ctx, contract_id, exc)
    return _redirect(f"/contracts/{contract.id}?saved=1#lines")


# --- deleting the draft ------------------------------------------------------------------------


@router.post("/contracts/{contract_id}/delete")
async def delete(request: Request, contract_id: str, ctx: WebCtx) -> Response:
    """Without `confirmed=yes`, the confirmation page; with it, the draft goes."""
    contract = _writable(ctx, contract_id)
    form = await form_data(request)
    try:
        if form.get("confirmed") != "yes":
            service.ensure_draft(contract)
            terms = service.show_contract(ctx, contract.id).terms
            context = base_context(
                request,
                ctx,
                contract=contract,
                terms=terms,
                customer=customers_by_id(ctx, {contract.customer_id}).get(contract.customer_id),
            )
            return render(request, "contracts/delete_confirm.html", context)
        service.delete_draft(ctx, contract.id)
        ctx.session.commit()
    except Conflict as exc:
        return _contract_page(request, ctx, contract_id, exc)
    return _redirect("/contracts?status=draft")
