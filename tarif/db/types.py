"""Column types that keep exact values on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, MetaData, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

PRECISION = 20
SCALE = 6


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(20, 6) on PostgreSQL; TEXT on SQLite, whose NUMERIC affinity would store floats.

    Values that NUMERIC(20, 6) cannot hold exactly are refused on both backends, so PostgreSQL
    never rounds silently and SQLite never keeps what PostgreSQL would not. Values come back in
    one canonical form on both (`12.5`, `100`, `0.0025`): PostgreSQL would pad every value to
    six decimals (`12.500000`) and SQLite would return whatever was written.
    """

    impl = Numeric(PRECISION, SCALE)
    cache_ok = True
    # Equal decimals are written alike (one canonical form): `tarif.db.bulk` converts each once.
    bind_alike = (Decimal,)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(PRECISION, SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float | bool):
            raise TypeError(f"{type(value).__name__}s are refused for exact decimal columns")
        value = Decimal(value)
        _check_fits(value)
        return str(canonical(value)) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return read_back(value)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """`process_result_value` after the driver-level processing, as TypeDecorator's own
        would do it, without its wrapper's extra call per value: a billing run reads about a
        million of these values (its contracts' billed lines)."""
        impl_processor = self.impl_instance.result_processor(dialect, coltype)
        if impl_processor is None:
            return read_back

        def process(value: Any) -> Decimal | None:
            return read_back(impl_processor(value))

        return process


def read_back(value: Any) -> Decimal | None:
    """The decimal an `ExactDecimal` column gives back for `value` (as the driver reads it, or
    as written): its canonical form. Reads repeat a few prices, rates and quantities (a billing
    run reads every contract's billed lines, and seals what it writes in the form it would read
    back): each is worked out once."""
    if value is None:
        return None
    try:
        return _read_canonical(value)
    except TypeError:  # not hashable (a signalling NaN): worked out, to fail as it would
        return canonical(Decimal(str(value)))


@lru_cache(maxsize=1 << 16)
def _read_canonical(value: str | Decimal) -> Decimal:
    # Keyed by the value as read or written; equal decimals (12.500000 and 12.5) have the same
    # canonical form.
    return canonical(Decimal(str(value)))


def canonical(value: Decimal) -> Decimal:
    """No exponent and no trailing fractional zeros: 12.500000 -> 12.5, 1E+2 -> 100, -0 -> 0."""
    if value.is_zero():
        return _ZERO
    # Exact here: a value that fits NUMERIC(20, 6) has far fewer digits than the context's 28.
    stripped = value.normalize()
    # A positive exponent (1E+2) is the only case printed with "E+"; testing the text is
    # cheaper than `as_tuple()`, and every value read from the database comes through here.
    return stripped.quantize(_ONE) if "E+" in str(stripped) else stripped


_ZERO = Decimal(0)
_ONE = Decimal(1)


_INTEGER_LIMIT = Decimal(10) ** (PRECISION - SCALE)
_SMALLEST_STEP = Decimal(1).scaleb(-SCALE)


def _check_fits(value: Decimal) -> None:
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    # Integer digits first: quantizing a huge value would exceed the decimal context's precision.
    if abs(value) >= _INTEGER_LIMIT:
        raise ValueError(f"{value} has more than {PRECISION - SCALE} integer digits")
    if value != value.quantize(_SMALLEST_STEP, rounding=ROUND_DOWN):
        raise ValueError(f"{value} has more than {SCALE} decimals")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True
    # Equal instants are written alike (in UTC): `tarif.db.bulk` converts each once.
    bind_alike = (datetime,)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a datetime is expected, not {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused; use UTC-aware instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant: datetime = value
        if instant.tzinfo is None:
            return instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC)


# PostgreSQL compares text in the database's collation: with a libc locale such as `C.UTF-8`
# or `fr_FR.UTF-8`, every comparison of every key (each index insert and look-up, each
# foreign-key check) is a `strcoll` call. Only the collation named "C" compares bytes (memcmp,
# abbreviated keys in sorts). Identifiers, codes and keys want byte order anyway, and SQLite
# compares bytes too: the same ORDER BY gives the same rows on both backends.
BYTEWISE = "C"


def bytewise_text_on_postgresql(metadata: MetaData) -> None:
    """Gives every text column of `metadata` the bytewise collation on PostgreSQL (a variant:
    SQLite's columns are unchanged). Run once, when every table is declared."""
    for table in metadata.tables.values():
        for column in table.columns:
            declared = column.type
            plain = isinstance(declared, String) and not isinstance(declared, TypeDecorator)
            if plain and declared.collation is None:
                bytewise = type(declared)(length=declared.length, collation=BYTEWISE)
                column.type = declared.with_variant(bytewise, "postgresql")
