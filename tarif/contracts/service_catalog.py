"""What contracts need from customers and the catalog, looked up through their services.

A line priced "from the pricelist" takes the catalog's lookup rule (`tarif.catalog.pricing.
find_price`) with the contract's pricelist in the place of the customer's: its price when it
is valid that day and prices the product, else the default pricelist of the currency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tarif.catalog import service as catalog
from tarif.catalog.models import Pricelist, PricelistEntry, Product
from tarif.catalog.pricing import PriceEntry, PricelistTerms, PriceQuote, PricingError, find_price
from tarif.catalog.rules import ProductKind, Validity
from tarif.context import Ctx
from tarif.contracts import facts
from tarif.contracts.model import ContractLine, ContractTerms
from tarif.contracts.models import Contract
from tarif.contracts.service_store import searchable
from tarif.customers import service as customers
from tarif.customers.models import Customer
from tarif.db.repository import scoped
from tarif.errors import FieldError, NotFound
from tarif.pricing.spec import ChargeSpec


def customer_or_problem(ctx: Ctx, customer_id: str) -> tuple[Customer | None, FieldError | None]:
    """The customer, or why it cannot take a new contract (named at `customer_id`)."""
    try:
        customer = customers.get_customer(ctx, customer_id)
    except NotFound:
        return None, FieldError("customer_id", f"no customer '{customer_id}' in this organization")
    if customer.archived:
        return customer, FieldError("customer_id", f"customer {customer.id} is archived")
    return customer, None


def pricelist_or_none(ctx: Ctx, pricelist_id: str) -> Pricelist | None:
    if not searchable(pricelist_id):
        return None
    try:
        return catalog.get_pricelist(ctx, pricelist_id)
    except NotFound:
        return None


def default_pricelist_id(ctx: Ctx, customer: Customer, currency: str, on: date) -> str | None:
    """The customer's pricelist when in the contract's currency, else the default one valid on
    the contract's start."""
    if customer.pricelist_id:
        own = pricelist_or_none(ctx, customer.pricelist_id)
        if own is not None and own.currency == currency:
            return own.id
    stmt = scoped(Pricelist, ctx.organization_id).where(
        Pricelist.is_default.is_(True), Pricelist.currency == currency
    )
    for pricelist in ctx.session.scalars(stmt.order_by(Pricelist.id)):
        if Validity(pricelist.valid_from, pricelist.valid_to).contains(on):
            return pricelist.id
    return None


def header_problems(
    ctx: Ctx, terms: ContractTerms, customer: Customer | None, contract_id: str | None
) -> list[FieldError]:
    """Currency against the customer and the pricelist, pricelist existence, reference taken."""
    problems = []
    if customer is not None and customer.currency != terms.currency:
        problems.append(
            FieldError(
                "currency",
                f"the customer is billed in {customer.currency}, not {terms.currency}",
            )
        )
    if terms.pricelist_id is not None:
        pricelist = pricelist_or_none(ctx, terms.pricelist_id)
        if pricelist is None:
            problems.append(
                FieldError(
                    "pricelist_id", f"no pricelist '{terms.pricelist_id}' in this organization"
                )
            )
        else:
            problem = facts.pricelist_currency_problem(terms.currency, pricelist.currency)
            problems += [problem] if problem else []
    reference = terms.reference.strip()
    if reference and searchable(reference):
        stmt = scoped(Contract, ctx.organization_id).where(Contract.reference == reference)
        if contract_id is not None:
            stmt = stmt.where(Contract.id != contract_id)
        taken = {reference} if ctx.session.scalars(stmt).first() is not None else set()
        problem = facts.reference_problem(reference, taken)
        problems += [problem] if problem else []
    return problems


def products(ctx: Ctx, product_ids: Iterable[str]) -> dict[str, Product]:
    ids = [p for p in set(product_ids) if searchable(p)]
    if not ids:
        return {}
    stmt = scoped(Product, ctx.organization_id).where(Product.id.in_(ids))
    return {p.id: p for p in ctx.session.scalars(stmt)}


def product_name(product: Product | None) -> str:
    """The default description of a line on this product (its English name, else French)."""
    if product is None:
        return ""
    return product.name_en or product.name_fr or ""


def product_codes(ctx: Ctx, terms: Iterable[ContractTerms]) -> dict[str, str]:
    """Product id → code for every line of these terms (diffs name products by code)."""
    found = products(ctx, (line.product_id for t in terms for line in t.lines))
    return {product_id: product.code for product_id, product in found.items()}


def line_product_problems(
    ctx: Ctx, terms: ContractTerms, line_keys: Iterable[str]
) -> list[FieldError]:
    """Lines among `line_keys` (new or changed) on a product unknown here or archived, and
    every line whose kind differs from its product's."""
    keys = set(line_keys)
    known = products(ctx, (line.product_id for line in terms.lines))
    problems = [
        FieldError(
            f"lines.{index}.product_id", f"no product '{line.product_id}' in this organization"
        )
        for index, line in enumerate(terms.lines)
        if line.line_key in keys and line.product_id not in known
    ]
    active = {pid: p.active for pid, p in known.items()}
    problems += facts.archived_product_problems(terms, active, keys)
    kinds = {pid: ProductKind(p.kind) for pid, p in known.items()}
    return problems + facts.product_kind_problems(terms, kinds)


def _pricelist_terms(pricelist: Pricelist, entries: Iterable[PricelistEntry]) -> PricelistTerms:
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


def quote(
    ctx: Ctx, *, pricelist_id: str | None, currency: str, product_id: str, on: date
) -> PriceQuote | None:
    """The pricelist price of a product on a day for a contract, None when there is none."""
    candidates = scoped(Pricelist, ctx.organization_id).where(
        Pricelist.is_default.is_(True) & (Pricelist.currency == currency)
    )
    if pricelist_id is not None and searchable(pricelist_id):
        candidates = scoped(Pricelist, ctx.organization_id).where(
            (Pricelist.id == pricelist_id)
            | (Pricelist.is_default.is_(True) & (Pricelist.currency == currency))
        )
    pricelists = list(ctx.session.scalars(candidates))
    entries = ctx.session.scalars(
        select(PricelistEntry).where(
            PricelistEntry.organization_id == ctx.organization_id,
            PricelistEntry.product_id == product_id,
            PricelistEntry.pricelist_id.in_([p.id for p in pricelists]),
        )
    )
    by_pricelist: dict[str, list[PricelistEntry]] = {}
    for entry in entries:
        by_pricelist.setdefault(entry.pricelist_id, []).append(entry)
    terms = {p.id: _pricelist_terms(p, by_pricelist.get(p.id, ())) for p in pricelists}
    own = terms.get(pricelist_id) if pricelist_id else None
    try:
        return find_price(
            customer_id="contract",
            customer_currency=currency,
            customer_pricelist=own,
            default_pricelists=[t for t in terms.values() if t.is_default],
            product_id=product_id,
            on_date=on,
        )
    except PricingError:
        return None


def line_charge_on(
    ctx: Ctx, terms: ContractTerms, line: ContractLine, on: date
) -> ChargeSpec | None:
    """The charge pricing a usage line on a day: the line's own (copied from the pricelist or
    typed), else its pricelist entry's on that day; None when neither has one."""
    if line.charge is not None:
        return line.charge
    found = quote(
        ctx,
        pricelist_id=terms.pricelist_id,
        currency=terms.currency,
        product_id=line.product_id,
        on=on,
    )
    return found.charge if found else None


def unit_price(
    ctx: Ctx, *, pricelist_id: str | None, currency: str, product_id: str, on: date
) -> Decimal | None:
    found = quote(ctx, pricelist_id=pricelist_id, currency=currency, product_id=product_id, on=on)
    return found.unit_price if found else None


@dataclass
class TemplateCatalog:
    """The `templates.Catalog` the core's instantiation asks: product codes, names and prices."""

    ctx: Ctx
    pricelist_id: str | None
    currency: str

    def product_id(self, code: str) -> str | None:
        product = catalog.find_product_by_code(self.ctx, code) if searchable(code) else None
        return product.id if product else None

    def product_name(self, product_id: str) -> str:
        return product_name(products(self.ctx, [product_id]).get(product_id))

    def unit_price(self, product_id: str, on: date) -> Decimal | None:
        return unit_price(
            self.ctx,
            pricelist_id=self.pricelist_id,
            currency=self.currency,
            product_id=product_id,
            on=on,
        )


def line_key_for(code: str) -> str:
    """A line key made from a product code: lowercase, other characters as '-'."""
    key = re.sub(r"[^a-z0-9_-]", "-", code.lower()).strip("-_")[:40]
    return key or "line"
