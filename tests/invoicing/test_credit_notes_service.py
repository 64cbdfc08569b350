"""Credit notes and voids through the service: amounts, numbering, settlement, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tarif.context import Ctx
from tarif.errors import Conflict, InvalidInput, NotFound
from tarif.invoicing import balance, service
from tarif.invoicing.service_invoices import amount_due
from tests.contracts.conftest import World
from tests.invoicing.conftest import hosting_contract
from tests.invoicing.credit_notes import both_invoices, february_invoice, manual_invoice

D = Decimal


def test_a_credit_by_amount_splits_gross_into_net_and_vat(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    note = service.issue_credit_note(
        ctx, invoice.id, reason="Service outage", amount="100.00", settlement="refund"
    )
    # 100.00 gross at 20 %: net 100 / 1.2 = 83.333… → 83.33; VAT 83.33 × 20 % = 16.666 → 16.67
    # (BR-CO-17, the rate on the net rounded once) and 83.33 + 16.67 = 100.00. Stored negative.
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-83.33"),
        D("-16.67"),
        D("-100.00"),
    )
    assert note.vat_breakdown == [{"rate": "20", "base": "-83.33", "vat": "-16.67"}]
    assert (note.kind, note.series, note.status) == ("credit_note", "credit_note", "issued")
    assert (note.number, note.corrects_invoice_id) == ("AV-2026-000001", invoice.id)
    assert note.issue_date == ctx.clock.now().date()
    assert note.content_hash == service.content_hash(note, service.invoice_lines(ctx, note.id))
    # Unpaid invoice: the whole credit cancels part of what it owes, nothing is refunded.
    assert (note.applied_to_invoice, note.refunded, note.to_balance) == (D("100.00"), 0, 0)
    assert service.refunds_of(ctx, note.id) == []
    invoice = service.get_invoice(ctx, invoice.id)
    # 478.80 - 0 paid - 100.00 credited = 378.80 still due
    assert (invoice.amount_credited, amount_due(invoice)) == (D("100.00"), D("378.80"))
    assert invoice.status == "finalized"
    with pytest.raises(InvalidInput, match=r"378\.80"):
        service.record_payment(ctx, invoice.id, amount="400.00")


def test_a_credit_by_line_prorates_part_of_the_quantity(ctx: Ctx, world: World) -> None:
    january, february = both_invoices(ctx, world)
    note = service.issue_credit_note(
        ctx,
        january.id,
        reason="Three unused days",
        lines=[{"position": 1, "quantity": "0.25"}],
        settlement="balance",
    )
    # January's line: quantity 1, net 218.81. A quarter: 218.81 × 0.25 = 54.7025 → 54.70;
    # VAT 54.70 × 20 % = 10.94; gross 65.64.
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-54.70"),
        D("-10.94"),
        D("-65.64"),
    )
    (line,) = service.invoice_lines(ctx, note.id)
    original = service.invoice_lines(ctx, january.id)[0]
    assert (line.source, line.credits_line_id, line.quantity) == (
        "credit_note",
        original.id,
        D("0.25"),
    )
    assert (line.net_amount, line.exact_net, line.unit_price) == (
        D("-54.70"),
        "-54.7025",
        -original.unit_price,
    )
    assert (line.period_start, line.period_end) == (original.period_start, original.period_end)
    # The rest of the line (0.75) takes what is left of its net: 218.81 - 54.70 = 164.11, so
    # the line cancels to the cent; VAT 164.11 × 20 % = 32.822 → 32.82; gross 196.93.
    rest = service.issue_credit_note(
        ctx, january.id, reason="The rest", lines=[{"position": 1}], settlement="balance"
    )
    assert (rest.net_total, rest.vat_total, rest.gross_total) == (
        D("-164.11"),
        D("-32.82"),
        D("-196.93"),
    )
    # 65.64 + 196.93 = 262.57: January is cancelled whole, nothing was paid → credited
    january = service.get_invoice(ctx, january.id)
    assert (january.amount_credited, amount_due(january), january.status) == (
        D("262.57"),
        D("0.00"),
        "credited",
    )
    with pytest.raises(InvalidInput) as refused:
        service.issue_credit_note(
            ctx, january.id, reason="Again", lines=[{"position": 1}], settlement="balance"
        )
    assert refused.value.errors[0].field == "lines"
    assert february.status == "finalized"


def test_a_line_credited_whole_cannot_be_credited_again(ctx: Ctx, world: World) -> None:
    invoice = manual_invoice(
        ctx,
        world.customer,
        [("Hosting", "1", "300.00", "20"), ("Books", "2", "100.00", "5.5")],
    )
    service.issue_credit_note(
        ctx, invoice.id, reason="Hosting down", lines=[{"position": 1}], settlement="refund"
    )
    with pytest.raises(InvalidInput) as refused:
        service.issue_credit_note(
            ctx,
            invoice.id,
            reason="Twice",
            lines=[{"position": 1}, {"position": 2, "quantity": "3"}, {"position": 9}],
            settlement="refund",
        )
    fields = {e.field: e.message for e in refused.value.errors}
    assert "already credited in full" in fields["lines.0.position"]
    assert "at most 2" in fields["lines.1.quantity"]
    assert "no line 9" in fields["lines.2.position"]


def test_a_credit_by_amount_is_shared_over_the_vat_rates(ctx: Ctx, world: World) -> None:
    # 300.00 at 20 % (VAT 60.00, gross 360.00) and 100.00 at 5.5 % (VAT 5.50, gross 105.50):
    # 465.50 gross.
    invoice = manual_invoice(
        ctx,
        world.customer,
        [("Hosting", "1", "300.00", "20"), ("Books", "2", "100.00", "5.5")],
    )
    assert invoice.gross_total == D("465.50")
    note = service.issue_credit_note(
        ctx, invoice.id, reason="Goodwill", amount="100.00", settlement="refund"
    )
    # 20 %: 100 × 360 / 465.50 = 77.336… → 77.34; 5.5 % takes the rest: 100 - 77.34 = 22.66.
    # 20 %: net 77.34 / 1.2 = 64.45, VAT 12.89 (64.45 × 0.2), 64.45 + 12.89 = 77.34.
    # 5.5 %: net 22.66 / 1.055 = 21.478… → 21.48, VAT 21.48 × 0.055 = 1.1814 → 1.18,
    # 21.48 + 1.18 = 22.66. Totals: net 85.93, VAT 14.07, gross 100.00.
    assert note.vat_breakdown == [
        {"rate": "20", "base": "-64.45", "vat": "-12.89"},
        {"rate": "5.5", "base": "-21.48", "vat": "-1.18"},
    ]
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-85.93"),
        D("-14.07"),
        D("-100.00"),
    )
    lines = service.invoice_lines(ctx, note.id)
    assert [line.credits_line_id for line in lines] == [None, None]
    assert [line.vat_category for line in lines] == ["standard", "reduced"]


def test_a_credit_by_amount_skips_a_rate_already_credited(ctx: Ctx, world: World) -> None:
    # 300.00 at 20 % (gross 360.00) and 100.00 at 5.5 % (gross 105.50): 465.50 gross.
    invoice = manual_invoice(
        ctx,
        world.customer,
        [("Hosting", "1", "300.00", "20"), ("Books", "2", "100.00", "5.5")],
    )
    service.issue_credit_note(
        ctx, invoice.id, reason="Books", lines=[{"position": 2}], settlement="refund"
    )
    # 465.50 - 105.50 = 360.00 left, all of it at 20 %: the whole amount goes there (net 300.00,
    # VAT 60.00), none to 5.5 %, whose 105.50 is credited already.
    note = service.issue_credit_note(
        ctx, invoice.id, reason="Rest", amount="360.00", settlement="refund"
    )
    assert note.vat_breakdown == [{"rate": "20", "base": "-300.00", "vat": "-60.00"}]
    assert note.gross_total == D("-360.00")


def test_a_line_is_not_credited_past_what_its_rate_has_left(ctx: Ctx, world: World) -> None:
    # 300.00 at 20 % (gross 360.00) and 100.00 at 5.5 % (gross 105.50): 465.50 gross.
    invoice = manual_invoice(
        ctx,
        world.customer,
        [("Hosting", "1", "300.00", "20"), ("Books", "2", "100.00", "5.5")],
    )
    # 100.00 by amount: 77.34 at 20 %, 22.66 at 5.5 % (see above); 105.50 - 22.66 = 82.84 is
    # what 5.5 % has left, so the books line whole (105.50) would credit 22.66 of it twice.
    service.issue_credit_note(
        ctx, invoice.id, reason="Goodwill", amount="100.00", settlement="refund"
    )
    with pytest.raises(InvalidInput, match=r"105\.50 at 5\.5 % VAT .* 82\.84 still") as refused:
        service.issue_credit_note(
            ctx, invoice.id, reason="Books", lines=[{"position": 2}], settlement="refund"
        )
    assert refused.value.errors[0].field == "lines"
    # Half of the line (50.00 + 2.75 VAT = 52.75) fits in what 5.5 % has left.
    note = service.issue_credit_note(
        ctx,
        invoice.id,
        reason="Books",
        lines=[{"position": 2, "quantity": "1"}],
        settlement="refund",
    )
    assert note.gross_total == D("-52.75")


def test_more_than_the_remaining_amount_is_refused_naming_the_field(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    service.issue_credit_note(ctx, invoice.id, reason="Part", amount="400.00", settlement="refund")
    # 478.80 - 400.00 = 78.80 left to credit
    with pytest.raises(InvalidInput, match=r"78\.80 still creditable") as refused:
        service.issue_credit_note(
            ctx, invoice.id, reason="Too much", amount="78.81", settlement="refund"
        )
    assert refused.value.errors[0].field == "amount"
    with pytest.raises(InvalidInput, match=r"78\.80 still creditable") as refused:
        service.issue_credit_note(
            ctx, invoice.id, reason="Too much", lines=[{"position": 1}], settlement="refund"
        )
    assert refused.value.errors[0].field == "lines"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "10.00", "lines": [{"position": 1}]}, "amount"),
        ({}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"lines": []}, "lines"),
        ({"amount": "10.00", "reason": " "}, "reason"),
        ({"amount": "10.00", "settlement": "cash"}, "settlement"),
    ],
)
def test_bad_requests_name_the_field(
    ctx: Ctx, world: World, fields: dict[str, object], field: str
) -> None:
    invoice = february_invoice(ctx, world)
    args: dict[str, object] = {"reason": "Why", "settlement": "refund"} | fields
    with pytest.raises(InvalidInput) as refused:
        service.issue_credit_note(ctx, invoice.id, **args)  # type: ignore[arg-type]
    assert field in {e.field for e in refused.value.errors}


def test_a_draft_is_not_credited(ctx: Ctx, world: World) -> None:
    hosting_contract(world)
    (draft,) = service.run_billing(ctx, ctx.clock.now().date()).invoices
    with pytest.raises(Conflict, match="edit or delete the draft instead"):
        service.issue_credit_note(
            ctx, draft.invoice_id or "", reason="x", amount="10.00", settlement="refund"
        )
    with pytest.raises(Conflict, match="edit or delete the draft instead"):
        service.void_invoice(ctx, draft.invoice_id or "", reason="x")


def test_void_credits_everything_and_closes_the_invoice(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    note = service.void_invoice(ctx, invoice.id, reason="Issued by mistake")
    # Every line whole: -399.00 net, -79.80 VAT, -478.80 gross, all against the amount due.
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-399.00"),
        D("-79.80"),
        D("-478.80"),
    )
    assert (note.applied_to_invoice, note.to_balance, note.refunded) == (D("478.80"), 0, 0)
    invoice = service.get_invoice(ctx, invoice.id)
    assert (invoice.status, amount_due(invoice)) == ("voided", D("0.00"))
    with pytest.raises(Conflict, match="voided"):
        service.record_payment(ctx, invoice.id, amount="1.00")
    with pytest.raises(Conflict, match="voided"):
        service.issue_credit_note(
            ctx, invoice.id, reason="more", amount="1.00", settlement="refund"
        )
    with pytest.raises(Conflict, match="voided"):
        service.void_invoice(ctx, invoice.id, reason="again")


def test_void_after_a_partial_credit_credits_what_remains(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    service.issue_credit_note(ctx, invoice.id, reason="Part", amount="100.00", settlement="refund")
    note = service.void_invoice(ctx, invoice.id, reason="Cancelled")
    # 478.80 - 100.00 = 378.80 left: net 378.80 / 1.2 = 315.666… → 315.67,
    # VAT 315.67 × 20 % = 63.134 → 63.13, 315.67 + 63.13 = 378.80.
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-315.67"),
        D("-63.13"),
        D("-378.80"),
    )
    invoice = service.get_invoice(ctx, invoice.id)
    # 100.00 + 378.80 = 478.80 credited; nothing due
    assert (invoice.status, invoice.amount_credited, amount_due(invoice)) == (
        "voided",
        D("478.80"),
        D("0.00"),
    )


def test_credit_notes_are_numbered_gap_free_in_their_own_series(ctx: Ctx, world: World) -> None:
    january, february = both_invoices(ctx, world)
    assert (january.number, february.number) == ("F-2026-000001", "F-2026-000002")
    first = service.issue_credit_note(
        ctx, january.id, reason="a", amount="10.00", settlement="refund"
    )
    ctx.session.commit()
    with pytest.raises(InvalidInput):
        service.issue_credit_note(ctx, january.id, reason="b", amount="9999", settlement="refund")
    ctx.session.rollback()  # a refused credit note draws no number
    second = service.void_invoice(ctx, february.id, reason="c")
    assert (first.number, second.number) == ("AV-2026-000001", "AV-2026-000002")
    listed = service.list_credit_notes(ctx, service_page())
    assert [n.number for n in listed.items] == ["AV-2026-000001", "AV-2026-000002"]
    assert [
        n.number
        for n in service.list_credit_notes(ctx, service_page(), invoice_id=january.id).items
    ] == ["AV-2026-000001"]
    # Invoice lists show invoices only.
    assert {i.kind for i in service.list_invoices(ctx, service_page()).items} == {"invoice"}


def service_page():  # type: ignore[no-untyped-def]
    from tarif.db.repository import PageRequest

    return PageRequest(limit=50)


def test_a_paid_invoice_is_refunded(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    service.record_payment(ctx, invoice.id, amount="478.80")
    note = service.issue_credit_note(
        ctx, invoice.id, reason="Refund", amount="100.00", settlement="refund"
    )
    # Nothing was due: the 100.00 goes back to the customer.
    assert (note.applied_to_invoice, note.refunded, note.to_balance) == (0, D("100.00"), 0)
    (refund,) = service.refunds_of(ctx, note.id)
    assert (refund.amount, refund.currency, refund.customer_id) == (
        D("100.00"),
        "EUR",
        invoice.customer_id,
    )
    assert (refund.method, refund.reference) == ("transfer", "AV-2026-000001")
    assert service.get_invoice(ctx, invoice.id).status == "paid"


def test_a_partly_paid_invoice_is_credited_first_then_refunded(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    service.record_payment(ctx, invoice.id, amount="400.00")
    note = service.issue_credit_note(
        ctx, invoice.id, reason="Refund", amount="100.00", settlement="refund"
    )
    # 478.80 - 400.00 = 78.80 was due: it is cancelled, the other 100.00 - 78.80 = 21.20 refunded
    assert (note.applied_to_invoice, note.refunded) == (D("78.80"), D("21.20"))
    invoice = service.get_invoice(ctx, invoice.id)
    # nothing is due any more and something was paid → paid
    assert (invoice.status, amount_due(invoice)) == ("paid", D("0.00"))


def test_a_paid_invoice_credited_to_the_balance(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    service.record_payment(ctx, invoice.id, amount="478.80")
    note = service.issue_credit_note(
        ctx, invoice.id, reason="Goodwill", amount="50.00", settlement="balance"
    )
    assert (note.applied_to_invoice, note.refunded, note.to_balance) == (0, 0, D("50.00"))
    assert service.refunds_of(ctx, note.id) == []
    # The customer had no balance: 0.00 + 50.00
    assert balance.available(ctx, invoice.customer_id, "EUR") == D("50.00")


@pytest.fixture
def other_ctx(session, make_tenant, clock) -> Ctx:  # type: ignore[no-untyped-def]
    """Another organization, made before anything else writes (SQLite has one writer)."""
    from tarif.context import Actor

    return Ctx(session, make_tenant("Other SAS").id, Actor.system("test"), clock)


def test_another_organizations_invoice_is_not_found(other_ctx: Ctx, ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    with pytest.raises(NotFound):
        service.issue_credit_note(
            other_ctx, invoice.id, reason="x", amount="1.00", settlement="refund"
        )
    with pytest.raises(NotFound):
        service.void_invoice(other_ctx, invoice.id, reason="x")
    note = service.void_invoice(ctx, invoice.id, reason="x")
    with pytest.raises(NotFound):
        service.get_credit_note(other_ctx, note.id)
    with pytest.raises(NotFound):
        service.get_credit_note(ctx, invoice.id)  # an invoice is not a credit note


def test_explain_names_the_credited_line(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    note = service.issue_credit_note(
        ctx, invoice.id, reason="x", lines=[{"position": 1, "quantity": "0.5"}], settlement="refund"
    )
    (entry,) = service.explain_credit_note(ctx, note.id)
    original = service.invoice_lines(ctx, invoice.id)[0]
    assert entry["corrects_invoice_number"] == "F-2026-000001"
    credits = entry["credits"]
    assert (credits["line_id"], credits["position"], credits["invoice_number"]) == (
        original.id,
        1,
        "F-2026-000001",
    )
    assert (credits["contract_id"], credits["line_key"]) == (
        original.contract_id,
        original.line_key,
    )
    # 399.00 × 0.5 = 199.50
    assert D(entry["net_amount"]) == D("-199.50")


def test_the_printed_credit_note_is_consistent_and_positive(ctx: Ctx, world: World) -> None:
    from tarif.invoicing.document import DocumentKind
    from tarif.invoicing.issued import document_for
    from tarif.tenancy import service as tenancy

    tenancy.update_organization(
        ctx,
        {
            "address_line1": "12 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "siren": "732829320",
            "vat_number": "FR44732829320",
        },
    )
    invoice = manual_invoice(
        ctx,
        world.customer,
        [("Hosting", "1", "300.00", "20"), ("Books", "2", "100.00", "5.5")],
    )
    by_amount = service.issue_credit_note(
        ctx, invoice.id, reason="Goodwill", amount="100.00", settlement="refund"
    )
    by_line = service.issue_credit_note(
        ctx,
        invoice.id,
        reason="Books",
        lines=[{"position": 2, "quantity": "1"}],
        settlement="refund",
    )
    printed = document_for(ctx, by_amount)
    # The document checks BR-CO-17 itself; printed positive: 85.93 + 14.07 = 100.00
    assert printed.kind is DocumentKind.CREDIT_NOTE
    assert (printed.totals.net, printed.totals.vat, printed.totals.gross) == (
        D("85.93"),
        D("14.07"),
        D("100.00"),
    )
    assert printed.corrected_invoice_number == invoice.number
    # half of the books line: 100.00 × 1/2 = 50.00 net; VAT 50.00 × 5.5 % = 2.75; gross 52.75
    assert document_for(ctx, by_line).totals.gross == D("52.75")


def test_voiding_a_paid_invoice_refunds_what_was_paid(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    service.record_payment(ctx, invoice.id, amount="478.80")
    note = service.void_invoice(ctx, invoice.id, reason="Duplicate", settlement="refund")
    # nothing was due: all 478.80 goes back to the customer
    assert (note.applied_to_invoice, note.refunded, note.to_balance) == (0, D("478.80"), 0)
    assert [r.amount for r in service.refunds_of(ctx, note.id)] == [D("478.80")]
    invoice = service.get_invoice(ctx, invoice.id)
    assert (invoice.status, invoice.amount_paid, invoice.amount_credited) == (
        "voided",
        D("478.80"),
        D("0"),
    )


def test_an_invoice_credited_in_full_cannot_be_voided(ctx: Ctx, world: World) -> None:
    invoice = february_invoice(ctx, world)
    service.issue_credit_note(
        ctx, invoice.id, reason="All", lines=[{"position": 1}], settlement="refund"
    )
    # 478.80 credited, nothing paid → credited; nothing is left for a void
    assert service.get_invoice(ctx, invoice.id).status == "credited"
    with pytest.raises(Conflict, match="nothing left to credit"):
        service.void_invoice(ctx, invoice.id, reason="late")
