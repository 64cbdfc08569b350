"""Use cases of customers and their contacts: `fn(ctx, ...)`, never committing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import MetaData, String, cast, delete, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tarif.audit.service import record, snapshot
from tarif.catalog.models import Pricelist
from tarif.context import Ctx
from tarif.customers.csv_io import EXTRA_CELLS, row_values
from tarif.customers.models import Contact, Customer
from tarif.customers.rules import (
    CUSTOMER_FIELDS,
    DEFAULT_PAYMENT_TERMS_DAYS,
    CustomerFields,
    CustomerKind,
    TaxStatus,
    TaxTreatment,
    tax_treatment,
    validate_contact,
    validate_customer,
)
from tarif.db.models import metadata
from tarif.db.repository import Page, PageRequest, count_references, get_scoped, paginate, scoped
from tarif.errors import Conflict, FieldError, InvalidInput, NotFound, TarifError
from tarif.ids import new_id
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission

# The public name `metadata` is stored in `custom_metadata` (SQLAlchemy reserves `metadata`).
_COLUMN_OF = {name: name for name in CUSTOMER_FIELDS} | {"metadata": "custom_metadata"}


def organization(ctx: Ctx) -> Organization:
    org = ctx.session.get(Organization, ctx.organization_id)
    if org is None:
        raise NotFound("organization not found")
    return org


def defaults(ctx: Ctx) -> dict[str, object]:
    """What a new customer gets when a field is not given: mostly the organization's settings."""
    org = organization(ctx)
    return {
        "kind": CustomerKind.COMPANY.value,
        "currency": org.default_currency,
        "language": org.locale,
        "timezone": org.timezone,
        "payment_terms_days": DEFAULT_PAYMENT_TERMS_DAYS,
        "payment_terms_end_of_month": False,
        "tax_status": TaxStatus.STANDARD.value,
    }


def values_of(customer: Customer) -> dict[str, object]:
    """A customer's fields by their public names (the shape `validate_customer` takes)."""
    values = {name: getattr(customer, column) for name, column in _COLUMN_OF.items()}
    values["invoice_emails"] = list(customer.invoice_emails or [])
    values["metadata"] = dict(customer.custom_metadata or {})
    return values


def treatment_of(customer: Customer, seller_country: str) -> TaxTreatment:
    return tax_treatment(
        seller_country=seller_country,
        customer_country=customer.country,
        kind=customer.kind,
        vat_number=customer.vat_number,
        tax_status=customer.tax_status,
    )


# --- reads -----------------------------------------------------------------------------------


def _searchable(value: str) -> bool:
    # PostgreSQL text cannot hold NUL, so such a value can match nothing (and must not reach it).
    return "\x00" not in value


def get_customer(ctx: Ctx, customer_id: str) -> Customer:
    if not _searchable(customer_id):
        raise NotFound("customer not found")
    customer: Customer = get_scoped(ctx.session, Customer, ctx.organization_id, customer_id)
    return customer


def find_by_external_id(ctx: Ctx, external_id: str) -> Customer | None:
    if not _searchable(external_id):
        return None
    stmt = scoped(Customer, ctx.organization_id).where(Customer.external_id == external_id)
    return ctx.session.scalars(stmt).one_or_none()


def get_by_external_id(ctx: Ctx, external_id: str) -> Customer:
    customer = find_by_external_id(ctx, external_id)
    if customer is None:
        raise NotFound(f"customer with external id '{external_id}' not found")
    return customer


def resolve_customer(ctx: Ctx, reference: str) -> Customer:
    """An id or, failing that, an external id: what a person types on the command line."""
    try:
        return get_customer(ctx, reference)
    except NotFound:
        customer = find_by_external_id(ctx, reference)
        if customer is None:
            raise NotFound(f"customer '{reference}' not found") from None
        return customer


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_customers(
    ctx: Ctx,
    page: PageRequest,
    *,
    country: str | None = None,
    currency: str | None = None,
    archived: bool | None = None,
) -> Page[Customer]:
    """Customers in id order; `q` matches the external id, legal name, VAT number, invoice
    e-mails and the contacts' e-mails."""
    for name, value in (
        ("q", page.q),
        ("starting_after", page.starting_after),
        ("country", country),
        ("currency", currency),
    ):
        if value is not None and not _searchable(value):
            raise InvalidInput.on(name, "must not contain NUL characters")
    stmt = scoped(Customer, ctx.organization_id)
    if country:
        stmt = stmt.where(Customer.country == country.strip().upper())
    if currency:
        stmt = stmt.where(Customer.currency == currency.strip().upper())
    if archived is not None:
        stmt = stmt.where(Customer.archived.is_(archived))
    if page.q and page.q.strip():
        pattern = _like(page.q.strip())
        contact_match = exists().where(
            Contact.customer_id == Customer.id,
            Contact.organization_id == ctx.organization_id,
            func.lower(Contact.email).like(pattern, escape="\\"),
        )
        stmt = stmt.where(
            or_(
                func.lower(Customer.external_id).like(pattern, escape="\\"),
                func.lower(Customer.legal_name).like(pattern, escape="\\"),
                # VAT numbers are stored compact: "FR 44 732…" finds FR44732….
                func.lower(Customer.vat_number).like(
                    _like("".join(page.q.split()).replace(".", "")), escape="\\"
                ),
                func.lower(cast(Customer.invoice_emails, String)).like(pattern, escape="\\"),
                contact_match,
            )
        )
    return paginate(ctx.session, stmt, Customer, page)


# --- writes ----------------------------------------------------------------------------------


def _validate(ctx: Ctx, values: Mapping[str, object]) -> CustomerFields:
    """The pure rules plus what needs the database (the pricelist), reported together."""
    errors: list[FieldError] = []
    fields: CustomerFields | None = None
    try:
        fields = validate_customer(values)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    pricelist_id = values.get("pricelist_id")
    if isinstance(pricelist_id, str) and pricelist_id.strip() and _searchable(pricelist_id):
        message = _pricelist_problem(ctx, pricelist_id.strip(), values.get("currency"))
        if message:
            errors.append(FieldError("pricelist_id", message))
    if errors or fields is None:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidInput(f"The customer has invalid fields: {summary}", errors)
    return fields


def _pricelist_problem(ctx: Ctx, pricelist_id: str, currency: object) -> str | None:
    stmt = scoped(Pricelist, ctx.organization_id).where(Pricelist.id == pricelist_id)
    pricelist = ctx.session.scalars(stmt).one_or_none()
    if pricelist is None:
        return f"no pricelist '{pricelist_id}' in this organization"
    wanted = currency.strip().upper() if isinstance(currency, str) else currency
    if pricelist.currency != wanted:
        return f"the pricelist is in {pricelist.currency}, the customer in {wanted}"
    return None


def _external_id_taken(ctx: Ctx, external_id: str, other_than: str | None = None) -> None:
    existing = find_by_external_id(ctx, external_id)
    if existing is not None and existing.id != other_than:
        raise Conflict(
            f"external_id '{external_id}' is already used by customer {existing.id}",
            [FieldError("external_id", f"already used by customer {existing.id}")],
        )


def _flush(ctx: Ctx, external_id: str) -> None:
    """The unique constraint settles the race that two concurrent writes could both win
    against `_external_id_taken`: the loser gets the same 409 (its transaction is spent)."""
    try:
        ctx.session.flush()
    except IntegrityError as exc:
        if "external_id" not in str(exc.orig):
            raise
        raise Conflict(
            f"external_id '{external_id}' was just taken by a concurrent request",
            [FieldError("external_id", "already used by another customer")],
        ) from exc


def _apply(customer: Customer, fields: CustomerFields) -> None:
    for name, value in fields.as_values().items():
        if name == "external_id" and value is None:
            continue
        setattr(customer, _COLUMN_OF[name], value)


def create_customer(ctx: Ctx, values: Mapping[str, object]) -> Customer:
    """Creates a customer; absent fields take the organization's defaults, and a missing
    external id becomes the customer's own id."""
    ctx.require(Permission.WRITE_CUSTOMERS)
    given = {k: v for k, v in values.items() if v is not None}
    fields = _validate(ctx, defaults(ctx) | given)
    if fields.external_id:
        _external_id_taken(ctx, fields.external_id)
    now = ctx.clock.now()
    customer_id = new_id("cus")
    customer = Customer(
        id=customer_id,
        organization_id=ctx.organization_id,
        external_id=fields.external_id or customer_id,
        archived=False,
        created_at=now,
        updated_at=now,
    )
    _apply(customer, fields)
    ctx.session.add(customer)
    _flush(ctx, customer.external_id)
    record(ctx, "create", "customer", customer.id, after=snapshot(customer))
    return customer


def update_customer(ctx: Ctx, customer_id: str, changes: Mapping[str, object]) -> Customer:
    """A partial update: fields absent from `changes` keep their value; null clears one."""
    return _update(ctx, get_customer(ctx, customer_id), changes)[0]


def _update(ctx: Ctx, customer: Customer, changes: Mapping[str, object]) -> tuple[Customer, bool]:
    ctx.require(Permission.WRITE_CUSTOMERS)
    if "external_id" in changes and not str(changes["external_id"] or "").strip():
        raise InvalidInput.on("external_id", "cannot be removed, only changed")
    fields = _validate(ctx, values_of(customer) | dict(changes))
    if fields.external_id and fields.external_id != customer.external_id:
        _external_id_taken(ctx, fields.external_id, other_than=customer.id)
    before = snapshot(customer)
    _apply(customer, fields)
    after = snapshot(customer)
    if before == after:
        return customer, False
    customer.updated_at = ctx.clock.now()
    _flush(ctx, customer.external_id)
    record(ctx, "update", "customer", customer.id, before, snapshot(customer))
    return customer, True


def set_archived(ctx: Ctx, customer_id: str, archived: bool = True) -> Customer:
    """Archived customers stay (their invoices need them) but leave the everyday lists."""
    ctx.require(Permission.WRITE_CUSTOMERS)
    customer = get_customer(ctx, customer_id)
    if customer.archived == archived:
        return customer
    before = snapshot(customer)
    customer.archived = archived
    customer.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "update", "customer", customer.id, before, snapshot(customer))
    return customer


def blocking_references(session: Session, customer_id: str, schema: MetaData) -> list[str]:
    """Tables holding rows that reference this customer. Contacts are part of the customer and
    go with it; whatever else points here (contracts, invoices…) must stay."""
    return sorted(
        count_references(
            session, schema, Customer.__tablename__, customer_id, ignore=[Contact.__tablename__]
        )
    )


def delete_customer(ctx: Ctx, customer_id: str) -> None:
    """Deletes a customer nothing refers to (its contacts go with it); otherwise 409."""
    ctx.require(Permission.WRITE_CUSTOMERS)
    customer = get_customer(ctx, customer_id)
    blocking = blocking_references(ctx.session, customer.id, metadata)
    if blocking:
        raise Conflict(
            f"customer {customer.id} is still referenced by {', '.join(blocking)}; "
            "archive it instead"
        )
    contacts = _contacts_of(ctx, customer.id)
    before = snapshot(customer) | {"contacts": [snapshot(c) for c in contacts]}
    ctx.session.execute(
        delete(Contact).where(
            Contact.organization_id == ctx.organization_id, Contact.customer_id == customer.id
        )
    )
    ctx.session.delete(customer)
    ctx.session.flush()
    record(ctx, "delete", "customer", customer_id, before=before)


# --- contacts --------------------------------------------------------------------------------
# A contact has no page of its own: its changes are recorded on its customer's history
# (actions contact.create / contact.update / contact.delete), where people read them.


def _contacts_of(ctx: Ctx, customer_id: str) -> list[Contact]:
    stmt = scoped(Contact, ctx.organization_id).where(Contact.customer_id == customer_id)
    return list(ctx.session.scalars(stmt.order_by(Contact.id)))


def list_contacts(ctx: Ctx, customer_id: str, page: PageRequest) -> Page[Contact]:
    customer = get_customer(ctx, customer_id)
    stmt = scoped(Contact, ctx.organization_id).where(Contact.customer_id == customer.id)
    return paginate(ctx.session, stmt, Contact, page, (Contact.name, Contact.email))


def all_contacts(ctx: Ctx, customer_id: str) -> list[Contact]:
    return _contacts_of(ctx, get_customer(ctx, customer_id).id)


def get_contact(ctx: Ctx, customer_id: str, contact_id: str) -> Contact:
    customer = get_customer(ctx, customer_id)
    if not _searchable(contact_id):
        raise NotFound("contact not found")
    contact: Contact = get_scoped(ctx.session, Contact, ctx.organization_id, contact_id)
    if contact.customer_id != customer.id:
        raise NotFound(f"contact '{contact_id}' not found")
    return contact


def _contact_values(contact: Contact) -> dict[str, object]:
    return {
        "name": contact.name,
        "role": contact.role,
        "email": contact.email,
        "phone": contact.phone,
    }


def add_contact(ctx: Ctx, customer_id: str, values: Mapping[str, object]) -> Contact:
    ctx.require(Permission.WRITE_CUSTOMERS)
    customer = get_customer(ctx, customer_id)
    fields = validate_contact(values)
    now = ctx.clock.now()
    contact = Contact(
        id=new_id("con"),
        organization_id=ctx.organization_id,
        customer_id=customer.id,
        name=fields.name,
        role=fields.role,
        email=fields.email,
        phone=fields.phone,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(contact)
    ctx.session.flush()
    record(ctx, "contact.create", "customer", customer.id, after=snapshot(contact))
    return contact


def update_contact(
    ctx: Ctx, customer_id: str, contact_id: str, changes: Mapping[str, object]
) -> Contact:
    ctx.require(Permission.WRITE_CUSTOMERS)
    contact = get_contact(ctx, customer_id, contact_id)
    fields = validate_contact(_contact_values(contact) | dict(changes))
    before = snapshot(contact)
    contact.name, contact.role = fields.name, fields.role
    contact.email, contact.phone = fields.email, fields.phone
    if snapshot(contact) == before:
        return contact
    contact.updated_at = ctx.clock.now()
    ctx.session.flush()
    # Keys carry the contact's id so the customer's history says which contact changed.
    record(
        ctx,
        "contact.update",
        "customer",
        contact.customer_id,
        {f"contacts.{contact.id}.{k}": v for k, v in before.items()},
        {f"contacts.{contact.id}.{k}": v for k, v in snapshot(contact).items()},
    )
    return contact


def remove_contact(ctx: Ctx, customer_id: str, contact_id: str) -> None:
    ctx.require(Permission.WRITE_CUSTOMERS)
    contact = get_contact(ctx, customer_id, contact_id)
    before = snapshot(contact)
    ctx.session.delete(contact)
    ctx.session.flush()
    record(ctx, "contact.delete", "customer", customer_id, before=before)


def messages_of(exc: TarifError) -> list[str]:
    """`field: message` lines, for reports that are read rather than parsed."""
    if not exc.errors:
        return [exc.detail]
    return [f"{e.field}: {e.message}" for e in exc.errors]


# --- import ----------------------------------------------------------------------------------

MAX_IMPORT_ROWS = 10_000


class RowStatus(StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # update_existing, and the row says what the customer already has
    ERROR = "error"


@dataclass
class ImportedRow:
    row: int
    external_id: str | None
    status: RowStatus
    customer_id: str | None = None
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "external_id": self.external_id,
            "status": self.status.value,
            "customer_id": self.customer_id,
            "messages": list(self.messages),
        }


@dataclass
class ImportReport:
    rows: list[ImportedRow] = field(default_factory=list)

    def count(self, status: RowStatus) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def failed(self) -> int:
        return self.count(RowStatus.ERROR)


def import_customers(
    ctx: Ctx,
    rows: Sequence[Mapping[str, str | None]],
    *,
    update_existing: bool = False,
    first_row: int = 2,
    on_row: Callable[[ImportedRow], None] | None = None,
) -> ImportReport:
    """Imports CSV records (column -> cell), each on its own: a record with an error is
    reported and skipped, the others are written, all in the caller's one transaction.

    The external id is the key: required on every record, once per file. A record whose
    external id exists is an error, unless `update_existing`, which updates the customer with
    the record's non-blank cells (metadata keys are merged). Blank records are skipped
    silently; `first_row` is the number of the first record in the file (the header is 1).
    """
    ctx.require(Permission.WRITE_CUSTOMERS)
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidInput.on("file", f"has {len(rows)} rows; import at most {MAX_IMPORT_ROWS}")
    keys = [str(r.get("external_id") or "").strip() for r in rows]
    existing = _existing_by_external_id(ctx, [k for k in keys if k])
    first_seen: dict[str, int] = {}
    report = ImportReport()
    for offset, raw in enumerate(rows):
        if not raw:
            continue
        number = first_row + offset
        result = _import_row(ctx, number, raw, existing, first_seen, update_existing)
        report.rows.append(result)
        if on_row is not None:
            on_row(result)
    return report


def _existing_by_external_id(ctx: Ctx, external_ids: list[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    unique = sorted(set(external_ids))
    for start in range(0, len(unique), 500):  # stays under every backend's parameter limit
        chunk = unique[start : start + 500]
        stmt = scoped(Customer, ctx.organization_id).where(Customer.external_id.in_(chunk))
        found.update({c.external_id: c for c in ctx.session.scalars(stmt)})
    return found


def _import_row(
    ctx: Ctx,
    number: int,
    raw: Mapping[str, str | None],
    existing: dict[str, Customer],
    first_seen: dict[str, int],
    update_existing: bool,
) -> ImportedRow:
    external_id = str(raw.get("external_id") or "").strip() or None

    def error(*messages: str) -> ImportedRow:
        return ImportedRow(number, external_id, RowStatus.ERROR, None, list(messages))

    if EXTRA_CELLS in raw:
        return error(f"the row has more cells than the header has columns: {raw[EXTRA_CELLS]}")
    if external_id is None:
        return error("external_id: is required to import a row")
    if external_id in first_seen:
        return error(f"external_id: also on row {first_seen[external_id]} of this file")
    first_seen[external_id] = number
    values = row_values(raw)
    customer = existing.get(external_id)
    try:
        if customer is None:
            created = create_customer(ctx, values)
            return ImportedRow(number, external_id, RowStatus.IMPORTED, created.id)
        if not update_existing:
            return error(
                f"external_id: customer {customer.id} already has it "
                "(import with update_existing to update it)"
            )
        if "metadata" in values:
            given = values["metadata"]
            assert isinstance(given, dict)
            values["metadata"] = dict(customer.custom_metadata or {}) | given
        _, changed = _update(ctx, customer, values)
    except (InvalidInput, Conflict) as exc:
        return error(*messages_of(exc))
    status = RowStatus.UPDATED if changed else RowStatus.UNCHANGED
    return ImportedRow(number, external_id, status, customer.id)
