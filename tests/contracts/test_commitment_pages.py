"""Minimum commitments and early-termination fees on the contract pages (French, 15 Jan 2026)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.contracts import service
from tests.contracts.conftest import World
from tests.contracts.test_web import (
    Run,
    error_of,
    post,
    rows_of,
    run,
    running,
    text_of,
    world,
)
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user", "run", "world"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


def test_a_new_contract_takes_a_fee_and_line_minimums(admin: TestClient, world: World) -> None:
    form = admin.get("/contracts/new").text
    assert 'id="f-early_termination_fee.kind"' in form
    fields = {
        "customer_id": world.customer.id,
        "reference": "C-WEB-9",
        "start_date": "2026-02-01",
        "initial_term_months": "12",
        "billing_alignment": "calendar",
        "activation.condition": "manual",
        "early_termination_fee.kind": "percentage_of_remaining",
        "early_termination_fee.percentage": "150",
        "lines.0.product_id": world.hosting.id,
        "lines.0.minimum_commitment.amount": "-1",
        "lines.0.minimum_commitment.periodicity": "quarterly",
    }
    refused = post(admin, "/contracts/new", form, **fields)
    assert refused.status_code == 422
    assert error_of(refused.text, "early_termination_fee.percentage") == "must be at most 100"
    assert error_of(refused.text, "lines.0.minimum_commitment.amount") == "must be greater than 0"
    fixed = fields | {
        "early_termination_fee.percentage": "50",
        "lines.0.minimum_commitment.amount": "1000.00",
    }
    created = post(admin, "/contracts/new", form, **fixed)
    assert created.status_code == 303, created.text
    page = admin.get(created.headers["location"]).text
    fee = re.search(r'data-field-value="early_termination_fee">([^<]*)<', page)
    assert fee and fee.group(1) == "50% of remaining charges"
    [hosting] = rows_of(page, "contract-lines")
    # the minimum in euros, per quarter ("trimestriel"), then the draft line's edit buttons
    assert hosting.endswith("1 000,00 € · trimestriel Modifier Retirer")


def test_an_amendment_sets_the_fee_and_an_admin_waives_it(
    admin: TestClient, run: Run[Any], world: World
) -> None:
    contract_id = running(run, world, initial_term_months=12, start_date="2026-01-01")
    url = f"/contracts/{contract_id}"
    form = admin.get(f"{url}/amend").text
    bad = post(
        admin,
        f"{url}/amend",
        form,
        effective_date="2026-03-01",
        reason="deal",
        schedule="1",
        **{
            "change_term.enabled": "on",
            "change_term.early_termination_fee.kind": "fixed",
            "change_term.early_termination_fee.amount": "10.001",
        },
    )
    assert bad.status_code == 422
    assert error_of(bad.text, "change_term.early_termination_fee.amount") == (
        "must have at most 2 decimals in EUR"
    )
    done = post(
        admin,
        f"{url}/amend",
        form,
        effective_date="2026-01-15",
        reason="deal",
        schedule="1",
        **{
            "change_term.enabled": "on",
            "change_term.early_termination_fee.kind": "fixed",
            "change_term.early_termination_fee.amount": "500.00",
        },
    )
    assert done.status_code == 303, done.text
    form = admin.get(f"{url}/terminate").text
    assert "Frais de résiliation anticipée" in text_of(form)
    assert 'id="f-waive_fee"' in form
    ended = post(
        admin,
        f"{url}/terminate",
        form,
        mode="on_date",
        date="2026-06-01",
        reason="Closing",
        waive_fee="on",
    )
    assert ended.status_code == 303, ended.text
    view = run(lambda ctx: service.show_contract(ctx, contract_id))
    # The fee stays a term of the contract; the termination scheduled for 1 Jun waives it.
    assert view.terms.early_termination_fee is not None
    [ending] = [a for a in view.scheduled if a.effective_date.isoformat() == "2026-06-01"]
    assert [type(c).__name__ for c in ending.changes] == ["Terminate"]
    assert ending.changes[0].waive_fee
