"""Column-wise checks of import chunks against the row-by-row rules (no database).

`check_chunk` may only accept: every row it keeps must be exactly the `Row` the rules make,
and every row the rules refuse must be left to them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tarif.usage.event_columns import check_chunk, first_of_each_key, table_of_rows
from tarif.usage.event_import import _flat_event
from tarif.usage.event_rules import (
    Candidate,
    Directory,
    LatePolicy,
    MetricSpec,
    Policy,
    Row,
    parse_event,
    resolve,
)
from tarif.usage.ingest import dumps

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
DIRECTORY = Directory(
    metrics={
        "tokens": MetricSpec("tokens", "sum", "tokens", False),
        "calls": MetricSpec("calls", "count", None, False),
        "users": MetricSpec("users", "unique_count", "user_id", False),
        "old": MetricSpec("old", "sum", "n", True),
        "valued": MetricSpec("valued", "sum", None, False, "smc_1"),
    },
    customers_by_external_id={"ACME": "cus_a", "GLOBEX": "cus_g", "Société": "cus_s"},
    contracts={},
    watermarks={("cus_a", "tokens"): date(2026, 1, 1)},
)
ADJUST = Policy(timezone=PARIS, received_at=NOW)
REJECT = Policy(PARIS, NOW, timedelta(minutes=5), LatePolicy.REJECT)
COLUMNS = ["transaction_id", "customer", "metric", "timestamp", "tokens", "user_id", "region"]


def _by_rules(rows: list[dict[str, Any]], policy: Policy) -> list[Row | None]:
    """What the row-by-row rules make of each row (None: refused)."""
    out: list[Row | None] = []
    for i, row in enumerate(rows):
        parsed = parse_event(i, _flat_event(row), dumps)
        resolved = resolve(parsed, DIRECTORY, policy) if isinstance(parsed, Candidate) else None
        out.append(resolved if isinstance(resolved, Row) else None)
    return out


def _agree(table: pa.Table, policy: Policy = ADJUST) -> list[int]:
    """Checks both paths agree; returns the positions accepted column-wise."""
    checked = check_chunk(table, DIRECTORY, policy)
    expected = _by_rules(table.to_pylist(), policy)
    accepted = checked.rows.column("index").to_pylist()
    assert sorted(accepted + checked.others) == list(range(table.num_rows))
    rebuilt = table_of_rows([r for r in expected if r is not None and r.index in accepted])
    assert checked.rows.equals(rebuilt), (checked.rows.to_pylist(), rebuilt.to_pylist())
    for i, row in enumerate(expected):
        if row is None:
            assert i in checked.others
    return accepted


def _table(rows: list[tuple[Any, ...]], names: list[str] = COLUMNS) -> pa.Table:
    return pa.table({n: pa.array([r[k] for r in rows], pa.string()) for k, n in enumerate(names)})


def test_plain_rows_are_accepted_with_the_values_of_the_rules() -> None:
    table = _table(
        [
            # 12.5 × 10⁶ = 12,500,000; 23:30 UTC on 14 January is 00:30 on the 15th in Paris.
            ("a", "ACME", "tokens", "2026-01-14T23:30:00Z", "12.5", "", "eu"),
            # −0.000001 × 10⁶ = −1; 10:00+01:00 is 09:00 UTC, 15 January in Paris.
            ("b", "GLOBEX", "tokens", "2026-01-15T10:00:00.250+01:00", "-0.000001", "", ""),
            ("c", "Société", "users", "2026-01-10T12:00:00Z", "", "u 42", "eu"),
            ("d", "ACME", "calls", "2026-01-10T12:00:00Z", "", "", ""),
            # 31 December 23:59 in Paris, before ACME's tokens are billed until (1 January).
            ("e", "ACME", "tokens", "2025-12-31T22:59:00Z", "999999999999.999999", "", ""),
        ]
    )
    assert _agree(table) == [0, 1, 2, 3, 4]
    rows = check_chunk(table, DIRECTORY, ADJUST).rows.to_pylist()
    assert [r["value_micros"] for r in rows] == [12_500_000, -1, None, None, 999999999999999999]
    assert [r["local_date"] for r in rows] == [
        date(2026, 1, 15),
        date(2026, 1, 15),
        date(2026, 1, 10),
        date(2026, 1, 10),
        date(2025, 12, 31),
    ]
    assert [r["late"] for r in rows] == [False, False, False, False, True]
    assert rows[1]["occurred_at"] == datetime(2026, 1, 15, 9, 0, 0, 250_000, tzinfo=UTC)
    assert rows[2]["unique_key"] == "u 42" and rows[2]["customer_id"] == "cus_s"
    # Empty cells are left out of the properties, which keep the columns' order.
    assert [r["properties"] for r in rows] == [
        '{"tokens":"12.5","region":"eu"}',
        '{"tokens":"-0.000001"}',
        '{"user_id":"u 42","region":"eu"}',
        "{}",
        '{"tokens":"999999999999.999999"}',
    ]


def test_anything_else_is_left_to_the_rules() -> None:
    table = _table(
        [
            ("a", " ACME", "tokens", "2026-01-10T10:00:00Z", "1", "", ""),  # stripped: accepted
            ("b", "ACME", "nope", "2026-01-10T10:00:00Z", "1", "", ""),  # unknown metric
            ("c", "NOPE", "tokens", "2026-01-10T10:00:00Z", "1", "", ""),  # unknown customer
            ("d", "ACME", "old", "2026-01-10T10:00:00Z", "1", "", ""),  # archived
            ("e", "ACME", "valued", "2026-01-10T10:00:00Z", "1", "", ""),  # SmartCode
            ("f", "ACME", "tokens", "2026-01-10T10:00:00", "1", "", ""),  # no offset
            ("g", "ACME", "tokens", "2026-02-30T10:00:00Z", "1", "", ""),  # no such day
            ("h", "ACME", "tokens", "2026-01-15T09:35:01Z", "1", "", ""),  # 301 s ahead
            ("i", "ACME", "tokens", "2026-01-10T10:00:00Z", "1.0000001", "", ""),  # 7 decimals
            ("j", "ACME", "tokens", "2026-01-10T10:00:00Z", ".5", "", ""),  # rules: 0.5
            ("k", "ACME", "tokens", "2026-01-10T10:00:00Z", "", "", ""),  # no value
            ("l", "ACME", "tokens", "2026-01-10T10:00:00Z", "1", "", 'say "hi"'),  # escaped
            ("m", "ACME", "tokens", "2026-01-10T10:00:00Z", "1e3", "", ""),  # rules: 1000
            ("n\u00a0", "ACME", "calls", "2026-01-10T10:00:00Z", "", "", ""),  # stripped
            ("", "ACME", "calls", "2026-01-10T10:00:00Z", "", "", ""),  # no id
            ("p", "ACME", "users", "2026-01-10T10:00:00Z", "", "u" * 201, ""),  # too long
            ("q", "ACME", "tokens", "2026-01-15T09:35:00Z", "1", "", ""),  # the edge: kept
        ]
    )
    assert _agree(table) == [16]


def test_late_rows_under_the_reject_policy_are_left_to_the_rules() -> None:
    table = _table(
        [
            ("a", "ACME", "tokens", "2025-12-31T22:59:59Z", "1", "", ""),  # 31 Dec in Paris
            ("b", "ACME", "tokens", "2025-12-31T23:00:00Z", "1", "", ""),  # 1 January
            ("c", "GLOBEX", "tokens", "2025-12-31T22:59:59Z", "1", "", ""),  # no watermark
        ]
    )
    assert _agree(table, REJECT) == [1, 2]


def test_parquet_types() -> None:
    table = pa.table(
        {
            "transaction_id": ["a", "b", "c"],
            "customer": ["ACME", "ACME", "ACME"],
            "metric": ["tokens", "users", "tokens"],
            "timestamp": pa.array(
                [datetime(2026, 1, 10, 23, 30), datetime(2026, 1, 11), datetime(2026, 1, 12)],
                pa.timestamp("ms"),
            ),
            "tokens": pa.array([7, None, -(10**12)], pa.int64()),
            "user_id": pa.array([None, 42, None], pa.int32()),
        }
    )
    assert _agree(table) == [0, 1, 2]
    rows = check_chunk(table, DIRECTORY, ADJUST).rows.to_pylist()
    # 7 × 10⁶; −10¹² × 10⁶ = −10¹⁸; 23:30 UTC on 10 January is 00:30 on the 11th in Paris.
    assert [r["value_micros"] for r in rows] == [7_000_000, None, -(10**18)]
    assert rows[0]["local_date"] == date(2026, 1, 11)
    assert (rows[1]["unique_key"], rows[1]["properties"]) == ("42", '{"user_id":42}')
    floats = table.set_column(4, "tokens", pa.array([7.5, None, 1.0]))
    assert _agree(floats) == []  # a column of floats: the whole chunk goes to the rules


def test_first_of_each_key_keeps_the_lowest_index() -> None:
    rows = pa.table(
        {
            "index": [5, 1, 3, 2],
            "source": ["", "", "", "s"],
            "transaction_id": ["a", "b", "a", "a"],
        }
    )
    firsts = first_of_each_key(rows)
    assert firsts.column("index").to_pylist() == [1, 2, 3]


DECIMALS = st.one_of(
    st.from_regex(r"-?\d{1,14}(\.\d{0,8})?", fullmatch=True),
    st.text(alphabet="0123456789.-+e ", max_size=12),
)
TIMESTAMPS = st.one_of(
    st.datetimes(
        min_value=datetime(1000, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)
    ).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.builds(
        lambda d, h, m: (
            d.isoformat(timespec="seconds") + f"{'+' if h >= 0 else '-'}{abs(h):02d}:{m:02d}"
        ),
        st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(2999, 12, 30)),
        st.integers(-23, 23),
        st.integers(0, 59),
    ),
    st.from_regex(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?", fullmatch=True
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(DECIMALS, TIMESTAMPS, st.text(max_size=6)), min_size=1, max_size=20))
def test_both_paths_agree_on_any_value_and_timestamp(cells: list[tuple[str, str, str]]) -> None:
    far = Policy(PARIS, datetime(2999, 12, 31, tzinfo=UTC))
    rows = [
        (f"t{i}", "ACME", "tokens", stamp, value, "", region)
        for i, (value, stamp, region) in enumerate(cells)
    ]
    _agree(_table(rows), far)


def test_instants_beyond_2036_are_left_to_the_row_rules() -> None:
    # 1 Apr 2038 22:00 UTC is 2 Apr 00:00 in Paris (summer time): the zone rules pyarrow reads
    # stop in 2037 and would say 1 Apr, so the row rules (zoneinfo) take the row
    future = Policy(PARIS, datetime(2038, 4, 1, 23, 0, tzinfo=UTC))
    table = _table([("t0", "ACME", "tokens", "2038-04-01T22:00:00Z", "0", None, None)])
    assert _agree(table, future) == []
    [row] = _by_rules(table.to_pylist(), future)
    assert row is not None and row.local_date == date(2038, 4, 2)
