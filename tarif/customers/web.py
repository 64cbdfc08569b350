"""Back-office pages of customers: list with search, detail, create/edit forms, contacts."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.service import events_for_object
from tarif.catalog.models import Pricelist
from tarif.context import Ctx
from tarif.customers import service
from tarif.customers.models import Customer
from tarif.customers.rules import CustomerKind, TaxStatus, TaxTreatment, tax_mention
from tarif.customers.web_i18n import FRENCH, localize_error
from tarif.db.repository import PageRequest, scoped
from tarif.errors import Conflict, InvalidInput
from tarif.legal_ids import check_country
from tarif.tenancy.rules import Permission
from tarif.web.auth import WebCtx
from tarif.web.forms import field_errors, form_data
from tarif.web.i18n import register
from tarif.web.templating import add_template_dir, locale_of, render

add_template_dir(Path(__file__).parent / "templates")
register("fr", FRENCH)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
NEW, EDIT = "New customer", "Edit customer"
TEXT_FIELDS = (
    "external_id",
    "legal_name",
    "kind",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "state",
    "country",
    "vat_number",
    "siren",
    "siret",
    "invoice_emails",
    "currency",
    "language",
    "timezone",
    "payment_terms_days",
    "tax_status",
    "pricelist_id",
    "notes",
)
CONTACT_FIELDS = ("name", "role", "email", "phone")
TREATMENT_LABELS = {
    TaxTreatment.STANDARD: "VAT charged",
    TaxTreatment.REVERSE_CHARGE: "Reverse charge (0 %)",
    TaxTreatment.EXPORT: "Export: no VAT",
    TaxTreatment.EXEMPT: "VAT exempt",
}
_METADATA_LINE = re.compile(r"^\s*([^=]+?)\s*=(.*)$")


def _is_country(code: str) -> bool:
    try:
        return check_country(code) == code
    except ValueError:
        return False


@cache
def _countries(locale: str) -> list[tuple[str, str]]:
    names = Locale.parse({"fr": "fr_FR"}.get(locale, "en_US")).territories
    codes = (c for c in names if isinstance(c, str) and _is_country(c))
    return sorted(((c, f"{names[c]} ({c})") for c in codes), key=lambda item: item[1])


# --- form values -----------------------------------------------------------------------------


def _metadata_text(metadata: dict[str, str] | None) -> str:
    return "\n".join(f"{k}={v}" for k, v in (metadata or {}).items())


def _parse_metadata(text: str) -> dict[str, str]:
    """`key=value` lines; blank lines are skipped, anything else is a field error."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _METADATA_LINE.match(line)
        if match is None:
            raise InvalidInput.on("metadata", f"line {number} is not key=value")
        out[match.group(1)] = match.group(2).strip()
    return out


def _customer_values(form: dict[str, str]) -> dict[str, Any]:
    """The form as service values: a blank box is "no value", an unticked box is false."""
    values: dict[str, Any] = {
        name: (form.get(name, "").strip() or None) for name in TEXT_FIELDS if name in form
    }
    values["payment_terms_end_of_month"] = form.get("payment_terms_end_of_month") == "on"
    if "metadata" in form:
        values["metadata"] = _parse_metadata(form["metadata"])
    return values


def _form_of(customer: Customer) -> dict[str, Any]:
    values = service.values_of(customer)
    values["invoice_emails"] = ", ".join(customer.invoice_emails or [])
    values["metadata"] = _metadata_text(customer.custom_metadata)
    return values


def _errors(request: Request, exc: InvalidInput | Conflict) -> dict[str, str]:
    """Per-field messages in the page's language; `invoice_emails.1` shows under its box."""
    locale = locale_of(request)
    out: dict[str, str] = {}
    for name, message in field_errors(exc).items():
        out.setdefault(name.split(".")[0], localize_error(locale, message))
    return out


# --- pages -----------------------------------------------------------------------------------


def _form_context(ctx: Ctx, request: Request, **extra: Any) -> dict[str, Any]:
    pricelists = ctx.session.scalars(
        scoped(Pricelist, ctx.organization_id).order_by(Pricelist.name)
    )
    return {
        "countries": _countries(locale_of(request)),
        "pricelists": [(p.id, f"{p.name} ({p.currency})") for p in pricelists],
        **extra,
    }


@router.get("/customers")
def customers_page(
    request: Request,
    ctx: WebCtx,
    q: str | None = None,
    starting_after: str | None = None,
    archived: str | None = None,
) -> Response:
    show_archived = archived == "1"
    page = service.list_customers(
        ctx,
        PageRequest(limit=PAGE_SIZE, starting_after=starting_after, q=q),
        archived=None if show_archived else False,
    )
    seller = service.organization(ctx).country
    query = {k: v for k, v in (("q", q), ("archived", "1" if show_archived else None)) if v}
    context = {
        "page": page,
        "rows": [(c, service.treatment_of(c, seller)) for c in page.items],
        "q": q or "",
        "show_archived": show_archived,
        "first_url": "/customers" + (f"?{urlencode(query)}" if query else ""),
        "next_url": (
            "/customers?" + urlencode(query | {"starting_after": page.next_cursor})
            if page.has_more
            else None
        ),
        "is_first_page": not starting_after,
        "labels": TREATMENT_LABELS,
    }
    if request.headers.get("hx-target") == "customer-results":
        return render(request, "customers/_results.html", context)
    return render(request, "customers/list.html", context)


@router.get("/customers/new")
def new_customer_page(request: Request, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_CUSTOMERS)  # a form one may not send is not shown
    org = service.organization(ctx)
    values = {
        "country": org.country,
        "kind": CustomerKind.COMPANY.value,
        "currency": org.default_currency,
        "language": org.locale,
        "timezone": org.timezone,
        "payment_terms_days": 30,
        "tax_status": TaxStatus.STANDARD.value,
    }
    return render(
        request,
        "customers/form.html",
        _form_context(ctx, request, values=values, errors={}, customer=None, title=NEW),
    )


@router.post("/customers/new")
async def create_customer(request: Request, ctx: WebCtx) -> Response:
    form = await form_data(request)
    try:
        customer = service.create_customer(ctx, _customer_values(form))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        errors = _errors(request, exc)
        context = _form_context(ctx, request, values=form, errors=errors, customer=None, title=NEW)
        return render(request, "customers/form.html", context, 422)
    return RedirectResponse(f"/customers/{customer.id}?saved=1", status_code=303)


def _detail(
    request: Request,
    ctx: Ctx,
    customer: Customer,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    seller = service.organization(ctx).country
    treatment = service.treatment_of(customer, seller)
    context = {
        "customer": customer,
        "treatment": treatment,
        "treatment_label": TREATMENT_LABELS[treatment],
        "mention": tax_mention(treatment, locale_of(request)),
        "contacts": service.all_contacts(ctx, customer.id),
        "audit_events": events_for_object(ctx, customer.id),
        "contact_values": {},
        "contact_errors": {},
        "problem": None,
        "saved": request.query_params.get("saved") == "1",
        "country_names": dict(_countries(locale_of(request))),
        **extra,
    }
    return render(request, "customers/detail.html", context, status_code)


@router.get("/customers/{customer_id}")
def customer_page(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    return _detail(request, ctx, service.get_customer(ctx, customer_id))


@router.get("/customers/{customer_id}/edit")
def edit_customer_page(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    customer = service.get_customer(ctx, customer_id)
    ctx.require(Permission.WRITE_CUSTOMERS)
    values = _form_of(customer)
    context = _form_context(ctx, request, values=values, errors={}, customer=customer, title=EDIT)
    return render(request, "customers/form.html", context)


@router.post("/customers/{customer_id}/edit")
async def edit_customer(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    customer = service.get_customer(ctx, customer_id)
    form = await form_data(request)
    try:
        service.update_customer(ctx, customer.id, _customer_values(form))
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        ctx.session.rollback()
        customer = service.get_customer(ctx, customer_id)
        errors = _errors(request, exc)
        context = _form_context(
            ctx, request, values=form, errors=errors, customer=customer, title=EDIT
        )
        return render(request, "customers/form.html", context, 422)
    return RedirectResponse(f"/customers/{customer.id}?saved=1", status_code=303)


@router.post("/customers/{customer_id}/archive")
def archive_customer(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    service.set_archived(ctx, customer_id, True)
    ctx.session.commit()
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


@router.post("/customers/{customer_id}/unarchive")
def unarchive_customer(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    service.set_archived(ctx, customer_id, False)
    ctx.session.commit()
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


@router.post("/customers/{customer_id}/delete")
def delete_customer(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    try:
        service.delete_customer(ctx, customer_id)
        ctx.session.commit()
    except Conflict as exc:
        ctx.session.rollback()
        customer = service.get_customer(ctx, customer_id)
        return _detail(request, ctx, customer, 409, problem=exc.detail)
    return RedirectResponse("/customers", status_code=303)


@router.post("/customers/{customer_id}/contacts")
async def add_contact(request: Request, customer_id: str, ctx: WebCtx) -> Response:
    customer = service.get_customer(ctx, customer_id)
    form = await form_data(request)
    values = {name: form.get(name, "").strip() or None for name in CONTACT_FIELDS}
    try:
        service.add_contact(ctx, customer.id, values)
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        customer = service.get_customer(ctx, customer_id)
        errors = _errors(request, exc)
        return _detail(request, ctx, customer, 422, contact_values=form, contact_errors=errors)
    return RedirectResponse(f"/customers/{customer.id}#contacts", status_code=303)


def _contact_form(
    request: Request,
    ctx: Ctx,
    customer_id: str,
    contact_id: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    customer = service.get_customer(ctx, customer_id)
    contact = service.get_contact(ctx, customer.id, contact_id)
    defaults = {name: getattr(contact, name) or "" for name in CONTACT_FIELDS}
    context = {
        "customer": customer,
        "contact": contact,
        "values": values if values is not None else defaults,
        "errors": errors or {},
    }
    return render(request, "customers/contact_form.html", context, status_code)


@router.get("/customers/{customer_id}/contacts/{contact_id}/edit")
def edit_contact_page(request: Request, customer_id: str, contact_id: str, ctx: WebCtx) -> Response:
    ctx.require(Permission.WRITE_CUSTOMERS)
    return _contact_form(request, ctx, customer_id, contact_id)


@router.post("/customers/{customer_id}/contacts/{contact_id}/edit")
async def edit_contact(
    request: Request, customer_id: str, contact_id: str, ctx: WebCtx
) -> Response:
    form = await form_data(request)
    # Every box of the form is sent: an emptied box clears the value.
    changes = {name: form.get(name, "").strip() or None for name in CONTACT_FIELDS}
    try:
        service.update_contact(ctx, customer_id, contact_id, changes)
        ctx.session.commit()
    except InvalidInput as exc:
        ctx.session.rollback()
        errors = _errors(request, exc)
        return _contact_form(request, ctx, customer_id, contact_id, form, errors, 422)
    return RedirectResponse(f"/customers/{customer_id}#contacts", status_code=303)


@router.post("/customers/{customer_id}/contacts/{contact_id}/delete")
def remove_contact(request: Request, customer_id: str, contact_id: str, ctx: WebCtx) -> Response:
    service.remove_contact(ctx, customer_id, contact_id)
    ctx.session.commit()
    return RedirectResponse(f"/customers/{customer_id}#contacts", status_code=303)
