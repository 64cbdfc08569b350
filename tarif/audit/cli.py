"""`tarif audit list`"""

from __future__ import annotations

import typer

from tarif.audit import service
from tarif.audit.api import AuditEventRead
from tarif.cli.common import (
    JsonOption,
    OrgOption,
    cli_ctx,
    one_line_errors,
    parse_instant,
    print_json,
    print_table,
    say,
)

app = typer.Typer(no_args_is_help=True)


@app.command("list")
@one_line_errors
def list_events(
    object_id: str = typer.Option(None, "--object", help="Only this object's events"),
    object_type: str = typer.Option(
        None, "--type", help="Only events on this kind of object (customer, contract…)"
    ),
    q: str = typer.Option(
        None, "--q", "-q", help="Search the object type and id, the action and the actor"
    ),
    happened_since: str = typer.Option(
        None,
        "--updated-since",
        help="Only events that happened at or after this instant (RFC 3339; no offset: UTC)",
    ),
    limit: int = typer.Option(50, min=1, max=1000),
    before: str = typer.Option(
        None, "--before", help="Only events older than this event id (the next page)"
    ),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The latest events, newest first, a page at a time (`--before` the last one shown)."""
    since = parse_instant(happened_since, "--updated-since")
    with cli_ctx(org) as ctx:
        # One more than shown tells whether an older page follows.
        events = service.recent_events(
            ctx,
            limit=limit + 1,
            object_id=object_id,
            object_type=object_type,
            q=q,
            since=since,
            before=before,
        )
        more = len(events) > limit
        events = events[:limit]
        rows = [AuditEventRead.model_validate(e).model_dump(mode="json") for e in events]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["occurred_at", "actor_label", "action", "object_type", "object_id"])
        if more:
            say(f"more: --before {rows[-1]['id']}")
