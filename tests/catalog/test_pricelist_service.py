from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tarif.audit.models import AuditEvent
from tarif.catalog import service
from tarif.catalog.models import Product
from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.errors import Conflict, InvalidInput, NotFound
from tests.catalog.conftest import make_customer, make_pricelist, make_product
from tests.conftest import START

HOSTING_TERMS = {"unit_price": "399.00", "periodicity": "monthly", "timing": "in_advance"}


def events(ctx: Ctx, object_id: str) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.object_id == object_id).order_by(AuditEvent.id)
    return list(ctx.session.scalars(stmt))


def error_fields(caught: pytest.ExceptionInfo) -> dict[str, str]:  # type: ignore[type-arg]
    return {e.field: e.message for e in caught.value.errors}


# --- pricelists --------------------------------------------------------------------------------


def test_create_a_pricelist_normalizes_the_currency_and_logs_it(ctx: Ctx) -> None:
    pricelist = service.create_pricelist(
        ctx,
        {
            "name": " Standard 2026 ",
            "currency": "eur",
            "valid_from": "2026-01-01",
            "is_default": "yes",
        },
    )
    assert (pricelist.name, pricelist.currency) == ("Standard 2026", "EUR")
    assert (pricelist.valid_from, pricelist.valid_to, pricelist.is_default) == (
        date(2026, 1, 1),
        None,
        True,
    )
    [event] = events(ctx, pricelist.id)
    assert event.action == "create"
    assert event.after is not None and event.after["valid_from"] == "2026-01-01"


def test_bad_pricelist_fields_are_named(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_pricelist(
            ctx, {"name": "", "currency": "EUX", "valid_from": "01/01/2026", "is_default": "maybe"}
        )
    assert error_fields(caught) == {
        "name": "is required",
        "currency": "unknown ISO 4217 currency 'EUX'",
        "valid_from": "must be a date written YYYY-MM-DD",
        "is_default": "must be true or false",
    }


def test_validity_cannot_end_before_it_starts(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_pricelist(ctx, valid_to="2025-12-31")  # starts 2026-01-01
    assert error_fields(caught) == {"valid_to": "valid_to must be on or after valid_from"}


def test_two_default_pricelists_of_one_currency_may_not_overlap(ctx: Ctx) -> None:
    make_pricelist(ctx, "Standard 2026", valid_to="2026-12-31", is_default=True)
    with pytest.raises(InvalidInput) as caught:
        make_pricelist(ctx, "Late 2026", valid_from="2026-12-31", is_default=True)  # shares 31 Dec
    errors = error_fields(caught)
    assert set(errors) == {"valid_from", "valid_to"}
    assert "overlaps the default EUR pricelist 'Standard 2026'" in errors["valid_from"]
    # The next day, another currency, or a pricelist that is not a default: all accepted.
    make_pricelist(ctx, "Standard 2027", valid_from="2027-01-01", is_default=True)
    make_pricelist(ctx, "Dollar", currency="USD", is_default=True)
    make_pricelist(ctx, "Key accounts", is_default=False)


def test_an_update_is_checked_against_the_other_defaults_not_itself(ctx: Ctx) -> None:
    first = make_pricelist(ctx, "Standard 2026", valid_to="2026-12-31", is_default=True)
    second = make_pricelist(ctx, "Standard 2027", valid_from="2027-01-01", is_default=True)
    service.update_pricelist(ctx, first.id, {"valid_to": "2026-06-30"})  # itself: no clash
    with pytest.raises(InvalidInput, match="overlaps the default EUR pricelist 'Standard 2026'"):
        service.update_pricelist(ctx, second.id, {"valid_from": "2026-06-30"})
    with pytest.raises(InvalidInput, match="'Standard 2027'"):
        service.update_pricelist(ctx, first.id, {"valid_to": None})  # open-ended: meets 2027


def test_a_pricelist_update_is_logged_as_a_diff(ctx: Ctx, clock: FixedClock) -> None:
    pricelist = make_pricelist(ctx)
    clock.advance(timedelta(hours=2))
    service.update_pricelist(ctx, pricelist.id, {"name": "Public 2026", "currency": "EUR"})
    assert pricelist.updated_at == START + timedelta(hours=2)
    update = events(ctx, pricelist.id)[-1]
    assert (update.before, update.after) == ({"name": "Standard 2026"}, {"name": "Public 2026"})


def test_the_currency_of_a_pricelist_with_prices_is_fixed(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    assert service.update_pricelist(ctx, pricelist.id, {"currency": "USD"}).currency == "USD"
    service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    with pytest.raises(InvalidInput) as caught:
        service.update_pricelist(ctx, pricelist.id, {"currency": "EUR"})
    assert "pricelist entries: 1" in error_fields(caught)["currency"]


def test_delete_removes_the_entries_and_logs_them(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    entry = service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    service.delete_pricelist(ctx, pricelist.id)
    with pytest.raises(NotFound):
        service.get_pricelist(ctx, pricelist.id)
    with pytest.raises(NotFound):
        service.get_entry(ctx, pricelist.id, entry.id)
    delete = events(ctx, pricelist.id)[-1]
    assert delete.action == "delete"
    assert delete.before is not None
    assert [(e["product_code"], e["unit_price"]) for e in delete.before["entries"]] == [
        ("hosting", "399.00")
    ]
    # The product is free again.
    service.delete_product(ctx, hosting.id)


def test_a_pricelist_assigned_to_customers_cannot_be_deleted(ctx: Ctx) -> None:
    pricelist = make_pricelist(ctx)
    make_customer(ctx, pricelist_id=pricelist.id)
    with pytest.raises(Conflict, match=r"in use \(customers: 1\); assign another pricelist"):
        service.delete_pricelist(ctx, pricelist.id)


def test_another_organizations_pricelist_is_not_found(other_ctx: Ctx, ctx: Ctx) -> None:
    pricelist = make_pricelist(ctx)
    with pytest.raises(NotFound):
        service.get_pricelist(other_ctx, pricelist.id)
    with pytest.raises(NotFound):
        service.update_pricelist(other_ctx, pricelist.id, {"name": "Mine"})
    with pytest.raises(NotFound):
        service.delete_pricelist(other_ctx, pricelist.id)


# --- entries -----------------------------------------------------------------------------------


def test_a_recurring_entry_keeps_its_periodicity_and_timing(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    entry = service.add_entry(
        ctx,
        pricelist.id,
        {
            "product_id": hosting.id,
            "unit_price": "4800",
            "periodicity": "annual",
            "timing": "in_arrears",
        },
    )
    # annual is stored as 12 months
    assert (entry.periodicity_unit, entry.periodicity_count) == ("month", 12)
    assert (entry.periodicity_name, entry.timing) == ("annual", "in_arrears")
    assert entry.unit_price == Decimal("4800")
    [event] = events(ctx, entry.id)
    assert event.after is not None
    assert (event.after["product_code"], event.after["periodicity"]) == ("hosting", "annual")


def test_recurring_products_need_periodicity_and_timing(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    with pytest.raises(InvalidInput) as caught:
        service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, "unit_price": "399"})
    assert error_fields(caught) == {
        "periodicity": "is required for a recurring product",
        "timing": "is required for a recurring product (in_advance or in_arrears)",
    }


def test_one_off_and_usage_products_refuse_periodicity_and_timing(
    ctx: Ctx, api_calls: Product
) -> None:
    setup = make_product(ctx, "setup", kind="one_off")
    pricelist = make_pricelist(ctx)
    with pytest.raises(InvalidInput) as caught:
        service.add_entry(ctx, pricelist.id, {"product_id": setup.id, **HOSTING_TERMS})
    assert error_fields(caught) == {
        "periodicity": "must be empty for a one-off product",
        "timing": "must be empty for a one-off product",
    }
    entry = service.add_entry(
        ctx, pricelist.id, {"product_id": api_calls.id, "unit_price": "0.0025", "timing": ""}
    )
    assert (entry.unit_price, entry.periodicity, entry.timing) == (Decimal("0.0025"), None, None)


def test_entry_fields_are_checked_together(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    with pytest.raises(InvalidInput) as caught:
        service.add_entry(
            ctx,
            pricelist.id,
            {
                "product_id": hosting.id,
                "unit_price": "-1",
                "periodicity": "fortnightly",
                "timing": "soon",
            },
        )
    errors = error_fields(caught)
    assert errors["unit_price"] == "must be zero or more"
    assert errors["periodicity"].startswith("unknown periodicity 'fortnightly'")
    assert errors["timing"] == "unknown timing 'soon'; use in_advance or in_arrears"
    with pytest.raises(InvalidInput) as caught:
        service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, "unit_price": "0.0000001"})
    assert error_fields(caught)["unit_price"] == "at most 6 decimals are allowed: '0.0000001'"


def test_an_entry_needs_a_product_of_this_organization(
    other_ctx: Ctx, ctx: Ctx, hosting: Product
) -> None:
    theirs = make_pricelist(other_ctx)
    with pytest.raises(InvalidInput) as caught:
        service.add_entry(other_ctx, theirs.id, {"product_id": hosting.id, **HOSTING_TERMS})
    assert error_fields(caught) == {"product_id": f"no product '{hosting.id}' in this organization"}


def test_a_product_is_priced_once_per_pricelist(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    with pytest.raises(Conflict) as caught:
        service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    assert list(error_fields(caught)) == ["product_id"]


def test_update_an_entry_and_touch_its_pricelist(
    ctx: Ctx, hosting: Product, clock: FixedClock
) -> None:
    pricelist = make_pricelist(ctx)
    entry = service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    clock.advance(timedelta(days=3))
    service.update_entry(
        ctx, pricelist.id, entry.id, {"unit_price": "420.00", "periodicity": "quarterly"}
    )
    assert (entry.unit_price, entry.periodicity_name, entry.timing) == (
        Decimal("420.00"),
        "quarterly",
        "in_advance",  # unchanged
    )
    # Syncing clients asking for pricelists updated since then must see it.
    assert pricelist.updated_at == START + timedelta(days=3)
    update = events(ctx, entry.id)[-1]
    assert update.before == {
        "unit_price": "399.00",
        "periodicity": "monthly",
        "periodicity_count": 1,
    }
    assert update.after == {
        "unit_price": "420.00",
        "periodicity": "quarterly",
        "periodicity_count": 3,
    }


def test_the_same_price_written_differently_is_no_change(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    entry = service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    service.update_entry(ctx, pricelist.id, entry.id, {"unit_price": "399.000"})  # 399.00 = 399.000
    assert [e.action for e in events(ctx, entry.id)] == ["create"]


def test_an_update_keeps_the_kind_rules(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    entry = service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    with pytest.raises(InvalidInput) as caught:
        service.update_entry(ctx, pricelist.id, entry.id, {"timing": None, "product_id": "x"})
    assert error_fields(caught) == {
        "product_id": "unknown field",
        "timing": "is required for a recurring product (in_advance or in_arrears)",
    }


def test_remove_an_entry_and_find_it_in_the_pricelist_history(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    entry = service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    service.update_entry(ctx, pricelist.id, entry.id, {"unit_price": "420"})
    service.remove_entry(ctx, pricelist.id, entry.id)
    with pytest.raises(NotFound):
        service.get_entry(ctx, pricelist.id, entry.id)
    history = service.entry_events(ctx, pricelist.id)
    assert [(e.action, code) for e, code in history] == [
        ("delete", "hosting"),
        ("update", "hosting"),
        ("create", "hosting"),
    ]
    other = make_pricelist(ctx, "Other")
    assert service.entry_events(ctx, other.id) == []


def test_an_entry_is_reached_only_through_its_own_pricelist(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    other = make_pricelist(ctx, "Other")
    entry = service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    with pytest.raises(NotFound):
        service.get_entry(ctx, other.id, entry.id)
    with pytest.raises(NotFound):
        service.remove_entry(ctx, other.id, entry.id)


def test_list_entries_searches_product_codes(
    ctx: Ctx, hosting: Product, api_calls: Product
) -> None:
    from tarif.db.repository import PageRequest

    pricelist = make_pricelist(ctx)
    service.add_entry(ctx, pricelist.id, {"product_id": hosting.id, **HOSTING_TERMS})
    service.add_entry(ctx, pricelist.id, {"product_id": api_calls.id, "unit_price": "0.0025"})
    page = service.list_entries(ctx, pricelist.id, PageRequest(q="API"))
    assert [e.product_id for e in page.items] == [api_calls.id]
    assert [e.product.code for e in service.list_all_entries(ctx, pricelist.id)] == [
        "api-calls",  # product code order
        "hosting",
    ]
