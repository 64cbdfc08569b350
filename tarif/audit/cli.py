"""`tarif audit list`"""

from __future__ import annotations

import typer

from tarif.audit.api import AuditEventRead
from tarif.audit.models import AuditEvent
from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    one_line_errors,
    print_json,
    print_table,
)
from tarif.db.repository import scoped

app = typer.Typer(no_args_is_help=True)


@app.command("list")
@one_line_errors
def list_events(
    object_id: str = typer.Option(None, "--object", help="Only this object's events"),
    limit: int = typer.Option(50, min=1, max=1000),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    with cli_ctx(org) as ctx:
        stmt = scoped(AuditEvent, ctx.organization_id)
        if object_id:
            stmt = stmt.where(AuditEvent.object_id == object_id)
        events = ctx.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit))
        rows = [AuditEventRead.model_validate(e).model_dump(mode="json") for e in events]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["occurred_at", "actor_label", "action", "object_type", "object_id"])
