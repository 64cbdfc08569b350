"""ExactDecimal and UTCDateTime keep exact values on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError

from tarif.db.types import ExactDecimal, UTCDateTime, read_back


@pytest.fixture
def probe(engine: Engine) -> Iterator[Table]:
    """A throw-away table with one column of each type, in the test database."""
    table = Table(
        f"type_probe_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("amount", ExactDecimal()),
        Column("at", UTCDateTime()),
    )
    table.create(engine)
    yield table
    table.drop(engine)


def _store(engine: Engine, table: Table, **values: object) -> tuple[object, object]:
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, **values))
    with engine.connect() as conn:
        row = conn.execute(select(table.c.amount, table.c.at)).one()
    return row.amount, row.at


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("0.000001", "0.000001"),
        ("12345678901234.123456", "12345678901234.123456"),
        ("-99999999999999.999999", "-99999999999999.999999"),
        ("0", "0"),
        # One canonical form on both backends (PostgreSQL would answer 12.500000).
        ("12.50", "12.5"),
        ("1E+2", "100"),
        ("-0.00", "0"),
    ],
)
def test_exact_decimal_round_trips_exactly(
    engine: Engine, probe: Table, text: str, stored: str
) -> None:
    amount, _ = _store(engine, probe, amount=Decimal(text))
    assert isinstance(amount, Decimal)
    assert amount == Decimal(text)
    assert str(amount) == stored


def test_exact_decimal_accepts_ints(engine: Engine, probe: Table) -> None:
    amount, _ = _store(engine, probe, amount=42)
    assert amount == Decimal(42)


@pytest.mark.parametrize("value", [0.1, 1.0, True])
def test_exact_decimal_refuses_floats_and_bools(
    engine: Engine, probe: Table, value: object
) -> None:
    with pytest.raises(StatementError, match="refused for exact decimal columns"):
        _store(engine, probe, amount=value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # 7 decimals: PostgreSQL's NUMERIC(20, 6) would round it silently.
        ("0.0000001", "more than 6 decimals"),
        # 10^14 has 15 integer digits, one more than NUMERIC(20, 6) holds.
        ("100000000000000", "more than 14 integer digits"),
        ("NaN", "not a finite decimal"),
    ],
)
def test_exact_decimal_refuses_what_numeric_20_6_cannot_hold(
    engine: Engine, probe: Table, text: str, reason: str
) -> None:
    with pytest.raises(StatementError, match=reason):
        _store(engine, probe, amount=Decimal(text))


def test_exact_decimal_accepts_trailing_zeros_beyond_the_scale(
    engine: Engine, probe: Table
) -> None:
    # 1.50000000 equals 1.5: nothing would be rounded away.
    amount, _ = _store(engine, probe, amount=Decimal("1.50000000"))
    assert amount == Decimal("1.5")


def test_utc_datetime_returns_aware_utc(engine: Engine, probe: Table) -> None:
    instant = datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)
    _, at = _store(engine, probe, at=instant)
    assert isinstance(at, datetime)
    assert at == instant
    assert at.tzinfo is not None
    assert at.utcoffset() == timedelta(0)


def test_utc_datetime_converts_other_offsets_to_utc(engine: Engine, probe: Table) -> None:
    # 10:30 in Paris in winter (UTC+1) is 09:30 UTC.
    paris_winter = timezone(timedelta(hours=1))
    _, at = _store(engine, probe, at=datetime(2026, 1, 15, 10, 30, tzinfo=paris_winter))
    assert isinstance(at, datetime)
    assert (at.hour, at.minute, at.utcoffset()) == (9, 30, timedelta(0))


def test_utc_datetime_refuses_naive_datetimes(engine: Engine, probe: Table) -> None:
    with pytest.raises(StatementError, match="naive datetimes are refused"):
        _store(engine, probe, at=datetime(2026, 1, 15, 9, 30))


def test_utc_datetime_refuses_dates(engine: Engine, probe: Table) -> None:
    with pytest.raises(StatementError, match="a datetime is expected"):
        _store(engine, probe, at=date(2026, 1, 15))


def test_read_back_gives_the_canonical_form_whatever_was_read() -> None:
    # PostgreSQL pads to six decimals, SQLite returns the text written: both read back alike
    assert [str(read_back(v)) for v in (Decimal("12.500000"), "12.5", Decimal("1E+2"), 0)] == [
        "12.5",
        "12.5",
        "100",
        "0",
    ]
    assert read_back(None) is None


def test_read_back_of_a_signalling_nan_fails_as_canonical_does() -> None:
    from decimal import InvalidOperation

    with pytest.raises(InvalidOperation):
        read_back(Decimal("sNaN"))
