"""REST routes of tenancy: the organization's settings, users and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from tarif.api.deps import CtxDep, PageDep
from tarif.api.schemas import ListResponse
from tarif.tenancy import documents, service
from tarif.tenancy.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    OrganizationRead,
    OrganizationUpdate,
    UserCreate,
    UserRead,
)

router = APIRouter(tags=["organization"])


@router.get("/organization", response_model=OrganizationRead)
def read_organization(ctx: CtxDep) -> OrganizationRead:
    return OrganizationRead.model_validate(service.get_organization(ctx))


@router.patch("/organization", response_model=OrganizationRead)
def update_organization(body: OrganizationUpdate, ctx: CtxDep) -> OrganizationRead:
    org = service.update_organization(ctx, body.model_dump(exclude_unset=True))
    ctx.session.commit()
    return OrganizationRead.model_validate(org)


_LOGO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in documents.LOGO_MEDIA_TYPES
        },
    }
}


async def _logo_body(request: Request) -> bytes:
    return await request.body()


@router.put("/organization/logo", response_model=OrganizationRead, openapi_extra=_LOGO_BODY)
def put_logo(content: Annotated[bytes, Depends(_logo_body)], ctx: CtxDep) -> OrganizationRead:
    """The logo printed on documents finalized from now on: the image itself as the body
    (PNG, JPEG or SVG, at most 512 KB). Issued documents keep the logo they were finalized with."""
    org = documents.set_logo(ctx, content)
    ctx.session.commit()
    return OrganizationRead.model_validate(org)


@router.delete("/organization/logo", response_model=OrganizationRead)
def delete_logo(ctx: CtxDep) -> OrganizationRead:
    org = documents.remove_logo(ctx)
    ctx.session.commit()
    return OrganizationRead.model_validate(org)


@router.get("/api-keys", response_model=ListResponse[ApiKeyRead])
def list_api_keys(ctx: CtxDep, page: PageDep) -> ListResponse[ApiKeyRead]:
    """The keys, revoked ones included; never their secrets. `q` matches name and prefix."""
    result = service.page_api_keys(ctx, page)
    return ListResponse(
        data=[ApiKeyRead.model_validate(k) for k in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyCreate, ctx: CtxDep) -> ApiKeyCreated:
    issued = service.create_api_key(ctx, name=body.name, role=body.role)
    ctx.session.commit()
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(issued.api_key).model_dump(), "secret": issued.secret}
    )


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyRead)
def revoke_api_key(key_id: str, ctx: CtxDep) -> ApiKeyRead:
    key = service.revoke_api_key(ctx, key_id)
    ctx.session.commit()
    return ApiKeyRead.model_validate(key)


@router.get("/users", response_model=ListResponse[UserRead])
def list_users(ctx: CtxDep, page: PageDep) -> ListResponse[UserRead]:
    """Back-office users; `q` matches e-mail and name."""
    result = service.page_users(ctx, page)
    return ListResponse(
        data=[UserRead.model_validate(u) for u in result.items],
        has_more=result.has_more,
        next_cursor=result.next_cursor,
    )


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, ctx: CtxDep) -> UserRead:
    user = service.create_user(
        ctx,
        email=body.email,
        name=body.name,
        password=body.password,
        role=body.role,
        locale=body.locale,
    )
    ctx.session.commit()
    return UserRead.model_validate(user)
