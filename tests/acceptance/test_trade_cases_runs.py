"""Worked cases from month-end: billing runs and the life of the invoices they make.

The finance team of a growing SaaS company runs its month-end through the public REST API only:
grouping by customer and billing date, contracts that start or end on the run's day, dry runs
and the upcoming invoice against the run that follows, catching up several months at once,
refused and repeated runs, automatic finalization as the clock moves, drafts edited or
regenerated before the next run, voids, credit notes, the credit balance and payments.

Every expected figure is computed by hand from the billing rules (docs/billing-rules.md and
docs/invoices.md) in the comment beside it. The test clock reads 15 Jan 2026; a case that needs
a later "today" moves it forward. The seller is French (VAT 20 % on standard products).
"""

from __future__ import annotations

from typing import Any

from tests.acceptance.test_trade_cases import Shop, hosting, nets, ok, totals

# --- helpers --------------------------------------------------------------------------------------


def product(
    shop: Shop, code: str, price: str, periodicity: str = "monthly", timing: str = "in_advance"
) -> str:
    return shop.product(code, unit_price=price, periodicity=periodicity, timing=timing)


def amend(shop: Shop, contract: str, effective: str, *changes: dict[str, Any]) -> None:
    body = {
        "effective_date": effective,
        "reason": "customer request",
        "schedule": True,
        "changes": list(changes),
    }
    ok(shop.api.post(f"/v1/contracts/{contract}/amendments", json=body), 201)


def dry_run(shop: Shop, as_of: str) -> list[dict[str, Any]]:
    answer = ok(shop.api.post("/v1/billing-runs", json={"as_of": as_of, "dry_run": True}), 201)
    assert (answer["id"], answer["run"], answer["dry_run"]) == (None, None, True)
    invoices: list[dict[str, Any]] = answer["invoices"]
    return invoices


def figures(invoice: dict[str, Any]) -> tuple[Any, ...]:
    """What a preview (dry run, upcoming invoice) and a written invoice share: the grouping key,
    the totals and each line (contract, line, kind, period, net, VAT rate)."""
    lines = [
        (
            x["contract_id"],
            x["line_key"],
            x["kind"],
            x["period_start"],
            x["period_last_day"],
            x["net_amount"],
            x["vat_rate"],
        )
        for x in invoice["lines"]
    ]
    return (
        invoice["customer_id"],
        invoice["contract_id"],
        invoice["billing_date"],
        totals(invoice),
        sorted(lines, key=str),
    )


def written(shop: Shop) -> tuple[int, int]:
    """How many invoices (drafts included) and billing runs the organization has."""
    invoices = ok(shop.api.get("/v1/invoices", params={"limit": 100}))["data"]
    runs = ok(shop.api.get("/v1/billing-runs", params={"limit": 100}))["data"]
    return len(invoices), len(runs)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def balance(shop: Shop, customer: str) -> dict[str, Any]:
    answer: dict[str, Any] = ok(shop.api.get(f"/v1/customers/{customer}/balance"))
    return answer


# --- grouping -------------------------------------------------------------------------------------


def test_one_invoice_per_billing_date_for_contracts_on_different_dates(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(
        customer,
        "C-HOST",
        "2026-02-01",
        [{"product_id": hosting(shop)}],
        billing_alignment="calendar",
    )
    support = product(shop, "support", "120.00")
    backup = product(shop, "backup", "900.00", periodicity="quarterly")
    # anniversary from 10 Feb: its months run from the 10th
    shop.contract(customer, "C-SUP", "2026-02-10", [{"product_id": support}])
    shop.contract(
        customer, "C-BAK", "2026-02-01", [{"product_id": backup}], billing_alignment="calendar"
    )
    made = shop.run("2026-02-10")
    # one invoice per billing date: 1 Feb groups hosting 399.00 and the quarter's part
    # [1 Feb, 1 Apr) = 28 + 31 = 59 of Q1's 90 days: 900 × 59/90 = 590.00; net 989.00,
    # VAT 197.80, gross 1186.80. 10 Feb: support 120.00, VAT 24.00, gross 144.00
    assert [(i["billing_date"], sorted(nets(i)), totals(i)) for i in made] == [
        ("2026-02-01", ["399.00", "590.00"], ("989.00", "197.80", "1186.80")),
        ("2026-02-10", ["120.00"], ("120.00", "24.00", "144.00")),
    ]
    assert {i["customer_id"] for i in made} == {customer}
    assert [i["contract_id"] for i in made] == [None, None]  # grouped per customer
    [march] = shop.run("2026-03-01")
    # 1 Mar: hosting alone (the quarter is billed to 31 Mar, support next due on 10 Mar)
    assert (march["billing_date"], nets(march)) == ("2026-03-01", ["399.00"])
    made = shop.run("2026-04-01")
    # 10 Mar: support 120.00; 1 Apr: hosting 399.00 + Q2 900.00 = 1299.00, VAT 259.80
    assert [(i["billing_date"], totals(i)) for i in made] == [
        ("2026-03-10", ("120.00", "24.00", "144.00")),
        ("2026-04-01", ("1299.00", "259.80", "1558.80")),
    ]


def test_a_contract_grouping_its_own_invoices_beside_the_customers_invoice(shop: Shop) -> None:
    customer, host = shop.customer(), hosting(shop)
    support = product(shop, "support", "120.00")
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": host}])
    shop.contract(customer, "C-2", "2026-02-01", [{"product_id": support}])
    own = shop.contract(
        customer,
        "C-OWN",
        "2026-02-01",
        [{"product_id": host}, {"product_id": support, "quantity": "2"}],
        invoice_grouping="contract",
    )
    shop.today("2026-01-20")
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    # 1 Feb makes two invoices: the customer's (C-1 + C-2: 399.00 + 120.00 = 519.00, VAT 103.80,
    # gross 622.80) and C-OWN's own (399.00 + 2 × 120.00 = 639.00, VAT 127.80, gross 766.80);
    # the one without a contract comes first ("" before the contract's id), the other is also due
    assert (upcoming["contract_id"], upcoming["billing_date"], totals(upcoming)) == (
        None,
        "2026-02-01",
        ("519.00", "103.80", "622.80"),
    )
    assert upcoming["also_due"] == [
        {
            "currency": "EUR",
            "contract_id": own,
            "billing_date": "2026-02-01",
            "gross_total": "766.80",
        }
    ]
    made = sorted(shop.run("2026-02-01"), key=lambda i: i["contract_id"] or "")
    assert [(i["contract_id"], totals(i)) for i in made] == [
        (None, ("519.00", "103.80", "622.80")),
        (own, ("639.00", "127.80", "766.80")),
    ]
    assert figures(made[0]) == figures(upcoming)


def test_contracts_starting_and_ending_on_the_runs_day(shop: Shop) -> None:
    customer, host = shop.customer(), hosting(shop)
    support = product(shop, "support", "310.00", timing="in_arrears")
    shop.contract(customer, "C-NEW", "2026-03-01", [{"product_id": host}])
    # in advance, last day covered 1 Mar: [1 Mar, 2 Mar) is due on 1 Mar
    shop.contract(
        customer,
        "C-LAST",
        "2026-02-01",
        [{"product_id": host}],
        end_date="2026-03-01",
        billing_alignment="calendar",
    )
    # in arrears, last day covered 28 Feb: February is due on 1 Mar, nothing after
    shop.contract(
        customer,
        "C-ARR",
        "2026-02-01",
        [{"product_id": support}],
        end_date="2026-02-28",
        billing_alignment="calendar",
    )
    [february] = shop.run("2026-02-01")
    assert nets(february) == ["399.00"]  # C-LAST's February; C-ARR owes nothing yet
    [march] = shop.run("2026-03-01")
    # C-NEW starts that day: 399.00; C-LAST's last day: 399 × 1/31 = 12.870… → 12.87;
    # C-ARR's February in arrears: 310.00. Net 721.87, VAT 144.374 → 144.37, gross 866.24
    assert sorted(nets(march)) == ["12.87", "310.00", "399.00"]
    assert totals(march) == ("721.87", "144.37", "866.24")
    [april] = shop.run("2026-04-01")
    assert nets(april) == ["399.00"]  # only C-NEW is left


# --- previews against the run that follows ------------------------------------------------------


def test_a_dry_run_gives_exactly_what_the_run_then_makes_and_writes_nothing(shop: Shop) -> None:
    host, support = hosting(shop), product(shop, "support", "310.00", timing="in_arrears")
    ok(
        shop.api.post(
            "/v1/coupons",
            json={"code": "SPRING", "kind": "percentage", "value": "10", "duration": "forever"},
        ),
        201,
    )
    alpha, beta = shop.customer("Alpha SAS"), shop.customer("Beta SAS")
    a1 = shop.contract(alpha, "A-1", "2026-02-01", [{"product_id": host}, {"product_id": support}])
    ok(shop.api.post(f"/v1/contracts/{a1}/coupons", json={"code": "SPRING"}), 201)
    b1 = shop.contract(
        beta, "B-1", "2026-02-15", [{"product_id": host}], billing_alignment="calendar"
    )
    shop.today("2026-02-01")
    shop.run("2026-02-15", finalize=True)
    # an upgrade effective on the run's day, scheduled: the dry run shows it, then forgets it
    amend(
        shop, b1, "2026-03-01", {"type": "change_quantity", "line_key": "hosting", "quantity": "2"}
    )
    before = written(shop)
    shop.today("2026-02-28")
    dry = dry_run(shop, "2026-03-01")
    assert written(shop) == before
    contract = ok(shop.api.get(f"/v1/contracts/{b1}"))
    assert contract["status"] == "active"
    again = dry_run(shop, "2026-03-01")  # the amendment is still to apply: the same preview
    assert [figures(i) for i in again] == [figures(i) for i in dry]
    real = shop.run("2026-03-01")
    assert sorted(figures(i) for i in real) == sorted(figures(i) for i in dry)
    by_customer = {i["customer_id"]: i for i in real}
    # Alpha: hosting 399.00 (March) + support 310.00 (February, in arrears) = 709.00,
    # coupon 10 % = −70.90; net 638.10, VAT 127.62, gross 765.72
    assert sorted(nets(by_customer[alpha])) == ["-70.90", "310.00", "399.00"]
    assert totals(by_customer[alpha]) == ("638.10", "127.62", "765.72")
    # Beta: 2 × 399.00 from 1 Mar = 798.00, VAT 159.60, gross 957.60
    assert totals(by_customer[beta]) == ("798.00", "159.60", "957.60")
    assert dry_run(shop, "2026-03-01") == []  # and once made, nothing is due any more


def test_the_upcoming_invoice_is_the_invoice_the_next_run_makes(shop: Shop) -> None:
    ok(
        shop.api.post(
            "/v1/metrics", json={"code": "calls", "name": "Calls", "aggregation": "count"}
        ),
        201,
    )
    calls = shop.product(
        "api-calls",
        "usage",
        unit_price="0.10",
        charge={"metric": "calls", "model": "per_unit", "unit_price": "0.10"},
    )
    ok(
        shop.api.post(
            "/v1/coupons",
            json={
                "code": "LOYAL50",
                "kind": "fixed",
                "value": "50.00",
                "currency": "EUR",
                "duration": "forever",
            },
        ),
        201,
    )
    customer = shop.customer()
    contract = shop.contract(
        customer,
        "C-1",
        "2026-02-01",
        [
            {"product_id": hosting(shop), "discounts": [{"kind": "percentage", "value": "10"}]},
            {"product_id": calls},
        ],
        billing_alignment="calendar",
    )
    ok(shop.api.post(f"/v1/contracts/{contract}/coupons", json={"code": "LOYAL50"}), 201)
    shop.today("2026-02-01")
    shop.run("2026-02-01", finalize=True)
    # a second seat from 15 Feb, scheduled on 1 Feb
    amend(
        shop,
        contract,
        "2026-02-15",
        {"type": "change_quantity", "line_key": "hosting", "quantity": "2"},
    )
    events = [
        {
            "transaction_id": f"t{n}",
            "contract": "C-1",
            "metric": "calls",
            "timestamp": f"2026-02-{1 + n % 19:02d}T10:00:00Z",
        }
        for n in range(250)
    ]
    shop.today("2026-02-20")
    assert ok(shop.api.post("/v1/events/batch", json={"events": events}))["accepted"] == 250
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    # due on 15 Feb (a run as of today, 20 Feb, bills it under that billing date): the second
    # seat's [15 Feb, 1 Mar) = 14 of 28 days with its 10 %: credit −399 × 14/28 × 0.9 = −179.55,
    # charge 2 × 399 × 14/28 × 0.9 = 359.10. February's coupon took 50.00 of 359.10, so the
    # credit gives back 179.55 × 50/359.10 = 25.00; the coupon takes 50.00 once per month, and
    # February's 50.00 now takes 50.00 − 25.00 = 25.00: the new charge gets the 25.00 left.
    # Net −179.55 + 25.00 + 359.10 − 25.00 = 179.55, VAT 35.91, gross 215.46
    assert upcoming["billing_date"] == "2026-02-15"
    assert sorted(x["net_amount"] for x in upcoming["lines"]) == [
        "-179.55",
        "-25.00",
        "25.00",
        "359.10",
    ]
    assert totals(upcoming) == ("179.55", "35.91", "215.46")
    real = shop.run("2026-02-20")
    assert [figures(i) for i in real] == [figures(upcoming)]
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    # 1 Mar: 2 × 399 × 0.9 = 718.20; February's 250 calls × 0.10 = 25.00 (February's, whose
    # 50.00 is all taken); March's coupon −50.00; net 693.20, VAT 138.64, gross 831.84
    assert (upcoming["billing_date"], totals(upcoming)) == (
        "2026-03-01",
        ("693.20", "138.64", "831.84"),
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01")
    assert figures(march) == figures(upcoming)
    assert sorted(nets(march)) == ["-50.00", "25.00", "718.20"]


def test_catching_up_in_one_run_gives_the_monthly_runs_figures(shop: Shop) -> None:
    host = hosting(shop)
    support = product(shop, "support", "310.00", timing="in_arrears")
    backup = product(shop, "backup", "900.00", periodicity="quarterly")
    customer = shop.customer()
    shop.contract(
        customer,
        "C-1",
        "2026-01-15",
        [{"product_id": host}, {"product_id": support}, {"product_id": backup}],
        billing_alignment="calendar",
    )
    [january] = shop.run("2026-01-15")
    # 399 × 17/31 = 218.806… → 218.81; Q1 from 15 Jan: 17 + 28 + 31 = 76 of 90 days,
    # 900 × 76/90 = 760.00; net 978.81
    assert sorted(nets(january)) == ["218.81", "760.00"]
    caught_up = dry_run(shop, "2026-04-01")
    # 1 Feb: hosting 399.00 + January's support in arrears 310 × 17/31 = 170.00 = 569.00;
    # 1 Mar: 399.00 + 310.00 = 709.00; 1 Apr: 399.00 + 310.00 + Q2 900.00 = 1609.00
    assert [(i["billing_date"], totals(i)) for i in caught_up] == [
        ("2026-02-01", ("569.00", "113.80", "682.80")),
        ("2026-03-01", ("709.00", "141.80", "850.80")),
        ("2026-04-01", ("1609.00", "321.80", "1930.80")),
    ]
    monthly = [i for day in ("2026-02-01", "2026-03-01", "2026-04-01") for i in shop.run(day)]
    assert [figures(i) for i in monthly] == [figures(i) for i in caught_up]


def test_running_twice_changes_nothing_and_an_earlier_run_is_refused(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    [february, march] = shop.run("2026-03-01")
    # February and March, 399.00 each, one invoice per billing date
    assert [(i["billing_date"], nets(i)) for i in (february, march)] == [
        ("2026-02-01", ["399.00"]),
        ("2026-03-01", ["399.00"]),
    ]
    assert shop.run("2026-03-01") == []  # the same day again: nothing more
    runs = ok(shop.api.get("/v1/billing-runs"))["data"]
    assert sorted((r["as_of"], r["invoices_created"], r["lines_created"]) for r in runs) == [
        ("2026-03-01", 0, 0),
        ("2026-03-01", 2, 2),
    ]
    before = written(shop)
    for url, body in (
        ("/v1/billing-runs", {"as_of": "2026-02-28"}),
        ("/v1/billing-runs/jobs", {"as_of": "2026-02-28"}),
    ):
        refused = problem(shop.api.post(url, json=body), 409)
        # the problem names the field and both dates
        assert "2026-02-28" in refused["detail"] and "2026-03-01" in refused["detail"]
        assert [e["field"] for e in refused["errors"]] == ["as_of"]
    assert written(shop) == before
    # a dry run of an earlier day is only a preview: allowed, and nothing is left to bill then
    assert dry_run(shop, "2026-02-28") == []
    assert ok(shop.api.get(f"/v1/invoices/{february['id']}"))["status"] == "draft"


# --- finalization ---------------------------------------------------------------------------------


def test_auto_finalize_at_once_then_after_hours_as_the_clock_moves(shop: Shop) -> None:
    host = hosting(shop)
    for name in ("Alpha SAS", "Beta SAS"):
        shop.contract(shop.customer(name), f"C-{name[0]}", "2026-02-01", [{"product_id": host}])
    ok(shop.api.patch("/v1/organization", json={"auto_finalize_after_hours": 0}))
    shop.today("2026-02-01")
    answer = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-02-01"}), 201)
    assert answer["finalized"] == 2
    february = [ok(shop.api.get(f"/v1/invoices/{i['id']}")) for i in answer["invoices"]]
    assert sorted(i["number"] for i in february) == ["F-2026-000001", "F-2026-000002"]
    assert {(i["status"], i["issue_date"], i["due_date"]) for i in february} == {
        ("finalized", "2026-02-01", "2026-03-03")  # 1 Feb + 30 days
    }
    ok(shop.api.patch("/v1/organization", json={"auto_finalize_after_hours": 24}))
    shop.today("2026-03-01")  # 09:30
    march = shop.run("2026-03-01")
    assert [i["status"] for i in march] == ["draft", "draft"]
    shop.clock.advance(shop.clock.now().replace(hour=20) - shop.clock.now())
    due = ok(shop.api.post("/v1/invoices/finalize-due"))
    assert (due["after_hours"], due["finalized"]) == (24, [])  # 10 h 30 old only
    shop.today("2026-03-02")  # 09:30, 24 hours after the run
    due = ok(shop.api.post("/v1/invoices/finalize-due"))
    # numbers go on from February's, without a gap; issued 2 Mar, due 2 Mar + 30 days = 1 Apr
    assert sorted((i["number"], i["issue_date"], i["due_date"]) for i in due["finalized"]) == [
        ("F-2026-000003", "2026-03-02", "2026-04-01"),
        ("F-2026-000004", "2026-03-02", "2026-04-01"),
    ]
    assert ok(shop.api.post("/v1/invoices/finalize-due"))["finalized"] == []
    ok(shop.api.patch("/v1/organization", json={"auto_finalize_after_hours": None}))
    shop.today("2026-04-01")
    shop.run("2026-04-01")
    shop.today("2026-05-01")
    off = ok(shop.api.post("/v1/invoices/finalize-due"))
    assert (off["after_hours"], off["finalized"]) == (None, [])  # a person finalizes them


def test_finalizing_a_catch_up_run_numbers_in_billing_order(shop: Shop) -> None:
    host = hosting(shop)
    customers = sorted(shop.customer(name) for name in ("Alpha SAS", "Beta SAS"))
    for n, customer in enumerate(customers):
        shop.contract(customer, f"C-{n}", "2026-01-01", [{"product_id": host}])
    shop.today("2026-03-01")
    answer = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-03-01"}), 201)
    done = ok(shop.api.post(f"/v1/billing-runs/{answer['id']}/finalize"))
    assert (done["finalized"], done["first_number"], done["last_number"]) == (
        6,
        "F-2026-000001",
        "F-2026-000006",
    )
    made = [ok(shop.api.get(f"/v1/invoices/{i['id']}")) for i in answer["invoices"]]
    numbered = sorted((i["number"], i["billing_date"], i["customer_id"]) for i in made)
    # billing date first, then customer: January's two, February's two, March's two
    assert numbered == [
        (f"F-2026-00000{n + 1}", day, customers[n % 2])
        for n, day in enumerate(["2026-01-01"] * 2 + ["2026-02-01"] * 2 + ["2026-03-01"] * 2)
    ]
    again = ok(shop.api.post(f"/v1/billing-runs/{answer['id']}/finalize"))
    assert (again["finalized"], again["first_number"]) == (0, None)


def test_an_edited_draft_is_left_alone_by_the_next_run(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01")
    url = f"/v1/invoices/{february['id']}"
    ok(
        shop.api.post(
            f"{url}/lines",
            json={
                "description": "Onboarding",
                "quantity": "1",
                "unit_price": "250.00",
                "vat_category": "standard",
            },
        ),
        201,
    )
    ok(shop.api.patch(url, json={"notes": "Onboarding on 3 February"}))
    assert shop.run("2026-02-01") == []  # the draft holds February: nothing billed twice
    shop.today("2026-03-01")
    answer = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-03-01"}), 201)
    [march] = answer["invoices"]
    assert nets(march) == ["399.00"]
    done = ok(shop.api.post(f"/v1/billing-runs/{answer['id']}/finalize"))
    assert (done["finalized"], done["first_number"]) == (1, "F-2026-000001")
    kept = ok(shop.api.get(url))
    # still a draft, as edited: 399.00 + 250.00 = 649.00, VAT 129.80, gross 778.80
    assert (kept["status"], kept["notes"], totals(kept)) == (
        "draft",
        "Onboarding on 3 February",
        ("649.00", "129.80", "778.80"),
    )
    assert ok(shop.api.post(f"{url}/finalize"))["number"] == "F-2026-000002"


def test_a_regenerated_draft_then_the_next_run_bills_no_adjustment(shop: Shop) -> None:
    contract = shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [draft] = shop.run("2026-02-01")
    # the agreed price from February is 349.00, fixed after the draft was made
    amend(
        shop,
        contract,
        "2026-02-01",
        {"type": "change_price", "line_key": "hosting", "unit_price": "349.00"},
    )
    regenerated = ok(shop.api.post(f"/v1/invoices/{draft['id']}/regenerate"))
    assert regenerated["outcome"] == "regenerated"
    # 349.00, VAT 69.80, gross 418.80
    assert totals(regenerated["invoice"]) == ("349.00", "69.80", "418.80")
    ok(shop.api.post(f"/v1/invoices/{draft['id']}/finalize"))
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01")
    # March at the new price, and no credit or charge for February: it was billed at 349.00
    assert [(x["net_amount"], x["adjustment"]) for x in march["lines"]] == [("349.00", False)]


def test_a_deleted_draft_is_billed_again_by_the_next_run(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    [february] = shop.run("2026-02-01")
    assert shop.api.delete(f"/v1/invoices/{february['id']}").status_code == 204
    made = shop.run("2026-03-01")
    # February again (399.00, billing date 1 Feb) and March (399.00), each on its own invoice
    assert [(i["billing_date"], nets(i)) for i in made] == [
        ("2026-02-01", ["399.00"]),
        ("2026-03-01", ["399.00"]),
    ]


# --- voids, credit notes, the balance and payments ------------------------------------------------


def test_a_voided_paid_invoice_pays_the_next_runs_invoice_from_the_balance(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    url = f"/v1/invoices/{february['id']}"
    shop.today("2026-02-05")
    ok(shop.api.post(f"{url}/payments", json={"amount": "478.80"}), 201)
    note = ok(shop.api.post(f"{url}/void", json={"reason": "billed twice"}), 201)
    # the whole invoice: −399.00, VAT −79.80, −478.80; all paid, so all to the balance
    assert totals(note) == ("-399.00", "-79.80", "-478.80")
    assert note["settlement"] == {
        "applied_to_invoice": "0.00",
        "refunded": "0.00",
        "to_balance": "478.80",
    }
    assert ok(shop.api.get(url))["status"] == "voided"
    shop.today("2026-03-01")
    ok(shop.api.patch(f"/v1/customers/{customer}", json={"payment_terms_days": 15}))
    [march] = shop.run("2026-03-01", finalize=True)
    # March 478.80, paid at once from the 478.80 on the balance
    assert (march["status"], march["amount_paid"], march["amount_due"]) == (
        "paid",
        "478.80",
        "0.00",
    )
    payments = ok(shop.api.get(f"/v1/invoices/{march['id']}/payments"))["data"]
    assert [(p["method"], p["amount"], p["paid_on"]) for p in payments] == [
        ("credit_balance", "478.80", "2026-03-01")
    ]
    history = [
        (e["kind"], e["amount"], e["balance_after"])
        for e in balance(shop, customer)["history"]["data"]
    ]
    assert history == [("applied", "-478.80", "0.00"), ("credit_note", "478.80", "478.80")]


def test_credit_notes_by_line_and_by_amount_then_the_next_run(shop: Shop) -> None:
    customer = shop.customer()
    support = product(shop, "support", "120.00")
    shop.contract(
        customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}, {"product_id": support}]
    )
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    # 399.00 + 120.00 = 519.00, VAT 103.80, gross 622.80
    assert totals(february) == ("519.00", "103.80", "622.80")
    url = f"/v1/invoices/{february['id']}"
    ok(shop.api.post(f"{url}/payments", json={"amount": "622.80"}), 201)
    support_line = next(x for x in february["lines"] if x["net_amount"] == "120.00")
    by_line = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": february["id"],
                "reason": "support not delivered",
                "lines": [{"position": support_line["position"]}],
            },
        ),
        201,
    )
    # −120.00, VAT −24.00, −144.00; the invoice is paid: all of it to the balance
    assert totals(by_line) == ("-120.00", "-24.00", "-144.00")
    assert by_line["settlement"]["to_balance"] == "144.00"
    by_amount = ok(
        shop.api.post(
            "/v1/credit-notes",
            json={
                "invoice_id": february["id"],
                "reason": "outage",
                "amount": "60.00",
                "settlement": "refund",
            },
        ),
        201,
    )
    # 60.00 at 20 %: net 60 / 1.2 = 50.00, VAT 10.00; refunded
    assert totals(by_amount) == ("-50.00", "-10.00", "-60.00")
    assert by_amount["settlement"]["refunded"] == "60.00"
    assert [(r["amount"], r["reference"]) for r in by_amount["refunds"]] == [
        ("60.00", "AV-2026-000002")
    ]
    after = ok(shop.api.get(url))
    # paid in full before: neither credit note cancelled anything due, so nothing counts as
    # credited against the amount due; still `paid`
    assert (after["status"], after["amount_credited"], after["amount_due"]) == (
        "paid",
        "0.00",
        "0.00",
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # March 622.80, of which 144.00 from the balance: 478.80 due
    assert (march["status"], march["amount_paid"], march["amount_due"]) == (
        "partially_paid",
        "144.00",
        "478.80",
    )
    assert balance(shop, customer)["balances"] == [{"currency": "EUR", "available": "0.00"}]


def test_a_payment_on_a_credited_invoice_and_a_refund_after_it_is_paid(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [invoice] = shop.run("2026-02-01", finalize=True)
    url = f"/v1/invoices/{invoice['id']}"
    credit = {"invoice_id": invoice["id"], "reason": "outage"}
    note = ok(shop.api.post("/v1/credit-notes", json=credit | {"amount": "100.00"}), 201)
    # nothing was paid: the 100.00 cancels what is due, 478.80 − 100.00 = 378.80
    assert note["settlement"]["applied_to_invoice"] == "100.00"
    read = ok(shop.api.get(url))
    assert (read["status"], read["amount_credited"], read["amount_due"]) == (
        "finalized",
        "100.00",
        "378.80",
    )
    too_much = problem(shop.api.post(f"{url}/payments", json={"amount": "378.81"}), 422)
    assert [e["field"] for e in too_much["errors"]] == ["amount"]
    paid = ok(shop.api.post(f"{url}/payments", json={"amount": "378.80"}), 201)
    assert paid["invoice_status"] == "paid"
    refund = ok(
        shop.api.post(
            "/v1/credit-notes", json=credit | {"amount": "50.00", "settlement": "refund"}
        ),
        201,
    )
    # nothing is due any more: the 50.00 is refunded
    assert refund["settlement"] == {
        "applied_to_invoice": "0.00",
        "refunded": "50.00",
        "to_balance": "0.00",
    }
    read = ok(shop.api.get(url))
    # only the 100.00 cancelled what was due counts as credited: 478.80 − 378.80 − 100.00 = 0.00
    assert (read["status"], read["amount_paid"], read["amount_credited"], read["amount_due"]) == (
        "paid",
        "378.80",
        "100.00",
        "0.00",
    )
    # what can still be credited: 478.80 − 150.00 = 328.80
    over = problem(shop.api.post("/v1/credit-notes", json=credit | {"amount": "328.81"}), 422)
    assert "328.80" in over["detail"]


def test_overdue_invoices_of_several_runs_as_time_passes(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01", finalize=True)
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01", finalize=True)
    # issued 1 Feb due 3 Mar (1 Feb + 30 days); issued 1 Mar due 31 Mar
    assert (february["due_date"], march["due_date"]) == ("2026-03-03", "2026-03-31")

    def overdue() -> list[tuple[str, str]]:
        late = ok(
            shop.api.get("/v1/invoices", params={"overdue": "true", "customer_id": customer})
        )["data"]
        return sorted((i["number"], i["amount_due"]) for i in late)

    shop.today("2026-03-03")
    assert overdue() == []
    shop.today("2026-03-04")
    assert overdue() == [("F-2026-000001", "478.80")]
    ok(shop.api.post(f"/v1/invoices/{february['id']}/payments", json={"amount": "300.00"}), 201)
    shop.today("2026-04-01")
    # February: 478.80 − 300.00 = 178.80 still late; March late from 1 Apr
    assert overdue() == [("F-2026-000001", "178.80"), ("F-2026-000002", "478.80")]
    ok(
        shop.api.post(
            "/v1/credit-notes",
            json={"invoice_id": february["id"], "reason": "settled", "amount": "178.80"},
        ),
        201,
    )
    # credited the rest: February owes nothing (paid, since money came in)
    assert overdue() == [("F-2026-000002", "478.80")]
    assert ok(shop.api.get(f"/v1/invoices/{february['id']}"))["status"] == "paid"


# --- more month-ends ------------------------------------------------------------------------------


def test_a_catch_up_run_that_finalizes_spends_the_balance_once(shop: Shop) -> None:
    customer = shop.customer()
    ok(
        shop.api.post(
            f"/v1/customers/{customer}/goodwill-credits",
            json={"amount": "600.00", "currency": "EUR", "reason": "migration delays"},
        ),
        201,
    )
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-03-01")
    made = shop.run("2026-03-01", finalize=True)
    # February first (billing order): 478.80 from the 600.00; March gets the 121.20 left,
    # 478.80 − 121.20 = 357.60 due
    assert [
        (i["number"], i["billing_date"], i["status"], i["amount_paid"], i["amount_due"])
        for i in made
    ] == [
        ("F-2026-000001", "2026-02-01", "paid", "478.80", "0.00"),
        ("F-2026-000002", "2026-03-01", "partially_paid", "121.20", "357.60"),
    ]
    assert balance(shop, customer)["balances"] == [{"currency": "EUR", "available": "0.00"}]


def test_finalize_due_spends_the_balance_in_creation_order(shop: Shop) -> None:
    customer = shop.customer()
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    ok(shop.api.patch("/v1/organization", json={"auto_finalize_after_hours": 2}))
    shop.today("2026-02-01")
    [february] = shop.run("2026-02-01")
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01")
    ok(
        shop.api.post(
            f"/v1/customers/{customer}/goodwill-credits",
            json={"amount": "500.00", "currency": "EUR", "reason": "outage"},
        ),
        201,
    )
    shop.clock.advance(shop.clock.now().replace(hour=12) - shop.clock.now())  # 2 h 30 later
    due = ok(shop.api.post("/v1/invoices/finalize-due"))
    # oldest first: February F-2026-000001 takes 478.80 of the 500.00, March the 21.20 left
    assert [
        (i["id"], i["number"], i["status"], i["amount_paid"], i["amount_due"])
        for i in due["finalized"]
    ] == [
        (february["id"], "F-2026-000001", "paid", "478.80", "0.00"),
        (march["id"], "F-2026-000002", "partially_paid", "21.20", "457.60"),
    ]


def test_coupons_once_and_repeating_in_a_catch_up_as_month_by_month(shop: Shop) -> None:
    for code, body in (
        ("HELLO", {"kind": "fixed", "value": "100.00", "currency": "EUR", "duration": "once"}),
        (
            "TWO",
            {"kind": "percentage", "value": "20", "duration": "repeating", "duration_months": 2},
        ),
    ):
        ok(shop.api.post("/v1/coupons", json={"code": code} | body), 201)
    contract = shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    for code in ("HELLO", "TWO"):
        ok(shop.api.post(f"/v1/contracts/{contract}/coupons", json={"code": code}), 201)
    # both redeemed today, 15 Jan: HELLO on the first invoice billed from then on, TWO on the
    # invoices billed before 15 Mar (15 Jan + 2 months)
    caught_up = dry_run(shop, "2026-04-01")
    monthly = []
    for day in ("2026-02-01", "2026-03-01", "2026-04-01"):
        shop.today(day)
        monthly += shop.run(day)
    # February: 399.00 − 79.80 (20 %) − 100.00 = 219.20, VAT 43.84, gross 263.04;
    # March: 399.00 − 79.80 = 319.20, VAT 63.84, gross 383.04; April: 399.00
    expected = [
        ("2026-02-01", ("219.20", "43.84", "263.04")),
        ("2026-03-01", ("319.20", "63.84", "383.04")),
        ("2026-04-01", ("399.00", "79.80", "478.80")),
    ]
    assert [(i["billing_date"], totals(i)) for i in caught_up] == expected
    assert [figures(i) for i in monthly] == [figures(i) for i in caught_up]


def test_run_made_credit_notes_wait_for_a_person_whatever_the_auto_finalize_setting(
    shop: Shop,
) -> None:
    customer, host = shop.customer(), hosting(shop)
    contract = shop.contract(
        customer,
        "C-1",
        "2026-03-01",
        [{"product_id": host}],
        billing_alignment="calendar",
        corrections="credit_note",
    )
    shop.contract(
        customer, "C-2", "2026-03-01", [{"product_id": product(shop, "support", "120.00")}]
    )
    ok(shop.api.patch("/v1/organization", json={"auto_finalize_after_hours": 0}))
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01")
    # 399.00 + 120.00 = 519.00, finalized by the run itself (setting 0)
    assert (march["status"], march["number"], march["net_total"]) == (
        "finalized",
        "F-2026-000001",
        "519.00",
    )
    shop.today("2026-03-21")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={
                "action": "terminate",
                "date": "2026-03-21",
                "reason": "closing",
                "with_credit": True,
            },
        ),
        201,
    )
    answer = ok(shop.api.post("/v1/billing-runs", json={"as_of": "2026-03-21"}), 201)
    [note] = [ok(shop.api.get(f"/v1/invoices/{i['id']}")) for i in answer["invoices"]]
    # [21 Mar, 1 Apr) = 11 of 31 days: −399 × 11/31 = −141.580… → −141.58, VAT −28.32,
    # −169.90, on a credit note correcting March, left a draft for a person to check
    assert (note["kind"], note["corrects_invoice_id"], totals(note)) == (
        "credit_note",
        march["id"],
        ("-141.58", "-28.32", "-169.90"),
    )
    assert (note["status"], note["number"], answer["finalized"]) == ("draft", None, 0)
    listed = ok(shop.api.get("/v1/credit-notes"))["data"]
    assert [(n["id"], n["status"]) for n in listed] == [(note["id"], "draft")]  # to be checked
    issued = ok(shop.api.post(f"/v1/invoices/{note['id']}/finalize"))
    assert (issued["status"], issued["number"]) == ("issued", "AV-2026-000001")
    # 622.80 − 169.90 = 452.90 left to pay on March
    assert ok(shop.api.get(f"/v1/invoices/{march['id']}"))["amount_due"] == "452.90"


def test_the_upcoming_invoice_shows_an_amendment_due_on_its_day(shop: Shop) -> None:
    customer = shop.customer()
    contract = shop.contract(customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    shop.today("2026-02-01")
    shop.run("2026-02-01", finalize=True)
    # the new price, agreed on 10 Feb, from 1 Mar: scheduled, applied by the 1 Mar run
    shop.today("2026-02-10")
    amend(
        shop,
        contract,
        "2026-03-01",
        {"type": "change_price", "line_key": "hosting", "unit_price": "449.00"},
    )
    upcoming = ok(shop.api.get(f"/v1/customers/{customer}/upcoming-invoice"))
    # 449.00, VAT 89.80, gross 538.80, as the run of 1 Mar then makes it
    assert (upcoming["billing_date"], totals(upcoming)) == (
        "2026-03-01",
        ("449.00", "89.80", "538.80"),
    )
    shop.today("2026-03-01")
    [march] = shop.run("2026-03-01")
    assert figures(march) == figures(upcoming)


def test_a_dry_run_under_the_at_once_setting_finalizes_nothing(shop: Shop) -> None:
    shop.contract(shop.customer(), "C-1", "2026-02-01", [{"product_id": hosting(shop)}])
    ok(shop.api.patch("/v1/organization", json={"auto_finalize_after_hours": 0}))
    shop.today("2026-02-01")
    answer = ok(
        shop.api.post("/v1/billing-runs", json={"as_of": "2026-02-01", "dry_run": True}), 201
    )
    assert (answer["finalized"], [i["id"] for i in answer["invoices"]]) == (0, [None])
    assert written(shop) == (0, 0)
    [real] = shop.run("2026-02-01")
    assert (real["status"], real["number"]) == ("finalized", "F-2026-000001")


def test_a_second_run_of_the_day_adds_to_the_first_runs_draft(shop: Shop) -> None:
    customer, host = shop.customer(), hosting(shop)
    shop.contract(customer, "C-1", "2026-02-01", [{"product_id": host}])
    shop.today("2026-02-01")
    [first] = shop.run("2026-02-01")
    support = product(shop, "support", "120.00")
    shop.contract(customer, "C-2", "2026-02-01", [{"product_id": support}])
    [second] = shop.run("2026-02-01")
    # one invoice per customer and billing date: C-2's 120.00 goes on the draft still open,
    # after its line: 399.00 + 120.00 = 519.00, VAT 103.80, gross 622.80
    assert second["id"] == first["id"]
    assert [(x["position"], x["net_amount"]) for x in second["lines"]] == [
        (1, "399.00"),
        (2, "120.00"),
    ]
    assert totals(second) == ("519.00", "103.80", "622.80")
    assert shop.run("2026-02-01") == []  # the same day again: nothing more


def test_an_invoice_of_credits_only_takes_no_payment_and_no_void(shop: Shop) -> None:
    customer = shop.customer()
    contract = shop.contract(
        customer, "C-1", "2026-02-01", [{"product_id": hosting(shop)}], billing_alignment="calendar"
    )
    shop.today("2026-02-01")
    shop.run("2026-02-01", finalize=True)
    shop.today("2026-02-10")
    ok(
        shop.api.post(
            f"/v1/contracts/{contract}/transitions",
            json={"action": "terminate", "date": "2026-02-10", "reason": "x", "with_credit": True},
        ),
        201,
    )
    [credit] = shop.run("2026-02-10", finalize=True)
    # [10 Feb, 1 Mar) = 19 of 28 days: −399 × 19/28 = −270.75, VAT −54.15, −324.90; finalized,
    # the −324.90 it owes the customer goes to the balance (amount_credited −324.90, so 0.00
    # is due) and it reads `credited`: settled
    assert (credit["number"], totals(credit), credit["amount_due"], credit["status"]) == (
        "F-2026-000002",
        ("-270.75", "-54.15", "-324.90"),
        "0.00",
        "credited",
    )
    url = f"/v1/invoices/{credit['id']}"
    refused = problem(shop.api.post(f"{url}/payments", json={"amount": "10.00"}), 409)
    assert refused["detail"] == f"invoice '{credit['id']}' is credited: it cannot take a payment"
    void = problem(shop.api.post(f"{url}/void", json={"reason": "oops"}), 409)
    assert void["detail"] == "invoice F-2026-000002 has nothing left to credit: it cannot be voided"
    after = ok(shop.api.get(url))
    assert (after["status"], after["amount_paid"], after["amount_due"]) == (
        "credited",
        "0.00",
        "0.00",
    )
    assert ok(shop.api.get(f"/v1/customers/{customer}/balance"))["balances"] == [
        {"currency": "EUR", "available": "324.90"}
    ]


def test_credit_notes_on_a_run_invoice_of_a_credit_and_a_charge(shop: Shop) -> None:
    contract = shop.contract(
        shop.customer(),
        "C-1",
        "2026-03-01",
        [{"product_id": hosting(shop), "unit_price": "310.00"}],
        billing_alignment="calendar",
    )
    shop.today("2026-03-01")
    shop.run("2026-03-01", finalize=True)
    amend(
        shop,
        contract,
        "2026-03-15",
        {"type": "change_price", "line_key": "hosting", "unit_price": "620.00"},
    )
    shop.today("2026-03-15")
    [upgrade] = shop.run("2026-03-15", finalize=True)
    # [15 Mar, 1 Apr) = 17 of 31 days: credit −310 × 17/31 = −170.00, charge 620 × 17/31 =
    # 340.00; net 170.00, VAT 34.00, gross 204.00
    assert [(x["position"], x["kind"], x["net_amount"]) for x in upgrade["lines"]] == [
        (1, "credit", "-170.00"),
        (2, "charge", "340.00"),
    ]
    assert totals(upgrade) == ("170.00", "34.00", "204.00")
    credit = {"invoice_id": upgrade["id"], "reason": "upgrade cancelled"}
    # crediting the credit line would charge the 170.00 again
    refused = problem(
        shop.api.post("/v1/credit-notes", json=credit | {"lines": [{"position": 1}]}), 422
    )
    assert [(e["field"], e["detail"]) for e in refused["errors"]] == [
        ("lines.0.position", "line 1 is a credit of -170.00: it cannot be credited")
    ]
    # the charge line alone, 340.00 + VAT 68.00 = 408.00, is more than the invoice's 204.00
    refused = problem(
        shop.api.post("/v1/credit-notes", json=credit | {"lines": [{"position": 2}]}), 422
    )
    assert "408.00 is more than the 204.00 still creditable" in refused["detail"]
    note = ok(shop.api.post("/v1/credit-notes", json=credit | {"amount": "204.00"}), 201)
    # 204.00 at 20 %: net 204 / 1.2 = 170.00, VAT 34.00; it cancels all that was due
    assert totals(note) == ("-170.00", "-34.00", "-204.00")
    after = ok(shop.api.get(f"/v1/invoices/{upgrade['id']}"))
    assert (after["status"], after["amount_credited"], after["amount_due"]) == (
        "credited",
        "204.00",
        "0.00",
    )
