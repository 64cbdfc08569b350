"""Billing runs through the service, with hand-worked amounts (399.00 a month from 15 Jan 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tarif.context import Ctx
from tarif.errors import Conflict
from tarif.invoicing import service, service_runs
from tarif.invoicing.models import Invoice, InvoiceLine
from tests.contracts.conftest import World
from tests.invoicing.conftest import FEB_1, JAN_15, german_company, hosting_contract


def count(ctx: Ctx, model: type) -> int:
    stmt = select(func.count()).select_from(model)
    stmt = stmt.where(model.organization_id == ctx.organization_id)  # type: ignore[attr-defined]
    return int(ctx.session.scalar(stmt) or 0)


def test_first_run_bills_the_prorated_january(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    outcome = service.run_billing(ctx, JAN_15)
    [draft] = outcome.invoices
    invoice = service.get_invoice(ctx, draft.invoice_id or "")
    # [15 Jan, 1 Feb) = 17 of 31 days: 399 × 17/31 = 218.806… → 218.81
    # VAT 20 %: 218.81 × 0.20 = 43.762 → 43.76; gross 218.81 + 43.76 = 262.57
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("218.81"),
        Decimal("43.76"),
        Decimal("262.57"),
    )
    assert invoice.status == "draft" and invoice.number is None
    assert invoice.billing_date == JAN_15
    [line] = service.invoice_lines(ctx, invoice.id)
    assert (line.period_start, line.period_end) == (JAN_15, FEB_1)
    assert line.vat_rate == Decimal(20)
    assert outcome.run is not None and outcome.run.invoices_created == 1


def test_next_run_bills_a_whole_february(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    service.run_billing(ctx, JAN_15)
    [draft] = service.run_billing(ctx, FEB_1).invoices
    invoice = service.get_invoice(ctx, draft.invoice_id or "")
    # a whole month: 399.00; VAT 399 × 0.20 = 79.80; gross 478.80
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("399"),
        Decimal("79.8"),
        Decimal("478.8"),
    )


def test_the_same_run_twice_makes_nothing_new(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    service.run_billing(ctx, FEB_1)
    again = service.run_billing(ctx, FEB_1)
    assert again.invoices == []
    # January (due 15 Jan) and February (due 1 Feb) are two billing dates: two invoices
    assert count(ctx, Invoice) == 2
    assert count(ctx, InvoiceLine) == 2


def test_a_dry_run_writes_nothing(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    outcome = service.run_billing(ctx, JAN_15, dry_run=True)
    assert [d.gross_total for d in outcome.invoices] == [Decimal("262.57")]
    assert outcome.run is None
    assert count(ctx, Invoice) == 0


def test_a_crash_mid_run_leaves_nothing_and_the_rerun_completes_it(
    ctx: Ctx, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosting_contract(world)
    second = german_company(ctx)
    hosting_contract(world, customer=second, reference="C-2026-002")
    ctx.session.commit()
    real_write = service_runs._write_chunk
    calls: list[str] = []

    def crash_on_second(
        c: Ctx, run: object, drafts: list[service_runs.DraftInvoice], *rest: Any
    ) -> None:
        calls.extend(d.key.customer_id for d in drafts)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_write(c, run, drafts, *rest)  # type: ignore[arg-type]

    # one invoice per chunk, so the first one is written before the second one fails
    monkeypatch.setattr(service_runs, "WRITE_CHUNK", 1)
    monkeypatch.setattr(service_runs, "_write_chunk", crash_on_second)
    with pytest.raises(RuntimeError):
        service.run_billing(ctx, JAN_15)
    ctx.session.rollback()  # what the route or the command does on an error
    assert count(ctx, Invoice) == 0
    monkeypatch.setattr(service_runs, "_write_chunk", real_write)
    outcome = service.run_billing(ctx, JAN_15)
    # French customer: 218.81 + 43.76 = 262.57; German reverse charge: 218.81 + 0 = 218.81
    assert sorted(d.gross_total for d in outcome.invoices) == [
        Decimal("218.81"),
        Decimal("262.57"),
    ]


def test_reverse_charge_customer_pays_no_vat(ctx: Ctx, world: World) -> None:
    german = german_company(ctx)
    hosting_contract(world, customer=german)
    [draft] = service.run_billing(ctx, JAN_15).invoices
    invoice = service.get_invoice(ctx, draft.invoice_id or "")
    # 218.81 net, 0 % VAT: gross = net
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("218.81"),
        Decimal(0),
        Decimal("218.81"),
    )
    assert invoice.tax_treatment == "reverse_charge"
    assert service.explain(ctx, invoice.id)[0]["vat_rate"] == "0"


def test_per_contract_grouping_gives_one_invoice_per_contract(ctx: Ctx, world: World) -> None:
    hosting_contract(world, invoice_grouping="contract")
    hosting_contract(world, reference="C-2026-002", invoice_grouping="contract")
    assert len(service.run_billing(ctx, JAN_15).invoices) == 2


def test_per_customer_grouping_puts_both_contracts_on_one_invoice(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    hosting_contract(world, reference="C-2026-002")
    [draft] = service.run_billing(ctx, JAN_15).invoices
    # two lines of 218.81: net 437.62, VAT 437.62 × 0.20 = 87.524 → 87.52, gross 525.14
    assert (draft.net_total, draft.vat_total, draft.gross_total) == (
        Decimal("437.62"),
        Decimal("87.52"),
        Decimal("525.14"),
    )


def test_a_run_before_the_last_one_is_refused(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    service.run_billing(ctx, FEB_1)
    with pytest.raises(Conflict, match="before the last run"):
        service.run_billing(ctx, JAN_15)


def test_upcoming_invoice_previews_the_next_one_without_writing(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    service.run_billing(ctx, JAN_15)
    upcoming = service.upcoming_invoice(ctx, world.customer.id)
    assert upcoming is not None
    # February, due 1 Feb: 399.00 + 79.80 = 478.80
    assert (upcoming.key.billing_date, upcoming.gross_total) == (date(2026, 2, 1), Decimal("478.8"))
    assert count(ctx, Invoice) == 1


def test_upcoming_invoice_counts_a_pending_contract_from_its_activation_date(
    ctx: Ctx, world: World
) -> None:
    from tarif.contracts import service as contracts

    dated = world.contract(activation={"condition": "at_date", "on": "2026-02-01"})
    contracts.submit(ctx, dated.id)
    manual = world.contract(reference="C-2026-002", start_date="2026-01-20")
    contracts.submit(ctx, manual.id)
    upcoming = service.upcoming_invoice(ctx, world.customer.id)
    assert upcoming is not None
    # the dated contract activates on 1 Feb and bills February: 399.00 + 79.80 = 478.80; the
    # manual one (due 20 Jan) waits for a person and is left out
    assert (upcoming.key.billing_date, upcoming.gross_total) == (date(2026, 2, 1), Decimal("478.8"))
    assert [line.contract_id for line in upcoming.lines] == [dated.id]
    # a preview: both still pending
    assert {contracts.get_contract(ctx, c.id).status for c in (dated, manual)} == {"pending"}
    [made] = service.run_billing(ctx, FEB_1).invoices
    assert made.gross_total == upcoming.gross_total


def test_the_contract_knows_its_last_invoiced_day(ctx: Ctx, world: World) -> None:
    from tarif.contracts import service as contracts

    contract = hosting_contract(world)
    assert contracts.last_invoiced_date(ctx, contract.id) is None
    service.run_billing(ctx, JAN_15)
    assert contracts.last_invoiced_date(ctx, contract.id) == FEB_1


def test_collections_wait_while_a_run_goes_and_resume_after(ctx: Ctx, world: World) -> None:
    import gc

    hosting_contract(world)
    assert gc.isenabled()
    seen: list[bool] = []
    service.run_billing(ctx, JAN_15, progress=lambda done, total: seen.append(gc.isenabled()))
    assert seen == [False]  # one contract: paused while it was billed
    assert gc.isenabled()


def test_the_invoices_behind_credited_days_are_looked_up_by_id(ctx: Ctx, world: World) -> None:
    # SQLite without statistics would read them through the organization's index, every
    # invoice of the tenant for each chunk of a run (80 ms a chunk at 100,000 contracts).
    from sqlalchemy import event

    contract = hosting_contract(world)
    service.run_billing(ctx, JAN_15)
    engine = ctx.session.get_bind()
    selects: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM invoices" in statement:
            selects.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        billed = service_runs._billed_days_by_contract(ctx, [contract.id], JAN_15)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert [days.period.start for days in billed[contract.id]] == [JAN_15]
    # the invoices by id, then the credit notes correcting them by the corrected ids
    assert len(selects) == 2
    if ctx.session.get_bind().dialect.name == "sqlite":
        plans = [
            [
                row[3]
                for row in ctx.session.connection().exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
            ]
            for statement, parameters in selects
        ]
        assert plans == [
            ["SEARCH invoices USING INDEX sqlite_autoindex_invoices_1 (id=?)"],
            ["SEARCH invoices USING INDEX ix_invoices_corrects_invoice_id (corrects_invoice_id=?)"],
        ]
