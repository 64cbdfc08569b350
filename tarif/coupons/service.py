"""Use cases of coupons: the catalogue of codes, redemptions on contracts, discounts on drafts.

Every function takes `ctx` first and never commits. Writes need `write:billing` (finance and
admin roles). Billing runs call `apply_coupons` (in `billing.py`) on their drafts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from tarif.audit.service import changed_only, record, snapshot
from tarif.billing.invoice_discounts import CoveredLine, InvoiceDiscountKind, invoice_discount
from tarif.context import Ctx
from tarif.contracts import service_store as contract_store
from tarif.contracts.model import ContractStatus
from tarif.contracts.models import Contract
from tarif.coupons.models import Coupon, CouponRedemption
from tarif.coupons.rules import (
    CouponDuration,
    CouponTerms,
    RedemptionStatus,
    check_code,
    check_terms,
    ends_on,
    normalize_code,
    redeemable_on,
)
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, ErrorCollector, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.invoicing.models import InvoiceLine
from tarif.invoicing.service_drafts import editable_draft, recompute_totals
from tarif.invoicing.service_invoices import invoice_lines
from tarif.money import RoundingMode, currency, parse_decimal, round_to_minor_unit
from tarif.tenancy.models import Organization
from tarif.tenancy.rules import Permission

UPDATABLE = ("name", "max_redemptions", "redeemable_from", "redeemable_until")


def terms_of(coupon: Coupon) -> CouponTerms:
    return CouponTerms(
        kind=InvoiceDiscountKind(coupon.kind),
        value=Decimal(coupon.value),
        currency=coupon.currency,
        duration=CouponDuration(coupon.duration),
        duration_months=coupon.duration_months,
        redeemable_from=coupon.redeemable_from,
        redeemable_until=coupon.redeemable_until,
        max_redemptions=coupon.max_redemptions,
    )


# --- reads -----------------------------------------------------------------------------------


def _searchable(value: str) -> bool:
    return "\x00" not in value


def get_coupon(ctx: Ctx, coupon_id: str) -> Coupon:
    if not _searchable(coupon_id):
        raise NotFound("coupon not found")
    coupon: Coupon = get_scoped(ctx.session, Coupon, ctx.organization_id, coupon_id)
    return coupon


def find_by_code(ctx: Ctx, code: str) -> Coupon | None:
    if not _searchable(code):
        return None
    stmt = scoped(Coupon, ctx.organization_id).where(Coupon.code == normalize_code(code))
    return ctx.session.scalars(stmt).one_or_none()


def resolve_coupon(ctx: Ctx, id_or_code: str) -> Coupon:
    """By id, else by code: people type codes, scripts pass ids."""
    try:
        return get_coupon(ctx, id_or_code)
    except NotFound:
        coupon = find_by_code(ctx, id_or_code)
        if coupon is None:
            raise NotFound(f"coupon '{id_or_code}' not found") from None
        return coupon


def list_coupons(ctx: Ctx, page: PageRequest, *, archived: bool | None = None) -> Page[Coupon]:
    """Coupons in creation order; `q` searches the code and the name."""
    for value in (page.q, page.starting_after):
        if value is not None and not _searchable(value):
            return Page([], False)
    stmt = scoped(Coupon, ctx.organization_id)
    if archived is not None:
        stmt = stmt.where(Coupon.archived == archived)
    return paginate(ctx.session, stmt, Coupon, page, search_columns=(Coupon.code, Coupon.name))


def redemptions_of_contract(ctx: Ctx, contract_id: str) -> list[CouponRedemption]:
    contract = _contract(ctx, contract_id)
    stmt = scoped(CouponRedemption, ctx.organization_id).where(
        CouponRedemption.contract_id == contract.id
    )
    return list(ctx.session.scalars(stmt.order_by(CouponRedemption.id)))


def redemptions_of_coupon(ctx: Ctx, coupon_id: str) -> list[CouponRedemption]:
    coupon = get_coupon(ctx, coupon_id)
    stmt = scoped(CouponRedemption, ctx.organization_id).where(
        CouponRedemption.coupon_id == coupon.id
    )
    return list(ctx.session.scalars(stmt.order_by(CouponRedemption.id)))


def coupons_by_id(ctx: Ctx, ids: set[str]) -> dict[str, Coupon]:
    if not ids:
        return {}
    stmt = scoped(Coupon, ctx.organization_id).where(Coupon.id.in_(sorted(ids)))
    return {c.id: c for c in ctx.session.scalars(stmt)}


def _contract(ctx: Ctx, contract_id: str) -> Contract:
    if not _searchable(contract_id):
        raise NotFound("contract not found")
    contract: Contract = get_scoped(ctx.session, Contract, ctx.organization_id, contract_id)
    return contract


# --- coupons ---------------------------------------------------------------------------------


def _enum(enum: Any, raw: Any, name: str, errors: ErrorCollector) -> Any:
    try:
        return enum(raw.value if hasattr(raw, "value") else raw)
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        errors.add(name, f"must be one of: {choices}")
        return None


def _decimal(raw: Any, name: str, errors: ErrorCollector) -> Decimal | None:
    if raw is None or raw == "":
        errors.add(name, "is required")
        return None
    try:
        return parse_decimal(raw if isinstance(raw, Decimal) else str(raw).strip())
    except (ValueError, ArithmeticError):
        errors.add(name, 'must be a decimal number such as "20" or "50.00"')
        return None


def _optional_int(raw: Any, name: str, errors: ErrorCollector) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        errors.add(name, "must be a whole number")
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        errors.add(name, "must be a whole number")
        return None


def _optional_date(raw: Any, name: str, errors: ErrorCollector) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors.add(name, "must be a date written YYYY-MM-DD")
        return None


def _optional_text(raw: Any) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def create_coupon(ctx: Ctx, data: Mapping[str, Any]) -> Coupon:
    """A coupon from `data` (API names; strings accepted, as a form sends them)."""
    ctx.require(Permission.WRITE_BILLING)
    errors = ErrorCollector()
    code = normalize_code(str(data.get("code") or ""))
    check_code(code, errors)
    name = str(data.get("name") or "").strip() or code
    if len(name) > 200:
        errors.add("name", "at most 200 characters")
    kind = _enum(InvoiceDiscountKind, data.get("kind"), "kind", errors)
    value = _decimal(data.get("value"), "value", errors)
    duration = _enum(CouponDuration, data.get("duration") or "once", "duration", errors)
    code_currency = _optional_text(data.get("currency"))
    terms = CouponTerms(
        kind=kind or InvoiceDiscountKind.PERCENTAGE,
        value=value if value is not None else Decimal(1),
        currency=code_currency.upper() if code_currency else None,
        duration=duration or CouponDuration.ONCE,
        duration_months=_optional_int(data.get("duration_months"), "duration_months", errors),
        redeemable_from=_optional_date(data.get("redeemable_from"), "redeemable_from", errors),
        redeemable_until=_optional_date(data.get("redeemable_until"), "redeemable_until", errors),
        max_redemptions=_optional_int(data.get("max_redemptions"), "max_redemptions", errors),
    )
    if kind is not None and value is not None and duration is not None:
        check_terms(terms, errors)
    if not errors.errors and find_by_code(ctx, code) is not None:
        raise Conflict(
            f"a coupon with code '{code}' already exists",
            [],
        )
    errors.raise_if_any("The coupon has invalid fields")
    now = ctx.clock.now()
    coupon = Coupon(
        id=new_id("cpn"),
        organization_id=ctx.organization_id,
        code=code,
        name=name,
        kind=terms.kind.value,
        value=terms.value,
        currency=terms.currency,
        duration=terms.duration.value,
        duration_months=terms.duration_months,
        redeemable_from=terms.redeemable_from,
        redeemable_until=terms.redeemable_until,
        max_redemptions=terms.max_redemptions,
        redemptions_count=0,
        archived=False,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(coupon)
    ctx.session.flush()
    record(ctx, "create", "coupon", coupon.id, None, snapshot(coupon))
    return coupon


def update_coupon(ctx: Ctx, coupon_id: str, data: Mapping[str, Any]) -> Coupon:
    """Changes the name, the limit or the validity window; what a coupon gives never changes
    (redemptions already made rely on it): make a new coupon instead."""
    ctx.require(Permission.WRITE_BILLING)
    coupon = get_coupon(ctx, coupon_id)
    errors = ErrorCollector()
    for key in data:
        if key not in UPDATABLE:
            errors.add(key, "cannot be changed; archive the coupon and create another")
    before = snapshot(coupon)
    values: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors.add("name", "is required")
        elif len(name) > 200:
            errors.add("name", "at most 200 characters")
        values["name"] = name
    if "max_redemptions" in data:
        values["max_redemptions"] = _optional_int(
            data["max_redemptions"], "max_redemptions", errors
        )
    for key in ("redeemable_from", "redeemable_until"):
        if key in data:
            values[key] = _optional_date(data[key], key, errors)
    terms = terms_of(coupon)
    terms = CouponTerms(
        kind=terms.kind,
        value=terms.value,
        currency=terms.currency,
        duration=terms.duration,
        duration_months=terms.duration_months,
        redeemable_from=values.get("redeemable_from", terms.redeemable_from),
        redeemable_until=values.get("redeemable_until", terms.redeemable_until),
        max_redemptions=values.get("max_redemptions", terms.max_redemptions),
    )
    check_terms(terms, errors)
    limit = terms.max_redemptions
    if limit is not None and limit < coupon.redemptions_count:
        errors.add(
            "max_redemptions",
            f"is below the {coupon.redemptions_count} redemptions already made",
        )
    errors.raise_if_any("The coupon has invalid fields")
    for key, value in values.items():
        setattr(coupon, key, value)
    coupon.updated_at = ctx.clock.now()
    ctx.session.flush()
    old, new = changed_only(before, snapshot(coupon))
    record(ctx, "update", "coupon", coupon.id, old, new)
    return coupon


def archive_coupon(ctx: Ctx, coupon_id: str) -> Coupon:
    """No new redemption; redemptions already made keep giving their discount."""
    ctx.require(Permission.WRITE_BILLING)
    coupon = get_coupon(ctx, coupon_id)
    if not coupon.archived:
        before = snapshot(coupon)
        coupon.archived = True
        coupon.updated_at = ctx.clock.now()
        ctx.session.flush()
        old, new = changed_only(before, snapshot(coupon))
        record(ctx, "archive", "coupon", coupon.id, old, new)
    return coupon


# --- redemptions -----------------------------------------------------------------------------


def redeem(ctx: Ctx, contract_id: str, code: str, *, on: date | None = None) -> CouponRedemption:
    """Redeems the coupon `code` on a contract, on `on` (default: today).

    The limit is enforced by the database: one conditional UPDATE raises the count only while it
    is below the limit, so two concurrent redemptions of the last one cannot both pass (the
    second waits for the first's row lock, then finds the count at the limit).
    """
    ctx.require(Permission.WRITE_BILLING)
    contract = _contract(ctx, contract_id)
    day = on or contract_store.today(ctx)
    coupon = find_by_code(ctx, code)
    shown = normalize_code(code)
    if coupon is None:
        raise InvalidInput.on("code", f"no coupon has the code '{shown}'")
    if coupon.archived:
        raise InvalidInput.on("code", f"coupon '{coupon.code}' is archived")
    terms = terms_of(coupon)
    if not redeemable_on(terms, day):
        window = (
            f"{terms.redeemable_from.isoformat() if terms.redeemable_from else '…'} to "
            f"{terms.redeemable_until.isoformat() if terms.redeemable_until else '…'}"
        )
        raise InvalidInput.on(
            "code",
            f"coupon '{coupon.code}' cannot be redeemed on {day.isoformat()} "
            f"(redeemable from {window})",
        )
    if terms.currency is not None and terms.currency != contract.currency:
        raise InvalidInput.on(
            "code",
            f"coupon '{coupon.code}' is an amount in {terms.currency}; "
            f"the contract is billed in {contract.currency}",
        )
    if contract.status == ContractStatus.TERMINATED.value:
        raise Conflict(f"contract '{contract.reference}' is terminated")
    twice = ctx.session.scalar(
        select(func.count())
        .select_from(CouponRedemption)
        .where(
            CouponRedemption.organization_id == ctx.organization_id,
            CouponRedemption.contract_id == contract.id,
            CouponRedemption.coupon_id == coupon.id,
        )
    )
    if twice:
        raise Conflict(f"coupon '{coupon.code}' is already redeemed on this contract")
    _take_one(ctx, coupon)
    now = ctx.clock.now()
    redemption = CouponRedemption(
        id=new_id("red"),
        organization_id=ctx.organization_id,
        coupon_id=coupon.id,
        contract_id=contract.id,
        redeemed_on=day,
        ends_on=ends_on(terms, day),
        status=RedemptionStatus.ACTIVE.value,
        removed_on=None,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(redemption)
    ctx.session.flush()
    record(ctx, "redeem", "coupon_redemption", redemption.id, None, snapshot(redemption))
    return redemption


def _take_one(ctx: Ctx, coupon: Coupon) -> None:
    stmt = (
        update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.organization_id == ctx.organization_id)
        .values(redemptions_count=Coupon.redemptions_count + 1, updated_at=ctx.clock.now())
    )
    if coupon.max_redemptions is not None:
        stmt = stmt.where(Coupon.redemptions_count < Coupon.max_redemptions)
    result = ctx.session.execute(stmt.execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"coupon '{coupon.code}' has reached its limit of {coupon.max_redemptions} redemptions"
        )
    ctx.session.refresh(coupon)


def get_redemption(ctx: Ctx, contract_id: str, redemption_id: str) -> CouponRedemption:
    contract = _contract(ctx, contract_id)
    if not _searchable(redemption_id):
        raise NotFound("coupon redemption not found")
    redemption: CouponRedemption = get_scoped(
        ctx.session, CouponRedemption, ctx.organization_id, redemption_id
    )
    if redemption.contract_id != contract.id:
        raise NotFound(f"coupon redemption '{redemption_id}' not found on this contract")
    return redemption


def remove_redemption(ctx: Ctx, contract_id: str, redemption_id: str) -> CouponRedemption:
    """Stops the discount on invoices built from now on; lines already stored stay."""
    ctx.require(Permission.WRITE_BILLING)
    redemption = get_redemption(ctx, contract_id, redemption_id)
    if redemption.status != RedemptionStatus.REMOVED.value:
        before = snapshot(redemption)
        redemption.status = RedemptionStatus.REMOVED.value
        redemption.removed_on = contract_store.today(ctx)
        redemption.updated_at = ctx.clock.now()
        ctx.session.flush()
        old, new = changed_only(before, snapshot(redemption))
        record(ctx, "remove", "coupon_redemption", redemption.id, old, new)
    return redemption


# --- discounts typed on a draft invoice --------------------------------------------------------

DISCOUNT_SOURCE = "discount"


def add_invoice_discount(
    ctx: Ctx,
    invoice_id: str,
    kind: InvoiceDiscountKind | str,
    value: Decimal | str,
    description: str = "",
) -> list[InvoiceLine]:
    """Adds a discount over every line of a draft: one negative line per VAT rate.

    Refused (409) on an invoice that is no longer a draft; the totals are priced again from the
    stored lines (`service_drafts.recompute_totals`).
    """
    invoice = editable_draft(ctx, invoice_id)
    errors = ErrorCollector()
    discount_kind = _enum(InvoiceDiscountKind, kind, "kind", errors)
    amount = _decimal(value, "value", errors)
    text = (description or "").strip()
    if len(text) > 200:
        errors.add("description", "at most 200 characters")
    if discount_kind is not None and amount is not None:
        check_terms(
            CouponTerms(
                kind=discount_kind,
                value=amount,
                currency=invoice.currency if discount_kind is InvoiceDiscountKind.FIXED else None,
                duration=CouponDuration.ONCE,
                duration_months=None,
            ),
            errors,
        )
    errors.raise_if_any("The discount has invalid fields")
    assert discount_kind is not None and amount is not None
    lines = invoice_lines(ctx, invoice.id)
    org = ctx.session.get_one(Organization, ctx.organization_id)
    mode = RoundingMode(org.rounding_mode)
    money = currency(invoice.currency)
    parts = invoice_discount(
        [CoveredLine(line.net_amount, line.vat_rate) for line in lines],
        discount_kind,
        amount,
        money,
        mode,
    )
    if not parts:
        raise Conflict(f"invoice '{invoice.id}' has nothing left to discount")
    label = text or describe_discount(discount_kind, amount, invoice.currency)
    position = max((row.position for row in lines), default=0)
    group = new_id("dsc")
    added: list[InvoiceLine] = []
    for part in parts:
        position += 1
        category = next(
            (row.vat_category for row in lines if row.vat_rate == part.vat_rate), "standard"
        )
        line = InvoiceLine(
            id=new_id("inl"),
            organization_id=ctx.organization_id,
            invoice_id=invoice.id,
            position=position,
            source=DISCOUNT_SOURCE,
            contract_id=None,
            contract_version=None,
            line_key=f"discount:{group}:{format(part.vat_rate.normalize(), 'f')}",
            product_id=None,
            kind="discount",
            adjustment=False,
            period_start=None,
            period_end=None,
            full_period_start=None,
            full_period_end=None,
            due_on=None,
            quantity=Decimal(1),
            unit_price=-part.amount,
            exact_net=str(-part.amount),
            discount_amount=Decimal(0),
            net_amount=-part.amount,
            vat_rate=part.vat_rate,
            vat_category=category,
            price_source=DISCOUNT_SOURCE,
            discounts=[{"kind": discount_kind.value, "value": str(amount)}],
            amendment_id=None,
            description=label,
        )
        ctx.session.add(line)
        added.append(line)
    ctx.session.flush()
    before = {
        "net_total": str(invoice.net_total),
        "vat_total": str(invoice.vat_total),
        "gross_total": str(invoice.gross_total),
    }
    recompute_totals(ctx, invoice)
    record(
        ctx,
        "add_discount",
        "invoice",
        invoice.id,
        before,
        {
            "lines": [snapshot(line) for line in added],
            "net_total": str(invoice.net_total),
            "vat_total": str(invoice.vat_total),
            "gross_total": str(invoice.gross_total),
        },
    )
    return added


def describe_discount(kind: InvoiceDiscountKind, value: Decimal, currency_code: str) -> str:
    if kind is InvoiceDiscountKind.PERCENTAGE:
        return f"Discount (-{format(value.normalize(), 'f')} %)"
    return f"Discount (-{round_to_minor_unit(value, currency(currency_code))} {currency_code})"
