"""The Jinja2 environment of the back office, with translation and money/date filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from tarif.money import Money, format_money
from tarif.tenancy.rules import Permission, Role, can
from tarif.web.i18n import translate

_TEMPLATE_DIRS: list[Path] = [Path(__file__).parent / "templates"]


def add_template_dir(path: Path) -> None:
    """Capability packages keep their templates beside their code and register the folder."""
    if path not in _TEMPLATE_DIRS:
        _TEMPLATE_DIRS.append(path)
        templates.env.loader.searchpath.append(str(path))  # type: ignore[union-attr]


templates = Jinja2Templates(directory=[str(p) for p in _TEMPLATE_DIRS])

_BABEL = {"fr": "fr_FR", "en": "en_US"}


def _money(value: Decimal | str | None, currency_code: str, locale: str = "fr") -> str:
    if value is None:
        return ""
    return format_money(Money.of(value, currency_code), locale)


def _date(value: date | datetime | None, locale: str = "fr") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "short", locale=_BABEL.get(locale, locale))
    return format_date(value, "short", locale=_BABEL.get(locale, locale))


def _quantity(value: Decimal | str | None) -> str:
    # `Decimal.normalize()` alone prints 50000 as `5E+4`: always plain digits.
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


templates.env.filters["money"] = _money
templates.env.filters["date"] = _date
templates.env.filters["quantity"] = _quantity


def locale_of(request: Request) -> str:
    return str(request.state.__dict__.get("locale") or request.session.get("locale") or "fr")


def _permission_check(user: Any) -> Callable[[str], bool]:
    """`can("manage:settings")` in templates: hide what the signed-in role may not do."""

    def allowed(permission: str) -> bool:
        return user is not None and can(Role(user.role), Permission(permission))

    return allowed


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    locale = locale_of(request)
    user = getattr(request.state, "user", None)
    base: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "_": lambda text: translate(locale, text),
        "csrf_token": request.session.get("csrf_token", ""),
        "user": user,
        "can": _permission_check(user),
    }
    base.update(context or {})
    return templates.TemplateResponse(request, name, base, status_code=status_code)
