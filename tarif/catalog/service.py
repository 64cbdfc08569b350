"""Use cases of the catalog: products, pricelists and their entries, and the price lookup.

Writes need `Permission.WRITE_CATALOG` and leave an audit event; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from tarif.audit.models import AuditEvent
from tarif.audit.service import record, snapshot
from tarif.catalog.fields import (
    ENTRY_CLEANERS,
    ENTRY_FIELDS,
    ENTRY_TERMS,
    PRICELIST_CLEANERS,
    PRICELIST_FIELDS,
    PRODUCT_CLEANERS,
    PRODUCT_FIELDS,
    clean_fields,
    is_blank,
)
from tarif.catalog.models import Pricelist, PricelistEntry, Product
from tarif.catalog.periodicity import Periodicity, Timing
from tarif.catalog.pricing import (
    PriceEntry,
    PricelistTerms,
    PriceNotFound,
    PriceQuote,
    PricingError,
    find_price,
    overlapping_default,
)
from tarif.catalog.rules import ProductKind, Validity, VatCategory, entry_terms_problems
from tarif.context import Ctx
from tarif.customers.models import Customer
from tarif.db.models import metadata
from tarif.db.repository import Page, PageRequest, count_references, get_scoped, paginate, scoped
from tarif.errors import Conflict, ErrorCollector, FieldError, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.pricing.inputs import charge_json
from tarif.pricing.spec import ChargeSpec, InvalidCharge
from tarif.pricing.validation import money_problems
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission

# --- writing, audited ----------------------------------------------------------------------------


def _new(ctx: Ctx, model: Any, prefix: str, values: dict[str, Any]) -> Any:
    """A new row of this organization, stamped with the clock and added to the session."""
    now = ctx.clock.now()
    row = model(
        id=new_id(prefix), organization_id=ctx.organization_id, created_at=now, updated_at=now
    )
    for name, value in values.items():
        setattr(row, name, value)
    ctx.session.add(row)
    return row


def _apply(
    ctx: Ctx,
    row: Any,
    object_type: str,
    action: str,
    changes: dict[str, Any],
    describe: Callable[[Any], dict[str, Any]] = snapshot,
) -> bool:
    """Sets the changes; when anything really changed, stamps and logs it. True if it did."""
    before = describe(row)
    for name, value in changes.items():
        setattr(row, name, value)
    if describe(row) == before:
        return False
    row.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, action, object_type, row.id, before, describe(row))
    return True


# --- products ----------------------------------------------------------------------------------


def _check_names(merged: dict[str, Any], errors: ErrorCollector) -> None:
    if not merged.get("name_en") and not merged.get("name_fr"):
        for name in ("name_en", "name_fr"):
            errors.add(name, "give the product a name in English or in French (or both)")


def _check_code_free(ctx: Ctx, code: str, product_id: str | None) -> None:
    # Case-insensitive: "Hosting" and "hosting" side by side would be a trap on every import.
    stmt = scoped(Product, ctx.organization_id).where(func.lower(Product.code) == code.lower())
    if product_id is not None:
        stmt = stmt.where(Product.id != product_id)
    if ctx.session.scalars(stmt).first() is not None:
        raise Conflict(
            f"a product with code '{code}' already exists",
            [FieldError("code", "is already used by another product")],
        )


def create_product(ctx: Ctx, values: dict[str, Any]) -> Product:
    ctx.require(Permission.WRITE_CATALOG)
    errors = ErrorCollector()
    given = {"code": None, "kind": None, "vat_category": VatCategory.STANDARD, "active": True}
    clean = clean_fields(given | values, PRODUCT_CLEANERS, errors)
    _check_names(clean, errors)
    errors.raise_if_any()
    _check_code_free(ctx, clean["code"], None)
    product: Product = _new(ctx, Product, "prd", {n: clean.get(n) for n in PRODUCT_FIELDS})
    ctx.session.flush()
    record(ctx, "create", "product", product.id, after=snapshot(product))
    return product


def get_product(ctx: Ctx, product_id: str) -> Product:
    product: Product = get_scoped(ctx.session, Product, ctx.organization_id, product_id)
    return product


def find_product_by_code(ctx: Ctx, code: str) -> Product | None:
    return ctx.session.scalars(
        scoped(Product, ctx.organization_id).where(Product.code == code.strip())
    ).first()


def get_product_by_code(ctx: Ctx, code: str) -> Product:
    product = find_product_by_code(ctx, code)
    if product is None:
        raise NotFound(f"product '{code}' not found")
    return product


def find_product(ctx: Ctx, id_or_code: str) -> Product:
    """By id, else by code: people type codes, scripts pass ids."""
    try:
        return get_product(ctx, id_or_code)
    except NotFound:
        return get_product_by_code(ctx, id_or_code)


def list_products(
    ctx: Ctx, page: PageRequest, *, kind: str | None = None, active: bool | None = None
) -> Page[Product]:
    stmt = scoped(Product, ctx.organization_id)
    if kind is not None:
        stmt = stmt.where(Product.kind == kind)
    if active is not None:
        stmt = stmt.where(Product.active == active)
    return paginate(
        ctx.session, stmt, Product, page, (Product.code, Product.name_en, Product.name_fr)
    )


def update_product(ctx: Ctx, product_id: str, changes: dict[str, Any]) -> Product:
    ctx.require(Permission.WRITE_CATALOG)
    product = get_product(ctx, product_id)
    errors = ErrorCollector()
    clean = clean_fields(changes, PRODUCT_CLEANERS, errors)
    merged = {name: getattr(product, name) for name in PRODUCT_FIELDS} | clean
    _check_names(merged, errors)
    kind_changes = clean.get("kind", product.kind) != product.kind
    if kind_changes and references_to(ctx.session, Product.__table__, product.id):
        # Its prices (periodicity or not) and its sales were made for the old kind.
        errors.add("kind", "cannot change once the product is priced or sold; create a new one")
    errors.raise_if_any()
    if "code" in clean:
        _check_code_free(ctx, clean["code"], product.id)
    _apply(ctx, product, "product", "update", clean)
    return product


def _set_active(ctx: Ctx, product_id: str, active: bool) -> Product:
    ctx.require(Permission.WRITE_CATALOG)
    product = get_product(ctx, product_id)
    _apply(ctx, product, "product", "unarchive" if active else "archive", {"active": active})
    return product


def archive_product(ctx: Ctx, product_id: str) -> Product:
    """An archived product keeps its prices and history but is not offered for new sales."""
    return _set_active(ctx, product_id, False)


def unarchive_product(ctx: Ctx, product_id: str) -> Product:
    return _set_active(ctx, product_id, True)


def references_to(
    session: Session, table: Table, object_id: str, *, ignore: Iterable[str] = ()
) -> dict[str, int]:
    return count_references(session, metadata, table.name, object_id, ignore=ignore)


def _describe_references(counts: dict[str, int]) -> str:
    return ", ".join(f"{table.replace('_', ' ')}: {n}" for table, n in sorted(counts.items()))


def delete_product(ctx: Ctx, product_id: str) -> None:
    ctx.require(Permission.WRITE_CATALOG)
    product = get_product(ctx, product_id)
    in_use = references_to(ctx.session, Product.__table__, product.id)
    if in_use:
        raise Conflict(
            f"product '{product.code}' is in use ({_describe_references(in_use)}); "
            "archive it instead"
        )
    before = snapshot(product)
    ctx.session.delete(product)
    ctx.session.flush()
    record(ctx, "delete", "product", product_id, before=before)


# --- pricelists --------------------------------------------------------------------------------


def _terms(pricelist: Pricelist, entries: Iterable[PricelistEntry] = ()) -> PricelistTerms:
    return PricelistTerms(
        id=pricelist.id,
        name=pricelist.name,
        currency=pricelist.currency,
        validity=Validity(pricelist.valid_from, pricelist.valid_to),
        is_default=pricelist.is_default,
        entries=tuple(
            PriceEntry(e.product_id, e.unit_price, e.periodicity, e.timing_value, e.charge_spec)
            for e in entries
        ),
    )


def _check_pricelist(ctx: Ctx, merged: dict[str, Any], pricelist_id: str | None) -> None:
    """Validity order and the one-default-per-currency-per-day rule, naming the fields."""
    try:
        validity = Validity(merged.get("valid_from"), merged.get("valid_to"))
    except ValueError as exc:
        raise InvalidInput.on("valid_to", str(exc)) from None
    if not merged.get("is_default"):
        return
    # Serializes default-pricelist writes per organization, so two concurrent requests cannot
    # both pass the overlap check (PostgreSQL; SQLite writes are serialized anyway).
    ctx.session.scalars(
        select(Organization.id).where(Organization.id == ctx.organization_id).with_for_update()
    ).first()
    others = ctx.session.scalars(
        scoped(Pricelist, ctx.organization_id).where(
            Pricelist.is_default.is_(True), Pricelist.currency == merged["currency"]
        )
    )
    candidate = PricelistTerms(
        id=pricelist_id or "",
        name=merged["name"],
        currency=merged["currency"],
        validity=validity,
        is_default=True,
    )
    clash = overlapping_default(candidate, [_terms(p) for p in others])
    if clash is not None:
        message = (
            f"overlaps the default {clash.currency} pricelist {clash.describe()}; "
            "only one default pricelist per currency may apply on a given day"
        )
        raise InvalidInput(
            f"validity {message}",
            [FieldError("valid_from", message), FieldError("valid_to", message)],
        )


def create_pricelist(ctx: Ctx, values: dict[str, Any]) -> Pricelist:
    ctx.require(Permission.WRITE_CATALOG)
    errors = ErrorCollector()
    given = {"name": None, "currency": None, "is_default": False}
    clean = clean_fields(given | values, PRICELIST_CLEANERS, errors)
    errors.raise_if_any()
    _check_pricelist(ctx, clean, None)
    values = {name: clean.get(name) for name in PRICELIST_FIELDS}
    pricelist: Pricelist = _new(ctx, Pricelist, "pl", values)
    ctx.session.flush()
    record(ctx, "create", "pricelist", pricelist.id, after=snapshot(pricelist))
    return pricelist


def get_pricelist(ctx: Ctx, pricelist_id: str) -> Pricelist:
    pricelist: Pricelist = get_scoped(ctx.session, Pricelist, ctx.organization_id, pricelist_id)
    return pricelist


def list_pricelists(
    ctx: Ctx,
    page: PageRequest,
    *,
    currency: str | None = None,
    is_default: bool | None = None,
) -> Page[Pricelist]:
    stmt = scoped(Pricelist, ctx.organization_id)
    if currency is not None:
        stmt = stmt.where(Pricelist.currency == currency.strip().upper())
    if is_default is not None:
        stmt = stmt.where(Pricelist.is_default == is_default)
    return paginate(ctx.session, stmt, Pricelist, page, (Pricelist.name, Pricelist.currency))


def update_pricelist(ctx: Ctx, pricelist_id: str, changes: dict[str, Any]) -> Pricelist:
    ctx.require(Permission.WRITE_CATALOG)
    pricelist = get_pricelist(ctx, pricelist_id)
    errors = ErrorCollector()
    clean = clean_fields(changes, PRICELIST_CLEANERS, errors)
    if clean.get("currency", pricelist.currency) != pricelist.currency:
        users = references_to(ctx.session, Pricelist.__table__, pricelist.id)
        if users:
            errors.add(
                "currency",
                f"cannot change while the pricelist is used ({_describe_references(users)}); "
                "create a pricelist in the new currency instead",
            )
    errors.raise_if_any()
    merged = {name: getattr(pricelist, name) for name in PRICELIST_FIELDS} | clean
    _check_pricelist(ctx, merged, pricelist.id)
    _apply(ctx, pricelist, "pricelist", "update", clean)
    return pricelist


def delete_pricelist(ctx: Ctx, pricelist_id: str) -> None:
    """Deletes a pricelist and its entries; refused while customers (or others) use it."""
    ctx.require(Permission.WRITE_CATALOG)
    pricelist = get_pricelist(ctx, pricelist_id)
    users = references_to(
        ctx.session, Pricelist.__table__, pricelist.id, ignore=[PricelistEntry.__tablename__]
    )
    if users:
        raise Conflict(
            f"pricelist '{pricelist.name}' is in use ({_describe_references(users)}); "
            "assign another pricelist first"
        )
    entries = list_all_entries(ctx, pricelist.id)
    before = snapshot(pricelist) | {"entries": [_entry_snapshot(e) for e in entries]}
    for entry in entries:
        ctx.session.delete(entry)
    ctx.session.flush()  # entries first: the unit of work does not know they depend on it
    ctx.session.delete(pricelist)
    ctx.session.flush()
    record(ctx, "delete", "pricelist", pricelist_id, before=before)


# --- pricelist entries -------------------------------------------------------------------------


def _entry_snapshot(entry: PricelistEntry) -> dict[str, Any]:
    # The product code and readable periodicity make the log legible without a join.
    return snapshot(entry) | {
        "periodicity": entry.periodicity_name,
        "product_code": entry.product.code,
    }


def _entry_product(ctx: Ctx, product_id: Any, errors: ErrorCollector) -> Product | None:
    if is_blank(product_id):
        errors.add("product_id", "is required")
        return None
    product = ctx.session.scalars(
        scoped(Product, ctx.organization_id).where(Product.id == str(product_id).strip())
    ).first()
    if product is None:
        errors.add("product_id", f"no product '{product_id}' in this organization")
    return product


def _check_terms(
    kind: str,
    periodicity: Periodicity | None,
    timing: Timing | None,
    errors: ErrorCollector,
) -> None:
    already = {e.field for e in errors.errors}
    for name, message in entry_terms_problems(ProductKind(kind), periodicity, timing).items():
        if name not in already:
            errors.add(name, message)


def clean_charge(value: Any, errors: ErrorCollector, field: str = "charge") -> ChargeSpec | None:
    """A charge from its JSON object (or a spec); problems go to `errors` at `charge.<path>`."""
    if value is None or isinstance(value, ChargeSpec):
        return value
    if isinstance(value, str):  # typed in a form or a CSV cell
        try:
            value = charge_json(value, field)
        except InvalidInput as exc:
            for problem in exc.errors:
                errors.add(problem.field, problem.message)
            return None
        if value is None:
            return None
    try:
        return ChargeSpec.from_json(value)
    except InvalidCharge as exc:
        for problem in exc.problems:
            path = field if problem.field == "charge" else f"{field}.{problem.field}"
            errors.add(path, problem.message)
        return None


def _check_charge(kind: str, charge: ChargeSpec | None, code: str, errors: ErrorCollector) -> None:
    if charge is None:
        return
    if kind != ProductKind.USAGE.value:
        errors.add("charge", "only usage products have a charge")
        return
    # A charge alone knows no currency (a product is priced in several, through pricelists),
    # so its amounts billed as they are (minimum spend, flat fees, package price) are held to
    # the minor unit here, where the pricelist gives the currency.
    for problem in money_problems(charge, code):
        errors.add(f"charge.{problem.field}", problem.message)


def add_entry(ctx: Ctx, pricelist_id: str, values: dict[str, Any]) -> PricelistEntry:
    """Prices a product in a pricelist; periodicity and timing follow the product's kind."""
    ctx.require(Permission.WRITE_CATALOG)
    pricelist = get_pricelist(ctx, pricelist_id)
    errors = ErrorCollector()
    given = {"product_id": None, "unit_price": None} | values
    clean = clean_fields(given, ENTRY_CLEANERS, errors, known=ENTRY_FIELDS)
    product = _entry_product(ctx, clean.get("product_id"), errors)
    periodicity, timing = clean.get("periodicity"), clean.get("timing")
    charge = clean_charge(clean.get("charge"), errors)
    if product is not None:
        _check_terms(product.kind, periodicity, timing, errors)
        _check_charge(product.kind, charge, pricelist.currency, errors)
    errors.raise_if_any()
    assert product is not None  # an unknown product was reported above
    if find_entry_for_product(ctx, pricelist.id, product.id) is not None:
        raise Conflict(
            f"pricelist '{pricelist.name}' already prices product '{product.code}'",
            [FieldError("product_id", "already priced in this pricelist; update that entry")],
        )
    entry: PricelistEntry = _new(
        ctx,
        PricelistEntry,
        "ple",
        {
            "pricelist_id": pricelist.id,
            "product_id": product.id,
            "unit_price": clean["unit_price"],
            "periodicity": periodicity,
            "timing": timing.value if timing else None,
            "charge": charge.to_json() if charge else None,
        },
    )
    _touch_pricelist(ctx, pricelist.id)
    ctx.session.flush()
    record(ctx, "create", "pricelist_entry", entry.id, after=_entry_snapshot(entry))
    return entry


def _touch_pricelist(ctx: Ctx, pricelist_id: str) -> None:
    # A price change is a change of the pricelist too: `updated_since` syncs must see it.
    get_pricelist(ctx, pricelist_id).updated_at = ctx.clock.now()


def get_entry(ctx: Ctx, pricelist_id: str, entry_id: str) -> PricelistEntry:
    entry: PricelistEntry = get_scoped(ctx.session, PricelistEntry, ctx.organization_id, entry_id)
    if entry.pricelist_id != pricelist_id:
        raise NotFound(f"pricelistentry '{entry_id}' not found")
    return entry


def find_entry_for_product(ctx: Ctx, pricelist_id: str, product_id: str) -> PricelistEntry | None:
    stmt = scoped(PricelistEntry, ctx.organization_id).where(
        PricelistEntry.pricelist_id == pricelist_id, PricelistEntry.product_id == product_id
    )
    return ctx.session.scalars(stmt).first()


def entry_for_product(ctx: Ctx, pricelist_id: str, product_id: str) -> PricelistEntry:
    entry = find_entry_for_product(ctx, get_pricelist(ctx, pricelist_id).id, product_id)
    if entry is None:
        raise NotFound(f"the pricelist has no price for product '{product_id}'")
    return entry


def entries_of_product(ctx: Ctx, product_id: str) -> list[PricelistEntry]:
    """The product's price in every pricelist, in pricelist creation order."""
    stmt = scoped(PricelistEntry, ctx.organization_id).where(
        PricelistEntry.product_id == product_id
    )
    return list(ctx.session.scalars(stmt.order_by(PricelistEntry.pricelist_id)))


def unpriced_products(ctx: Ctx, pricelist_id: str) -> list[Product]:
    """Products the pricelist does not price yet, in code order (the add-entry form).

    Archived products are included: customers still billed for them may need a new price."""
    priced = select(PricelistEntry.product_id).where(PricelistEntry.pricelist_id == pricelist_id)
    stmt = scoped(Product, ctx.organization_id).where(Product.id.not_in(priced))
    return list(ctx.session.scalars(stmt.order_by(Product.code)))


def list_entries(ctx: Ctx, pricelist_id: str, page: PageRequest) -> Page[PricelistEntry]:
    get_pricelist(ctx, pricelist_id)
    stmt = (
        scoped(PricelistEntry, ctx.organization_id)
        .join(Product, Product.id == PricelistEntry.product_id)
        .where(PricelistEntry.pricelist_id == pricelist_id)
    )
    return paginate(
        ctx.session, stmt, PricelistEntry, page, (Product.code, Product.name_en, Product.name_fr)
    )


def list_all_entries(ctx: Ctx, pricelist_id: str) -> list[PricelistEntry]:
    """Every entry, in product code order (pages and exports; the API pages through them)."""
    stmt = (
        scoped(PricelistEntry, ctx.organization_id)
        .join(Product, Product.id == PricelistEntry.product_id)
        .where(PricelistEntry.pricelist_id == pricelist_id)
        .order_by(Product.code)
    )
    return list(ctx.session.scalars(stmt))


def update_entry(
    ctx: Ctx, pricelist_id: str, entry_id: str, changes: dict[str, Any]
) -> PricelistEntry:
    """Changes the price, periodicity or timing; the product stays (remove and add instead)."""
    ctx.require(Permission.WRITE_CATALOG)
    entry = get_entry(ctx, pricelist_id, entry_id)
    errors = ErrorCollector()
    clean = clean_fields(changes, ENTRY_CLEANERS, errors, known=ENTRY_TERMS)
    periodicity = clean.get("periodicity", entry.periodicity)
    timing = clean.get("timing", entry.timing_value)
    product = get_product(ctx, entry.product_id)
    _check_terms(product.kind, periodicity, timing, errors)
    charge = clean_charge(clean.get("charge"), errors)
    _check_charge(product.kind, charge, entry.pricelist.currency, errors)
    errors.raise_if_any()
    terms: dict[str, Any] = {"periodicity": periodicity, "timing": timing.value if timing else None}
    if "charge" in clean:  # null removes the charge
        terms["charge"] = charge.to_json() if charge else None
    # Compared as numbers: 399.00 typed again over a stored 399 is no change.
    if "unit_price" in clean and clean["unit_price"] != entry.unit_price:
        terms["unit_price"] = clean["unit_price"]
    if _apply(ctx, entry, "pricelist_entry", "update", terms, _entry_snapshot):
        _touch_pricelist(ctx, pricelist_id)
    return entry


def remove_entry(ctx: Ctx, pricelist_id: str, entry_id: str) -> None:
    ctx.require(Permission.WRITE_CATALOG)
    entry = get_entry(ctx, pricelist_id, entry_id)
    before = _entry_snapshot(entry)
    ctx.session.delete(entry)
    _touch_pricelist(ctx, pricelist_id)
    ctx.session.flush()
    record(ctx, "delete", "pricelist_entry", entry_id, before=before)


def entry_events(ctx: Ctx, pricelist_id: str, limit: int = 50) -> list[tuple[AuditEvent, str]]:
    """The audit events of a pricelist's entries (removed ones too), newest first, each with
    its product code. Creations and removals carry the pricelist id; updates are found through
    the entries those name."""
    of_entries = scoped(AuditEvent, ctx.organization_id).where(
        AuditEvent.object_type == "pricelist_entry"
    )
    naming_pricelist = of_entries.where(
        (AuditEvent.after["pricelist_id"].as_string() == pricelist_id)
        | (AuditEvent.before["pricelist_id"].as_string() == pricelist_id)
    )
    code_of: dict[str, str] = {}
    for event in ctx.session.scalars(naming_pricelist):
        values = event.after or event.before or {}
        code_of[event.object_id] = str(values.get("product_code", ""))
    if not code_of:
        return []
    events = ctx.session.scalars(
        of_entries.where(AuditEvent.object_id.in_(list(code_of)))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return [(event, code_of[event.object_id]) for event in events]


# --- price lookup ------------------------------------------------------------------------------


def resolve_price(ctx: Ctx, customer_id: str, product_id: str, on_date: date) -> PriceQuote:
    """Loads the customer's and the default pricelists and applies `pricing.find_price`."""
    customer: Customer = get_scoped(ctx.session, Customer, ctx.organization_id, customer_id)
    product = get_product(ctx, product_id)
    pricelists = list(
        ctx.session.scalars(
            scoped(Pricelist, ctx.organization_id).where(
                (Pricelist.id == customer.pricelist_id)
                | (Pricelist.is_default.is_(True) & (Pricelist.currency == customer.currency))
            )
        )
    )
    entries = ctx.session.scalars(
        scoped(PricelistEntry, ctx.organization_id).where(
            PricelistEntry.product_id == product.id,
            PricelistEntry.pricelist_id.in_([p.id for p in pricelists]),
        )
    )
    by_pricelist: dict[str, list[PricelistEntry]] = {}
    for entry in entries:
        by_pricelist.setdefault(entry.pricelist_id, []).append(entry)
    terms = {p.id: _terms(p, by_pricelist.get(p.id, ())) for p in pricelists}
    customer_terms = terms.get(customer.pricelist_id) if customer.pricelist_id else None
    try:
        return find_price(
            customer_id=customer.id,
            customer_currency=customer.currency,
            customer_pricelist=customer_terms,
            default_pricelists=[t for t in terms.values() if t.is_default],
            product_id=product.id,
            on_date=on_date,
        )
    except PriceNotFound as exc:
        raise NotFound(
            f"no price for product '{product.code}' for customer '{customer.legal_name}' "
            f"({customer.id}) on {on_date.isoformat()} in {customer.currency}: {exc.reason}"
        ) from None
    except PricingError as exc:
        raise Conflict(str(exc)) from None
