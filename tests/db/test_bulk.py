"""`insert_rows` stores what the ORM stores, at the driver's speed, inside the transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from tarif.context import Ctx
from tarif.db.bulk import insert_rows
from tarif.invoicing.models import Invoice

D = Decimal
AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def invoice_values(ctx: Ctx, invoice_id: str, customer_id: str) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "organization_id": ctx.organization_id,
        "customer_id": customer_id,
        "currency": "EUR",
        "billing_date": date(2026, 1, 15),
        "status": "draft",
        "series": "invoice",
        "kind": "invoice",
        "tax_treatment": "standard",
        # 218.81 + 20 % = 262.57; written with trailing zeros, read back canonical
        "net_total": D("218.810000"),
        "vat_total": D("43.76"),
        "gross_total": D("262.57"),
        "vat_breakdown": [{"rate": "20", "base": "218.81", "vat": "43.76"}],
        "document": None,
        "created_at": AT,
        "updated_at": AT,
    }


@pytest.fixture
def customer_id(ctx: Ctx) -> str:
    from tarif.customers import service as customers

    return customers.create_customer(ctx, {"legal_name": "Acme SAS", "country": "FR"}).id


def test_rows_read_back_as_the_orm_writes_them(ctx: Ctx, customer_id: str) -> None:
    table = cast(Table, Invoice.__table__)
    insert_rows(ctx.session, table, [invoice_values(ctx, "inv_bulk_1", customer_id)])
    stored = ctx.session.scalars(select(Invoice).where(Invoice.id == "inv_bulk_1")).one()
    assert (stored.net_total, stored.gross_total, str(stored.net_total)) == (
        D("218.81"),
        D("262.57"),
        "218.81",
    )
    assert stored.vat_breakdown == [{"rate": "20", "base": "218.81", "vat": "43.76"}]
    assert (stored.created_at, stored.billing_date) == (AT, date(2026, 1, 15))
    # left out: the columns' own defaults apply (0 credited, 0 paid), and a draft's
    # document is SQL NULL
    assert (stored.amount_credited, stored.amount_paid, stored.document) == (D(0), D(0), None)
    is_null = select(Invoice.id).where(Invoice.id == stored.id, Invoice.document.is_(None))
    assert ctx.session.scalar(is_null) == stored.id


def test_a_duplicate_key_is_an_integrity_error_and_the_savepoint_undoes_the_rows(
    ctx: Ctx, customer_id: str
) -> None:
    table = cast(Table, Invoice.__table__)
    insert_rows(ctx.session, table, [invoice_values(ctx, "inv_bulk_2", customer_id)])
    with pytest.raises(IntegrityError), ctx.session.begin_nested():
        insert_rows(
            ctx.session,
            table,
            [
                invoice_values(ctx, "inv_bulk_3", customer_id),
                invoice_values(ctx, "inv_bulk_2", customer_id),
            ],
        )
    kept = ctx.session.scalars(select(Invoice.id).where(Invoice.customer_id == customer_id))
    assert sorted(kept) == ["inv_bulk_2"]


def test_exact_decimal_checks_still_apply(ctx: Ctx, customer_id: str) -> None:
    values = invoice_values(ctx, "inv_bulk_4", customer_id) | {"net_total": D("0.0000001")}
    with pytest.raises(ValueError, match="more than 6 decimals"):
        insert_rows(ctx.session, cast(Table, Invoice.__table__), [values])


def test_equal_values_are_converted_once_and_read_back_alike(ctx: Ctx, customer_id: str) -> None:
    from datetime import timedelta, timezone

    paris_winter = timezone(timedelta(hours=1))
    rows = [
        invoice_values(ctx, "inv_bulk_5", customer_id),
        # the same amounts and instant, written otherwise: 2.1881E+2 = 218.81, and
        # 10:30 at UTC+1 = 9:30 UTC
        invoice_values(ctx, "inv_bulk_6", customer_id)
        | {"net_total": D("2.1881E+2"), "created_at": AT.astimezone(paris_winter)},
        invoice_values(ctx, "inv_bulk_7", customer_id) | {"net_total": D("218.81")},
    ]
    insert_rows(ctx.session, cast(Table, Invoice.__table__), rows)
    stored = ctx.session.execute(
        select(Invoice.id, Invoice.net_total, Invoice.created_at)
        .where(Invoice.customer_id == customer_id)
        .order_by(Invoice.id)
    ).all()
    assert [(i, str(n), c) for i, n, c in stored] == [
        ("inv_bulk_5", "218.81", AT),
        ("inv_bulk_6", "218.81", AT),
        ("inv_bulk_7", "218.81", AT),
    ]


def test_a_refused_value_equal_to_an_accepted_one_is_still_refused(
    ctx: Ctx, customer_id: str
) -> None:
    # True == 1 == Decimal(1), but booleans are refused for exact decimal columns
    rows = [
        invoice_values(ctx, "inv_bulk_8", customer_id) | {"net_total": D(1)},
        invoice_values(ctx, "inv_bulk_9", customer_id) | {"net_total": 1},
        invoice_values(ctx, "inv_bulk_10", customer_id) | {"net_total": True},
    ]
    with pytest.raises(TypeError, match="bools are refused"):
        insert_rows(ctx.session, cast(Table, Invoice.__table__), rows)


def test_an_unhashable_value_is_refused_by_the_column_type(ctx: Ctx, customer_id: str) -> None:
    # Decimal("sNaN") cannot be hashed: the column falls back to value by value, and the exact
    # decimal type refuses it with its own message.
    rows = [
        invoice_values(ctx, "inv_bulk_11", customer_id),
        invoice_values(ctx, "inv_bulk_12", customer_id) | {"net_total": D("sNaN")},
    ]
    with pytest.raises(ValueError, match="finite"):
        insert_rows(ctx.session, cast(Table, Invoice.__table__), rows)


def test_json_values_shared_by_rows_are_stored_for_each(ctx: Ctx, customer_id: str) -> None:
    # Empty lists share one converted value (PostgreSQL: dumped once to its text); each row
    # still stores its own JSON, and a JSON document goes in whole.
    document = {"language": "fr", "buyer": {"name": "Acme SAS", "address_lines": []}}
    rows = [
        invoice_values(ctx, "inv_bulk_13", customer_id) | {"vat_breakdown": []},
        invoice_values(ctx, "inv_bulk_14", customer_id) | {"vat_breakdown": []},
        invoice_values(ctx, "inv_bulk_15", customer_id) | {"document": document},
    ]
    insert_rows(ctx.session, cast(Table, Invoice.__table__), rows)
    stored = ctx.session.execute(
        select(Invoice.id, Invoice.vat_breakdown, Invoice.document)
        .where(Invoice.customer_id == customer_id)
        .order_by(Invoice.id)
    ).all()
    assert [tuple(row) for row in stored] == [
        ("inv_bulk_13", [], None),
        ("inv_bulk_14", [], None),
        ("inv_bulk_15", [{"rate": "20", "base": "218.81", "vat": "43.76"}], document),
    ]


def test_text_with_copy_special_characters_is_stored_as_given(ctx: Ctx, customer_id: str) -> None:
    # PostgreSQL's COPY text format gives meaning to backslash, tab and line ends: each
    # must reach the column as written, beside rows without a note (SQL NULL) and an
    # empty note (an empty string, not NULL).
    notes = "Line 1\nLine\t2\r\\N is not null; C:\\temp"
    rows = [
        invoice_values(ctx, "inv_bulk_16", customer_id) | {"notes": notes},
        invoice_values(ctx, "inv_bulk_17", customer_id) | {"notes": None},
        invoice_values(ctx, "inv_bulk_18", customer_id) | {"notes": ""},
    ]
    insert_rows(ctx.session, cast(Table, Invoice.__table__), rows)
    stored = ctx.session.execute(
        select(Invoice.id, Invoice.notes, Invoice.notes.is_(None))
        .where(Invoice.customer_id == customer_id)
        .order_by(Invoice.id)
    ).all()
    assert [tuple(row) for row in stored] == [
        ("inv_bulk_16", notes, False),
        ("inv_bulk_17", None, True),
        ("inv_bulk_18", "", False),
    ]


def test_copy_fields_are_postgresql_input_text() -> None:
    from tarif.db.bulk import _copy_texts

    assert _copy_texts(["a\tb", None, "c\\d", "e\nf"]) == ["a\\tb", "\\N", "c\\\\d", "e\\nf"]
    assert _copy_texts([True, False, None]) == ["t", "f", "\\N"]
    assert _copy_texts([D("218.81"), D("1E+2"), 3, date(2026, 2, 1), AT]) == [
        "218.81",
        "1E+2",  # PostgreSQL's numeric input reads the exponent form: 100
        "3",
        "2026-02-01",
        "2026-01-15T09:30:00+00:00",  # PostgreSQL reads the "T" form alike
    ]
    assert _copy_texts([None, None]) == ["\\N", "\\N"]
    # a class not known here: left to psycopg's own formatting
    assert _copy_texts([b"\x00"]) is None


def test_a_column_escaped_as_one_string_gives_each_field_its_own_escapes() -> None:
    from tarif.db.bulk import _copy_texts

    # A backslash then a tab: the backslash doubled, then the tab's escape (escaping the tab
    # first would double its backslash too).
    assert _copy_texts(["", "\\\t", "x\r", "", "plain"]) == ["", "\\\\\\t", "x\\r", "", "plain"]
    # NUL, which PostgreSQL text cannot hold, is not taken for a separator: escaped field by
    # field and left for the server to refuse, as before.
    assert _copy_texts(["a\x00\tb", "c"]) == ["a\x00\\tb", "c"]


@given(st.lists(st.none() | st.text(st.sampled_from("ab\\\t\n\r\x00é")), min_size=1))
def test_copy_text_of_a_column_is_its_fields_escaped_one_by_one(values: list[str | None]) -> None:
    from tarif.db.bulk import _copy_texts

    def one(text: str) -> str:
        return (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )

    assert _copy_texts(values) == ["\\N" if v is None else one(v) for v in values]
