"""`tarif coupons list|show|create|update|archive|redeem|redemptions|remove`."""

from __future__ import annotations

from typing import Any

import typer

from tarif.cli.common import (
    JsonOption,
    OrgOption,
    UpdatedSinceOption,
    cli_ctx,
    fail,
    one_line_errors,
    parse_day,
    parse_instant,
    print_json,
    print_record,
    print_table,
    say,
    say_next_page,
    to_plain,
)
from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.coupons import service
from tarif.coupons.models import CouponRedemption
from tarif.coupons.schemas import CouponRead, RedemptionRead
from tarif.db.repository import PageRequest

app = typer.Typer(no_args_is_help=True)

COUPON_COLUMNS = [
    "id",
    "code",
    "name",
    "kind",
    "value",
    "currency",
    "duration",
    "redemptions_count",
]
REDEMPTION_COLUMNS = ["id", "code", "contract_id", "redeemed_on", "ends_on", "status"]


def _redemptions(ctx: Ctx, rows: list[CouponRedemption]) -> list[dict[str, Any]]:
    coupons = service.coupons_by_id(ctx, {r.coupon_id for r in rows})
    return [to_plain(RedemptionRead.of(r, coupons[r.coupon_id])) for r in rows]


@app.command("list")
@one_line_errors
def list_coupons(
    q: str = typer.Option(None, "--q", help="Search the code and the name"),
    archived: bool = typer.Option(None, "--archived/--active", help="Archived or active only"),
    updated_since: str = UpdatedSinceOption,
    limit: int = typer.Option(50, min=1, max=100, help="Page size"),
    starting_after: str = typer.Option(None, "--starting-after", help="Continue after this id"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Coupons in creation order."""
    since = parse_instant(updated_since, "--updated-since")
    with cli_ctx(org) as ctx:
        page = service.list_coupons(
            ctx,
            PageRequest(limit=limit, starting_after=starting_after, q=q, updated_since=since),
            archived=archived,
        )
        rows = [to_plain(CouponRead.of(c)) for c in page.items]
    if as_json:
        print_json(rows)
        return
    print_table(rows, COUPON_COLUMNS)
    say_next_page(page)


@app.command("show")
@one_line_errors
def show(coupon: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """A coupon (by id or code) with its redemptions."""
    with cli_ctx(org) as ctx:
        found = service.resolve_coupon(ctx, coupon)
        read = to_plain(CouponRead.of(found))
        redemptions = _redemptions(ctx, service.redemptions_of_coupon(ctx, found.id))
    if as_json:
        print_json(read | {"redemptions": redemptions})
        return
    print_record(read)
    print_table(redemptions, REDEMPTION_COLUMNS, title="redemptions")


@app.command("create")
@one_line_errors
def create(
    code: str = typer.Argument(..., help="The code customers type, e.g. WELCOME20"),
    percent: str = typer.Option(None, "--percent", help="Percentage off, e.g. 20"),
    amount: str = typer.Option(None, "--amount", help="Amount off, e.g. 50.00 (with --currency)"),
    currency: str = typer.Option(None, "--currency", help="Currency of --amount"),
    duration: str = typer.Option("once", "--duration", help="once, repeating or forever"),
    months: int = typer.Option(None, "--months", help="Months of a repeating coupon"),
    name: str = typer.Option(None, "--name", help="Name shown in lists (default: the code)"),
    redeemable_from: str = typer.Option(None, "--from", help="First day it can be redeemed"),
    redeemable_until: str = typer.Option(None, "--until", help="Last day it can be redeemed"),
    limit: int = typer.Option(None, "--limit", help="How many redemptions at most"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a coupon: `--percent 20` or `--amount 50.00 --currency EUR`."""
    if (percent is None) == (amount is None):
        fail("give either --percent or --amount")
    # a bad day named as its option, like `bill run --as-of`
    parse_day(redeemable_from or None, "--from")
    parse_day(redeemable_until or None, "--until")
    data: dict[str, Any] = {
        "code": code,
        "name": name,
        "kind": "percentage" if percent is not None else "fixed",
        "value": percent if percent is not None else amount,
        "currency": currency,
        "duration": duration,
        "duration_months": months,
        "redeemable_from": redeemable_from,
        "redeemable_until": redeemable_until,
        "max_redemptions": limit,
    }
    with cli_ctx(org) as ctx:
        coupon = service.create_coupon(ctx, data)
        ctx.session.commit()
        read = to_plain(CouponRead.of(coupon))
    if as_json:
        print_json(read)
        return
    say(f"coupon {read['code']} created ({read['id']})")


@app.command("update")
@one_line_errors
def update(
    coupon: str = typer.Argument(..., help="Coupon code (or id)"),
    name: str = typer.Option(None, "--name", help="Name shown in lists"),
    redeemable_from: str = typer.Option(None, "--from", help='First day; "" = no first day'),
    redeemable_until: str = typer.Option(None, "--until", help='Last day; "" = no last day'),
    limit: int = typer.Option(None, "--limit", help="How many redemptions at most"),
    no_limit: bool = typer.Option(False, "--no-limit", help="No redemption limit"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change the name, the redemption limit or the window; what a coupon gives never changes."""
    if limit is not None and no_limit:
        fail("give either --limit or --no-limit")
    data: dict[str, Any] = {}
    if name is not None:
        data["name"] = name
    for key, value, option in (
        ("redeemable_from", redeemable_from, "--from"),
        ("redeemable_until", redeemable_until, "--until"),
    ):
        if value is not None:
            # "" clears the day; a bad day is named as its option
            data[key] = parse_day(value, option) if value.strip() else None
    if limit is not None or no_limit:
        data["max_redemptions"] = limit
    if not data:
        fail("nothing to change: give --name, --from, --until, --limit or --no-limit")
    with cli_ctx(org) as ctx:
        found = service.update_coupon(ctx, service.resolve_coupon(ctx, coupon).id, data)
        ctx.session.commit()
        read = to_plain(CouponRead.of(found))
    if as_json:
        print_json(read)
        return
    say(f"coupon {read['code']} updated")


@app.command("archive")
@one_line_errors
def archive(coupon: str, org: str = OrgOption) -> None:
    """No new redemption; contracts that redeemed it keep their discount."""
    with cli_ctx(org) as ctx:
        found = service.archive_coupon(ctx, service.resolve_coupon(ctx, coupon).id)
        ctx.session.commit()
        code = found.code
    say(f"coupon {code} archived")


@app.command("redeem")
@one_line_errors
def redeem(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    coupon: str = typer.Argument(..., help="Coupon code (or id)"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Redeem a coupon on a contract today."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        code = service.find_by_code(ctx, coupon)
        redemption = service.redeem(
            ctx, found.id, code.code if code else service.resolve_coupon(ctx, coupon).code
        )
        ctx.session.commit()
        read = _redemptions(ctx, [redemption])[0]
        # read here: cli_ctx's closing rollback (of the reads above) expires and detaches `found`
        reference = found.reference
    if as_json:
        print_json(read)
        return
    say(f"coupon {read['code']} redeemed on {reference} ({read['id']})")


@app.command("redemptions")
@one_line_errors
def redemptions(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The coupons redeemed on a contract."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        rows = _redemptions(ctx, service.redemptions_of_contract(ctx, found.id))
    if as_json:
        print_json(rows)
        return
    print_table(rows, REDEMPTION_COLUMNS)


@app.command("remove")
@one_line_errors
def remove(
    contract: str = typer.Argument(..., help="Contract id or reference"),
    redemption_id: str = typer.Argument(..., help="Redemption id"),
    org: str = OrgOption,
) -> None:
    """Take a coupon off a contract: no discount on invoices built from now on."""
    with cli_ctx(org) as ctx:
        found = contracts.find_contract(ctx, contract)
        service.remove_redemption(ctx, found.id, redemption_id)
        ctx.session.commit()
    say(f"coupon redemption {redemption_id} removed")
