"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def _pointer(parts: list[str | int]) -> str:
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
    return not request.url.path.startswith("/v1") and "text/html" in request.headers.get(
        "accept", ""
    )


def install_problem_handlers(app: FastAPI) -> None:
    from tarif.web.auth import LoginRequired

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Any:
        target = "/login?next=" + quote(request.url.path)
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
        return problem_response(
            exc.status_code,
            slug,
            detail,
            detail,
            None,
            request.url.path,
            dict(exc.headers) if exc.headers else None,
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
