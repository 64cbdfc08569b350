"""Tenant A calling the API with tenant B's ids: every path, every list, every reference.

The routes are read from the OpenAPI document, so a route added later is walked too; a path
parameter the suite cannot fill fails the test instead of being skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.isolation.calls import body_for, mixes, scoped_404
from tests.isolation.conftest import World
from tests.isolation.openapi import (
    NOT_REFERENCES,
    Operation,
    Schemas,
    nested_references,
    operations,
)
from tests.isolation.world import Body, Ref, Side, new_mark

# Paths the walk must reach: if reading the OpenAPI document ever yields less, the walk is broken.
KNOWN_PATHS = {
    "/v1/customers/{customer_id}",
    "/v1/customers/by-external-id/{external_id}",
    "/v1/customers/{customer_id}/contacts/{contact_id}",
    "/v1/products/{product_id}/archive",
    "/v1/pricelists/{pricelist_id}/entries/{entry_id}",
    "/v1/api-keys/{key_id}/revoke",
    "/v1/invoices/{invoice_id}/pdf",
}
# Query parameters that filter by any object's id, whatever its kind.
ANY_OBJECT_FILTERS = {"object_id"}
# Query parameters that are a pagination cursor, not a reference to read.
CURSORS = {"starting_after"}
LOOKUP_DAY = "2026-01-15"
# More bodies for operations whose references sit in variants their base body does not use.
VARIANT_BODIES: dict[str, list[Body]] = {
    "POST /v1/contracts/{contract_id}/amendments": [
        lambda mark: {
            "effective_date": "2026-03-01",
            "reason": mark,
            "changes": [
                {"type": "add_line", "line": {"product_id": Ref("product_id"), "line_key": "x"}}
            ],
        },
        lambda mark: {
            "effective_date": "2026-03-01",
            "reason": mark,
            "changes": [{"type": "change_pricelist", "pricelist_id": Ref("pricelist_id")}],
        },
    ],
}


def _unmapped(op: Operation, world: World) -> list[str]:
    return [
        f"{op}: no id of tenant B for path parameter '{name}'; create such an object in "
        "tests/isolation/world.py (CREATE_BODIES) so the suite can try it"
        for name in op.path_params
        if name not in world.b.ids
    ]


def test_every_path_with_an_id_answers_404_to_another_tenant(world: World) -> None:
    client, a, b = world.client, world.a, world.b
    schemas = Schemas(world.doc)
    before = world.snapshot(b), world.snapshot(a)
    failures: list[str] = []
    walked: set[str] = set()
    for op in operations(world.doc):
        if not op.path_params:
            continue
        if problems := _unmapped(op, world):
            failures += problems
            continue
        walked.add(op.path)
        body = body_for(op, a, schemas)
        for values, theirs in mixes(op.path_params, a, b, op.path):
            response = client.request(op.method, op.url(values), json=body, headers=a.headers)
            why = scoped_404(response, list(values.values()))
            if why:
                failures.append(f"{op} as A with B's {', '.join(theirs)}: {why}")
        if op.method == "GET":
            # The same URL works for its owner: the ids are real and the route is the right one.
            own = client.get(op.url(b.values_for(op.path_params, op.path)), headers=b.headers)
            if own.status_code != 200:
                failures.append(f"{op} as B itself: {own.status_code} {own.text[:200]}")
    assert not failures, "\n".join(failures)
    assert walked >= KNOWN_PATHS, KNOWN_PATHS - walked
    assert (world.snapshot(b), world.snapshot(a)) == before


def _lists(world: World) -> list[Operation]:
    return [
        op
        for op in operations(world.doc)
        if op.method == "GET"
        and not op.path_params
        and not any(p.get("required") for p in op.query_params.values())
    ]


def test_lists_and_searches_never_show_another_tenants_objects(world: World) -> None:
    client, a, b = world.client, world.a, world.b
    lists = _lists(world)
    assert {"/v1/customers", "/v1/products", "/v1/pricelists", "/v1/api-keys"} <= {
        op.path for op in lists
    }
    assert {"/v1/users", "/v1/audit-events"} <= {op.path for op in lists}
    failures = []
    for op in lists:
        # Only the parameters the route takes: an unknown one is a 422.
        paging = {"limit": 100} if "limit" in op.query_params else {}
        own = client.get(op.path, params=paging, headers=b.headers)
        # The owner sees its objects there, so their absence from A's answers means something.
        if own.status_code != 200 or not b.leaked(own.text):
            failures.append(f"{op} as B shows nothing of B: {own.status_code} {own.text[:200]}")
        searches: list[dict[str, Any]] = [{}]
        if "q" in op.query_params:
            searches += [{"q": b.mark}, {"q": b.ids["customer_id"]}]
        for params in searches:
            response = client.get(op.path, params=params, headers=a.headers)
            if response.status_code != 200:
                failures.append(f"{op} {params} as A: {response.status_code} {response.text}")
            elif leaked := b.leaked(response.text):
                failures.append(f"{op} {params} as A shows B's {leaked}")
    assert not failures, "\n".join(failures)


def test_query_parameters_naming_another_tenants_objects_find_nothing(world: World) -> None:
    client, a, b = world.client, world.a, world.b
    before = world.snapshot(b)
    failures: list[str] = []
    tried: set[tuple[str, str]] = set()
    for op in operations(world.doc):
        if op.method != "GET" or op.path_params:
            continue
        query = op.query_params
        for name in query:
            if name in ANY_OBJECT_FILTERS:
                for value in sorted(set(b.own_ids.values())):
                    tried.add((op.path, name))
                    response = client.get(op.path, params={name: value}, headers=a.headers)
                    if response.status_code not in (200, 404) or b.leaked(response.text):
                        failures.append(f"{op}?{name}={value} as A: {response.text[:300]}")
                continue
            if name in CURSORS or name in NOT_REFERENCES or not name.endswith("_id"):
                continue
            if name not in b.own_ids:
                failures.append(
                    f"{op}: query parameter '{name}' names an object tenant B does not hold; "
                    "create one in tests/isolation/world.py or list the parameter here"
                )
                continue
            tried.add((op.path, name))
            params = _query(query, a) | {name: b.ids[name]}
            response = client.get(op.path, params=params, headers=a.headers)
            ok = response.status_code == 404 or (
                response.status_code == 200 and not b.leaked(response.text)
            )
            if not ok:
                failures.append(f"{op} with B's {name} as A: {response.text[:300]}")
            own = client.get(op.path, params=_query(query, b), headers=b.headers)
            if own.status_code != 200 or not b.leaked(own.text):
                failures.append(f"{op} as B itself: {own.status_code} {own.text[:300]}")
    assert not failures, "\n".join(failures)
    assert {
        ("/v1/prices/lookup", "customer_id"),
        ("/v1/prices/lookup", "product_id"),
        ("/v1/audit-events", "object_id"),
    } <= tried
    assert world.snapshot(b) == before


def _query(query: dict[str, Any], side: Side) -> dict[str, str]:
    """The required query parameters, with the side's ids where they name an object."""
    values = {}
    for name, spec in query.items():
        if not spec.get("required"):
            continue
        if name in side.ids:
            values[name] = side.ids[name]
        elif spec.get("schema", {}).get("format") == "date":
            values[name] = LOOKUP_DAY
    return values


def test_bodies_naming_another_tenants_objects_are_refused(world: World) -> None:
    client, a, b = world.client, world.a, world.b
    schemas = Schemas(world.doc)
    known = set(b.own_ids)
    before = world.snapshot(a), world.snapshot(b)
    failures: list[str] = []
    tried: set[tuple[str, str]] = set()
    for op in operations(world.doc):
        if op.method not in ("POST", "PUT", "PATCH") or op.json_schema is None:
            continue
        if any(name not in a.ids for name in op.path_params):
            continue  # the walk of paths reports it
        url = op.url(a.values_for(op.path_params, op.path))
        base = body_for(op, a, schemas)
        variants = [a.fill(make(new_mark("a"))) for make in VARIANT_BODIES.get(str(op), [])]
        # Top-level reference fields (sent even when optional), then references inside bodies.
        targets = [(base, (name,)) for name in schemas.reference_fields(op.json_schema, known)]
        targets += [
            (body, path) for body in (base, *variants) for path in nested_references(body, known)
        ]
        for original, target in targets:
            field = str(target[-1])
            tried.add((str(op), field))
            body = _with(original, target, b.ids[field])
            response = client.request(op.method, url, json=body, headers=a.headers)
            why = _refusal(response, target, b.ids[field])
            if why:
                failures.append(f"{op} with B's {'.'.join(map(str, target))}: {why}")
    assert not failures, "\n".join(failures)
    assert {
        ("POST /v1/customers", "pricelist_id"),
        ("PATCH /v1/customers/{customer_id}", "pricelist_id"),
        ("POST /v1/pricelists/{pricelist_id}/entries", "product_id"),
    } <= tried
    existing = {str(op) for op in operations(world.doc)}
    assert {op for op in VARIANT_BODIES if op in existing} <= {op for op, _ in tried}
    assert (world.snapshot(a), world.snapshot(b)) == before, "a refused request wrote something"


def _with(body: Any, target: tuple[Any, ...], value: str) -> Any:
    """A copy of `body` holding `value` at `target` (a field, or a path to a nested one)."""
    changed = copy.deepcopy(body) if isinstance(body, dict) else {}
    holder = changed
    for step in target[:-1]:
        holder = holder[step]
    holder[target[-1]] = value
    return changed


def _refusal(response: Any, target: tuple[Any, ...], value: str) -> str | None:
    """Why `response` is not a refusal of B's id at `target` (None if it is)."""
    if response.status_code not in (404, 422):
        return f"answered {response.status_code}: {response.text[:300]}"
    problem = response.json()
    pointer = "/" + "/".join(map(str, target))
    named = value in problem.get("detail", "") or any(
        e.get("pointer") == pointer for e in problem.get("errors", [])
    )
    return None if named else f"refused for another reason: {problem}"


# --- identifiers that are the tenant's own, and the CSV import ---------------------------------
# These write: they act as a third tenant, C, so that A's objects stay as the other tests expect
# (a customer of A holding B's external id would rightly answer A's lookups of that id).


@pytest.fixture
def c(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("Gamma SAS")


def test_another_tenants_external_id_and_code_are_free_to_reuse(world: World, c: Tenant) -> None:
    """Uniqueness is per organization: a 409 here would tell C that B holds that value."""
    client, b = world.client, world.b
    before = world.snapshot(b)
    theirs = b.created["/v1/customers"]
    customer = client.post(
        "/v1/customers",
        json={"legal_name": "Gamma SAS", "country": "FR", "external_id": theirs["external_id"]},
        headers=c.headers,
    )
    assert customer.status_code == 201, customer.text
    product = client.post(
        "/v1/products",
        json={"code": b.created["/v1/products"]["code"], "name_en": "Ours", "kind": "one_off"},
        headers=c.headers,
    )
    assert product.status_code == 201, product.text
    found = client.get(
        f"/v1/customers/by-external-id/{theirs['external_id']}", headers=c.headers
    ).json()
    assert found["id"] == customer.json()["id"] != theirs["id"]
    assert world.snapshot(b) == before


def test_the_csv_import_neither_updates_nor_points_at_another_tenants_customers(
    world: World, c: Tenant
) -> None:
    client, b = world.client, world.b
    before = world.snapshot(b)
    theirs = b.created["/v1/customers"]
    csv = (
        "external_id,legal_name,country,pricelist_id\n"
        f"{theirs['external_id']},Taken over SAS,FR,\n"
        f"GAMMA-2,Pointing SAS,FR,{b.ids['pricelist_id']}\n"
    )
    response = client.post(
        "/v1/customers/import",
        params={"update_existing": "true"},
        content=csv.encode(),
        headers=c.headers | {"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    # Row 2: B's external id is unknown in C, so it is a new customer of C, not an update of B's.
    assert (rows[0]["status"], rows[1]["status"]) == ("imported", "error")
    assert rows[1]["messages"][0].startswith("pricelist_id:")
    assert rows[0]["customer_id"] != theirs["id"]
    assert world.snapshot(b) == before
