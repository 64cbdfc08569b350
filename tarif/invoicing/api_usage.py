"""`GET /v1/contracts/{id}/usage`: the current usage of a contract, priced so far."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tarif.api.deps import CtxDep
from tarif.contracts.schemas import Day
from tarif.invoicing.current_usage import contract_usage
from tarif.invoicing.usage_reads import ContractUsageRead, contract_usage_read

router = APIRouter(tags=["contracts"])


@router.get("/contracts/{contract_id}/usage", response_model=ContractUsageRead)
def read_contract_usage(
    contract_id: str,
    ctx: CtxDep,
    as_of: Annotated[
        Day | None,
        Query(description="The day measured through, included (default: today)"),
    ] = None,
) -> ContractUsageRead:
    """Each usage line of the contract in force on `as_of`: its current period, the days
    measured so far (`as_of` included), quantities per group, events counted, and the amount
    so far priced by the line's charge. Nothing is billed nor stored."""
    return contract_usage_read(contract_usage(ctx, contract_id, as_of=as_of))
