"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import URL
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tarif.errors import TarifError

PROBLEM_CONTENT_TYPE = "application/problem+json"
log = logging.getLogger("tarif.api")

PROBLEM_TYPES = {
    "bad-request": "The request could not be understood.",
    "validation-error": "One or more fields are invalid; `errors` names each one.",
    "not-found": "No such object in your organization.",
    "conflict": "The request conflicts with the current state (duplicate, in use, in flight).",
    "unauthorized": "Missing, invalid or revoked credentials.",
    "forbidden": "Your role does not allow this action.",
    "method-not-allowed": "This resource does not support that HTTP method.",
    "idempotency-key-reused": "The Idempotency-Key was already used with a different request.",
    "payload-too-large": "The body, its number of items or a field is larger than allowed.",
    "internal-error": "An unexpected error; nothing was written.",
}


def problem_type(slug: str) -> str:
    return f"/problems/{slug}"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _pointer(parts: Sequence[str | int]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        where = loc[0] if loc else "body"
        path = [p for p in loc[1:]]
        # Pydantic adds the tagged-union or function names to locations; keep field names only.
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        if err.get("type") == "json_invalid":
            # The location's second part is a character offset, not a field: the body is bad.
            reason = (err.get("ctx") or {}).get("error", "")
            message = f"is not valid JSON: {reason}" if reason else "is not valid JSON"
            path = []
        item: dict[str, Any] = {"detail": message}
        if where == "body":
            item["pointer"] = _pointer(path) if path else "/"
        else:
            item["parameter"] = ".".join(str(p) for p in path) or str(where)
            item["in"] = where
        item["field"] = ".".join(str(p) for p in path) if path else str(where)
        out.append(item)
    return out


def _is_page(request: Request) -> bool:
    """Back-office pages answer errors in HTML; everything under /v1 answers problem+json."""
    if request.url.path.startswith("/v1"):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem; `errors` names each bad field.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "detail"],
                "properties": {
                    "field": {"type": "string"},
                    "detail": {"type": "string"},
                    "pointer": {"type": "string"},
                    "parameter": {"type": "string"},
                    "in": {"type": "string"},
                },
            },
        },
    },
}


def _problem_answer(description: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}}}


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Publishes the errors the API really returns: problem+json, not FastAPI's default 422."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = _PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            answers = operation.setdefault("responses", {})
            answers["401"] = _problem_answer("Missing, invalid or revoked API key")
            answers["403"] = _problem_answer("The key's role does not allow this")
            answers["422"] = _problem_answer("Invalid input")
            if "{" in path:
                answers.setdefault("404", _problem_answer("No such object in your organization"))
            if method != "get":
                answers.setdefault("409", _problem_answer("Conflicts with the current state"))
    return document


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (Starlette names only the first route's),
    found by asking the routes themselves, whatever their nesting."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install_problem_handlers(app: FastAPI) -> None:
    from tarif.web.auth import LoginRequired

    generate_openapi = app.openapi

    def openapi_with_problems() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate_openapi())
        return app.openapi_schema

    app.openapi = openapi_with_problems  # type: ignore[method-assign]

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Any:
        url = request.url
        if request.headers.get("hx-request"):
            # Back to the page the user was on, not to the fragment htmx asked for.
            url = URL(request.headers.get("hx-current-url") or "/")
        wanted = url.path + (f"?{url.query}" if url.query else "")
        target = "/login?next=" + quote(wanted, safe="/")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(TarifError)
    async def _tarif_error(request: Request, exc: TarifError) -> Any:
        if _is_page(request):
            from tarif.web.templating import render

            return render(
                request, "error.html", {"title": exc.title, "detail": exc.detail}, exc.status
            )
        errors = [
            {"pointer": _pointer(e.field.split(".")), "field": e.field, "detail": e.message}
            for e in exc.errors
        ]
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(
            exc.status, exc.type_slug, exc.title, exc.detail, errors, request.url.path, headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['detail']}" for e in errors[:5])
        return problem_response(
            422,
            "validation-error",
            "Invalid input",
            f"Invalid request: {summary}",
            errors,
            request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        slug = {
            404: "not-found",
            405: "method-not-allowed",
            401: "unauthorized",
            403: "forbidden",
            409: "conflict",
        }.get(exc.status_code, "bad-request")
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        if _is_page(request):
            from tarif.web.templating import render

            title = slug.replace("-", " ").capitalize()
            return render(
                request, "error.html", {"title": title, "detail": detail}, exc.status_code
            )
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(
            exc.status_code,
            slug,
            detail,
            detail,
            None,
            request.url.path,
            headers or None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "internal-error",
            "Internal error",
            "An unexpected error occurred; the request was rolled back.",
            None,
            request.url.path,
        )
