"""Domain errors shared by every capability; the API turns them into RFC 9457 problems."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One bad field: `field` is a dotted path ("address.country"), shown as a JSON pointer."""

    field: str
    message: str


class TarifError(Exception):
    status = 400
    type_slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(TarifError):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(TarifError):
    status = 409
    type_slug = "conflict"
    title = "Conflict"


class InvalidInput(TarifError):
    status = 422
    type_slug = "validation-error"
    title = "Invalid input"

    @classmethod
    def on(cls, field_name: str, message: str) -> InvalidInput:
        return cls(f"{field_name}: {message}", [FieldError(field_name, message)])


class Forbidden(TarifError):
    status = 403
    type_slug = "forbidden"
    title = "Forbidden"


class Unauthorized(TarifError):
    status = 401
    type_slug = "unauthorized"
    title = "Unauthorized"


@dataclass
class ErrorCollector:
    """Collects field errors so one call reports every problem at once (Beancount style)."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.errors.append(FieldError(field_name, message))

    def raise_if_any(self, detail: str = "The request has invalid fields") -> None:
        if self.errors:
            summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
            raise InvalidInput(f"{detail}: {summary}", list(self.errors))
