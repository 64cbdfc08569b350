"""Customer and contact use cases on a real database, one organization per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Engine, ForeignKey, Integer, MetaData, String, Table, insert, select

from tarif.audit.models import AuditEvent
from tarif.audit.service import events_for_object
from tarif.catalog.models import Pricelist
from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.customers import service
from tarif.customers.models import Contact, Customer
from tarif.customers.rules import TaxTreatment
from tarif.db.models import metadata
from tarif.db.repository import PageRequest, foreign_key_columns_to
from tarif.errors import Conflict, Forbidden, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.customers.conftest import DE_VAT, SIRET, company

MakeCustomer = Callable[..., Customer]


@pytest.fixture
def other_tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """Made before the test's session writes anything (SQLite has a single writer)."""
    return make_tenant("Globex SARL")


@pytest.fixture
def other(other_tenant: Tenant, ctx: Ctx) -> Ctx:
    """The same unit of work, acting for another organization."""
    return Ctx(ctx.session, other_tenant.id, ctx.actor, ctx.clock)


def pricelist(ctx: Ctx, currency: str, organization_id: str | None = None) -> Pricelist:
    now = ctx.clock.now()
    row = Pricelist(
        id=new_id("pl"),
        organization_id=organization_id or ctx.organization_id,
        name=f"Prices {currency}",
        currency=currency,
        is_default=False,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


# --- create ----------------------------------------------------------------------------------


def test_a_new_customer_takes_the_organization_defaults(
    make_tenant: Callable[..., Tenant], session, clock: FixedClock
) -> None:
    tenant = make_tenant(
        "Globex Ltd", default_currency="GBP", locale="en", timezone="Europe/London", country="GB"
    )
    ctx = Ctx(session, tenant.id, Actor.system("test"), clock)
    customer = service.create_customer(ctx, {"legal_name": "Initech Ltd", "country": "gb"})
    assert (customer.currency, customer.language, customer.timezone) == (
        "GBP",
        "en",
        "Europe/London",
    )
    assert (customer.payment_terms_days, customer.payment_terms_end_of_month) == (30, False)
    assert (customer.kind, customer.tax_status, customer.country) == ("company", "standard", "GB")
    # Without an external id, the customer's own id stands in for it.
    assert customer.external_id == customer.id
    assert customer.created_at == clock.now() == customer.updated_at


def test_create_records_the_values_in_the_audit_log(ctx: Ctx) -> None:
    customer = service.create_customer(ctx, company(legal_name="Nuage SAS"))
    [event] = events_for_object(ctx, customer.id)
    assert (event.action, event.object_type, event.actor_label) == ("create", "customer", "test")
    assert event.before is None
    assert event.after is not None
    assert event.after["legal_name"] == "Nuage SAS"
    assert event.after["vat_number"] == "FR44732829320"


def test_a_duplicate_external_id_is_a_conflict_naming_the_field(
    ctx: Ctx, make_customer: MakeCustomer
) -> None:
    first = make_customer(external_id="ACME-1")
    with pytest.raises(Conflict) as caught:
        make_customer(external_id="ACME-1")
    assert [e.field for e in caught.value.errors] == ["external_id"]
    assert first.id in caught.value.errors[0].message


def test_the_database_settles_a_race_on_the_external_id(
    ctx: Ctx, make_customer: MakeCustomer, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_customer(external_id="RACE")
    # As if a concurrent request had passed the check before this one's insert.
    monkeypatch.setattr(service, "_external_id_taken", lambda *args, **kwargs: None)
    with pytest.raises(Conflict) as caught:
        make_customer(external_id="RACE")
    assert [e.field for e in caught.value.errors] == ["external_id"]
    ctx.session.rollback()


def test_external_ids_are_unique_per_organization_only(
    other: Ctx, make_customer: MakeCustomer
) -> None:
    make_customer(external_id="ACME-1")
    assert service.create_customer(other, company(external_id="ACME-1")).external_id == "ACME-1"


def test_invalid_fields_are_all_reported(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.create_customer(
            ctx, company(vat_number="FR45732829320", currency="XYZ", payment_terms_days=400)
        )
    assert {e.field for e in caught.value.errors} == {
        "vat_number",
        "currency",
        "payment_terms_days",
    }


def test_a_read_only_user_may_not_write(ctx: Ctx, make_customer: MakeCustomer) -> None:
    customer = make_customer()
    reader = Ctx(
        ctx.session, ctx.organization_id, Actor("user", "u1", "r@x.fr", Role.READ_ONLY), ctx.clock
    )
    with pytest.raises(Forbidden):
        service.create_customer(reader, company())
    with pytest.raises(Forbidden):
        service.update_customer(reader, customer.id, {"legal_name": "X"})
    assert service.get_customer(reader, customer.id).id == customer.id


# --- pricelist -------------------------------------------------------------------------------


def test_the_pricelist_must_exist_here_in_the_same_currency(ctx: Ctx, other: Ctx) -> None:
    euros = pricelist(ctx, "EUR")
    dollars = pricelist(ctx, "USD")
    foreign = pricelist(ctx, "EUR", organization_id=other.organization_id)
    assert service.create_customer(ctx, company(pricelist_id=euros.id)).pricelist_id == euros.id
    for wrong, message in [
        (dollars.id, "the pricelist is in USD, the customer in EUR"),
        (foreign.id, f"no pricelist '{foreign.id}' in this organization"),
        ("pl_missing", "no pricelist 'pl_missing' in this organization"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            service.create_customer(ctx, company(pricelist_id=wrong))
        assert [(e.field, e.message) for e in caught.value.errors] == [("pricelist_id", message)]
    usd = service.create_customer(ctx, company(currency="usd", pricelist_id=dollars.id))
    assert (usd.currency, usd.pricelist_id) == ("USD", dollars.id)


# --- reads -----------------------------------------------------------------------------------


def test_another_tenants_customer_is_not_found(other: Ctx, make_customer: MakeCustomer) -> None:
    customer = make_customer(external_id="MINE")
    with pytest.raises(NotFound):
        service.get_customer(other, customer.id)
    with pytest.raises(NotFound):
        service.get_by_external_id(other, "MINE")
    with pytest.raises(NotFound):
        service.update_customer(other, customer.id, {"legal_name": "Stolen"})
    with pytest.raises(NotFound):
        service.delete_customer(other, customer.id)
    with pytest.raises(NotFound):
        service.add_contact(other, customer.id, {"name": "Eve"})
    assert service.list_customers(other, PageRequest()).items == []


def test_resolve_accepts_an_id_or_an_external_id(ctx: Ctx, make_customer: MakeCustomer) -> None:
    customer = make_customer(external_id="CRM-7")
    assert service.resolve_customer(ctx, customer.id) is customer
    assert service.resolve_customer(ctx, "CRM-7") is customer
    with pytest.raises(NotFound):
        service.resolve_customer(ctx, "CRM-8")


def test_list_searches_and_filters(ctx: Ctx, make_customer: MakeCustomer) -> None:
    nuage = make_customer(external_id="NUAGE-1", legal_name="Nuage SAS")
    berlin = make_customer(
        external_id="BER-1",
        legal_name="Datenwerk GmbH",
        country="DE",
        vat_number=DE_VAT,
        siren=None,
        invoice_emails=["rechnung@datenwerk.example"],
    )
    acme = make_customer(
        external_id="US-1",
        legal_name="Acme Inc.",
        country="US",
        currency="USD",
        vat_number=None,
        siren=None,
        invoice_emails=[],
    )
    service.add_contact(ctx, acme.id, {"name": "Wile E.", "email": "wile@acme.example"})
    service.set_archived(ctx, acme.id)

    def ids(**filters: object) -> list[str]:
        q = filters.pop("q", None)
        page = PageRequest(limit=100, q=q)  # type: ignore[arg-type]
        return [c.id for c in service.list_customers(ctx, page, **filters).items]  # type: ignore[arg-type]

    assert ids() == sorted([nuage.id, berlin.id, acme.id])
    assert ids(q="nuage-") == [nuage.id]  # external id, any case
    assert ids(q="GMBH") == [berlin.id]  # legal name
    assert ids(q="rechnung@") == [berlin.id]  # invoice e-mail
    assert ids(q="136695") == [berlin.id]  # VAT number
    assert ids(q="de 136 695") == [berlin.id]  # VAT number typed with spaces
    assert ids(q="wile@acme") == [acme.id]  # a contact's e-mail
    assert ids(q="%") == []  # wildcards are searched literally
    assert ids(country="de") == [berlin.id]
    assert ids(currency="USD") == [acme.id]
    assert ids(archived=True) == [acme.id]
    assert ids(archived=False) == sorted([nuage.id, berlin.id])


def test_list_pages_and_updated_since(
    ctx: Ctx, make_customer: MakeCustomer, clock: FixedClock
) -> None:
    made = [make_customer() for _ in range(5)]
    first = service.list_customers(ctx, PageRequest(limit=2))
    second = service.list_customers(ctx, PageRequest(limit=2, starting_after=first.next_cursor))
    third = service.list_customers(ctx, PageRequest(limit=2, starting_after=second.next_cursor))
    # 5 customers by 2: pages of 2, 2 and 1, the last without a next page.
    assert [len(p.items) for p in (first, second, third)] == [2, 2, 1]
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)
    seen = [c.id for p in (first, second, third) for c in p.items]
    assert seen == sorted(c.id for c in made)
    clock.advance(timedelta(hours=1))
    service.update_customer(ctx, made[3].id, {"notes": "called"})
    recent = service.list_customers(ctx, PageRequest(updated_since=clock.now()))
    assert [c.id for c in recent.items] == [made[3].id]


# --- update ----------------------------------------------------------------------------------


def test_update_is_partial_and_audited_as_a_diff(
    ctx: Ctx, make_customer: MakeCustomer, clock: FixedClock
) -> None:
    customer = make_customer(legal_name="Nuage SAS", notes="first")
    clock.advance(timedelta(days=1))
    service.update_customer(ctx, customer.id, {"legal_name": "Nuage Group SAS", "vat_number": None})
    assert (customer.legal_name, customer.vat_number, customer.notes) == (
        "Nuage Group SAS",
        None,
        "first",
    )
    assert customer.updated_at == clock.now()
    assert customer.created_at == clock.now() - timedelta(days=1)
    event = events_for_object(ctx, customer.id)[0]
    assert event.action == "update"
    assert event.before == {"legal_name": "Nuage SAS", "vat_number": "FR44732829320"}
    assert event.after == {"legal_name": "Nuage Group SAS", "vat_number": None}


def test_an_update_that_changes_nothing_writes_nothing(
    ctx: Ctx, make_customer: MakeCustomer, clock: FixedClock
) -> None:
    customer = make_customer(legal_name="Nuage SAS")
    clock.advance(timedelta(days=1))
    service.update_customer(ctx, customer.id, {"legal_name": " Nuage SAS "})
    assert customer.updated_at == clock.now() - timedelta(days=1)
    assert [e.action for e in events_for_object(ctx, customer.id)] == ["create"]


def test_update_checks_the_whole_customer(ctx: Ctx, make_customer: MakeCustomer) -> None:
    customer = make_customer()
    # A French company with a SIREN moved to Germany: the SIREN no longer fits.
    with pytest.raises(InvalidInput) as caught:
        service.update_customer(ctx, customer.id, {"country": "DE", "vat_number": DE_VAT})
    assert [e.field for e in caught.value.errors] == ["siren"]
    with pytest.raises(InvalidInput) as caught:
        service.update_customer(ctx, customer.id, {"legal_name": None})
    assert [e.field for e in caught.value.errors] == ["legal_name"]
    with pytest.raises(InvalidInput) as caught:
        service.update_customer(ctx, customer.id, {"external_id": None})
    assert [e.field for e in caught.value.errors] == ["external_id"]


def test_update_keeps_external_ids_unique(ctx: Ctx, make_customer: MakeCustomer) -> None:
    make_customer(external_id="A")
    b = make_customer(external_id="B")
    with pytest.raises(Conflict) as caught:
        service.update_customer(ctx, b.id, {"external_id": "A"})
    assert caught.value.errors[0].field == "external_id"
    assert service.update_customer(ctx, b.id, {"external_id": "B2", "siret": SIRET}).siret == SIRET


def test_archive_and_unarchive(ctx: Ctx, make_customer: MakeCustomer) -> None:
    customer = make_customer()
    assert service.set_archived(ctx, customer.id).archived is True
    assert service.set_archived(ctx, customer.id, False).archived is False
    updates = [e for e in events_for_object(ctx, customer.id) if e.action == "update"]
    assert [e.after for e in updates] == [{"archived": False}, {"archived": True}]


def test_tax_treatment_uses_the_organizations_country(
    ctx: Ctx, make_customer: MakeCustomer
) -> None:
    german = make_customer(country="DE", vat_number=DE_VAT, siren=None)
    seller = service.organization(ctx).country
    assert seller == "FR"
    assert service.treatment_of(german, seller) == TaxTreatment.REVERSE_CHARGE
    assert service.treatment_of(german, "DE") == TaxTreatment.STANDARD


# --- delete ----------------------------------------------------------------------------------


def test_delete_takes_the_contacts_along_and_keeps_them_in_the_log(
    ctx: Ctx, make_customer: MakeCustomer
) -> None:
    customer = make_customer()
    contact = service.add_contact(ctx, customer.id, {"name": "Jeanne Roux"})
    service.delete_customer(ctx, customer.id)
    assert ctx.session.get(Customer, customer.id) is None
    assert ctx.session.get(Contact, contact.id) is None
    event = events_for_object(ctx, customer.id)[0]
    assert event.action == "delete"
    assert event.after is None
    assert event.before is not None
    assert event.before["legal_name"] == "Nuage SAS"
    assert [c["name"] for c in event.before["contacts"]] == ["Jeanne Roux"]


def test_only_other_tables_pointing_at_customers_block_a_delete() -> None:
    def named(columns: list[Any]) -> set[str]:
        return {f"{c.table.name}.{c.name}" for c in columns}

    every = named(foreign_key_columns_to(metadata, "customers"))
    blocking = named(foreign_key_columns_to(metadata, "customers", ignore=["customer_contacts"]))
    assert "customer_contacts.customer_id" in every
    assert blocking == every - {"customer_contacts.customer_id"}


@pytest.fixture
def invoices_table(engine: Engine) -> Iterator[tuple[MetaData, Table]]:
    """A table that points at customers, as invoices will: made for this test only."""
    schema = MetaData()
    Table("customers", schema, Column("id", String(40), primary_key=True))
    table = Table(
        f"test_invoices_{uuid.uuid4().hex[:8]}",
        schema,
        Column("id", Integer, primary_key=True),
        Column("customer_id", String(40), ForeignKey("customers.id")),
    )
    table.create(engine)
    yield schema, table
    table.drop(engine)


def test_a_customer_something_points_at_cannot_be_deleted(
    invoices_table: tuple[MetaData, Table],
    ctx: Ctx,
    make_customer: MakeCustomer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema, table = invoices_table
    monkeypatch.setattr(service, "metadata", schema)
    kept, free = make_customer(), make_customer()
    ctx.session.execute(insert(table).values(id=1, customer_id=kept.id))
    with pytest.raises(Conflict) as caught:
        service.delete_customer(ctx, kept.id)
    assert table.name in caught.value.detail
    assert "archive it instead" in caught.value.detail
    service.delete_customer(ctx, free.id)
    assert ctx.session.get(Customer, free.id) is None
    assert ctx.session.get(Customer, kept.id) is not None
    ctx.session.rollback()


# --- contacts --------------------------------------------------------------------------------


def test_contacts_lifecycle_is_recorded_on_the_customer(
    ctx: Ctx, make_customer: MakeCustomer
) -> None:
    customer = make_customer()
    contact = service.add_contact(
        ctx, customer.id, {"name": "Jeanne Roux", "role": "Comptable", "email": "J@Nuage.example"}
    )
    assert contact.email == "J@nuage.example"
    service.update_contact(ctx, customer.id, contact.id, {"phone": "+33 1 23 45 67 89"})
    assert contact.phone == "+33 1 23 45 67 89"
    assert [c.id for c in service.list_contacts(ctx, customer.id, PageRequest()).items] == [
        contact.id
    ]
    service.remove_contact(ctx, customer.id, contact.id)
    assert service.all_contacts(ctx, customer.id) == []
    events = list(reversed(events_for_object(ctx, customer.id)))
    assert [e.action for e in events] == [
        "create",
        "contact.create",
        "contact.update",
        "contact.delete",
    ]
    # Only the changed field, keyed by the contact it belongs to.
    assert events[2].before == {f"contacts.{contact.id}.phone": None}
    assert events[2].after == {f"contacts.{contact.id}.phone": "+33 1 23 45 67 89"}


def test_a_contact_belongs_to_its_customer(ctx: Ctx, make_customer: MakeCustomer) -> None:
    a, b = make_customer(), make_customer()
    contact = service.add_contact(ctx, a.id, {"name": "Jeanne"})
    with pytest.raises(NotFound):
        service.update_contact(ctx, b.id, contact.id, {"name": "Moved"})
    with pytest.raises(NotFound):
        service.remove_contact(ctx, b.id, contact.id)
    with pytest.raises(InvalidInput) as caught:
        service.add_contact(ctx, a.id, {"name": "X", "email": "not-mail"})
    assert [e.field for e in caught.value.errors] == ["email"]


def test_all_audit_rows_belong_to_the_organization(ctx: Ctx, make_customer: MakeCustomer) -> None:
    customer = make_customer()
    owners = set(
        ctx.session.scalars(
            select(AuditEvent.organization_id).where(AuditEvent.object_id == customer.id)
        )
    )
    assert owners == {ctx.organization_id}
