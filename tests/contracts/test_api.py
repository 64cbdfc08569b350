"""Every `/v1/contracts…` and `/v1/contract-templates…` route over HTTP (today: 15 Jan 2026)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.contracts.conftest import World, build_world


@pytest.fixture
def shop(ctx: Ctx) -> World:
    """The customer and catalog, committed so the API sees them."""
    world = build_world(ctx)
    ctx.session.commit()
    return world


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def pointers(response: Any) -> dict[str, str]:
    assert response.headers["content-type"] == "application/problem+json"
    return {e["pointer"]: e["detail"] for e in response.json()["errors"]}


def body(shop: World, **fields: Any) -> dict[str, Any]:
    return {
        "customer_id": shop.customer.id,
        "reference": "C-2026-001",
        "start_date": "2026-01-01",
        "lines": [{"product_id": shop.hosting.id}],
    } | fields


def running(api: TestClient, shop: World, **fields: Any) -> dict[str, Any]:
    contract = ok(api.post("/v1/contracts", json=body(shop, **fields)), 201)
    url = f"/v1/contracts/{contract['id']}/transitions"
    ok(api.post(url, json={"action": "submit"}), 201)
    return ok(api.post(url, json={"action": "activate"}), 201)  # type: ignore[no-any-return]


def test_create_read_and_list_contracts(api: TestClient, shop: World) -> None:
    created = ok(
        api.post(
            "/v1/contracts",
            json=body(shop, end_date="2026-12-31", lines=[{"product_id": shop.hosting.id}]),
        ),
        201,
    )
    assert created["id"].startswith("ctr_")
    assert (created["status"], created["version"], created["currency"]) == ("draft", 1, "EUR")
    assert created["terms"]["end_date"] == "2026-12-31"  # the last day, as typed
    [line] = created["terms"]["lines"]
    assert (line["unit_price"], line["price_source"], line["periodicity"]) == (
        "399",
        "pricelist",
        "monthly",
    )
    assert created["allowed_actions"] == ["submit"]
    assert ok(api.get(f"/v1/contracts/{created['id']}")) == created
    listed = ok(api.get("/v1/contracts", params={"q": "2026-001", "status": "draft"}))
    assert [c["id"] for c in listed["data"]] == [created["id"]]
    assert ok(api.get("/v1/contracts", params={"status": "active"}))["data"] == []
    by_customer = ok(api.get("/v1/contracts", params={"customer_id": shop.customer.id}))
    assert len(by_customer["data"]) == 1


@pytest.mark.parametrize(
    ("fields", "pointer", "message"),
    [
        (
            {"start_date": "2026-02-01", "end_date": "2026-01-31"},
            "/end_date",
            "the contract would end (last day 2026-01-31) before it starts on 2026-02-01",
        ),
        (
            {"end_date": "2026-06-30", "lines": [{"product_id": "HOST", "end_date": "2026-08-31"}]},
            "/lines/0/end_date",
            "last day 2026-08-31 is after the contract's last day 2026-06-30",
        ),
        (
            {"lines": [{"product_id": "HOST", "quantity": "0"}]},
            "/lines/0/quantity",
            "must be greater than 0",
        ),
        ({"currency": "USD"}, "/currency", "the customer is billed in EUR, not USD"),
        (
            {"lines": [{"product_id": "HOST", "colour": "red"}]},
            "/lines/0/colour",
            "unknown field",
        ),
    ],
)
def test_refusals_name_the_field(
    api: TestClient, shop: World, fields: dict[str, Any], pointer: str, message: str
) -> None:
    for line in fields.get("lines", []):
        line["product_id"] = shop.hosting.id
    response = api.post("/v1/contracts", json=body(shop, **fields))
    assert response.status_code == 422
    assert pointers(response)[pointer] == message


def test_an_archived_product_is_refused_and_a_used_product_cannot_be_deleted(
    api: TestClient, shop: World
) -> None:
    ok(api.post(f"/v1/products/{shop.licence.id}/archive"))
    response = api.post("/v1/contracts", json=body(shop, lines=[{"product_id": shop.licence.id}]))
    assert pointers(response) == {"/lines/0/product_id": f"product {shop.licence.id} is archived"}
    ok(api.post("/v1/contracts", json=body(shop)), 201)
    deleted = api.delete(f"/v1/products/{shop.hosting.id}")
    assert deleted.status_code == 409
    assert "contract lines: 1" in deleted.json()["detail"]
    assert ok(api.post(f"/v1/products/{shop.hosting.id}/archive"))["active"] is False


def test_draft_lines_are_edited_in_place(api: TestClient, shop: World) -> None:
    contract = ok(api.post("/v1/contracts", json=body(shop)), 201)
    url = f"/v1/contracts/{contract['id']}"
    added = ok(
        api.post(f"{url}/lines", json={"product_id": shop.licence.id, "quantity": "10"}), 201
    )
    assert [x["line_key"] for x in added["terms"]["lines"]] == ["hosting", "licence"]
    changed = ok(api.patch(f"{url}/lines/licence", json={"unit_price": "99.00"}))
    assert changed["terms"]["lines"][1]["price_source"] == "override"
    bad = api.patch(f"{url}/lines/licence", json={"quantity": "-1"})
    # the line's own route names the field of its body, not the contract's `lines.1.quantity`
    assert pointers(bad) == {"/quantity": "must be greater than 0"}
    assert "quantity: must be greater than 0" in bad.json()["detail"]
    assert "lines.1" not in bad.json()["detail"]
    second = {"product_id": shop.licence.id, "line_key": "licence-2", "quantity": "0"}
    added_bad = api.post(f"{url}/lines", json=second)
    assert pointers(added_bad) == {"/quantity": "must be greater than 0"}
    assert api.patch(f"{url}/lines/nope", json={"quantity": "2"}).status_code == 404
    removed = ok(api.delete(f"{url}/lines/licence"))
    assert len(removed["terms"]["lines"]) == 1
    renamed = ok(api.patch(url, json={"reference": "C-RENAMED", "notice_months": 2}))
    assert (renamed["reference"], renamed["terms"]["notice_months"]) == ("C-RENAMED", 2)
    lines = ok(api.get(f"{url}/lines"))
    assert [x["line_key"] for x in lines] == ["hosting"]
    assert ok(api.get(f"{url}/versions"))[0]["changes"] == []
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_credit_on_termination_is_set_on_creation_and_changed_on_a_draft(
    api: TestClient, shop: World
) -> None:
    plain = ok(api.post("/v1/contracts", json=body(shop)), 201)
    assert plain["terms"]["credit_on_termination"] is True  # the default: credit
    kept = ok(
        api.post(
            "/v1/contracts",
            json=body(shop, reference="C-NC", credit_on_termination=False),
        ),
        201,
    )
    assert kept["terms"]["credit_on_termination"] is False
    empty = api.post(
        "/v1/contracts", json=body(shop, reference="C-NULL", credit_on_termination=None)
    )
    assert "/credit_on_termination" in pointers(empty)  # true or false, never empty
    url = f"/v1/contracts/{plain['id']}"
    changed = ok(api.patch(url, json={"credit_on_termination": False}))
    assert changed["terms"]["credit_on_termination"] is False
    assert api.patch(url, json={"credit_on_termination": None}).status_code == 422
    assert ok(api.get(url))["terms"]["credit_on_termination"] is False


def test_lifecycle_transitions_signature_and_first_payment(api: TestClient, shop: World) -> None:
    contract = ok(
        api.post(
            "/v1/contracts",
            json=body(shop, activation={"condition": "on_signature"}),
        ),
        201,
    )
    url = f"/v1/contracts/{contract['id']}"
    pending = ok(api.post(f"{url}/transitions", json={"action": "submit"}), 201)
    assert pending["status"] == "pending"
    refused = api.post(f"{url}/transitions", json={"action": "activate"})
    assert refused.status_code == 409
    assert "the signature, which is not recorded yet" in refused.json()["detail"]
    signed = ok(api.post(f"{url}/signature", json={"signed_on": "2026-01-14"}))
    assert (signed["status"], signed["signed_on"]) == ("active", "2026-01-14")
    paid = ok(api.post(f"{url}/first-payment", json={}))
    assert paid["first_paid_on"] == "2026-01-15"
    suspended = ok(api.post(f"{url}/transitions", json={"action": "suspend"}), 201)
    assert suspended["allowed_actions"] == ["resume", "terminate"]
    wrong = api.post(f"{url}/transitions", json={"action": "suspend"})
    assert wrong.status_code == 409
    assert wrong.json()["detail"] == (
        "cannot suspend a contract that is suspended; allowed from suspended: resume, terminate"
    )
    ok(api.post(f"{url}/transitions", json={"action": "resume", "reason": "paid"}), 201)
    steps = ok(api.get(f"{url}/transitions"))
    assert [(s["action"], s["effective_date"], s["reason"]) for s in steps] == [
        ("submit", "2026-01-15", ""),
        # Signed on the 14th, but a step cannot precede the submission on the 15th.
        ("activate", "2026-01-15", "activation condition met (on signature)"),
        ("suspend", "2026-01-15", ""),
        ("resume", "2026-01-15", "paid"),
    ]
    key_prefix = api.headers["Authorization"].removeprefix("Bearer ")[:11]
    assert {s["actor"] for s in steps} == {f"key {key_prefix}…"}


def test_forced_termination_is_for_admins_and_is_recorded(
    api: TestClient, client: TestClient, shop: World, make_key: Any
) -> None:
    contract = running(api, shop, initial_term_months=12, renewal_months=12, notice_months=1)
    url = f"/v1/contracts/{contract['id']}/transitions"
    finance = {"Authorization": f"Bearer {make_key(Role.FINANCE)}"}
    early = {"action": "terminate", "date": "2026-02-01", "forced": True}
    forbidden = client.post(url, json=early, headers=finance)
    assert forbidden.status_code == 403
    too_soon = client.post(url, json={"action": "terminate", "date": "2026-02-01"}, headers=finance)
    assert pointers(too_soon) == {
        "/date": "1 month of notice given on 2026-01-15 allows ending on 2026-02-15 at the "
        "earliest (last day 2026-02-14); only an admin may force an earlier date"
    }
    done = ok(api.post(url, json=early | {"reason": "fraud"}), 201)
    assert done["status"] == "active"  # until 1 Feb 2026
    assert len(done["scheduled_amendments"]) == 1
    ended = ok(api.get(f"/v1/contracts/{contract['id']}", params={"as_of": "2026-02-01"}))
    assert ended["terms"]["end_date"] == "2026-01-31"
    amendments = ok(api.get(f"/v1/contracts/{contract['id']}/amendments"))["data"]
    assert [(a["status"], a["reason"]) for a in amendments] == [("scheduled", "fraud")]
    assert amendments[0]["diff"] == [
        "end date evergreen → 2026-01-31",
        "renewal auto-renew 12 months → no renewal",
    ]


def test_amendments_schedule_conflict_cancel_and_versions(api: TestClient, shop: World) -> None:
    contract = running(api, shop)
    url = f"/v1/contracts/{contract['id']}/amendments"
    upgrade = {
        "effective_date": "2026-03-01",
        "reason": "upgrade",
        "changes": [{"type": "change_quantity", "line_key": "hosting", "quantity": "3"}],
    }
    draft = ok(api.post(url, json=upgrade), 201)
    assert (draft["status"], draft["diff"]) == ("draft", ["line hosting: quantity 1 → 3"])
    scheduled = ok(api.post(f"{url}/{draft['id']}/schedule"))
    assert scheduled["status"] == "scheduled"
    clash = api.post(url, json=upgrade | {"changes": [{**upgrade["changes"][0], "quantity": "4"}]})
    assert clash.status_code == 409
    assert clash.json()["detail"].startswith(f"amendments {draft['id']} and amd_")
    assert clash.json()["detail"].endswith("both set the quantity of line hosting on 2026-03-01")
    versions = ok(api.get(f"/v1/contracts/{contract['id']}/versions"))
    assert [(v["number"], v["projected"], v["changes"]) for v in versions] == [
        (1, False, []),
        (2, True, ["line hosting: quantity 1 → 3"]),
    ]
    as_of = ok(api.get(f"/v1/contracts/{contract['id']}", params={"as_of": "2026-03-01"}))
    assert (as_of["version"], as_of["terms"]["lines"][0]["quantity"]) == (2, "3")
    lines = ok(api.get(f"/v1/contracts/{contract['id']}/lines", params={"as_of": "2026-02-28"}))
    assert lines[0]["quantity"] == "1"
    assert ok(api.get(f"{url}/{draft['id']}"))["id"] == draft["id"]
    assert ok(api.post(f"{url}/{draft['id']}/cancel"))["status"] == "cancelled"
    assert len(ok(api.get(f"/v1/contracts/{contract['id']}/versions"))) == 1
    bad = api.post(
        url,
        json=upgrade | {"changes": [{"type": "change_quantity", "line_key": "x", "quantity": "1"}]},
    )
    assert pointers(bad) == {"/changes/0/line_key": "the contract has no line 'x'"}
    filtered = ok(api.get(url, params={"status": "cancelled"}))["data"]
    assert [a["id"] for a in filtered] == [draft["id"]]


def test_templates_versions_and_instantiation(api: TestClient, shop: World) -> None:
    template = ok(
        api.post(
            "/v1/contract-templates",
            json={
                "name": "Starter",
                "parameters": [
                    {"name": "start_date", "type": "date"},
                    {"name": "seats", "type": "int", "default": 3},
                ],
                "terms": {"initial_term_months": 12},
                "lines": [
                    {
                        "line_key": "seats",
                        "product": "licence",
                        "kind": "recurring",
                        "quantity": {"param": "seats"},
                    }
                ],
            },
        ),
        201,
    )
    assert (template["latest_version"], template["versions"]) == (1, [1])
    url = f"/v1/contract-templates/{template['id']}"
    updated = ok(api.patch(url, json={"name": "Starter 2026"}))
    assert (updated["latest_version"], updated["name"]) == (2, "Starter 2026")
    assert ok(api.get(f"{url}/versions/1"))["name"] == "Starter"
    assert api.get(f"{url}/versions/9").status_code == 404
    listed = ok(api.get("/v1/contract-templates", params={"q": "starter"}))["data"]
    assert [t["id"] for t in listed] == [template["id"]]
    made = ok(
        api.post(
            f"{url}/instantiate",
            json={
                "customer_id": shop.customer.id,
                "reference": "C-T-1",
                "parameters": {"start_date": "2026-02-01", "seats": 8},
            },
        ),
        201,
    )
    assert made["terms"]["template"] == {"template_id": template["id"], "version": 2}
    # 8 seats of licence at the pricelist's 120.00 on 1 Feb 2026.
    assert (made["terms"]["lines"][0]["quantity"], made["terms"]["lines"][0]["unit_price"]) == (
        "8",
        "120",
    )
    wrong = api.post(
        f"{url}/instantiate",
        json={"customer_id": shop.customer.id, "reference": "C-T-2", "parameters": {}},
    )
    assert pointers(wrong) == {"/parameters/start_date": "is required (date)"}


def test_another_tenants_objects_are_not_found(
    api: TestClient, client: TestClient, shop: World, make_tenant: Any
) -> None:
    contract = running(api, shop)
    mine = {"name": "Mine", "parameters": [{"name": "start_date", "type": "date"}]}
    template = ok(api.post("/v1/contract-templates", json=mine), 201)
    amendment = ok(
        api.post(
            f"/v1/contracts/{contract['id']}/amendments",
            json={
                "effective_date": "2026-03-01",
                "reason": "r",
                "changes": [{"type": "remove_line", "line_key": "hosting"}],
            },
        ),
        201,
    )
    other: Tenant = make_tenant("Other SAS")
    headers = other.headers
    for path in (
        f"/v1/contracts/{contract['id']}",
        f"/v1/contracts/{contract['id']}/versions",
        f"/v1/contracts/{contract['id']}/amendments/{amendment['id']}",
        f"/v1/contract-templates/{template['id']}",
    ):
        assert client.get(path, headers=headers).status_code == 404, path
    cancel = client.post(
        f"/v1/contracts/{contract['id']}/amendments/{amendment['id']}/cancel", headers=headers
    )
    assert cancel.status_code == 404
    # Their contract cannot name our customer or product.
    stranger = client.post(
        "/v1/contracts",
        headers=headers,
        json={
            "customer_id": shop.customer.id,
            "reference": "X",
            "start_date": "2026-01-01",
            "lines": [{"product_id": shop.hosting.id}],
        },
    )
    assert pointers(stranger) == {
        "/customer_id": f"no customer '{shop.customer.id}' in this organization",
        "/lines/0/product_id": f"no product '{shop.hosting.id}' in this organization",
    }
    assert client.get("/v1/contracts", headers=headers).json()["data"] == []


def test_read_only_keys_read_but_do_not_write(
    api: TestClient, client: TestClient, shop: World, make_key: Any
) -> None:
    contract = ok(api.post("/v1/contracts", json=body(shop)), 201)
    reader = {"Authorization": f"Bearer {make_key(Role.READ_ONLY)}"}
    assert client.get(f"/v1/contracts/{contract['id']}", headers=reader).status_code == 200
    response = client.post(
        f"/v1/contracts/{contract['id']}/transitions", json={"action": "submit"}, headers=reader
    )
    assert response.status_code == 403


def test_idempotency_key_replays_a_creation(api: TestClient, shop: World) -> None:
    headers = {"Idempotency-Key": "create-c1"}
    first = api.post("/v1/contracts", json=body(shop), headers=headers)
    again = api.post("/v1/contracts", json=body(shop), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert len(ok(api.get("/v1/contracts"))["data"]) == 1


def test_renewal_due_filter(api: TestClient, shop: World) -> None:
    renewing = running(api, shop, initial_term_months=12, renewal_months=12)
    params = {"renewal_due_before": "2027-02-01"}
    assert [c["id"] for c in ok(api.get("/v1/contracts", params=params))["data"]] == [
        renewing["id"]
    ]
    bad = api.get("/v1/contracts", params={"renewal_due_before": "someday"})
    assert bad.status_code == 422


def test_reads_take_the_shape_of_the_inputs_so_they_can_be_sent_back(
    api: TestClient, shop: World
) -> None:
    template = {
        "name": "Fixed",
        "parameters": [{"name": "start_date", "type": "date"}],
        "terms": {"end_date": "2026-12-31", "notice_months": 1},
        "lines": [
            {
                "line_key": "hosting",
                "product": "hosting",
                "kind": "recurring",
                "end_date": "2026-06-30",
                "discounts": [{"kind": "percentage", "value": "10", "until": "2026-03-31"}],
            }
        ],
    }
    created = ok(api.post("/v1/contract-templates", json=template), 201)["latest"]
    # Last days come back as typed (stored as the next day, the exclusive end).
    assert created["terms"]["end_date"] == "2026-12-31"
    assert (created["terms"]["notice_months"], created["terms"]["notice_days"]) == (1, 0)
    [line] = created["lines"]
    assert (line["end_date"], line["discounts"][0]["until"]) == ("2026-06-30", "2026-03-31")
    copy = {"name": "Copy"} | {k: created[k] for k in ("parameters", "terms", "lines")}
    again = ok(api.post("/v1/contract-templates", json=copy), 201)["latest"]
    assert (again["terms"], again["lines"]) == (created["terms"], created["lines"])

    contract = running(api, shop)
    url = f"/v1/contracts/{contract['id']}/amendments"
    change = {"type": "change_term", "end_date": "2026-09-30", "no_renewal": True}
    first = ok(
        api.post(url, json={"effective_date": "2026-03-01", "reason": "r", "changes": [change]}),
        201,
    )
    assert first["changes"] == [change | {"initial_term_months": None, "renewal_months": None}]
    assert first["diff"] == ["end date evergreen → 2026-09-30"]


def test_pricelist_refusals_name_the_field(
    api: TestClient, client: TestClient, shop: World, make_tenant: Any
) -> None:
    dollars = ok(api.post("/v1/pricelists", json={"name": "US", "currency": "USD"}), 201)
    response = api.post("/v1/contracts", json=body(shop, pricelist_id=dollars["id"]))
    assert pointers(response)["/pricelist_id"] == (
        "the pricelist is in USD but the contract is in EUR"
    )
    other: Tenant = make_tenant("Other SAS")
    theirs = client.post(
        "/v1/pricelists", json={"name": "Theirs", "currency": "EUR"}, headers=other.headers
    ).json()
    response = api.post("/v1/contracts", json=body(shop, pricelist_id=theirs["id"]))
    assert pointers(response)["/pricelist_id"] == (
        f"no pricelist '{theirs['id']}' in this organization"
    )


def test_a_termination_before_an_invoiced_day_needs_a_credit(
    api: TestClient, shop: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from tarif.contracts import service_lifecycle

    contract = running(api, shop)
    # February invoiced: the first day not invoiced is 1 Mar 2026.
    monkeypatch.setattr(service_lifecycle, "last_invoiced_date", lambda ctx, cid: date(2026, 3, 1))
    url = f"/v1/contracts/{contract['id']}/transitions"
    refused = api.post(url, json={"action": "terminate", "date": "2026-02-15"})
    assert pointers(refused) == {
        "/date": "2026-02-15 is before 2026-02-28, already invoiced: terminate with a credit for "
        "the invoiced days, or choose a later date"
    }
    done = ok(
        api.post(url, json={"action": "terminate", "date": "2026-02-15", "with_credit": True}),
        201,
    )
    assert len(done["scheduled_amendments"]) == 1  # ends on 15 Feb, scheduled until then


def test_apply_due_brings_contracts_up_to_a_day(api: TestClient, shop: World) -> None:
    # 12-month term from 1 Jan 2026 renewing for 12: the first renewal falls on 1 Jan 2027.
    renewing = running(api, shop, initial_term_months=12, renewal_months=12)
    before = ok(api.post("/v1/contracts/apply-due", json={"as_of": "2026-12-31"}))
    assert before["renewals"] == []
    summary = ok(api.post("/v1/contracts/apply-due", json={"as_of": "2027-01-01"}))
    assert summary == {
        "as_of": "2027-01-01",
        "amendments_applied": [],
        "renewals": ["C-2026-001: 2027-01-01"],
        "activated": [],
        "terminated": [],
    }
    # Once only: the same day again renews nothing.
    assert ok(api.post("/v1/contracts/apply-due", json={"as_of": "2027-01-01"}))["renewals"] == []
    assert ok(api.get(f"/v1/contracts/{renewing['id']}"))["id"] == renewing["id"]
    refused = api.post("/v1/contracts/apply-due", json={"as_of": "2027-01-01", "bogus": 1})
    assert pointers(refused) == {"/bogus": "unknown field"}
