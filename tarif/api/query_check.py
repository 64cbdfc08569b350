"""Unknown query parameters are refused, as unknown body fields are.

A typo such as `GET /v1/invoices?stauts=draft` would otherwise list every invoice, and the caller
would not know the filter was dropped. Each /v1 route's accepted query parameters are read once
from its declared dependencies (its own and shared ones such as paging).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

_ACCEPTED: dict[int, frozenset[str]] = {}


def _accepted(route: Any) -> frozenset[str] | None:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    key = id(route)
    names = _ACCEPTED.get(key)
    if names is None:
        names = _ACCEPTED[key] = frozenset(_query_names(dependant))
    return names


def _query_names(dependant: Any) -> list[str]:
    """The query parameters of a dependant and of its sub-dependencies."""
    names = [param.alias for param in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


def refuse_unknown_query(request: Request) -> None:
    """A 422 naming each query parameter the route does not take."""
    accepted = _accepted(request.scope.get("route"))
    if accepted is None:
        return
    unknown = sorted(set(request.query_params) - accepted)
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "unknown_query_parameter",
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                }
                for name in unknown
            ]
        )
