"""REST routes of contracts, their lines, amendments and transitions, and contract templates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse, StrictModel
from tarif.contracts import reads, service
from tarif.contracts.amendments import AmendmentStatus
from tarif.contracts.model import ContractStatus
from tarif.contracts.schemas import (
    AmendmentCreate,
    AmendmentRead,
    ContractCreate,
    ContractDetail,
    ContractRead,
    ContractUpdate,
    Day,
    FirstPaymentCreate,
    LineInput,
    LineRead,
    LineUpdate,
    SignatureCreate,
    TemplateCreate,
    TemplateDetail,
    TemplateInstantiate,
    TemplateRead,
    TemplateUpdate,
    TemplateVersionRead,
    TransitionCreate,
    TransitionRead,
    VersionRead,
    line_read,
)

router = APIRouter(tags=["contracts"])

AsOf = Annotated[
    Day | None, Query(description="The day to read the contract as of (default: today)")
]
IdParam = Annotated[str, Query(min_length=1, max_length=40)]


def _detail(ctx: CtxDep, contract_id: str, as_of: date | None = None) -> ContractDetail:
    return reads.contract_detail(service.show_contract(ctx, contract_id, as_of=as_of))


# --- contracts ---------------------------------------------------------------------------------


@router.get("/contracts", response_model=ListResponse[ContractRead])
def list_contracts(
    ctx: CtxDep,
    page: PageDep,
    status: ContractStatus | None = None,
    customer_id: IdParam | None = None,
    renewal_due_before: Annotated[
        Day | None, Query(description="Running contracts whose current term ends before this day")
    ] = None,
) -> ListResponse[ContractRead]:
    """Contracts in id (creation) order; `q` searches the reference."""
    result = service.list_contracts(
        ctx,
        page,
        status=status,
        customer_id=customer_id,
        renewal_due_before=renewal_due_before,
    )
    return ListResponse(
        data=[reads.contract_read(c) for c in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post("/contracts", response_model=ContractDetail, status_code=status.HTTP_201_CREATED)
def create_contract(body: ContractCreate, ctx: CtxDep) -> ContractDetail:
    """A draft contract; each line's price comes from the pricelist at its start unless
    `unit_price` overrides it."""
    contract = service.create_contract(ctx, data=body)
    ctx.session.commit()
    return _detail(ctx, contract.id)


class ApplyDue(StrictModel):
    as_of: date = Field(description="Bring every running contract up to this day")


class DueSummaryRead(BaseModel):
    as_of: date
    amendments_applied: list[str]
    renewals: list[str]
    activated: list[str]
    terminated: list[str]


@router.post("/contracts/apply-due", response_model=DueSummaryRead, tags=["contracts"])
def apply_due(body: ApplyDue, ctx: CtxDep) -> DueSummaryRead:
    """Applies due scheduled amendments, records due renewals, activates and terminates the
    contracts whose date is reached, as of `as_of` (what a billing run does first)."""
    summary = service.apply_due(ctx, as_of=body.as_of)
    ctx.session.commit()
    return DueSummaryRead(
        as_of=summary.as_of,
        amendments_applied=summary.amendments_applied,
        renewals=summary.renewals,
        activated=summary.activated,
        terminated=summary.terminated,
    )


@router.get("/contracts/{contract_id}", response_model=ContractDetail)
def read_contract(contract_id: str, ctx: CtxDep, as_of: AsOf = None) -> ContractDetail:
    """The contract as it stood on `as_of` (default: today)."""
    return _detail(ctx, contract_id, as_of)


@router.patch("/contracts/{contract_id}", response_model=ContractDetail)
def update_contract(contract_id: str, body: ContractUpdate, ctx: CtxDep) -> ContractDetail:
    """A draft's header; once submitted, a contract changes by amendment only (409)."""
    service.update_contract(ctx, contract_id, data=body)
    ctx.session.commit()
    return _detail(ctx, contract_id)


@router.delete("/contracts/{contract_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contract(contract_id: str, ctx: CtxDep) -> Response:
    """Deletes a draft; anything submitted is kept (409)."""
    service.delete_draft(ctx, contract_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/contracts/{contract_id}/versions", response_model=list[VersionRead])
def list_versions(contract_id: str, ctx: CtxDep) -> list[VersionRead]:
    """Every version, with a readable diff from the previous one."""
    return [reads.version_read(v) for v in service.contract_versions(ctx, contract_id)]


# --- lines -------------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/lines", response_model=list[LineRead])
def list_lines(contract_id: str, ctx: CtxDep, as_of: AsOf = None) -> list[LineRead]:
    """The lines in force on `as_of` (default: today)."""
    view = service.show_contract(ctx, contract_id, as_of=as_of)
    return [line_read(view.terms, line) for line in view.terms.lines]


@router.post(
    "/contracts/{contract_id}/lines",
    response_model=ContractDetail,
    status_code=status.HTTP_201_CREATED,
)
def add_line(contract_id: str, body: LineInput, ctx: CtxDep) -> ContractDetail:
    """Adds a line to a draft (later: an amendment)."""
    service.add_line(ctx, contract_id, data=body)
    ctx.session.commit()
    return _detail(ctx, contract_id)


@router.patch("/contracts/{contract_id}/lines/{line_key}", response_model=ContractDetail)
def update_line(contract_id: str, line_key: str, body: LineUpdate, ctx: CtxDep) -> ContractDetail:
    service.update_line(ctx, contract_id, line_key, data=body)
    ctx.session.commit()
    return _detail(ctx, contract_id)


@router.delete("/contracts/{contract_id}/lines/{line_key}", response_model=ContractDetail)
def remove_line(contract_id: str, line_key: str, ctx: CtxDep) -> ContractDetail:
    service.remove_line(ctx, contract_id, line_key)
    ctx.session.commit()
    return _detail(ctx, contract_id)


# --- lifecycle ---------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/transitions", response_model=list[TransitionRead])
def list_transitions(contract_id: str, ctx: CtxDep) -> list[TransitionRead]:
    """Every lifecycle step: dated, attributed, forced or not."""
    return [
        TransitionRead.model_validate(t) for t in service.contract_transitions(ctx, contract_id)
    ]


@router.post(
    "/contracts/{contract_id}/transitions",
    response_model=ContractDetail,
    status_code=status.HTTP_201_CREATED,
)
def create_transition(contract_id: str, body: TransitionCreate, ctx: CtxDep) -> ContractDetail:
    """submit, activate, suspend, resume or terminate (`mode`: at_term_end, on_date,
    immediately). Forcing an activation or skipping the notice is for admins only."""
    service.transition(ctx, contract_id, data=body)
    ctx.session.commit()
    return _detail(ctx, contract_id)


@router.post("/contracts/{contract_id}/signature", response_model=ContractDetail)
def record_signature(contract_id: str, body: SignatureCreate, ctx: CtxDep) -> ContractDetail:
    """Records the signature; a pending contract activating on signature activates."""
    service.record_signature(ctx, contract_id, signed_on=body.signed_on)
    ctx.session.commit()
    return _detail(ctx, contract_id)


@router.post("/contracts/{contract_id}/first-payment", response_model=ContractDetail)
def record_first_payment(contract_id: str, body: FirstPaymentCreate, ctx: CtxDep) -> ContractDetail:
    """Records the first payment; a pending contract activating on it activates."""
    service.record_first_payment(ctx, contract_id, paid_on=body.paid_on)
    ctx.session.commit()
    return _detail(ctx, contract_id)


# --- amendments --------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/amendments", response_model=ListResponse[AmendmentRead])
def list_amendments(
    contract_id: str,
    ctx: CtxDep,
    page: PageDep,
    status: AmendmentStatus | None = None,
) -> ListResponse[AmendmentRead]:
    """The contract's amendments in creation order, each with its readable diff."""
    result = service.list_amendments(ctx, page, contract_id=contract_id, status=status)
    return ListResponse(
        data=[reads.amendment_read(service.amendment_view(ctx, row.id)) for row in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post(
    "/contracts/{contract_id}/amendments",
    response_model=AmendmentRead,
    status_code=status.HTTP_201_CREATED,
)
def create_amendment(contract_id: str, body: AmendmentCreate, ctx: CtxDep) -> AmendmentRead:
    """A draft amendment (`schedule: true` confirms it at once). Two scheduled amendments that
    conflict are refused with 409 naming both."""
    row = service.create_amendment(ctx, contract_id, data=body)
    ctx.session.commit()
    return reads.amendment_read(service.amendment_view(ctx, row.id))


@router.get("/contracts/{contract_id}/amendments/{amendment_id}", response_model=AmendmentRead)
def read_amendment(contract_id: str, amendment_id: str, ctx: CtxDep) -> AmendmentRead:
    view = service.amendment_view(ctx, amendment_id, contract_id=contract_id)
    return reads.amendment_read(view)


@router.post(
    "/contracts/{contract_id}/amendments/{amendment_id}/schedule", response_model=AmendmentRead
)
def schedule_amendment(contract_id: str, amendment_id: str, ctx: CtxDep) -> AmendmentRead:
    """Confirms a draft: applied when its date is reached, else scheduled."""
    service.get_amendment(ctx, amendment_id, contract_id=contract_id)
    service.schedule_amendment(ctx, amendment_id)
    ctx.session.commit()
    return reads.amendment_read(service.amendment_view(ctx, amendment_id))


@router.post(
    "/contracts/{contract_id}/amendments/{amendment_id}/cancel", response_model=AmendmentRead
)
def cancel_amendment(contract_id: str, amendment_id: str, ctx: CtxDep) -> AmendmentRead:
    """Cancels a draft, or a scheduled amendment before its date."""
    service.get_amendment(ctx, amendment_id, contract_id=contract_id)
    service.cancel_amendment(ctx, amendment_id)
    ctx.session.commit()
    return reads.amendment_read(service.amendment_view(ctx, amendment_id))


# --- templates ---------------------------------------------------------------------------------


def _template(ctx: CtxDep, template_id: str) -> TemplateDetail:
    template = service.get_template(ctx, template_id)
    return reads.template_detail(template, service.template_versions(ctx, template.id))


@router.get("/contract-templates", response_model=ListResponse[TemplateRead])
def list_templates(ctx: CtxDep, page: PageDep) -> ListResponse[TemplateRead]:
    """Templates in id (creation) order; `q` searches the name."""
    result = service.list_templates(ctx, page)
    return ListResponse(
        data=[TemplateRead.model_validate(t) for t in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post(
    "/contract-templates", response_model=TemplateDetail, status_code=status.HTTP_201_CREATED
)
def create_template(body: TemplateCreate, ctx: CtxDep) -> TemplateDetail:
    template = service.create_template(ctx, data=body)
    ctx.session.commit()
    return _template(ctx, template.id)


@router.get("/contract-templates/{template_id}", response_model=TemplateDetail)
def read_template(template_id: str, ctx: CtxDep) -> TemplateDetail:
    return _template(ctx, template_id)


@router.patch("/contract-templates/{template_id}", response_model=TemplateDetail)
def update_template(template_id: str, body: TemplateUpdate, ctx: CtxDep) -> TemplateDetail:
    """Stores the next version; contracts made from earlier versions never change."""
    service.update_template(ctx, template_id, data=body)
    ctx.session.commit()
    return _template(ctx, template_id)


@router.get(
    "/contract-templates/{template_id}/versions/{number}", response_model=TemplateVersionRead
)
def read_template_version(template_id: str, number: int, ctx: CtxDep) -> TemplateVersionRead:
    view = service.template_version(ctx, template_id, number=number)
    return reads.template_version_read(view.row)


@router.post(
    "/contract-templates/{template_id}/instantiate",
    response_model=ContractDetail,
    status_code=status.HTTP_201_CREATED,
)
def instantiate_template(
    template_id: str, body: TemplateInstantiate, ctx: CtxDep
) -> ContractDetail:
    """A draft contract from the template version (default: the latest), which it records."""
    contract = service.instantiate_template(ctx, template_id, data=body)
    ctx.session.commit()
    return _detail(ctx, contract.id)
