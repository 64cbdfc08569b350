"""`among`: the same rows whether the values go as array text or as an array parameter."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql

from tarif.context import Ctx
from tarif.db.among import _array_text, among

_table = Table("t", MetaData(), Column("name", String), Column("n", Integer), Column("d", Date))


def test_plain_strings_go_as_the_text_of_an_array() -> None:
    assert (
        _array_text(_table.c.name, ["cus_01", "NULL", "a b", "é"]) == '{"cus_01","NULL","a b","é"}'
    )


@pytest.mark.parametrize(
    "values",
    [
        [],  # an empty array is not "{}" of one empty string: left to psycopg
        ['say "hi"'],  # a quote would end the element
        ['a","b'],  # one value, never two elements
        ["back\\slash"],
        ["cus_01", 3],  # not all strings
    ],
)
def test_other_values_go_as_an_array_parameter(values: list[object]) -> None:
    assert _array_text(_table.c.name, values) is None


def test_a_column_that_is_not_text_takes_an_array_of_its_own_type() -> None:
    assert _array_text(_table.c.n, ["1", "2"]) is None
    sql = str(among(_table.c.n, [1, 2], "postgresql").compile(dialect=postgresql.dialect()))
    assert sql == "t.n = ANY (%(param_1)s::INTEGER[])"


def test_array_text_goes_untyped_on_postgresql_and_in_stays_on_sqlite() -> None:
    sql = str(among(_table.c.name, ["a"], "postgresql").compile(dialect=postgresql.dialect()))
    assert sql == "t.name = ANY (%(param_1)s)"  # untyped: PostgreSQL takes it as VARCHAR[]
    assert "IN" in str(among(_table.c.name, ["a"], "sqlite"))


def test_the_same_rows_are_found_either_way(ctx: Ctx) -> None:
    # Values PostgreSQL would read otherwise if they were not quoted (NULL, spaces, braces,
    # commas) and ones that must go as an array parameter (quotes, backslashes).
    names = ["plain", "NULL", "with space", "{brace}", "a,b", 'say "hi"', "back\\slash", "é"]
    connection = ctx.session.connection()
    table = Table("among_probe", MetaData(), Column("name", String, primary_key=True))
    table.create(connection)
    connection.execute(table.insert(), [{"name": n} for n in [*names, "other"]])
    dialect = connection.dialect.name
    for chosen in (names, names[:5], names[5:], ["missing"]):
        found = connection.execute(
            select(table.c.name).where(among(table.c.name, chosen, dialect))
        ).scalars()
        assert sorted(found) == sorted(n for n in chosen if n in names)
