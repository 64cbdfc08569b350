"""The back office's own pages: login, dashboard, settings, API keys, audit log, empty rooms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tarif.audit.models import AuditEvent
from tarif.db.repository import scoped
from tarif.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from tarif.tenancy import service as tenancy
from tarif.tenancy.rules import Role
from tarif.web.auth import WebCtx, check_csrf, ensure_csrf_token
from tarif.web.forms import blank_to_none, field_errors, form_data
from tarif.web.i18n import SUPPORTED_LOCALES
from tarif.web.templating import render

router = APIRouter(include_in_schema=False)

# Rooms that later capabilities fill; the navigation shows the whole product from day one.
EMPTY_ROOMS = {
    "usage": "Usage",
    "revenue": "Revenue",
    "crm": "CRM",
    "payments": "Payments",
}


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login would help phishing. Browsers read "/\\"
    # like "//", the start of another host.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    ensure_csrf_token(request)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ensure_csrf_token(request)
    try:
        await check_csrf(request)
    except Forbidden:
        # A forged or stale form: refuse it, and offer a fresh form to try again.
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": "Your session expired; please try again."},
            403,
        )
    with request.app.state.session_factory() as session:
        try:
            user = tenancy.authenticate_user(session, request.app.state.clock, email, password)
        except Unauthorized:
            return render(
                request,
                "login.html",
                {"next": _safe_next(next), "error": "Wrong e-mail or password", "email": email},
                401,
            )
        session.commit()
        user_id = user.id
        # A language picked on the login page wins over the profile's for this session.
        locale = request.session.get("locale") or user.locale
    request.session.clear()  # a fresh session (and CSRF token) at login: no session fixation
    request.session["user_id"] = user_id
    if locale:
        request.session["locale"] = locale
    ensure_csrf_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    if code in SUPPORTED_LOCALES:
        request.session["locale"] = code
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/")
def dashboard(request: Request, ctx: WebCtx) -> Response:
    return render(request, "dashboard.html", {"rooms": EMPTY_ROOMS})


@router.get("/settings")
def settings_page(request: Request, ctx: WebCtx) -> Response:
    org = tenancy.get_organization(ctx)
    return render(request, "settings.html", {"org": org, "values": None, "errors": {}})


@router.post("/settings")
async def save_settings(request: Request, ctx: WebCtx) -> Response:
    values = blank_to_none(await form_data(request))
    values = {k: v for k, v in values.items() if k in tenancy.ORGANIZATION_FIELDS}
    try:
        org = tenancy.update_organization(ctx, values)
        ctx.session.commit()
    except InvalidInput as exc:  # a refusal (Forbidden) is not a form error: it gets its page
        org = tenancy.get_organization(ctx)
        return render(
            request,
            "settings.html",
            {"org": org, "values": values, "errors": field_errors(exc)},
            422,
        )
    request.state.organization = org
    return render(
        request, "settings.html", {"org": org, "values": None, "errors": {}, "saved": True}
    )


@router.get("/settings/api-keys")
def api_keys_page(request: Request, ctx: WebCtx) -> Response:
    return render(
        request,
        "api_keys.html",
        {
            "keys": tenancy.list_api_keys(ctx),
            "roles": Role,
            "issued": None,
            "errors": {},
            "values": {},
        },
    )


@router.post("/settings/api-keys")
async def create_api_key(request: Request, ctx: WebCtx) -> Response:
    values = await form_data(request)
    errors: dict[str, str] = {}
    issued = None
    role = values.get("role", Role.ADMIN.value)
    try:
        if role not in {r.value for r in Role}:
            raise InvalidInput.on("role", f"unknown role '{role}'")
        issued = tenancy.create_api_key(ctx, name=values.get("name", ""), role=Role(role))
        ctx.session.commit()
    except InvalidInput as exc:
        errors = field_errors(exc)
    return render(
        request,
        "api_keys.html",
        {
            "keys": tenancy.list_api_keys(ctx),
            "roles": Role,
            "issued": issued,
            "errors": errors,
            "values": {} if issued else values,
        },
        201 if issued else 422,
    )


@router.post("/settings/api-keys/{key_id}/revoke")
def revoke_api_key(request: Request, key_id: str, ctx: WebCtx) -> Response:
    tenancy.revoke_api_key(ctx, key_id)
    ctx.session.commit()
    return RedirectResponse("/settings/api-keys", status_code=303)


@router.get("/settings/users")
def users_page(request: Request, ctx: WebCtx) -> Response:
    return render(
        request, "users.html", {"users": tenancy.list_users(ctx), "errors": {}, "values": {}}
    )


@router.post("/settings/users")
async def create_user(request: Request, ctx: WebCtx) -> Response:
    values = await form_data(request)
    role = values.get("role", Role.READ_ONLY.value)
    try:
        if role not in {r.value for r in Role}:
            raise InvalidInput.on("role", f"unknown role '{role}'")
        tenancy.create_user(
            ctx,
            email=values.get("email", ""),
            name=values.get("name", ""),
            password=values.get("password", ""),
            role=Role(role),
            locale=values.get("locale") or None,
        )
        ctx.session.commit()
    except (InvalidInput, Conflict) as exc:
        values.pop("password", None)  # never echoed back into the page
        return render(
            request,
            "users.html",
            {"users": tenancy.list_users(ctx), "errors": field_errors(exc), "values": values},
            422 if isinstance(exc, InvalidInput) else 409,
        )
    return RedirectResponse("/settings/users", status_code=303)


@router.get("/audit")
def audit_page(request: Request, ctx: WebCtx, object_id: str | None = None) -> Response:
    stmt = scoped(AuditEvent, ctx.organization_id)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    events = list(ctx.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(200)))
    return render(request, "audit.html", {"events": events})


def _empty_room(slug: str, title: str) -> None:
    def page(request: Request, ctx: WebCtx) -> Response:
        return render(request, "empty_room.html", {"title": title})

    router.add_api_route(f"/{slug}", page, methods=["GET"], name=f"room_{slug}")


for _slug, _title in EMPTY_ROOMS.items():
    _empty_room(_slug, _title)
