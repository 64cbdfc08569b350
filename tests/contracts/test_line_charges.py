"""Usage lines and their charge: copied from the pricelist entry, overridden, amended, kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.catalog import service as catalog
from tarif.contracts import service
from tarif.contracts.codec import decode_terms, encode_terms
from tarif.contracts.model import LinePriceSource
from tarif.contracts.schemas import LineInput, LineUpdate, parse
from tarif.errors import InvalidInput
from tarif.pricing.charges import ChargeSpec, Usage, rate_charge
from tests.contracts.conftest import World
from tests.contracts.test_service_amendments import amend
from tests.web.conftest import admin, browser, make_user  # noqa: F401

ENTRY_CHARGE = {"metric": "api_calls", "model": "per_unit", "unit_price": "0.0025"}
TURNOVER = {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}


def with_entry_charge(world: World) -> None:
    entry = catalog.entry_for_product(world.ctx, world.pricelist.id, world.api_calls.id)
    catalog.update_entry(world.ctx, world.pricelist.id, entry.id, {"charge": ENTRY_CHARGE})


def usage_contract(world: World, **line: Any) -> str:
    lines = [{"product_id": world.hosting.id}, {"product_id": world.api_calls.id, **line}]
    return world.running(start_date="2026-01-01", lines=lines).id


def test_a_usage_line_copies_the_entry_charge(world: World) -> None:
    with_entry_charge(world)
    contract_id = usage_contract(world)
    line = service.show_contract(world.ctx, contract_id).terms.line("api-calls")
    assert line is not None
    assert (line.charge, line.price_source) == (
        ChargeSpec.from_json(ENTRY_CHARGE),
        LinePriceSource.PRICELIST,
    )
    # a later change of the pricelist leaves the signed contract's charge alone
    entry = catalog.entry_for_product(world.ctx, world.pricelist.id, world.api_calls.id)
    catalog.update_entry(world.ctx, world.pricelist.id, entry.id, {"charge": TURNOVER})
    assert service.line_charge(world.ctx, contract_id, "api-calls") == ChargeSpec.from_json(
        ENTRY_CHARGE
    )


def test_a_line_without_a_charge_falls_back_to_the_entry(world: World) -> None:
    contract_id = usage_contract(world)  # the entry had no charge when the line was made
    assert service.show_contract(world.ctx, contract_id).terms.line("api-calls").charge is None  # type: ignore[union-attr]
    with_entry_charge(world)
    assert service.line_charge(world.ctx, contract_id, "api-calls") == ChargeSpec.from_json(
        ENTRY_CHARGE
    )


def test_an_override_and_its_headline_invoice(world: World) -> None:
    with_entry_charge(world)
    contract_id = usage_contract(world, charge=TURNOVER)
    line = service.show_contract(world.ctx, contract_id).terms.line("api-calls")
    assert line is not None and line.price_source is LinePriceSource.OVERRIDE
    assert line.charge is not None
    lines = rate_charge(line.charge, Usage(Decimal("50000.00"), event_count=1200), "EUR")
    # 2 % × 50,000.00 = 1,000.00; 1,200 × 0.25 = 300.00
    assert [str(x.net) for x in lines] == ["1000.00", "300.00"]


def test_a_charge_only_on_usage_lines_and_problems_named(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        world.running(
            start_date="2026-01-01",
            lines=[
                {"product_id": world.hosting.id, "charge": TURNOVER},
                {"product_id": world.api_calls.id, "charge": {**TURNOVER, "rate": "-1"}},
            ],
        )
    assert {e.field: e.message for e in caught.value.errors} == {
        "lines.0.charge": "only usage lines have a charge",
        "lines.1.charge.rate": "must lie between 0 and 100 (percent)",
    }


def test_an_amendment_changes_the_charge_and_versions_keep_both(world: World) -> None:
    with_entry_charge(world)
    contract_id = usage_contract(world)
    contract = service.get_contract(world.ctx, contract_id)
    amend(
        world,
        contract,
        "2026-03-01",
        {"type": "change_charge", "line_key": "api-calls", "charge": TURNOVER},
        schedule=True,
    )
    before = service.show_contract(world.ctx, contract_id, as_of=date(2026, 2, 28)).terms
    after = service.show_contract(world.ctx, contract_id, as_of=date(2026, 3, 1)).terms
    assert before.line("api-calls").charge == ChargeSpec.from_json(ENTRY_CHARGE)  # type: ignore[union-attr]
    assert after.line("api-calls").charge == ChargeSpec.from_json(TURNOVER)  # type: ignore[union-attr]
    assert decode_terms(encode_terms(after)) == after
    [_, version_2] = service.contract_versions(world.ctx, contract_id)
    assert any(change.startswith("line api-calls: charge ") for change in version_2.changes)
    with pytest.raises(InvalidInput) as caught:
        amend(
            world,
            contract,
            "2026-04-01",
            {"type": "change_charge", "line_key": "hosting", "charge": TURNOVER},
        )
    assert [e.field for e in caught.value.errors] == ["changes.0.charge"]


def test_draft_line_override_then_back_to_the_entry(world: World) -> None:
    with_entry_charge(world)
    draft = world.contract(lines=[{"product_id": world.hosting.id}])
    service.add_line(
        world.ctx,
        draft.id,
        data=parse(LineInput, {"product_id": world.api_calls.id, "charge": TURNOVER}),
    )
    line = service.show_contract(world.ctx, draft.id).terms.line("api-calls")
    assert line is not None and line.charge == ChargeSpec.from_json(TURNOVER)
    service.update_line(world.ctx, draft.id, "api-calls", data=parse(LineUpdate, {"charge": None}))
    line = service.show_contract(world.ctx, draft.id).terms.line("api-calls")
    assert line is not None
    assert (line.charge, line.price_source) == (
        ChargeSpec.from_json(ENTRY_CHARGE),
        LinePriceSource.PRICELIST,
    )


def test_the_api_reads_and_refuses_a_line_charge(world: World, api: TestClient) -> None:
    world.ctx.session.commit()
    body = {
        "customer_id": world.customer.id,
        "reference": "C-API-1",
        "start_date": "2026-02-01",
        "lines": [{"product_id": world.api_calls.id, "charge": TURNOVER}],
    }
    created = api.post("/v1/contracts", json=body)
    assert created.status_code == 201, created.text
    lines = api.get(f"/v1/contracts/{created.json()['id']}/lines").json()
    rows = lines["data"] if isinstance(lines, dict) else lines
    assert rows[0]["charge"] == TURNOVER
    bad = {**body, "reference": "C-API-2"}
    bad["lines"] = [{"product_id": world.api_calls.id, "charge": {"metric": "x", "model": "bulk"}}]
    refused = api.post("/v1/contracts", json=bad)
    assert refused.status_code == 422
    assert [e["pointer"] for e in refused.json()["errors"]] == ["/lines/0/charge/model"]


def test_the_contract_page_shows_the_line_charge_in_words(
    admin: TestClient,  # noqa: F811  (signed in first: SQLite has one writer)
    world: World,
) -> None:
    contract_id = usage_contract(world, charge=TURNOVER)
    world.ctx.session.commit()
    page = admin.get(f"/contracts/{contract_id}").text
    assert "turnover : 2\u00a0% + 0,25\u00a0€ par transaction" in page
