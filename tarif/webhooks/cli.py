"""`tarif webhooks endpoints …`, `tarif webhooks deliveries …`, `tarif webhooks replay ID`."""

from __future__ import annotations

import typer

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
    one_line_errors,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
    say_next_page,
    to_plain,
)
from tarif.db.repository import PageRequest
from tarif.webhooks import service
from tarif.webhooks.rules import EVENT_TYPES
from tarif.webhooks.schemas import DeliveryRead, EndpointRead

webhooks_app = typer.Typer(no_args_is_help=True)
endpoints_app = typer.Typer(no_args_is_help=True, help="Webhook endpoints (admins)")
deliveries_app = typer.Typer(no_args_is_help=True, help="Deliveries and their attempts")
webhooks_app.add_typer(endpoints_app, name="endpoints")
webhooks_app.add_typer(deliveries_app, name="deliveries")

ENDPOINT_COLUMNS = ["id", "url", "event_types", "enabled", "description"]
DELIVERY_COLUMNS = [
    "id",
    "event_type",
    "endpoint_id",
    "status",
    "attempt_count",
    "last_status_code",
]
TypeOption = typer.Option(None, "--type", help="An event type (repeatable)")


def _endpoint_row(read: EndpointRead) -> dict[str, object]:
    row = to_plain(read)
    row["event_types"] = ", ".join(read.event_types)
    return row


@webhooks_app.command("events")
def events() -> None:
    """The event types an endpoint can subscribe to."""
    print_table(
        [{"type": t, "description": d} for t, d in EVENT_TYPES.items()], ["type", "description"]
    )


@endpoints_app.command("list")
@one_line_errors
def list_endpoints(
    q: str = typer.Option(None, "--q", "-q", help="Search the URL and the description"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100),
    starting_after: str = typer.Option(None, "--starting-after"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_endpoints(
            ctx, PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q)
        )
        reads = [EndpointRead.of(e) for e in page.items]
    if as_json:
        print_json([to_plain(r) for r in reads])
        return
    print_table([_endpoint_row(r) for r in reads], ENDPOINT_COLUMNS)
    say_next_page(page)


@endpoints_app.command("create")
@one_line_errors
def create_endpoint(
    url: str = typer.Argument(...),
    types: list[str] = TypeOption,
    description: str = typer.Option("", "--description"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """A new endpoint; prints its signing secret."""
    with cli_ctx(org) as ctx:
        endpoint = service.create_endpoint(
            ctx, {"url": url, "event_types": list(types or []), "description": description}
        )
        ctx.session.commit()
        data = to_plain(EndpointRead.of(endpoint))
    if as_json:
        print_json(data)
        return
    say(f"endpoint {data['id']} created; signing secret: {data['secret']}")


@endpoints_app.command("show")
@one_line_errors
def show_endpoint(endpoint_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    with cli_ctx(org) as ctx:
        data = to_plain(EndpointRead.of(service.get_endpoint(ctx, endpoint_id)))
    print_json(data) if as_json else print_record(data)


@endpoints_app.command("update")
@one_line_errors
def update_endpoint(
    endpoint_id: str,
    url: str = typer.Option(None, "--url"),
    types: list[str] = TypeOption,
    description: str = typer.Option(None, "--description"),
    enabled: bool = typer.Option(None, "--enabled/--disabled"),
    rotate_secret: bool = typer.Option(False, "--rotate-secret"),
    org: str = OrgOption,
) -> None:
    values = {
        "url": url,
        "event_types": list(types) if types else None,
        "description": description,
        "enabled": enabled,
        "rotate_secret": rotate_secret,
    }
    with cli_ctx(org) as ctx:
        endpoint = service.update_endpoint(ctx, endpoint_id, values)
        ctx.session.commit()
    say(f"endpoint {endpoint.id} updated")


@endpoints_app.command("delete")
@one_line_errors
def delete_endpoint(endpoint_id: str, org: str = OrgOption) -> None:
    with cli_ctx(org) as ctx:
        service.delete_endpoint(ctx, endpoint_id)
        ctx.session.commit()
    say(f"endpoint {endpoint_id} deleted")


@endpoints_app.command("ping")
@one_line_errors
def ping(endpoint_id: str, org: str = OrgOption) -> None:
    """Send a `ping` event now and print the answer's status code."""
    with cli_ctx(org) as ctx:
        delivery = service.ping(ctx, endpoint_id)
        ctx.session.commit()
    last = delivery.attempts[-1]
    say(f"ping {delivery.status}: {last['status_code'] or last['error']}")


@deliveries_app.command("list")
@one_line_errors
def list_deliveries(
    endpoint: str = typer.Option(None, "--endpoint"),
    status: str = typer.Option(None, "--status", help="pending, delivered, retrying, failed"),
    event_type: str = typer.Option(None, "--type", help="An event type"),
    q: str = typer.Option(None, "--q", "-q", help="Search the event's type and id"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100),
    starting_after: str = typer.Option(None, "--starting-after"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_deliveries(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, updated_since=since, q=q),
            endpoint_id=endpoint,
            status=status,
            event_type=event_type,
        )
        rows = [to_plain(DeliveryRead.of(d)) for d in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, DELIVERY_COLUMNS)
    say_next_page(page)


@deliveries_app.command("show")
@one_line_errors
def show_delivery(delivery_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    with cli_ctx(org) as ctx:
        data = to_plain(DeliveryRead.of(service.get_delivery(ctx, delivery_id)))
    print_json(data) if as_json else print_record(data)


@webhooks_app.command("replay")
@one_line_errors
def replay(delivery_id: str, org: str = OrgOption) -> None:
    """Queue a new attempt of a delivery (the worker sends it)."""
    with cli_ctx(org) as ctx:
        delivery = service.replay(ctx, delivery_id)
        ctx.session.commit()
    say(f"delivery {delivery.id} queued again (job {delivery.job_id})")
