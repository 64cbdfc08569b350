"""REST routes of usage triggers: the settings of a contract's usage lines and their history."""

from __future__ import annotations

from fastapi import APIRouter

from tarif.api.deps import CtxDep, CursorPageDep
from tarif.api.schemas import ListResponse
from tarif.context import Ctx
from tarif.triggers import service
from tarif.triggers.schemas import CrossingRead, TriggerBody, TriggerRead

router = APIRouter(tags=["usage triggers"])


def _read(ctx: Ctx, contract_id: str, line_key: str) -> TriggerRead:
    for item in service.line_triggers(ctx, contract_id):
        if item.line_key == line_key:
            return TriggerRead.of_item(item)
    # Cleared on a line that is no longer in the terms: nothing is kept, period end applies.
    return TriggerRead.of(line_key, service.trigger_of(ctx, contract_id, line_key))


@router.get("/contracts/{contract_id}/triggers", response_model=list[TriggerRead])
def contract_triggers(contract_id: str, ctx: CtxDep) -> list[TriggerRead]:
    """Every usage line of the current terms with its trigger (`period_end` when none is set),
    then the settings kept for lines no longer in the terms (`in_terms` false)."""
    return [TriggerRead.of_item(item) for item in service.line_triggers(ctx, contract_id)]


@router.put("/contracts/{contract_id}/lines/{line_key}/trigger", response_model=TriggerRead)
def set_trigger(contract_id: str, line_key: str, body: TriggerBody, ctx: CtxDep) -> TriggerRead:
    """Sets when the usage line is invoiced: `{"kind": "threshold", "thresholds": ["500.00",
    "1000.00"], "every": "1000.00", "measure": "amount"}`, `{"kind": "event", "cadence":
    "daily"}`, or `{"kind": "period_end"}` (the default, which removes the setting). 422 names
    `line_key` for a line that is not a usage line of the current terms, and each bad field."""
    service.set_trigger(ctx, contract_id, line_key, body.as_json())
    ctx.session.commit()
    return _read(ctx, contract_id, line_key)


@router.delete("/contracts/{contract_id}/lines/{line_key}/trigger", response_model=TriggerRead)
def clear_trigger(contract_id: str, line_key: str, ctx: CtxDep) -> TriggerRead:
    """Back to the default: the line is invoiced at its period's end."""
    service.clear_trigger(ctx, contract_id, line_key)
    ctx.session.commit()
    return _read(ctx, contract_id, line_key)


@router.get(
    "/contracts/{contract_id}/threshold-crossings", response_model=ListResponse[CrossingRead]
)
def threshold_crossings(
    contract_id: str, ctx: CtxDep, page: CursorPageDep
) -> ListResponse[CrossingRead]:
    """The levels reached by the contract's threshold triggers, newest first, each with the
    invoice issued for it."""
    result = service.crossings(ctx, contract_id, page)
    return ListResponse(
        data=[CrossingRead.of(row) for row in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )
