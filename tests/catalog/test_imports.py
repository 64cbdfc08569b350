from decimal import Decimal

import pytest

from tarif.catalog import service
from tarif.catalog.imports import (
    ENTRY_COLUMNS,
    PRODUCT_COLUMNS,
    import_entries,
    import_products,
    read_csv,
)
from tarif.catalog.models import Product
from tarif.context import Ctx
from tarif.db.repository import PageRequest
from tarif.errors import InvalidInput
from tests.catalog.conftest import make_pricelist


def products_table(text: str):  # type: ignore[no-untyped-def]
    return read_csv(text, PRODUCT_COLUMNS, ("code",))


def entries_table(text: str):  # type: ignore[no-untyped-def]
    return read_csv(text, ENTRY_COLUMNS, ("product_code", "unit_price"))


def test_good_rows_are_imported_and_bad_rows_reported(ctx: Ctx) -> None:
    table = products_table(
        "code,name_en,name_fr,kind,vat_category\n"
        "hosting,Hosting,Hébergement,recurring,standard\n"
        "bad code,Oops,,recurring,\n"
        "setup,Set-up,,one_off,\n"
        ",No code,,usage,\n"
        "\n"
        "books,,Livres,one_off,super_reduced\n"
    )
    seen: list[int] = []
    report = import_products(ctx, table, on_row=seen.append)
    assert [(r.line, r.key, r.status) for r in report.rows] == [
        (2, "hosting", "created"),
        (3, "bad code", "rejected"),
        (4, "setup", "created"),
        (5, "", "rejected"),
        (7, "books", "created"),  # line 6 is blank and skipped
    ]
    assert seen == [2, 3, 4, 5, 7]
    assert report.rows[1].errors == (
        "code: use 1 to 60 letters, digits, '.', '_' or '-', starting with a letter or a digit",
    )
    assert report.rows[3].errors == ("code: is required",)
    assert report.summary() == "5 rows: 3 created, 0 updated, 0 unchanged, 2 rejected"
    codes = [p.code for p in service.list_products(ctx, PageRequest()).items]
    assert codes == ["hosting", "setup", "books"]
    assert service.get_product_by_code(ctx, "books").vat_category == "super_reduced"


def test_a_second_import_updates_known_codes_and_keeps_what_empty_cells_leave(
    ctx: Ctx, hosting: Product
) -> None:
    table = products_table(
        "code;name_fr;unit_label;active\n"
        "hosting;Hébergement;;false\n"  # empty unit label: kept as "month"
        "api-calls;;;\n"  # a new product without a name: rejected
    )
    report = import_products(ctx, table)
    assert [(r.key, r.status) for r in report.rows] == [
        ("hosting", "updated"),
        ("api-calls", "rejected"),
    ]
    assert (hosting.name_fr, hosting.unit_label, hosting.active) == ("Hébergement", "month", False)
    again = import_products(ctx, products_table("code;name_fr\nhosting;Hébergement\n"))
    assert [r.status for r in again.rows] == ["unchanged"]


def test_a_file_with_unknown_or_missing_columns_is_refused_whole() -> None:
    with pytest.raises(InvalidInput, match="unknown column\\(s\\) colour; expected: code"):
        products_table("code,colour\nx,red\n")
    with pytest.raises(InvalidInput, match="missing column\\(s\\): unit_price"):
        entries_table("product_code\nhosting\n")
    with pytest.raises(InvalidInput, match="is empty"):
        products_table("")


def test_a_row_with_more_cells_than_columns_is_rejected(ctx: Ctx) -> None:
    report = import_products(ctx, products_table("code,name_en,kind\nx,X,usage,extra\n"))
    assert report.rows[0].errors == ("the row has more cells than the header has columns",)


def test_a_byte_order_mark_and_upper_case_headers_are_accepted(ctx: Ctx) -> None:
    report = import_products(ctx, products_table("\ufeffCode,Name_EN,Kind\nsetup,Set-up,one_off\n"))
    assert [r.status for r in report.rows] == ["created"]


def test_entries_are_imported_by_product_code(
    ctx: Ctx, hosting: Product, api_calls: Product
) -> None:
    pricelist = make_pricelist(ctx)
    table = entries_table(
        "product_code;unit_price;periodicity;timing\n"
        "hosting;399,00;monthly;in_advance\n"  # decimal comma in a semicolon file
        "api-calls;0,0025;;\n"
        "unknown;1;;\n"
        "hosting;12;;\n"  # already imported above: an update, but recurring needs terms
    )
    report = import_entries(ctx, pricelist.id, table)
    assert [(r.key, r.status) for r in report.rows] == [
        ("hosting", "created"),
        ("api-calls", "created"),
        ("unknown", "rejected"),
        ("hosting", "rejected"),
    ]
    assert report.rows[2].errors == ("product_code: no product 'unknown'",)
    assert report.rows[3].errors == (
        "periodicity: is required for a recurring product",
        "timing: is required for a recurring product (in_advance or in_arrears)",
    )
    prices = {e.product.code: e.unit_price for e in service.list_all_entries(ctx, pricelist.id)}
    assert prices == {"hosting": Decimal("399.00"), "api-calls": Decimal("0.0025")}


def test_a_comma_file_never_reads_a_comma_as_a_decimal_point(ctx: Ctx, api_calls: Product) -> None:
    pricelist = make_pricelist(ctx)
    # In a comma-separated file "1,500" must be quoted, and then means one thousand five hundred
    # or 1.5 depending on the reader: refused rather than guessed.
    table = entries_table('product_code,unit_price\napi-calls,"1,500"\n')
    report = import_entries(ctx, pricelist.id, table)
    assert report.rows[0].status == "rejected"
    assert report.rows[0].errors == ("unit_price: not a decimal number: '1,500'",)


def test_re_importing_the_same_prices_changes_nothing(ctx: Ctx, hosting: Product) -> None:
    pricelist = make_pricelist(ctx)
    text = "product_code,unit_price,periodicity,timing\nhosting,399.00,monthly,in_advance\n"
    import_entries(ctx, pricelist.id, entries_table(text))
    again = import_entries(ctx, pricelist.id, entries_table(text.replace("399.00", "420")))
    assert [r.status for r in again.rows] == ["updated"]
    same = import_entries(ctx, pricelist.id, entries_table(text.replace("399.00", "420.000")))
    assert [r.status for r in same.rows] == ["unchanged"]  # 420.000 = 420
