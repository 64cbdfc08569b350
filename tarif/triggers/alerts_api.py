"""REST routes of usage alerts: a contract's alerts and the levels they fired."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tarif.api.deps import CtxDep, CursorPageDep
from tarif.api.schemas import ListResponse
from tarif.triggers import alerts_service as service
from tarif.triggers.alerts_schemas import AlertBody, AlertEdit, AlertRead, FiringRead

router = APIRouter(tags=["usage alerts"])


@router.get("/contracts/{contract_id}/usage-alerts", response_model=list[AlertRead])
def contract_alerts(contract_id: str, ctx: CtxDep) -> list[AlertRead]:
    """The contract's usage alerts, oldest first."""
    return [AlertRead.of(row) for row in service.list_alerts(ctx, contract_id)]


@router.post("/contracts/{contract_id}/usage-alerts", response_model=AlertRead, status_code=201)
def create_alert(contract_id: str, body: AlertBody, ctx: CtxDep) -> AlertRead:
    """Notifies (webhook `usage.alert`) when the usage of `metric_code` in a period reaches each
    level (percent) of `limit`, once per period and level: `{"metric_code": "turnover",
    "measure": "amount", "limit": "1000.00", "levels": [80, 100]}`. 422 names each bad field:
    `metric_code` when no usage line of the contract measures it, `levels.1`, `limit`…
    A level the period's usage has passed already fires at once."""
    row = service.create_alert(ctx, contract_id, body.as_json())
    ctx.session.commit()
    return AlertRead.of(row)


@router.patch("/usage-alerts/{alert_id}", response_model=AlertRead)
def update_alert(alert_id: str, body: AlertEdit, ctx: CtxDep) -> AlertRead:
    """Changes the fields sent: `line_key` (null: every line of the metric), `limit`,
    `levels`, checked as at creation; `metric_code` and `measure` are fixed (422 on them when
    they differ). A level fired already in the period stays fired (none fires twice); one the
    new settings put the usage past fires at once: `{"limit": "1200.00", "levels": [50, 80,
    100]}`."""
    row = service.update_alert(ctx, alert_id, body.as_json())
    ctx.session.commit()
    return AlertRead.of(row)


@router.delete("/usage-alerts/{alert_id}", status_code=204)
def delete_alert(alert_id: str, ctx: CtxDep) -> Response:
    """Removes the alert and its history."""
    service.delete_alert(ctx, alert_id)
    ctx.session.commit()
    return Response(status_code=204)


@router.get("/contracts/{contract_id}/usage-alert-firings", response_model=ListResponse[FiringRead])
def alert_firings(contract_id: str, ctx: CtxDep, page: CursorPageDep) -> ListResponse[FiringRead]:
    """The levels the contract's alerts reached, newest first."""
    result = service.firings(ctx, contract_id, page)
    return ListResponse(
        data=[FiringRead.of(row) for row in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )
