"""Statements add up to the invoice's usage lines, row by row, to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tarif.context import Ctx
from tarif.errors import ErrorCollector
from tarif.invoicing import service as invoicing
from tarif.statements import service
from tarif.statements.rules import Statement, parse_group_by
from tests.contracts.conftest import World
from tests.statements.conftest import FEB_1, JAN_1, seed_invoice, tiered_invoice


def group(text: str):  # type: ignore[no-untyped-def]
    errors = ErrorCollector()
    found = parse_group_by(text, errors)
    errors.raise_if_any()
    return found


def rows(statement: Statement) -> list[tuple[str, tuple[str | None, ...], str, str]]:
    return [
        (line.usage_part or "", tuple(r.keys.values()), f"{r.quantity:f}", f"{r.amount:f}")
        for metric in statement.metrics
        for line in metric.lines
        for r in line.rows
    ]


def test_the_seed_invoice_by_day_adds_up_to_its_usage_lines(ctx: Ctx, world: World) -> None:
    invoice = seed_invoice(world)
    statement = service.invoice_statement(ctx, invoice.id, group("metric,day"))
    [metric] = statement.metrics
    assert (metric.code, metric.name) == ("turnover", "Turnover")
    percentage, fee = metric.lines
    # Day d gets the transactions n = d-1, d-1+31, …: 1,200 = 31 × 38 + 22 → days 1-22 have
    # 39, days 23-31 have 38. The 1,000 of 40.00 (31 × 32 + 8): days 1-8 have 33, the others
    # 32; the 200 of 50.00 start on day 9 (1,000 mod 31 = 8): 200 = 31 × 6 + 14 → days 9-22
    # have 7, the others 6. Days 1-8: 33 × 40 + 6 × 50 = 1,620.00; days 9-22: 32 × 40 + 7 × 50
    # = 1,630.00; days 23-31: 32 × 40 + 6 × 50 = 1,580.00.
    days = [r.keys["day"] for r in percentage.rows]
    assert days == [f"2026-01-{d:02d}" for d in range(1, 32)]
    turnover = [r.quantity for r in percentage.rows]
    assert turnover == [Decimal("1620")] * 8 + [Decimal("1630")] * 14 + [Decimal("1580")] * 9
    # 2 % of each day, exact: 32.40, 32.60, 31.60; 8 × 32.40 + 14 × 32.60 + 9 × 31.60 = 1,000.00
    assert [r.amount for r in percentage.rows] == (
        [Decimal("32.40")] * 8 + [Decimal("32.60")] * 14 + [Decimal("31.60")] * 9
    )
    assert sum(r.amount for r in percentage.rows) == percentage.amount == Decimal("1000.00")
    assert percentage.basis == "quantity"
    # 0.25 per transaction: 39 × 0.25 = 9.75 (days 1-22), 38 × 0.25 = 9.50 (days 23-31);
    # 22 × 9.75 + 9 × 9.50 = 214.50 + 85.50 = 300.00; quantities are transactions
    assert fee.basis == "events"
    assert [(r.quantity, r.amount) for r in fee.rows] == (
        [(Decimal(39), Decimal("9.75"))] * 22 + [(Decimal(38), Decimal("9.50"))] * 9
    )
    assert sum(r.amount for r in fee.rows) == fee.amount == Decimal("300.00")
    assert sum(r.event_count or 0 for r in fee.rows) == 1200
    # the statement's total is the invoice's usage: 1,000.00 + 300.00
    usage = [x.net_amount for x in invoicing.invoice_lines(ctx, invoice.id) if x.source == "usage"]
    assert statement.amount == sum(usage) == Decimal("1300.00")


def test_the_seed_invoice_by_month_is_one_row_per_line(ctx: Ctx, world: World) -> None:
    invoice = seed_invoice(world)
    statement = service.invoice_statement(ctx, invoice.id, group("month"))
    assert rows(statement) == [
        ("r1|percentage||1", ("2026-01",), "50000", "1000.00"),
        ("r1|transaction_fee||1", ("2026-01",), "1200", "300.00"),
    ]


def test_a_graduated_charge_is_shared_by_largest_remainder(ctx: Ctx, world: World) -> None:
    invoice = tiered_invoice(world)
    lines = [x for x in invoicing.invoice_lines(ctx, invoice.id) if x.source == "usage"]
    # 150 calls: 100 × 0.10 = 10.00 and 50 × 0.05 = 2.50
    assert [(x.quantity, x.net_amount) for x in lines] == [
        (Decimal(100), Decimal("10.00")),
        (Decimal(50), Decimal("2.50")),
    ]
    statement = service.invoice_statement(ctx, invoice.id, group("metric,day"))
    # by day 70, 60, 20 calls of 150. Tier 1, 1,000 cents: 466.67, 400, 133.33 → floors
    # 466 + 400 + 133 = 999, the cent left to the largest remainder (0.67, 5 Jan): 4.67, 4.00,
    # 1.33. Tier 2, 250 cents: 116.67, 100, 33.33 → 116 + 100 + 33 = 249, +1 on 5 Jan: 1.17,
    # 1.00, 0.33.
    assert rows(statement) == [
        ("r1|usage||1", ("2026-01-05",), "70", "4.67"),
        ("r1|usage||1", ("2026-01-06",), "60", "4.00"),
        ("r1|usage||1", ("2026-01-07",), "20", "1.33"),
        ("r1|usage||2", ("2026-01-05",), "70", "1.17"),
        ("r1|usage||2", ("2026-01-06",), "60", "1.00"),
        ("r1|usage||2", ("2026-01-07",), "20", "0.33"),
    ]
    # 4.67 + 4.00 + 1.33 + 1.17 + 1.00 + 0.33 = 12.50 = 10.00 + 2.50
    assert statement.amount == sum(x.net_amount for x in lines) == Decimal("12.50")
    by_site = service.invoice_statement(ctx, invoice.id, group("site"))
    # Lyon 20 + 20 = 40, Paris 50 + 60 = 110. Tier 1: 266.67 and 733.33 cents → 266 + 733
    # = 999, +1 to Lyon: 2.67, 7.33. Tier 2: 66.67 and 183.33 → 66 + 183 = 249, +1 to Lyon:
    # 0.67, 1.83.
    assert rows(by_site) == [
        ("r1|usage||1", ("lyon",), "40", "2.67"),
        ("r1|usage||1", ("paris",), "110", "7.33"),
        ("r1|usage||2", ("lyon",), "40", "0.67"),
        ("r1|usage||2", ("paris",), "110", "1.83"),
    ]


def test_a_customer_statement_covers_the_periods_starting_in_the_range(
    ctx: Ctx, world: World
) -> None:
    seed_invoice(world)
    statement = service.customer_statement(ctx, world.customer.id, JAN_1, FEB_1, group("month"))
    assert [r[1:] for r in rows(statement)] == [
        (("2026-01",), "50000", "1000.00"),
        (("2026-01",), "1200", "300.00"),
    ]
    # February's usage periods start on 1 Feb: outside [1 Jan, 1 Feb)
    march = FEB_1.replace(month=3)
    later = service.customer_statement(ctx, world.customer.id, FEB_1, march, group(""))
    assert later.metrics == ()


def test_late_usage_adjustments_are_one_row(ctx: Ctx, world: World) -> None:
    from tests.statements.conftest import late_adjustment_invoice

    march = late_adjustment_invoice(world)
    statement = service.invoice_statement(ctx, march.id, group("day"))
    adjusted = [
        (line.usage_part, [(r.quantity, r.amount, r.late_adjustment) for r in line.rows])
        for line in statement.metrics[0].lines
        if line.adjustment
    ]
    # 2 % × 120.00 = 2.40; 2 × 0.25 = 0.50 (see tests/invoicing/test_run_usage.py)
    assert adjusted == [
        ("r2|percentage||1", [(Decimal(120), Decimal("2.40"), True)]),
        ("r2|transaction_fee||1", [(Decimal(2), Decimal("0.50"), True)]),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,month", "day and month cannot both be asked: choose one"),
        ("site-name", "'site-name' is neither metric, day, month nor a property name"),
        ("day,day", "'day' is given twice"),
        ("day,,site", "an empty name between commas"),
    ],
)
def test_bad_group_by(text: str, message: str) -> None:
    errors = ErrorCollector()
    parse_group_by(text, errors)
    assert [(e.field, e.message) for e in errors.errors] == [("group_by", message)]


def test_usage_explanations_name_tiers_and_revisions(ctx: Ctx, world: World) -> None:
    tiered = tiered_invoice(world)
    explained = [e for e in invoicing.explain(ctx, tiered.id) if e["usage"]]
    tiers = [
        [(t["tier"], t["quantity"], t["amount"]) for t in e["usage"]["tiers"]] for e in explained
    ]
    # 150 calls: tier 1 holds 100 × 0.10 = 10.00, tier 2 the other 50 × 0.05 = 2.50; each line
    # carries the whole explanation of the period
    assert tiers == [[(1, "100", "10.00"), (2, "50", "2.50")]] * 2
    assert [e["usage"]["event_count"] for e in explained] == [150, 150]
    assert [e["usage"]["model"] for e in explained] == ["graduated", "graduated"]


def test_each_contract_counts_its_own_events(ctx: Ctx, world: World) -> None:
    from tests.invoicing.test_run_usage import TURNOVER, turnover_metric
    from tests.usage.factories import add_event

    turnover_metric(ctx)
    lines = [
        {"product_id": world.hosting.id},
        {"product_id": world.api_calls.id, "charge": TURNOVER},
    ]
    values = {"start_date": "2026-01-01", "billing_alignment": "calendar", "lines": lines}
    first = world.running(**values, reference="C-1").id
    second = world.running(**values, reference="C-2").id
    assert first < second  # ids grow: the first counts the events naming no contract
    # 10 × 100.00 naming no contract, 4 × 50.00 naming the second
    for n, (amount, contract) in enumerate([("100.00", None)] * 10 + [("50.00", second)] * 4):
        add_event(
            ctx.session,
            ctx.organization_id,
            "turnover",
            world.customer.id,
            f"2026-01-{n + 1:02d} 12:00",
            amount,
            properties={"amount": amount},
            contract_id=contract,
        )
    invoicing.run_billing(ctx, FEB_1)
    grouping = group("month")

    def amounts(contract_id: str) -> list[tuple[str, str, str]]:
        statement = service.customer_statement(
            ctx, world.customer.id, JAN_1, FEB_1, grouping, contract_id=contract_id
        )
        # (quantity, amount, part kind) of each row
        return [(r[2], r[3], r[0].split("|")[1]) for r in rows(statement)]

    # first: 2 % × 1,000.00 = 20.00; 10 × 0.25 = 2.50
    assert amounts(first) == [("1000", "20.00", "percentage"), ("10", "2.50", "transaction_fee")]
    # second: 2 % × 200.00 = 4.00; 4 × 0.25 = 1.00
    assert amounts(second) == [("200", "4.00", "percentage"), ("4", "1.00", "transaction_fee")]
