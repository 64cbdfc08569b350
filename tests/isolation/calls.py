"""What the walks share: A's bodies for each operation, the mixes of A's and B's ids, and the
check that an answer is the 404 of a scoped lookup."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from httpx import Response

from tests.isolation.openapi import Operation, Schemas
from tests.isolation.world import CREATE_BODIES, Body, Ref, Side, new_mark

PROBLEM = "application/problem+json"

# Bodies A sends: valid, so that a 404 comes from scoping and never from validation. Operations
# not listed get the smallest body their schema accepts (creations get their CREATE_BODIES one).
OP_BODIES: dict[str, Body] = {
    "PATCH /v1/customers/{customer_id}": lambda mark: {"legal_name": f"{mark} Takeover SAS"},
    "POST /v1/customers/{customer_id}/contacts": lambda mark: {"name": f"{mark} Mallory"},
    "PATCH /v1/customers/{customer_id}/contacts/{contact_id}": lambda mark: {
        "name": f"{mark} Mallory"
    },
    "PATCH /v1/products/{product_id}": lambda mark: {"name_en": f"{mark} Takeover"},
    "PATCH /v1/pricelists/{pricelist_id}": lambda mark: {"name": f"{mark} Takeover"},
    "POST /v1/pricelists/{pricelist_id}/entries": lambda mark: {
        "product_id": Ref("product_id"),
        "unit_price": "1.00",
        "periodicity": "monthly",
        "timing": "in_advance",
    },
    "PATCH /v1/pricelists/{pricelist_id}/entries/{entry_id}": lambda mark: {"unit_price": "1.00"},
    "POST /v1/contract-templates/{template_id}/instantiate": lambda mark: {
        "customer_id": Ref("customer_id"),
        "reference": f"{mark}-T1",
        "parameters": {"start_date": "2026-02-01"},
    },
}


def body_for(op: Operation, side: Side, schemas: Schemas) -> Any:
    """A fresh, valid body for `op` whose references name `side`'s own objects."""
    mark = new_mark(side.label)
    key = str(op)
    if key in OP_BODIES:
        return side.fill(OP_BODIES[key](mark))
    if op.method == "POST" and op.path in CREATE_BODIES:
        return side.fill(CREATE_BODIES[op.path](mark))
    schema = op.json_schema
    return None if schema is None else schemas.example(schema, side.ref, mark)


def mixes(
    params: list[str], a: Side, b: Side, path: str | None = None
) -> Iterator[tuple[dict[str, str], list[str]]]:
    """Every way to fill `params` with B's or A's ids, at least one of them B's, with the names
    of the parameters holding B's ids. A parameter whose value both share (a line key, a version
    number) names nothing of its own and takes B's."""
    theirs, ours = b.values_for(params, path), a.values_for(params, path)
    distinct = [p for p in params if ours[p] != theirs[p]]
    for owners in itertools.product((theirs, ours), repeat=len(distinct)):
        if distinct and all(owner is ours for owner in owners):
            continue
        chosen = dict(zip(distinct, owners, strict=True))
        values = {p: chosen.get(p, theirs)[p] for p in params}
        yield values, [p for p in params if chosen.get(p, theirs) is theirs]


def scoped_404(response: Response, ids: list[str]) -> str | None:
    """Why `response` is not the 404 problem of looking up one of the objects named in the URL
    (None if it is)."""
    if response.status_code != 404:
        return f"answered {response.status_code}: {response.text[:300]}"
    if not response.headers.get("content-type", "").startswith(PROBLEM):
        return f"404 without problem+json: {response.headers.get('content-type')}"
    problem = response.json()
    if problem.get("status") != 404 or problem.get("type") != "/problems/not-found":
        return f"not a not-found problem: {problem}"
    # A scoped lookup names the object it could not find; a 404 for an unknown route would not.
    if not any(value in problem.get("detail", "") for value in ids):
        return f"the 404 names none of {ids}: {problem.get('detail')!r}"
    return None
