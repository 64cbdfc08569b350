"""Helpers for HTML forms: reading fields and showing a service's field errors inline."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from tarif.errors import TarifError


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def field_errors(exc: TarifError) -> dict[str, str]:
    """Field name -> message; a message with no field goes under "" (shown above the form)."""
    errors: dict[str, str] = {}
    for err in exc.errors:
        errors.setdefault(err.field, err.message)
    if not errors:
        errors[""] = exc.detail
    return errors


def blank_to_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in values.items()}
