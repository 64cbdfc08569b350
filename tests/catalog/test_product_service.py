import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Column, Engine, ForeignKey, String, Table, insert, select
from sqlalchemy.orm import Session

from tarif.audit.models import AuditEvent
from tarif.catalog import service
from tarif.catalog.models import Product
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.models import metadata
from tarif.db.repository import PageRequest
from tarif.errors import Conflict, Forbidden, InvalidInput, NotFound
from tarif.tenancy.rules import Role
from tests.catalog.conftest import MONTHLY_IN_ADVANCE, add_price, make_pricelist, make_product
from tests.conftest import START


def events(ctx: Ctx, object_id: str) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.object_id == object_id).order_by(AuditEvent.id)
    return list(ctx.session.scalars(stmt))


def fields_of(exc: pytest.ExceptionInfo[InvalidInput] | pytest.ExceptionInfo[Conflict]) -> dict:
    return {e.field: e.message for e in exc.value.errors}


def test_create_a_product_with_defaults_and_an_audit_event(ctx: Ctx) -> None:
    product = service.create_product(
        ctx,
        {"code": "hosting", "name_fr": "Hébergement", "kind": "Recurring", "unit_label": "mois"},
    )
    assert product.organization_id == ctx.organization_id
    assert (product.kind, product.vat_category, product.active) == ("recurring", "standard", True)
    assert product.created_at == product.updated_at == START
    [event] = events(ctx, product.id)
    assert (event.action, event.object_type, event.before) == ("create", "product", None)
    assert event.after is not None and event.after["name_fr"] == "Hébergement"


def test_a_name_in_one_language_at_least_is_required(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_product(ctx, {"code": "x", "kind": "usage", "name_en": "  "})
    assert set(fields_of(caught)) == {"name_en", "name_fr"}


def test_every_bad_field_is_reported_at_once(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_product(
            ctx,
            {
                "code": "bad code",
                "name_en": "X",
                "kind": "monthly",
                "vat_category": "luxury",
                "revenue_account": "706 000",
                "colour": "red",
            },
        )
    assert fields_of(caught) == {
        "code": "use 1 to 60 letters, digits, '.', '_' or '-', starting with a letter or a digit",
        "kind": "must be one of recurring, one_off, usage",
        "vat_category": "must be one of standard, intermediate, reduced, super_reduced, exempt",
        "revenue_account": "use 1 to 20 letters, digits, '.' or '-' (e.g. 706000)",
        "colour": "unknown field",
    }


def test_code_and_kind_are_required(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_product(ctx, {"name_en": "Nameless"})
    assert fields_of(caught) == {"code": "is required", "kind": "is required"}


def test_codes_are_unique_per_organization_whatever_the_case(other_ctx: Ctx, ctx: Ctx) -> None:
    make_product(ctx, "hosting")
    with pytest.raises(Conflict) as caught:
        make_product(ctx, "HOSTING")
    assert fields_of(caught) == {"code": "is already used by another product"}
    # Another organization may use the same code.
    assert make_product(other_ctx, "hosting").code == "hosting"


def test_update_records_only_the_changed_fields(
    ctx: Ctx, hosting: Product, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=1))
    updated = service.update_product(ctx, hosting.id, {"name_fr": "Hébergement", "code": "hosting"})
    assert updated.updated_at == START + timedelta(days=1)
    update = events(ctx, hosting.id)[-1]
    assert update.action == "update"
    assert (update.before, update.after) == ({"name_fr": None}, {"name_fr": "Hébergement"})


def test_an_update_that_changes_nothing_leaves_no_trace(ctx: Ctx, hosting: Product) -> None:
    service.update_product(ctx, hosting.id, {"name_en": "Hosting", "active": "true"})
    assert [e.action for e in events(ctx, hosting.id)] == ["create"]


def test_an_update_cannot_remove_the_last_name(ctx: Ctx, hosting: Product) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.update_product(ctx, hosting.id, {"name_en": None})
    assert set(fields_of(caught)) == {"name_en", "name_fr"}


def test_the_kind_is_fixed_once_the_product_has_prices(ctx: Ctx, hosting: Product) -> None:
    assert service.update_product(ctx, hosting.id, {"kind": "one_off"}).kind == "one_off"
    service.update_product(ctx, hosting.id, {"kind": "recurring"})
    pricelist = make_pricelist(ctx)
    add_price(ctx, pricelist.id, hosting.id, "399", **MONTHLY_IN_ADVANCE)
    with pytest.raises(InvalidInput) as caught:
        service.update_product(ctx, hosting.id, {"kind": "usage"})
    assert list(fields_of(caught)) == ["kind"]


def test_archive_and_unarchive_are_audited(ctx: Ctx, hosting: Product) -> None:
    assert service.archive_product(ctx, hosting.id).active is False
    assert service.archive_product(ctx, hosting.id).active is False  # again: nothing to do
    assert service.unarchive_product(ctx, hosting.id).active is True
    trail = events(ctx, hosting.id)
    assert [e.action for e in trail] == ["create", "archive", "unarchive"]
    assert (trail[1].before["active"], trail[1].after["active"]) == (True, False)


def test_an_unused_product_is_deleted_with_its_last_values_logged(
    ctx: Ctx, hosting: Product
) -> None:
    service.delete_product(ctx, hosting.id)
    with pytest.raises(NotFound):
        service.get_product(ctx, hosting.id)
    delete = events(ctx, hosting.id)[-1]
    assert (delete.action, delete.after) == ("delete", None)
    assert delete.before is not None and delete.before["code"] == "hosting"


def test_a_priced_product_cannot_be_deleted_only_archived(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    add_price(ctx, pricelist.id, hosting.id, "399", **MONTHLY_IN_ADVANCE)
    with pytest.raises(Conflict, match=r"'hosting' is in use \(pricelist entries: 1\); archive it"):
        service.delete_product(ctx, hosting.id)


@pytest.fixture
def later_table(engine: Engine, session: Session) -> Iterator[Table]:
    """A table added after this code was written (say contract lines) that points at products.

    Request it before any fixture that writes: its DDL needs the database to itself."""
    table = Table(
        f"probe_lines_{uuid.uuid4().hex[:8]}",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("product_id", String(40), ForeignKey("products.id")),
    )
    table.create(engine)
    try:
        yield table
    finally:
        session.rollback()  # release the test's locks before dropping the table
        table.drop(engine)
        metadata.remove(table)


def test_delete_is_refused_for_references_from_tables_added_later(
    later_table: Table, ctx: Ctx, hosting: Product
) -> None:
    ctx.session.execute(insert(later_table).values(id="line_1", product_id=hosting.id))
    with pytest.raises(Conflict, match=rf"in use \({later_table.name.replace('_', ' ')}: 1\)"):
        service.delete_product(ctx, hosting.id)


def test_another_organizations_product_is_not_found(
    other_ctx: Ctx, ctx: Ctx, hosting: Product
) -> None:
    other = other_ctx
    for action in (
        lambda: service.get_product(other, hosting.id),
        lambda: service.update_product(other, hosting.id, {"name_en": "Mine"}),
        lambda: service.archive_product(other, hosting.id),
        lambda: service.delete_product(other, hosting.id),
    ):
        with pytest.raises(NotFound):
            action()


def test_read_only_users_cannot_write_the_catalog(ctx: Ctx, hosting: Product) -> None:
    reader = Ctx(
        ctx.session,
        ctx.organization_id,
        Actor("user", "usr_1", "r@x.fr", Role.READ_ONLY),
        ctx.clock,
    )
    with pytest.raises(Forbidden):
        make_product(reader, "other")
    with pytest.raises(Forbidden):
        service.archive_product(reader, hosting.id)
    assert service.get_product(reader, hosting.id).code == "hosting"  # reading is fine


def test_list_filters_by_kind_active_and_text(
    ctx: Ctx, hosting: Product, api_calls: Product
) -> None:
    licence = make_product(ctx, "licence", name_fr="Licence annuelle")
    service.archive_product(ctx, licence.id)

    def codes(**filters: object) -> list[str]:
        q = filters.pop("q", None)
        page = service.list_products(ctx, PageRequest(q=q), **filters)  # type: ignore[arg-type]
        return [p.code for p in page.items]

    assert codes() == ["hosting", "api-calls", "licence"]  # creation (id) order
    assert codes(kind="usage") == ["api-calls"]
    assert codes(active=True) == ["hosting", "api-calls"]
    assert codes(q="ANNUELLE") == ["licence"]  # French name, any case
    assert codes(q="call") == ["api-calls"]


def test_find_product_takes_an_id_or_a_code(ctx: Ctx, hosting: Product) -> None:
    assert service.find_product(ctx, hosting.id) is hosting
    assert service.find_product(ctx, "hosting") is hosting
    with pytest.raises(NotFound, match="product 'nope' not found"):
        service.find_product(ctx, "nope")
    assert isinstance(hosting, Product)
