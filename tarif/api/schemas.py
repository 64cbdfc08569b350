"""Pydantic building blocks shared by every capability's API schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
)

from tarif.money import parse_decimal

T = TypeVar("T")


class StrictModel(BaseModel):
    """Request bodies: unknown fields are rejected, never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _decimal_from_string(value: Any) -> Decimal:
    # Amounts travel as JSON strings; a JSON number would already have been through a float.
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('must be a decimal number written as a string, e.g. "12.50"')
    try:
        return parse_decimal(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from exc


DECIMAL_PATTERN = r"^-?[0-9]{1,14}(\.[0-9]{1,6})?$"

DecimalString = Annotated[
    Decimal,
    BeforeValidator(_decimal_from_string),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["12.50"]}),
]


class ListResponse(BaseModel, Generic[T]):
    """A page of a list: follow `next_cursor` with `starting_after` while `has_more`."""

    object: str = "list"
    data: list[T]
    has_more: bool
    next_cursor: str | None = None
