"""The API as its OpenAPI document describes it: operations, their parameters and minimal bodies.

The isolation suite reads the routes from here rather than from a list of its own, so a route
added later is walked without anyone remembering to add it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
# Fields named like references that are the object's own identifier, not a pointer to another
# object: a tenant may reuse another tenant's value freely.
NOT_REFERENCES = frozenset({"external_id", "transaction_id"})  # own keys, not links
SOME_DAY = "2026-02-01"


class MissingReference(LookupError):
    """A body or path needs an id the tenant does not have (yet)."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def query_params(self) -> dict[str, Mapping[str, Any]]:
        return {p["name"]: p for p in self.spec.get("parameters", []) if p["in"] == "query"}

    @property
    def json_schema(self) -> Mapping[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        return content.get("application/json", {}).get("schema")

    def url(self, values: Mapping[str, str]) -> str:
        return PARAM.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.path)


def operations(doc: Mapping[str, Any], prefix: str = "/v1") -> list[Operation]:
    return [
        Operation(method.upper(), path, item[method])
        for path, item in doc["paths"].items()
        if path.startswith(prefix + "/")
        for method in HTTP_METHODS
        if method in item
    ]


def item_param(collection: str, paths: list[str]) -> str | None:
    """The path parameter naming one object of a collection: `customer_id` for `/v1/customers`
    because `/v1/customers/{customer_id}` exists."""
    for path in paths:
        if path.startswith(collection + "/{"):
            found = PARAM.match(path, len(collection) + 1)
            if found:
                return found.group(1)
    return None


Refs = Callable[[str], Any]


class Schemas:
    """Reads request schemas and makes the smallest body they accept."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.components: Mapping[str, Any] = doc.get("components", {}).get("schemas", {})

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def properties(self, schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        schema = self.resolve(schema)
        props = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            props |= self.properties(part)
        return props

    def required(self, schema: Mapping[str, Any]) -> list[str]:
        schema = self.resolve(schema)
        names = list(schema.get("required", []))
        for part in schema.get("allOf", []):
            names += self.required(part)
        return names

    def example(self, schema: Mapping[str, Any], refs: Refs, mark: str, name: str = "") -> Any:
        """A value the schema accepts: required fields only, ids taken from `refs`."""
        schema = self.resolve(schema)
        variants = schema.get("anyOf") or schema.get("oneOf")
        if variants:
            concrete = [v for v in variants if self.resolve(v).get("type") != "null"]
            return self.example((concrete or variants)[0], refs, mark, name)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        if name.endswith("_id") and name not in NOT_REFERENCES:
            return refs(name)
        if schema.get("examples"):
            return schema["examples"][0]
        kind = schema.get("type", "object")
        if kind == "object" or "allOf" in schema:
            props = self.properties(schema)
            return {
                field: self.example(props.get(field, {}), refs, mark, field)
                for field in self.required(schema)
            }
        if kind == "array":
            count = schema.get("minItems", 0)
            return [self.example(schema.get("items", {}), refs, mark, name)] * count
        if kind == "integer":
            return max(1, schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
        if kind == "number":
            return max(1, schema.get("minimum", 1))
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return self._text(schema, mark, name)

    @staticmethod
    def _text(schema: Mapping[str, Any], mark: str, name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            return SOME_DAY
        if fmt == "date-time":
            return f"{SOME_DAY}T00:00:00Z"
        known = {"currency": "EUR", "country": "FR", "locale": "fr", "language": "fr"}
        if name in known:
            return known[name]
        if "email" in name:
            return f"{mark}-{name}@example.com"
        text = f"{mark}-{name or 'text'}"
        text = text[: schema.get("maxLength", len(text))]
        return text.ljust(schema.get("minLength", 0), "x")

    def reference_fields(self, schema: Mapping[str, Any] | None, known: set[str]) -> list[str]:
        """Top-level body fields that point at another object the tenant may hold."""
        if schema is None:
            return []
        return sorted(name for name in self.properties(schema) if is_reference(name, known))


def is_reference(name: str, known: set[str]) -> bool:
    return name in known and name not in NOT_REFERENCES


def nested_references(body: Any, known: set[str], path: tuple[Any, ...] = ()) -> Iterator[Any]:
    """Where a concrete body holds a reference below its top level (a contract's lines…)."""
    if isinstance(body, dict):
        for key, value in body.items():
            if path and is_reference(key, known):
                yield (*path, key)
            yield from nested_references(value, known, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from nested_references(value, known, (*path, index))
