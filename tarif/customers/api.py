"""REST routes of customers: `/v1/customers`, their contacts and the CSV import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.context import Ctx
from tarif.customers import service
from tarif.customers.csv_io import parse_csv
from tarif.customers.models import Customer
from tarif.customers.schemas import (
    ContactCreate,
    ContactRead,
    ContactUpdate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    ImportReportRead,
    ImportRowRead,
)
from tarif.errors import InvalidInput, TarifError

router = APIRouter(tags=["customers"])

CSV_MEDIA_TYPES = ("text/csv", "application/csv", "text/plain")


class UnsupportedMediaType(TarifError):
    status = 415
    type_slug = "bad-request"
    title = "Unsupported media type"


def _read(ctx: Ctx, customer: Customer) -> CustomerRead:
    return _reader(ctx)(customer)


def _reader(ctx: Ctx) -> Callable[[Customer], CustomerRead]:
    """Reads the seller's country once per request, not once per customer of a page."""
    seller_country = service.organization(ctx).country
    return lambda customer: CustomerRead.of(
        customer, service.treatment_of(customer, seller_country)
    )


@router.get("/customers", response_model=ListResponse[CustomerRead])
def list_customers(
    ctx: CtxDep,
    page: PageDep,
    country: Annotated[str | None, Query(max_length=2, description="ISO 3166 code")] = None,
    currency: Annotated[str | None, Query(max_length=3, description="ISO 4217 code")] = None,
    archived: Annotated[
        bool | None, Query(description="true: archived only; false: active only; absent: all")
    ] = None,
) -> ListResponse[CustomerRead]:
    """Customers in a stable order (creation order). `q` searches the external id, legal name,
    VAT number, invoice e-mails and contacts' e-mails."""
    result = service.list_customers(
        ctx, page, country=country, currency=currency, archived=archived
    )
    read = _reader(ctx)
    return ListResponse(
        data=[read(c) for c in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post("/customers", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
def create_customer(body: CustomerCreate, ctx: CtxDep) -> CustomerRead:
    customer = service.create_customer(ctx, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return _read(ctx, customer)


async def _csv_body(request: Request) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(f"send the file as text/csv, not '{media_type or 'nothing'}'")
    body = await request.body()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput.on("file", "is not UTF-8 text") from exc


_IMPORT_DOC = """Imports customers from a CSV file sent as the request body (`text/csv`, UTF-8).

Columns are the customer fields by their API names, plus `metadata.<key>` columns; a blank cell
means "not given"; `external_id` is required on every row. Every row is checked on its own:
rows with errors are **not** imported, the others are, and the report lists each row with its
status (`imported`, `updated`, `unchanged` or `error`) and messages. An external id that already
exists is an error, unless `update_existing=true`, which updates that customer with the row's
non-blank cells."""


@router.post(
    "/customers/import",
    response_model=ImportReportRead,
    description=_IMPORT_DOC,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "external_id,legal_name,country,vat_number\n"
                    "ACME-1,Acme GmbH,DE,DE136695976\n",
                }
            },
        }
    },
)
def import_customers(
    ctx: CtxDep,
    text: Annotated[str, Depends(_csv_body)],
    update_existing: Annotated[
        bool, Query(description="Update the customers whose external id exists")
    ] = False,
) -> ImportReportRead:
    report = service.import_customers(ctx, parse_csv(text), update_existing=update_existing)
    ctx.session.commit()
    return ImportReportRead(
        imported=report.count(service.RowStatus.IMPORTED),
        updated=report.count(service.RowStatus.UPDATED),
        unchanged=report.count(service.RowStatus.UNCHANGED),
        failed=report.failed,
        rows=[ImportRowRead.model_validate(r.as_dict()) for r in report.rows],
    )


@router.get("/customers/by-external-id/{external_id:path}", response_model=CustomerRead)
def read_customer_by_external_id(external_id: str, ctx: CtxDep) -> CustomerRead:
    return _read(ctx, service.get_by_external_id(ctx, external_id))


@router.get("/customers/{customer_id}", response_model=CustomerRead)
def read_customer(customer_id: str, ctx: CtxDep) -> CustomerRead:
    return _read(ctx, service.get_customer(ctx, customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerRead)
def update_customer(customer_id: str, body: CustomerUpdate, ctx: CtxDep) -> CustomerRead:
    customer = service.update_customer(ctx, customer_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return _read(ctx, customer)


@router.delete(
    "/customers/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={409: {"description": "Still referenced (contracts, invoices…): archive it"}},
)
def delete_customer(customer_id: str, ctx: CtxDep) -> Response:
    service.delete_customer(ctx, customer_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/customers/{customer_id}/archive", response_model=CustomerRead)
def archive_customer(customer_id: str, ctx: CtxDep) -> CustomerRead:
    customer = service.set_archived(ctx, customer_id, True)
    ctx.session.commit()
    return _read(ctx, customer)


@router.post("/customers/{customer_id}/unarchive", response_model=CustomerRead)
def unarchive_customer(customer_id: str, ctx: CtxDep) -> CustomerRead:
    customer = service.set_archived(ctx, customer_id, False)
    ctx.session.commit()
    return _read(ctx, customer)


# --- contacts --------------------------------------------------------------------------------


@router.get("/customers/{customer_id}/contacts", response_model=ListResponse[ContactRead])
def list_contacts(customer_id: str, ctx: CtxDep, page: PageDep) -> ListResponse[ContactRead]:
    result = service.list_contacts(ctx, customer_id, page)
    return ListResponse(
        data=[ContactRead.of(c) for c in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post(
    "/customers/{customer_id}/contacts",
    response_model=ContactRead,
    status_code=status.HTTP_201_CREATED,
)
def add_contact(customer_id: str, body: ContactCreate, ctx: CtxDep) -> ContactRead:
    contact = service.add_contact(ctx, customer_id, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return ContactRead.of(contact)


@router.patch("/customers/{customer_id}/contacts/{contact_id}", response_model=ContactRead)
def update_contact(
    customer_id: str, contact_id: str, body: ContactUpdate, ctx: CtxDep
) -> ContactRead:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    contact = service.update_contact(ctx, customer_id, contact_id, changes)
    ctx.session.commit()
    return ContactRead.of(contact)


@router.delete(
    "/customers/{customer_id}/contacts/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def remove_contact(customer_id: str, contact_id: str, ctx: CtxDep) -> Response:
    service.remove_contact(ctx, customer_id, contact_id)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
