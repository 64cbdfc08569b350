"""Two tenants, each holding one object of every kind, made through its own API key.

`build_side` walks the OpenAPI document: every `POST` on a collection (a path under which an
`/{…}` item path exists, or one listed in `CREATE_BODIES`) is called once, in dependency order,
and the new object's id is kept under the path parameter that names it. Known collections get a
hand-written body; a collection added later gets the smallest body its schema accepts, and the
suite fails with a pointer here when that body is refused.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.isolation.openapi import (
    PARAM,
    MissingReference,
    Operation,
    Schemas,
    item_param,
    operations,
)

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Ref:
    """A placeholder in a body: the tenant's id held under this path-parameter name."""

    name: str


Body = Callable[[str], dict[str, Any]]

# Bodies for the collections the API has; `mark` makes every text findable (and unique).
CREATE_BODIES: dict[str, Body] = {
    "/v1/products": lambda mark: {
        "code": f"{mark}-hosting",
        "name_en": f"{mark} Hosting",
        "kind": "recurring",
    },
    "/v1/pricelists": lambda mark: {"name": f"{mark} Standard", "currency": "EUR"},
    "/v1/pricelists/{pricelist_id}/entries": lambda mark: {
        "product_id": Ref("product_id"),
        "unit_price": "100.00",
        "periodicity": "monthly",
        "timing": "in_advance",
    },
    "/v1/customers": lambda mark: {
        "legal_name": f"{mark} Customer SAS",
        "country": "FR",
        "external_id": f"{mark}-EXT",
        "currency": "EUR",
        "pricelist_id": Ref("pricelist_id"),
    },
    "/v1/customers/{customer_id}/contacts": lambda mark: {
        "name": f"{mark} Contact",
        "email": f"{mark}-contact@example.com",
    },
    "/v1/contracts": lambda mark: {
        "customer_id": Ref("customer_id"),
        "reference": f"{mark}-C1",
        "start_date": "2026-02-01",
        "lines": [{"product_id": Ref("product_id"), "line_key": "hosting"}],
    },
    "/v1/contracts/{contract_id}/lines": lambda mark: {
        "product_id": Ref("product_id"),
        "line_key": "support",
    },
    "/v1/contracts/{contract_id}/amendments": lambda mark: {
        "effective_date": "2026-03-01",
        "reason": f"{mark} more seats",
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
    },
    "/v1/contract-templates": lambda mark: {
        "name": f"{mark} Starter",
        "parameters": [{"name": "start_date", "type": "date"}],
    },
    "/v1/billing-runs": lambda mark: {"as_of": "2026-01-15"},
    "/v1/credit-notes": lambda mark: {
        "invoice_id": Ref("finalized_invoice_id"),
        "reason": f"{mark} goodwill",
        "amount": "10.00",
        "settlement": "refund",
    },
    "/v1/invoices/{invoice_id}/lines": lambda mark: {
        "description": f"{mark} Training",
        "quantity": "1",
        "unit_price": "10.00",
        "product_id": Ref("product_id"),
    },
    "/v1/api-keys": lambda mark: {"name": f"{mark} key", "role": "read_only"},
    "/v1/coupons": lambda mark: {
        "code": f"{mark}-w20",
        "name": f"{mark} Welcome",
        "kind": "percentage",
        "value": "20",
    },
    "/v1/contracts/{contract_id}/coupons": lambda mark: {"code": Ref("coupon_code")},
    "/v1/metrics": lambda mark: {
        "code": f"{mark}-calls",
        "name": f"{mark} API calls",
        "aggregation": "count",
    },
    "/v1/smartcodes": lambda mark: {
        "code": f"{mark}_minutes",
        "name": f"{mark} Minutes",
        "kind": "valuation",
        "source": "def value(event):\n    return 1\n",
    },
    "/v1/smartcodes/{smartcode_id}/versions": lambda mark: {
        "source": "def value(event):\n    return 2\n",
    },
    # Events are made by POST and read by id; the metric and customer are named by code.
    "/v1/events": lambda mark: {
        "transaction_id": f"{mark}-tx1",
        "customer": Ref("customer_external_id"),
        "metric": Ref("metric_code"),
        "timestamp": "2026-01-15T09:00:00Z",
        "properties": {"region": f"{mark}-eu"},
    },
    "/v1/webhook-endpoints": lambda mark: {
        "url": f"https://{mark}.example/hooks",
        "event_types": ["contract.terminated"],
        "description": f"{mark} ERP",
    },
    # A ping (sent at once: the host does not resolve, the attempt is logged as failed).
    "/v1/webhook-endpoints/{endpoint_id}/test": lambda mark: {},
    # On a contract whose usage line measures the tenant's metric (see PARENTS).
    "/v1/contracts/{contract_id}/usage-alerts": lambda mark: {
        "metric_code": Ref("metric_code"),
        "limit": "1000",
    },
    "/v1/users": lambda mark: {
        "email": f"{mark}-user@example.com",
        "name": f"{mark} User",
        "password": PASSWORD,
        "role": "admin",
    },
}
# Collections whose objects no path names by id (yet): their id is kept under this name.
ID_NAMES = {
    "/v1/users": "user_id",
    # A version's `number` would name every collection's `{number}`: keep its id instead.
    "/v1/smartcodes/{smartcode_id}/versions": "smartcode_version_id",
    # A ping's delivery has no job; `delivery_id` names the one `_webhook_delivery` makes.
    "/v1/webhook-endpoints/{endpoint_id}/test": "ping_delivery_id",
    # An alert is named by `/v1/usage-alerts/{alert_id}`, not under its contract.
    "/v1/contracts/{contract_id}/usage-alerts": "alert_id",
}
# Path parameters filled from a field of another name of the object made.
PARAM_FIELDS = {"number": "latest_version"}
# What else the CLI accepts for an object besides its id (the field of the object to use).
ALTERNATE_NAMES = {
    "customer_id": "external_id",
    "product_id": "code",
    "contract_id": "reference",
    "coupon_id": "code",
    "smartcode_id": "code",
    "metric_id": "code",
}
# Collections that are not objects to create: the CSV import is a batch of customers.
NOT_COLLECTIONS = frozenset({"/v1/customers/import"})


@dataclass
class Side:
    """One tenant of the pair and what it made."""

    label: str
    tenant: Tenant
    mark: str
    ids: dict[str, str] = field(default_factory=dict)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The path values an object was made under, when they differ from `ids` (an amendment's
    # contract is not the draft contract that `contract_id` names).
    parents: dict[str, dict[str, str]] = field(default_factory=dict)
    # The path values each collection's object was made under.
    made_under: dict[str, dict[str, str]] = field(default_factory=dict)
    # Parameters whose value both tenants share (a line key, a version number): no identity.
    shared: set[str] = field(default_factory=set)

    @property
    def headers(self) -> dict[str, str]:
        return self.tenant.headers

    def ref(self, name: str) -> str:
        if name not in self.ids:
            raise MissingReference(name)
        return self.ids[name]

    def values_for(self, params: list[str], path: str | None = None) -> dict[str, str]:
        """Path values naming one consistent object: each parameter's parents win, and a
        collection is named as when this side made its object (amendments: the submitted
        contract)."""
        values = {name: self.ref(name) for name in params}
        for name in params:
            values |= {k: v for k, v in self.parents.get(name, {}).items() if k in values}
        return values | self.made_under.get(path or "", {})

    def fill(self, template: Any) -> Any:
        """A body template with each `Ref` replaced by this side's id."""
        if isinstance(template, Ref):
            return self.ref(template.name)
        if isinstance(template, dict):
            return {k: self.fill(v) for k, v in template.items()}
        if isinstance(template, list):
            return [self.fill(v) for v in template]
        return template

    @property
    def own_ids(self) -> dict[str, str]:
        """The ids that are this tenant's alone (what the other must never reach)."""
        return {name: value for name, value in self.ids.items() if name not in self.shared}

    def names_for(self, param: str) -> list[str]:
        """Every way a person may name this side's object: its id, and its code or external id."""
        value = self.ids[param]
        names = [value]
        alternate = ALTERNATE_NAMES.get(param)
        for obj in self.created.values():
            if alternate and obj.get("id") == value and isinstance(obj.get(alternate), str):
                names.append(obj[alternate])
        return names

    @property
    def tokens(self) -> set[str]:
        """Strings that only this side's data contains: its ids and its mark."""
        parents = {
            value
            for values in self.parents.values()
            for name, value in values.items()
            if name not in self.shared
        }
        return {*self.own_ids.values(), *parents, self.tenant.id, self.mark}

    def leaked(self, text: str) -> list[str]:
        return sorted(token for token in self.tokens if token in text)


def new_mark(label: str) -> str:
    # Lower-case letters and digits: valid in codes, e-mails and external ids alike.
    return f"iso{label.lower()}{uuid.uuid4().hex[:10]}"


def _submitted_contract(client: TestClient, side: Side) -> dict[str, str]:
    """A second contract, submitted: amendments start once a contract has left draft, while the
    first contract stays a draft for the routes that edit drafts in place."""
    body = side.fill(CREATE_BODIES["/v1/contracts"](new_mark(side.label)))
    made = client.post("/v1/contracts", json=body, headers=side.headers)
    assert made.status_code == 201, made.text
    contract_id = made.json()["id"]
    submitted = client.post(
        f"/v1/contracts/{contract_id}/transitions", json={"action": "submit"}, headers=side.headers
    )
    assert submitted.status_code < 300, submitted.text
    return {"contract_id": contract_id}


def _running_contract(client: TestClient, side: Side) -> dict[str, str]:
    """An active contract from today (15 Jan 2026), so that a billing run makes an invoice."""
    body = side.fill(CREATE_BODIES["/v1/contracts"](new_mark(side.label)))
    body["start_date"] = "2026-01-15"
    side.ref("customer_id")  # before anything is written: the customer must exist already
    made = client.post("/v1/contracts", json=body, headers=side.headers)
    assert made.status_code == 201, made.text
    contract_id = made.json()["id"]
    for action in ("submit", "activate"):
        moved = client.post(
            f"/v1/contracts/{contract_id}/transitions",
            json={"action": action},
            headers=side.headers,
        )
        assert moved.status_code < 300, moved.text
    return {}


def _finalized_invoice(client: TestClient, side: Side) -> dict[str, str]:
    """A finalized invoice to credit (the second month's, from a second run), while the first
    run's invoice stays a draft for the routes that edit drafts."""
    side.ref("invoice_id")  # after the first run, whose contract the second month bills
    made = client.post("/v1/billing-runs", json={"as_of": "2026-02-15"}, headers=side.headers)
    assert made.status_code == 201, made.text
    invoice_id = made.json()["invoices"][0]["id"]
    finalized = client.post(f"/v1/invoices/{invoice_id}/finalize", headers=side.headers)
    assert finalized.status_code == 200, finalized.text
    side.ids["finalized_invoice_id"] = invoice_id
    return {}


def _webhook_delivery(client: TestClient, side: Side) -> dict[str, str]:
    """A delivery and its job: a contract submitted then terminated emits `contract.terminated`
    to the endpoint (made first: the ping's path names it)."""
    side.ref("endpoint_id")
    contract = _submitted_contract(client, side)["contract_id"]
    ended = client.post(
        f"/v1/contracts/{contract}/transitions", json={"action": "terminate"}, headers=side.headers
    )
    assert ended.status_code < 300, ended.text
    listed = client.get(
        "/v1/webhook-deliveries", params={"event_type": "contract.terminated"}, headers=side.headers
    )
    (delivery,) = listed.json()["data"]
    side.ids["delivery_id"] = delivery["id"]
    side.ids["job_id"] = delivery["job_id"]
    return {}


def _metered_contract(client: TestClient, side: Side) -> dict[str, str]:
    """A draft contract with a usage line measuring the tenant's metric: an alert watches it."""
    metric = side.ref("metric_code")  # before anything is written: the metric must exist
    side.ref("customer_id")
    product = client.post(
        "/v1/products",
        json={"code": f"{side.mark}-calls", "name_en": f"{side.mark} Calls", "kind": "usage"},
        headers=side.headers,
    )
    assert product.status_code == 201, product.text
    body = side.fill(CREATE_BODIES["/v1/contracts"](new_mark(side.label)))
    charge = {"metric": metric, "model": "per_unit", "unit_price": "0.01"}
    body["lines"] = [{"product_id": product.json()["id"], "line_key": "calls", "charge": charge}]
    made = client.post("/v1/contracts", json=body, headers=side.headers)
    assert made.status_code == 201, made.text
    return {"contract_id": made.json()["id"]}


# Collections whose objects need a parent of their own, in some state, made first.
PARENTS: dict[str, Callable[[TestClient, Side], dict[str, str]]] = {
    "/v1/contracts/{contract_id}/amendments": _submitted_contract,
    "/v1/billing-runs": _running_contract,
    "/v1/credit-notes": _finalized_invoice,
    "/v1/webhook-endpoints/{endpoint_id}/test": _webhook_delivery,
    "/v1/contracts/{contract_id}/usage-alerts": _metered_contract,
}
# Objects a creation makes along with its own, by path parameter (a run makes invoices).
MADE_ALONG: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "/v1/billing-runs": lambda run: {"invoice_id": run["invoices"][0]["id"]},
    "/v1/coupons": lambda coupon: {"coupon_code": coupon["code"]},
    # What an event names its customer and metric by.
    "/v1/customers": lambda customer: {"customer_external_id": customer["external_id"]},
    "/v1/metrics": lambda metric: {"metric_code": metric["code"]},
}


def creations(doc: Mapping[str, Any]) -> list[Operation]:
    paths = list(doc["paths"])
    return [
        op
        for op in operations(doc)
        if op.method == "POST"
        and op.path not in NOT_COLLECTIONS
        and not PARAM.fullmatch(op.path.rsplit("/", 1)[-1])
        and (op.path in CREATE_BODIES or item_param(op.path, paths) is not None)
    ]


def build_side(client: TestClient, doc: Mapping[str, Any], label: str, tenant: Tenant) -> Side:
    side = Side(label, tenant, new_mark(label))
    schemas = Schemas(doc)
    paths = list(doc["paths"])
    pending = creations(doc)
    while pending:
        progressed = False
        for op in list(pending):
            try:
                values = {name: side.ref(name) for name in op.path_params}
                if op.path in PARENTS:
                    # Before the body, which may name what the parent made.
                    values |= PARENTS[op.path](client, side)
                body = _create_body(op, side, schemas)
            except MissingReference:
                continue
            response = client.post(op.url(values), json=body, headers=side.headers)
            assert response.status_code in (200, 201), (
                f"tenant {label} could not create through {op}: {response.status_code} "
                f"{response.text}\nGive it a valid body in CREATE_BODIES "
                "(tests/isolation/world.py)."
            )
            created = response.json()
            side.created[op.path] = created
            name = ID_NAMES.get(op.path) or item_param(op.path, paths)
            assert name, op
            # The object's own key when the answer has it (or the body chose it), else its id.
            given = body.get(name) if isinstance(body, dict) else None
            side.ids[name] = str(created.get(name, given or created.get("id")))
            side.ids |= MADE_ALONG.get(op.path, lambda _: {})(created)
            side.made_under[op.path] = values
            if op.path in PARENTS:
                side.parents[name] = values
            pending.remove(op)
            progressed = True
        assert progressed, (
            "these collections need ids nothing created: "
            + ", ".join(str(op) for op in pending)
            + " (add a body to CREATE_BODIES in tests/isolation/world.py)"
        )
    _name_other_parameters(side, doc)
    return side


def _create_body(op: Operation, side: Side, schemas: Schemas) -> Any:
    if op.path in CREATE_BODIES:
        return side.fill(CREATE_BODIES[op.path](side.mark))
    schema = op.json_schema
    return None if schema is None else schemas.example(schema, side.ref, side.mark)


def _name_other_parameters(side: Side, doc: Mapping[str, Any]) -> None:
    """Path parameters that are a field of an object made (`external_id`) take its value."""
    for op in operations(doc):
        for name in op.path_params:
            if name in side.ids:
                continue
            field_name = PARAM_FIELDS.get(name, name)
            for obj in side.created.values():
                if isinstance(obj.get(field_name), str | int):
                    side.ids[name] = str(obj[field_name])
                    break


def pair(a: Side, b: Side) -> None:
    """Marks the parameters whose values the two tenants share: they name nothing of their own."""
    shared = {name for name, value in b.ids.items() if a.ids.get(name) == value}
    a.shared = b.shared = shared


# --- snapshots -------------------------------------------------------------------------------


def snapshot(client: TestClient, doc: Mapping[str, Any], side: Side) -> dict[str, Any]:
    """Everything the side's own key can read: every list and every object it made, so a change
    made by anyone (an update, a delete, an audit event) shows as a difference."""
    seen: dict[str, Any] = {}
    for op in operations(doc):
        if op.method != "GET":
            continue
        required = [n for n, p in op.query_params.items() if p.get("required")]
        if required or any(name not in side.ids for name in op.path_params):
            continue
        url = op.url(side.values_for(op.path_params))
        params = {"limit": 100} if "limit" in op.query_params else {}
        response = client.get(url, params=params, headers=side.headers)
        seen[url] = (response.status_code, _content(response))
    return copy.deepcopy(seen)


def _content(response: Any) -> Any:
    """JSON as read; a file (an invoice's PDF) by its SHA-256, so a change still shows."""
    if "json" in response.headers.get("content-type", ""):
        return response.json()
    return hashlib.sha256(response.content).hexdigest()
