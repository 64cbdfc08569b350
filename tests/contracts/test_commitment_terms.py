"""Early-termination fee and minimum commitment terms: stored, validated, amended, waived."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.contracts.changes import ChangeTerm, Terminate, apply_changes
from tarif.contracts.codec import decode_change, decode_terms, encode_change, encode_terms
from tarif.contracts.model import EarlyTerminationFee, FeeKind
from tarif.contracts.rules import validate_terms
from tarif.tenancy.rules import Role
from tests.contracts.factories import contract
from tests.contracts.test_api import body, ok, pointers, running, shop
from tests.contracts.test_cli import run as cli
from tests.contracts.test_cli import shop as cli_shop

__all__ = ["cli", "cli_shop", "shop"]  # fixtures

FIXED_500 = EarlyTerminationFee(FeeKind.FIXED, amount=Decimal("500.00"))
HALF = EarlyTerminationFee(FeeKind.PERCENTAGE_OF_REMAINING, percentage=Decimal("50"))


def through_json(data: object) -> Any:
    return json.loads(json.dumps(data))


def test_the_fee_and_the_waiver_are_stored_as_json() -> None:
    terms = contract(early_termination_fee=HALF)
    encoded = encode_terms(terms)
    assert encoded["early_termination_fee"] == {
        "kind": "percentage_of_remaining",
        "amount": None,
        "percentage": "50",
    }
    assert decode_terms(through_json(encoded)) == terms
    # terms stored before the fee existed read as "no fee"
    del encoded["early_termination_fee"]
    assert decode_terms(through_json(encoded)).early_termination_fee is None
    for change in (
        Terminate(waive_fee=True),
        ChangeTerm(early_termination_fee=FIXED_500),
        ChangeTerm(no_early_termination_fee=True),
    ):
        assert decode_change(through_json(encode_change(change))) == change
    # a termination stored before the waiver existed is not waived
    assert decode_change({"type": "terminate", "fee_line": None}) == Terminate()


@pytest.mark.parametrize(
    ("fee", "field", "message"),
    [
        (EarlyTerminationFee(FeeKind.FIXED), "amount", "is required for a fixed fee"),
        (
            EarlyTerminationFee(FeeKind.FIXED, amount=Decimal("-5")),
            "amount",
            "must be greater than 0",
        ),
        (
            EarlyTerminationFee(FeeKind.FIXED, amount=Decimal("10.005")),
            "amount",
            "must have at most 2 decimals in EUR",
        ),
        (
            EarlyTerminationFee(FeeKind.PERCENTAGE_OF_REMAINING, percentage=Decimal("100.5")),
            "percentage",
            "must be at most 100",
        ),
        (
            EarlyTerminationFee(FeeKind.PERCENTAGE_OF_REMAINING),
            "percentage",
            "is required for a percentage of the remaining",
        ),
        (
            EarlyTerminationFee(FeeKind.REMAINING, amount=Decimal(1)),
            "amount",
            "is only for a fixed fee",
        ),
    ],
)
def test_a_bad_fee_is_named(fee: EarlyTerminationFee, field: str, message: str) -> None:
    problems = validate_terms(contract(early_termination_fee=fee))
    assert [(p.field, p.message) for p in problems] == [(f"early_termination_fee.{field}", message)]


def test_a_yen_fee_has_no_decimals() -> None:
    fee = EarlyTerminationFee(FeeKind.FIXED, amount=Decimal("500.5"))
    problems = validate_terms(replace(contract(early_termination_fee=fee), currency="JPY"))
    assert [(p.field, p.message) for p in problems] == [
        ("early_termination_fee.amount", "must have at most 0 decimals in JPY")
    ]


def test_an_amendment_sets_or_removes_the_fee() -> None:
    terms = contract(initial_term_months=12)
    with_fee = apply_changes(terms, [ChangeTerm(early_termination_fee=FIXED_500)], date(2026, 3, 1))
    assert with_fee.early_termination_fee == FIXED_500
    without = apply_changes(with_fee, [ChangeTerm(no_early_termination_fee=True)], date(2026, 4, 1))
    assert without.early_termination_fee is None


# --- over HTTP ----------------------------------------------------------------------------------


def test_the_api_takes_and_shows_the_fee_and_line_minimums(api: TestClient, shop: Any) -> None:
    created = ok(
        api.post(
            "/v1/contracts",
            json=body(
                shop,
                initial_term_months=12,
                early_termination_fee={"kind": "fixed", "amount": "500.00"},
                lines=[
                    {
                        "product_id": shop.hosting.id,
                        "minimum_commitment": {"amount": "450.00", "periodicity": "monthly"},
                    }
                ],
            ),
        ),
        201,
    )
    terms = created["terms"]
    assert terms["early_termination_fee"] == {
        "kind": "fixed",
        "amount": "500.00",
        "percentage": None,
    }
    assert terms["lines"][0]["minimum_commitment"] == {"amount": "450.00", "periodicity": "monthly"}
    edited = ok(
        api.patch(
            f"/v1/contracts/{created['id']}",
            json={"early_termination_fee": {"kind": "remaining"}},
        )
    )
    assert edited["terms"]["early_termination_fee"]["kind"] == "remaining"
    removed = ok(api.patch(f"/v1/contracts/{created['id']}", json={"early_termination_fee": None}))
    assert removed["terms"]["early_termination_fee"] is None


@pytest.mark.parametrize(
    ("fee", "pointer", "message"),
    [
        (
            {"kind": "fixed", "amount": "-1"},
            "/early_termination_fee/amount",
            "must be greater than 0",
        ),
        (
            {"kind": "fixed", "amount": "12.345"},
            "/early_termination_fee/amount",
            "must have at most 2 decimals in EUR",
        ),
        (
            {"kind": "percentage_of_remaining", "percentage": "101"},
            "/early_termination_fee/percentage",
            "must be at most 100",
        ),
        ({"kind": "remaining", "colour": "red"}, "/early_termination_fee/colour", "unknown field"),
    ],
)
def test_the_api_names_a_bad_fee(
    api: TestClient, shop: Any, fee: dict[str, str], pointer: str, message: str
) -> None:
    response = api.post("/v1/contracts", json=body(shop, early_termination_fee=fee))
    assert response.status_code == 422
    assert pointers(response)[pointer] == message


def test_an_amendment_changes_the_fee_and_says_so(api: TestClient, shop: Any) -> None:
    contract_ = running(api, shop, initial_term_months=12)
    url = f"/v1/contracts/{contract_['id']}/amendments"
    change = {
        "type": "change_term",
        "early_termination_fee": {"kind": "percentage_of_remaining", "percentage": "50"},
    }
    draft = ok(
        api.post(url, json={"effective_date": "2026-03-01", "reason": "deal", "changes": [change]}),
        201,
    )
    assert draft["diff"] == ["early-termination fee none → 50% of remaining charges"]


def test_only_an_admin_waives_the_fee(
    api: TestClient, client: TestClient, shop: Any, make_key: Any
) -> None:
    contract_ = running(
        api, shop, initial_term_months=12, early_termination_fee={"kind": "remaining"}
    )
    url = f"/v1/contracts/{contract_['id']}/transitions"
    finance = {"Authorization": f"Bearer {make_key(Role.FINANCE)}"}
    waive = {"action": "terminate", "date": "2026-06-01", "waive_fee": True}
    assert client.post(url, json=waive, headers=finance).status_code == 403
    misplaced = api.post(url, json={"action": "suspend", "waive_fee": True})
    assert pointers(misplaced) == {"/waive_fee": "not used by suspend (only by terminate)"}
    ok(api.post(url, json=waive), 201)
    amendments = ok(api.get(f"/v1/contracts/{contract_['id']}/amendments"))["data"]
    assert len(amendments) == 1


# --- from the command line ----------------------------------------------------------------------


def test_the_cli_sets_amends_and_waives_the_fee(cli: Any, cli_shop: Any) -> None:
    from tests.contracts.test_cli import as_json, create, one_error_line
    from tests.contracts.test_cli import ok as done

    created = create(
        cli, cli_shop, "--term-months", "12", "--early-termination-fee", "fixed:500.00"
    )
    assert created["terms"]["early_termination_fee"] == {
        "kind": "fixed",
        "amount": "500.00",
        "percentage": None,
    }
    added = done(
        cli("contracts", "add-line", "C-CLI-1", "--product", "licence", "--minimum", "1000.00",
            "--minimum-periodicity", "quarterly")
    )  # fmt: skip
    assert added.stdout.strip() == "line licence added: 1 × 120.00"
    shown = as_json(cli("contracts", "show", "C-CLI-1", "--json"))
    assert shown["terms"]["lines"][1]["minimum_commitment"] == {
        "amount": "1000.00",
        "periodicity": "quarterly",
    }
    bad = one_error_line(
        cli("contracts", "create", "--customer", cli_shop.customer.id, "--reference", "C-X",
            "--start", "2026-02-01", "--early-termination-fee", "percentage_of_remaining:150")
    )  # fmt: skip
    assert "early_termination_fee.percentage: must be at most 100" in bad
    done(cli("contracts", "submit", "C-CLI-1"))
    done(cli("contracts", "activate", "C-CLI-1"))
    amended = as_json(
        cli("amendments", "create", "C-CLI-1", "--effective", "2026-03-01", "--reason", "deal",
            "--early-termination-fee", "remaining", "--json")
    )  # fmt: skip
    assert amended["diff"] == ["early-termination fee fixed 500.00 → remaining charges"]
    out = done(
        cli("contracts", "terminate", "C-CLI-1", "--mode", "on_date", "--date", "2026-02-01",
            "--waive-fee")
    )  # fmt: skip
    assert out.stdout.strip().startswith("contract C-CLI-1 is active")


def test_a_bad_fee_set_by_an_amendment_is_named_at_its_change(api: TestClient, shop: Any) -> None:
    contract_ = running(api, shop, initial_term_months=12)
    change = {"type": "change_term", "early_termination_fee": {"kind": "fixed", "amount": "0"}}
    response = api.post(
        f"/v1/contracts/{contract_['id']}/amendments",
        json={"effective_date": "2026-03-01", "reason": "deal", "changes": [change]},
    )
    assert pointers(response) == {
        "/changes/0/early_termination_fee/amount": "must be greater than 0"
    }
