"""Coupons and redemptions through the service (the clock reads 15 Jan 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tarif.context import Ctx
from tarif.contracts import service as contracts
from tarif.coupons import service
from tarif.errors import Conflict, Forbidden, InvalidInput, NotFound
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, as_role
from tests.coupons.conftest import make_coupon


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_create_stores_the_code_in_upper_case(ctx: Ctx) -> None:
    coupon = make_coupon(ctx, "welcome20", duration="repeating", duration_months=3)
    assert (coupon.code, coupon.name, coupon.kind, coupon.value) == (
        "WELCOME20",
        "WELCOME20",
        "percentage",
        Decimal(20),
    )
    assert (coupon.duration, coupon.duration_months, coupon.redemptions_count) == (
        "repeating",
        3,
        0,
    )
    assert service.find_by_code(ctx, "Welcome20") is coupon


def test_codes_are_unique_whatever_their_case(ctx: Ctx) -> None:
    make_coupon(ctx, "WELCOME20")
    with pytest.raises(Conflict, match="WELCOME20"):
        make_coupon(ctx, "welcome20")


def test_every_bad_field_is_reported_at_once(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as exc:
        service.create_coupon(
            ctx,
            {
                "code": "bad code",
                "kind": "fixed",
                "value": "-1",
                "duration": "repeating",
                "max_redemptions": "0",
            },
        )
    assert fields_of(exc) == {"code", "value", "currency", "duration_months", "max_redemptions"}


def test_unknown_kind_and_duration(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as exc:
        service.create_coupon(
            ctx, {"code": "X", "kind": "gift", "value": "1", "duration": "sometimes"}
        )
    assert fields_of(exc) == {"kind", "duration"}


def test_update_changes_name_limit_and_window_only(ctx: Ctx) -> None:
    coupon = make_coupon(ctx)
    service.update_coupon(
        ctx,
        coupon.id,
        {"name": "Welcome", "max_redemptions": 5, "redeemable_until": "2026-12-31"},
    )
    assert (coupon.name, coupon.max_redemptions, coupon.redeemable_until) == (
        "Welcome",
        5,
        date(2026, 12, 31),
    )
    with pytest.raises(InvalidInput) as exc:
        service.update_coupon(ctx, coupon.id, {"value": "30"})
    assert fields_of(exc) == {"value"}


def test_the_limit_cannot_go_below_the_redemptions_made(ctx: Ctx, world: World) -> None:
    coupon = make_coupon(ctx, max_redemptions=3)
    service.redeem(ctx, world.running().id, "WELCOME20")
    service.redeem(ctx, world.running(reference="C-2").id, "WELCOME20")
    with pytest.raises(InvalidInput) as exc:
        service.update_coupon(ctx, coupon.id, {"max_redemptions": 1})
    assert fields_of(exc) == {"max_redemptions"}


def test_redeem_counts_and_computes_the_end(ctx: Ctx, world: World) -> None:
    coupon = make_coupon(ctx, duration="repeating", duration_months=3)
    contract = world.running()
    redemption = service.redeem(ctx, contract.id, "welcome20")
    # redeemed today (15 Jan 2026) for 3 months: ends (exclusive) on 15 Apr 2026
    assert (redemption.redeemed_on, redemption.ends_on, redemption.status) == (
        date(2026, 1, 15),
        date(2026, 4, 15),
        "active",
    )
    assert coupon.redemptions_count == 1
    assert [r.id for r in service.redemptions_of_contract(ctx, contract.id)] == [redemption.id]
    assert [r.id for r in service.redemptions_of_coupon(ctx, coupon.id)] == [redemption.id]


def test_the_last_redemption_is_taken_once(ctx: Ctx, world: World) -> None:
    coupon = make_coupon(ctx, max_redemptions=1)
    service.redeem(ctx, world.running().id, "WELCOME20")
    with pytest.raises(Conflict, match="limit of 1"):
        service.redeem(ctx, world.running(reference="C-2").id, "WELCOME20")
    assert coupon.redemptions_count == 1


def test_outside_the_window_is_refused_naming_the_code(ctx: Ctx, world: World) -> None:
    make_coupon(ctx, "XMAS", redeemable_from="2025-12-01", redeemable_until="2025-12-31")
    make_coupon(ctx, "SPRING", redeemable_from="2026-03-01")
    contract = world.running()
    for code in ("XMAS", "SPRING"):
        with pytest.raises(InvalidInput, match=code) as exc:
            service.redeem(ctx, contract.id, code)
        assert fields_of(exc) == {"code"}


def test_the_window_includes_its_last_day(ctx: Ctx, world: World) -> None:
    make_coupon(ctx, redeemable_until="2026-01-15")
    assert service.redeem(ctx, world.running().id, "WELCOME20").redeemed_on == date(2026, 1, 15)


def test_a_fixed_coupon_must_be_in_the_contracts_currency(ctx: Ctx, world: World) -> None:
    make_coupon(ctx, "FIFTY", kind="fixed", value="50", currency="USD")
    with pytest.raises(InvalidInput, match="USD") as exc:
        service.redeem(ctx, world.running().id, "FIFTY")
    assert fields_of(exc) == {"code"}


def test_unknown_and_archived_codes(ctx: Ctx, world: World) -> None:
    coupon = make_coupon(ctx)
    contract = world.running()
    with pytest.raises(InvalidInput, match="NOPE"):
        service.redeem(ctx, contract.id, "nope")
    service.archive_coupon(ctx, coupon.id)
    with pytest.raises(InvalidInput, match="archived"):
        service.redeem(ctx, contract.id, "WELCOME20")


def test_not_twice_on_a_contract_nor_on_a_terminated_one(ctx: Ctx, world: World) -> None:
    make_coupon(ctx)
    contract = world.running()
    service.redeem(ctx, contract.id, "WELCOME20")
    with pytest.raises(Conflict, match="already redeemed"):
        service.redeem(ctx, contract.id, "WELCOME20")
    make_coupon(ctx, "OTHER")
    contract.status = "terminated"
    with pytest.raises(Conflict, match="terminated"):
        service.redeem(ctx, contract.id, "OTHER")


def test_remove_keeps_the_redemption_as_removed(ctx: Ctx, world: World) -> None:
    make_coupon(ctx)
    contract = world.running()
    redemption = service.redeem(ctx, contract.id, "WELCOME20")
    service.remove_redemption(ctx, contract.id, redemption.id)
    assert (redemption.status, redemption.removed_on) == ("removed", date(2026, 1, 15))
    other = world.running(reference="C-2")
    with pytest.raises(NotFound):
        service.remove_redemption(ctx, other.id, redemption.id)


def test_writes_need_the_billing_permission(ctx: Ctx, world: World) -> None:
    coupon = make_coupon(ctx)
    contract = world.running()
    sales = as_role(ctx, Role.SALES)
    with pytest.raises(Forbidden):
        make_coupon(sales, "SALES")
    with pytest.raises(Forbidden):
        service.redeem(sales, contract.id, coupon.code)
    finance = as_role(ctx, Role.FINANCE)
    assert service.redeem(finance, contract.id, coupon.code).status == "active"


def test_another_organizations_coupon_is_not_found(ctx: Ctx, other_ctx: Ctx, world: World) -> None:
    theirs = make_coupon(other_ctx, "THEIRS")
    with pytest.raises(NotFound):
        service.get_coupon(ctx, theirs.id)
    with pytest.raises(InvalidInput, match="THEIRS"):
        service.redeem(ctx, world.running().id, "THEIRS")


def test_the_draft_contract_can_redeem(ctx: Ctx, world: World) -> None:
    make_coupon(ctx)
    draft = world.contract()
    assert contracts.get_contract(ctx, draft.id).status == "draft"
    assert service.redeem(ctx, draft.id, "WELCOME20").status == "active"
