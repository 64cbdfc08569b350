"""What the contract and template pages share: choices for selects, names of related objects,
dates typed in a form or a query, and the words of one locale."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request

from tarif.catalog.models import Pricelist, Product
from tarif.catalog.web_text import Labels
from tarif.context import Ctx
from tarif.contracts.schemas import EARLIEST_DAY, LATEST_DAY
from tarif.contracts.web_forms import page_error
from tarif.contracts.web_text import (
    ACTION_LABELS,
    AMENDMENT_STATUS_LABELS,
    FRENCH,
    STATUS_BADGES,
    STATUS_LABELS,
    TRANSITION_LABELS,
)
from tarif.customers.models import Customer
from tarif.db.repository import scoped
from tarif.tenancy.rules import Role
from tarif.web.i18n import register, translate
from tarif.web.templating import add_template_dir, locale_of

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

CHOICES_LIMIT = 500  # a select of more would not be usable anyway


def options(request: Request, labels: dict[str, str]) -> list[tuple[str, str]]:
    locale = locale_of(request)
    return [(value, translate(locale, label)) for value, label in labels.items()]


def labels(request: Request) -> Labels:
    return Labels(locale_of(request))


def is_admin(ctx: Ctx) -> bool:
    return ctx.actor.role is Role.ADMIN


def customer_choices(ctx: Ctx, keep: str | None = None) -> list[tuple[str, str]]:
    """Customers that may take a contract (and `keep`, the one already chosen, in any case)."""
    stmt = scoped(Customer, ctx.organization_id).where(Customer.archived.is_(False))
    rows = list(ctx.session.scalars(stmt.order_by(Customer.legal_name).limit(CHOICES_LIMIT)))
    if keep and keep not in {c.id for c in rows}:
        rows += list(
            ctx.session.scalars(scoped(Customer, ctx.organization_id).where(Customer.id == keep))
        )
    return [(c.id, f"{c.legal_name} ({c.currency})") for c in rows]


def product_choices(ctx: Ctx, request: Request) -> list[tuple[str, str]]:
    words = labels(request)
    stmt = scoped(Product, ctx.organization_id).where(Product.active.is_(True))
    rows = ctx.session.scalars(stmt.order_by(Product.code).limit(CHOICES_LIMIT))
    return [(p.id, f"{p.code} · {words.name(p)}") for p in rows]


def product_codes(ctx: Ctx) -> list[str]:
    stmt = scoped(Product, ctx.organization_id).where(Product.active.is_(True))
    return [p.code for p in ctx.session.scalars(stmt.order_by(Product.code).limit(CHOICES_LIMIT))]


def pricelist_choices(ctx: Ctx) -> list[tuple[str, str]]:
    rows = ctx.session.scalars(
        scoped(Pricelist, ctx.organization_id).order_by(Pricelist.name).limit(CHOICES_LIMIT)
    )
    return [(p.id, f"{p.name} ({p.currency})") for p in rows]


def customers_by_id(ctx: Ctx, ids: set[str]) -> dict[str, Customer]:
    if not ids:
        return {}
    stmt = scoped(Customer, ctx.organization_id).where(Customer.id.in_(ids))
    return {c.id: c for c in ctx.session.scalars(stmt)}


def products_by_id(ctx: Ctx, ids: set[str]) -> dict[str, Product]:
    if not ids:
        return {}
    stmt = scoped(Product, ctx.organization_id).where(Product.id.in_(ids))
    return {p.id: p for p in ctx.session.scalars(stmt)}


def pricelists_by_id(ctx: Ctx, ids: set[str]) -> dict[str, Pricelist]:
    if not ids:
        return {}
    stmt = scoped(Pricelist, ctx.organization_id).where(Pricelist.id.in_(ids))
    return {p.id: p for p in ctx.session.scalars(stmt)}


def day_of(text: str | None, field_name: str) -> date | None:
    """A date typed in a form or a query (`YYYY-MM-DD`); blank is None."""
    if text is None or not text.strip():
        return None
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise page_error(field_name, "must be a date written YYYY-MM-DD") from None
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise page_error(field_name, f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def base_context(request: Request, ctx: Ctx, **extra: Any) -> dict[str, Any]:
    return {
        "labels": labels(request),
        "is_admin": is_admin(ctx),
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "amendment_labels": AMENDMENT_STATUS_LABELS,
        "action_labels": ACTION_LABELS,
        "transition_labels": TRANSITION_LABELS,
        **extra,
    }
