"""Pydantic building blocks shared by every capability's API schemas."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from tarif.errors import FieldError, InvalidInput
from tarif.money import parse_decimal

T = TypeVar("T")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_nul(v) for v in value)
    return False


class StrictModel(BaseModel):
    """Request bodies: unknown fields are rejected, never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000; refused here, it is a 422 naming the field
        # on every backend instead of a database error.
        if _has_nul(value):
            raise ValueError("must not contain the NUL character (U+0000)")
        return value


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


DECIMAL_PATTERN = r"^-?[0-9]{1,14}(\.[0-9]{1,6})?$"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)


def _decimal_from_string(value: Any) -> Decimal:
    # Amounts travel as JSON strings; a JSON number would already have been through a float.
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('must be a decimal number written as a string, e.g. "12.50"')
    # The published pattern is enforced, so what the API accepts always fits the database's
    # NUMERIC(20, 6): no exponent, at most 14 digits before the point and 6 after.
    if not _DECIMAL_RE.fullmatch(value):
        raise ValueError(
            'must be a decimal string such as "12.50": an optional minus sign, at most 14 digits'
            " before the point and 6 after, no exponent"
        )
    return parse_decimal(value)


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


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """`model` built from plain data, or `InvalidInput` naming each bad field (`lines.0.x`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(
                ".".join(str(part) for part in e["loc"]) or "body",
                "unknown field"
                if e["type"] == "extra_forbidden"
                else e["msg"].removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidInput(f"Invalid input: {summary}", errors) from None
