"""Column-wise checks of a bulk-import chunk (pyarrow compute): `event_rules` over whole columns.

A chunk is a table of flat rows as read from a CSV or Parquet file (reserved columns, the
others are properties). `check_chunk` keeps the rows it can prove acceptable with whole-column
operations and leaves every other row to the row-by-row rules (`parse_event`, `resolve`), which
give the exact refusal. The column path only ever accepts, never refuses: a row whose values
are not of the plain forms below goes to the rules, so both paths agree by construction.

Plain forms checked here:
- ids (`transaction_id`, `metric`, `customer`): printable at both ends (nothing `strip()`
  would remove), no control character, within the length limit; no `source` nor `contract`;
- `timestamp`: `YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)`, years 1000 to 2999, or a Parquet
  timestamp column in s, ms or µs;
- properties: string cells without `"`, `\\` or control characters, or integer cells;
- a known, active metric without a valuation SmartCode, a known customer, within the future
  tolerance, not late under the `reject` policy;
- the metric's field: a plain decimal `-?D{1,12}(.D{1,6})?` or an integer of at most 12
  digits (`sum`, `max`, …), any 1-to-200-character string or an integer (`unique_count`).

Pure: values in (Arrow arrays, the `Directory`, the `Policy`), values out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from tarif.usage.event_rules import (
    DEFAULT_MAX_PROPERTIES_BYTES,
    MAX_METRIC_CODE,
    MAX_REFERENCE,
    MAX_TEXT,
    MICROS,
    Directory,
    LatePolicy,
    Policy,
    Row,
)

ZONE_RULES_END = datetime(2037, 1, 1, tzinfo=UTC)
RESERVED = frozenset({"transaction_id", "customer", "contract", "metric", "timestamp", "source"})
UTC_US = pa.timestamp("us", tz="UTC")

# The prepared rows: what `usage_events` stores (organization and arrival instant excepted),
# with `index`, the row's position in its chunk.
SCHEMA = pa.schema(
    [
        ("index", pa.int64()),
        ("source", pa.string()),
        ("transaction_id", pa.string()),
        ("metric_code", pa.string()),
        ("customer_id", pa.string()),
        ("contract_id", pa.string()),
        ("occurred_at", UTC_US),
        ("local_date", pa.date32()),
        ("value_micros", pa.int64()),
        ("unique_key", pa.string()),
        ("properties", pa.string()),
        ("late", pa.bool_()),
        ("smartcode_version_id", pa.string()),
    ]
)

# Printable at both ends (so `strip()` keeps it whole: no ASCII control or space, none of the
# other characters Python counts as white space), no control character inside.
_SPACES = "".join(f"\\x{{{c:x}}}" for c in range(0x80, 0x3001) if chr(c).isspace())
_END = r"[!-~\x{80}-\x{10FFFF}]"
_PLAIN_TEXT = rf"^{_END}([^\x00-\x1f\x7f]*{_END})?$"
_SPACE_AT_ENDS = rf"^[{_SPACES}]|[{_SPACES}]$"
_TIMESTAMP = (
    r"^[12]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
_DECIMAL = r"^-?\d{1,12}(\.\d{1,6})?$"
_JSON_PLAIN = r"^[^\"\\\x00-\x1f]*$"
_MAX_INT_VALUE = 10**12  # × 10⁶ stays far inside a BIGINT


@dataclass(frozen=True)
class Checked:
    """The rows accepted column-wise (`SCHEMA`) and the chunk positions left to the rules."""

    rows: pa.Table
    others: list[int]


def _text_array(column: Any) -> pa.Array | None:
    """A column as a plain string array, or None when it holds something else."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if pa.types.is_string(kind):
        return array
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return array.cast(pa.string())
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    return None


def _filled(mask: Any) -> Any:
    return pc.fill_null(mask, False)


def _plain_text(array: pa.Array, limit: int) -> Any:
    """Cells `_text` keeps as they are: non-empty, nothing to strip, no NUL, within `limit`."""
    plain = pc.and_(
        pc.match_substring_regex(array, _PLAIN_TEXT),
        pc.invert(pc.match_substring_regex(array, _SPACE_AT_ENDS)),
    )
    return _filled(pc.and_(plain, pc.less_equal(pc.utf8_length(array), limit)))


def _empty(array: pa.Array) -> Any:
    """Cells a flat row leaves out (null or "")."""
    return pc.fill_null(pc.equal(pc.binary_length(array), 0), True)


def _instants(table: pa.Table, ok: Any) -> tuple[pa.Array, Any] | None:
    """(the `timestamp` column as UTC instants, where it is of a plain form)."""
    if "timestamp" not in table.column_names:
        return None
    column = table.column("timestamp").combine_chunks()
    if pa.types.is_timestamp(column.type):
        if column.type.unit == "ns":
            return None
        instants = column.cast(pa.timestamp("us", tz=column.type.tz or "UTC")).cast(UTC_US)
        years = pc.year(instants)
        plain = _filled(pc.and_(pc.greater_equal(years, 1000), pc.less_equal(years, 2999)))
        return instants, plain
    text = _text_array(column)
    if text is None:
        return None
    plain = _filled(pc.match_substring_regex(text, _TIMESTAMP))
    placeholder = pa.scalar("2000-01-01T00:00:00Z")
    try:
        instants = pc.cast(pc.if_else(pc.and_(plain, ok), text, placeholder), UTC_US)
    except pa.ArrowInvalid:
        # A day the calendar lacks (30 February): found cell by cell, left to the rules.
        valid = []
        for cell, keep in zip(text.to_pylist(), pc.and_(plain, ok).to_pylist(), strict=True):
            if keep:
                try:
                    datetime.fromisoformat(cell)
                except ValueError:
                    keep = False
            valid.append(bool(keep))
        plain = pa.array(valid)
        instants = pc.cast(pc.if_else(plain, text, placeholder), UTC_US)
    return instants, plain


def _property_json(table: pa.Table, names: list[str]) -> tuple[pa.Array, Any] | None:
    """(each row's properties as the JSON text stored, where it is plain): extra columns in
    order, empty cells left out, like `json.dumps(..., separators=(",", ":"))`."""
    n = table.num_rows
    pieces: list[Any] = []
    plain: Any = pa.array([True] * n)
    for name in names:
        key = json.dumps(name, ensure_ascii=False)
        if "\\" in key:
            return None
        column = table.column(name).combine_chunks()
        text = _text_array(column)
        if text is not None:
            plain = pc.and_(plain, _filled(pc.match_substring_regex(text, _JSON_PLAIN)))
            piece = pc.binary_join_element_wise(f',{key}:"', text, '"', "")
            pieces.append(pc.if_else(_empty(text), "", piece))
        elif pa.types.is_integer(column.type):
            piece = pc.binary_join_element_wise(f",{key}:", column.cast(pa.string()), "")
            pieces.append(pc.fill_null(piece, ""))
        else:
            return None
    if not pieces:
        return pa.array(["{}"] * n, pa.string()), plain
    joined = pc.binary_join_element_wise(*pieces, "") if len(pieces) > 1 else pieces[0]
    text = pc.if_else(
        pc.equal(pc.binary_length(joined), 0),
        "{}",
        pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", ""),
    )
    fits = pc.less_equal(pc.binary_length(text), DEFAULT_MAX_PROPERTIES_BYTES)
    return text, pc.and_(plain, fits)


def _micros(text: pa.Array) -> tuple[pa.Array, Any]:
    """(millionths of plain decimal strings, where plain): "-12.5" → -12,500,000, by integer
    arithmetic on the digits (never through a float)."""
    plain = _filled(pc.match_substring_regex(text, _DECIMAL))
    safe = pc.if_else(plain, text, "0")
    negative = pc.starts_with(safe, "-")
    unsigned = pc.if_else(negative, pc.utf8_slice_codeunits(safe, 1), safe)
    whole = pc.cast(pc.replace_substring_regex(unsigned, r"\..*$", ""), pa.int64())
    fraction = pc.utf8_rpad(pc.replace_substring_regex(unsigned, r"^\d*\.?", ""), 6, "0")
    micros = pc.add(pc.multiply(whole, MICROS), pc.cast(fraction, pa.int64()))
    return pc.if_else(negative, pc.negate(micros), micros), plain


def _values(
    table: pa.Table, codes: pa.Array, directory: Directory, n: int
) -> tuple[pa.Array, pa.Array, Any]:
    """(value_micros, unique_key, where the metric's field is plain) for every row."""
    value: Any = pa.nulls(n, pa.int64())
    key: Any = pa.nulls(n, pa.string())
    plain: Any = pa.array([True] * n)
    for code, spec in directory.metrics.items():
        mine = _filled(pc.equal(codes, code))
        if not pc.any(mine).as_py():
            continue
        if spec.aggregation == "count" or not spec.field:
            continue
        name = spec.field
        column = None
        if name in table.column_names and name not in RESERVED and name != "properties":
            column = table.column(name).combine_chunks()
        if column is None:
            plain = pc.and_(plain, pc.invert(mine))
            continue
        text = _text_array(column)
        if spec.aggregation == "unique_count":
            if text is None and pa.types.is_integer(column.type):
                text = column.cast(pa.string())
            if text is None:
                plain = pc.and_(plain, pc.invert(mine))
                continue
            length = pc.utf8_length(text)
            good = _filled(pc.and_(pc.greater(length, 0), pc.less_equal(length, MAX_TEXT)))
            key = pc.if_else(mine, text, key)
        elif text is not None:
            micros, good = _micros(text)
            value = pc.if_else(mine, micros, value)
        elif pa.types.is_integer(column.type):
            integers = column.cast(pa.int64())
            good = _filled(
                pc.less_equal(pc.abs(integers), _MAX_INT_VALUE),
            )
            safe = pc.if_else(good, integers, 0)
            value = pc.if_else(mine, pc.multiply(safe, MICROS), value)
        else:
            good = pa.array([False] * n)
        plain = pc.and_(plain, pc.or_(pc.invert(mine), good))
    return value, key, plain


def check_chunk(table: pa.Table, directory: Directory, policy: Policy) -> Checked:
    """The rows of the chunk accepted column-wise, and the positions of the others."""
    n = table.num_rows
    everything = list(range(n))
    empty = Checked(SCHEMA.empty_table(), everything)
    zone = getattr(policy.timezone, "key", None)
    if n == 0 or zone is None:
        return empty
    names = table.column_names
    columns: dict[str, pa.Array] = {}
    for name in ("transaction_id", "metric", "customer"):
        if name not in names:
            return empty
        text = _text_array(table.column(name))
        if text is None:
            return empty
        columns[name] = text
    ok: Any = pa.array([True] * n)
    for name in ("source", "contract", "properties"):
        if name in names:
            text = _text_array(table.column(name))
            if text is None:
                return empty
            ok = pc.and_(ok, _empty(text))
    ok = pc.and_(ok, _plain_text(columns["transaction_id"], MAX_TEXT))
    ok = pc.and_(ok, _plain_text(columns["metric"], MAX_METRIC_CODE))
    ok = pc.and_(ok, _plain_text(columns["customer"], MAX_REFERENCE))
    stamped = _instants(table, ok)
    extras = [name for name in names if name not in RESERVED and name != "properties"]
    properties = _property_json(table, extras)
    if stamped is None or properties is None:
        return empty
    instants, plain_time = stamped
    properties_json, plain_properties = properties
    ok = pc.and_(ok, pc.and_(plain_time, plain_properties))

    # Against the organization's data.
    usable = [
        code
        for code, spec in directory.metrics.items()
        if not spec.archived and spec.valuation_smartcode_id is None
    ]
    metric_at = pc.index_in(columns["metric"], value_set=pa.array(usable, pa.string()))
    ok = pc.and_(ok, pc.is_valid(metric_at))
    externals = list(directory.customers_by_external_id)
    customer_at = pc.index_in(columns["customer"], value_set=pa.array(externals, pa.string()))
    ok = pc.and_(ok, pc.is_valid(customer_at))
    customer_ids = pc.take(
        pa.array([directory.customers_by_external_id[e] for e in externals], pa.string()),
        customer_at,
    )
    latest = (policy.received_at + policy.future_tolerance).astimezone(UTC)
    ok = pc.and_(ok, _filled(pc.less_equal(instants, pa.scalar(latest, UTC_US))))
    value, unique_key, plain_value = _values(table, columns["metric"], directory, n)
    ok = pc.and_(ok, plain_value)
    # The zone rules pyarrow reads stop in 2037 (later summer times are missed); later
    # instants take the row rules, whose zoneinfo follows the zone's rule beyond.
    ok = pc.and_(ok, _filled(pc.less(instants, pa.scalar(ZONE_RULES_END, UTC_US))))
    local = pc.local_timestamp(instants.cast(pa.timestamp("us", tz=zone)))
    days = local.cast(pa.date32())
    late: Any = pa.array([False] * n)
    if directory.watermarks:
        marks = list(directory.watermarks.items())
        wanted = pc.binary_join_element_wise(customer_ids, columns["metric"], "\x1f")
        at = pc.index_in(
            wanted, value_set=pa.array([f"{c}\x1f{m}" for (c, m), _ in marks], pa.string())
        )
        billed_until = pc.take(pa.array([d for _, d in marks], pa.date32()), at)
        late = _filled(pc.less(days, billed_until))
        if policy.late_policy is LatePolicy.REJECT:
            ok = pc.and_(ok, pc.invert(late))
    ok = _filled(ok)
    rows = pa.table(
        [
            pa.array(everything, pa.int64()),
            pa.array([""] * n, pa.string()),
            columns["transaction_id"],
            columns["metric"],
            customer_ids,
            pa.nulls(n, pa.string()),
            instants,
            days,
            value,
            unique_key,
            properties_json,
            late,
            pa.nulls(n, pa.string()),
        ],
        schema=SCHEMA,
    ).filter(ok)
    others = pc.indices_nonzero(pc.invert(ok)).to_pylist()
    return Checked(rows, others)


def table_of_rows(rows: list[Row]) -> pa.Table:
    """Rows checked one by one, as prepared rows (`SCHEMA`)."""
    return pa.table(
        [
            pa.array([r.index for r in rows], pa.int64()),
            pa.array([r.source for r in rows], pa.string()),
            pa.array([r.transaction_id for r in rows], pa.string()),
            pa.array([r.metric_code for r in rows], pa.string()),
            pa.array([r.customer_id for r in rows], pa.string()),
            pa.array([r.contract_id for r in rows], pa.string()),
            pa.array([r.occurred_at for r in rows], UTC_US),
            pa.array([r.local_date for r in rows], pa.date32()),
            pa.array([r.value_micros for r in rows], pa.int64()),
            pa.array([r.unique_key for r in rows], pa.string()),
            pa.array([r.properties_json for r in rows], pa.string()),
            pa.array([r.late for r in rows], pa.bool_()),
            pa.array([r.smartcode_version_id for r in rows], pa.string()),
        ],
        schema=SCHEMA,
    )


def first_of_each_key(rows: pa.Table) -> pa.Table:
    """The first row (lowest `index`) of each (source, transaction_id), in `index` order."""
    if rows.num_rows == 0:
        return rows
    firsts = rows.group_by(["source", "transaction_id"], use_threads=False).aggregate(
        [("index", "min")]
    )
    keep = pc.is_in(rows.column("index"), value_set=firsts.column("index_min"))
    return rows.filter(keep).sort_by("index")
