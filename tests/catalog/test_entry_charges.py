"""A usage product's charge on its pricelist entry: API, lookup, CLI and page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from tarif.catalog import service
from tarif.cli.main import app
from tarif.context import Ctx
from tests.catalog.conftest import make_customer
from tests.catalog.test_api import create, pointers
from tests.catalog.test_web import browser, csrf_token, seeded, text_of  # noqa: F401
from tests.conftest import Tenant

TURNOVER = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
TIERS = {
    "metric": "api_calls",
    "model": "graduated",
    "tiers": [
        {"up_to": "100", "unit_price": "1.00"},
        {"up_to": "500", "unit_price": "0.80"},
        {"up_to": None, "unit_price": "0.50"},
    ],
}


def catalog(api: TestClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A default EUR pricelist, a usage product and a recurring one."""
    pricelist = create(
        api, "/v1/pricelists", {"name": "Standard", "currency": "EUR", "is_default": True}
    )
    usage = create(
        api, "/v1/products", {"code": "payments", "name_en": "Payments", "kind": "usage"}
    )
    hosting = create(
        api, "/v1/products", {"code": "hosting", "name_en": "Hosting", "kind": "recurring"}
    )
    return f"/v1/pricelists/{pricelist['id']}/entries", usage, hosting


def test_an_entry_keeps_its_charge_and_shows_it_in_words(api: TestClient, ctx: Ctx) -> None:
    entries, usage, _ = catalog(api)
    entry = create(api, entries, {"product_id": usage["id"], "unit_price": "0", "charge": TURNOVER})
    assert entry["charge"] == TURNOVER
    assert entry["charge_summary"] == "turnover : 2\u00a0% + 0,25\u00a0€ par transaction"
    changed = api.patch(f"{entries}/{entry['id']}", json={"charge": TIERS})
    assert changed.status_code == 200, changed.text
    assert changed.json()["charge_summary"].startswith("api_calls : Paliers progressifs : ")
    # the lookup a contract line uses gives the charge with the price
    customer = make_customer(ctx)
    ctx.session.commit()
    params = {"customer_id": customer.id, "product_id": usage["id"], "date": "2026-02-01"}
    assert api.get("/v1/prices/lookup", params=params).json()["charge"] == TIERS
    removed = api.patch(f"{entries}/{entry['id']}", json={"charge": None})
    assert removed.json()["charge"] is None


def test_a_bad_charge_is_refused_naming_each_field(api: TestClient) -> None:
    entries, usage, hosting = catalog(api)
    bad = {
        **TIERS,
        "tiers": [{"up_to": "100", "unit_price": "-1"}, {"up_to": "200", "unit_price": "1"}],
    }
    response = api.post(entries, json={"product_id": usage["id"], "unit_price": "0", "charge": bad})
    assert response.status_code == 422
    assert pointers(response) == {
        "/charge/tiers/0/unit_price": "must not be negative",
        "/charge/tiers/1/up_to": "the last tier must be open: up_to null (no upper bound)",
    }
    response = api.post(
        entries,
        json={
            "product_id": hosting["id"],
            "unit_price": "399",
            "periodicity": "monthly",
            "timing": "in_advance",
            "charge": TURNOVER,
        },
    )
    assert response.status_code == 422
    assert pointers(response) == {"/charge": "only usage products have a charge"}


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [*args, "--org", tenant.id])


def test_cli_charge_file_inline_charge_and_removal(
    run: Any, api: TestClient, tmp_path: Path
) -> None:
    entries, usage, _ = catalog(api)
    pricelist_id = entries.split("/")[3]
    charge_file = tmp_path / "charge.json"
    charge_file.write_text(json.dumps(TURNOVER), encoding="utf-8")
    added = run(
        "pricelists",
        "add-entry",
        pricelist_id,
        "--product",
        "payments",
        "--price",
        "0",
        "--charge-file",
        str(charge_file),
        "--json",
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["charge"] == TURNOVER
    updated = run(
        "pricelists",
        "update-entry",
        pricelist_id,
        "--product",
        "payments",
        "--charge",
        json.dumps(TIERS),
        "--json",
    )
    assert updated.exit_code == 0, updated.output
    assert json.loads(updated.stdout)["charge"] == TIERS
    bad = run(
        "pricelists",
        "update-entry",
        pricelist_id,
        "--product",
        "payments",
        "--charge",
        "{nope",
    )
    assert bad.exit_code != 0
    assert "charge: not valid JSON" in bad.output
    removed = run(
        "pricelists",
        "update-entry",
        pricelist_id,
        "--product",
        "payments",
        "--no-charge",
        "--json",
    )
    assert json.loads(removed.stdout)["charge"] is None
    assert usage["kind"] == "usage"


def test_the_page_takes_the_charge_as_json_and_shows_a_summary(
    browser: TestClient,  # noqa: F811
    seeded: Ctx,  # noqa: F811
) -> None:
    product = service.create_product(
        seeded, {"code": "payments", "name_en": "Payments", "kind": "usage"}
    )
    pricelist = service.create_pricelist(
        seeded, {"name": "Standard", "currency": "EUR", "is_default": True}
    )
    seeded.session.commit()
    page = f"/pricelists/{pricelist.id}"
    token = csrf_token(browser.get(page).text)
    fields = {"csrf_token": token, "product_id": product.id, "unit_price": "0"}
    refused = browser.post(
        f"{page}/entries",
        data={**fields, "charge": '{"metric": "turnover", "model": "percentage", "rate": "120"}'},
    )
    assert refused.status_code == 422
    assert "must lie between 0 and 100 (percent)" in text_of(refused.text)
    saved = browser.post(
        f"{page}/entries", data={**fields, "charge": json.dumps(TURNOVER)}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert "turnover : 2\u00a0% + 0,25\u00a0€ par transaction" in text_of(browser.get(page).text)
    entry = service.list_all_entries(seeded, pricelist.id)[0]
    form = browser.get(f"{page}/entries/{entry.id}/edit").text
    assert "&#34;fixed_fee&#34;: &#34;0.25&#34;" in form or '"fixed_fee": "0.25"' in form


def test_the_demo_prices_the_turnover_fee_with_the_headline_charge(ctx: Ctx) -> None:
    from tarif.catalog.demo import load_demo_catalog

    load_demo_catalog(ctx)
    load_demo_catalog(ctx)  # idempotent
    product = service.find_product_by_code(ctx, "turnover-fee")
    assert product is not None
    (entry,) = service.entries_of_product(ctx, product.id)
    assert entry.charge == TURNOVER
