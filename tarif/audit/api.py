"""`GET /v1/audit-events`: the organization's audit log, oldest first, filterable by object."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse, ReadModel
from tarif.audit import service

router = APIRouter(tags=["audit"])


class AuditEventRead(ReadModel):
    id: str
    occurred_at: datetime
    actor_kind: str
    actor_id: str | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("/audit-events", response_model=ListResponse[AuditEventRead])
def list_audit_events(
    ctx: CtxDep,
    page: PageDep,
    object_id: Annotated[str | None, Query(max_length=40)] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
) -> ListResponse[AuditEventRead]:
    result = service.list_events(ctx, page, object_id=object_id, object_type=object_type)
    return ListResponse(
        data=[AuditEventRead.model_validate(e) for e in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )
