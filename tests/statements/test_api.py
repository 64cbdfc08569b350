"""Statements and usage explanations over HTTP, on the seed case (billed on 1 Feb 2026):
399.00 + 2 % of January's 50,000.00 turnover = 1,000.00 + 1,200 transactions × 0.25 = 300.00."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.tenancy import service as tenancy
from tests.contracts.conftest import World
from tests.invoicing.rendering.conftest import pdf_text
from tests.invoicing.test_issued import SELLER
from tests.statements.conftest import seed_invoice


@pytest.fixture
def seeded(ctx: Ctx, world: World) -> tuple[World, str]:
    invoice = seed_invoice(world)
    ctx.session.commit()
    return world, invoice.id


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response


def problem_fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["field"]: e["detail"] for e in response.json()["errors"]}


def test_the_invoice_statement_as_json(api: TestClient, seeded: tuple[World, str]) -> None:
    _, invoice_id = seeded
    body = ok(api.get(f"/v1/invoices/{invoice_id}/statement?group_by=metric,day")).json()
    assert (body["object"], body["group_by"]) == ("statement", "metric,day")
    assert body["currency"] == "EUR"
    assert (body["from"], body["to"], body["amount"]) == ("2026-01-01", "2026-02-01", "1300.00")
    [metric] = body["metrics"]
    percentage, fee = metric["lines"]
    assert (metric["metric"], metric["amount"]) == ("turnover", "1300.00")
    # 1 Jan: 33 × 40.00 + 6 × 50.00 = 1,620.00, 2 % = 32.40; 39 transactions × 0.25 = 9.75
    assert percentage["rows"][0] == {
        "keys": {"day": "2026-01-01"},
        "quantity": "1620",
        "event_count": 39,
        "unit_price": "0.02",
        "amount": "32.40",
        "late_adjustment": False,
    }
    assert fee["rows"][-1]["keys"] == {"day": "2026-01-31"}
    assert (fee["rows"][-1]["quantity"], fee["rows"][-1]["amount"]) == ("38", "9.50")
    assert sum(Decimal(r["amount"]) for r in percentage["rows"]) == Decimal("1000.00")
    assert sum(Decimal(r["amount"]) for r in fee["rows"]) == Decimal("300.00")
    assert (percentage["shared_by"], fee["shared_by"]) == ("quantity", "events")


def test_the_invoice_statement_as_csv(api: TestClient, seeded: tuple[World, str]) -> None:
    _, invoice_id = seeded
    response = ok(api.get(f"/v1/invoices/{invoice_id}/statement?group_by=month&format=csv"))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="statement-draft-{invoice_id}.csv"' in response.headers["content-disposition"]
    header, first, second = response.text.splitlines()
    assert header == (
        "metric,invoice_id,invoice_number,line_position,contract_id,usage_part,description,"
        "from,to,late_adjustment,month,quantity,event_count,unit_price,amount"
    )
    assert first.startswith("turnover,")
    assert first.endswith(",2026-01-01,2026-02-01,false,2026-01,50000,1200,0.02,1000.00")
    assert second.endswith(",2026-01-01,2026-02-01,false,2026-01,1200,1200,0.25,300.00")


def test_the_statement_pdf_in_the_customers_language(
    api: TestClient, ctx: Ctx, seeded: tuple[World, str]
) -> None:
    world, invoice_id = seeded
    response = ok(api.get(f"/v1/invoices/{invoice_id}/statement?group_by=month&format=pdf"))
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    for mention in [
        "Relevé de consommation",
        "Client : Acme SAS",
        "Période : du 01/01/2026 au 31/01/2026",
        "Turnover (turnover)",
        # month, quantity, events, unit price, amount
        "janvier 2026 50 000 1 200 0,02 1 000,00 €",
        "janvier 2026 1 200 1 200 0,25 300,00 €",
        "Total de la consommation HT 1 300,00 €",
    ]:
        assert mention in text, text
    customers.update_customer(ctx, world.customer.id, {"language": "en"})
    ctx.session.commit()
    english = pdf_text(
        ok(api.get(f"/v1/invoices/{invoice_id}/statement?group_by=month&format=pdf")).content
    )
    for mention in [
        "Consumption statement",
        "Customer: Acme SAS",
        "Period: 1 January 2026 to 31 January 2026",
        "January 2026 50,000 1,200 0.02 €1,000.00",
        "Total usage (net) €1,300.00",
    ]:
        assert mention in english, english


def test_the_customer_statement(api: TestClient, seeded: tuple[World, str]) -> None:
    world, _ = seeded
    url = f"/v1/customers/{world.customer.id}/statement"
    body = ok(api.get(url, params={"from": "2026-01-01", "to": "2026-02-01"})).json()
    # group_by defaults to metric: one row per line, 1,000.00 + 300.00
    assert [r["amount"] for line in body["metrics"][0]["lines"] for r in line["rows"]] == [
        "1000.00",
        "300.00",
    ]
    assert body["amount"] == "1300.00"


def test_bad_input_is_a_422_naming_each_field(api: TestClient, seeded: tuple[World, str]) -> None:
    world, invoice_id = seeded
    bad = api.get(f"/v1/invoices/{invoice_id}/statement?group_by=metric,site-name&format=xml")
    assert problem_fields(bad) == {
        "group_by": "'site-name' is neither metric, day, month nor a property name",
        "format": "must be one of json, csv, pdf",
    }
    url = f"/v1/customers/{world.customer.id}/statement"
    backwards = api.get(url, params={"from": "2026-02-01", "to": "2026-01-01"})
    assert problem_fields(backwards) == {"to": "must be after from"}
    assert problem_fields(api.get(url, params={"from": "2026-01-01"})) == {
        "to": "required: the day after the period",
    }
    # no period at all: last month (the test clock reads 15 Jan 2026: December 2025)
    last_month = api.get(url).json()
    assert (last_month["from"], last_month["to"]) == ("2025-12-01", "2026-01-01")
    stranger = api.get(url, params={"from": "2026-01-01", "to": "2026-02-01", "contract_id": "x"})
    assert problem_fields(stranger) == {"contract_id": "contract 'x' not found for this customer"}


def test_another_organizations_invoice_and_customer_are_404(
    client: TestClient, seeded: tuple[World, str], make_tenant: Any
) -> None:
    world, invoice_id = seeded
    other = make_tenant("Other SAS")
    response = client.get(f"/v1/invoices/{invoice_id}/statement", headers=other.headers)
    assert response.status_code == 404
    response = client.get(
        f"/v1/customers/{world.customer.id}/statement?from=2026-01-01&to=2026-02-01",
        headers=other.headers,
    )
    assert response.status_code == 404


def test_the_invoice_offers_its_statement_and_explains_its_usage(
    api: TestClient, seeded: tuple[World, str]
) -> None:
    world, invoice_id = seeded
    invoice = ok(api.get(f"/v1/invoices/{invoice_id}")).json()
    assert invoice["statement_url"] == f"/v1/invoices/{invoice_id}/statement"
    fixed, percentage, fee = ok(api.get(f"/v1/invoices/{invoice_id}/explain")).json()["lines"]
    assert fixed["usage"] is None
    usage = percentage["usage"]
    assert usage["metric"] | {"id": None} == {
        "id": None,
        "code": "turnover",
        "name": "Turnover",
        "unit": "unit",
        "aggregation": "sum",
        "field": "amount",
    }
    assert usage["metric"]["id"].startswith("mtr_")
    assert (usage["filters"], usage["group_by"], usage["group"]) == ([], [], {})
    assert usage["period"] == {"from": "2026-01-01", "to": "2026-02-01", "timezone": "Europe/Paris"}
    assert usage["event_count"] == 1200
    assert usage["events_url"] == (
        f"/v1/metrics/{usage['metric']['id']}/events?customer_id={world.customer.id}"
        f"&contract_id={invoice['lines'][1]['contract_id']}&from=2026-01-01&to=2026-02-01"
    )
    assert usage["events_page"] == (
        f"/events?customer={world.customer.external_id}"
        f"&contract={invoice['lines'][1]['contract_id']}&metric=turnover"
        "&first_day=2026-01-01&last_day=2026-01-31"
    )
    assert (usage["rated_kind"], usage["model"]) == ("percentage", "percentage")
    assert usage["revision"] == 1
    assert (usage["late_adjustment"], usage["smartcode_versions"]) == (False, {})
    assert fee["usage"]["rated_kind"] == "transaction_fee"
    # the events link lists exactly what was counted: 1,200 events, 100 a page
    listed = ok(api.get(usage["events_url"] + "&limit=100")).json()
    assert (len(listed["data"]), listed["has_more"]) == (100, True)


def test_the_invoice_pdf_has_a_consumption_annex(
    api: TestClient, ctx: Ctx, seeded: tuple[World, str]
) -> None:
    _, invoice_id = seeded
    tenancy.update_organization(ctx, SELLER)
    ctx.session.commit()
    text = pdf_text(ok(api.get(f"/v1/invoices/{invoice_id}/pdf")).content)
    annex = text[text.index("Relevé de consommation") :]
    for mention in [
        "Métrique Événements Quantité Prix unitaire HT Montant HT",
        # events, quantity, unit price, amount of each usage line
        "Turnover (turnover) 1 200 50 000 0,02 1 000,00 €",
        "Turnover (turnover) 1 200 1 200 0,25 300,00 €",
        "du 01/01/2026 au 31/01/2026",
    ]:
        assert mention in annex, annex
