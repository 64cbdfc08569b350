"""The customer credit balance through the service: credits, use at finalization (first in,
first out), refunds, validation, permissions and tenancy (clock: 15 Jan 2026)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tarif.context import Ctx
from tarif.customers import service as customers
from tarif.db.repository import PageRequest
from tarif.db.session import session_factory
from tarif.errors import Forbidden, InvalidInput, NotFound
from tarif.invoicing import balance, service, service_finalize
from tarif.invoicing.models import Invoice, Refund
from tarif.invoicing.service_invoices import amount_due
from tarif.tenancy.rules import Role
from tests.contracts.conftest import World, as_role, other_ctx
from tests.invoicing.balance_world import february_draft, finalized
from tests.invoicing.conftest import FEB_1, hosting_contract

__all__ = ["other_ctx"]  # fixture shared with tests/contracts


def goodwill(ctx: Ctx, world: World, amount: str, code: str = "EUR") -> str:
    entry = balance.grant_goodwill(
        ctx, world.customer.id, amount=amount, currency=code, reason="late delivery"
    )
    return entry.id


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_goodwill_50_pays_part_of_an_invoice_of_478_80(ctx: Ctx, world: World) -> None:
    credit = goodwill(ctx, world, "50.00")
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("50.00")
    invoice = finalized(ctx, world)  # 399.00 + 79.80 VAT = 478.80
    [payment] = service.invoice_payments(ctx, invoice.id)
    assert (payment.amount, payment.method) == (Decimal("50.00"), "credit_balance")
    assert payment.paid_on == invoice.issue_date
    assert credit in payment.reference
    # 478.80 − 50.00 = 428.80 still due
    assert amount_due(invoice) == Decimal("428.80")
    assert (invoice.amount_paid, invoice.status) == (Decimal("50.00"), "partially_paid")
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("0.00")
    [applied, granted] = [e for e, _ in balance.history(ctx, world.customer.id, PageRequest()).rows]
    assert (applied.kind, applied.amount, applied.invoice_id) == (
        "applied",
        Decimal("-50.00"),
        invoice.id,
    )
    assert applied.reason == f"applied to invoice F-2026-000001: {credit} 50.00 EUR"
    assert granted.id == credit
    # the rest is paid by hand: 428.80 is exactly what is due, and the invoice is paid
    service.record_payment(ctx, invoice.id, amount="428.80")
    assert invoice.status == "paid"


def test_goodwill_600_pays_an_invoice_of_478_80_and_keeps_the_rest(ctx: Ctx, world: World) -> None:
    goodwill(ctx, world, "600.00")
    invoice = finalized(ctx, world)
    [payment] = service.invoice_payments(ctx, invoice.id)
    assert payment.amount == Decimal("478.80")
    assert (invoice.status, amount_due(invoice)) == ("paid", Decimal("0.00"))
    # 600.00 − 478.80 = 121.20
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("121.20")


def test_two_credits_are_used_oldest_first(ctx: Ctx, world: World) -> None:
    first = goodwill(ctx, world, "30.00")
    second = goodwill(ctx, world, "40.00")
    invoice = finalized(ctx, world, "41.67")  # 41.67 + 8.33 VAT = 50.00
    assert invoice.status == "paid"
    # 50.00 = 30.00 (all of the first) + 20.00 (of the second's 40.00); 40.00 − 20.00 = 20.00 left
    rows = balance.history(ctx, world.customer.id, PageRequest()).rows
    assert [(e.kind, e.amount, after) for e, after in rows] == [
        ("applied", Decimal("-50.00"), Decimal("20.00")),  # 70.00 − 50.00
        ("goodwill", Decimal("40.00"), Decimal("70.00")),  # 30.00 + 40.00
        ("goodwill", Decimal("30.00"), Decimal("30.00")),
    ]
    assert rows[0][0].reason.endswith(f"{first} 30.00 EUR, {second} 20.00 EUR")
    [payment] = service.invoice_payments(ctx, invoice.id)
    assert payment.reference == f"credit balance: {first} 30.00 EUR, {second} 20.00 EUR"
    # a refund takes from the oldest still open: the 20.00 left of the second
    refund = balance.refund_balance(
        ctx, world.customer.id, amount="20.00", currency="EUR", reference="VIR-2026-001"
    )
    assert refund.amount == Decimal("-20.00")
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("0.00")


def test_a_use_after_a_refund_takes_the_next_credit(ctx: Ctx, world: World) -> None:
    goodwill(ctx, world, "30.00")
    second = goodwill(ctx, world, "40.00")
    balance.refund_balance(
        ctx, world.customer.id, amount="35.00", currency="EUR", reference="VIR-1"
    )
    # the refund of 35.00 took the first 30.00 and 5.00 of the second: 35.00 of it is open
    invoice = finalized(ctx, world, "41.67")  # 50.00 due
    [payment] = service.invoice_payments(ctx, invoice.id)
    assert payment.reference == f"credit balance: {second} 35.00 EUR"
    assert amount_due(invoice) == Decimal("15.00")  # 50.00 − 35.00


def test_a_credit_in_another_currency_is_not_used(ctx: Ctx, world: World) -> None:
    goodwill(ctx, world, "100.00", "USD")
    invoice = finalized(ctx, world)
    assert service.invoice_payments(ctx, invoice.id) == []
    assert (invoice.status, amount_due(invoice)) == ("finalized", Decimal("478.80"))
    assert balance.available(ctx, world.customer.id, "USD") == Decimal("100.00")
    assert balance.balances(ctx, world.customer.id) == [("USD", Decimal("100.00"))]


def test_a_credit_note_credit_is_used_like_a_goodwill_credit(ctx: Ctx, world: World) -> None:
    note = credit_note_row(ctx, world)
    entry = balance.add_credit(
        ctx,
        customer_id=world.customer.id,
        currency="EUR",
        amount=Decimal("80.00"),
        kind="credit_note",
        reason="",
        credit_note_id=note.id,
    )
    assert (entry.kind, entry.credit_note_id, entry.reason) == (
        "credit_note",
        note.id,
        "credit note AV-2026-000001",
    )
    invoice = finalized(ctx, world, "41.67")  # 50.00 due
    [payment] = service.invoice_payments(ctx, invoice.id)
    assert (payment.amount, payment.reference) == (
        Decimal("50.00"),
        f"credit balance: {entry.id} 50.00 EUR",
    )
    # 80.00 − 50.00 = 30.00
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("30.00")


def credit_note_row(ctx: Ctx, world: World) -> Invoice:
    """A finalized credit note of 80.00 of the customer, stored as the credit-note service stores
    one (a row of `invoices`, kind "credit_note", amounts negative)."""
    now = ctx.clock.now()
    note = Invoice(
        id="inv_note_" + world.customer.id[-12:],
        organization_id=ctx.organization_id,
        customer_id=world.customer.id,
        currency="EUR",
        billing_date=now.date(),
        status="finalized",
        series="credit_note",
        number="AV-2026-000001",
        kind="credit_note",
        tax_treatment="standard",
        net_total=Decimal("-66.67"),
        vat_total=Decimal("-13.33"),  # 66.67 × 0.20 = 13.334 → 13.33; 66.67 + 13.33 = 80.00
        gross_total=Decimal("-80.00"),
        vat_breakdown=[],
        amount_paid=Decimal(0),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(note)
    ctx.session.flush()
    return note


def test_a_credit_note_credit_names_a_credit_note_of_the_customer(ctx: Ctx, world: World) -> None:
    invoice = finalized(ctx, world)
    values: dict[str, Any] = {"customer_id": world.customer.id, "currency": "EUR"}
    with pytest.raises(InvalidInput) as missing:
        balance.add_credit(ctx, **values, amount="1.00", kind="credit_note", reason="x")
    assert "credit_note_id" in fields_of(missing)
    with pytest.raises(InvalidInput) as not_a_note:
        balance.add_credit(
            ctx, **values, amount="1.00", kind="credit_note", reason="x", credit_note_id=invoice.id
        )
    assert fields_of(not_a_note) == {"credit_note_id": "not a credit note of this customer"}
    with pytest.raises(InvalidInput) as kind:
        balance.add_credit(ctx, **values, amount="1.00", kind="applied", reason="x")
    assert "kind" in fields_of(kind)


def test_a_refund_beyond_the_balance_is_refused_on_amount(ctx: Ctx, world: World) -> None:
    goodwill(ctx, world, "50.00")
    with pytest.raises(InvalidInput) as refused:
        balance.refund_balance(
            ctx, world.customer.id, amount="50.01", currency="EUR", reference="VIR-2"
        )
    assert fields_of(refused) == {"amount": "more than the 50.00 EUR available"}
    entry = balance.refund_balance(
        ctx, world.customer.id, amount="50.00", currency="EUR", reference="VIR-2", method="cheque"
    )
    refund = ctx.session.get_one(Refund, entry.refund_id)
    assert (refund.amount, refund.method, refund.reference, refund.credit_note_id) == (
        Decimal("50.00"),
        "cheque",
        "VIR-2",
        None,
    )
    assert entry.reason == "refund by cheque, reference VIR-2"
    with pytest.raises(InvalidInput, match=r"more than the 0\.00 EUR available"):
        balance.refund_balance(
            ctx, world.customer.id, amount="0.01", currency="EUR", reference="VIR-3"
        )


@pytest.mark.parametrize(
    ("amount", "code", "message"),
    [
        ("-5.00", "EUR", "must be more than zero"),
        ("0", "EUR", "must be more than zero"),
        ("0.00", "EUR", "must be more than zero"),
        ("10.001", "EUR", "at most 2 decimals in EUR"),
        ("1.5", "JPY", "at most 0 decimals in JPY"),
        ("ten", "EUR", "not a decimal amount"),
        ("NaN", "EUR", "not a decimal amount"),
        ("1000000000000", "EUR", "must be less than 1000000000000"),
    ],
)
def test_bad_amounts_are_refused_on_amount(
    ctx: Ctx, world: World, amount: str, code: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        balance.grant_goodwill(ctx, world.customer.id, amount=amount, currency=code, reason="x")
    assert fields_of(refused) == {"amount": message}
    with pytest.raises(InvalidInput) as refund:
        balance.refund_balance(ctx, world.customer.id, amount=amount, currency=code, reference="r")
    assert fields_of(refund) == {"amount": message}


def test_every_bad_field_is_reported_at_once(ctx: Ctx, world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        balance.grant_goodwill(ctx, world.customer.id, amount="-1", currency="FRF", reason=" ")
    assert fields_of(refused) == {
        "currency": "'FRF' is not an ISO 4217 currency in use",
        "amount": "must be more than zero",
        "reason": "is required",
    }
    with pytest.raises(InvalidInput) as refund:
        balance.refund_balance(
            ctx, world.customer.id, amount="1", currency="EUR", reference="", method="bitcoin"
        )
    assert set(fields_of(refund)) == {"method"}
    assert balance.balances(ctx, world.customer.id) == []


def test_a_lower_case_currency_reads_upper_case(ctx: Ctx, world: World) -> None:
    entry = balance.grant_goodwill(
        ctx, world.customer.id, amount="12", currency="eur", reason="gesture"
    )
    assert (entry.currency, entry.amount, entry.amount_minor) == ("EUR", Decimal(12), 1200)


def test_only_billing_roles_credit_or_refund(ctx: Ctx, world: World) -> None:
    for role in (Role.SALES, Role.READ_ONLY):
        with pytest.raises(Forbidden):
            balance.grant_goodwill(
                as_role(ctx, role), world.customer.id, amount="1", currency="EUR", reason="x"
            )
        with pytest.raises(Forbidden):
            balance.refund_balance(
                as_role(ctx, role), world.customer.id, amount="1", currency="EUR", reference="r"
            )
    balance.grant_goodwill(
        as_role(ctx, Role.FINANCE), world.customer.id, amount="1", currency="EUR", reason="x"
    )


def test_another_tenant_neither_sees_nor_credits_the_customer(
    other_ctx: Ctx, ctx: Ctx, world: World
) -> None:
    goodwill(ctx, world, "50.00")
    with pytest.raises(NotFound):
        balance.grant_goodwill(other_ctx, world.customer.id, amount="1", currency="EUR", reason="x")
    with pytest.raises(NotFound):
        balance.refund_balance(
            other_ctx, world.customer.id, amount="1", currency="EUR", reference="r"
        )
    with pytest.raises(NotFound):
        balance.history(other_ctx, world.customer.id, PageRequest())
    with pytest.raises(NotFound):
        balance.balances(other_ctx, world.customer.id)
    assert balance.available(other_ctx, world.customer.id, "EUR") == Decimal("0.00")
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("50.00")


def test_finalizing_without_a_balance_costs_one_query(ctx: Ctx, world: World) -> None:
    invoice_id = february_draft(world)
    invoice = service.get_invoice(ctx, invoice_id)
    invoice.status = "finalized"  # as `seal_invoice` leaves it just before the balance step
    ctx.session.flush()
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = ctx.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert balance.apply_balance(ctx, invoice) == Decimal(0)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1 and "sum" in statements[0].lower()


def test_two_invoices_finalized_in_one_transaction_share_the_balance(
    ctx: Ctx, world: World
) -> None:
    hosting_contract(world)  # 399.00 from 15 Jan: January 262.57 and February 478.80
    january, february = (d.invoice_id or "" for d in service.run_billing(ctx, FEB_1).invoices)
    goodwill(ctx, world, "300.00")
    first = service.finalize_invoice(ctx, january)
    second = service.finalize_invoice(ctx, february)
    # 300.00 pays January's 262.57 whole; 300.00 − 262.57 = 37.43 goes to February
    assert (first.status, first.amount_paid) == ("paid", Decimal("262.57"))
    assert (second.status, second.amount_paid) == ("partially_paid", Decimal("37.43"))
    # 478.80 − 37.43 = 441.37 still due; nothing left on the balance
    assert amount_due(second) == Decimal("441.37")
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("0.00")


def test_history_pages_carry_the_running_balance(ctx: Ctx, world: World) -> None:
    amounts = ["10.00", "20.00", "30.00", "40.00", "50.00"]
    for amount in amounts:
        goodwill(ctx, world, amount)
    goodwill(ctx, world, "7.00", "USD")
    balance.refund_balance(ctx, world.customer.id, amount="25.00", currency="EUR", reference="R")
    first = balance.history(ctx, world.customer.id, PageRequest(limit=3))
    # newest first: refund −25.00 (150.00 − 25.00 = 125.00), USD 7.00, EUR 50.00 (150.00)
    assert [(e.currency, e.amount, after) for e, after in first.rows] == [
        ("EUR", Decimal("-25.00"), Decimal("125.00")),
        ("USD", Decimal("7.00"), Decimal("7.00")),
        ("EUR", Decimal("50.00"), Decimal("150.00")),  # 10 + 20 + 30 + 40 + 50
    ]
    assert first.has_more and first.next_cursor == first.rows[-1][0].id
    second = balance.history(
        ctx, world.customer.id, PageRequest(limit=3, starting_after=first.next_cursor)
    )
    assert [(e.amount, after) for e, after in second.rows] == [
        (Decimal("40.00"), Decimal("100.00")),  # 150.00 − 50.00
        (Decimal("30.00"), Decimal("60.00")),  # 100.00 − 40.00
        (Decimal("20.00"), Decimal("30.00")),  # 60.00 − 30.00
    ]
    third = balance.history(
        ctx, world.customer.id, PageRequest(limit=3, starting_after=second.next_cursor)
    )
    assert [(e.amount, after) for e, after in third.rows] == [(Decimal("10.00"), Decimal("10.00"))]
    assert not third.has_more and third.next_cursor is None
    usd = balance.history(ctx, world.customer.id, PageRequest(), currency="USD")
    assert [(e.amount, after) for e, after in usd.rows] == [(Decimal("7.00"), Decimal("7.00"))]
    assert balance.balances(ctx, world.customer.id) == [
        ("EUR", Decimal("125.00")),
        ("USD", Decimal("7.00")),
    ]


def test_an_archived_or_unknown_customer(ctx: Ctx, world: World) -> None:
    with pytest.raises(NotFound, match="customer 'cus_nope' not found"):
        balance.grant_goodwill(ctx, "cus_nope", amount="1", currency="EUR", reason="x")
    customers.set_archived(ctx, world.customer.id)
    # an archived customer keeps its balance and may still be paid back
    goodwill(ctx, world, "5.00")
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("5.00")


def test_after_a_prefetch_a_customer_without_money_costs_no_query(ctx: Ctx, world: World) -> None:
    invoice = service.get_invoice(ctx, february_draft(world))
    invoice.status = "finalized"  # as `seal_invoice` leaves it just before the balance step
    ctx.session.flush()
    balance.prefetch(ctx, [world.customer.id])
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = ctx.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert balance.apply_balance(ctx, invoice) == Decimal(0)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements == []
    # a credit added after the prefetch is seen: the prefetch is forgotten
    goodwill(ctx, world, "10.00")
    assert balance.apply_balance(ctx, invoice) == Decimal("10.00")
    assert amount_due(invoice) == Decimal("468.80")  # 478.80 − 10.00


def test_a_prefetch_holds_for_its_transaction_only(ctx: Ctx, world: World, engine: Engine) -> None:
    invoice_id = february_draft(world)
    balance.prefetch(ctx, [world.customer.id])  # no money yet
    ctx.session.commit()
    # another request credits the customer: this session's prefetch knows nothing of it
    with session_factory(engine)() as session:
        other = Ctx(session, ctx.organization_id, ctx.actor, ctx.clock)
        balance.grant_goodwill(
            other, world.customer.id, amount="10.00", currency="EUR", reason="gesture"
        )
        session.commit()
    invoice = service.finalize_invoice(ctx, invoice_id)
    assert invoice.amount_paid == Decimal("10.00")


def test_finalizing_a_whole_run_uses_the_balance_in_billing_order(ctx: Ctx, world: World) -> None:
    hosting_contract(world)  # 399.00 from 15 Jan: January 262.57 and February 478.80
    outcome = service.run_billing(ctx, FEB_1)
    assert outcome.run is not None
    goodwill(ctx, world, "300.00")
    service_finalize.finalize_run(ctx, outcome.run.id)
    january, february = (service.get_invoice(ctx, d.invoice_id or "") for d in outcome.invoices)
    # January first: 262.57 paid whole; then 300.00 − 262.57 = 37.43 on February
    assert (january.status, january.amount_paid) == ("paid", Decimal("262.57"))
    assert (february.status, february.amount_paid) == ("partially_paid", Decimal("37.43"))
    assert balance.available(ctx, world.customer.id, "EUR") == Decimal("0.00")
