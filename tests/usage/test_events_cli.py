"""`tarif events send|list|show|import` through Typer's CliRunner (clock: 15 Jan 2026)."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.db.session import session_factory
from tarif.usage.event_cli import prop_value
from tarif.usage.models import UsageEvent
from tests.conftest import START, Tenant
from tests.usage.ingest_helpers import seed, set_watermark


@pytest.fixture
def customers(engine: Engine, clock: FixedClock, tenant: Tenant) -> dict[str, str]:
    return seed(engine, clock, tenant.id)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def values(engine: Engine, organization_id: str) -> dict[str, int | None]:
    with session_factory(engine)() as session:
        return dict(
            session.execute(
                select(UsageEvent.transaction_id, UsageEvent.value_micros).where(
                    UsageEvent.organization_id == organization_id
                )
            ).all()
        )


def test_send_list_show(run, customers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    sent = run(
        "events", "send", "--transaction-id", "t1", "--metric", "tokens", "--customer", "ACME",
        "--timestamp", "2026-01-14T23:30:00Z", "--prop", "tokens=2.5", "--json",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    event = json.loads(sent.stdout)
    # 23:30 UTC on 14 January is 00:30 on 15 January in Paris.
    assert (event["status"], event["value"], event["local_date"]) == (
        "accepted",
        "2.5",
        "2026-01-15",
    )
    again = run(
        "events", "send", "--transaction-id", "t1", "--metric", "tokens", "--customer", "ACME",
        "--prop", "tokens=9", "--json",
    )  # fmt: skip
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "duplicate"
    refused = run(
        "events", "send", "--transaction-id", "t2", "--metric", "nope", "--customer", "ACME"
    )
    assert refused.exit_code != 0
    assert "metric: unknown metric 'nope'" in refused.output
    listed = run("events", "list", "--customer", "ACME", "--json")
    assert [e["transaction_id"] for e in json.loads(listed.stdout)] == ["t1"]
    shown = run("events", "show", event["id"], "--json")
    assert json.loads(shown.stdout)["transaction_id"] == "t1"
    assert run("events", "show", "evt_999999999").exit_code != 0
    assert run("events", "list", "--customer", "NOPE").exit_code != 0


ROWS = [
    # line 2: good; 3: 0.000001 → 1 millionth; 4: unknown customer; 5: repeat of line 2;
    # 6: too many decimals; 7: no offset on the timestamp
    ("a", "ACME", "tokens", "2026-01-10T10:00:00Z", "12.5"),
    ("b", "GLOBEX", "tokens", "2026-01-10T11:00:00Z", "0.000001"),
    ("c", "NOPE", "tokens", "2026-01-10T12:00:00Z", "1"),
    ("a", "ACME", "tokens", "2026-01-10T10:00:00Z", "99"),
    ("d", "ACME", "tokens", "2026-01-10T13:00:00Z", "1.0000001"),
    ("e", "ACME", "tokens", "2026-01-10T14:00:00", "1"),
]
HEADER = ["transaction_id", "customer", "metric", "timestamp", "tokens"]


def write(path: Path, fmt: str) -> Path:
    if fmt == "csv":
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(ROWS)
    elif fmt == "jsonl":
        with path.open("w") as handle:
            for tx, customer, metric, ts, tokens in ROWS:
                event = {
                    "transaction_id": tx,
                    "customer": customer,
                    "metric": metric,
                    "timestamp": ts,
                    "properties": {"tokens": tokens},
                }
                handle.write(json.dumps(event) + "\n")
            handle.write("{not json\n")  # line 8
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = list(zip(*ROWS, strict=True))
        pq.write_table(
            pa.table({name: list(col) for name, col in zip(HEADER, columns, strict=True)}), path
        )
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_import_each_format_with_a_rejected_rows_file(  # type: ignore[no-untyped-def]
    run, customers: dict[str, str], engine: Engine, tenant: Tenant, tmp_path: Path, fmt: str
) -> None:
    source = write(tmp_path / f"events.{fmt}", fmt)
    result = run("events", "import", str(source), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    invalid_json = 1 if fmt == "jsonl" else 0
    assert (report["read"], report["accepted"], report["duplicates"], report["rejected"]) == (
        6 + invalid_json,
        2,  # a, b
        1,  # the second a
        3 + invalid_json,  # c, d, e (and the line that is not JSON)
    )
    # 12.5 × 10⁶ = 12,500,000; 0.000001 × 10⁶ = 1
    assert values(engine, tenant.id) == {"a": 12_500_000, "b": 1}
    rejected = Path(report["rejected_file"])
    assert rejected == tmp_path / f"events.{fmt}.rejected.csv"
    with rejected.open() as handle:
        rows = list(csv.DictReader(handle))
    # CSV lines count the header; JSON Lines and Parquet rows count from 1.
    first = 2 if fmt == "csv" else 1
    reasons = [(int(r["line"]) - first, r["field"], r["reason"]) for r in rows]
    expected = [
        (2, "customer", "unknown customer 'NOPE': not found in this organization"),
        (4, "properties.tokens", "has more than 6 decimals"),
        (5, "timestamp", "needs an offset (Z or +01:00): the instant is ambiguous without it"),
    ]
    if fmt == "jsonl":
        expected.append((6, "", "is not valid JSON"))
    assert reasons == expected
    assert "NOPE" in rows[0]["row"]
    # Importing the same file again stores nothing new.
    again = json.loads(run("events", "import", str(source), "--json").stdout)
    assert (again["accepted"], again["duplicates"]) == (0, 3)


def test_import_rejected_file_option_and_bad_format(  # type: ignore[no-untyped-def]
    run, customers: dict[str, str], tmp_path: Path
) -> None:
    source = write(tmp_path / "events.csv", "csv")
    target = tmp_path / "refused.csv"
    result = run("events", "import", str(source), "--rejected", str(target), "--json")
    assert result.exit_code == 0 and target.exists()
    bad = run("events", "import", str(tmp_path / "events.xlsx"))
    assert bad.exit_code != 0 and "csv, jsonl or parquet" in bad.output
    missing = run("events", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code != 0 and "no such file" in missing.output


def test_usage_settings_through_orgs_update(run, customers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    changed = run(
        "orgs", "update", "--set", "late_usage_policy=reject",
        "--set", "future_event_tolerance_seconds=600", "--json",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    org = json.loads(changed.stdout)
    assert (org["late_usage_policy"], org["future_event_tolerance_seconds"]) == ("reject", 600)
    # 09:39 is 9 minutes after the clock's 09:30: within 600 s now.
    sent = run(
        "events", "send", "--transaction-id", "t1", "--metric", "tokens", "--customer", "ACME",
        "--timestamp", "2026-01-15T09:39:00Z", "--prop", "tokens=1",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    cleared = run("orgs", "update", "--set", "late_usage_policy=")
    assert cleared.exit_code != 0 and "late_usage_policy" in cleared.output


def test_zero_usage_invoices_setting_through_orgs_update(run, customers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    shown = json.loads(run("orgs", "show", "--json").stdout)
    assert shown["finalize_zero_usage_invoices"] is True  # the default
    changed = run("orgs", "update", "--set", "finalize_zero_usage_invoices=false", "--json")
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout)["finalize_zero_usage_invoices"] is False
    bad = run("orgs", "update", "--set", "finalize_zero_usage_invoices=maybe")
    assert bad.exit_code != 0 and "finalize_zero_usage_invoices" in bad.output
    cleared = run("orgs", "update", "--set", "finalize_zero_usage_invoices=")
    assert cleared.exit_code != 0 and "is required (default: true)" in cleared.output


MIXED = (
    "transaction_id,customer,metric,timestamp,tokens,region\n"
    "a,ACME,tokens,2026-01-10T10:00:00Z,12.5,eu\n"  # line 2: checked column-wise
    "b, GLOBEX,tokens,2026-01-10T11:00:00Z,.5,\n"  # 3: by the rules (spaces, ".5")
    'c,ACME,tokens,2026-01-10T12:00:00Z,2,"two\nlines"\n'  # 4-5: by the rules (a newline)
    "a,ACME,tokens,2026-01-10T10:00:00Z,99,eu\n"  # 6: repeat of line 2
    "b,GLOBEX,tokens,2026-01-10T11:00:00Z,7,\n"  # 7: repeat of line 3, the first stands
    "d,NOPE,tokens,2026-01-10T12:00:00Z,1,\n"  # 8: unknown customer
    "e,ACME,tokens,2026-02-30T10:00:00Z,1,\n"  # 9: no 30 February
)


def test_import_mixes_column_wise_and_row_checks(  # type: ignore[no-untyped-def]
    run, customers: dict[str, str], engine: Engine, tenant: Tenant, tmp_path: Path
) -> None:
    source = tmp_path / "mixed.csv"
    source.write_text(MIXED)
    report = json.loads(run("events", "import", str(source), "--json").stdout)
    assert (report["read"], report["accepted"], report["duplicates"], report["rejected"]) == (
        7,
        3,
        2,
        2,
    )
    # 12.5 × 10⁶; ".5" is 0.5 → 500,000 (the first b stands, not the 7 of line 7); 2 × 10⁶
    assert values(engine, tenant.id) == {"a": 12_500_000, "b": 500_000, "c": 2_000_000}
    with Path(report["rejected_file"]).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["field"], r["reason"]) for r in rows] == [
        ("8", "customer", "unknown customer 'NOPE': not found in this organization"),
        (
            "9",
            "timestamp",
            "is not an RFC 3339 timestamp: '2026-02-30T10:00:00Z' (e.g. 2026-01-31T23:30:00Z)",
        ),
    ]


def test_import_of_a_csv_with_a_short_row_falls_back_to_the_rules(  # type: ignore[no-untyped-def]
    run, customers: dict[str, str], engine: Engine, tenant: Tenant, tmp_path: Path
) -> None:
    source = tmp_path / "short.csv"
    source.write_text(
        "transaction_id,customer,metric,timestamp,tokens\n"
        "a,ACME,tokens,2026-01-10T10:00:00Z,3\n"
        "b,ACME,api_calls,2026-01-10T10:00:00Z\n"  # one cell short: no tokens, a count
        "c,NOPE,tokens,2026-01-10T10:00:00Z,1\n"
    )
    report = json.loads(run("events", "import", str(source), "--json").stdout)
    assert (report["read"], report["accepted"], report["rejected"]) == (3, 2, 1)
    assert values(engine, tenant.id) == {"a": 3_000_000, "b": None}  # 3 × 10⁶; a count


def test_import_chunk_meeting_a_stored_key_is_written_again_skipping_it(  # type: ignore[no-untyped-def]
    run,
    customers: dict[str, str],
    engine: Engine,
    tenant: Tenant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Chunks of two rows: the second chunk repeats `a`, stored by the first. On PostgreSQL
    # the first chunk goes by COPY straight into the events table, the second's COPY meets
    # the stored key and is undone, then written through the staging table (and so is the
    # third): every key once, the first `a` kept.
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setattr("tarif.usage.event_import.CHUNK_ROWS", 2)
    rows = [("a", "1"), ("b", "2"), ("c", "3"), ("a", "9"), ("d", "4"), ("e", "5")]
    source = tmp_path / "repeat.parquet"
    pq.write_table(
        pa.table(
            {
                "transaction_id": [tx for tx, _ in rows],
                "customer": ["ACME"] * 6,
                "metric": ["tokens"] * 6,
                "timestamp": ["2026-01-10T10:00:00Z"] * 6,
                "tokens": [tokens for _, tokens in rows],
            }
        ),
        source,
    )
    report = json.loads(run("events", "import", str(source), "--json").stdout)
    assert (report["read"], report["accepted"], report["duplicates"]) == (6, 5, 1)
    # tokens × 10⁶ each; `a` keeps its first value, 1
    assert values(engine, tenant.id) == {
        "a": 1_000_000,
        "b": 2_000_000,
        "c": 3_000_000,
        "d": 4_000_000,
        "e": 5_000_000,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("61", 61),
        ("-2", -2),
        ("0", 0),
        ("12.50", Decimal("12.50")),
        ("0.000001", Decimal("0.000001")),
        ("007", "007"),  # a leading zero is not a JSON number: an id stays text
        ("1e3", "1e3"),
        ("12,5", "12,5"),
        (".5", ".5"),
        ("5.", "5."),
        ("+5", "+5"),
        (" 5", " 5"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_prop_values_that_are_json_numbers_are_exact_numbers(text: str, expected: object) -> None:
    value = prop_value(text)
    assert (value, type(value)) == (expected, type(expected))


def test_send_keeps_prop_numbers_as_numbers(  # type: ignore[no-untyped-def]
    run, customers: dict[str, str], engine: Engine, tenant: Tenant
) -> None:
    sent = run(
        "events", "send", "--transaction-id", "n1", "--metric", "tokens", "--customer", "ACME",
        "--timestamp", "2026-01-14T10:00:00Z", "--prop", "tokens=2.5", "--prop", "duration=61",
        "--prop", "agent=007", "--properties", '{"duration": "x", "zone": "eu"}', "--json",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    with session_factory(engine)() as session:
        stored = session.scalars(
            select(UsageEvent.properties).where(
                UsageEvent.organization_id == tenant.id, UsageEvent.transaction_id == "n1"
            )
        ).one()
    # stored as JSON numbers, not "61"; --prop wins over --properties on the same name
    assert stored == {"tokens": Decimal("2.5"), "duration": 61, "agent": "007", "zone": "eu"}
    assert (type(stored["duration"]), type(stored["agent"])) == (int, str)


def test_list_takes_the_apis_search_and_updated_since(run, customers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for transaction in ("order-1001", "refund-77"):
        sent = run(
            "events", "send", "--transaction-id", transaction, "--metric", "api_calls",
            "--customer", "ACME", "--timestamp", "2026-01-14T12:00:00Z",
        )  # fmt: skip
        assert sent.exit_code == 0, sent.output
    found = run("events", "list", "--q", "REFUND", "--json")
    assert [e["transaction_id"] for e in json.loads(found.stdout)] == ["refund-77"]
    # Both were received at the command's 09:30 UTC: "updated since" is "received since".
    received = run("events", "list", "--updated-since", "2026-01-15T10:30:00+01:00", "--json")
    assert len(json.loads(received.stdout)) == 2
    later = run("events", "list", "--updated-since", "2026-01-15T09:31:00Z", "--json")
    assert json.loads(later.stdout) == []
    bad = run("events", "list", "--updated-since", "today")
    assert bad.exit_code == 1 and "--updated-since: expected a timestamp" in bad.stderr


def test_list_late_or_on_time_events(
    run, engine: Engine, tenant: Tenant, customers: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    # ACME's api_calls are invoiced up to 10 Jan: an event of the 9th is late, one of the 14th not
    set_watermark(engine, tenant.id, customers["ACME"], "api_calls", date(2026, 1, 10))
    for transaction, day in (("on-time", "2026-01-14"), ("late", "2026-01-09")):
        sent = run(
            "events", "send", "--transaction-id", transaction, "--metric", "api_calls",
            "--customer", "ACME", "--timestamp", f"{day}T12:00:00Z",
        )  # fmt: skip
        assert sent.exit_code == 0, sent.output

    def listed(*flags: str) -> list[str]:
        answer = run("events", "list", *flags, "--json")
        assert answer.exit_code == 0, answer.output
        return sorted(e["transaction_id"] for e in json.loads(answer.stdout))

    assert listed() == ["late", "on-time"]
    assert listed("--late") == ["late"]
    assert listed("--not-late") == ["on-time"]
